import { Etcd3, IOptions, IRangeRequest, IRangeResponse, Watcher } from 'etcd3';
import type { IEvent } from 'etcd3/lib/rpc';
import type { FaultHandler } from '../../faults';
import { resourceKey, resourceTypeByKey } from '../resource-types';
import type { KubeletState, StoreBackend } from '../store-backend';
import type { KubeObject, StoredEvent } from '../types';
import { DEFAULT_ETCD_PREFIX, EtcdKeyReader, etcdKey, normalizePrefix } from './etcd-keys';
import { EtcdKubeletState, KeyChange } from './etcd-manifests';

/** How to reach etcd: kube-apiserver's `--etcd-servers`, `--etcd-prefix`, `--etcd-cafile`, `--etcd-certfile`, `--etcd-keyfile`. */
export interface EtcdConnection {
  endpoints: string[];
  /** Default `/registry`. */
  prefix?: string;
  /** PEM contents (not paths): the CA, and the client certificate and key. */
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
  /** At most this many keys in one etcd transaction (etcd's `--max-txn-ops`, default 128). */
  maxTxnOps?: number;
  /** At most about this many bytes of values in one etcd transaction (under etcd's `--max-request-bytes`, default 1.5 MiB). */
  maxTxnBytes?: number;
  /** A write etcd does not take (it is down, say) is tried again after this many ms, doubling up to 2 s (default 100). */
  retryMs?: number;
  /** A call etcd has not answered in this time fails (and a write is tried again, on another member if there is one); default 10 s. */
  callTimeoutMs?: number;
}

/** What start-up reads back: every object under the prefix, at one revision. */
export interface LoadedState {
  revision: number;
  /** The etcd cluster that answered (a restore from a snapshot makes a new one). */
  clusterId: string;
  entries: Array<{ resource: string; object: KubeObject }>;
  /** Keys under the prefix that are not an object of a resource kube-netsim serves (left alone). */
  foreignKeys: number;
  /** The kubelets' state, manifests and stopped kubelets (see etcd-manifests.ts), read at the same revision. */
  kubelets: KubeletState;
}

/** A write another writer made under the prefix, seen through `follow`: `object` put, or (undefined) the object deleted. */
export interface RemoteChange {
  resource: string;
  namespace?: string;
  name: string;
  object: KubeObject | undefined;
  revision: number;
}

/** One etcd transaction to make: the last change of each key in a store transaction. */
type Change = KeyChange;

/** How many of its own write revisions a backend keeps for a watch that has not passed them. */
const OWN_REVISIONS_KEPT = 100_000;

/** Where a transaction that changes nothing in etcd (an object made and deleted in it) still takes its revision. */
export const EMPTY_TRANSACTION_KEY = '/kube-netsim/revision';

const PAGE = 1000;

/** A policy that runs a call once (etcd3's `faultHandling.global`, whose default tries three more times). */
const NO_RETRY = { execute: (run: (context: { signal: AbortSignal }) => unknown) => run({ signal: new AbortController().signal }) } as unknown as NonNullable<
  NonNullable<IOptions['faultHandling']>['global']
>;

/**
 * The etcd v3 backend: kube-apiserver's layout (keys
 * `<prefix>/<resource>/<namespace>/<name>`, values JSON with no
 * resourceVersion, the resourceVersion being the key's mod revision), each
 * store transaction one etcd transaction that compares every key's mod
 * revision with the one last written (the API server's guaranteed update),
 * in commit order. The store stays the cache every read is served from.
 */
