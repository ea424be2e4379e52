/**
 * What a running kubelet writes about its node: the node's Lease, renewed
 * every LEASE_RENEW_INTERVAL_MS, and the Ready condition (with healthy
 * pressure conditions) it posts when it starts. Used by KubeletController.
 */
import { NodeCondition, NodeStatus } from '../resources/node.types';
import { SimulationClock } from '../simulation-clock';
import { ObjectStore } from '../store/object-store';
import { resourceTypeByKey } from '../store/resource-types';
import { KubeObject } from '../store/types';
import { recordEvent } from './events';
import { microTime } from '../../common/clock';

const nodes = resourceTypeByKey('nodes')!;
const leases = resourceTypeByKey('leases.coordination.k8s.io')!;
const OWNED = { owned: true };

/** The kubelet's defaults: a lease renewed every 10 s, valid for 40 s. */
export const LEASE_RENEW_INTERVAL_MS = 10_000;
export const LEASE_DURATION_SECONDS = 40;
export const NODE_LEASE_NAMESPACE = 'kube-node-lease';

/** Creates or renews the node's Lease in kube-node-lease, held by the node, valid for LEASE_DURATION_SECONDS. */
export function renewLease(store: ObjectStore, clock: SimulationClock, node: KubeObject): void {
  const name = node.metadata.name;
  const now = microTime(clock.now());
  const existing = store.tryGet(leases, NODE_LEASE_NAMESPACE, name);
  const spec = { holderIdentity: name, leaseDurationSeconds: LEASE_DURATION_SECONDS, renewTime: now };
  if (existing) {
    store.update(leases, NODE_LEASE_NAMESPACE, name, { ...existing, spec: { ...(existing.spec as object), ...spec } }, OWNED);
  } else {
    store.create(
      leases,
      {
        metadata: {
          name,
          ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name, uid: node.metadata.uid }],
        },
        spec: { ...spec, acquireTime: now },
      },
      NODE_LEASE_NAMESPACE,
      OWNED,
    );
  }
}

/** The kubelet posts `Ready=True` (and healthy pressure conditions) when it runs. */
export function postReady(store: ObjectStore, node: KubeObject): void {
  const status = (node.status ?? {}) as NodeStatus;
  const now = store.now();
  const conditions = (status.conditions ?? []).map((c): NodeCondition => {
    if (c.status !== 'Unknown' && c.type !== 'Ready') return c;
    if (c.type === 'Ready') {
      if (c.status === 'True') return c;
      return { ...c, status: 'True', reason: 'KubeletReady', message: 'kubelet is posting ready status', lastHeartbeatTime: now, lastTransitionTime: now };
    }
    const healthy: Record<string, [string, string]> = {
      MemoryPressure: ['KubeletHasSufficientMemory', 'kubelet has sufficient memory available'],
      DiskPressure: ['KubeletHasNoDiskPressure', 'kubelet has no disk pressure'],
      PIDPressure: ['KubeletHasSufficientPID', 'kubelet has sufficient PID available'],
    };
    const [reason, message] = healthy[c.type] ?? [c.reason ?? '', c.message ?? ''];
    return { ...c, status: 'False', reason, message, lastHeartbeatTime: now, lastTransitionTime: now };
  });
  const changed = JSON.stringify(conditions) !== JSON.stringify(status.conditions);
  if (changed) store.updateStatus(nodes, undefined, node.metadata.name, { ...node, status: { ...status, conditions } }, OWNED);
  if (changed) recordEvent(store, node, 'Normal', 'NodeReady', `Node ${node.metadata.name} status is now: NodeReady`, { component: 'kubelet', host: node.metadata.name });
}
