/**
 * The compiled service ports in write order (by key), kept in buckets of at
 * most 512 ports. Each bucket caches the concatenation of its ports'
 * top-level filter and nat rules, so a sync whose changes touch a few ports
 * rebuilds a few buckets instead of re-reading every port: a partial sync of
 * a 10,000-Service node joins about 40 cached strings for its top-level
 * chains.
 */
import type { CompiledServicePort } from './service-rules';

/** A compiled port as the index keeps it: how many own-chain rules it wrote, once known. */
type Indexed = CompiledServicePort & { ownRuleLines?: number };

const BUCKET_MAX = 512;

export interface Bucket<E extends Indexed> {
  readonly keys: string[];
  readonly entries: E[];
  /** Top-level filter rules of the bucket's ports, newline-joined ('' when none). */
  filterText: string;
  filterLines: number;
  /** Top-level nat rules of the bucket's ports, newline-joined ('' when none). */
  natText: string;
  natLines: number;
  dirty: boolean;
}

function search(keys: readonly string[], key: string): number {
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (keys[mid] < key) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function sameTopLevel(a: CompiledServicePort, b: CompiledServicePort): boolean {
  return a.filterRules.text === b.filterRules.text && a.natRules.text === b.natRules.text;
}

export class CompiledPorts<E extends Indexed> {
  private readonly byKey = new Map<string, E>();
  private readonly buckets: Bucket<E>[] = [];
  private noLocal = { internal: 0, external: 0 };
  private ownLines = 0;

  get size(): number {
    return this.byKey.size;
  }

  get(key: string): E | undefined {
    return this.byKey.get(key);
  }

  /** Service ports whose Local policy found no local endpoint, internal and external. */
  get noLocalEndpoints(): { internal: number; external: number } {
    return { ...this.noLocal };
  }

  /** Rules in the own chains of every port (as last written). */
  get ownRuleLines(): number {
    return this.ownLines;
  }

  /** Records how many own-chain rules an entry has (known once it was written). */
  recordOwnRuleLines(e: E, lines: number): void {
    if (this.byKey.get(e.key) === e) this.ownLines += lines - (e.ownRuleLines ?? 0);
    e.ownRuleLines = lines;
  }

  /** The bucket holding `key` (an identity for "this part of the text changed"). */
  bucketOf(key: string): Bucket<E> | undefined {
    return this.byKey.has(key) ? this.buckets[this.locateIndex(key)] : undefined;
  }

  /** Inserts or replaces the entry for `entry.key`. */
  set(entry: E): void {
    const prev = this.byKey.get(entry.key);
    this.byKey.set(entry.key, entry);
    this.count(prev, -1);
    this.count(entry, +1);
    const b = this.locate(entry.key);
    const idx = search(b.keys, entry.key);
    if (prev !== undefined) {
      b.entries[idx] = entry;
      if (!sameTopLevel(prev, entry)) b.dirty = true;
      return;
    }
    b.keys.splice(idx, 0, entry.key);
    b.entries.splice(idx, 0, entry);
    b.dirty = true;
    if (b.keys.length > BUCKET_MAX) this.split(b);
  }

  delete(key: string): E | undefined {
    const prev = this.byKey.get(key);
    if (prev === undefined) return undefined;
    this.byKey.delete(key);
    this.count(prev, -1);
    const bi = this.locateIndex(key);
    const b = this.buckets[bi];
    const idx = search(b.keys, key);
    b.keys.splice(idx, 1);
    b.entries.splice(idx, 1);
    b.dirty = true;
    if (b.keys.length === 0) this.buckets.splice(bi, 1);
    return prev;
  }

  /** Every entry, in key order. */
  *values(): IterableIterator<E> {
    for (const b of this.buckets) yield* b.entries;
  }

  /** The buckets in key order, their cached texts up to date. */
  *fresh(): IterableIterator<Bucket<E>> {
    for (const b of this.buckets) {
      if (b.dirty) this.rebuild(b);
      yield b;
    }
  }

  private count(e: E | undefined, sign: 1 | -1): void {
    if (!e) return;
    if (e.noLocalInternal) this.noLocal.internal += sign;
    if (e.noLocalExternal) this.noLocal.external += sign;
    this.ownLines += sign * (e.ownRuleLines ?? 0);
  }

  private rebuild(b: Bucket<E>): void {
    const filter: string[] = [];
    const nat: string[] = [];
    let filterLines = 0;
    let natLines = 0;
    for (const e of b.entries) {
      if (e.filterRules.lines > 0) {
        filter.push(e.filterRules.text);
        filterLines += e.filterRules.lines;
      }
      if (e.natRules.lines > 0) {
        nat.push(e.natRules.text);
        natLines += e.natRules.lines;
      }
    }
    b.filterText = filter.join('\n');
    b.filterLines = filterLines;
    b.natText = nat.join('\n');
    b.natLines = natLines;
    b.dirty = false;
  }

  private locateIndex(key: string): number {
    // The last bucket whose first key is <= key (or the first bucket).
    let lo = 0;
    let hi = this.buckets.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.buckets[mid].keys[0] <= key) lo = mid + 1;
      else hi = mid;
    }
    return Math.max(0, lo - 1);
  }

  private locate(key: string): Bucket<E> {
    if (this.buckets.length === 0) this.buckets.push(emptyBucket<E>());
    return this.buckets[this.locateIndex(key)];
  }

  private split(b: Bucket<E>): void {
    const half = b.keys.length >>> 1;
    const right: Bucket<E> = { ...emptyBucket<E>(), keys: b.keys.splice(half), entries: b.entries.splice(half) };
    b.dirty = true;
    this.buckets.splice(this.buckets.indexOf(b) + 1, 0, right);
  }
}

function emptyBucket<E extends Indexed>(): Bucket<E> {
  return { keys: [], entries: [], filterText: '', filterLines: 0, natText: '', natLines: 0, dirty: true };
}