export class EtcdBackend implements StoreBackend {
  readonly name = 'etcd';
  readonly versionPerTransaction = true;
  readonly prefix: string;
  /** The kubelets' manifest directories and stopped kubelets, kept beside the objects. */
  readonly kubelets: EtcdKubeletState;
  private readonly keys: EtcdKeyReader;
  /** Each key's mod revision as last read or written (absent: no such key). */
  private readonly modRevisions = new Map<string, number>();
  private tail: Promise<void> = Promise.resolve();
  private inFlight = 0;
  private closed = false;
  private compactionTimer: ReturnType<typeof setInterval> | undefined;
  private lastCompactionTick: number | undefined;
  private faultHandler: FaultHandler = () => undefined;
  private readonly maxTxnOps: number;
  private readonly maxTxnBytes: number;
  private readonly retryMs: number;
  /** Revisions of our own writes that a watch (`follow`) has not passed yet: the watch skips them. */
  private readonly ownRevisions = new Set<number>();
  private watcher: Watcher | undefined;
  /** The last revision the watch handed on (or skipped as ours). */
  private followed = 0;
  private followWaiters: Array<{ revision: number; resolve: () => void }> = [];
  private readonly endpoints: number;
  private readonly callTimeoutMs: number;
  /** The cluster ID of the etcd read at start-up, and the highest revision it answered with since. */
  private clusterId: string | undefined;
  private lastRevision = 0;
  private replacedHandler: (message: string) => void = () => undefined;

  private constructor(
    readonly client: Etcd3,
    connection: EtcdConnection,
  ) {
    this.prefix = normalizePrefix(connection.prefix ?? DEFAULT_ETCD_PREFIX);
    this.keys = new EtcdKeyReader(this.prefix);
    this.kubelets = new EtcdKubeletState(this.prefix);
    this.maxTxnOps = connection.maxTxnOps ?? 128;
    this.maxTxnBytes = connection.maxTxnBytes ?? 1024 * 1024;
    this.retryMs = connection.retryMs ?? 100;
    this.endpoints = connection.endpoints.length;
    this.callTimeoutMs = connection.callTimeoutMs ?? 10_000;
  }

  static connect(connection: EtcdConnection): EtcdBackend {
    const options: IOptions = {
      hosts: connection.endpoints,
      dialTimeout: 5000,
      grpcOptions: { 'grpc.max_receive_message_length': -1, 'grpc.max_send_message_length': -1 },
      // Each call goes to one member at random; a member that failed three times in a row is left alone for 5 s (etcd3's
      // default). A failed call is not tried again inside the client (its default is three more tries): a try whose answer
      // was lost may have been applied, and only `write` knows how to tell (`alreadyApplied`), so it is the one that retries.
      faultHandling: { global: NO_RETRY },
    };
    if (connection.ca) options.credentials = { rootCertificate: connection.ca, privateKey: connection.key, certChain: connection.cert };
    return new EtcdBackend(new Etcd3(options), connection);
  }

  /** Where a failed write is reported (the cluster's fault log). */
  onFault(handler: FaultHandler): void {
    this.faultHandler = handler;
  }

  /**
   * Where it is told that etcd is no longer the etcd it read at start-up: a
   * new cluster ID, or a revision behind one it answered with (restored from
   * a snapshot: see `sameEtcd`). It then writes
   * nothing more (what it serves is not what that etcd holds, and writing it
   * there would mix the two): kube-netsim must be started again on it, as
   * kube-apiserver is after a restore.
   */
  onReplaced(handler: (message: string) => void): void {
    this.replacedHandler = handler;
  }

  get pending(): boolean {
    return this.inFlight > 0;
  }

  durable(): Promise<void> {
    return this.tail;
  }

