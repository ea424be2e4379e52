/**
 * The `xt_recent` address lists of one network namespace, in memory, with
 * the kernel module's default sizes: at most 100 addresses per list (the
 * least recently seen one is dropped for a new one) and 20 sightings per
 * address.
 */
import type { MatchStateStore, RecentEntry, RecentStore } from './types';

export const RECENT_LIST_SIZE = 100;
export const RECENT_STAMPS = 20;

interface Entry {
  stamps: number[];
  ttl: number;
}

const EMPTY_LISTS: ReadonlyMap<string, Map<number, Entry>> = new Map();

export class InMemoryRecentStore implements RecentStore {
  /** Per list, entries in least-recently-seen-first order (Map keeps insertion order). */
  private ownLists: Map<string, Map<number, Entry>> | undefined;
  private changes = 0;

  /** The lists this store holds itself (a fork makes its map on its first change). */
  private get lists(): ReadonlyMap<string, Map<number, Entry>> {
    return this.ownLists ?? EMPTY_LISTS;
  }

  private writableLists(): Map<string, Map<number, Entry>> {
    return (this.ownLists ??= new Map());
  }

  constructor(
    private readonly listSize = RECENT_LIST_SIZE,
    private readonly stampCount = RECENT_STAMPS,
    /** For a fork: the store read through until a list is first changed here. */
    private readonly parent?: InMemoryRecentStore,
  ) {
    this.ownLists = parent === undefined ? new Map() : undefined;
  }

  /**
   * A copy-on-write child: it reads this store's lists and copies a list
   * before changing it, so this store never changes through it (the
   * engine explores paths on forks).
   */
  fork(): InMemoryRecentStore {
    return new InMemoryRecentStore(this.listSize, this.stampCount, this);
  }

  private readList(list: string): Map<number, Entry> | undefined {
    return this.lists.get(list) ?? this.parent?.readList(list);
  }

  private writableList(list: string, create: boolean): Map<number, Entry> | undefined {
    let entries = this.lists.get(list);
    if (entries) return entries;
    const inherited = this.parent?.readList(list);
    if (inherited) {
      entries = new Map([...inherited].map(([address, e]) => [address, { stamps: e.stamps.slice(), ttl: e.ttl }]));
    } else if (create) {
      entries = new Map();
    } else {
      return undefined;
    }
    this.writableLists().set(list, entries);
    return entries;
  }

  /** Grows with every change to this store's lists (not its parent's). */
  get revision(): number {
    return this.changes;
  }

  get(list: string, address: number): RecentEntry | undefined {
    return this.readList(list)?.get(address);
  }

  touch(list: string, address: number, now: number, ttl: number): void {
    const entries = this.writableList(list, true)!;
    this.changes++;
    let entry = entries.get(address);
    if (entry) {
      entries.delete(address); // re-insert as most recently seen
    } else {
      if (entries.size >= this.listSize) entries.delete(entries.keys().next().value!);
      entry = { stamps: [], ttl };
    }
    entry.stamps.push(now);
    if (entry.stamps.length > this.stampCount) entry.stamps.shift();
    entry.ttl = ttl;
    entries.set(address, entry);
  }

  remove(list: string, address: number): void {
    if (!this.readList(list)?.has(address)) return;
    this.changes++;
    this.writableList(list, false)?.delete(address);
  }

  reap(list: string, cutoff: number, keep: number): void {
    const current = this.readList(list);
    if (!current) return;
    const oldest = current.entries().next().value;
    if (oldest === undefined || oldest[0] === keep || oldest[1].stamps[oldest[1].stamps.length - 1] >= cutoff) return;
    // Only the least recently seen entry is looked at, and never the one being checked (as xt_recent does).
    this.changes++;
    this.writableList(list, false)?.delete(oldest[0]);
  }

  /** Every list with its addresses, for inspection (`/proc/net/xt_recent`). */
  snapshot(): Map<string, Map<number, RecentEntry>> {
    const names = new Set([...(this.parent?.snapshot().keys() ?? []), ...this.lists.keys()]);
    return new Map([...names].map((name) => [name, new Map(this.readList(name) ?? [])]));
  }
}

/** Per-rule match state (`statistic --mode nth` counters), with copy-on-write forks. */
export class MapMatchState implements MatchStateStore {
  /** Made on first write (a fork that is only read costs nothing). */
  private values: Map<object, unknown> | undefined;
  private changes = 0;

  constructor(private readonly parent?: MapMatchState) {}

  /** Grows with every change made here (not in the parent). */
  get revision(): number {
    return this.changes;
  }

  get(key: object): unknown {
    if (this.values?.has(key)) return this.values.get(key);
    return this.parent?.get(key);
  }

  set(key: object, value: unknown): void {
    this.changes++;
    (this.values ??= new Map()).set(key, value);
  }

  /** A child that reads this store and keeps its own changes. */
  fork(): MapMatchState {
    return new MapMatchState(this);
  }
}
