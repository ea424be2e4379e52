/** The parts of a v1 Node that the emulator reads and writes. */
export interface NodeTaint {
  key: string;
  value?: string;
  effect: 'NoSchedule' | 'PreferNoSchedule' | 'NoExecute';
  timeAdded?: string;
}

export interface NodeSpec {
  podCIDR?: string;
  podCIDRs?: string[];
  unschedulable?: boolean;
  taints?: NodeTaint[];
  providerID?: string;
}

export interface NodeAddress {
  type: 'InternalIP' | 'ExternalIP' | 'Hostname' | 'InternalDNS' | 'ExternalDNS';
  address: string;
}

/** The node's InternalIP of one family (the first listed of it), as kube-proxy and flannel pick their node address per family. */
export function nodeInternalIP(status: NodeStatus | undefined, family: 'IPv4' | 'IPv6'): string | undefined {
  return status?.addresses?.find((a) => a.type === 'InternalIP' && typeof a.address === 'string' && a.address.includes(':') === (family === 'IPv6'))?.address;
}

/** Every InternalIP of the node, in the order listed (the primary family first). */
export function nodeInternalIPs(status: NodeStatus | undefined): string[] {
  return (status?.addresses ?? []).filter((a) => a.type === 'InternalIP').map((a) => a.address);
}

export interface NodeCondition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  lastHeartbeatTime?: string;
  lastTransitionTime?: string;
  reason?: string;
  message?: string;
}

export interface NodeStatus {
  capacity?: Record<string, string>;
  allocatable?: Record<string, string>;
  conditions?: NodeCondition[];
  addresses?: NodeAddress[];
  daemonEndpoints?: { kubeletEndpoint: { Port: number } };
  nodeInfo?: Record<string, string>;
}

/** Kubernetes' well-known node labels and the control-plane role. */
export const HOSTNAME_LABEL = 'kubernetes.io/hostname';
export const CONTROL_PLANE_LABEL = 'node-role.kubernetes.io/control-plane';
export const ZONE_LABEL = 'topology.kubernetes.io/zone';
