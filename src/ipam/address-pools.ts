import { DomainError } from '../common/domain-error';
import { Random } from '../common/random';
import { AddressRangeAllocator } from './address-range.allocator';
import { nodeMaskSizes, parseClusterCidrs, parseServiceCidrs } from './cidr-list';
import { ClusterIpAllocator } from './cluster-ip.allocator';
import { HostLocalIpam } from './host-local.ipam';
import { tryParseCidr } from './ip-address';
import { NodePortAllocator } from './node-port.allocator';
import { PodCidrAllocator } from './pod-cidr.allocator';
import { IpFamily, RangeStats } from './types';

export interface AddressPoolOptions {
  /** One CIDR, or one per family (`10.96.0.0/12,fd00:10:96::/112`); the first is the primary family. */
  serviceClusterIpRange: string;
  serviceNodePortRange: string;
  /** One CIDR, or one per family, as `--cluster-cidr`. */
  clusterCidr: string;
  /** `--node-cidr-mask-size` (single-stack clusters only); absent: per family. */
  nodeCidrMaskSize?: number;
  /** `--node-cidr-mask-size-ipv4` (default 24). */
  nodeCidrMaskSizeIPv4?: number;
  /** `--node-cidr-mask-size-ipv6` (default 64). */
  nodeCidrMaskSizeIPv6?: number;
  /** LoadBalancer ingress addresses, `FIRST-LAST`. */
  loadBalancerIpRange: string;
  /** The network the nodes' InternalIPs come from. */
  nodeNetwork: string;
  /**
   * The network the nodes' IPv6 InternalIPs come from, on a cluster with IPv6 pods (kind gives
   * each node an address of each family); default `fc00:f853:ccd:e793::/64`, kind's.
   */
  nodeNetworkIPv6?: string;
}

/** kind's Docker network for IPv6: the default of `nodeNetworkIPv6`. */
export const KIND_NODE_NETWORK_IPV6 = 'fc00:f853:ccd:e793::/64';

/** Which option a pool was built from, for error reports at start-up. */
export type PoolOption = keyof AddressPoolOptions;

/** A pool that could not be built; `option` names the setting at fault. */
export class PoolConfigError extends Error {
  constructor(
    readonly option: PoolOption,
    readonly reason: DomainError,
  ) {
    super(reason.message);
    this.name = 'PoolConfigError';
  }
}

export interface IpamReport {
  clusterIPs: RangeStats;
  /** The secondary family's ClusterIPs, on a dual-stack cluster. */
  secondaryClusterIPs?: RangeStats;
  nodePorts: RangeStats;
  podCIDRs: RangeStats;
  /** The secondary family's node pod CIDRs, on a dual-stack cluster. */
  secondaryPodCIDRs?: RangeStats;
  loadBalancerIPs: RangeStats;
  nodeAddresses: RangeStats;
  /** The nodes' IPv6 InternalIPs, on a cluster with IPv6 pods. */
  nodeAddressesIPv6?: RangeStats;
  nodes: Array<{ node: string } & RangeStats>;
}

/** A node's host-local IPAMs, one per family of its pod CIDRs. */
export type NodeIpams = ReadonlyMap<IpFamily, HostLocalIpam>;

/**
 * Every address pool of one simulated cluster: Service ClusterIPs, NodePorts,
 * node pod CIDRs, and one host-local pod IPAM per node, the address ones once
 * per configured family (a dual-stack cluster has two, the primary first).
 */
export class AddressPools {
  private readonly hostLocal = new Map<string, Map<IpFamily, HostLocalIpam>>();
  /** The ClusterIP allocator of each configured family, the primary first. */
  readonly clusterIpsByFamily: ReadonlyMap<IpFamily, ClusterIpAllocator>;
  /** The node pod CIDR allocator of each configured family, the primary first. */
  readonly podCidrsByFamily: ReadonlyMap<IpFamily, PodCidrAllocator>;

