import { DomainError } from '../../common/domain-error';
import { PodSpec } from '../resources/pod.types';
import {
  POD_INDEX_LABEL,
  STATEFULSET_POD_NAME_LABEL,
  STATEFULSET_REVISION_LABEL,
  StatefulSetSpec,
  StatefulSetStatus,
  VolumeClaimTemplate,
} from '../resources/statefulset.types';
import { PodTemplateSpec } from '../resources/workload.types';
import { compileSelector } from '../store/label-selector';
import { deepEqual, ObjectStore } from '../store/object-store';
import { resourceTypeByKey } from '../store/resource-types';
import { KubeObject, OwnerReference, StoredEvent } from '../store/types';
import { Budget, Controller, Steps, UNBOUNDED } from './controller-manager';
import { controllerRevisions, revisionTemplate, Revisions, statefulSetRevisions } from './controller-history';
import { recordEvent } from './events';
import { StatefulSetPods } from './statefulset-pods';
import {
  availableAt,
  claim,
  controllerRefOf,
  isPodAvailable,
  isPodReady,
  isPodTerminating,
  nowMs,
  objectKey,
  OWNED,
  OwnerWork,
  podFromTemplate,
  podStatusOf,
  scaledValue,
  WakeUps,
  WorkloadControllerOptions,
} from './pod-template';

const pods = resourceTypeByKey('pods')!;
const statefulsets = resourceTypeByKey('statefulsets.apps')!;
const claims = resourceTypeByKey('persistentvolumeclaims')!;

const COMPONENT = 'statefulset-controller';

const DIGITS = /^[0-9]+$/;

/** `getParentNameAndOrdinal`: `web-3` is ordinal 3 of `web`. */
export function ordinalOf(pod: KubeObject, set: KubeObject): number | undefined {
  const name = pod.metadata.name;
  const prefix = set.metadata.name;
  if (name.length <= prefix.length + 1 || name.charCodeAt(prefix.length) !== 45 /* - */ || !name.startsWith(prefix)) return undefined;
  const digits = name.slice(prefix.length + 1);
  if (!DIGITS.test(digits)) return undefined;
  const n = Number(digits);
  return Number.isSafeInteger(n) ? n : undefined;
}

/** `<template>-<set>-<ordinal>`: the claim of one ordinal for one claim template. */
export function claimName(template: VolumeClaimTemplate, set: KubeObject, ordinal: number): string {
  return `${template.metadata?.name ?? ''}-${set.metadata.name}-${ordinal}`;
}

const revisionOf = (pod: KubeObject) => pod.metadata.labels?.[STATEFULSET_REVISION_LABEL];
const phaseOf = (pod: KubeObject) => podStatusOf(pod).phase;
const isFinished = (pod: KubeObject) => phaseOf(pod) === 'Failed' || phaseOf(pod) === 'Succeeded';
const isRunningAndReady = (pod: KubeObject) => phaseOf(pod) === 'Running' && isPodReady(pod);

function specOf(set: KubeObject): StatefulSetSpec {
  return (set.spec ?? {}) as StatefulSetSpec;
}

function startOrdinal(set: KubeObject): number {
  return specOf(set).ordinals?.start ?? 0;
}

/** An owner reference without `controller`, as the retention policy puts on claims (`setOwnerRef`). */
function plainRef(owner: KubeObject): OwnerReference {
  return { apiVersion: owner.apiVersion, kind: owner.kind, name: owner.metadata.name, uid: owner.metadata.uid };
}

/**
 * The StatefulSet controller (`pkg/controller/statefulset`): pods with stable
 * names `<set>-<ordinal>`, hostnames and claims; `OrderedReady` creates them
 * in ordinal order, each once the one before is Running and Ready, and
 * removes them from the highest ordinal down, one at a time; `Parallel` does
 * not wait. `RollingUpdate` replaces pods from the highest ordinal down to
 * `partition`, at most `maxUnavailable` at a time (1 by default); `OnDelete`
 * leaves that to the user. Revisions of the template are ControllerRevisions
 * (`controller-history.ts`); claims from `volumeClaimTemplates` are made
 * before their pod and kept or given owners as
 * `persistentVolumeClaimRetentionPolicy` says.
 */
