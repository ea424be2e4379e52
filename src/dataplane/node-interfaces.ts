import { formatIPv4, prefixMask, tryParseIPv4, tryParseIPv4Cidr } from '../common/ipv4';
import { formatIPv6, tryParseIPv6Cidr } from '../ipam/ipv6';

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
  /** The IPv4 pod CIDR (an IPv6 one given here is taken as `podCIDR6`). */
  podCIDR?: string;
  /** The node's IPv6 InternalIP, on a cluster with IPv6 (kind's nodes have one of each family). */
  internalIP6?: string;
  /** Prefix length of the IPv6 node network (kind's is a /64). */
  nodeNetworkPrefix6?: number;
  /** The IPv6 pod CIDR (`spec.podCIDRs`' IPv6 entry). */
  podCIDR6?: string;
}

/** flannel's VXLAN device: VNI 1, so `flannel.1`; MTU = underlay 1500 - 50. */
export const VXLAN_DEVICE = 'flannel.1';
export const VXLAN_MTU = 1450;
export const UNDERLAY_MTU = 1500;
export const BRIDGE_DEVICE = 'cni0';
/** flannel's IPv6 VXLAN device (`flannel-v6.<VNI>`); the kernel's MTU for VXLAN over IPv6: underlay 1500 - 70. */
export const VXLAN6_DEVICE = 'flannel-v6.1';
export const VXLAN6_MTU = 1430;

/** Whether an interface is one of flannel's VXLAN devices. */
export function isVxlanDevice(name: string | null | undefined): boolean {
  return name === VXLAN_DEVICE || name === VXLAN6_DEVICE;
}

/**
 * The interfaces of a node as kind + flannel (vxlan) set it up: `lo`, `eth0`
 * on the node network, the `cni0` bridge holding the pod CIDR's gateway
 * (`.1`), and `flannel.1` holding the pod CIDR's network address as a /32.
 * (host-gw has no `flannel.1`; `overlay` says which.) With IPv6 (flannel's
 * `EnableIPv6`), `lo` holds `::1`, `eth0` the node's IPv6 address, `cni0` the
 * IPv6 pod CIDR's gateway (`::1`), and `flannel-v6.1` its network address as
 * a /128, as flanneld configures its IPv6 VXLAN device.
 */
export function nodeInterfaces(node: NodeAddressing, overlay: 'vxlan' | 'host-gw' = 'vxlan'): NodeInterfaceSpec[] {
  const given6 = node.podCIDR?.includes(':') ? node.podCIDR : undefined;
  const pod = node.podCIDR && !given6 ? tryParseIPv4Cidr(node.podCIDR) : undefined;
  const pod6Text = node.podCIDR6 ?? given6;
  const pod6 = pod6Text ? tryParseIPv6Cidr(pod6Text) : undefined;
  const v6 = node.internalIP6 !== undefined || pod6 !== undefined;
  const eth0 = [`${node.internalIP}/${node.nodeNetworkPrefix}`];
  if (node.internalIP6) eth0.push(`${node.internalIP6}/${node.nodeNetworkPrefix6 ?? 64}`);
  const interfaces: NodeInterfaceSpec[] = [
    { name: 'lo', addresses: v6 ? ['127.0.0.1/8', '::1/128'] : ['127.0.0.1/8'], mtu: 65536 },
    { name: 'eth0', addresses: eth0, mtu: UNDERLAY_MTU },
  ];
  if (pod || pod6) {
    const mtu = overlay === 'vxlan' ? VXLAN_MTU : UNDERLAY_MTU;
    const bridge: string[] = [];
    if (pod) bridge.push(`${formatIPv4(pod.network + 1)}/${pod.prefix}`);
    if (pod6) bridge.push(`${formatIPv6(pod6.network + 1n)}/${pod6.prefix}`);
    interfaces.push({ name: BRIDGE_DEVICE, addresses: bridge, mtu });
    if (overlay === 'vxlan' && pod) interfaces.push({ name: VXLAN_DEVICE, addresses: [`${formatIPv4(pod.network)}/32`], mtu: VXLAN_MTU });
    if (overlay === 'vxlan' && pod6 && node.internalIP6) interfaces.push({ name: VXLAN6_DEVICE, addresses: [`${formatIPv6(pod6.network)}/128`], mtu: VXLAN6_MTU });
  }
  return interfaces;
}

/** The network address of the node network, e.g. 172.18.0.0 for 172.18.0.3/16. */
export function nodeNetworkOf(internalIP: string, prefix: number): string {
  const ip = tryParseIPv4(internalIP) ?? 0;
  return `${formatIPv4((ip & prefixMask(prefix)) >>> 0)}/${prefix}`;
}
