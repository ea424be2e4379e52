import { DomainError } from '../../common/domain-error';
import { ReplicaSetCondition, ReplicaSetSpec, ReplicaSetStatus } from '../resources/workload.types';
import { compileSelector, LabelSelector } from '../store/label-selector';
import { deepEqual, ObjectStore } from '../store/object-store';
import { resourceKey, ResourceType, resourceTypeByKey } from '../store/resource-types';
import { KubeObject, StoredEvent } from '../store/types';
import { Budget, Controller, Steps, UNBOUNDED } from './controller-manager';
import { recordEvent } from './events';
import { podsToDeleteSteps } from './pod-deletion-order';
import { ReplicaSetPods } from './replicaset-pods';
import {
  availableAt,
  claim,
  OwnerWork,
  controllerRefOf,
  nowMs,
  objectKey,
  OWNED,
  OwnerIndex,
  podFromTemplate,
  REPLICASET_BURST,
  slowStartSteps,
  splitKey,
  WakeUps,
  WorkloadControllerOptions,
} from './pod-template';

const pods = resourceTypeByKey('pods')!;

/**
 * What a replica-keeping controller keeps: apps/v1 ReplicaSets, or core/v1
 * ReplicationControllers, which upstream's replication manager runs with the
 * ReplicaSet controller's own code (an RC's selector is a plain label map).
 */
export interface ReplicatedKind {
  readonly type: ResourceType;
  /** The controller's name: the `source.component` of its Events. */
  readonly component: string;
  selectorOf(owner: KubeObject): LabelSelector;
}

export const REPLICA_SETS: ReplicatedKind = {
  type: resourceTypeByKey('replicasets.apps')!,
  component: 'replicaset-controller',
  selectorOf: (rs) => compileSelector((rs.spec as ReplicaSetSpec).selector),
};

export const REPLICATION_CONTROLLERS: ReplicatedKind = {
  type: resourceTypeByKey('replicationcontrollers')!,
  component: 'replication-controller',
  selectorOf: (rc) => compileSelector({ matchLabels: ((rc.spec ?? {}) as { selector?: Record<string, string> }).selector ?? {} }),
};

/** Pods claimed per step of a sync. */
const CLAIM_STEP = 500;

function setFailure(status: ReplicaSetStatus, previous: ReplicaSetCondition[] | undefined, failure: { reason: string; message: string } | undefined, now: string): void {
  const current = previous?.find((c) => c.type === 'ReplicaFailure');
  const others = (previous ?? []).filter((c) => c.type !== 'ReplicaFailure');
  let conditions = others;
  if (failure) {
    conditions = current ? [...previous!] : [...others, { type: 'ReplicaFailure', status: 'True', lastTransitionTime: now, ...failure }];
  }
  if (conditions.length) status.conditions = conditions;
}

/**
 * The ReplicaSet controller: keeps `spec.replicas` active pods that match the
 * selector, adopting orphans and releasing pods it no longer selects; creates
 * pods from the template (`generateName: <rs>-`, the API server appends five
 * characters from the seeded random source) and deletes the surplus in
 * upstream's order; fills `status`. It also does the garbage collector's job
 * for ReplicaSets: when one is deleted, the pods it controlled go.
 */
export class ReplicaSetController implements Controller {
  readonly name: string;
  private readonly replicasets: ResourceType;
  private readonly work: OwnerWork;
  private readonly setsByOwner = new OwnerIndex();
  /** Per ReplicaSet key, its claimed active pods and their counts (see `ReplicaSetPods`). */
  private readonly podsBySet = new Map<string, ReplicaSetPods>();

  constructor(
    private readonly store: ObjectStore,
    options: WorkloadControllerOptions = {},
    private readonly kind: ReplicatedKind = REPLICA_SETS,
  ) {
    this.name = kind.component;
    this.replicasets = kind.type;
    this.work = new OwnerWork(store, kind.type, pods, (rs) => kind.selectorOf(rs), new WakeUps(options.wakeUp), { trackTouched: true, onFault: options.onFault, name: kind.component });
    // Pick up what exists already: every ReplicaSet is looked at once.
    for (const rs of store.list(kind.type).items) this.setsByOwner.add(rs);
    this.work.scan();
  }

  /** Records an Event about `object` from this controller (`source.component` is the controller's name). */
  event(object: KubeObject, type: 'Normal' | 'Warning', reason: string, message: string): void {
    recordEvent(this.store, object, type, reason, message, { component: this.name });
  }

  private get kindKey(): string {
    return resourceKey(this.replicasets);
  }

