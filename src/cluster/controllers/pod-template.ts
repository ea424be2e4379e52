/**
 * What the workload controllers (ReplicaSet, Deployment, DaemonSet) share:
 * pods made from templates, owner references and the adopt/release dance
 * (`ControllerRefManager`), garbage collection of dependents whose owner is
 * gone, pod readiness and availability, the pod-template hash, events, and
 * wake-ups for work that waits on the clock.
 */
import { DomainError } from '../../common/domain-error';
import { PodCondition, PodSpec, PodStatus } from '../resources/pod.types';
import { IntOrString, PodTemplateSpec } from '../resources/workload.types';
import { LabelSelector } from '../store/label-selector';
import { deepEqual, ObjectStore, WriteOptions } from '../store/object-store';
import { apiVersionOf, ResourceType, resourceTypeOfKind } from '../store/resource-types';
import { KubeObject, ObjectInput, OwnerReference, StoredEvent } from '../store/types';
import { FaultHandler } from '../faults';
import { TIMER_RETRY_FIRST_MS, TIMER_RETRY_MAX_MS } from '../simulation-clock';
import { Budget, SteppedBatch, Steps } from './controller-manager';

/** Controllers build their writes themselves and hand them over. */
export const OWNED: WriteOptions = { owned: true };

/** The most pods one ReplicaSet sync creates or deletes (upstream's `BurstReplicas`); the rest wait for the next sync. */
export const REPLICASET_BURST = 500;
/** The same for one DaemonSet sync (the DaemonSet controller's `BurstReplicas`). */
export const DAEMONSET_BURST = 250;

/**
 * Upstream's `slowStartBatch` with `SlowStartInitialBatchSize` 1: calls
 * `attempt` for `count` items in batches of 1, 2, 4, 8, ... and stops after
 * the first batch in which one failed (every item of that batch is still
 * tried, as upstream tries them in parallel). So a template the API refuses
 * costs one request, not thousands. Returns how many succeeded.
 */
export function slowStartBatch(count: number, attempt: (index: number) => boolean): number {
  const steps = slowStartSteps(count, attempt);
  for (let r = steps.next(); ; r = steps.next()) if (r.done) return r.value;
}

/** The same, yielding after each attempt (a sync cut into steps); returns how many succeeded. */
export function* slowStartSteps(count: number, attempt: (index: number) => boolean): Generator<void, number, void> {
  let done = 0;
  let succeeded = 0;
  for (let size = Math.min(count, 1); size > 0; size = Math.min(2 * size, count - done)) {
    let failed = false;
    for (let i = 0; i < size; i++) {
      if (attempt(done + i)) succeeded++;
      else failed = true;
      yield;
    }
    done += size;
    if (failed) break;
  }
  return succeeded;
}

export interface WorkloadControllerOptions {
  /**
   * Asks for the controllers to run again at an instant of the simulated clock
   * (milliseconds since the epoch), for work that only time moves on: a pod
   * becoming available after `minReadySeconds`, a Deployment running out of
   * `progressDeadlineSeconds`. Wire it to the clock's timers, e.g.
   * `(at) => clock.after(at - clock.now(), 'deployment-controller', () => store.commit())`.
   * Without it, such work is noticed at the first write after it is due.
   */
  wakeUp?: (atMs: number) => void;
  /**
   * Where an error of one owner's sync goes. With it, the error is reported
   * and that owner is synced again after a backoff (1 s, doubling up to
   * 1,000 s, as upstream's work queue requeues a failed key), while the other
   * owners go on; without it the error is thrown.
   */
  onFault?: FaultHandler;
}

// ---- keys and time -----------------------------------------------------------

export function objectKey(object: KubeObject): string {
  return `${object.metadata.namespace ?? ''}/${object.metadata.name}`;
}

export function splitKey(key: string): [string, string] {
  const slash = key.indexOf('/');
  return [key.slice(0, slash), key.slice(slash + 1)];
}

