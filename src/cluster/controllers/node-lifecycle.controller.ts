import { NodeCondition, NodeSpec, NodeStatus, NodeTaint } from '../resources/node.types';
import { PodSpec, PodStatus } from '../resources/pod.types';
import { SimulationClock } from '../simulation-clock';
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

  constructor(
    private readonly store: ObjectStore,
    private readonly clock: SimulationClock,
  ) {
    clock.every(NODE_MONITOR_PERIOD_MS, 'node-lifecycle-controller: monitor node health', () => {
      this.due = true;
      this.store.commit();
    });
  }

  observe(event: StoredEvent): void {
    // A node that posts Ready again is untainted without waiting for the next tick.
    if (event.resource === 'nodes' && event.type === 'MODIFIED') {
      const ready = readyCondition(event.object);
      if (ready?.status === 'True' && hasUnreachableTaint(event.object)) this.due = true;
    }
  }

  reconcile(): boolean {
    if (!this.due) return false;
    this.due = false;
    for (const node of this.store.list(nodes).items) this.monitor(node);
    return true;
  }

  private monitor(node: KubeObject): void {
    const name = node.metadata.name;
    const lease = this.store.tryGet(leases, NODE_LEASE_NAMESPACE, name);
    const renewed = Date.parse(((lease?.spec ?? {}) as { renewTime?: string }).renewTime ?? node.metadata.creationTimestamp);
    const stale = this.clock.now() - renewed >= NODE_MONITOR_GRACE_PERIOD_MS;
    const ready = readyCondition(node);
    if (stale && ready?.status !== 'Unknown') this.markUnknown(node);
    else if (!stale && ready?.status === 'True' && hasUnreachableTaint(node)) this.untaint(node);
    this.evict(this.store.get(nodes, undefined, name));
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

  /** Taint-based eviction: pods that do not tolerate a NoExecute taint, or no longer. */
  private evict(node: KubeObject): void {
    const noExecute = ((node.spec ?? {}) as NodeSpec).taints?.filter((t) => t.effect === 'NoExecute') ?? [];
    if (!noExecute.length) return;
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
      }
    }
  }

  private podsOn(node: string): KubeObject[] {
    return this.store.list(pods, { fieldSelector: parseFieldSelector(`spec.nodeName=${node}`, 'Pod') }).items;
  }
}

function readyCondition(node: KubeObject): NodeCondition | undefined {
  return ((node.status ?? {}) as NodeStatus).conditions?.find((c) => c.type === 'Ready');
}

function hasUnreachableTaint(node: KubeObject): boolean {
  return (((node.spec ?? {}) as NodeSpec).taints ?? []).some((t) => t.key === UNREACHABLE_TAINT_KEY);
}
