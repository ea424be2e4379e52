import { PodSpec } from '../resources/pod.types';
import { POD_DELETION_COST_ANNOTATION } from '../resources/workload.types';
import { KubeObject } from '../store/types';
import { isPodActive, isPodReady, podStatusOf, readyCondition } from './pod-template';

/*
 * The order in which a ReplicaSet (or a ReplicationController) gives up its
 * pods when it scales down, as upstream's `ActivePodsWithRanks` sorts them,
 * and the bounded heap that picks the first of that order without sorting
 * thousands of pods.
 */

const PHASE_ORDINAL: Record<string, number> = { Pending: 0, Unknown: 1, Running: 2 };

function deletionCost(pod: KubeObject): number {
  const text = pod.metadata.annotations?.[POD_DELETION_COST_ANNOTATION];
  if (text === undefined || !/^-?[0-9]+$/.test(text)) return 0;
  const cost = Number(text);
  return cost >= -2147483648 && cost <= 2147483647 ? cost : 0;
}

function maxRestarts(pod: KubeObject): number {
  let max = 0;
  for (const s of (podStatusOf(pod).containerStatuses ?? []) as Array<{ restartCount?: number }>) max = Math.max(max, s.restartCount ?? 0);
  return max;
}

/** How long ago `t` was, in whole powers of two of nanoseconds (-1 if not before `now`): `logarithmicRankDiff`'s rank. */
function timeRank(t: number | undefined, now: number): number {
  if (t === undefined) return -1;
  const d = (now - t) * 1e6;
  return d > 0 ? Math.floor(Math.log2(d)) : -1;
}

/** `afterOrZero` then the logarithmic comparison (ranks from `timeRank`), ties broken by uid; 0 when undecided. */
function compareTimes(t1: number | undefined, rank1: number, t2: number | undefined, rank2: number, uidA: string, uidB: string): number {
  if (t1 === t2) return 0;
  if (t1 === undefined || t2 === undefined) return t1 === undefined ? -1 : 1;
  const diff = rank1 - rank2;
  if (diff === 0) return uidA < uidB ? -1 : uidA > uidB ? 1 : 0;
  return diff;
}

/**
 * The pods a ReplicaSet gives up first when it scales down, in upstream's
 * `ActivePodsWithRanks` order: unscheduled before scheduled; Pending before
 * Unknown before Running; not ready before ready; lower
 * `controller.kubernetes.io/pod-deletion-cost` first; pods doubled up on a
 * node (more related pods there) first; more recently ready first and more
 * recently created first (compared on a logarithmic scale, ties broken by
 * uid); more container restarts first. Name breaks the remaining ties so the
 * order is total.
 */
export function podsToDelete(candidates: KubeObject[], related: KubeObject[], count: number, now: number): KubeObject[] {
  const steps = podsToDeleteSteps(candidates, related, count, now);
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
  }
}

/**
 * `podsToDelete` cut into steps of `RANK_STEP` candidates: a scale-down from
 * 20,000 replicas ranks every active pod to choose the 500 of each sync.
 * Each pod's sort keys are worked out once per version of the pod (pods are
 * immutable, so a WeakMap keyed by the object cannot go stale), and only the
 * `count` first are kept in order (a bounded heap), not all 20,000 sorted.
 */
export function* podsToDeleteSteps(candidates: KubeObject[], related: KubeObject[], count: number, now: number): Generator<void, KubeObject[], void> {
  if (count >= candidates.length) return [...candidates];
  const onNode = new Map<string, number>();
  for (const p of related) {
    if (!isPodActive(p)) continue;
    const node = (p.spec as PodSpec).nodeName ?? '';
    onNode.set(node, (onNode.get(node) ?? 0) + 1);
  }
  const heap = new BoundedHeap<RankKeys>(count, compareRanks);
  for (let from = 0; from < candidates.length; from += RANK_STEP) {
    if (from > 0) yield;
    const to = Math.min(from + RANK_STEP, candidates.length);
    for (let i = from; i < to; i++) {
      const k = rankKeysOf(candidates[i]);
      heap.offer({ k, rank: onNode.get(k.nodeName) ?? 0, readyRank: timeRank(k.readyTime, now), createdRank: timeRank(k.created, now) });
    }
  }
  return heap.sorted().map((r) => r.k.pod);
}