/** The simulated time at the store's (one second) resolution, in ms. */
export function nowMs(store: ObjectStore): number {
  return Date.parse(store.now());
}

/** Oldest first, then by name: upstream's `...ByCreationTimestamp` orders. */
export function byCreation(a: KubeObject, b: KubeObject): number {
  const ta = Date.parse(a.metadata.creationTimestamp);
  const tb = Date.parse(b.metadata.creationTimestamp);
  if (ta !== tb) return ta - tb;
  return a.metadata.name < b.metadata.name ? -1 : a.metadata.name > b.metadata.name ? 1 : 0;
}

// ---- pods --------------------------------------------------------------------

export function podStatusOf(pod: KubeObject): PodStatus {
  return (pod.status ?? {}) as PodStatus;
}

export function readyCondition(pod: KubeObject): PodCondition | undefined {
  return podStatusOf(pod).conditions?.find((c) => c.type === 'Ready');
}

export function isPodReady(pod: KubeObject): boolean {
  return readyCondition(pod)?.status === 'True';
}

export function isPodTerminating(pod: KubeObject): boolean {
  return pod.metadata.deletionTimestamp !== undefined;
}

/** `controller.IsPodActive`: not finished and not being deleted. */
export function isPodActive(pod: KubeObject): boolean {
  const phase = podStatusOf(pod).phase;
  return phase !== 'Succeeded' && phase !== 'Failed' && !isPodTerminating(pod);
}

/** `podutil.IsPodAvailable`: ready, and for longer than `minReadySeconds`. */
export function isPodAvailable(pod: KubeObject, minReadySeconds: number, now: number): boolean {
  if (!isPodReady(pod)) return false;
  if (!minReadySeconds) return true;
  const since = Date.parse(readyCondition(pod)?.lastTransitionTime ?? '');
  return !Number.isNaN(since) && since + minReadySeconds * 1000 < now;
}

/**
 * When a ready pod that is not yet available will be (at the store's
 * one-second resolution: one second after `minReadySeconds` have passed, as
 * upstream requeues), or undefined.
 */
export function availableAt(pod: KubeObject, minReadySeconds: number): number | undefined {
  if (!minReadySeconds || !isPodReady(pod)) return undefined;
  const since = Date.parse(readyCondition(pod)?.lastTransitionTime ?? '');
  return Number.isNaN(since) ? undefined : since + (minReadySeconds + 1) * 1000;
}

/** The API server keeps `generateName` to 58 characters, so the name with its suffix stays within 63. */
export const MAX_GENERATE_NAME_LENGTH = 58;

/** `GetPodFromTemplate`: labels, annotations and finalizers of the template, the owner's controller reference. */
export function podFromTemplate(template: PodTemplateSpec, owner: KubeObject): ObjectInput & { spec: PodSpec } {
  const meta = template.metadata ?? {};
  return {
    metadata: {
      generateName: `${owner.metadata.name}-`.slice(0, MAX_GENERATE_NAME_LENGTH),
      ...(meta.labels ? { labels: { ...meta.labels } } : {}),
      ...(meta.annotations ? { annotations: { ...meta.annotations } } : {}),
      ...(meta.finalizers ? { finalizers: [...meta.finalizers] } : {}),
      ownerReferences: [newControllerRef(owner)],
    },
    spec: structuredClone(template.spec ?? ({ containers: [] } as PodSpec)),
  };
}

// ---- the pod-template hash -----------------------------------------------------

/** JSON with object keys sorted at every level, `undefined` left out: one text per value. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map((v) => (v === undefined ? 'null' : canonicalJson(v))).join(',')}]`;
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record)
    .filter((k) => record[k] !== undefined)
    .sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(record[k])}`).join(',')}}`;
}

const FNV32_OFFSET = 0x811c9dc5;
const FNV32_PRIME = 0x01000193;

/** FNV-1a, 32 bits, over bytes, continuing from `hash`. */
export function fnv32a(bytes: Uint8Array, hash = FNV32_OFFSET): number {
  let h = hash >>> 0;
  for (const b of bytes) {
    h ^= b;
    h = Math.imul(h, FNV32_PRIME) >>> 0;
  }
  return h;
}