  private constructor(
    clusterIps: ClusterIpAllocator[],
    readonly nodePorts: NodePortAllocator,
    podCidrs: PodCidrAllocator[],
    readonly loadBalancerIps: AddressRangeAllocator,
    readonly nodeAddresses: AddressRangeAllocator,
    /** The nodes' IPv6 InternalIPs, on a cluster with IPv6 pods (kind gives each node one of each family). */
    readonly nodeAddressesIPv6?: AddressRangeAllocator,
  ) {
    this.clusterIpsByFamily = new Map(clusterIps.map((a) => [a.family, a]));
    this.podCidrsByFamily = new Map(podCidrs.map((a) => [a.family, a]));
  }

  /** The primary family's ClusterIP allocator (`--service-cluster-ip-range[0]`). */
  get clusterIps(): ClusterIpAllocator {
    return this.clusterIpsByFamily.values().next().value as ClusterIpAllocator;
  }

  /** The primary family's node pod CIDR allocator (`--cluster-cidr[0]`). */
  get podCidrs(): PodCidrAllocator {
    return this.podCidrsByFamily.values().next().value as PodCidrAllocator;
  }

  /** The Service IP families, the primary (default) first. */
  get serviceFamilies(): IpFamily[] {
    return [...this.clusterIpsByFamily.keys()];
  }

  /** The pod network's families, the primary first. */
  get podFamilies(): IpFamily[] {
    return [...this.podCidrsByFamily.keys()];
  }

  /** The node-address allocator of `ip`'s family, if the cluster gives nodes addresses of that family. */
  nodeAddressesFor(ip: string): AddressRangeAllocator | undefined {
    return ip.includes(':') ? this.nodeAddressesIPv6 : this.nodeAddresses;
  }

  /** The node-address allocators, the cluster's primary family first. */
  get nodeAddressPools(): AddressRangeAllocator[] {
    const pools = this.nodeAddressesIPv6 ? [this.nodeAddresses, this.nodeAddressesIPv6] : [this.nodeAddresses];
    return this.podFamilies[0] === 'IPv6' ? pools.reverse() : pools;
  }

  /** The allocator that holds `ip`'s family, if that family is configured. */
  clusterIpsFor(ip: string): ClusterIpAllocator | undefined {
    const cidr = tryParseCidr(ip.includes(':') ? `${ip}/128` : `${ip}/32`);
    return cidr && cidr !== 'host-bits-set' ? this.clusterIpsByFamily.get(cidr.family) : undefined;
  }

  /** Builds the pools, or throws `PoolConfigError` naming the option that is wrong. */
  static create(options: AddressPoolOptions, random: Random): AddressPools {
    const build = <T>(option: PoolOption, make: () => T): T => {
      try {
        return make();
      } catch (e) {
        if (e instanceof DomainError) throw new PoolConfigError(option, e);
        throw e;
      }
    };
    const clusterIps = build('serviceClusterIpRange', () =>
      parseServiceCidrs(options.serviceClusterIpRange).map((entry, i) =>
        ClusterIpAllocator.create(entry.cidr, random, i === 0 ? '--service-cluster-ip-range' : '--service-cluster-ip-range[1]'),
      ),
    );
    const nodePorts = build('serviceNodePortRange', () => NodePortAllocator.create(options.serviceNodePortRange, random));
    const clusterCidrs = build('clusterCidr', () => parseClusterCidrs(options.clusterCidr));
    const masks = build('nodeCidrMaskSize', () =>
      nodeMaskSizes(clusterCidrs, {
        any: options.nodeCidrMaskSize,
        ipv4: options.nodeCidrMaskSizeIPv4,
        ipv6: options.nodeCidrMaskSizeIPv6,
      }),
    );
    const podCidrs = build('nodeCidrMaskSize', () => clusterCidrs.map((entry, i) => PodCidrAllocator.create(entry.cidr, masks[i])));
    const loadBalancerIps = build('loadBalancerIpRange', () =>
      AddressRangeAllocator.create('LoadBalancer', options.loadBalancerIpRange),
    );
    const nodeAddresses = build('nodeNetwork', () => AddressRangeAllocator.create('NodeAddress', options.nodeNetwork));
    if (nodeAddresses.family !== 'IPv4') {
      throw new PoolConfigError('nodeNetwork', new DomainError('INVALID', `${options.nodeNetwork} is not an IPv4 network (IPv6 node addresses come from NODE_NETWORK_IPV6)`));
    }
    const nodeAddressesIPv6 = podCidrs.some((a) => a.family === 'IPv6')
      ? build('nodeNetworkIPv6', () => AddressRangeAllocator.create('NodeAddress', options.nodeNetworkIPv6 ?? KIND_NODE_NETWORK_IPV6))
      : undefined;
    if (nodeAddressesIPv6 && nodeAddressesIPv6.family !== 'IPv6') {
      throw new PoolConfigError('nodeNetworkIPv6', new DomainError('INVALID', `${options.nodeNetworkIPv6} is not an IPv6 network`));
    }
    return new AddressPools(clusterIps, nodePorts, podCidrs, loadBalancerIps, nodeAddresses, nodeAddressesIPv6);
  }

