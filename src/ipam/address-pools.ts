import { DomainError } from '../common/domain-error';
import { Random } from '../common/random';
import { AddressRangeAllocator } from './address-range.allocator';
import { ClusterIpAllocator } from './cluster-ip.allocator';
import { HostLocalIpam } from './host-local.ipam';
import { NodePortAllocator } from './node-port.allocator';
import { PodCidrAllocator } from './pod-cidr.allocator';
import { RangeStats } from './types';

export interface AddressPoolOptions {
  serviceClusterIpRange: string;
  serviceNodePortRange: string;
  clusterCidr: string;
  nodeCidrMaskSize: number;
  /** LoadBalancer ingress addresses, `FIRST-LAST`. */
  loadBalancerIpRange: string;
  /** The network the nodes' InternalIPs come from. */
  nodeNetwork: string;
}

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
  nodePorts: RangeStats;
  podCIDRs: RangeStats;
  loadBalancerIPs: RangeStats;
  nodeAddresses: RangeStats;
  nodes: Array<{ node: string } & RangeStats>;
}

/**
 * Every address pool of one simulated cluster: Service ClusterIPs, NodePorts,
 * node pod CIDRs, and one host-local pod IPAM per node.
 */
export class AddressPools {
  private readonly hostLocal = new Map<string, HostLocalIpam>();

  private constructor(
    readonly clusterIps: ClusterIpAllocator,
    readonly nodePorts: NodePortAllocator,
    readonly podCidrs: PodCidrAllocator,
    readonly loadBalancerIps: AddressRangeAllocator,
    readonly nodeAddresses: AddressRangeAllocator,
  ) {}

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
      ClusterIpAllocator.create(options.serviceClusterIpRange, random),
    );
    const nodePorts = build('serviceNodePortRange', () => NodePortAllocator.create(options.serviceNodePortRange, random));
    const podCidrs = build('clusterCidr', () => PodCidrAllocator.create(options.clusterCidr, options.nodeCidrMaskSize));
    const loadBalancerIps = build('loadBalancerIpRange', () =>
      AddressRangeAllocator.create('LoadBalancer', options.loadBalancerIpRange),
    );
    const nodeAddresses = build('nodeNetwork', () => AddressRangeAllocator.create('NodeAddress', options.nodeNetwork));
    return new AddressPools(clusterIps, nodePorts, podCidrs, loadBalancerIps, nodeAddresses);
  }

  /** The host-local IPAM of a node, created on first use over the node's pod CIDR. */
  nodeIpam(node: string, podCidr: string): HostLocalIpam {
    let ipam = this.hostLocal.get(node);
    if (!ipam) {
      ipam = HostLocalIpam.create(podCidr);
      this.hostLocal.set(node, ipam);
    }
    return ipam;
  }

  existingNodeIpam(node: string): HostLocalIpam | undefined {
    return this.hostLocal.get(node);
  }

  /** Drops a deleted node's pod IPAM, and gives it back (for an undo). */
  forgetNode(node: string): HostLocalIpam | undefined {
    const ipam = this.hostLocal.get(node);
    this.hostLocal.delete(node);
    return ipam;
  }

  /** Puts back a node's pod IPAM that `forgetNode` dropped, when the delete is undone. */
  restoreNode(node: string, ipam: HostLocalIpam): void {
    this.hostLocal.set(node, ipam);
  }

  report(): IpamReport {
    return {
      clusterIPs: this.clusterIps.stats(),
      nodePorts: this.nodePorts.stats(),
      podCIDRs: this.podCidrs.stats(),
      loadBalancerIPs: this.loadBalancerIps.stats(),
      nodeAddresses: this.nodeAddresses.stats(),
      nodes: [...this.hostLocal.entries()]
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([node, ipam]) => ({ node, ...ipam.stats() })),
    };
  }
}