/** The API server's name-suffix alphabet: no vowels, no 0, 1 or 3. */
const SAFE_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

/** `rand.SafeEncodeString`: each character mapped into the safe alphabet by its code. */
export function safeEncodeString(text: string): string {
  let out = '';
  for (const ch of text) out += SAFE_ALPHABET[ch.codePointAt(0)! % SAFE_ALPHABET.length];
  return out;
}

/**
 * `controller.ComputeHash`: FNV-32a over the template, then the collision
 * count as 8 little-endian bytes when there is one, printed in decimal and
 * safe-encoded. Upstream hashes Go's printing of the struct
 * (`hashutil.DeepHashObject`); we hash the canonical JSON, so the values
 * differ from a real cluster's while keeping their form (e.g. `7c5ddbdf54`).
 */
export function computeHash(template: unknown, collisionCount?: number): string {
  let hash = fnv32a(new TextEncoder().encode(canonicalJson(template)));
  if (collisionCount !== undefined) {
    const bytes = new Uint8Array(8);
    new DataView(bytes.buffer).setUint32(0, collisionCount >>> 0, true);
    hash = fnv32a(bytes, hash);
  }
  return safeEncodeString(String(hash));
}

// ---- int-or-percent ------------------------------------------------------------

/** `intstr.GetScaledValueFromIntOrPercent`: a number as is, a percentage of `total` rounded up or down. */
export function scaledValue(value: IntOrString | undefined, total: number, roundUp: boolean): number {
  if (value === undefined) return 0;
  if (typeof value === 'number') return value;
  if (!value.endsWith('%')) return 0;
  const percent = Number.parseInt(value.slice(0, -1), 10);
  if (Number.isNaN(percent)) return 0;
  const scaled = (percent * total) / 100;
  return roundUp ? Math.ceil(scaled) : Math.floor(scaled);
}

// ---- owner references ----------------------------------------------------------

export function controllerRefOf(object: KubeObject | undefined): OwnerReference | undefined {
  return object?.metadata.ownerReferences?.find((r) => r.controller === true);
}

/** `metav1.NewControllerRef`. */
export function newControllerRef(owner: KubeObject): OwnerReference {
  return {
    apiVersion: owner.apiVersion,
    kind: owner.kind,
    name: owner.metadata.name,
    uid: owner.metadata.uid,
    controller: true,
    blockOwnerDeletion: true,
  };
}

/** The objects each owner (by uid) is referenced by, from store events: upstream's owner indexer. */
export class OwnerIndex {
  private readonly byOwner = new Map<string, Set<string>>();

  observe(event: StoredEvent): void {
    const before = event.type === 'DELETED' ? event.object : event.previous;
    const after = event.type === 'DELETED' ? undefined : event.object;
    const key = objectKey(event.object);
    const was = (before?.metadata.ownerReferences ?? []).map((r) => r.uid);
    const is = (after?.metadata.ownerReferences ?? []).map((r) => r.uid);
    for (const uid of was) if (!is.includes(uid)) this.byOwner.get(uid)?.delete(key);
    for (const uid of is) {
      let keys = this.byOwner.get(uid);
      if (!keys) {
        keys = new Set();
        this.byOwner.set(uid, keys);
      }
      keys.add(key);
    }
    for (const uid of was) if (this.byOwner.get(uid)?.size === 0) this.byOwner.delete(uid);
  }

  add(object: KubeObject): void {
    this.observe({ type: 'ADDED', object, resource: '', resourceVersion: 0 });
  }

  /** Keys (`namespace/name`) of the objects that reference `uid`, sorted. */
  keys(uid: string): string[] {
    return [...(this.byOwner.get(uid) ?? [])].sort();
  }
}