export class StatefulSetController implements Controller {
  readonly name = COMPONENT;
  private readonly work: OwnerWork;
  /**
   * The pods of each set (by uid) since its first sync, which looked at every pod its selector
   * matches; later ones look at the pods whose events concern it (see ./statefulset-pods.ts).
   */
  private readonly podsOf = new Map<string, StatefulSetPods>();

  constructor(
    private readonly store: ObjectStore,
    options: WorkloadControllerOptions = {},
  ) {
    this.work = new OwnerWork(store, statefulsets, pods, (set) => compileSelector(specOf(set).selector), new WakeUps(options.wakeUp), {
      trackTouched: true,
      onFault: options.onFault,
      name: COMPONENT,
    });
    this.work.scan();
  }

  observe(event: StoredEvent): void {
    if (event.resource === 'statefulsets.apps') {
      this.work.ownerEvent(event);
      if (event.type === 'DELETED') {
        this.podsOf.delete(event.object.metadata.uid);
        this.work.takeTouched(objectKey(event.object));
      } else if (event.type === 'MODIFIED' && !deepEqual(specOf(event.object).selector, event.previous && specOf(event.previous).selector)) {
        this.podsOf.delete(event.object.metadata.uid);
      }
    } else if (event.resource === 'pods') {
      this.work.dependentEvent(event);
      const now = event.type === 'DELETED' ? undefined : event.object;
      const before = controllerRefOf(event.type === 'DELETED' ? event.object : event.previous);
      const after = controllerRefOf(now);
      const name = event.object.metadata.name;
      if (before && before.uid !== after?.uid) this.podsOf.get(before.uid)?.podChanged(name, undefined);
      if (after) this.podsOf.get(after.uid)?.podChanged(name, now);
    } else if (event.resource === 'persistentvolumeclaims') {
      // A claim of a member changed: its pod is looked at again (`storageMatches`), as every sync did.
      for (const { set, pods } of this.setsWithPods(event.object.metadata.namespace)) {
        for (const template of specOf(set).volumeClaimTemplates ?? []) {
          const prefix = `${template.metadata?.name ?? ''}-${set.metadata.name}-`;
          const name = event.object.metadata.name;
          if (name.startsWith(prefix) && DIGITS.test(name.slice(prefix.length))) pods.claimsChanged(Number(name.slice(prefix.length)));
        }
      }
    }
  }

  reconcile(budget: Budget = UNBOUNDED): boolean {
    return this.work.run(budget, (set) => this.sync(set));
  }

  unfinished(): boolean {
    return this.work.unfinished;
  }

  private event(set: KubeObject, type: 'Normal' | 'Warning', reason: string, message: string): void {
    recordEvent(this.store, set, type, reason, message, { component: COMPONENT });
  }

  private *sync(set: KubeObject): Steps {
    if (set.metadata.deletionTimestamp !== undefined) return;
    const selector = compileSelector(specOf(set).selector);
    // Only pods named as its members are claimed (`isMemberOf`): a pod `stray` with the set's labels is left alone.
    const candidates = this.candidates(set, selector).filter((p) => ordinalOf(p, set) !== undefined);
    claim({ store: this.store, type: pods, owner: set, selector }, candidates);
    const members = this.podsOf.get(set.metadata.uid)!;
    // The one revision every pod carries, looked for only while the set has no revision yet.
    const podRevision = () => {
      const seen = new Set(members.claimed().map(revisionOf));
      return seen.size === 1 ? [...seen][0] : undefined;
    };
    const revisions = statefulSetRevisions(this.store, set, podRevision);
    members.refresh(this.shapeOf(set, revisions));
    yield;
    yield* this.update(set, revisions, members);
    const current = this.store.tryGet(statefulsets, set.metadata.namespace, set.metadata.name);
    if (current?.metadata.uid !== set.metadata.uid) return;
    members.refresh(this.shapeOf(current, revisions));
    const status = this.updateStatus(current, revisions, members);
    this.truncateHistory(current, revisions, members, status);
  }

