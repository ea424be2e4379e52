import { Clock, timestamp } from '../../common/clock';
import { DomainError } from '../../common/domain-error';
import { Random } from '../../common/random';
import { invalidObject } from '../validation/field-errors';
import { assertNestingDepth } from './merge-patch';
import { ResourceType, resourceKey, resourceTypeByKey } from './resource-types';
import type { HistoryLimits } from './watch-history';
import { KubeObject, ObjectInput, StoredEvent, WatchEvent } from './types';
import { deepFreeze, estimateBytes, freezeMeasured } from '../../common/freeze';
import { deepEqual, getOwn, isJsonObject } from '../../common/own-keys';
import { FaultHandler } from '../faults';
import {
  applyPatch,
  ListOptions,
  ObjectList,
  PatchType,
  ResourceStrategy,
  SlicedTransactionOptions,
  WatchOptions,
  WriteOptions,
} from './store-contract';
import { alreadyExists, conflict, notFound, validated } from './store-errors';
import { checkNoNewFinalizers, deletionDeadline, metadataErrors, newDraft, updateDraft } from './object-meta';
import type { StoreBackend } from './store-backend';
import { ObjectIndex } from './object-index';
import { StoreTransactions, type TxLog } from './store-transactions';
import { StoreEvents, type Listener } from './store-events';

export * from './store-contract';
export { alreadyExists, notFound } from './store-errors';

/** A private copy of what a caller gave, unless the caller handed it over. */
function adopt<T>(value: T, options: WriteOptions): T {
  if (options.owned) return value;
  assertNestingDepth(value);
  return options.handedOver ? value : structuredClone(value);
}

export { deepEqual };

function storeKey(namespace: string | undefined, name: string): string {
  return namespace ? `${namespace}/${name}` : name;
}

/**
 * The emulated API server's storage: every object of every resource, one
 * `resourceVersion` counter, watches with a bounded history, and
 * transactions that either apply a whole batch or nothing. Its parts:
 * object-meta.ts (the metadata rules of a write), store-transactions.ts
 * (transactions, versions, the backend), store-events.ts (history,
 * listeners, watches, commit hooks), object-index.ts (selector indexes).
 */
export class ObjectStore {
  private readonly objects = new Map<string, Map<string, KubeObject>>();
  /** Labels and pods' nodes, for lists with selectors. */
  private readonly index = new ObjectIndex();
  private readonly strategies = new Map<string, ResourceStrategy>();
  /** The watch history, listeners, watches and commit hooks. */
  private readonly events: StoreEvents;
  /** Transactions, the version counter and the backend. */
  private readonly txs: StoreTransactions;
  /** What `load` filled the store with, until `persistLoad` hands it to the backend. */
  private loaded: TxLog | undefined;

  constructor(
    private readonly clock: Clock,
    private readonly random: Random,
    /** The watch history's bounds (a number: events only, with the default byte bound). */
    historyLimits: number | Partial<HistoryLimits> = {},
  ) {
    this.events = new StoreEvents(historyLimits);
    this.txs = new StoreTransactions(this.events);
  }

  /** A served resource by its store key (`pods`, `endpointslices.discovery.k8s.io`). */
  resourceType(key: string): ResourceType {
    const type = resourceTypeByKey(key);
    if (!type) throw new Error(`unknown resource ${key}`);
    return type;
  }

  /** Makes every committed transaction durable in `backend` from now on (before any write). */
  useBackend(backend: StoreBackend): void {
    this.txs.backend = backend;
  }

  /** The backend's name: `memory` or `etcd`. */
  get backendName(): string {
    return this.txs.backend.name;
  }

  /** Whether some committed change is not durable yet (an etcd write under way). */
  get hasPendingWrites(): boolean {
    return this.txs.backend.pending;
  }

  /** Resolves once every committed change is durable (the server waits for it before it answers a write). */
  durable(): Promise<void> {
    return this.txs.backend.durable();
  }

