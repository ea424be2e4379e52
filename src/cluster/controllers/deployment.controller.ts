import { DomainError } from '../../common/domain-error';
import {
  DeploymentCondition,
  DeploymentReason,
  DeploymentSpec,
  DeploymentStatus,
  DESIRED_REPLICAS_ANNOTATION,
  MAX_REPLICAS_ANNOTATION,
  POD_TEMPLATE_HASH_LABEL,
  ReplicaSetSpec,
  REVISION_ANNOTATION,
  REVISION_HISTORY_ANNOTATION,
} from '../resources/workload.types';
import { compileSelector, LabelSelector } from '../store/label-selector';
import { deepEqual, ObjectStore } from '../store/object-store';
import { resourceTypeByKey } from '../store/resource-types';
import { KubeObject, ObjectInput, StoredEvent } from '../store/types';
import { Budget, Controller, UNBOUNDED } from './controller-manager';
import { recordEvent } from './events';
import {
  byCreation,
  claim,
  OwnerWork,
  computeHash,
  controllerRefOf,
  newControllerRef,
  nowMs,
  objectKey,
  OWNED,
  podStatusOf,
  WakeUps,
  WorkloadControllerOptions,
} from './pod-template';
import {
  activeSets,
  ANNOTATIONS_NOT_COPIED,
  byRevision,
  bySizeNewer,
  bySizeOlder,
  deploymentComplete,
  deploymentProgressing,
  equalIgnoreHash,
  getCondition,
  hasProgressDeadline,
  intAnnotation,
  isRollingUpdate,
  MAX_REVISION_HISTORY_CHARS,
  maxSurge,
  maxUnavailable,
  newCondition,
  num,
  removeCondition,
  replicasOf,
  revisionOf,
  roundHalfAway,
  rsSpecOf,
  rsStatusOf,
  setCondition,
  specOf,
  sum,
} from './deployment-util';

const deployments = resourceTypeByKey('deployments.apps')!;
const replicasets = resourceTypeByKey('replicasets.apps')!;
const pods = resourceTypeByKey('pods')!;

// ---- the controller ----------------------------------------------------------------

/**
 * The Deployment controller: a Deployment owns ReplicaSets named
 * `<deployment>-<pod-template-hash>`; the one whose template is the
 * Deployment's is the new one, the others are old. It scales (a change of
 * `spec.replicas` goes to the active ReplicaSets, proportionally during a
 * rollout), rolls out template changes (RollingUpdate within `maxSurge` and
 * `maxUnavailable`, progress gated on pods becoming available; Recreate:
 * old pods gone first), keeps `revisionHistoryLimit` old ReplicaSets,
 * numbers revisions, and fills `status` and its `Available`/`Progressing`
 * conditions. Deleting a Deployment deletes its ReplicaSets (the garbage
 * collector's job, done here).
 *
 * It reads availability from the ReplicaSets' status, so it waits until the
 * ReplicaSet controller has seen each ReplicaSet's latest spec; register
 * the ReplicaSet controller before this one so a settle round reads fresh
 * status.
 */
export class DeploymentController implements Controller {
  readonly name = 'deployment-controller';
  private readonly work: OwnerWork;

  constructor(
    readonly store: ObjectStore,
    options: WorkloadControllerOptions = {},
  ) {
    this.work = new OwnerWork(store, deployments, replicasets, (d) => compileSelector(specOf(d).selector), new WakeUps(options.wakeUp), { onFault: options.onFault, name: 'deployment-controller' });
    this.work.scan();
  }

  get wakeUps(): WakeUps {
    return this.work.wakeUps;
  }

  /** Records an Event about `object` from this controller (`source.component` is the controller's name). */
  event(object: KubeObject, type: 'Normal' | 'Warning', reason: string, message: string): void {
    recordEvent(this.store, object, type, reason, message, { component: this.name });
  }

  observe(event: StoredEvent): void {
    switch (event.resource) {
      case 'deployments.apps':
        this.work.ownerEvent(event);
        break;
      case 'replicasets.apps':
        this.work.dependentEvent(event);
        break;
      case 'pods':
        this.queueForPod(event);
        break;
    }
  }

  reconcile(budget: Budget = UNBOUNDED): boolean {
    return this.work.run(budget, (d) => this.sync(d));
  }

  unfinished(): boolean {
    return this.work.unfinished;
  }

