/**
 * What the StatefulSet controller keeps of one set's pods between two syncs,
 * so that a sync costs what changed since the last one rather than the
 * replica count (a rolling update of n pods is about 4n syncs: looking at
 * every pod each time made it quadratic). Its pods come from store events;
 * the facts a sync needs (status counts, which ordinals may need work,
 * which pods are not at the update revision) are brought up to date for the
 * pods that changed, and rebuilt whole when what they depend on changes (a
 * new revision, the replica count, `minReadySeconds`...).
 */
import { LabelSelector } from '../store/label-selector';
import { KubeObject } from '../store/types';
import { isPodAvailable, isPodReady, isPodTerminating, podStatusOf } from './pod-template';

/** A set of integers kept sorted (a few thousand at most: an insert moves the tail of an array). */
export class SortedNumbers {
  private readonly items: number[] = [];

  get size(): number {
    return this.items.length;
  }

  has(n: number): boolean {
    const i = this.lowerBound(n);
    return this.items[i] === n;
  }

  add(n: number): void {
    const i = this.lowerBound(n);
    if (this.items[i] !== n) this.items.splice(i, 0, n);
  }

  delete(n: number): void {
    const i = this.lowerBound(n);
    if (this.items[i] === n) this.items.splice(i, 1);
  }

  clear(): void {
    this.items.length = 0;
  }

  /** The smallest member at least `n`, or undefined. */
  atLeast(n: number): number | undefined {
    return this.items[this.lowerBound(n)];
  }

  /** The largest member at most `n`, or undefined. */
  atMost(n: number): number | undefined {
    const i = this.lowerBound(n + 1) - 1;
    return i >= 0 ? this.items[i] : undefined;
  }

  /** Fills it with 0 … n-1. */
  fill(n: number): void {
    this.items.length = 0;
    for (let i = 0; i < n; i++) this.items.push(i);
  }

  private lowerBound(n: number): number {
    let lo = 0;
    let hi = this.items.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.items[mid] < n) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

/** What the facts of the set's pods depend on: any change and they are rebuilt. */
export interface SetShape {
  start: number;
  replicas: number;
  minReadySeconds: number;
  current: string;
  update: string;
  /** `persistentVolumeClaimRetentionPolicy` as `whenDeleted/whenScaled`: which owners each claim must have. */
  retention: string;
}

/** What one pod contributes, as of its last event. */
interface Facts {
  ordinal: number;
  /** The selector matches it: the set claims it (an owned pod that no longer matches is released, or on its way out). */
  claimed: boolean;
  hasPhase: boolean;
  ready: boolean;
  terminating: boolean;
  revision: string | undefined;
}

export interface ReplicaCounts {
  replicas: number;
  ready: number;
  available: number;
  current: number;
  updated: number;
}

const revisionOf = (pod: KubeObject, label: string) => pod.metadata.labels?.[label];

/**
 * One set's pods: those with a controller reference to it whose name is a
 * member's (`<set>-<ordinal>`), by name. `unsteady` holds the replica indexes
 * (ordinal - start) that a sync must look at: every one not known to be a
 * claimed, running, ready, available pod whose claims are in place.
 * `outdated` holds the indexes whose pod is not at the update revision.
 */
export class StatefulSetPods {
  private readonly pods = new Map<string, KubeObject>();
  private readonly facts = new Map<string, Facts>();
  /** Claimed pods by ordinal, their names sorted (two names can share one: `web-1`, `web-01`). */
  private readonly byOrdinal = new Map<number, string[]>();
  /** Ordinals with a claimed pod. */
  private readonly ordinals = new SortedNumbers();
  private readonly dirty = new Set<string>();
  readonly unsteady = new SortedNumbers();
  readonly outdated = new SortedNumbers();
  private counts = { replicas: 0, ready: 0, current: 0, updated: 0 };
  /** Ready pods known to be available, and ready pods not yet (looked at again as time goes on). */
  private readonly available = new Set<string>();
  private readonly pending = new Set<string>();
  private shape: SetShape | undefined;

  constructor(
    private readonly ordinalOf: (pod: KubeObject) => number | undefined,
    private readonly selector: LabelSelector,
    private readonly revisionLabel: string,
  ) {}

  /** A pod of the set as an event shows it (undefined: gone, or no longer the set's). */
  podChanged(name: string, pod: KubeObject | undefined): void {
    if (pod && this.ordinalOf(pod) !== undefined) this.pods.set(name, pod);
    else this.pods.delete(name);
    this.dirty.add(name);
  }

  /** The claims of `ordinal` changed: its pod is looked at again. */
  claimsChanged(ordinal: number): void {
    if (this.shape) this.markUnsteady(ordinal);
  }

  /** Brings the facts up to date: for the pods that changed, or all when `shape` differs from the last. */
  refresh(shape: SetShape): void {
    const old = this.shape;
    const whole =
      !old || old.start !== shape.start || old.replicas !== shape.replicas || old.minReadySeconds !== shape.minReadySeconds || old.current !== shape.current || old.update !== shape.update || old.retention !== shape.retention;
    this.shape = shape;
    if (!whole) {
      for (const name of this.dirty) this.recompute(name);
      this.dirty.clear();
      return;
    }
    this.dirty.clear();
    this.facts.clear();
    this.byOrdinal.clear();
    this.ordinals.clear();
    this.outdated.clear();
    this.available.clear();
    this.pending.clear();
    this.counts = { replicas: 0, ready: 0, current: 0, updated: 0 };
    this.unsteady.fill(shape.replicas);
    for (const name of [...this.pods.keys()].sort()) this.recompute(name);
  }