export interface ClaimContext {
  store: ObjectStore;
  /** The resource of the objects being claimed (pods, or ReplicaSets for a Deployment). */
  type: ResourceType;
  owner: KubeObject;
  selector: LabelSelector;
}

/**
 * `ControllerRefManager.ClaimObject` for each candidate: an object this owner
 * controls stays if the selector still matches it and is released (its
 * reference removed) if not; an orphan the selector matches is adopted (the
 * owner's controller reference added); objects controlled by someone else are
 * left alone. Returns what the owner controls afterwards, sorted by name.
 */
export function claim(ctx: ClaimContext, candidates: Iterable<KubeObject>): KubeObject[] {
  const { store, type, owner, selector } = ctx;
  const seen = new Map<string, KubeObject>();
  for (const c of candidates) seen.set(c.metadata.uid, c);
  const sorted = [...seen.values()].sort((a, b) => (a.metadata.name < b.metadata.name ? -1 : a.metadata.name > b.metadata.name ? 1 : 0));
  const owning = owner.metadata.deletionTimestamp === undefined;
  const claimed: KubeObject[] = [];
  for (const object of sorted) {
    const ref = controllerRefOf(object);
    const matches = selector.matches(object.metadata.labels);
    const refs = object.metadata.ownerReferences ?? [];
    try {
      if (ref) {
        if (ref.uid !== owner.metadata.uid) continue;
        if (matches) {
          claimed.push(object);
        } else if (owning && object.metadata.deletionTimestamp === undefined) {
          const remaining = refs.filter((r) => r.uid !== owner.metadata.uid);
          store.patch(type, object.metadata.namespace, object.metadata.name, { metadata: { ownerReferences: remaining.length ? remaining : null } });
        }
      } else if (matches && owning && object.metadata.deletionTimestamp === undefined) {
        // Not handed over (`owned`): the object's own strategy may change what it is given.
        const adopted = store.patch(type, object.metadata.namespace, object.metadata.name, {
          metadata: { ownerReferences: [...refs, newControllerRef(owner)] },
        });
        claimed.push(adopted);
      }
    } catch (e) {
      // Gone or refused meanwhile: upstream retries on the next sync; so do we.
      if (!(e instanceof DomainError)) throw e;
    }
  }
  return claimed;
}

// ---- garbage collection ----------------------------------------------------------

/** Whether the owner a reference names still exists (same uid). Unknown kinds count as existing. */
export function ownerExists(store: ObjectStore, namespace: string | undefined, ref: OwnerReference): boolean {
  const type = resourceTypeOfKind(ref.apiVersion, ref.kind);
  if (!type) return true;
  return store.tryGet(type, namespace, ref.name)?.metadata.uid === ref.uid;
}

/**
 * What the garbage collector does with a dependent when an owner (`goneUid`)
 * is gone, with background propagation: delete it if no owner it names is
 * left, else remove the dangling references.
 */
export function collectDependent(store: ObjectStore, type: ResourceType, dependent: KubeObject, goneUid: string): 'deleted' | 'released' | 'kept' {
  const refs = dependent.metadata.ownerReferences ?? [];
  if (!refs.some((r) => r.uid === goneUid)) return 'kept';
  const { namespace, name } = dependent.metadata;
  const solid = refs.filter((r) => r.uid !== goneUid && ownerExists(store, namespace, r));
  try {
    if (solid.length === 0) {
      store.delete(type, namespace, name);
      return 'deleted';
    }
    store.patch(type, namespace, name, { metadata: { ownerReferences: solid } });
    return 'released';
  } catch (e) {
    if (!(e instanceof DomainError)) throw e;
    return 'kept';
  }
}

// ---- wake-ups ------------------------------------------------------------------

/**
 * Keys to look at again at a given instant (upstream's `AddAfter`). A
 * controller takes the due keys at the start of each `reconcile`; only
 * instants in the future are kept, so a wake-up can never make the
 * controllers spin.
 */