  /** A Recreate rollout waits for old pods to be gone: pod deletions and phase changes wake it. */
  private queueForPod(event: StoredEvent): void {
    if (event.type === 'ADDED') return;
    if (event.type === 'MODIFIED' && podStatusOf(event.object).phase === (event.previous ? podStatusOf(event.previous).phase : undefined)) return;
    const ref = controllerRefOf(event.object);
    if (ref?.kind !== 'ReplicaSet') return;
    const namespace = event.object.metadata.namespace;
    const rs = this.store.tryGet(replicasets, namespace, ref.name);
    const owner = controllerRefOf(rs);
    if (owner?.kind !== 'Deployment') return;
    const d = this.store.tryGet(deployments, namespace, owner.name);
    if (d && specOf(d).strategy?.type === 'Recreate') this.work.queue.add(objectKey(d));
  }

  private sync(d: KubeObject): void {
    const selector = compileSelector(specOf(d).selector);
    if (selector.isEverything) {
      this.event(d, 'Warning', 'SelectingAll', 'This deployment is selecting all pods. A non-empty selector is required.');
      return;
    }
    const candidates = [...this.store.list(replicasets, { namespace: d.metadata.namespace, labelSelector: selector }).items, ...this.work.dependentsOf(d)];
    const rsList = claim({ store: this.store, type: replicasets, owner: d, selector }, candidates);
    // Availability comes from ReplicaSet status: wait until it describes the latest spec.
    if (rsList.some((rs) => num(rsStatusOf(rs).observedGeneration) < rs.metadata.generation)) return;
    new DeploymentSync(this, d, rsList, selector).run();
  }
}

/** One sync of one Deployment (`syncDeployment` and what it calls), holding the latest Deployment object. */
class DeploymentSync {
  private readonly store: ObjectStore;

  constructor(
    private readonly controller: DeploymentController,
    private d: KubeObject,
    private rsList: KubeObject[],
    private readonly selector: LabelSelector,
  ) {
    this.store = controller.store;
  }

  private get spec(): DeploymentSpec {
    return specOf(this.d);
  }

  private get replicas(): number {
    return this.spec.replicas ?? 1;
  }

  run(): void {
    this.checkPausedConditions();
    if (this.spec.paused || this.isScalingEvent()) {
      this.syncScale();
      return;
    }
    if (this.spec.strategy?.type === 'Recreate') this.rolloutRecreate();
    else this.rolloutRolling();
  }

  // ---- writes to the Deployment ----

  private writeStatus(status: DeploymentStatus): void {
    if (deepEqual(status, this.d.status)) return;
    this.d = this.store.updateStatus(deployments, this.d.metadata.namespace, this.d.metadata.name, { status }, OWNED);
  }

  private statusCopy(): DeploymentStatus {
    return structuredClone((this.d.status ?? {}) as DeploymentStatus);
  }

  /** `SetDeploymentRevision` (upstream writes it with the status; the status write here leaves metadata alone). */
  private setRevision(revision: string): void {
    if (this.d.metadata.annotations?.[REVISION_ANNOTATION] === revision) return;
    this.d = this.store.patch(deployments, this.d.metadata.namespace, this.d.metadata.name, { metadata: { annotations: { [REVISION_ANNOTATION]: revision } } }, OWNED);
  }

  // ---- ReplicaSets ----

  private latest(rs: KubeObject): KubeObject | undefined {
    return this.store.tryGet(replicasets, rs.metadata.namespace, rs.metadata.name);
  }

  private refresh(list: Array<KubeObject | undefined>): KubeObject[] {
    return list.flatMap((rs) => {
      const now = rs && this.latest(rs);
      return now ? [now] : [];
    });
  }

  /** `getAllReplicaSetsAndSyncRevision`: the new ReplicaSet (created if asked and missing) and the old ones. */
  private getAllReplicaSets(createIfMissing: boolean): { newRS?: KubeObject; oldRSs: KubeObject[] } {
    this.rsList = this.refresh(this.rsList).sort(byCreation);
    const existing = this.rsList.find((rs) => equalIgnoreHash(rsSpecOf(rs).template, this.spec.template));
    const oldRSs = this.rsList.filter((rs) => rs !== existing);
    const newRS = this.getNewReplicaSet(existing, oldRSs, createIfMissing);
    return { newRS, oldRSs };
  }