  /** Every pod of the set (claimed or not), sorted by name. */
  all(): KubeObject[] {
    return [...this.pods.keys()].sort().map((name) => this.pods.get(name)!);
  }

  /** The claimed pods, sorted by name. */
  claimed(): KubeObject[] {
    return this.all().filter((p) => this.selector.matches(p.metadata.labels));
  }

  /** The claimed pod of the replica at `ordinal` (of two, the later name, as a list sorted by name leaves it). */
  replicaAt(ordinal: number): KubeObject | undefined {
    const names = this.byOrdinal.get(ordinal);
    return names ? this.pods.get(names[names.length - 1]) : undefined;
  }

  /** The claimed pods beyond the replicas (ordinal below start or past the last), highest ordinal first. */
  *condemnedDescending(): Generator<KubeObject> {
    const { start, replicas } = this.shape!;
    for (let o = this.ordinals.atMost(Infinity); o !== undefined && o >= start + replicas; o = this.ordinals.atMost(o - 1)) yield* this.namesAt(o, true);
    for (let o = this.ordinals.atMost(start - 1); o !== undefined; o = this.ordinals.atMost(o - 1)) yield* this.namesAt(o, true);
  }

  /** The same, lowest ordinal first. */
  *condemnedAscending(): Generator<KubeObject> {
    const { start, replicas } = this.shape!;
    for (let o = this.ordinals.atLeast(-Infinity); o !== undefined && o < start; o = this.ordinals.atLeast(o + 1)) yield* this.namesAt(o, false);
    for (let o = this.ordinals.atLeast(start + replicas); o !== undefined; o = this.ordinals.atLeast(o + 1)) yield* this.namesAt(o, false);
  }

  /** A replica index looked at and found steady: it needs no look until its pod or claims change. */
  steady(index: number): void {
    this.unsteady.delete(index);
  }

  /** The status counts (`computeReplicaStatus`) at `now`; `notYet` is told when each ready pod not yet available will be. */
  replicaCounts(now: number, notYet: (pod: KubeObject) => void): ReplicaCounts {
    const { minReadySeconds } = this.shape!;
    for (const name of [...this.pending]) {
      const pod = this.pods.get(name)!;
      if (isPodAvailable(pod, minReadySeconds, now)) {
        this.pending.delete(name);
        this.available.add(name);
      } else {
        notYet(pod);
      }
    }
    return { ...this.counts, available: this.available.size };
  }

  private *namesAt(ordinal: number, descending: boolean): Generator<KubeObject> {
    const names = this.byOrdinal.get(ordinal) ?? [];
    for (let i = 0; i < names.length; i++) {
      // Gone since the facts were brought up to date (deleted in this sync): nothing to do with it.
      const pod = this.pods.get(names[descending ? names.length - 1 - i : i]);
      if (pod) yield pod;
    }
  }

  private markUnsteady(ordinal: number): void {
    const index = ordinal - this.shape!.start;
    if (index >= 0 && index < this.shape!.replicas) this.unsteady.add(index);
  }

  /** Takes back what the pod contributed and adds what it contributes now. */
  private recompute(name: string): void {
    const shape = this.shape!;
    const before = this.facts.get(name);
    if (before) {
      this.count(before, -1);
      this.available.delete(name);
      this.pending.delete(name);
      if (before.claimed) this.unlink(name, before.ordinal);
      this.facts.delete(name);
    }
    const pod = this.pods.get(name);
    if (pod) {
      const phase = podStatusOf(pod).phase;
      const facts: Facts = {
        ordinal: this.ordinalOf(pod)!,
        claimed: this.selector.matches(pod.metadata.labels),
        hasPhase: phase !== undefined,
        ready: phase === 'Running' && isPodReady(pod),
        terminating: isPodTerminating(pod),
        revision: revisionOf(pod, this.revisionLabel),
      };
      this.facts.set(name, facts);
      this.count(facts, 1);
      if (facts.hasPhase && facts.ready) this.pending.add(name); // sorted out by `replicaCounts`
      if (facts.claimed) this.link(name, facts.ordinal);
    }
    for (const ordinal of new Set([before?.ordinal, this.facts.get(name)?.ordinal])) {
      if (ordinal === undefined) continue;
      this.markUnsteady(ordinal);
      const index = ordinal - shape.start;
      if (index < 0 || index >= shape.replicas) continue;
      const replica = this.replicaAt(ordinal);
      if (replica && revisionOf(replica, this.revisionLabel) !== shape.update) this.outdated.add(index);
      else this.outdated.delete(index);
    }
  }

  private count(facts: Facts, sign: 1 | -1): void {
    if (!facts.hasPhase) return;
    this.counts.replicas += sign;
    if (facts.ready) this.counts.ready += sign;
    if (facts.terminating) return;
    if (facts.revision === this.shape!.current) this.counts.current += sign;
    if (facts.revision === this.shape!.update) this.counts.updated += sign;
  }

  private link(name: string, ordinal: number): void {
    const names = this.byOrdinal.get(ordinal) ?? [];
    names.push(name);
    names.sort();
    this.byOrdinal.set(ordinal, names);
    this.ordinals.add(ordinal);
  }

  private unlink(name: string, ordinal: number): void {
    const names = (this.byOrdinal.get(ordinal) ?? []).filter((n) => n !== name);
    if (names.length) this.byOrdinal.set(ordinal, names);
    else {
      this.byOrdinal.delete(ordinal);
      this.ordinals.delete(ordinal);
    }
  }
}