export class WakeUps {
  private readonly due = new Map<string, number>();
  private earliest = Infinity;

  constructor(private readonly wakeUp?: (atMs: number) => void) {}

  at(key: string, atMs: number, now: number): void {
    if (atMs <= now) return;
    const current = this.due.get(key);
    if (current !== undefined && current <= atMs) return;
    this.due.set(key, atMs);
    if (atMs < this.earliest) this.earliest = atMs;
    this.wakeUp?.(atMs);
  }

  /** The keys due at `now`, sorted; they are forgotten. */
  take(now: number): string[] {
    if (now < this.earliest) return [];
    const out: string[] = [];
    let next = Infinity;
    for (const [key, at] of this.due) {
      if (at <= now) {
        out.push(key);
        this.due.delete(key);
      } else if (at < next) next = at;
    }
    this.earliest = next;
    return out.sort();
  }

  get size(): number {
    return this.due.size;
  }
}

/**
 * The bookkeeping every workload controller does the same way (ReplicaSets
 * over pods, DaemonSets over pods, Deployments over ReplicaSets): which
 * owners to sync, which deleted owners' dependents to collect, and which
 * owners a dependent's event concerns. A controller added late catches up
 * with `scan()`.
 */
export class OwnerWork {
  readonly queue = new Set<string>();
  /** uid of deleted owners whose dependents are to be collected. */
  private readonly gone = new Set<string>();
  readonly dependentsByOwner = new OwnerIndex();
  /**
   * With `trackTouched`: per owner key, the keys of the dependents whose
   * events queued it since the owner last took them (`takeTouched`), so a
   * sync can look at what changed instead of every dependent.
   */
  private readonly touched: Map<string, Set<string>> | undefined;

  constructor(
    private readonly store: ObjectStore,
    private readonly ownerType: ResourceType,
    private readonly dependentType: ResourceType,
    private readonly selectorOf: (owner: KubeObject) => LabelSelector,
    readonly wakeUps: WakeUps,
    options: { trackTouched?: boolean; onFault?: FaultHandler; name?: string } = {},
  ) {
    if (options.trackTouched) this.touched = new Map();
    this.onFault = options.onFault;
    this.name = options.name ?? ownerType.kind;
  }

  private readonly onFault: FaultHandler | undefined;
  private readonly name: string;
  private readonly batch = new SteppedBatch();
  /** Per owner key, how many of its syncs in a row failed (for the backoff). */
  private readonly failures = new Map<string, number>();

  /** Queues `ownerKey` because of the dependent `dependentKey`. */
  private queueFor(ownerKey: string, dependentKey: string): void {
    this.queue.add(ownerKey);
    if (!this.touched) return;
    let keys = this.touched.get(ownerKey);
    if (!keys) {
      keys = new Set();
      this.touched.set(ownerKey, keys);
    }
    keys.add(dependentKey);
  }

  /** The dependents (keys) touched for `ownerKey` since the last call; they are forgotten. */
  takeTouched(ownerKey: string): Set<string> {
    const keys = this.touched?.get(ownerKey) ?? new Set<string>();
    this.touched?.delete(ownerKey);
    return keys;
  }

  private ownsIt(ref: OwnerReference | undefined): ref is OwnerReference {
    return ref?.kind === this.ownerType.kind && ref.apiVersion === apiVersionOf(this.ownerType);
  }

  /** Every owner is looked at once; dependents of owners already gone are collected. */
  scan(): void {
    const uids = new Set<string>();
    for (const owner of this.store.list(this.ownerType).items) {
      uids.add(owner.metadata.uid);
      this.queue.add(objectKey(owner));
    }
    for (const dependent of this.store.list(this.dependentType).items) {
      this.dependentsByOwner.add(dependent);
      const ref = controllerRefOf(dependent);
      if (this.ownsIt(ref) && !uids.has(ref.uid)) this.gone.add(ref.uid);
    }
  }

