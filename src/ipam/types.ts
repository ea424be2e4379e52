/**
 * The vocabulary of address management, named once.
 *
 *   Service ClusterIPs   --service-cluster-ip-range   ClusterIpAllocator  (bitmap, KEP-3070 bands)
 *   Service NodePorts    --service-node-port-range    NodePortAllocator   (bitmap, KEP-3668 bands)
 *   node pod CIDRs       --cluster-cidr + mask size   PodCidrAllocator    (bitmap of blocks, next-fit)
 *   pod IPs on a node    the node's pod CIDR          HostLocalIpam       (CNI host-local, round robin)
 *
 * Every allocator is framework-free, takes its randomness as an injected
 * `Random` where it needs any, and fails with a `DomainError` whose code and
 * message follow Kubernetes (see docs/ipam.md).
 */

/** Which allocator a `RangeStats` describes, spelled as Kubernetes users know them. */
export type RangeKind = 'ClusterIP' | 'NodePort' | 'PodCIDR' | 'HostLocal' | 'LoadBalancer' | 'NodeAddress';

export type IpFamily = 'IPv4' | 'IPv6';

/**
 * The lower, "static" part of a range that dynamic allocation uses only once
 * the rest is full (KEP-3070 for ClusterIPs, KEP-3668 for NodePorts).
 * `first` and `last` are inclusive and printed as addresses or port numbers.
 */
export interface StaticBand {
  first: string;
  last: string;
  size: number;
}

/** A snapshot of one allocator's occupancy. */
export interface RangeStats {
  kind: RangeKind;
  /** The range as configured: a CIDR, a `base-last` port range, ... */
  range: string;
  /** Number of allocatable items (addresses, ports or blocks). */
  size: number;
  used: number;
  free: number;
  staticBand: StaticBand | null;
}