  private getNewReplicaSet(existing: KubeObject | undefined, oldRSs: KubeObject[], createIfMissing: boolean): KubeObject | undefined {
    const newRevision = String(Math.max(0, ...oldRSs.map(revisionOf)) + 1);
    const now = this.store.now();
    if (existing) {
      const annotations = { ...existing.metadata.annotations };
      const changed = this.setNewReplicaSetAnnotations(annotations, newRevision, true);
      const minReady = this.spec.minReadySeconds;
      if (changed || rsSpecOf(existing).minReadySeconds !== minReady) {
        const spec = { ...rsSpecOf(existing), minReadySeconds: minReady };
        if (!minReady) delete spec.minReadySeconds;
        const updated = this.store.update(replicasets, existing.metadata.namespace, existing.metadata.name, { ...existing, metadata: { ...existing.metadata, resourceVersion: undefined, annotations }, spec }, OWNED);
        this.rsList = this.rsList.map((rs) => (rs === existing ? updated : rs));
        return updated;
      }
      this.setRevision(existing.metadata.annotations?.[REVISION_ANNOTATION] ?? newRevision);
      if (hasProgressDeadline(this.d) && !getCondition(this.d.status as DeploymentStatus, 'Progressing')) {
        const status = this.statusCopy();
        setCondition(status, newCondition('Progressing', 'True', DeploymentReason.FoundNewReplicaSet, `Found new replica set "${existing.metadata.name}"`, now));
        this.writeStatus(status);
      }
      return existing;
    }
    if (!createIfMissing) return undefined;

    const collisionCount = (this.d.status as DeploymentStatus | undefined)?.collisionCount;
    const hash = computeHash(this.spec.template, collisionCount);
    const template = structuredClone(this.spec.template ?? {});
    template.metadata = { ...template.metadata, labels: { ...template.metadata?.labels, [POD_TEMPLATE_HASH_LABEL]: hash } };
    const selector = structuredClone(this.spec.selector ?? {});
    selector.matchLabels = { ...selector.matchLabels, [POD_TEMPLATE_HASH_LABEL]: hash };
    const name = `${this.d.metadata.name}-${hash}`;
    const draft: KubeObject = {
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: {
        name,
        namespace: this.d.metadata.namespace,
        uid: '',
        resourceVersion: '',
        generation: 0,
        creationTimestamp: now,
        labels: { ...template.metadata.labels },
        ownerReferences: [newControllerRef(this.d)],
      },
      spec: {
        replicas: 0,
        ...(this.spec.minReadySeconds ? { minReadySeconds: this.spec.minReadySeconds } : {}),
        selector,
        template,
      } satisfies ReplicaSetSpec,
    };
    const count = this.newRSNewReplicas([...oldRSs, draft], draft);
    (draft.spec as ReplicaSetSpec).replicas = count;
    const annotations: Record<string, string> = {};
    this.setNewReplicaSetAnnotations(annotations, newRevision, false);
    draft.metadata.annotations = annotations;

    let created: KubeObject;
    let alreadyExisted = false;
    try {
      const input: ObjectInput = { metadata: { name, labels: draft.metadata.labels, annotations, ownerReferences: draft.metadata.ownerReferences }, spec: draft.spec };
      created = this.store.create(replicasets, input, this.d.metadata.namespace, OWNED);
    } catch (e) {
      if (!(e instanceof DomainError)) throw e;
      if (e.code === 'ALREADY_EXISTS') {
        const found = this.store.tryGet(replicasets, this.d.metadata.namespace, name)!;
        if (controllerRefOf(found)?.uid === this.d.metadata.uid && equalIgnoreHash(this.spec.template, rsSpecOf(found).template)) {
          created = found;
          alreadyExisted = true;
        } else {
          // A hash collision: count it; the next sync hashes with the new count.
          const status = this.statusCopy();
          status.collisionCount = (status.collisionCount ?? 0) + 1;
          this.writeStatus(status);
          return undefined;
        }
      } else {
        const message = `Failed to create new replica set "${name}": ${e.message}`;
        if (hasProgressDeadline(this.d)) {
          const status = this.statusCopy();
          setCondition(status, newCondition('Progressing', 'False', DeploymentReason.FailedReplicaSetCreate, message, now));
          this.writeStatus(status);
        }
        this.controller.event(this.d, 'Warning', DeploymentReason.FailedReplicaSetCreate, message);
        return undefined;
      }
    }
    if (!alreadyExisted && count > 0) {
      this.controller.event(this.d, 'Normal', 'ScalingReplicaSet', `Scaled up replica set ${created.metadata.name} from 0 to ${count}`);
    }
    this.rsList = [...this.rsList, created];
    this.setRevision(newRevision);
    if (!alreadyExisted && hasProgressDeadline(this.d)) {
      const status = this.statusCopy();
      setCondition(status, newCondition('Progressing', 'True', DeploymentReason.NewReplicaSetCreated, `Created new replica set "${created.metadata.name}"`, now));
      this.writeStatus(status);
    }
    return created;
  }