  /**
   * Fills an empty store with objects read back from its backend at start-up,
   * as they were stored, at `revision`. No strategy runs (the allocators
   * are rebuilt from them afterwards, see repair.ts) and the watch history
   * stays empty; the listeners (controllers) are told of every object as
   * ADDED, as an informer's first list tells its handlers, and settle at the
   * next `commit()`.
   */
  restore(entries: Iterable<{ resource: string; object: KubeObject }>, revision: number): void {
    if (this.txs.version !== 0) throw new Error('a store is restored before its first write');
    const events: StoredEvent[] = [];
    for (const { resource, object } of entries) {
      const type = this.resourceType(resource);
      deepFreeze(object);
      this.setEntry(type, storeKey(type.namespaced ? object.metadata.namespace : undefined, object.metadata.name), undefined, object);
      events.push({ type: 'ADDED', object, resource, resourceVersion: Number(object.metadata.resourceVersion) });
    }
    this.txs.startAt(revision);
    for (const event of events) this.events.tell(event);
  }

  /**
   * A write another writer made in the backend (another kube-netsim process,
   * seen through an etcd watch), at `revision`: `object` put, or, when
   * undefined, the object `namespace/name` deleted. As `restore`, no strategy
   * runs; watchers and listeners see it as any write, and versions go on
   * from `revision`. The commit hooks do not run (the caller commits when
   * its controllers should react).
   */
  applyRemote(resource: string, namespace: string | undefined, name: string, object: KubeObject | undefined, revision: number): void {
    this.txs.finishHeld();
    const type = this.resourceType(resource);
    const key = storeKey(type.namespaced ? namespace : undefined, name);
    const previous = this.bucket(type).get(key);
    this.txs.catchUp(revision);
    if (object) {
      object.metadata.resourceVersion = String(revision);
      deepFreeze(object);
      this.setEntry(type, key, previous, object);
      this.events.emit({ type: previous ? 'MODIFIED' : 'ADDED', object, ...(previous ? { previous } : {}), resource, resourceVersion: revision }, estimateBytes(object));
    } else if (previous) {
      this.setEntry(type, key, previous, undefined);
      const deleted = deepFreeze({ ...previous, metadata: { ...previous.metadata, resourceVersion: String(revision) } });
      this.events.emit({ type: 'DELETED', object: deleted, resource, resourceVersion: revision }, estimateBytes(deleted));
    }
  }

  /**
   * Fills an empty store with a snapshot's objects (src/cluster/snapshot/) as
   * a new history that goes on after `revision`, the revision of the store
   * it replaces: each object gets the next version (with etcd, the one
   * revision of their transaction), the watch history stays empty, and the
   * listeners (controllers) hear each as ADDED and settle at the next
   * `commit()`. Nothing reaches the backend until `persistLoad`.
   */
  load(entries: Iterable<{ resource: string; object: KubeObject }>, revision: number): void {
    if (this.txs.version !== 0) throw new Error('a store is loaded before its first write');
    this.txs.startAt(revision);
    const tx = this.txs.collect(() => {
      for (const entry of entries) {
        const { resource } = entry;
        const type = this.resourceType(resource);
        // Its own top and metadata (the rest is frozen with it, and may be shared).
        const object = { ...entry.object, metadata: { ...entry.object.metadata, resourceVersion: this.txs.nextVersion() } } as KubeObject;
        const bytes = freezeMeasured(object);
        this.setEntry(type, storeKey(type.namespaced ? object.metadata.namespace : undefined, object.metadata.name), undefined, object);
        this.txs.record({ type: 'ADDED', object, resource, resourceVersion: Number(object.metadata.resourceVersion) }, bytes);
      }
    });
    this.loaded = tx;
    for (const { event } of tx.events) this.events.tell(event);
  }

  /** Makes a `load` durable: its objects replace `previous`, everything the backend held before (etcd: one transaction, or more when large). */
  persistLoad(previous: Iterable<{ resource: string; object: KubeObject }>): void {
    const tx = this.loaded;
    this.loaded = undefined;
    if (!tx) throw new Error('persistLoad follows a load');
    const deletes: Array<{ event: StoredEvent; bytes: number }> = [];
    for (const { resource, object } of previous) {
      deletes.push({ event: { type: 'DELETED', object, resource, resourceVersion: Number(object.metadata.resourceVersion) }, bytes: 0 });
    }
    this.txs.persist({ ...tx, events: [...deletes, ...tx.events] });
  }

  /**
   * Ends every open watch with `410 Expired`, as the API server's watches
   * end after an etcd restore: the history they follow is gone (a restore
   * or reset replaced this store). Clients list again.
   */
  expireWatches(message: string): void {
    this.events.expireWatches(message);
  }