  observe(event: StoredEvent): void {
    if (event.resource === this.kindKey) {
      this.setsByOwner.observe(event);
      this.work.ownerEvent(event);
      if (event.type === 'DELETED') {
        this.podsBySet.delete(objectKey(event.object));
        this.work.takeTouched(objectKey(event.object));
      }
    } else if (event.resource === 'pods') {
      this.work.dependentEvent(event);
    }
  }

  reconcile(budget: Budget = UNBOUNDED): boolean {
    return this.work.run(budget, (rs) => this.sync(rs));
  }

  unfinished(): boolean {
    return this.work.unfinished;
  }

  /** One ReplicaSet's sync, one pod created or deleted per step. */
  private *sync(rs: KubeObject): Steps {
    const cache = yield* this.claimedPods(rs);
    let failure: { reason: string; message: string } | undefined;
    if (rs.metadata.deletionTimestamp === undefined) failure = yield* this.manageReplicas(rs, cache);
    // The ReplicaSet as it is now: a sync cut into steps may have let a write in meanwhile.
    const current = this.store.tryGet(this.replicasets, rs.metadata.namespace, rs.metadata.name);
    if (current?.metadata.uid === rs.metadata.uid) this.updateStatus(current, cache, failure);
  }

  /**
   * Claims the pods (adopts orphans the selector matches, releases controlled
   * pods it no longer matches) and returns the ReplicaSet's active pods. The
   * first sync (and one after the selector, template labels or
   * `minReadySeconds` changed) looks at every candidate; later ones only at
   * the pods whose events touched the ReplicaSet, and at those a claim could
   * not settle last time (a refused adoption or release is retried, as
   * upstream retries it on the next sync).
   */
  private *claimedPods(rs: KubeObject): Generator<void, ReplicaSetPods, void> {
    const key = objectKey(rs);
    const touched = this.work.takeTouched(key);
    const selector = this.kind.selectorOf(rs);
    const ctx = { store: this.store, type: pods, owner: rs, selector };
    const now = nowMs(this.store);
    let cache = this.podsBySet.get(key);
    let candidates: KubeObject[];
    if (!cache || !cache.fits(rs)) {
      cache = ReplicaSetPods.for(rs);
      this.podsBySet.set(key, cache);
      candidates = [...this.store.list(pods, { namespace: rs.metadata.namespace, labelSelector: selector }).items, ...this.ownedPods(rs)];
    } else {
      for (const podKey of cache.unsettled) touched.add(podKey);
      candidates = [];
      for (const podKey of touched) {
        const [namespace, name] = splitKey(podKey);
        const pod = this.store.tryGet(pods, namespace, name);
        if (pod) candidates.push(pod);
        else cache.remove(podKey);
      }
    }
    cache.unsettled.clear();
    const owning = rs.metadata.deletionTimestamp === undefined;
    // In name order (as one claim takes them), CLAIM_STEP pods per step: 20,000 pods that changed since the last sync are not one step.
    candidates = [...new Map(candidates.map((p) => [p.metadata.uid, p])).values()];
    candidates.sort((a, b) => (a.metadata.name < b.metadata.name ? -1 : a.metadata.name > b.metadata.name ? 1 : 0));
    for (let from = 0; from < candidates.length; from += CLAIM_STEP) {
      if (from > 0) yield;
      const chunk = candidates.slice(from, from + CLAIM_STEP);
      const claimed = new Map(claim(ctx, chunk).map((p) => [objectKey(p), p]));
      for (const pod of chunk) {
        const podKey = objectKey(pod);
        const got = claimed.get(podKey);
        if (got) {
          cache.put(podKey, got, now);
          continue;
        }
        cache.remove(podKey);
        // Still ours but unmatched, or an orphan we match: the claim was refused; try again next time.
        const ref = controllerRefOf(pod);
        const unsettled = ref ? ref.uid === rs.metadata.uid : selector.matches(pod.metadata.labels);
        if (unsettled && owning && pod.metadata.deletionTimestamp === undefined) cache.unsettled.add(podKey);
      }
    }
    return cache;
  }

  private ownedPods(rs: KubeObject): KubeObject[] {
    return this.work.dependentsOf(rs);
  }

  /** The active pods, as objects (for choosing which to delete). */
  private activePods(cache: ReplicaSetPods): KubeObject[] {
    return [...cache.pods()];
  }