  /** `SetNewReplicaSetAnnotations`: copied Deployment annotations, the revision (and its history on a rollback), replica annotations for a new one. */
  private setNewReplicaSetAnnotations(annotations: Record<string, string>, newRevision: string, exists: boolean): boolean {
    let changed = false;
    for (const [k, v] of Object.entries(this.d.metadata.annotations ?? {})) {
      if (ANNOTATIONS_NOT_COPIED.has(k) || annotations[k] === v) continue;
      annotations[k] = v;
      changed = true;
    }
    const oldRevision = annotations[REVISION_ANNOTATION];
    let oldInt = 0;
    if (oldRevision !== undefined && oldRevision !== '') {
      if (!/^-?[0-9]+$/.test(oldRevision)) return false;
      oldInt = Number(oldRevision);
    }
    const newInt = Number(newRevision);
    if (oldInt < newInt) {
      annotations[REVISION_ANNOTATION] = newRevision;
      changed = true;
    }
    if (oldRevision !== undefined && oldInt < newInt) {
      const history = annotations[REVISION_HISTORY_ANNOTATION] ?? '';
      if (history === '') {
        annotations[REVISION_HISTORY_ANNOTATION] = oldRevision;
      } else {
        let revisions = history.split(',');
        let total = history.length + oldRevision.length + 1;
        let start = 0;
        while (total > MAX_REVISION_HISTORY_CHARS && start < revisions.length) {
          total -= revisions[start].length + 1;
          start++;
        }
        if (total <= MAX_REVISION_HISTORY_CHARS) {
          revisions = [...revisions.slice(start), oldRevision];
          annotations[REVISION_HISTORY_ANNOTATION] = revisions.join(',');
        }
      }
    }
    if (!exists) {
      annotations[DESIRED_REPLICAS_ANNOTATION] = String(this.replicas);
      annotations[MAX_REPLICAS_ANNOTATION] = String(this.replicas + maxSurge(this.d));
      changed = true;
    }
    return changed;
  }

  /** `NewRSNewReplicas`: how big the new ReplicaSet may be now. */
  private newRSNewReplicas(allRSs: KubeObject[], newRS: KubeObject): number {
    if (!isRollingUpdate(this.d)) return this.replicas;
    const surge = maxSurge(this.d);
    const current = sum(allRSs, replicasOf);
    const maxTotal = this.replicas + surge;
    if (current >= maxTotal) return replicasOf(newRS);
    const scaleUp = Math.min(maxTotal - current, this.replicas - replicasOf(newRS));
    return replicasOf(newRS) + scaleUp;
  }

  private scaleAndRecord(rs: KubeObject, newScale: number): { scaled: boolean; rs: KubeObject } {
    if (replicasOf(rs) === newScale) return { scaled: false, rs };
    return this.scaleReplicaSet(rs, newScale, replicasOf(rs) < newScale ? 'up' : 'down');
  }

  /** Sets `spec.replicas` and the desired/max replica annotations; records `ScalingReplicaSet` when the size changed. */
  private scaleReplicaSet(stale: KubeObject, newScale: number, operation: string): { scaled: boolean; rs: KubeObject } {
    const rs = this.latest(stale) ?? stale;
    const oldScale = replicasOf(rs);
    const desired = String(this.replicas);
    const max = String(this.replicas + maxSurge(this.d));
    const annotations = rs.metadata.annotations ?? {};
    const sizeChanged = oldScale !== newScale;
    if (!sizeChanged && annotations[DESIRED_REPLICAS_ANNOTATION] === desired && annotations[MAX_REPLICAS_ANNOTATION] === max) return { scaled: false, rs };
    const updated = this.store.update(
      replicasets,
      rs.metadata.namespace,
      rs.metadata.name,
      {
        ...rs,
        metadata: {
          ...rs.metadata,
          resourceVersion: undefined,
          annotations: { ...annotations, [DESIRED_REPLICAS_ANNOTATION]: desired, [MAX_REPLICAS_ANNOTATION]: max },
        },
        spec: { ...rsSpecOf(rs), replicas: newScale },
      },
      OWNED,
    );
    this.rsList = this.rsList.map((x) => (x.metadata.uid === updated.metadata.uid ? updated : x));
    if (sizeChanged) {
      this.controller.event(this.d, 'Normal', 'ScalingReplicaSet', `Scaled ${operation} replica set ${rs.metadata.name} from ${oldScale} to ${newScale}`);
    }
    return { scaled: sizeChanged, rs: updated };
  }