  registerStrategy(type: ResourceType, strategy: ResourceStrategy): void {
    this.strategies.set(resourceKey(type), strategy);
  }

  get resourceVersion(): string {
    this.txs.finishHeld();
    return String(this.txs.version);
  }

  /**
   * The last revision this store's writes took: its resourceVersion, or past
   * it when the kubelets' state took one of its own (store-transactions.ts).
   * What a store replacing this one goes on from.
   */
  get lastRevision(): number {
    this.txs.finishHeld();
    return this.txs.lastIssued;
  }

  now(): string {
    return timestamp(this.clock.now());
  }

  // ---- reads ---------------------------------------------------------------

  private bucket(type: ResourceType): Map<string, KubeObject> {
    this.txs.finishHeld();
    const key = resourceKey(type);
    let bucket = this.objects.get(key);
    if (!bucket) {
      bucket = new Map();
      this.objects.set(key, bucket);
    }
    return bucket;
  }

  tryGet(type: ResourceType, namespace: string | undefined, name: string): KubeObject | undefined {
    return this.bucket(type).get(storeKey(type.namespaced ? namespace : undefined, name));
  }

  get(type: ResourceType, namespace: string | undefined, name: string): KubeObject {
    const object = this.tryGet(type, namespace, name);
    if (!object) throw notFound(type, name);
    return object;
  }

  list(type: ResourceType, options: ListOptions = {}): ObjectList {
    const items: KubeObject[] = [];
    for (const object of this.candidates(type, options)) {
      if (matchesList(object, options)) items.push(object);
    }
    items.sort(compareObjects);
    return { resourceVersion: this.resourceVersion, items };
  }

  count(type: ResourceType): number {
    return this.bucket(type).size;
  }

  /** How many objects the store holds, of every resource. */
  get objectCount(): number {
    this.txs.finishHeld();
    let count = 0;
    for (const bucket of this.objects.values()) count += bucket.size;
    return count;
  }

  // ---- writes --------------------------------------------------------------

  create(type: ResourceType, input: ObjectInput, namespace?: string, options: WriteOptions = {}): KubeObject {
    const dryRun = options.dryRun ?? false;
    const draft = newDraft(type, adopt(input, options), namespace, this.random, this.now());
    const errors = metadataErrors(type, draft, options.owned ?? false);
    const displayName = draft.metadata.name || draft.metadata.generateName || '';
    if (errors.some((e) => e.field === 'metadata.name' && e.type === 'FieldValueRequired')) {
      throw invalidObject(type.kind, displayName, errors);
    }
    if (type.namespaced) this.requireNamespace(draft.metadata.namespace!);
    const key = storeKey(draft.metadata.namespace, draft.metadata.name);
    if (this.bucket(type).has(key)) {
      // The API server validates before it stores: an invalid object is a 422 even when its name is taken.
      if (errors.length > 0) throw invalidObject(type.kind, displayName, errors);
      throw alreadyExists(type, draft.metadata.name);
    }

    return this.txs.run(() => {
      const rollback = validated(type.kind, displayName, errors, () => this.strategy(type).prepareCreate?.(draft, { store: this, dryRun }));
      if (dryRun) {
        rollback?.();
        return deepFreeze(draft);
      }
      if (rollback) this.txs.onUndo(rollback);
      draft.metadata.resourceVersion = this.txs.nextVersion();
      const bytes = freezeMeasured(draft);
      const stored = draft;
      this.put(type, key, stored);
      this.publish(type, 'ADDED', stored, undefined, bytes);
      return stored;
    });
  }

  /** PUT: replaces spec and metadata (not status); a stale `resourceVersion` is a 409 Conflict. */
  update(type: ResourceType, namespace: string | undefined, name: string, input: ObjectInput, options: WriteOptions = {}): KubeObject {
    input = adopt(input, options);
    const previous = this.get(type, namespace, name);
    const inputMeta = input.metadata ?? {};
    if (inputMeta.name !== undefined && inputMeta.name !== name) {
      throw new DomainError('BAD_REQUEST', `the name of the object (${inputMeta.name}) does not match the name on the URL (${name})`);
    }
    this.checkVersion(type, previous, inputMeta.resourceVersion);
    return this.replace(type, previous, updateDraft(type, previous, input), 'prepareUpdate', options);
  }

