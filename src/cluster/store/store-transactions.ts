/**
 * The store's transactions and its one version counter: all-or-nothing
 * batches of writes (an undo log, and the events they publish once
 * committed), sliced transactions that hold the store while they run, the
 * `resourceVersion` each write takes, and handing committed changes to the
 * backend that makes them durable. What a transaction changes is the
 * store's (objects, indexes, allocations): it registers how to undo each
 * change with `onUndo`, and its events with `record`.
 */
import { drain } from '../../common/slices';
import type { SlicedTransactionOptions } from './store-contract';
import { MEMORY_BACKEND, StoreBackend } from './store-backend';
import type { StoredEvent } from './types';

/** A transaction's undo log, the events it will publish, and (with a backend that wants one per transaction) its version. */
export interface TxLog {
  undo: Array<() => void>;
  events: Array<{ event: StoredEvent; bytes: number }>;
  version?: number;
}

/** What the store does with a committed transaction: publish each event (history and listeners), then run the commit hooks. */
export interface CommitSink {
  emit(event: StoredEvent, bytes: number): void;
  runCommitHooks(): void;
}

/** A transaction in slices that holds the store (see `inSlices`). */
interface HeldTransaction {
  /** Its writes, until they are all done. */
  steps: Iterator<unknown, unknown> | undefined;
  tx: TxLog;
  /** The versions before it began, restored if it is undone. */
  before: Versions;
  rollBack: boolean;
  /** Events published so far, once the steps are done. */
  published: number;
  /** True while a slice of it runs (the store's own calls from it do not finish it). */
  running: boolean;
  /** True once it has let the store go (its events published, or everything undone). */
  finished: boolean;
  outcome?: { value: unknown } | { error: unknown };
  released: Promise<void>;
  release: () => void;
}

/** The version counter at one point: the last committed, and the last handed out. */
interface Versions {
  committed: number;
  issued: number;
}

const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

export class StoreTransactions {
  /** The version of the last committed write (what a list reports). */
  private committed = 0;
  /** The last version handed out, committed or not: the next one is past it. */
  private issued = 0;
  /** Non-null while a transaction runs: its undo log and the events it will publish. */
  private tx: TxLog | null = null;
  /** Non-null while a sliced transaction holds the store (see `inSlices`). */
  private held: HeldTransaction | null = null;
  /** Where committed changes are made durable (memory: nowhere). */
  backend: StoreBackend = MEMORY_BACKEND;

  constructor(private readonly sink: CommitSink) {}

  /** The version of the last committed write. */
  get version(): number {
    return this.committed;
  }

  /** The last version handed out: past every revision this store's writes took, the kubelets' own among them. */
  get lastIssued(): number {
    return this.issued;
  }

  /** Whether a transaction is under way (a write now joins it). */
  get active(): boolean {
    return this.tx !== null;
  }

  /** Versions go on from `revision` (a store filled from its backend or a snapshot). */
  startAt(revision: number): void {
    this.committed = this.issued = revision;
  }

  /** A write another writer made at `revision`: versions go on from there, if it is ahead. */
  catchUp(revision: number): void {
    this.committed = Math.max(this.committed, revision);
    this.issued = Math.max(this.issued, revision);
  }

  /**
   * Runs `work` as one transaction: if it throws, every write it made is
   * undone (objects and strategy side effects) and no watcher sees any of it;
   * otherwise its events are published in order and the commit hooks run.
   * Versions are never handed out twice: one given to a write that was
   * undone is skipped, not reused. Publishing and the hooks come after the
   * commit, so their failure never undoes it (see `ObjectStore.onFault`).
   */
  run<T>(work: () => T): T {
    this.finishHeld();
    if (this.tx) return work();
    const before = this.versions();
    const tx: TxLog = { undo: [], events: [] };
    this.tx = tx;
    let result: T;
    try {
      result = work();
    } catch (e) {
      this.tx = null;
      for (let i = tx.undo.length - 1; i >= 0; i--) tx.undo[i]();
      this.rewind(before);
      throw e;
    }
    this.tx = null;
    this.persist(tx);
    for (const { event, bytes } of tx.events) this.sink.emit(event, bytes);
    try {
      this.sink.runCommitHooks();
    } finally {
      this.persistKubelets();
    }
    return result;
  }

  /** The log of `work`'s writes, neither published nor persisted (a store being loaded; see `ObjectStore.load`). */
  collect(work: () => void): TxLog {
    const tx: TxLog = { undo: [], events: [] };
    this.tx = tx;
    try {
      work();
    } finally {
      this.tx = null;
    }
    return tx;
  }