  // ---- pause and scaling ----

  private checkPausedConditions(): void {
    if (!hasProgressDeadline(this.d)) return;
    const current = getCondition(this.d.status as DeploymentStatus, 'Progressing');
    if (current?.reason === DeploymentReason.ProgressDeadlineExceeded) return;
    const pausedShown = current?.reason === DeploymentReason.DeploymentPaused;
    const now = this.store.now();
    const status = this.statusCopy();
    if (this.spec.paused && !pausedShown) {
      setCondition(status, newCondition('Progressing', 'Unknown', DeploymentReason.DeploymentPaused, 'Deployment is paused', now));
    } else if (!this.spec.paused && pausedShown) {
      setCondition(status, newCondition('Progressing', 'Unknown', DeploymentReason.DeploymentResumed, 'Deployment is resumed', now));
    } else return;
    this.writeStatus(status);
  }

  /** `isScalingEvent`: an active ReplicaSet was sized for a different `spec.replicas`. */
  private isScalingEvent(): boolean {
    const { newRS, oldRSs } = this.getAllReplicaSets(false);
    for (const rs of activeSets([...oldRSs, newRS])) {
      const desired = intAnnotation(rs, DESIRED_REPLICAS_ANNOTATION);
      if (desired !== undefined && desired !== this.replicas) return true;
    }
    return false;
  }

  /** `sync`: scaling (or a paused Deployment): resize, clean up when paused, update status. */
  private syncScale(): void {
    const { newRS, oldRSs } = this.getAllReplicaSets(false);
    this.scale(newRS, oldRSs);
    const after = this.getAllReplicaSets(false);
    if (this.spec.paused) this.cleanup(after.oldRSs);
    const latest = this.getAllReplicaSets(false);
    this.writeStatus(this.calculateStatus([...latest.oldRSs, ...(latest.newRS ? [latest.newRS] : [])], latest.newRS));
  }

  private scale(newRS: KubeObject | undefined, oldRSs: KubeObject[]): void {
    const active = activeSets([...oldRSs, newRS]);
    // One active ReplicaSet (or none): it (or the newest) takes all replicas.
    if (active.length <= 1) {
      const target = active[0] ?? newRS ?? [...oldRSs].sort((a, b) => byCreation(b, a))[0];
      if (target && replicasOf(target) !== this.replicas) this.scaleAndRecord(target, this.replicas);
      return;
    }
    // A saturated new ReplicaSet: the old ones go.
    if (
      newRS &&
      replicasOf(newRS) === this.replicas &&
      intAnnotation(newRS, DESIRED_REPLICAS_ANNOTATION) === this.replicas &&
      num(rsStatusOf(newRS).availableReplicas) === this.replicas
    ) {
      for (const old of activeSets(oldRSs)) this.scaleAndRecord(old, 0);
      return;
    }
    if (!isRollingUpdate(this.d)) return;
    // Proportional scaling across the active ReplicaSets, by their share of the previous size.
    const total = sum(active, replicasOf);
    const allowed = this.replicas > 0 ? this.replicas + maxSurge(this.d) : 0;
    const toAdd = allowed - total;
    let operation = '';
    if (toAdd > 0) {
      active.sort(bySizeNewer);
      operation = 'up';
    } else if (toAdd < 0) {
      active.sort(bySizeOlder);
      operation = 'down';
    }
    let added = 0;
    const sizes = active.map((rs) => {
      if (toAdd === 0) return replicasOf(rs);
      const proportion = this.proportion(rs, toAdd, added);
      added += proportion;
      return replicasOf(rs) + proportion;
    });
    active.forEach((rs, i) => {
      let size = sizes[i];
      if (i === 0 && toAdd !== 0) size = Math.max(0, size + toAdd - added);
      this.scaleReplicaSet(rs, size, operation);
    });
  }