  /** PUT on `/status`: replaces only the status. */
  updateStatus(type: ResourceType, namespace: string | undefined, name: string, input: ObjectInput, options: WriteOptions = {}): KubeObject {
    input = adopt(input, options);
    const previous = this.get(type, namespace, name);
    this.checkVersion(type, previous, input.metadata?.resourceVersion);
    const draft = { ...previous, metadata: { ...previous.metadata }, status: input.status } as KubeObject;
    return this.replace(type, previous, draft, 'prepareStatusUpdate', options);
  }

  /** PATCH (merge, strategic merge or JSON patch); `status` changes through `/status` only. */
  patch(
    type: ResourceType,
    namespace: string | undefined,
    name: string,
    patch: unknown,
    options: WriteOptions & { patchType?: PatchType } = {},
  ): KubeObject {
    const previous = this.get(type, namespace, name);
    const merged = applyPatch(previous, patch, options.patchType ?? 'merge') as ObjectInput;
    const metadata = isJsonObject(merged?.metadata) ? merged.metadata : {};
    const patchedName = getOwn(metadata, 'name');
    if (typeof patchedName !== 'string' || patchedName === '') {
      throw new DomainError('BAD_REQUEST', `the name of the object (${name} based on URL) was undeterminable: name must be provided`);
    }
    // Whatever patch type: the patched object's resourceVersion is the precondition, so a
    // patch that sets a stale one (a merge patch's metadata, a JSON patch's replace) is a 409.
    const requested = getOwn(metadata, 'resourceVersion');
    return this.update(type, namespace, name, { ...merged, metadata: { ...metadata, resourceVersion: typeof requested === 'string' ? requested : undefined } }, options);
  }

  patchStatus(
    type: ResourceType,
    namespace: string | undefined,
    name: string,
    patch: unknown,
    options: WriteOptions & { patchType?: PatchType } = {},
  ): KubeObject {
    const previous = this.get(type, namespace, name);
    const merged = applyPatch(previous, patch, options.patchType ?? 'merge') as ObjectInput;
    const requested = isJsonObject(merged?.metadata) ? getOwn(merged.metadata, 'resourceVersion') : undefined;
    return this.updateStatus(type, namespace, name, { ...merged, metadata: { resourceVersion: typeof requested === 'string' ? requested : undefined } }, options);
  }

  delete(
    type: ResourceType,
    namespace: string | undefined,
    name: string,
    options: WriteOptions & { gracePeriodSeconds?: number } = {},
  ): KubeObject {
    const object = this.get(type, namespace, name);
    const grace = this.strategy(type).prepareDelete?.(object, { store: this, dryRun: options.dryRun ?? false }, options.gracePeriodSeconds);
    if (options.dryRun) return object;
    if (typeof grace === 'number' && grace > 0) return this.markDeleted(type, object, grace);
    if (this.strategy(type).holdsForFinalizers && object.metadata.finalizers?.length) return this.markDeleted(type, object, 0);
    return this.txs.run(() => {
      if (type.kind === 'Namespace') this.deleteNamespaceContents(name);
      const key = storeKey(object.metadata.namespace, object.metadata.name);
      this.remove(type, key, object);
      const rollback = this.strategy(type).afterDelete?.(object, { store: this, dryRun: false });
      if (rollback) this.txs.onUndo(rollback);
      const deleted = deepFreeze({
        ...object,
        metadata: { ...object.metadata, resourceVersion: this.txs.nextVersion() },
      });
      // Once gone from the store, the last version is held by the history alone.
      this.publish(type, 'DELETED', deleted, undefined, estimateBytes(deleted));
      return deleted;
    });
  }

  /** A graceful delete: the object stays, terminating, with `deletionTimestamp` set `grace` seconds ahead. */
  private markDeleted(type: ResourceType, object: KubeObject, grace: number): KubeObject {
    if (object.metadata.deletionTimestamp) return object; // already terminating: a later deadline never moves it
    return this.txs.run(() => {
      const draft = {
        ...object,
        metadata: {
          ...object.metadata,
          deletionTimestamp: deletionDeadline(this.clock.now(), grace),
          deletionGracePeriodSeconds: grace,
          resourceVersion: this.txs.nextVersion(),
        },
      } as KubeObject;
      const bytes = freezeMeasured(draft);
      const stored = draft;
      this.put(type, storeKey(stored.metadata.namespace, stored.metadata.name), stored);
      this.publish(type, 'MODIFIED', stored, object, bytes);
      return stored;
    });
  }