  /** Reads every object under the prefix, page by page, all at the revision of the first page. */
  async load(): Promise<LoadedState> {
    const start = Buffer.from(`${this.prefix}/`);
    const end = prefixEnd(start);
    let key = start;
    let revision: number | undefined;
    const entries: LoadedState['entries'] = [];
    let foreignKeys = 0;
    for (;;) {
      const page = await this.readPage({ key, range_end: end, limit: PAGE, ...(revision ? { revision } : {}) });
      revision ??= Number(page.header.revision);
      this.clusterId ??= String(page.header.cluster_id);
      for (const kv of page.kvs) {
        const text = kv.key.toString();
        const where = this.keys.resourceOf(text);
        let object: KubeObject | undefined;
        try {
          object = where ? (JSON.parse(kv.value.toString()) as KubeObject) : undefined;
        } catch {
          object = undefined;
        }
        if (!where || !object?.metadata) {
          foreignKeys++;
          continue;
        }
        object.metadata.resourceVersion = String(kv.mod_revision);
        this.modRevisions.set(text, Number(kv.mod_revision));
        entries.push({ resource: resourceKey(where.type), object });
      }
      if (!page.more || page.kvs.length === 0) break;
      key = Buffer.concat([page.kvs[page.kvs.length - 1].key, Buffer.from([0])]);
    }
    const kubelets = await this.readKubeletState(revision);
    // Whatever the key holds was written before: a later put of ours is newer than this.
    this.modRevisions.set(EMPTY_TRANSACTION_KEY, revision ?? 0);
    this.lastRevision = revision ?? 0;
    return { revision: revision ?? 0, clusterId: this.clusterId ?? '', entries, foreignKeys, kubelets };
  }

  /**
   * The kubelets' state as etcd holds it (at `revision`, else now): the
   * manifest directories by node and file name, and the stopped kubelets.
   */
  async readKubeletState(revision?: number): Promise<KubeletState> {
    const start = Buffer.from(this.kubelets.prefix);
    const page = await this.readPage({ key: start, range_end: prefixEnd(start), ...(revision ? { revision } : {}) });
    for (const [key] of this.modRevisions) if (key.startsWith(this.kubelets.prefix)) this.modRevisions.delete(key);
    for (const kv of page.kvs) this.modRevisions.set(kv.key.toString(), Number(kv.mod_revision));
    return this.kubelets.read(page.kvs);
  }

  /** Queues one etcd transaction after those before it. */
  private queue(chunk: Change[]): void {
    this.inFlight++;
    this.tail = this.tail.then(() => this.writeChunk(chunk)).finally(() => this.inFlight--);
  }