  /** Creates or deletes pods until `spec.replicas` are active, recording them in `cache`; returns the failure, if any. */
  private *manageReplicas(rs: KubeObject, cache: ReplicaSetPods): Generator<void, { reason: string; message: string } | undefined, void> {
    const spec = rs.spec as ReplicaSetSpec;
    const replicas = spec.replicas ?? 1;
    const diff = cache.size - replicas;
    const now = nowMs(this.store);
    // At most REPLICASET_BURST pods per sync, as upstream; the ReplicaSet stays queued for the rest.
    if (Math.abs(diff) > REPLICASET_BURST) this.work.queue.add(objectKey(rs));
    if (diff < 0) {
      let failure: { reason: string; message: string } | undefined;
      yield* slowStartSteps(Math.min(-diff, REPLICASET_BURST), () => {
        try {
          const pod = this.store.create(pods, podFromTemplate(spec.template ?? {}, rs), rs.metadata.namespace, OWNED);
          cache.put(objectKey(pod), pod, now);
          this.event(rs, 'Normal', 'SuccessfulCreate', `Created pod: ${pod.metadata.name}`);
          return true;
        } catch (e) {
          if (!(e instanceof DomainError)) throw e;
          // As upstream, the rest waits for the next sync (here: the next event about the ReplicaSet).
          this.event(rs, 'Warning', 'FailedCreate', `Error creating: ${e.message}`);
          failure ??= { reason: 'FailedCreate', message: e.message };
          return false;
        }
      });
      if (failure) this.work.queue.delete(objectKey(rs));
      return failure;
    }
    if (diff > 0) {
      const active = this.activePods(cache);
      const victims = yield* podsToDeleteSteps(active, this.relatedPods(rs, active, cache), Math.min(diff, REPLICASET_BURST), now);
      for (const pod of victims) {
        yield;
        try {
          this.store.delete(pods, pod.metadata.namespace, pod.metadata.name);
          cache.remove(objectKey(pod));
          this.event(rs, 'Normal', 'SuccessfulDelete', `Deleted pod: ${pod.metadata.name}`);
        } catch (e) {
          if (!(e instanceof DomainError)) throw e;
          // Gone meanwhile (the sync was cut into steps): as upstream, a pod already deleted is no error.
          if (e.code === 'NOT_FOUND') {
            cache.remove(objectKey(pod));
            continue;
          }
          const message = `Error deleting: ${e.message}`;
          this.event(rs, 'Warning', 'FailedDelete', message);
          return { reason: 'FailedDelete', message: e.message };
        }
      }
    }
    return undefined;
  }

  /**
   * The pods of every ReplicaSet with the same controller (a Deployment's), for ranking doubled-up
   * nodes; only active ones count there. This ReplicaSet's are its active pods and those it still
   * controls while a release was refused (read from its cache, not from the 20,000 it may have).
   */
  private relatedPods(rs: KubeObject, own: KubeObject[], cache: ReplicaSetPods): KubeObject[] {
    const owner = controllerRefOf(rs);
    if (!owner) return own;
    const out: KubeObject[] = [];
    for (const key of this.setsByOwner.keys(owner.uid)) {
      const [namespace, name] = splitKey(key);
      const sibling = this.store.tryGet(this.replicasets, namespace, name);
      if (!sibling || controllerRefOf(sibling)?.uid !== owner.uid) continue;
      if (sibling.metadata.uid !== rs.metadata.uid) {
        out.push(...this.ownedPods(sibling).filter((p) => controllerRefOf(p)?.uid === sibling.metadata.uid));
        continue;
      }
      out.push(...own);
      for (const podKey of cache.unsettled) {
        const [podNamespace, podName] = splitKey(podKey);
        const pod = this.store.tryGet(pods, podNamespace, podName);
        if (pod && controllerRefOf(pod)?.uid === rs.metadata.uid) out.push(pod);
      }
    }
    return out;
  }


  private updateStatus(rs: KubeObject, cache: ReplicaSetPods, failure: { reason: string; message: string } | undefined): void {
    const minReadySeconds = (rs.spec as ReplicaSetSpec).minReadySeconds ?? 0;
    const now = nowMs(this.store);
    const counts = cache.counts(now, (pod) => {
      const at = availableAt(pod, minReadySeconds);
      if (at !== undefined) this.work.wakeUps.at(objectKey(rs), at, now);
    });
    const { labeled: fullyLabeled, ready, available } = counts;
    // Zero counts are left out, as Go's `omitempty` leaves them out; `replicas` always shows.
    const status: ReplicaSetStatus = { replicas: counts.replicas };
    if (fullyLabeled) status.fullyLabeledReplicas = fullyLabeled;
    if (ready) status.readyReplicas = ready;
    if (available) status.availableReplicas = available;
    status.observedGeneration = rs.metadata.generation;
    const previous = (rs.status ?? {}) as Partial<ReplicaSetStatus>;
    setFailure(status, previous.conditions, failure, this.store.now());
    if (deepEqual(status, rs.status)) return;
    this.store.updateStatus(this.replicasets, rs.metadata.namespace, rs.metadata.name, { status }, OWNED);
  }
}