  /**
   * Runs `work` as one transaction: all of its writes or none (see
   * `StoreTransactions.run`); its events are published and the commit hooks
   * run once it commits.
   */
  transaction<T>(work: () => T): T {
    return this.txs.run(work);
  }

  /** Runs the commit hooks (the controllers settle) after work that was done outside a write, such as a timer's. */
  commit(): void {
    this.txs.finishHeld();
    if (this.txs.active) return;
    try {
      this.events.runCommitHooks();
    } finally {
      this.txs.persistKubelets();
    }
  }

  /**
   * A transaction too large to run in one go, run in slices with the event
   * loop given back between them, holding the store meanwhile (see
   * `StoreTransactions.inSlices`).
   */
  transactionInSlices<T>(steps: Iterator<unknown, T>, options: SlicedTransactionOptions = {}): Promise<T> {
    return this.txs.inSlices(steps, options);
  }

  /** Whether a sliced transaction holds the store. */
  get isHeld(): boolean {
    return this.txs.isHeld;
  }

  /** Resolves once no sliced transaction holds the store. */
  unlocked(): Promise<void> {
    return this.txs.unlocked();
  }

  /** Finishes a sliced transaction under way at once (the synchronous clock advance does this before its timers). */
  finish(): void {
    this.txs.finishHeld();
  }

  /**
   * Where a commit hook's or a listener's error goes: the write it followed
   * stands. Without a handler the first such error is thrown once every hook
   * has run.
   */
  onFault(handler: FaultHandler): void {
    this.events.onFault(handler);
  }

  /** Runs `hook` after every committed top-level write (controllers settle there). */
  onCommit(hook: () => void): void {
    this.events.onCommit(hook);
  }

  // ---- watch ---------------------------------------------------------------

  /** Every event of every resource, for controllers. Returns the unsubscribe function. */
  subscribe(listener: Listener): () => void {
    return this.events.subscribe(listener);
  }

  /**
   * A watch as the API server serves it: first the events since
   * `resourceVersion` (or, without one, the current objects as ADDED), then
   * every later event that matches (410 Expired and 504 as `StoreEvents.replay`
   * says; with `onExpired`, ended by `expireWatches`).
   */
  watch(type: ResourceType, options: WatchOptions, send: (event: WatchEvent) => void, onExpired?: (error: DomainError) => void): () => void {
    this.txs.finishHeld();
    const resource = resourceKey(type);
    const matches = (event: StoredEvent) => event.resource === resource && matchesList(event.object, options);
    const from = options.resourceVersion;
    if (from === undefined || from === '' || from === '0') {
      for (const object of this.list(type, options).items) send({ type: 'ADDED', object });
    } else {
      const since = Number(from);
      if (!Number.isInteger(since) || since < 0) {
        throw new DomainError('BAD_REQUEST', `invalid resource version: ${JSON.stringify(from)}`);
      }
      this.events.replay(since, this.txs.version, matches, send);
    }
    return this.events.follow(matches, send, onExpired);
  }

  // ---- internals -----------------------------------------------------------

  private strategy(type: ResourceType): ResourceStrategy {
    return this.strategies.get(resourceKey(type)) ?? {};
  }

  private put(type: ResourceType, key: string, object: KubeObject): void {
    const bucket = this.bucket(type);
    const previous = bucket.get(key);
    this.setEntry(type, key, previous, object);
    this.txs.onUndo(() => this.setEntry(type, key, object, previous));
  }

  private remove(type: ResourceType, key: string, object: KubeObject): void {
    this.setEntry(type, key, object, undefined);
    this.txs.onUndo(() => this.setEntry(type, key, undefined, object));
  }

  /** Replaces `from` by `to` (either may be absent) under `key`, keeping the indexes in step. */
  private setEntry(type: ResourceType, key: string, from: KubeObject | undefined, to: KubeObject | undefined): void {
    const bucket = this.bucket(type);
    if (to) bucket.set(key, to);
    else bucket.delete(key);
    this.index.update(resourceKey(type), key, from, to);
  }

