/**
 * The ipsets of one network namespace, by name, in creation order. The store
 * lives beside the ruleset: an iptables reload does not touch it (rules
 * name sets; sets outlive rules), as in the kernel.
 *
 * `fork()` gives a copy-on-write child for an engine exploring paths: it
 * reads the parent's sets and copies a set before its first change (a SET
 * target, a counter update), so the parent never changes through it.
 */
import { IpSet } from './ip-set';

export class IpsetStore {
  private readonly sets: Map<string, IpSet>;
  /** Sets this store may change in place (a fork owns none until it copies one). */
  private readonly owned: Set<IpSet>;
  private changes = 0;

  /**
   * Whether packets count in element counters through this store. A fork
   * (an enumerated path) does not: copying a large set for a counter would
   * cost more than the path; `--packets-*` / `--bytes-*` then compare as if
   * the packet had counted.
   */
  readonly counts: boolean;

  constructor(parent?: IpsetStore) {
    this.sets = parent ? new Map(parent.sets) : new Map();
    this.owned = new Set();
    this.counts = parent === undefined;
  }

  fork(): IpsetStore {
    return new IpsetStore(this);
  }

  /** Grows with every change made through this store. */
  get revision(): number {
    return this.changes;
  }

  get size(): number {
    return this.sets.size;
  }

  /** The set, to read. */
  get(name: string): IpSet | undefined {
    return this.sets.get(name);
  }

  has(name: string): boolean {
    return this.sets.has(name);
  }

  /** The set, to change (copied first when a fork reads it from its parent). */
  writable(name: string): IpSet | undefined {
    const set = this.sets.get(name);
    if (!set) return undefined;
    this.changes++;
    if (this.owned.has(set)) return set;
    const copy = set.clone();
    this.sets.set(name, copy);
    this.owned.add(copy);
    return copy;
  }

  /** Adds a new set (the caller checked the name is free). */
  create(set: IpSet): void {
    this.changes++;
    this.sets.set(set.name, set);
    this.owned.add(set);
  }

  destroy(name: string): boolean {
    const set = this.sets.get(name);
    if (!set) return false;
    this.changes++;
    this.owned.delete(set);
    return this.sets.delete(name);
  }

  /** Takes over the sets of a fork of this store (a restore that succeeded). */
  adopt(fork: IpsetStore): void {
    this.changes++;
    this.sets.clear();
    for (const [name, set] of fork.sets) {
      this.sets.set(name, set);
      if (fork.owned.has(set)) this.owned.add(set);
    }
    for (const set of this.owned) if (this.sets.get(set.name) !== set) this.owned.delete(set);
  }

  /** Every set, in creation order. */
  all(): IpSet[] {
    return [...this.sets.values()];
  }

  /** The list:set sets that hold `name` as a member. */
  listsHolding(name: string, now: number): string[] {
    const out: string[] = [];
    for (const set of this.sets.values()) {
      if (set.header.type.kind === 'list' && set.memberNames(now).includes(name)) out.push(set.name);
    }
    return out;
  }
}