  private shapeOf(set: KubeObject, revisions: Revisions) {
    const spec = specOf(set);
    return {
      start: startOrdinal(set),
      replicas: spec.replicas ?? 1,
      minReadySeconds: spec.minReadySeconds ?? 0,
      current: revisions.current.metadata.name,
      update: revisions.update.metadata.name,
      retention: `${spec.persistentVolumeClaimRetentionPolicy?.whenDeleted ?? 'Retain'}/${spec.persistentVolumeClaimRetentionPolicy?.whenScaled ?? 'Retain'}`,
    };
  }

  /** The sets of `namespace` whose pods are followed. */
  private *setsWithPods(namespace: string | undefined): Generator<{ set: KubeObject; pods: StatefulSetPods }> {
    for (const set of this.store.list(statefulsets, { namespace }).items) {
      const followed = this.podsOf.get(set.metadata.uid);
      if (followed) yield { set, pods: followed };
    }
  }

  /**
   * The pods to claim: on a first sync every pod its selector matches and its own (from then on
   * followed through their events); later, those whose events concern it (its own that changed,
   * orphans that may be adopted).
   */
  private candidates(set: KubeObject, selector: ReturnType<typeof compileSelector>): KubeObject[] {
    const touched = this.work.takeTouched(objectKey(set));
    if (!this.podsOf.has(set.metadata.uid)) {
      const own = this.work.dependentsOf(set);
      const followed = new StatefulSetPods((pod) => ordinalOf(pod, set), selector, STATEFULSET_REVISION_LABEL);
      for (const pod of own) if (this.owns(set, pod)) followed.podChanged(pod.metadata.name, pod);
      this.podsOf.set(set.metadata.uid, followed);
      return [...this.store.list(pods, { namespace: set.metadata.namespace, labelSelector: selector }).items, ...own];
    }
    const out: KubeObject[] = [];
    for (const key of touched) {
      const [namespace, name] = key.split('/');
      const pod = this.store.tryGet(pods, namespace, name);
      const ref = pod && controllerRefOf(pod);
      if (pod && (!ref || ref.uid === set.metadata.uid)) out.push(pod);
    }
    return out;
  }

  private owns(set: KubeObject, pod: KubeObject): boolean {
    return pod.metadata.ownerReferences?.some((r) => r.controller && r.uid === set.metadata.uid) === true && ordinalOf(pod, set) !== undefined;
  }