/** Candidates ranked per step of `podsToDeleteSteps`. */
const RANK_STEP = 2_000;

interface StaticRankKeys {
  pod: KubeObject;
  nodeName: string;
  phase: number;
  ready: boolean;
  cost: number;
  readyTime: number | undefined;
  restarts: number;
  created: number;
}

/** A pod's keys for one ranking: its own (cached), and those that depend on the moment and its neighbours. */
interface RankKeys {
  k: StaticRankKeys;
  rank: number;
  readyRank: number;
  createdRank: number;
}

const staticRankKeys = new WeakMap<KubeObject, StaticRankKeys>();

function rankKeysOf(p: KubeObject): StaticRankKeys {
  const cached = staticRankKeys.get(p);
  if (cached) return cached;
  const ready = isPodReady(p);
  const readyAt = ready ? Date.parse(readyCondition(p)?.lastTransitionTime ?? '') : NaN;
  const keys: StaticRankKeys = {
    pod: p,
    nodeName: (p.spec as PodSpec).nodeName ?? '',
    phase: PHASE_ORDINAL[podStatusOf(p).phase ?? ''] ?? 0,
    ready,
    cost: deletionCost(p),
    readyTime: Number.isNaN(readyAt) ? undefined : readyAt,
    restarts: maxRestarts(p),
    created: Date.parse(p.metadata.creationTimestamp),
  };
  staticRankKeys.set(p, keys);
  return keys;
}

function compareRanks(x: RankKeys, y: RankKeys): number {
  const a = x.k;
  const b = y.k;
  const na = a.nodeName;
  const nb = b.nodeName;
  if (na !== nb && (na === '' || nb === '')) return na === '' ? -1 : 1;
  if (a.phase !== b.phase) return a.phase - b.phase;
  if (a.ready !== b.ready) return a.ready ? 1 : -1;
  if (a.cost !== b.cost) return a.cost - b.cost;
  if (x.rank !== y.rank) return y.rank - x.rank;
  if (a.ready && b.ready) {
    const c = compareTimes(a.readyTime, x.readyRank, b.readyTime, y.readyRank, a.pod.metadata.uid, b.pod.metadata.uid);
    if (c !== 0) return c;
  }
  const restarts = b.restarts - a.restarts;
  if (restarts !== 0) return restarts;
  const c = compareTimes(a.created, x.createdRank, b.created, y.createdRank, a.pod.metadata.uid, b.pod.metadata.uid);
  if (c !== 0) return c;
  const ma = a.pod.metadata.name;
  const mb = b.pod.metadata.name;
  return ma < mb ? -1 : ma > mb ? 1 : 0;
}

/** The `count` smallest items under `compare` (a total order), in order. */
export function smallest<T>(items: T[], count: number, compare: (a: T, b: T) => number): T[] {
  if (count <= 0) return [];
  if (count * 4 >= items.length) return [...items].sort(compare).slice(0, count);
  const heap = new BoundedHeap(count, compare);
  for (const item of items) heap.offer(item);
  return heap.sorted();
}

/** The `count` smallest items offered so far under `compare` (a total order): a max-heap of `count`, fed one item at a time. */
class BoundedHeap<T> {
  private readonly heap: T[] = [];

  constructor(
    private readonly count: number,
    private readonly compare: (a: T, b: T) => number,
  ) {}

  offer(item: T): void {
    const heap = this.heap;
    if (heap.length < this.count) {
      heap.push(item);
      this.up(heap.length - 1);
    } else if (this.count > 0 && this.compare(item, heap[0]) < 0) {
      heap[0] = item;
      this.down(0);
    }
  }

  /** The items kept, smallest first. */
  sorted(): T[] {
    return [...this.heap].sort(this.compare);
  }

  private up(i: number): void {
    const heap = this.heap;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (this.compare(heap[i], heap[parent]) <= 0) return;
      [heap[i], heap[parent]] = [heap[parent], heap[i]];
      i = parent;
    }
  }

  private down(i: number): void {
    const heap = this.heap;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let top = i;
      if (l < heap.length && this.compare(heap[l], heap[top]) > 0) top = l;
      if (r < heap.length && this.compare(heap[r], heap[top]) > 0) top = r;
      if (top === i) return;
      [heap[i], heap[top]] = [heap[top], heap[i]];
      i = top;
    }
  }
}