  /** One page of the start-up read, tried on each member in turn (one may be down) before it fails, all within the call deadline. */
  private async readPage(request: IRangeRequest): Promise<IRangeResponse> {
    const deadline = Date.now() + this.callTimeoutMs;
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.client.kv.range(request, { deadline });
      } catch (e) {
        if (attempt > this.endpoints) throw e;
      }
    }
  }

  commit(changes: readonly StoredEvent[]): number {
    const coalesced = this.coalesce(changes);
    for (const change of this.kubelets.take()) coalesced.set(change.key, change);
    const chunks = this.chunks(coalesced);
    for (const chunk of chunks) this.queue(chunk);
    return chunks.length;
  }

  commitKubelets(): number {
    if (!this.kubelets.waiting) return 0;
    const chunks = this.chunks(new Map(this.kubelets.take().map((change) => [change.key, change])));
    for (const chunk of chunks) this.queue(chunk);
    return chunks.length;
  }

  /**
   * Compacts etcd's history every `intervalMs` as kube-apiserver does
   * (`--etcd-compaction-interval`, 5 minutes): at each tick, up to the
   * revision of the tick before, so the last interval's history stays.
   * Without it etcd keeps every version of every object and its database
   * grows until its quota stops all writes.
   */
  startCompaction(intervalMs = 5 * 60_000): void {
    this.compactionTimer = setInterval(() => {
      this.compactionTick().catch((e: Error) => {
        // Compacted already (by another client, or etcd's own --auto-compaction): nothing to do.
        if (!/compacted/.test(e.message)) this.faultHandler('etcd backend', new Error(`etcd compaction failed: ${e.message}`));
      });
    }, intervalMs);
    this.compactionTimer.unref();
  }

  /** One tick of the compaction: compacts up to the revision of the tick before (none at the first), and notes the current one. */
  async compactionTick(): Promise<void> {
    const now = Number((await this.client.kv.range({ key: Buffer.from(EMPTY_TRANSACTION_KEY), keys_only: true })).header.revision);
    const previous = this.lastCompactionTick;
    this.lastCompactionTick = now;
    if (previous !== undefined) await this.client.kv.compact({ revision: previous });
  }

  /**
   * Follows what other writers (another kube-netsim process, `etcdctl`) do
   * under the prefix after `revision`, as kube-apiserver's watch cache
   * follows etcd: an etcd watch, whose events (but our own writes, which the
   * store has already) go to `apply` in revision order, each key's mod
   * revision learnt so that our next write to it compares right.
   */
  async follow(revision: number, apply: (change: RemoteChange) => void): Promise<void> {
    this.followed = revision;
    let queue = Promise.resolve();
    const watcher = await this.client.watch().prefix(`${this.prefix}/`).startRevision(String(revision + 1)).create();
    this.watcher = watcher;
    watcher.on('data', (response) => {
      const events = response.events ?? [];
      if (events.length === 0) return;
      queue = queue.then(() => this.handOn(events, apply)).catch((e: Error) => this.faultHandler('etcd watch', e));
    });
    watcher.on('error', (e: Error) => this.faultHandler('etcd watch', new Error(`etcd watch failed: ${e.message}`)));
  }

  /**
   * A revision of our own, for the watch to skip. Noted from the first write on, the watch
   * starting later (at the revision start-up read): what start-up wrote before it must not
   * come back as another writer's (an older version over a newer one). Without a watch only
   * the last OWN_REVISIONS_KEPT are kept.
   */
  private noteOwn(revision: number): void {
    this.ownRevisions.add(revision);
    if (this.ownRevisions.size > OWN_REVISIONS_KEPT) this.ownRevisions.delete(this.ownRevisions.values().next().value!);
  }

  /** Resolves once the watch has handed on every revision up to `revision` (at once without a watch), or after `timeoutMs`. */
  caughtUp(revision: number, timeoutMs = 5000): Promise<void> {
    if (!this.watcher || this.followed >= revision) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, timeoutMs);
      timer.unref();
      this.followWaiters.push({ revision, resolve: () => (clearTimeout(timer), resolve()) });
    });
  }

  private async handOn(events: IEvent[], apply: (change: RemoteChange) => void): Promise<void> {
    for (const event of events) {
      const revision = Number(event.kv.mod_revision);
      // One of ours whose answer may not be in yet: wait for our writes under way to be answered.
      if (!this.ownRevisions.has(revision) && this.inFlight > 0) await this.durable();
      if (!this.ownRevisions.has(revision)) {
        const key = event.kv.key.toString();
        const where = this.keys.resourceOf(key);
        if (event.type === 'Delete') this.modRevisions.delete(key);
        else this.modRevisions.set(key, revision);
        let object: KubeObject | undefined;
        if (where && event.type !== 'Delete') {
          try {
            object = JSON.parse(event.kv.value.toString()) as KubeObject;
          } catch {
            object = undefined;
          }
        }
        if (where && (event.type === 'Delete' || object?.metadata)) {
          apply({ resource: resourceKey(where.type), namespace: where.namespace, name: where.name, object, revision });
        }
      }
      this.followed = Math.max(this.followed, revision);
    }
    // Every event of one revision comes in one answer: ours up to here are passed.
    for (const own of this.ownRevisions) if (own <= this.followed) this.ownRevisions.delete(own);
    const waiting = this.followWaiters;
    this.followWaiters = waiting.filter((w) => w.revision > this.followed);
    for (const w of waiting) if (w.revision <= this.followed) w.resolve();
  }

  /** Stops retrying and closes the connection (after the writes under way, unless `abandon`). */
  async close(abandon = false): Promise<void> {
    clearInterval(this.compactionTimer);
    await this.watcher?.cancel();
    this.watcher = undefined;
    if (abandon) this.closed = true;
    else await this.tail;
    this.closed = true;
    this.client.close();
  }

  /** The last change of each key, in the order the keys were first changed. */
  private coalesce(changes: readonly StoredEvent[]): Map<string, Change> {
    const last = new Map<string, Change>();
    /** Keys the transaction made (their first change an ADDED): deleted again, etcd never sees them. */
    const madeHere = new Set<string>();
    for (const event of changes) {
      const type = resourceTypeByKey(event.resource)!;
      const meta = event.object.metadata;
      const key = etcdKey(this.prefix, type, meta.namespace, meta.name);
      if (event.type === 'DELETED') {
        if (madeHere.delete(key)) last.delete(key);
        else last.set(key, { key, value: null });
        continue;
      }
      if (event.type === 'ADDED' && !last.has(key)) madeHere.add(key);
      last.set(key, { key, value: encode(event.object) });
    }
    return last;
  }

  /**
   * Splits a transaction's changes into etcd transactions within etcd's
   * limits (one, as a rule). Each takes exactly one revision, as the store
   * counts: one with no put (nothing at all, or deletes only, which take
   * none when etcd holds none of their keys) also puts `EMPTY_TRANSACTION_KEY`.
   */
  private chunks(changes: Map<string, Change>): Change[][] {
    const chunks: Change[][] = [];
    let chunk: Change[] = [];
    let bytes = 0;
    const close = () => {
      if (!chunk.some((c) => c.value !== null)) chunk.push({ key: EMPTY_TRANSACTION_KEY, value: Buffer.from('') });
      chunks.push(chunk);
    };
    for (const change of changes.values()) {
      const size = change.key.length + (change.value?.length ?? 0);
      // One op kept back for that put.
      if (chunk.length > 0 && (chunk.length >= this.maxTxnOps - 1 || bytes + size > this.maxTxnBytes)) {
        close();
        chunk = [];
        bytes = 0;
      }
      chunk.push(change);
      bytes += size;
    }
    close();
    return chunks;
  }

  /**
   * One etcd transaction: every key's mod revision as last known, then the
   * puts and deletes. Tried again until etcd takes it; a try whose outcome is
   * unknown (the member died, the call timed out) may have been applied, so
   * before the next one etcd is read to see whether it was.
   */
  private async writeChunk(chunk: Change[]): Promise<void> {
    let wait = this.retryMs;
    let uncertain = false;
    for (;;) {
      if (this.closed) return;
      const guarded = chunk.filter((c) => c.key !== EMPTY_TRANSACTION_KEY);
      try {
        if (!(await this.sameEtcd())) return;
        if (uncertain && (await this.alreadyApplied(chunk))) return;
        const response = await this.client.kv.txn(
          {
            compare: guarded.map((c) => ({ key: Buffer.from(c.key), target: 'Mod', result: 'Equal', mod_revision: this.modRevisions.get(c.key) ?? 0 })),
            success: chunk.map((c) =>
              c.value === null ? { request_delete_range: { key: Buffer.from(c.key) } } : { request_put: { key: Buffer.from(c.key), value: c.value } },
            ),
          },
          { deadline: Date.now() + this.callTimeoutMs },
        );
        const revision = this.seen(response.header.revision);
        if (response.succeeded) {
          for (const c of chunk) {
            if (c.value === null) this.modRevisions.delete(c.key);
            else this.modRevisions.set(c.key, revision);
          }
          this.noteOwn(revision);
          return;
        }
        // Another writer changed these keys: ours is refused, as a stale guaranteed update is; the store's copy stands.
        await this.relearn(guarded.map((c) => c.key));
        this.faultHandler(
          'etcd backend',
          new Error(`etcd refused a transaction of ${guarded.length} key(s) (${guarded[0]?.key}…): changed in etcd by another writer since kube-netsim last wrote them`),
        );
        return;
      } catch (e) {
        if (this.closed) return;
        uncertain = true;
        this.faultHandler('etcd backend', new Error(`etcd write failed, retrying in ${wait} ms: ${(e as Error).message}`));
        await new Promise((resolve) => setTimeout(resolve, wait));
        wait = Math.min(wait * 2, 2000);
      }
    }
  }

  /** Notes a revision etcd answered with; returns it. */
  private seen(header: string): number {
    const revision = Number(header);
    this.lastRevision = Math.max(this.lastRevision, revision);
    return revision;
  }

  /**
   * Whether etcd is still the one read at start-up, asked before every try:
   * the same cluster ID, and a revision not behind one it answered with
   * before (a revision never goes back in one etcd). A restore from a
   * snapshot fails one or the other: it makes a new cluster, whose ID is
   * new unless it was given the same member names and peer URLs, and its
   * revision is the snapshot's. If not, it stops writing and says so
   * (`onReplaced`).
   */
  private async sameEtcd(): Promise<boolean> {
    const { header } = await this.client.kv.range({ key: Buffer.from(EMPTY_TRANSACTION_KEY), keys_only: true }, { deadline: Date.now() + this.callTimeoutMs });
    const clusterId = String(header.cluster_id);
    const revision = Number(header.revision);
    this.clusterId ??= clusterId;
    let what: string | undefined;
    if (clusterId !== this.clusterId) what = `is a new etcd cluster (ID ${hex(clusterId)}, was ${hex(this.clusterId)})`;
    else if (revision < this.lastRevision) what = `went back to revision ${revision} (it was at ${this.lastRevision})`;
    if (what === undefined) {
      this.seen(header.revision);
      return true;
    }
    this.closed = true;
    this.replacedHandler(
      `etcd ${what}: restored from a snapshot or replaced while kube-netsim was running. kube-netsim writes nothing to it; start kube-netsim again to serve what it holds`,
    );
    return false;
  }

  /**
   * After a try whose outcome is unknown: whether etcd holds what `chunk`
   * writes, newer than the revisions last known (read in one transaction, at
   * one revision). If so that try was applied, and the revision is learned.
   */
  private async alreadyApplied(chunk: Change[]): Promise<boolean> {
    const response = await this.client.kv.txn(
      { compare: [], success: chunk.map((c) => ({ request_range: { key: Buffer.from(c.key) } })) },
      { deadline: Date.now() + this.callTimeoutMs },
    );
    this.seen(response.header.revision);
    let revision: number | undefined;
    for (const [i, c] of chunk.entries()) {
      const kv = response.responses[i].response_range.kvs[0];
      if (c.value === null) {
        if (kv) return false;
        continue;
      }
      const mod = Number(kv?.mod_revision ?? 0);
      if (!kv || !kv.value.equals(c.value) || mod <= (this.modRevisions.get(c.key) ?? 0) || (revision !== undefined && mod !== revision)) return false;
      revision = mod;
    }
    for (const c of chunk) {
      if (c.value === null) this.modRevisions.delete(c.key);
      else this.modRevisions.set(c.key, revision!);
    }
    // Ours: the watch (`follow`) skips it (every chunk puts a key: see `chunks`).
    if (revision !== undefined) this.noteOwn(revision);
    return true;
  }

  /** Reads the mod revisions of `keys` again. */
  private async relearn(keys: string[]): Promise<void> {
    for (const key of keys) {
      const response = await this.client.kv.range({ key: Buffer.from(key), keys_only: true });
      const kv = response.kvs[0];
      if (kv) this.modRevisions.set(key, Number(kv.mod_revision));
      else this.modRevisions.delete(key);
    }
  }
}

/** The value kube-apiserver stores: the object without its resourceVersion (the key's mod revision is). */
function encode(object: KubeObject): Buffer {
  const { resourceVersion: _dropped, ...metadata } = object.metadata;
  return Buffer.from(JSON.stringify({ ...object, metadata }));
}

/** An etcd ID as etcdctl prints it (hexadecimal). */
function hex(id: string | undefined): string {
  return id === undefined ? '?' : BigInt(id).toString(16);
}

/** The end of the range of keys that start with `prefix` (its last byte plus one). */
function prefixEnd(prefix: Buffer): Buffer {
  const end = Buffer.from(prefix);
  for (let i = end.length - 1; i >= 0; i--) {
    if (end[i] < 0xff) {
      end[i]++;
      return end.subarray(0, i + 1);
    }
  }
  return Buffer.from([0]);
}