  /** `GetReplicaSetProportion`. */
  private proportion(rs: KubeObject, toAdd: number, added: number): number {
    if (replicasOf(rs) === 0 || toAdd === 0 || toAdd === added) return 0;
    const allowed = toAdd - added;
    const fraction = this.fraction(rs);
    return toAdd > 0 ? Math.min(fraction, allowed) : Math.max(fraction, allowed);
  }

  /** `getReplicaSetFraction`: the ReplicaSet's size scaled by the Deployment's change of maximum size. */
  private fraction(rs: KubeObject): number {
    if (this.replicas === 0) return -replicasOf(rs);
    const maxNow = this.replicas + maxSurge(this.d);
    let maxBefore = intAnnotation(rs, MAX_REPLICAS_ANNOTATION);
    if (maxBefore === undefined || maxBefore === 0) maxBefore = num((this.d.status as DeploymentStatus | undefined)?.replicas);
    if (maxBefore === 0) return 0;
    return roundHalfAway((replicasOf(rs) * maxNow) / maxBefore) - replicasOf(rs);
  }

  /** `cleanupDeployment`: old ReplicaSets beyond `revisionHistoryLimit`, lowest revisions first, if scaled to 0. */
  private cleanup(oldRSs: KubeObject[]): void {
    const limit = this.spec.revisionHistoryLimit;
    if (limit === undefined) return;
    const cleanable = oldRSs.filter((rs) => rs.metadata.deletionTimestamp === undefined);
    const diff = cleanable.length - limit;
    if (diff <= 0) return;
    cleanable.sort(byRevision);
    for (const rs of cleanable.slice(0, diff)) {
      if (num(rsStatusOf(rs).replicas) !== 0 || replicasOf(rs) !== 0 || rs.metadata.generation > num(rsStatusOf(rs).observedGeneration)) continue;
      try {
        this.store.delete(replicasets, rs.metadata.namespace, rs.metadata.name);
      } catch (e) {
        if (!(e instanceof DomainError)) throw e;
      }
    }
  }

  // ---- rollouts ----

  /** `rolloutRolling`: scale the new ReplicaSet up within `maxSurge`, the old ones down within `maxUnavailable`. */
  private rolloutRolling(): void {
    const { newRS, oldRSs } = this.getAllReplicaSets(true);
    if (!newRS) return; // not created (collision or refusal): the status says why; the next event retries
    if (this.reconcileNewReplicaSet(newRS, oldRSs) || this.reconcileOldReplicaSets()) {
      this.syncRolloutStatus();
      return;
    }
    if (deploymentComplete(this.d, (this.d.status ?? {}) as DeploymentStatus)) this.cleanup(this.getAllReplicaSets(false).oldRSs);
    this.syncRolloutStatus();
  }

  private reconcileNewReplicaSet(newRS: KubeObject, oldRSs: KubeObject[]): boolean {
    if (replicasOf(newRS) === this.replicas) return false;
    if (replicasOf(newRS) > this.replicas) return this.scaleAndRecord(newRS, this.replicas).scaled;
    return this.scaleAndRecord(newRS, this.newRSNewReplicas([...oldRSs, newRS], newRS)).scaled;
  }

  private reconcileOldReplicaSets(): boolean {
    const { newRS, oldRSs } = this.getAllReplicaSets(false);
    if (!newRS) return false;
    const oldPods = sum(oldRSs, replicasOf);
    if (oldPods === 0) return false;
    const allPods = oldPods + replicasOf(newRS);
    const minAvailable = this.replicas - maxUnavailable(this.d);
    const newUnavailable = replicasOf(newRS) - num(rsStatusOf(newRS).availableReplicas);
    const maxScaledDown = allPods - minAvailable - newUnavailable;
    if (maxScaledDown <= 0) return false;
    const cleaned = this.cleanupUnhealthyReplicas(activeSets(oldRSs), maxScaledDown);
    const latest = this.getAllReplicaSets(false);
    const scaledDown = this.scaleDownOldForRollingUpdate([...latest.oldRSs, ...(latest.newRS ? [latest.newRS] : [])], activeSets(latest.oldRSs));
    return cleaned + scaledDown > 0;
  }

