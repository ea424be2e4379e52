/**
 * One sync of one Deployment (upstream's `syncDeployment` and what it calls:
 * sync.go, rolling.go, recreate.go): finding the new and old ReplicaSets
 * (creating the new one, numbering revisions), scaling them (proportionally
 * while a rollout is under way), rolling out (RollingUpdate, Recreate),
 * cleaning up old ReplicaSets, and writing the status deployment-status.ts
 * computes.
 */
import { DomainError } from '../../common/domain-error';
import {
  DeploymentReason,
  DeploymentSpec,
  DeploymentStatus,
  DESIRED_REPLICAS_ANNOTATION,
  MAX_REPLICAS_ANNOTATION,
  POD_TEMPLATE_HASH_LABEL,
  ReplicaSetSpec,
  REVISION_ANNOTATION,
} from '../resources/workload.types';
import { LabelSelector } from '../store/label-selector';
import { deepEqual, ObjectStore } from '../store/object-store';
import { resourceTypeByKey } from '../store/resource-types';
import { KubeObject, ObjectInput } from '../store/types';
import type { DeploymentController } from './deployment.controller';
import { calculateStatus, pausedStatus, rolloutStatus, stuckRecheckAt } from './deployment-status';
import { byCreation, computeHash, controllerRefOf, newControllerRef, nowMs, objectKey, OWNED, podStatusOf } from './pod-template';
import {
  activeSets,
  byRevision,
  bySizeNewer,
  bySizeOlder,
  deploymentComplete,
  equalIgnoreHash,
  getCondition,
  hasProgressDeadline,
  intAnnotation,
  isRollingUpdate,
  maxSurge,
  maxUnavailable,
  newRSNewReplicas,
  newCondition,
  num,
  replicasOf,
  revisionOf,
  roundHalfAway,
  rsSpecOf,
  rsStatusOf,
  setCondition,
  setNewReplicaSetAnnotations,
  specOf,
  sum,
} from './deployment-util';

const deployments = resourceTypeByKey('deployments.apps')!;
const replicasets = resourceTypeByKey('replicasets.apps')!;
const pods = resourceTypeByKey('pods')!;

/** One sync of one Deployment (`syncDeployment` and what it calls), holding the latest Deployment object. */
export class DeploymentSync {
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
      const changed = setNewReplicaSetAnnotations(this.d, annotations, newRevision, true);
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
    const count = newRSNewReplicas(this.d, [...oldRSs, draft], draft);
    (draft.spec as ReplicaSetSpec).replicas = count;
    const annotations: Record<string, string> = {};
    setNewReplicaSetAnnotations(this.d, annotations, newRevision, false);
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

  /** `checkPausedConditions`. */
  private checkPausedConditions(): void {
    const status = pausedStatus(this.d, this.store.now());
    if (status) this.writeStatus(status);
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
    this.writeStatus(calculateStatus(this.d, [...latest.oldRSs, ...(latest.newRS ? [latest.newRS] : [])], latest.newRS, this.store.now()));
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
    return this.scaleAndRecord(newRS, newRSNewReplicas(this.d, [...oldRSs, newRS], newRS)).scaled;
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

  /** `syncRolloutStatus`: writes the rollout's status (see deployment-status.ts); unchanged, looks again at the progress deadline. */
  private syncRolloutStatus(): void {
    const { newRS, oldRSs } = this.getAllReplicaSets(false);
    const next = rolloutStatus(this.d, [...oldRSs, ...(newRS ? [newRS] : [])], newRS, this.store.now(), nowMs(this.store));
    if (!deepEqual(next, this.d.status)) {
      this.writeStatus(next);
      return;
    }
    const at = stuckRecheckAt(this.d, next);
    if (at !== undefined) this.controller.wakeUps.at(objectKey(this.d), at, nowMs(this.store));
  }
}