  /**
   * A transaction too large to run in one go (a manifest of thousands of
   * objects), run in slices of `sliceMs` with the event loop given back
   * between them. `steps` does the writes; each `next()` is a short piece of
   * work, and its return value is the result. All or nothing, as
   * `run`: a step that throws undoes every write, and no watcher sees
   * any of it. While it runs it holds the store: no other write or read may
   * see it half done, so the server waits for `unlocked()` before it answers
   * a request, controllers and timers wait too, and anything that touches the
   * store meanwhile first finishes it at once (as a synchronous clock advance
   * finishes a sliced settle). Its events are published, also in slices,
   * before the store is let go, then the commit hooks run. Sliced
   * transactions wait for each other in turn. Inside a transaction it runs
   * as part of it, at once. A client that goes away does not stop it.
   */
  async inSlices<T>(steps: Iterator<unknown, T>, options: SlicedTransactionOptions = {}): Promise<T> {
    const sliceMs = options.sliceMs ?? 20;
    const yieldTo = options.yieldTo ?? yieldToEventLoop;
    if (this.tx) {
      // Its writes join the transaction under way, which alone decides whether they stay.
      if (options.rollBack) throw new Error('a sliced transaction to roll back cannot run inside another transaction');
      return drain(steps);
    }
    while (this.held) await this.held.released;
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    const held: HeldTransaction = {
      steps,
      tx: { undo: [], events: [] },
      before: this.versions(),
      rollBack: options.rollBack ?? false,
      published: 0,
      running: false,
      finished: false,
      released,
      release,
    };
    this.held = held;
    while (!held.finished) {
      const started = performance.now();
      this.advanceHeld(held, () => performance.now() - started >= sliceMs);
      if (!held.finished) await yieldTo();
    }
    const outcome = held.outcome!;
    if ('error' in outcome) throw outcome.error;
    return outcome.value as T;
  }

  /** Whether a sliced transaction holds the store. */
  get isHeld(): boolean {
    return this.held !== null;
  }

  /** Resolves once no sliced transaction holds the store. */
  async unlocked(): Promise<void> {
    while (this.held) await this.held.released;
  }

  /** Finishes a sliced transaction under way at once, unless it is what is running. */
  finishHeld(): void {
    if (this.held && !this.held.running) this.advanceHeld(this.held, () => false);
  }

  /** Runs a held transaction until `sliceOver()` says so or it is done: its steps, then publishing its events. */
  private advanceHeld(held: HeldTransaction, sliceOver: () => boolean): void {
    held.running = true;
    let done = false;
    try {
      if (held.steps) {
        this.tx = held.tx;
        try {
          for (;;) {
            const step = held.steps.next();
            if (step.done) {
              held.outcome = { value: step.value };
              break;
            }
            if (sliceOver()) return;
          }
        } catch (e) {
          held.outcome = { error: e };
        } finally {
          this.tx = null;
        }
        held.steps = undefined;
        if ('error' in held.outcome! || held.rollBack) {
          for (let i = held.tx.undo.length - 1; i >= 0; i--) held.tx.undo[i]();
          this.rewind(held.before);
          done = true;
          return;
        }
        this.persist(held.tx);
      }
      const events = held.tx.events;
      while (held.published < events.length) {
        const { event, bytes } = events[held.published++];
        this.sink.emit(event, bytes);
        if (held.published % 64 === 0 && sliceOver()) return;
      }
      done = true;
    } finally {
      held.running = false;
      if (done) {
        held.finished = true;
        this.held = null;
        held.release();
        // Controllers and timers waited for the store; an undone batch leaves nothing to settle, but a settle it held up goes on.
        try {
          this.sink.runCommitHooks();
        } finally {
          this.persistKubelets();
        }
      }
    }
  }

  /** How to undo a change of the transaction under way (none: nothing to undo). */
  onUndo(restore: () => void): void {
    this.tx?.undo.push(restore);
  }

  /** An event of the transaction under way, published when it commits; outside one, at once. */
  record(event: StoredEvent, bytes: number): void {
    if (this.tx) this.tx.events.push({ event, bytes });
    else this.sink.emit(event, bytes);
  }

  /** The version a write takes. */
  nextVersion(): string {
    if (this.backend.versionPerTransaction && this.tx) {
      // One etcd transaction, one revision: every write of the transaction carries it.
      this.tx.version ??= ++this.issued;
      this.committed = this.tx.version;
      return String(this.committed);
    }
    this.issued += 1;
    this.committed = this.issued;
    return String(this.committed);
  }

  private versions(): Versions {
    return { committed: this.committed, issued: this.issued };
  }

  /**
   * After an undone transaction: the committed version is back to what it
   * was. The versions it used are skipped, never reused, unless the backend's
   * versions are its revisions (etcd never saw them, so they are the next ones).
   */
  private rewind(before: Versions): void {
    this.committed = before.committed;
    if (this.backend.versionPerTransaction) this.issued = before.issued;
  }

  /**
   * Writes the kubelets' state that no transaction carried (a manifest put for
   * a stopped kubelet, a kubelet stopped: see store-backend.ts), once the
   * commit hooks have run and no transaction is under way, so that it is
   * durable by the time the request that made it is answered. Its etcd
   * revision belongs to no object: the next write's version is past it (each
   * object's resourceVersion stays its key's mod revision), and what a list
   * says stays the version of the last object written.
   */
  persistKubelets(): void {
    if (this.tx || this.held) return;
    this.issued += this.backend.commitKubelets?.() ?? 0;
  }

  /** Hands a committed transaction's changes to the backend; a transaction too large for one etcd transaction takes more revisions. */
  persist(tx: TxLog): void {
    if (tx.events.length === 0 || this.backend === MEMORY_BACKEND) return;
    const revisions = this.backend.commit(tx.events.map((e) => e.event));
    if (revisions > 1) {
      this.issued += revisions - 1;
      this.committed = this.issued;
    }
  }
}
