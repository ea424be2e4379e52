/**
 * One ipset set: its header (type and create options) and its elements, kept
 * as the kernel keeps them so that `ipset save` lists them in the kernel's
 * order:
 *
 * - **hash types**: a table of 2^bits buckets; an element goes to bucket
 *   `jhash2(element words, initval) & (2^bits - 1)`, into the bucket's first
 *   deleted slot, else at its end. A bucket grows by 2 slots up to
 *   `bucketsize` (12); an add to a full bucket doubles the table and
 *   re-inserts every element, bucket by bucket (`mtype_resize`). Types with
 *   a net part keep the prefix lengths in use, longest first: a packet is
 *   tested against each in turn, and the first element found decides (a
 *   `nomatch` element answers "no").
 * - **bitmap types**: one slot per port or address (block of addresses with
 *   `netmask`) of the range, listed in order.
 * - **list:set**: the member sets by name, in order.
 *
 * Timeouts are absolute times on the injected clock (ms); an element is gone
 * once the clock passes it. Counters (`packets`, `bytes`) are per element.
 */
import { jhash2 } from '../nat';
import { EMPTY_ELEMENT, elementKey, hashWords, hostPrefix, setTypeSpec, type SetElement, type SetFamily, type SetTypeSpec } from './set-types';

/** The options of `create NAME TYPE ...` that `ipset save` prints back. */
export interface SetHeader {
  readonly name: string;
  readonly type: SetTypeSpec;
  /** Hash types: `inet` or `inet6` (`family`); bitmap and list types are `inet` (bitmap:port and list:set have none). */
  readonly family: SetFamily;
  /** hash types: the table size (a power of two, at least 64). */
  readonly hashsize: number;
  readonly maxelem: number;
  /** Default timeout of the set's elements in seconds; undefined: the set has no timeout support. */
  readonly timeout?: number;
  readonly counters: boolean;
  readonly comment: boolean;
  readonly skbinfo: boolean;
  readonly forceadd: boolean;
  /** hash:ip and bitmap:ip: the prefix addresses are stored under (the family's full length, 32 or 128: none). */
  readonly netmask: number;
  readonly bucketsize: number;
  readonly initval: number;
  /** bitmap types: the first and last address or port of the range. */
  readonly rangeFrom: number;
  readonly rangeTo: number;
  /** list:set: how many members it may hold. */
  readonly size: number;
}

/** An element's extensions: everything beside its value. */
export interface SetEntry {
  readonly element: SetElement;
  nomatch: boolean;
  /** Absolute expiry time (ms); undefined: permanent. */
  expires: number | undefined;
  packets: number;
  bytes: number;
  comment: string | undefined;
  skbmark: number | undefined;
  skbmarkmask: number;
  skbprio: number | undefined;
  skbqueue: number | undefined;
}

/** What an add or test brings besides the element. */
export interface EntryOptions {
  /** Seconds; 0 is permanent; undefined: the set's default. */
  readonly timeout?: number;
  readonly nomatch?: boolean;
  readonly packets?: number;
  readonly bytes?: number;
  readonly comment?: string;
  readonly skbmark?: number;
  readonly skbmarkmask?: number;
  readonly skbprio?: number;
  readonly skbqueue?: number;
}

/** Why an add or a delete failed, in `ipset`'s words. */
export class SetOperationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SetOperationError';
  }
}

const AHASH_INIT_SIZE = 2;

interface Bucket {
  size: number;
  /** Slots in use or deleted; `undefined` marks a deleted slot. */
  slots: Array<SetEntry | undefined>;
}

export class IpSet {
  private buckets: Array<Bucket | undefined> = [];
  private bits = 0;
  /** Every live entry by element key (all kinds). */
  private readonly byKey = new Map<string, SetEntry>();
  /** list:set members in order. */
  private members: SetEntry[] = [];
  /** Net types: prefix lengths in use, longest first, with how many elements have each. */
  private nets: Array<{ cidr: number; count: number }> = [];