  ownerEvent(event: StoredEvent): void {
    if (event.type === 'DELETED') this.gone.add(event.object.metadata.uid);
    else this.queue.add(objectKey(event.object));
  }

  /** A dependent changed: its controller before and after, and for an orphan whose labels changed, the owners selecting it. */
  dependentEvent(event: StoredEvent): void {
    this.dependentsByOwner.observe(event);
    const dependent = event.object;
    const namespace = dependent.metadata.namespace!;
    const now = controllerRefOf(event.type === 'DELETED' ? undefined : dependent);
    const before = controllerRefOf(event.type === 'DELETED' ? dependent : event.previous);
    const key = objectKey(dependent);
    for (const ref of [now, before]) if (this.ownsIt(ref)) this.queueFor(`${namespace}/${ref.name}`, key);
    if (now || event.type === 'DELETED') return;
    if (event.type === 'MODIFIED' && before === undefined && deepEqual(dependent.metadata.labels, event.previous?.metadata.labels)) return;
    for (const owner of this.store.list(this.ownerType, { namespace }).items) {
      if (this.selectorOf(owner).matches(dependent.metadata.labels)) this.queueFor(objectKey(owner), key);
    }
  }

  /** The dependents `owner` is recorded as an owner of (controller or not). */
  dependentsOf(owner: KubeObject): KubeObject[] {
    const out: KubeObject[] = [];
    for (const key of this.dependentsByOwner.keys(owner.metadata.uid)) {
      const [namespace, name] = splitKey(key);
      const dependent = this.store.tryGet(this.dependentType, namespace, name);
      if (dependent) out.push(dependent);
    }
    return out;
  }

  /**
   * Wake-ups due, garbage collection, then `sync` for each queued owner in
   * key order, one dependent collected or one owner synced per step (a sync
   * may be cut into steps of its own); whether there was work. With the
   * budget spent it stops between two steps (`unfinished`).
   */
  run(budget: Budget, sync: (owner: KubeObject) => Steps | void): boolean {
    return this.batch.run(budget, () => {
      for (const key of this.wakeUps.take(nowMs(this.store))) this.queue.add(key);
      return this.queue.size === 0 && this.gone.size === 0 ? undefined : this.steps(sync);
    });
  }

  get unfinished(): boolean {
    return this.batch.unfinished;
  }

  private *steps(sync: (owner: KubeObject) => Steps | void): Steps {
    const gone = [...this.gone].sort();
    this.gone.clear();
    for (const uid of gone) {
      for (const key of this.dependentsByOwner.keys(uid)) {
        const [namespace, name] = splitKey(key);
        const dependent = this.store.tryGet(this.dependentType, namespace, name);
        if (dependent) collectDependent(this.store, this.dependentType, dependent, uid);
        yield;
      }
    }
    const keys = [...this.queue].sort();
    this.queue.clear();
    for (const key of keys) {
      const [namespace, name] = splitKey(key);
      const owner = this.store.tryGet(this.ownerType, namespace, name);
      if (!owner) continue;
      try {
        const steps = sync(owner);
        if (steps) yield* steps;
        this.failures.delete(key);
      } catch (e) {
        if (!this.onFault) throw e;
        this.retryLater(key, e);
      }
      yield;
    }
  }

  /** A failed sync: reported, and the owner synced again after a backoff (see `WorkloadControllerOptions.onFault`). */
  private retryLater(key: string, error: unknown): void {
    const failures = (this.failures.get(key) ?? 0) + 1;
    this.failures.set(key, failures);
    this.onFault!(`${this.name} sync of ${key}`, error);
    const now = nowMs(this.store);
    this.wakeUps.at(key, now + Math.min(TIMER_RETRY_FIRST_MS * 2 ** (failures - 1), TIMER_RETRY_MAX_MS), now);
  }
}
