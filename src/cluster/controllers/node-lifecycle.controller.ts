import { NodeCondition, NodeSpec, NodeStatus, NodeTaint } from '../resources/node.types';
import { PodSpec, PodStatus } from '../resources/pod.types';
import { SimulationClock, Timer } from '../simulation-clock';
import { parseFieldSelector } from '../store/field-selector';
import { ObjectStore } from '../store/object-store';
import { resourceTypeByKey } from '../store/resource-types';
import { KubeObject, StoredEvent } from '../store/types';
import { Controller } from './controller-manager';
import { recordEvent } from './events';
import { NODE_LEASE_NAMESPACE } from './kubelet.controller';
import { toleratesTaint } from './node-selection';

const pods = resourceTypeByKey('pods')!;
const nodes = resourceTypeByKey('nodes')!;
const leases = resourceTypeByKey('leases.coordination.k8s.io')!;

/** kube-controller-manager's defaults. */
export const NODE_MONITOR_PERIOD_MS = 5_000;
export const NODE_MONITOR_GRACE_PERIOD_MS = 40_000;

export const UNREACHABLE_TAINT_KEY = 'node.kubernetes.io/unreachable';

const OWNED = { owned: true };
/** The conditions the node controller makes Unknown for a node whose kubelet stopped posting (or never posted) them. */
const NEVER_UPDATED_CONDITIONS = ['Ready', 'MemoryPressure', 'DiskPressure', 'PIDPressure'];

export interface NodeLifecycleOptions {
  /**
   * When the node's kubelet will renew its lease next (undefined: it will
   * not). A lease that is renewed before it goes stale needs no look.
   */
  nextLeaseRenewal?: (node: string) => number | undefined;
}

/**
 * The node lifecycle controller: every 5 s it looks at each node's lease. A
 * lease 40 s old or more makes the node `Ready=Unknown` ("Kubelet stopped
 * posting node status."), taints it `node.kubernetes.io/unreachable`
 * (NoSchedule and NoExecute) and marks its pods not ready. Pods that do not
 * tolerate a NoExecute taint are evicted at once, those that tolerate it for
 * `tolerationSeconds` (300 s by default) when that time is up. A node whose
 * kubelet is back and Ready loses the taints.
 */
export class NodeLifecycleController implements Controller {
  readonly name = 'node-lifecycle-controller';
  private due = false;
  /** The monitor ticks at `origin + k * 5 s`, as a 5 s period started at construction would. */
  private readonly origin: number;
  private check: Timer | undefined;

  constructor(
    private readonly store: ObjectStore,
    private readonly clock: SimulationClock,
    private readonly options: NodeLifecycleOptions = {},
  ) {
    this.origin = clock.now();
    this.lookAtNextTick();
  }

  /**
   * Looks at the node again when its lease could go stale: after its kubelet
   * stopped, say, since no store event says so.
   */
  recheck(node: string): void {
    const lease = this.store.tryGet(leases, NODE_LEASE_NAMESPACE, node);
    const object = this.store.tryGet(nodes, undefined, node);
    if (object) this.lookAt(this.staleAt(object, lease));
  }

  observe(event: StoredEvent): void {
    const object = event.object;
    switch (event.resource) {
      case 'nodes':
        // A node that posts Ready again is untainted without waiting for the next tick.
        if (event.type === 'MODIFIED' && readyCondition(object)?.status === 'True' && hasUnreachableTaint(object)) this.due = true;
        else if (event.type !== 'DELETED') this.lookAtNextTick();
        break;
      case 'leases.coordination.k8s.io':
        if (object.metadata.namespace !== NODE_LEASE_NAMESPACE) break;
        if (event.type === 'DELETED') this.lookAtNextTick();
        else this.lookAt(this.staleAt(undefined, object));
        break;
      case 'pods': {
        // A pod on a NoExecute-tainted node may have to go.
        const nodeName = (object.spec as PodSpec | undefined)?.nodeName;
        if (event.type === 'DELETED' || !nodeName || object.metadata.deletionTimestamp) break;
        const node = this.store.tryGet(nodes, undefined, nodeName);
        if (node && noExecuteTaints(node).length) this.lookAtNextTick();
        break;
      }
    }
  }