  constructor(readonly header: SetHeader) {
    if (header.type.kind === 'hash') {
      this.bits = Math.max(0, Math.ceil(Math.log2(header.hashsize)));
      this.buckets = new Array<Bucket | undefined>(2 ** this.bits);
    }
  }

  get name(): string {
    return this.header.name;
  }

  get typeName(): string {
    return this.header.type.name;
  }

  /** The table size `ipset save` prints (it doubles when a bucket overflows). */
  get hashsize(): number {
    return 2 ** this.bits;
  }

  /** A deep copy (for copy-on-write forks of a store). */
  clone(): IpSet {
    const copy = new IpSet(this.header);
    copy.bits = this.bits;
    const map = new Map<SetEntry, SetEntry>();
    const dup = (e: SetEntry): SetEntry => {
      const c = { ...e };
      map.set(e, c);
      copy.byKey.set(elementKey(this.header.type.name, e.element), c);
      return c;
    };
    copy.buckets = this.buckets.map((b) => (b === undefined ? undefined : { size: b.size, slots: b.slots.map((s) => (s === undefined ? undefined : dup(s))) }));
    if (this.header.type.kind !== 'hash') for (const e of this.byKey.values()) if (!map.has(e)) dup(e);
    copy.members = this.members.map((e) => map.get(e)!);
    copy.nets = this.nets.map((n) => ({ ...n }));
    return copy;
  }

  private expired(entry: SetEntry, now: number): boolean {
    return entry.expires !== undefined && now > entry.expires;
  }

  private bucketOf(element: SetElement, bits = this.bits): number {
    const mask = bits >= 32 ? 0xffffffff : (2 ** bits - 1);
    return (jhash2(hashWords(this.header.type.name, element), this.header.initval) & mask) >>> 0;
  }

  /** Live (unexpired) entries, in `ipset save` order. */
  entries(now: number): SetEntry[] {
    const out: SetEntry[] = [];
    const kind = this.header.type.kind;
    if (kind === 'hash') {
      for (const bucket of this.buckets) {
        if (!bucket) continue;
        for (const e of bucket.slots) if (e && !this.expired(e, now)) out.push(e);
      }
    } else if (kind === 'bitmap') {
      // bitmap:ip is IPv4 only: its addresses are numbers.
      const key = (e: SetEntry): number => (this.header.type.name === 'bitmap:port' ? e.element.port : Number(e.element.ip));
      for (const e of this.byKey.values()) if (!this.expired(e, now)) out.push(e);
      out.sort((a, b) => key(a) - key(b));
    } else {
      for (const e of this.members) if (!this.expired(e, now)) out.push(e);
    }
    return out;
  }

  /** The live entry holding exactly this element. */
  get(element: SetElement, now: number): SetEntry | undefined {
    const e = this.byKey.get(elementKey(this.header.type.name, element));
    return e && !this.expired(e, now) ? e : undefined;
  }

  /** Net types: prefix lengths in use, longest first. */
  prefixes(): readonly number[] {
    return this.nets.map((n) => n.cidr);
  }

  /** list:set: member names, in order, live. */
  memberNames(now: number): string[] {
    return this.entries(now).map((e) => e.element.name);
  }

  get elementCount(): number {
    return this.byKey.size;
  }