  /** `cleanupUnhealthyReplicas`: old pods that are not available go first, oldest ReplicaSet first. */
  private cleanupUnhealthyReplicas(oldRSs: KubeObject[], maxCleanup: number): number {
    let total = 0;
    for (const rs of [...oldRSs].sort(byCreation)) {
      if (total >= maxCleanup) break;
      const replicas = replicasOf(rs);
      const available = num(rsStatusOf(rs).availableReplicas);
      if (replicas === 0 || replicas === available) continue;
      const count = Math.min(maxCleanup - total, replicas - available);
      if (count < 0) continue; // stale status; upstream reports an error and retries
      this.scaleAndRecord(rs, replicas - count);
      total += count;
    }
    return total;
  }

  /** `scaleDownOldReplicaSetsForRollingUpdate`: down to `replicas - maxUnavailable` available pods, oldest first. */
  private scaleDownOldForRollingUpdate(allRSs: KubeObject[], oldRSs: KubeObject[]): number {
    const minAvailable = this.replicas - maxUnavailable(this.d);
    const available = sum(allRSs, (rs) => num(rsStatusOf(rs).availableReplicas));
    if (available <= minAvailable) return 0;
    const toScaleDown = available - minAvailable;
    let scaledDown = 0;
    for (const rs of [...oldRSs].sort(byCreation)) {
      if (scaledDown >= toScaleDown) break;
      if (replicasOf(rs) === 0) continue;
      const count = Math.min(replicasOf(rs), toScaleDown - scaledDown);
      this.scaleAndRecord(rs, replicasOf(rs) - count);
      scaledDown += count;
    }
    return scaledDown;
  }

  /** `rolloutRecreate`: old ReplicaSets to 0, wait until no old pod runs, then the new one at full size. */
  private rolloutRecreate(): void {
    const first = this.getAllReplicaSets(false);
    let scaledDown = false;
    for (const rs of activeSets(first.oldRSs)) {
      if (this.scaleAndRecord(rs, 0).scaled) scaledDown = true;
    }
    if (scaledDown || this.oldPodsRunning(first.newRS, this.getAllReplicaSets(false).oldRSs)) {
      this.syncRolloutStatus();
      return;
    }
    const { newRS } = this.getAllReplicaSets(true);
    if (!newRS) return;
    this.scaleAndRecord(newRS, this.replicas);
    if (deploymentComplete(this.d, (this.d.status ?? {}) as DeploymentStatus)) this.cleanup(this.getAllReplicaSets(false).oldRSs);
    this.syncRolloutStatus();
  }

  private oldPodsRunning(newRS: KubeObject | undefined, oldRSs: KubeObject[]): boolean {
    if (sum(oldRSs, (rs) => num(rsStatusOf(rs).replicas)) > 0) return true;
    const uids = new Set(this.rsList.map((rs) => rs.metadata.uid));
    if (newRS) uids.delete(newRS.metadata.uid);
    for (const pod of this.store.list(pods, { namespace: this.d.metadata.namespace, labelSelector: this.selector }).items) {
      const ref = controllerRefOf(pod);
      if (!ref || !uids.has(ref.uid)) continue;
      const phase = podStatusOf(pod).phase;
      if (phase !== 'Failed' && phase !== 'Succeeded') return true;
    }
    return false;
  }

  // ---- status ----

  /** `calculateStatus`: counts from the ReplicaSets, and the `Available` condition. */
  private calculateStatus(allRSs: KubeObject[], newRS: KubeObject | undefined): DeploymentStatus {
    const previous = (this.d.status ?? {}) as DeploymentStatus;
    const available = sum(allRSs, (rs) => num(rsStatusOf(rs).availableReplicas));
    const unavailable = Math.max(0, sum(allRSs, replicasOf) - available);
    const status: DeploymentStatus = {};
    const counts: Array<[keyof DeploymentStatus, number]> = [
      ['observedGeneration', this.d.metadata.generation],
      ['replicas', sum(allRSs, (rs) => num(rsStatusOf(rs).replicas))],
      ['updatedReplicas', newRS ? num(rsStatusOf(newRS).replicas) : 0],
      ['readyReplicas', sum(allRSs, (rs) => num(rsStatusOf(rs).readyReplicas))],
      ['availableReplicas', available],
      ['unavailableReplicas', unavailable],
    ];
    // Zero counts are left out, as Go's `omitempty` leaves them out.
    for (const [k, v] of counts) if (v) (status as Record<string, number>)[k] = v;
    if (previous.conditions?.length) status.conditions = previous.conditions.map((c) => ({ ...c }));
    if (previous.collisionCount !== undefined) status.collisionCount = previous.collisionCount;
    const now = this.store.now();
    if (available >= this.replicas - maxUnavailable(this.d)) {
      setCondition(status, newCondition('Available', 'True', DeploymentReason.MinimumReplicasAvailable, 'Deployment has minimum availability.', now));
    } else {
      setCondition(status, newCondition('Available', 'False', DeploymentReason.MinimumReplicasUnavailable, 'Deployment does not have minimum availability.', now));
    }
    return status;
  }