  /**
   * `updateStatefulSet`: make, mend and remove pods, then roll out the update revision. Only
   * the replicas that may need work are looked at (`unsteady`): the others are running, ready
   * and available with their claims in place, and stay so until an event of theirs.
   */
  private *update(set: KubeObject, revisions: Revisions, members: StatefulSetPods): Steps {
    const spec = specOf(set);
    const replicaCount = spec.replicas ?? 1;
    const start = startOrdinal(set);
    const parallel = spec.podManagementPolicy === 'Parallel';
    const minReadySeconds = spec.minReadySeconds ?? 0;
    const now = nowMs(this.store);
    const healthy = (pod: KubeObject) => {
      if (!isRunningAndReady(pod) || isPodTerminating(pod)) return false;
      if (isPodAvailable(pod, minReadySeconds, now)) return true;
      const at = availableAt(pod, minReadySeconds);
      if (at !== undefined) this.work.wakeUps.at(objectKey(set), at, now);
      return false;
    };

    // Replicas missing or not healthy (the others are steady, so healthy).
    let unavailable = 0;
    for (let i = members.unsteady.atLeast(0); i !== undefined; i = members.unsteady.atLeast(i + 1)) {
      const ordinal = start + i;
      let pod = members.replicaAt(ordinal);
      if (!pod || !healthy(pod)) unavailable++;
      if (pod && isFinished(pod)) {
        // A failed (or finished) pod is deleted; its ordinal is made again once it is gone.
        if (!isPodTerminating(pod)) this.deletePod(set, pod);
        yield;
        if (!parallel) return;
        continue;
      }
      if (!pod) {
        pod = this.createPod(set, revisions, ordinal);
        yield;
        if (!parallel) return;
        continue;
      }
      if (isPodTerminating(pod)) {
        if (!parallel) return;
        continue;
      }
      const claimsInPlace = this.mendClaims(set, pod, ordinal, false);
      if (!healthy(pod)) {
        if (!parallel) return;
      } else if (claimsInPlace) members.steady(i);
    }

    // Scale down: the highest ordinal first; under OrderedReady one at a time, once the rest are healthy.
    for (const pod of members.condemnedDescending()) {
      if (isPodTerminating(pod)) {
        if (!parallel) return;
        continue;
      }
      if (!parallel && !isRunningAndReady(pod) && pod !== this.firstUnhealthy(members.condemnedAscending(), healthy)) return;
      this.mendClaims(set, pod, ordinalOf(pod, set)!, true);
      this.deletePod(set, pod);
      yield;
      if (!parallel) return;
    }

    const strategy = spec.updateStrategy ?? {};
    if (strategy.type !== 'RollingUpdate') return; // OnDelete: a deleted pod comes back at the update revision
    const partition = strategy.rollingUpdate?.partition ?? 0;
    const maxUnavailable = Math.max(1, scaledValue(strategy.rollingUpdate?.maxUnavailable ?? 1, replicaCount, true));
    if (unavailable >= maxUnavailable) return;
    let room = maxUnavailable - unavailable;
    // Pods not at the update revision, from the highest ordinal down to the partition.
    for (let i = members.outdated.atMost(replicaCount - 1); i !== undefined && i >= partition && room > 0; i = members.outdated.atMost(i - 1)) {
      const pod = members.replicaAt(start + i);
      if (!pod || revisionOf(pod) === revisions.update.metadata.name || isPodTerminating(pod)) continue;
      this.deletePod(set, pod);
      room--;
      yield;
    }
  }

  private firstUnhealthy(pods: Iterable<KubeObject>, healthy: (pod: KubeObject) => boolean): KubeObject | undefined {
    for (const pod of pods) if (!healthy(pod)) return pod;
    return undefined;
  }

  /** `newVersionedStatefulSetPod`: below the partition a new pod is made at the current revision, else at the update revision. */
  private createPod(set: KubeObject, revisions: Revisions, ordinal: number): KubeObject | undefined {
    const spec = specOf(set);
    const strategy = spec.updateStrategy ?? {};
    const status = (set.status ?? {}) as Partial<StatefulSetStatus>;
    const index = ordinal - startOrdinal(set);
    let atCurrent = false;
    if (strategy.type === 'RollingUpdate') {
      atCurrent = strategy.rollingUpdate ? index < (strategy.rollingUpdate.partition ?? 0) : index < (status.currentReplicas ?? 0);
    }
    const revision = atCurrent ? revisions.current : revisions.update;
    const template = atCurrent ? revisionTemplate(revisions.current) : (spec.template ?? {});
    const name = `${set.metadata.name}-${ordinal}`;
    if (!this.createClaims(set, name, ordinal)) return undefined;
    const input = podFromTemplate(template as PodTemplateSpec, set);
    delete input.metadata!.generateName;
    input.metadata!.name = name;
    input.metadata!.labels = {
      ...(input.metadata!.labels ?? {}),
      [STATEFULSET_POD_NAME_LABEL]: name,
      [POD_INDEX_LABEL]: String(ordinal),
      [STATEFULSET_REVISION_LABEL]: revision.metadata.name,
    };
    const podSpec: PodSpec = input.spec;
    podSpec.hostname = name;
    if (spec.serviceName) podSpec.subdomain = spec.serviceName;
    const claimVolumes = (spec.volumeClaimTemplates ?? []).map((t) => ({ name: String(t.metadata?.name ?? ''), persistentVolumeClaim: { claimName: claimName(t, set, ordinal) } }));
    if (claimVolumes.length) {
      const names = new Set(claimVolumes.map((v) => v.name));
      const others = ((podSpec as { volumes?: { name: string }[] }).volumes ?? []).filter((v) => !names.has(v.name));
      (podSpec as { volumes?: unknown[] }).volumes = [...claimVolumes, ...others];
    }
    try {
      const pod = this.store.create(pods, input, set.metadata.namespace, OWNED);
      this.event(set, 'Normal', 'SuccessfulCreate', `create Pod ${name} in StatefulSet ${set.metadata.name} successful`);
      return pod;
    } catch (e) {
      if (!(e instanceof DomainError)) throw e;
      this.event(set, 'Warning', 'FailedCreate', `create Pod ${name} in StatefulSet ${set.metadata.name} failed error: ${e.message}`);
      return undefined;
    }
  }