  /** The host-local IPAM of a node for the family of `podCidr`, created on first use over that pod CIDR. */
  nodeIpam(node: string, podCidr: string): HostLocalIpam {
    let byFamily = this.hostLocal.get(node);
    if (!byFamily) {
      byFamily = new Map();
      this.hostLocal.set(node, byFamily);
    }
    const family: IpFamily = podCidr.includes(':') ? 'IPv6' : 'IPv4';
    let ipam = byFamily.get(family);
    if (!ipam) {
      ipam = HostLocalIpam.create(podCidr);
      byFamily.set(family, ipam);
    }
    return ipam;
  }

  /** A node's host-local IPAM of one family (the first one made, when no family is named). */
  existingNodeIpam(node: string, family?: IpFamily): HostLocalIpam | undefined {
    const byFamily = this.hostLocal.get(node);
    if (!byFamily) return undefined;
    return family ? byFamily.get(family) : byFamily.values().next().value;
  }

  /** Every host-local IPAM of a node, one per family. */
  nodeIpams(node: string): HostLocalIpam[] {
    return [...(this.hostLocal.get(node)?.values() ?? [])];
  }

  /** Drops a deleted node's pod IPAMs, and gives them back (for an undo). */
  forgetNode(node: string): NodeIpams | undefined {
    const ipams = this.hostLocal.get(node);
    this.hostLocal.delete(node);
    return ipams;
  }

  /** Puts back a node's pod IPAMs that `forgetNode` dropped, when the delete is undone. */
  restoreNode(node: string, ipams: NodeIpams): void {
    this.hostLocal.set(node, new Map(ipams));
  }

  report(): IpamReport {
    const secondary = <T>(byFamily: ReadonlyMap<IpFamily, T>): T | undefined => [...byFamily.values()][1];
    const secondaryClusterIps = secondary(this.clusterIpsByFamily);
    const secondaryPodCidrs = secondary(this.podCidrsByFamily);
    return {
      clusterIPs: this.clusterIps.stats(),
      ...(secondaryClusterIps ? { secondaryClusterIPs: secondaryClusterIps.stats() } : {}),
      nodePorts: this.nodePorts.stats(),
      podCIDRs: this.podCidrs.stats(),
      ...(secondaryPodCidrs ? { secondaryPodCIDRs: secondaryPodCidrs.stats() } : {}),
      loadBalancerIPs: this.loadBalancerIps.stats(),
      nodeAddresses: this.nodeAddresses.stats(),
      ...(this.nodeAddressesIPv6 ? { nodeAddressesIPv6: this.nodeAddressesIPv6.stats() } : {}),
      nodes: [...this.hostLocal.entries()]
        .sort(([a], [b]) => a.localeCompare(b))
        .flatMap(([node, ipams]) => [...ipams.values()].map((ipam) => ({ node, ...ipam.stats() }))),
    };
  }
}