  /**
   * Adds an element, as `ipset add` (and the SET target) do. With `exist`
   * an existing element gets the new extensions; without it, re-adding a
   * live element is an error.
   */
  add(element: SetElement, options: EntryOptions, now: number, exist: boolean, before?: { name: string; before: boolean }): void {
    const h = this.header;
    const key = elementKey(h.type.name, element);
    const current = this.byKey.get(key);
    if (current && !this.expired(current, now)) {
      if (!exist) throw new SetOperationError("Element cannot be added to the set: it's already added");
      this.fill(current, options, now);
      return;
    }
    if (current) {
      // An expired element is overwritten where it stands.
      this.fill(current, options, now);
      return;
    }
    if (this.byKey.size >= (h.type.kind === 'list' ? h.size : h.type.kind === 'hash' ? h.maxelem : Infinity)) {
      if (h.type.kind === 'list') throw new SetOperationError('Set is full, no more elements can be added');
      // Expired entries make room first.
      this.purge(now);
      if (this.byKey.size >= h.maxelem) {
        // forceadd: the element takes the first slot of its bucket, evicting what was there.
        const bucket = h.forceadd ? this.buckets[this.bucketOf(element)] : undefined;
        const evicted = bucket?.slots[0];
        if (!bucket || !evicted) throw new SetOperationError(`Hash is full, cannot add more elements`);
        this.forget(evicted);
        bucket.slots[0] = undefined;
      }
    }
    const entry: SetEntry = {
      element,
      nomatch: false,
      expires: undefined,
      packets: 0,
      bytes: 0,
      comment: undefined,
      skbmark: undefined,
      skbmarkmask: 0xffffffff,
      skbprio: undefined,
      skbqueue: undefined,
    };
    this.fill(entry, options, now);
    if (h.type.kind === 'hash') this.insert(entry, now);
    else if (h.type.kind === 'list') {
      let at = this.members.length;
      if (before) {
        const i = this.members.findIndex((m) => m.element.name === before.name);
        if (i < 0) throw new SetOperationError('Reference set does not exist');
        at = before.before ? i : i + 1;
      }
      this.members.splice(at, 0, entry);
    }
    this.byKey.set(key, entry);
    if (h.type.nets) this.addNet(h.type.nets === 'ip' ? element.cidr : element.cidr2);
  }

  private fill(entry: SetEntry, o: EntryOptions, now: number): void {
    const h = this.header;
    entry.nomatch = o.nomatch ?? false;
    if (h.timeout !== undefined) {
      const seconds = o.timeout ?? h.timeout;
      entry.expires = seconds === 0 ? undefined : now + seconds * 1000;
    }
    if (h.counters) {
      entry.packets = o.packets ?? 0;
      entry.bytes = o.bytes ?? 0;
    }
    if (h.comment) entry.comment = o.comment;
    if (h.skbinfo) {
      entry.skbmark = o.skbmark;
      entry.skbmarkmask = o.skbmarkmask ?? 0xffffffff;
      entry.skbprio = o.skbprio;
      entry.skbqueue = o.skbqueue;
    }
  }

  /** Deletes an element; false when it is not in the set (or expired). */
  delete(element: SetElement, now: number): boolean {
    const entry = this.byKey.get(elementKey(this.header.type.name, element));
    if (!entry || this.expired(entry, now)) return false;
    this.remove(entry);
    return true;
  }

  /** Drops every element. */
  flush(): void {
    this.byKey.clear();
    this.members = [];
    this.nets = [];
    if (this.header.type.kind === 'hash') this.buckets = new Array<Bucket | undefined>(this.buckets.length);
  }

  private purge(now: number): void {
    for (const e of [...this.byKey.values()]) if (this.expired(e, now)) this.remove(e);
  }

  /** Drops an entry from the key index and the prefix book-keeping (not from its slot). */
  private forget(entry: SetEntry): void {
    const h = this.header;
    this.byKey.delete(elementKey(h.type.name, entry.element));
    if (h.type.nets) this.delNet(h.type.nets === 'ip' ? entry.element.cidr : entry.element.cidr2);
  }

  private remove(entry: SetEntry): void {
    const h = this.header;
    this.forget(entry);
    if (h.type.kind === 'list') {
      this.members = this.members.filter((m) => m !== entry);
      return;
    }
    if (h.type.kind !== 'hash') return;
    const index = this.bucketOf(entry.element);
    const bucket = this.buckets[index];
    if (!bucket) return;
    const i = bucket.slots.indexOf(entry);
    if (i < 0) return;
    bucket.slots[i] = undefined;
    // The kernel's `pos` only moves back when the last slot is freed.
    if (i === bucket.slots.length - 1) bucket.slots.pop();
    let free = 0;
    for (const s of bucket.slots) if (s === undefined) free++;
    if (bucket.slots.length === 0 && free === 0) this.buckets[index] = undefined;
    else if (free >= AHASH_INIT_SIZE) {
      // Shrink: the live entries, packed, in a bucket two slots smaller.
      const live = bucket.slots.filter((s): s is SetEntry => s !== undefined);
      this.buckets[index] = { size: bucket.size - AHASH_INIT_SIZE, slots: live };
    }
  }