  reconcile(): boolean {
    if (!this.due) return false;
    this.due = false;
    let next = Infinity;
    for (const node of this.store.list(nodes).items) next = Math.min(next, this.monitor(node));
    this.lookAt(next);
    return true;
  }

  // ---- when to look --------------------------------------------------------
  // Upstream polls every 5 s. A poll that finds nothing to do changes nothing,
  // so here the monitor runs only at the ticks where something can happen: the
  // first tick after a change, and the first tick at or after the next deadline
  // (a lease going stale, a toleration running out). What it does, and when in
  // simulated time, is the same as polling; what it costs follows events.

  private tickAtOrAfter(at: number): number {
    return this.origin + Math.ceil((at - this.origin) / NODE_MONITOR_PERIOD_MS) * NODE_MONITOR_PERIOD_MS;
  }

  private lookAtNextTick(): void {
    this.lookAt(this.clock.now() + 1);
  }

  /** Makes sure the monitor runs at the first tick at or after `at` (and after now). */
  private lookAt(at: number): void {
    if (!Number.isFinite(at)) return;
    const tick = this.tickAtOrAfter(Math.max(at, this.clock.now() + 1));
    if (this.check && this.check.at <= tick) return;
    this.clock.cancel(this.check);
    this.check = this.clock.after(tick - this.clock.now(), 'node-lifecycle-controller: monitor node health', () => {
      this.check = undefined;
      this.due = true;
      this.store.commit();
    });
  }

  /** When the node's lease goes stale, unless its kubelet renews it before (then never). */
  private staleAt(node: KubeObject | undefined, lease: KubeObject | undefined): number {
    const name = node?.metadata.name ?? lease!.metadata.name;
    if (node && readyCondition(node)?.status === 'Unknown') return Infinity;
    const renewTime = ((lease?.spec ?? {}) as { renewTime?: string }).renewTime;
    const created = node?.metadata.creationTimestamp ?? this.store.tryGet(nodes, undefined, name)?.metadata.creationTimestamp;
    const renewed = renewTime ? Date.parse(renewTime) : created ? Date.parse(created) : this.clock.now();
    const staleAt = renewed + NODE_MONITOR_GRACE_PERIOD_MS;
    const renewal = this.options.nextLeaseRenewal?.(name);
    return renewal !== undefined && renewal < staleAt ? Infinity : staleAt;
  }

  /** Looks at one node; returns when it needs looking at again (Infinity: not unless something changes). */
  private monitor(node: KubeObject): number {
    const name = node.metadata.name;
    const lease = this.store.tryGet(leases, NODE_LEASE_NAMESPACE, name);
    const renewed = Date.parse(((lease?.spec ?? {}) as { renewTime?: string }).renewTime ?? node.metadata.creationTimestamp);
    const stale = this.clock.now() - renewed >= NODE_MONITOR_GRACE_PERIOD_MS;
    const ready = readyCondition(node);
    if (stale && ready?.status !== 'Unknown') this.markUnknown(node);
    else if (!stale && ready?.status === 'True' && hasUnreachableTaint(node)) this.untaint(node);
    const current = this.store.get(nodes, undefined, name);
    return Math.min(this.evict(current), this.staleAt(current, this.store.tryGet(leases, NODE_LEASE_NAMESPACE, name)));
  }