  /** The objects that may match `options`: from an index when one applies, else all. */
  private candidates(type: ResourceType, options: ListOptions): Iterable<KubeObject> {
    const bucket = this.bucket(type);
    const keys = this.index.candidateKeys(type, options);
    if (!keys) return bucket.values();
    const out: KubeObject[] = [];
    for (const key of keys) {
      const object = bucket.get(key);
      if (object) out.push(object);
    }
    return out;
  }

  /** `bytes`: what keeping this version costs (see `freezeMeasured`); by default the whole object's estimate. */
  private publish(type: ResourceType, eventType: StoredEvent['type'], object: KubeObject, previous?: KubeObject, bytes?: number): void {
    const event: StoredEvent = {
      type: eventType,
      object,
      ...(previous ? { previous } : {}),
      resource: resourceKey(type),
      resourceVersion: Number(object.metadata.resourceVersion),
    };
    const size = bytes ?? estimateBytes(object);
    this.txs.record(event, size);
  }

  private replace(
    type: ResourceType,
    previous: KubeObject,
    draft: KubeObject,
    hook: 'prepareUpdate' | 'prepareStatusUpdate',
    options: WriteOptions,
  ): KubeObject {
    const dryRun = options.dryRun ?? false;
    const errors = metadataErrors(type, draft, options.owned ?? false);
    checkNoNewFinalizers(previous, draft, errors);
    return this.txs.run(() => {
      const rollback = validated(type.kind, previous.metadata.name, errors, () => this.strategy(type)[hook]?.(draft, previous, { store: this, dryRun }));
      if (dryRun) {
        rollback?.();
        return deepFreeze(draft);
      }
      if (rollback) this.txs.onUndo(rollback);
      if (!deepEqual(draft.spec, previous.spec)) draft.metadata.generation = previous.metadata.generation + 1;
      if (deepEqual(draft, previous)) return previous; // nothing changed: no new version
      draft.metadata.resourceVersion = this.txs.nextVersion();
      const bytes = freezeMeasured(draft);
      const stored = draft;
      this.put(type, storeKey(stored.metadata.namespace, stored.metadata.name), stored);
      this.publish(type, 'MODIFIED', stored, previous, bytes);
      // Its last finalizer is off while it is being deleted: it goes (`deleteForEmptyFinalizers`).
      if (this.strategy(type).holdsForFinalizers && stored.metadata.deletionTimestamp && !stored.metadata.finalizers?.length) {
        return this.delete(type, stored.metadata.namespace, stored.metadata.name);
      }
      return stored;
    });
  }

  private checkVersion(type: ResourceType, current: KubeObject, requested: string | undefined): void {
    if (requested !== undefined && requested !== '' && requested !== current.metadata.resourceVersion) {
      throw conflict(type, current.metadata.name);
    }
  }

  private requireNamespace(namespace: string): void {
    const namespaces = resourceTypeByKey('namespaces')!;
    if (!this.tryGet(namespaces, undefined, namespace)) {
      throw new DomainError('NOT_FOUND', `namespaces "${namespace}" not found`, { kind: 'namespaces', name: namespace });
    }
  }

  /** Kubernetes empties a namespace asynchronously (phase Terminating); we do it at once. */
  private deleteNamespaceContents(namespace: string): void {
    for (const [key, bucket] of this.objects) {
      const type = resourceTypeByKey(key);
      if (!type?.namespaced) continue;
      for (const object of [...bucket.values()]) {
        if (object.metadata.namespace === namespace) this.delete(type, namespace, object.metadata.name);
      }
    }
  }
}

function matchesList(object: KubeObject, options: ListOptions): boolean {
  if (options.namespace && object.metadata.namespace !== options.namespace) return false;
  if (options.labelSelector && !options.labelSelector.matches(object.metadata.labels)) return false;
  if (options.fieldSelector && !options.fieldSelector.matches(object)) return false;
  return true;
}

function compareObjects(a: KubeObject, b: KubeObject): number {
  const na = a.metadata.namespace ?? '';
  const nb = b.metadata.namespace ?? '';
  if (na !== nb) return na < nb ? -1 : 1;
  return a.metadata.name < b.metadata.name ? -1 : a.metadata.name > b.metadata.name ? 1 : 0;
}