  /** `createPersistentVolumeClaims`: each claim of the ordinal that does not exist yet; false if one could not be made. */
  private createClaims(set: KubeObject, podName: string, ordinal: number): boolean {
    const spec = specOf(set);
    for (const template of spec.volumeClaimTemplates ?? []) {
      const name = claimName(template, set, ordinal);
      const existing = this.store.tryGet(claims, set.metadata.namespace, name);
      if (existing) {
        if (existing.metadata.deletionTimestamp !== undefined) {
          this.event(set, 'Warning', 'FailedCreate', `create Pod ${podName} in StatefulSet ${set.metadata.name} failed error: pvc ${name} is being deleted`);
          return false;
        }
        continue;
      }
      const meta = template.metadata ?? {};
      const refs = this.claimRefsFor(set, undefined, ordinal, []);
      try {
        this.store.create(
          claims,
          {
            metadata: {
              name,
              labels: { ...(meta.labels ?? {}), ...(spec.selector?.matchLabels ?? {}) },
              ...(meta.annotations ? { annotations: { ...meta.annotations } } : {}),
              ...(refs.length ? { ownerReferences: refs } : {}),
            },
            spec: structuredClone(template.spec ?? {}),
          },
          set.metadata.namespace,
          OWNED,
        );
        this.event(set, 'Normal', 'SuccessfulCreate', `create Claim ${name} Pod ${podName} in StatefulSet ${set.metadata.name} success`);
      } catch (e) {
        if (!(e instanceof DomainError)) throw e;
        this.event(set, 'Warning', 'FailedCreate', `create Claim ${name} for Pod ${podName} in StatefulSet ${set.metadata.name} failed error: ${e.message}`);
        return false;
      }
    }
    return true;
  }

  /**
   * The owners a claim should have (`updateClaimOwnerRefs`): the set when
   * `whenDeleted: Delete`, the pod when the ordinal is scaled away and
   * `whenScaled: Delete` (then not the set); other owners are kept.
   */
  private claimRefsFor(set: KubeObject, pod: KubeObject | undefined, ordinal: number, existing: OwnerReference[]): OwnerReference[] {
    const policy = specOf(set).persistentVolumeClaimRetentionPolicy ?? {};
    const start = startOrdinal(set);
    const scaledAway = ordinal < start || ordinal >= start + (specOf(set).replicas ?? 1);
    const bySet = policy.whenDeleted === 'Delete' && !(scaledAway && policy.whenScaled === 'Delete');
    const byPod = scaledAway && policy.whenScaled === 'Delete' && pod !== undefined;
    const others = existing.filter((r) => r.uid !== set.metadata.uid && (!pod || r.uid !== pod.metadata.uid));
    return [...others, ...(bySet ? [plainRef(set)] : []), ...(byPod ? [plainRef(pod!)] : [])];
  }