  private markUnknown(node: KubeObject): void {
    const now = this.store.now();
    const status = (node.status ?? {}) as NodeStatus;
    const conditions = (status.conditions ?? []).map(
      (c): NodeCondition =>
        c.type === 'NetworkUnavailable'
          ? c
          : { ...c, status: 'Unknown', reason: 'NodeStatusUnknown', message: 'Kubelet stopped posting node status.', lastTransitionTime: now },
    );
    // A condition the kubelet never posted (a status written without it) is added as Unknown, as
    // tryUpdateNodeHealth adds it: without a Ready condition the node would be marked again at every tick.
    for (const type of NEVER_UPDATED_CONDITIONS) {
      if (conditions.some((c) => c.type === type)) continue;
      conditions.push({ type, status: 'Unknown', lastHeartbeatTime: node.metadata.creationTimestamp, lastTransitionTime: now, reason: 'NodeStatusNeverUpdated', message: 'Kubelet never posted node status.' });
    }
    const updated = this.store.updateStatus(nodes, undefined, node.metadata.name, { ...node, status: { ...status, conditions } }, OWNED);
    const spec = (updated.spec ?? {}) as NodeSpec;
    const taints: NodeTaint[] = [
      ...(spec.taints ?? []).filter((t) => t.key !== UNREACHABLE_TAINT_KEY),
      { key: UNREACHABLE_TAINT_KEY, effect: 'NoSchedule', timeAdded: now },
      { key: UNREACHABLE_TAINT_KEY, effect: 'NoExecute', timeAdded: now },
    ];
    this.store.update(nodes, undefined, node.metadata.name, { ...updated, spec: { ...spec, taints } }, OWNED);
    recordEvent(this.store, node, 'Normal', 'NodeNotReady', `Node ${node.metadata.name} status is now: NodeNotReady`, { component: 'node-controller' });
    for (const pod of this.podsOn(node.metadata.name)) this.markPodNotReady(pod, now);
  }

  private markPodNotReady(pod: KubeObject, now: string): void {
    const status = (pod.status ?? {}) as PodStatus;
    const ready = status.conditions?.find((c) => c.type === 'Ready');
    if (!ready || ready.status === 'False') return;
    const conditions = (status.conditions ?? []).map((c) => (c.type === 'Ready' ? { ...c, status: 'False' as const, lastTransitionTime: now } : c));
    this.store.updateStatus(pods, pod.metadata.namespace, pod.metadata.name, { ...pod, status: { ...status, conditions } }, OWNED);
  }

  private untaint(node: KubeObject): void {
    const spec = (node.spec ?? {}) as NodeSpec;
    const taints = (spec.taints ?? []).filter((t) => t.key !== UNREACHABLE_TAINT_KEY);
    this.store.update(nodes, undefined, node.metadata.name, { ...node, spec: { ...spec, taints } }, OWNED);
  }

  /** Taint-based eviction: pods that do not tolerate a NoExecute taint, or no longer. Returns the next deadline. */
  private evict(node: KubeObject): number {
    const noExecute = noExecuteTaints(node);
    let next = Infinity;
    if (!noExecute.length) return next;
    const now = this.clock.now();
    for (const pod of this.podsOn(node.metadata.name)) {
      if (pod.metadata.deletionTimestamp) continue;
      const tolerations = (pod.spec as PodSpec).tolerations ?? [];
      let deadline = Infinity;
      for (const taint of noExecute) {
        const toleration = tolerations.find((t) => toleratesTaint(t, taint));
        if (!toleration) {
          deadline = -Infinity;
          break;
        }
        if (toleration.tolerationSeconds !== undefined) {
          const added = taint.timeAdded ? Date.parse(taint.timeAdded) : now;
          deadline = Math.min(deadline, added + Math.max(0, toleration.tolerationSeconds) * 1000);
        }
      }
      if (now >= deadline) {
        recordEvent(this.store, pod, 'Normal', 'TaintManagerEviction', `Marking for deletion Pod ${pod.metadata.namespace}/${pod.metadata.name}`, {
          component: 'taint-eviction-controller',
        });
        this.store.delete(pods, pod.metadata.namespace, pod.metadata.name);
      } else {
        next = Math.min(next, deadline);
      }
    }
    return next;
  }

  private podsOn(node: string): KubeObject[] {
    return this.store.list(pods, { fieldSelector: parseFieldSelector(`spec.nodeName=${node}`, 'Pod') }).items;
  }
}

function readyCondition(node: KubeObject): NodeCondition | undefined {
  return ((node.status ?? {}) as NodeStatus).conditions?.find((c) => c.type === 'Ready');
}

function noExecuteTaints(node: KubeObject): NodeTaint[] {
  return ((node.spec ?? {}) as NodeSpec).taints?.filter((t) => t.effect === 'NoExecute') ?? [];
}

function hasUnreachableTaint(node: KubeObject): boolean {
  return (((node.spec ?? {}) as NodeSpec).taints ?? []).some((t) => t.key === UNREACHABLE_TAINT_KEY);
}
