/**
 * The `xt_recent` address lists of one network namespace, in memory, with
 * the kernel module's default sizes: at most 100 addresses per list (the
 * least recently seen one is dropped for a new one) and 20 sightings per
 * address.
 */
import type { RecentEntry, RecentStore } from './types';

export const RECENT_LIST_SIZE = 100;
export const RECENT_STAMPS = 20;

interface Entry {
  stamps: number[];
  ttl: number;
}

export class InMemoryRecentStore implements RecentStore {
  /** Per list, entries in least-recently-seen-first order (Map keeps insertion order). */
  private readonly lists = new Map<string, Map<number, Entry>>();

  constructor(
    private readonly listSize = RECENT_LIST_SIZE,
    private readonly stampCount = RECENT_STAMPS,
  ) {}

  get(list: string, address: number): RecentEntry | undefined {
    return this.lists.get(list)?.get(address);
  }

  touch(list: string, address: number, now: number, ttl: number): void {
    let entries = this.lists.get(list);
    if (!entries) {
      entries = new Map();
      this.lists.set(list, entries);
    }
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
    this.lists.get(list)?.delete(address);
  }

  reap(list: string, cutoff: number, keep: number): void {
    const entries = this.lists.get(list);
    if (!entries) return;
    for (const [address, entry] of entries) {
      if (address === keep) continue;
      if (entry.stamps[entry.stamps.length - 1] < cutoff) entries.delete(address);
      return; // only the least recently seen entry is looked at
    }
  }

  /** Every list with its addresses, for inspection (`/proc/net/xt_recent`). */
  snapshot(): Map<string, Map<number, RecentEntry>> {
    return new Map([...this.lists].map(([name, entries]) => [name, new Map(entries)]));
  }
}
