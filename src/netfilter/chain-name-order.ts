/**
 * A table's user chain names in the order iptables-save (nf_tables) lists
 * them: sorted byte-wise (strcmp), so "KUBE-SVC-10" comes before
 * "KUBE-SVC-2". The order is kept up to date by merging the names added and
 * deleted since it was last asked for, instead of sorting every name again
 * (a restore that adds a few chains to a table of thousands).
 */
export class ChainNameOrder {
  /** The names in order, as of the last `names`; undefined: not known (sorted from scratch when asked). */
  private sorted: readonly string[] | undefined;
  private added: string[] = [];
  private deleted: Set<string> | undefined;

  /** The names in order; `all` gives every name (in any order) when they must be sorted from scratch. */
  names(all: () => Iterable<string>): readonly string[] {
    let sorted = this.sorted;
    if (sorted === undefined) {
      sorted = [...all()].sort();
    } else if (this.added.length > 0 || this.deleted !== undefined) {
      const deleted = this.deleted;
      sorted = mergeSorted(deleted ? sorted.filter((n) => !deleted.has(n)) : sorted, this.added.sort());
    }
    this.sorted = sorted;
    this.added = [];
    this.deleted = undefined;
    return sorted;
  }

  /** `name` is new. Past a quarter of the known names (and 1,024), sorting from scratch is cheaper than merging. */
  add(name: string): void {
    if (this.sorted === undefined) return;
    this.added.push(name);
    if (this.added.length > 1024 && this.added.length > this.sorted.length / 4) {
      this.sorted = undefined;
      this.added = [];
      this.deleted = undefined;
    }
  }

  /** `name` is gone. */
  delete(name: string): void {
    if (this.sorted === undefined) return;
    const added = this.added.indexOf(name);
    if (added >= 0) this.added.splice(added, 1);
    else (this.deleted ??= new Set()).add(name);
  }

  /** An independent copy, with the order settled first (`all` as for `names`) if it is known. */
  copy(all: () => Iterable<string>): ChainNameOrder {
    const copy = new ChainNameOrder();
    if (this.sorted !== undefined) copy.sorted = this.names(all);
    return copy;
  }
}

/**
 * Merges two sorted name lists. Names sort by UTF-16 code unit, which is
 * strcmp's byte order for the ASCII names chains have.
 */
function mergeSorted(a: readonly string[], b: readonly string[]): string[] {
  const out = new Array<string>(a.length + b.length);
  let i = 0;
  let j = 0;
  let k = 0;
  while (i < a.length && j < b.length) out[k++] = a[i] <= b[j] ? a[i++] : b[j++];
  while (i < a.length) out[k++] = a[i++];
  while (j < b.length) out[k++] = b[j++];
  return out;
}
