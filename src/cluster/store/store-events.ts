/**
 * Who hears of the store's committed writes: the watch history (bounded, as
 * the API server's watch cache), the listeners (controllers), watches
 * replayed from a `resourceVersion` and ended with 410 Expired when the
 * history they follow is gone, and the commit hooks. A listener's, a watch
 * end's or a hook's error never undoes the write it followed: it goes to the
 * fault handler, or without one is thrown once every hook has run.
 */
import { DomainError } from '../../common/domain-error';
import type { FaultHandler } from '../faults';
import { resourceVersionTooLarge } from './store-errors';
import { DEFAULT_HISTORY_LIMITS, HistoryLimits, WatchHistory } from './watch-history';
import type { StoredEvent, WatchEvent } from './types';

export type Listener = (event: StoredEvent) => void;

export class StoreEvents {
  private readonly listeners = new Set<Listener>();
  private readonly commitHooks: Array<() => void> = [];
  private readonly history: WatchHistory;
  private faultHandler: FaultHandler | undefined;
  private heldFault: { error: unknown } | undefined;
  /** How each open watch ends when its history is gone (see `expireWatches`). */
  private readonly watchEnds = new Set<(error: DomainError) => void>();

  /** `historyLimits`: the watch history's bounds (a number: events only, with the default byte bound). */
  constructor(historyLimits: number | Partial<HistoryLimits> = {}) {
    const limits = typeof historyLimits === 'number' ? { events: historyLimits } : historyLimits;
    this.history = new WatchHistory({ ...DEFAULT_HISTORY_LIMITS, ...limits });
  }

  /** Every event of every resource, for controllers. Returns the unsubscribe function. */
  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Runs `hook` after every committed top-level write (controllers settle there). */
  onCommit(hook: () => void): void {
    this.commitHooks.push(hook);
  }

  /**
   * Where a commit hook's or a listener's error goes: the write it followed
   * stands. Without a handler the first such error is thrown once every hook
   * has run.
   */
  onFault(handler: FaultHandler): void {
    this.faultHandler = handler;
  }

  /** A committed event: kept in the history (`bytes`: what keeping it costs), and told to the listeners. */
  emit(event: StoredEvent, bytes: number): void {
    this.history.push(event, bytes);
    this.tell(event);
  }

  /** Tells the listeners of an event the history does not keep (a store filled at start-up or from a snapshot). */
  tell(event: StoredEvent): void {
    for (const listener of [...this.listeners]) this.guarded('store listener', () => listener(event));
  }

  runCommitHooks(): void {
    for (const hook of this.commitHooks) this.guarded('commit hook', hook);
    const held = this.heldFault;
    this.heldFault = undefined;
    if (held) throw held.error;
  }

  /**
   * Sends the kept events after `since` that `matches` picks, the store being
   * at `version`. A version older than the kept history is 410 Expired; one
   * the store has not reached is 504 "Too large resource version" at once
   * (the API server waits up to 3 s for its cache to catch up with etcd; here
   * the store is the source, so a version past its own can only come from an
   * earlier run or be made up, and waiting would not help).
   */
  replay(since: number, version: number, matches: (event: StoredEvent) => boolean, send: (event: WatchEvent) => void): void {
    if (since > version) throw resourceVersionTooLarge(since, version);
    const oldest = this.history.oldestVersion() ?? version + 1;
    if (since < oldest - 1 && since < version) {
      throw new DomainError('EXPIRED', `too old resource version: ${since} (${oldest - 1})`);
    }
    for (const event of this.history.since(since)) {
      if (matches(event)) send({ type: event.type, object: event.object });
    }
  }

  /** Sends every later event that `matches` picks, until unsubscribed or, with `onExpired`, until `expireWatches`. */
  follow(matches: (event: StoredEvent) => boolean, send: (event: WatchEvent) => void, onExpired?: (error: DomainError) => void): () => void {
    const unsubscribe = this.subscribe((event) => {
      if (matches(event)) send({ type: event.type, object: event.object });
    });
    if (!onExpired) return unsubscribe;
    const end = (error: DomainError) => {
      unsubscribe();
      onExpired(error);
    };
    this.watchEnds.add(end);
    return () => {
      this.watchEnds.delete(end);
      unsubscribe();
    };
  }

  /**
   * Ends every open watch with `410 Expired`, as the API server's watches
   * end after an etcd restore: the history they follow is gone (a restore
   * or reset replaced this store). Clients list again.
   */
  expireWatches(message: string): void {
    const ended = [...this.watchEnds];
    this.watchEnds.clear();
    for (const end of ended) this.guarded('watch end', () => end(new DomainError('EXPIRED', message)));
  }

  /** Runs `work`; its error goes to the fault handler, or without one is held for `runCommitHooks` to throw. */
  private guarded(source: string, work: () => void): void {
    try {
      work();
    } catch (e) {
      if (this.faultHandler) this.faultHandler(source, e);
      else this.heldFault ??= { error: e };
    }
  }
}