  /** `syncRolloutStatus`: counts, `Available`, and `Progressing` (progress, completion, deadline). */
  private syncRolloutStatus(): void {
    const { newRS, oldRSs } = this.getAllReplicaSets(false);
    const allRSs = [...oldRSs, ...(newRS ? [newRS] : [])];
    const next = this.calculateStatus(allRSs, newRS);
    const now = this.store.now();
    if (!hasProgressDeadline(this.d)) removeCondition(next, 'Progressing');
    const current = getCondition(this.d.status as DeploymentStatus, 'Progressing');
    const complete = num(next.replicas) === num(next.updatedReplicas) && current?.reason === DeploymentReason.NewReplicaSetAvailable;
    if (hasProgressDeadline(this.d) && !complete) {
      const subject = newRS ? `ReplicaSet "${newRS.metadata.name}"` : `Deployment "${this.d.metadata.name}"`;
      if (deploymentComplete(this.d, next)) {
        setCondition(next, newCondition('Progressing', 'True', DeploymentReason.NewReplicaSetAvailable, `${subject} has successfully progressed.`, now));
      } else if (deploymentProgressing(this.d, next)) {
        const condition = newCondition('Progressing', 'True', DeploymentReason.ReplicaSetUpdated, `${subject} is progressing.`, now);
        if (current) {
          if (current.status === 'True') condition.lastTransitionTime = current.lastTransitionTime;
          removeCondition(next, 'Progressing');
        }
        setCondition(next, condition);
      } else if (this.timedOut(next)) {
        setCondition(next, newCondition('Progressing', 'False', DeploymentReason.ProgressDeadlineExceeded, `${subject} has timed out progressing.`, now));
      }
    }
    const failures = this.replicaFailures(allRSs, newRS);
    if (failures) setCondition(next, failures);
    else removeCondition(next, 'ReplicaFailure');
    if (deepEqual(next, this.d.status)) {
      this.requeueStuck(next);
      return;
    }
    this.writeStatus(next);
  }

  /** `DeploymentTimedOut`: no progress recorded for `progressDeadlineSeconds`. */
  private timedOut(status: DeploymentStatus): boolean {
    const condition = getCondition(status, 'Progressing');
    if (!condition || condition.reason === DeploymentReason.NewReplicaSetAvailable) return false;
    if (condition.reason === DeploymentReason.ProgressDeadlineExceeded) return true;
    const from = Date.parse(condition.lastUpdateTime);
    return from + this.spec.progressDeadlineSeconds! * 1000 < nowMs(this.store);
  }

  /** `requeueStuckDeployment`: look again when the deadline will have passed. */
  private requeueStuck(status: DeploymentStatus): void {
    const current = getCondition(this.d.status as DeploymentStatus, 'Progressing');
    if (!hasProgressDeadline(this.d) || !current) return;
    if (deploymentComplete(this.d, status) || current.reason === DeploymentReason.ProgressDeadlineExceeded) return;
    const at = Date.parse(current.lastUpdateTime) + (this.spec.progressDeadlineSeconds! + 1) * 1000;
    this.controller.wakeUps.at(objectKey(this.d), at, nowMs(this.store));
  }

  /** `ReplicaFailure` of the new ReplicaSet (else of an old one), as a Deployment condition. */
  private replicaFailures(allRSs: KubeObject[], newRS: KubeObject | undefined): DeploymentCondition | undefined {
    for (const rs of newRS ? [newRS, ...allRSs] : allRSs) {
      const c = rsStatusOf(rs).conditions?.find((x) => x.type === 'ReplicaFailure');
      if (c) return { type: 'ReplicaFailure', status: c.status, lastUpdateTime: c.lastTransitionTime, lastTransitionTime: c.lastTransitionTime, reason: c.reason, message: c.message };
    }
    return undefined;
  }
}