  /** Into its bucket: the first deleted slot, else a new one; a full bucket doubles the table. */
  private insert(entry: SetEntry, now: number): void {
    for (;;) {
      const index = this.bucketOf(entry.element);
      let bucket = this.buckets[index];
      if (!bucket) {
        bucket = { size: AHASH_INIT_SIZE, slots: [] };
        this.buckets[index] = bucket;
      }
      // The first deleted or expired slot is reused.
      const free = bucket.slots.findIndex((s) => s === undefined || this.expired(s, now));
      if (free >= 0) {
        const old = bucket.slots[free];
        if (old) this.forget(old);
        bucket.slots[free] = entry;
        return;
      }
      if (bucket.slots.length < bucket.size) {
        bucket.slots.push(entry);
        return;
      }
      if (bucket.size < this.header.bucketsize) {
        bucket.size += AHASH_INIT_SIZE;
        bucket.slots.push(entry);
        return;
      }
      this.resize();
    }
  }

  /** Doubles the table until every element fits (`mtype_resize`, retried on a full bucket). */
  private resize(): void {
    let bits = this.bits;
    for (;;) {
      bits++;
      const table = new Array<Bucket | undefined>(2 ** bits);
      let fits = true;
      for (const bucket of this.buckets) {
        if (!bucket) continue;
        for (const e of bucket.slots) {
          if (!e) continue;
          const index = this.bucketOf(e.element, bits);
          let target = table[index];
          if (!target) {
            target = { size: AHASH_INIT_SIZE, slots: [] };
            table[index] = target;
          } else if (target.slots.length >= target.size) {
            if (target.size >= this.header.bucketsize) {
              fits = false;
              break;
            }
            target.size += AHASH_INIT_SIZE;
          }
          target.slots.push(e);
        }
        if (!fits) break;
      }
      if (fits) {
        this.buckets = table;
        this.bits = bits;
        return;
      }
    }
  }

  private addNet(cidr: number): void {
    const found = this.nets.find((n) => n.cidr === cidr);
    if (found) {
      found.count++;
      return;
    }
    let i = 0;
    while (i < this.nets.length && this.nets[i].cidr > cidr) i++;
    this.nets.splice(i, 0, { cidr, count: 1 });
  }

  private delNet(cidr: number): void {
    const i = this.nets.findIndex((n) => n.cidr === cidr);
    if (i < 0) return;
    if (--this.nets[i].count === 0) this.nets.splice(i, 1);
  }
}

/**
 * The family the kernel gives a set (`set->family`): bitmap:port and list:set have none and take
 * packets and rules of both; every other type is its header's (bitmap:ip is IPv4).
 */
export function kernelFamily(header: SetHeader): SetFamily | undefined {
  return header.type.kind === 'list' || header.type.name === 'bitmap:port' ? undefined : header.family;
}

/** A header with the kernel's defaults for what was not given. */
export function makeHeader(name: string, typeName: string, given: Partial<Omit<SetHeader, 'name' | 'type'>> = {}): SetHeader {
  const type = setTypeSpec(typeName);
  if (!type) throw new SetOperationError(`Syntax error: typename '${typeName}' is unknown`);
  const hashsize = Math.max(64, given.hashsize ?? 1024);
  const family = given.family ?? 'inet';
  return {
    name,
    type,
    family,
    hashsize: 2 ** Math.ceil(Math.log2(hashsize)),
    maxelem: given.maxelem ?? 65536,
    timeout: given.timeout,
    counters: given.counters ?? false,
    comment: given.comment ?? false,
    skbinfo: given.skbinfo ?? false,
    forceadd: given.forceadd ?? false,
    netmask: given.netmask ?? hostPrefix(family),
    bucketsize: given.bucketsize ?? 12,
    initval: given.initval ?? 0,
    rangeFrom: given.rangeFrom ?? 0,
    rangeTo: given.rangeTo ?? 0,
    size: given.size ?? 8,
  };
}

export { EMPTY_ELEMENT };
