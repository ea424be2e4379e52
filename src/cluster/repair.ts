/**
 * The API server's repair loops, run once when a cluster is read back from
 * its store (etcd) at start-up: the allocators start empty, so every address
 * and port the stored objects hold is marked taken again before anything new
 * is handed out. ClusterIPs and NodePorts as kube-apiserver's ipallocator and
 * portallocator repair loops do it, pod CIDRs as kube-controller-manager's
 * range allocator does when it starts, node addresses and LoadBalancer
 * ingress addresses, and each node's host-local pod IPs.
 *
 * What two objects both hold (an etcd edited by hand) stays with the first,
 * in name order, and is reported, as the repair loops report it with an
 * event: the second object keeps it in its spec, but a new allocation will
 * never hand it out.
 */
import { DomainError } from '../common/domain-error';
import { AddressPools } from '../ipam/address-pools';
import { NodeSpec, NodeStatus } from './resources/node.types';
import { PodSpec, PodStatus } from './resources/pod.types';
import { ingressIPs } from './resources/service.strategy';
import { ObjectStore } from './store/object-store';
import { resourceTypeByKey } from './store/resource-types';
import { KubeObject } from './store/types';

export interface RepairReport {
  clusterIPs: number;
  nodePorts: number;
  podCIDRs: number;
  nodeAddresses: number;
  loadBalancerIPs: number;
  podIPs: number;
  /** What could not be marked taken, one line each. */
  warnings: string[];
}

interface ServiceSpecView {
  type?: string;
  clusterIP?: string;
  clusterIPs?: string[];
  ports?: Array<{ nodePort?: number }>;
  healthCheckNodePort?: number;
}

function type(key: string) {
  return resourceTypeByKey(key)!;
}

function name(object: KubeObject): string {
  return object.metadata.namespace ? `${object.metadata.namespace}/${object.metadata.name}` : object.metadata.name;
}

/** Marks taken every address and port the store's objects hold. */
export function repairAllocations(store: ObjectStore, pools: AddressPools): RepairReport {
  const report: RepairReport = { clusterIPs: 0, nodePorts: 0, podCIDRs: 0, nodeAddresses: 0, loadBalancerIPs: 0, podIPs: 0, warnings: [] };
  const take = (counter: Exclude<keyof RepairReport, 'warnings'>, what: string, work: () => void) => {
    try {
      work();
      report[counter]++;
    } catch (e) {
      if (!(e instanceof DomainError)) throw e;
      report.warnings.push(`${what}: ${e.message}`);
    }
  };

  for (const service of store.list(type('services')).items) {
    const spec = (service.spec ?? {}) as ServiceSpecView;
    for (const ip of spec.clusterIPs ?? (spec.clusterIP ? [spec.clusterIP] : [])) {
      if (ip === 'None' || ip === '') continue;
      if (!pools.clusterIps.contains(ip)) {
        report.warnings.push(`Cluster IP ${ip} of Service ${name(service)} is not within the configured Service CIDR ${pools.clusterIps.cidr}; please recreate service`);
        continue;
      }
      if (pools.clusterIps.has(ip)) {
        report.warnings.push(`Cluster IP ${ip} of Service ${name(service)} was assigned to multiple services; please recreate service`);
        continue;
      }
      take('clusterIPs', `Cluster IP ${ip} of Service ${name(service)}`, () => pools.clusterIps.allocate(ip));
    }
    const ports = new Set([...(spec.ports ?? []).map((p) => p.nodePort), spec.healthCheckNodePort].filter((p): p is number => typeof p === 'number' && p > 0));
    for (const port of ports) {
      if (!pools.nodePorts.contains(port)) {
        report.warnings.push(`Port ${port} of Service ${name(service)} is not within the port range ${pools.nodePorts.portRange}; please recreate service`);
        continue;
      }
      if (pools.nodePorts.has(port)) {
        report.warnings.push(`Port ${port} of Service ${name(service)} was assigned to multiple services; please recreate service`);
        continue;
      }
      take('nodePorts', `Port ${port} of Service ${name(service)}`, () => pools.nodePorts.allocate(port));
    }
    for (const ip of ingressIPs(service)) {
      if (pools.loadBalancerIps.contains(ip) && pools.loadBalancerIps.allocate(ip)) report.loadBalancerIPs++;
    }
  }

  for (const node of store.list(type('nodes')).items) {
    const spec = (node.spec ?? {}) as NodeSpec;
    if (spec.podCIDR) take('podCIDRs', `pod CIDR ${spec.podCIDR} of Node ${name(node)}`, () => pools.podCidrs.occupy(spec.podCIDR!));
    for (const address of ((node.status ?? {}) as NodeStatus).addresses ?? []) {
      const pool = address.type === 'InternalIP' ? pools.nodeAddressesFor(address.address) : undefined;
      if (pool?.contains(address.address) && pool.allocate(address.address)) report.nodeAddresses++;
    }
  }

  const podCidrOf = new Map(store.list(type('nodes')).items.map((n) => [n.metadata.name, ((n.spec ?? {}) as NodeSpec).podCIDR]));
  for (const pod of store.list(type('pods')).items) {
    const spec = (pod.spec ?? {}) as PodSpec;
    const podIP = ((pod.status ?? {}) as PodStatus).podIP;
    if (!podIP || spec.hostNetwork || !spec.nodeName) continue;
    const podCIDR = podCidrOf.get(spec.nodeName);
    if (!podCIDR) continue;
    take('podIPs', `pod IP ${podIP} of Pod ${name(pod)}`, () => pools.nodeIpam(spec.nodeName!, podCIDR).allocateSpecific(pod.metadata.uid, podIP));
  }
  return report;
}
