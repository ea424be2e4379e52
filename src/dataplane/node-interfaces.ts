import { formatIPv4, prefixMask, tryParseIPv4, tryParseIPv4Cidr } from '../common/ipv4';

/** A network interface of a simulated node, addresses in CIDR form. */
export interface NodeInterfaceSpec {
  name: string;
  addresses: string[];
  /** Link MTU. */
  mtu: number;
}

/** What the node's own network looks like, from its Node object. */
export interface NodeAddressing {
  name: string;
  internalIP: string;
  /** Prefix length of the node network (kind's Docker network is a /16). */
  nodeNetworkPrefix: number;
  podCIDR?: string;
}

/** flannel's VXLAN device: VNI 1, so `flannel.1`; MTU = underlay 1500 - 50. */
export const VXLAN_DEVICE = 'flannel.1';
export const VXLAN_MTU = 1450;
export const UNDERLAY_MTU = 1500;
export const BRIDGE_DEVICE = 'cni0';

/**
 * The interfaces of a node as kind + flannel (vxlan) set it up: `lo`, `eth0`
 * on the node network, the `cni0` bridge holding the pod CIDR's gateway
 * (`.1`), and `flannel.1` holding the pod CIDR's network address as a /32.
 * (host-gw has no `flannel.1`; `overlay` says which.)
 */
export function nodeInterfaces(node: NodeAddressing, overlay: 'vxlan' | 'host-gw' = 'vxlan'): NodeInterfaceSpec[] {
  const interfaces: NodeInterfaceSpec[] = [
    { name: 'lo', addresses: ['127.0.0.1/8'], mtu: 65536 },
    { name: 'eth0', addresses: [`${node.internalIP}/${node.nodeNetworkPrefix}`], mtu: UNDERLAY_MTU },
  ];
  const pod = node.podCIDR ? tryParseIPv4Cidr(node.podCIDR) : undefined;
  if (pod) {
    const mtu = overlay === 'vxlan' ? VXLAN_MTU : UNDERLAY_MTU;
    interfaces.push({ name: BRIDGE_DEVICE, addresses: [`${formatIPv4(pod.network + 1)}/${pod.prefix}`], mtu });
    if (overlay === 'vxlan') interfaces.push({ name: VXLAN_DEVICE, addresses: [`${formatIPv4(pod.network)}/32`], mtu: VXLAN_MTU });
  }
  return interfaces;
}

/** The network address of the node network, e.g. 172.18.0.0 for 172.18.0.3/16. */
export function nodeNetworkOf(internalIP: string, prefix: number): string {
  const ip = tryParseIPv4(internalIP) ?? 0;
  return `${formatIPv4((ip & prefixMask(prefix)) >>> 0)}/${prefix}`;
}