  /**
   * Claims of an existing pod: made again if gone (`storageMatches`), their owners brought in
   * line with the retention policy. Whether they are all in place now.
   */
  private mendClaims(set: KubeObject, pod: KubeObject, ordinal: number, condemned: boolean): boolean {
    const templates = specOf(set).volumeClaimTemplates ?? [];
    if (!templates.length) return true;
    let inPlace = condemned || this.createClaims(set, pod.metadata.name, ordinal);
    for (const template of templates) {
      const existing = this.store.tryGet(claims, set.metadata.namespace, claimName(template, set, ordinal));
      if (!existing || existing.metadata.deletionTimestamp !== undefined) {
        inPlace = false;
        continue;
      }
      const refs = existing.metadata.ownerReferences ?? [];
      const wanted = this.claimRefsFor(set, pod, ordinal, refs);
      if (deepEqual(wanted, refs)) continue;
      try {
        this.store.patch(claims, set.metadata.namespace, existing.metadata.name, { metadata: { ownerReferences: wanted.length ? wanted : null } });
      } catch (e) {
        if (!(e instanceof DomainError)) throw e;
        inPlace = false;
      }
    }
    return inPlace;
  }

  private deletePod(set: KubeObject, pod: KubeObject): void {
    try {
      this.store.delete(pods, pod.metadata.namespace, pod.metadata.name);
      this.event(set, 'Normal', 'SuccessfulDelete', `delete Pod ${pod.metadata.name} in StatefulSet ${set.metadata.name} successful`);
    } catch (e) {
      if (!(e instanceof DomainError)) throw e;
      if (e.code === 'NOT_FOUND') return;
      this.event(set, 'Warning', 'FailedDelete', `delete Pod ${pod.metadata.name} in StatefulSet ${set.metadata.name} failed error: ${e.message}`);
    }
  }

  /** `computeReplicaStatus` and `completeRollingUpdate`; zero counts left out as Go's `omitempty` does (`replicas`, `availableReplicas` always there). */
  private updateStatus(set: KubeObject, revisions: Revisions, members: StatefulSetPods): StatefulSetStatus {
    const spec = specOf(set);
    const minReadySeconds = spec.minReadySeconds ?? 0;
    const now = nowMs(this.store);
    const counts = members.replicaCounts(now, (pod) => {
      const at = availableAt(pod, minReadySeconds);
      if (at !== undefined) this.work.wakeUps.at(objectKey(set), at, now);
    });
    const { replicas, ready, available, updated } = counts;
    let current = counts.current;
    let currentRevision = revisions.current.metadata.name;
    if (spec.updateStrategy?.type === 'RollingUpdate' && updated === replicas && ready === replicas) {
      current = updated;
      currentRevision = revisions.update.metadata.name;
    }
    const status: StatefulSetStatus = { observedGeneration: set.metadata.generation, replicas } as StatefulSetStatus;
    if (ready) status.readyReplicas = ready;
    if (current) status.currentReplicas = current;
    if (updated) status.updatedReplicas = updated;
    status.currentRevision = currentRevision;
    status.updateRevision = revisions.update.metadata.name;
    status.collisionCount = revisions.collisionCount;
    status.availableReplicas = available;
    if (!deepEqual(status, set.status)) this.store.updateStatus(statefulsets, set.metadata.namespace, set.metadata.name, { status }, OWNED);
    return status;
  }

  /** `truncateHistory`: revisions no pod uses and that are neither current nor update, beyond `revisionHistoryLimit`, oldest first. */
  private truncateHistory(set: KubeObject, revisions: Revisions, members: StatefulSetPods, status: StatefulSetStatus): void {
    const limit = specOf(set).revisionHistoryLimit ?? 10;
    if (revisions.all.length <= limit) return; // nothing beyond the limit, whatever the pods use
    const used = new Set(members.all().map(revisionOf));
    used.add(status.currentRevision);
    used.add(status.updateRevision);
    const history = revisions.all.filter((r) => !used.has(r.metadata.name));
    for (const r of history.slice(0, Math.max(0, history.length - limit))) {
      try {
        this.store.delete(controllerRevisions, r.metadata.namespace, r.metadata.name);
      } catch (e) {
        if (!(e instanceof DomainError)) throw e;
      }
    }
  }
}
