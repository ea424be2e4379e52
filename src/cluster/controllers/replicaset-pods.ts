import { ReplicaSetSpec } from '../resources/workload.types';
import { KubeObject } from '../store/types';
import { canonicalJson, isPodActive, isPodAvailable, isPodReady } from './pod-template';

/** What one active pod a ReplicaSet controls adds to its status counts. */
interface Share {
  /** The pod as last seen (for choosing which to delete without reading 20,000 pods back). */
  pod: KubeObject;
  labeled: boolean;
  ready: boolean;
  available: boolean;
}

/**
 * The active pods one ReplicaSet controls (claimed: its controller reference,
 * its selector matching), with the status counts over them kept as pods come
 * and go, so a sync of a ReplicaSet with 20,000 pods costs the pods that
 * changed, not all of them. Built once from every candidate (`reset`), then
 * kept by `put`/`remove` for the pods whose events touched the ReplicaSet.
 * It is valid for one ReplicaSet uid, selector, template labels and
 * `minReadySeconds` (`fits`); when one of those changes it is rebuilt.
 */
export class ReplicaSetPods {
  private readonly shares = new Map<string, Share>();
  /** Pods a claim could not settle (adoption or release refused): looked at again on the next sync. */
  readonly unsettled = new Set<string>();
  /** Ready pods not yet available (`minReadySeconds` not passed): looked at again on each sync. */
  private readonly pending = new Map<string, KubeObject>();
  private labeled = 0;
  private ready = 0;
  private available = 0;
  private readonly templateLabels: Array<[string, string]>;

  private constructor(
    readonly uid: string,
    private readonly shape: string,
    private readonly minReadySeconds: number,
    spec: ReplicaSetSpec,
  ) {
    this.templateLabels = Object.entries(spec.template?.metadata?.labels ?? {});
  }

  static for(rs: KubeObject): ReplicaSetPods {
    const spec = rs.spec as ReplicaSetSpec;
    return new ReplicaSetPods(rs.metadata.uid, ReplicaSetPods.shapeOf(rs), spec.minReadySeconds ?? 0, spec);
  }

  private static shapeOf(rs: KubeObject): string {
    const spec = rs.spec as ReplicaSetSpec;
    return canonicalJson([spec.selector, spec.template?.metadata?.labels ?? {}, spec.minReadySeconds ?? 0]);
  }

  /** Whether this cache still describes `rs` (same uid, selector, template labels, `minReadySeconds`). */
  fits(rs: KubeObject): boolean {
    return rs.metadata.uid === this.uid && ReplicaSetPods.shapeOf(rs) === this.shape;
  }

  get size(): number {
    return this.shares.size;
  }

  keys(): IterableIterator<string> {
    return this.shares.keys();
  }

  /** The active pods, as last recorded. */
  *pods(): IterableIterator<KubeObject> {
    for (const share of this.shares.values()) yield share.pod;
  }

  /** Records `pod` (claimed by the ReplicaSet) under `key`: counted if active, forgotten if not. */
  put(key: string, pod: KubeObject, now: number): void {
    this.remove(key);
    if (!isPodActive(pod)) return;
    const labels = pod.metadata.labels ?? {};
    const ready = isPodReady(pod);
    const share: Share = {
      pod,
      labeled: this.templateLabels.every(([k, v]) => labels[k] === v),
      ready,
      available: ready && isPodAvailable(pod, this.minReadySeconds, now),
    };
    if (ready && !share.available) this.pending.set(key, pod);
    this.shares.set(key, share);
    this.count(share, 1);
  }

  remove(key: string): void {
    const share = this.shares.get(key);
    if (!share) return;
    this.shares.delete(key);
    this.pending.delete(key);
    this.count(share, -1);
  }

  private count(share: Share, sign: 1 | -1): void {
    if (share.labeled) this.labeled += sign;
    if (share.ready) this.ready += sign;
    if (share.available) this.available += sign;
  }

  /**
   * The counts at `now`: pods that became available since are counted so;
   * `notYet` is told when each ready pod still waiting will be.
   */
  counts(now: number, notYet: (pod: KubeObject) => void): { replicas: number; labeled: number; ready: number; available: number } {
    for (const [key, pod] of this.pending) {
      if (!isPodAvailable(pod, this.minReadySeconds, now)) {
        notYet(pod);
        continue;
      }
      this.pending.delete(key);
      this.shares.get(key)!.available = true;
      this.available++;
    }
    return { replicas: this.shares.size, labeled: this.labeled, ready: this.ready, available: this.available };
  }
}

