/**
 * Destination names, resolved as CoreDNS's `kubernetes` plugin answers them
 * for the cluster domain `cluster.local`, after the client's resolver has
 * applied its search path (`ndots:5`, as the kubelet writes a pod's
 * resolv.conf):
 *
 * - `SERVICE.NAMESPACE.svc.cluster.local`: a ClusterIP Service's address; a
 *   headless Service's ready endpoint addresses (every one, CoreDNS shuffles
 *   them, so each is taken as equally likely); an ExternalName Service's
 *   CNAME, followed when it names another Service of the cluster and
 *   otherwise unresolvable here (the emulator has no outside DNS);
 * - `A-B-C-D.NAMESPACE.pod.cluster.local`: that address (IPv6 too, its colons as dashes:
 *   `fd00-10-244--2`);
 * - anything else: NXDOMAIN.
 *
 * `addresses` are the A records (IPv4), `aaaa` the AAAA records (IPv6): a
 * dual-stack Service answers both, an IPv6 Service AAAA alone (its A query is
 * answered with no record, NOERROR, as CoreDNS does).
 *
 * Search path: a pod with `dnsPolicy: ClusterFirst` (the default) searches
 * `NAMESPACE.svc.cluster.local svc.cluster.local cluster.local`; a
 * `hostNetwork` pod with ClusterFirst, a pod with `Default`, a node's own
 * processes and outside clients use the node's resolver, which knows no
 * cluster names: the emulator lets them resolve fully qualified cluster
 * names only (as if they asked CoreDNS directly).
 */
import type { Cluster } from '../cluster/cluster';
import { tryParseIPv4 } from '../common/ipv4';
import { tryParseIPv6 } from '../ipam/ipv6';
import type { PodEndpoint } from './network';

export const CLUSTER_DOMAIN = 'cluster.local';

export type Resolution =
  | {
      kind: 'addresses';
      name: string;
      fqdn: string;
      /** A records (IPv4). */
      addresses: string[];
      /** AAAA records (IPv6), when the name has any. */
      aaaa?: string[];
      service?: { namespace: string; name: string; headless: boolean };
      cname?: string[];
    }
  | { kind: 'nxdomain'; name: string; tried: string[]; cname?: string[] };

/** The search path a client resolves short names with. */
export function searchPath(client: PodEndpoint | undefined): string[] {
  if (!client) return [];
  const policy = client.dnsPolicy;
  const clusterFirst = policy === 'ClusterFirstWithHostNet' || (policy === 'ClusterFirst' && !client.hostNetwork);
  if (!clusterFirst) return [];
  return [`${client.namespace}.svc.${CLUSTER_DOMAIN}`, `svc.${CLUSTER_DOMAIN}`, CLUSTER_DOMAIN];
}

export class NameResolver {
  constructor(private readonly cluster: Cluster) {}

  resolve(name: string, search: readonly string[]): Resolution {
    const absolute = name.endsWith('.');
    const bare = (absolute ? name.slice(0, -1) : name).toLowerCase();
    const dots = (bare.match(/\./g) ?? []).length;
    const candidates: string[] = [];
    if (absolute || dots >= 5) candidates.push(bare);
    if (!absolute) for (const domain of search) candidates.push(`${bare}.${domain}`);
    if (!absolute && dots < 5) candidates.push(bare);
    for (const fqdn of candidates) {
      const found = this.lookup(fqdn, []);
      if (found.kind === 'addresses') return { ...found, name };
      if (found.cname?.length) return { kind: 'nxdomain', name, tried: candidates, cname: found.cname };
    }
    return { kind: 'nxdomain', name, tried: candidates };
  }

  private lookup(fqdn: string, cname: string[]): Resolution {
    const nx: Resolution = { kind: 'nxdomain', name: fqdn, tried: [fqdn], ...(cname.length ? { cname } : {}) };
    const suffix = `.${CLUSTER_DOMAIN}`;
    if (!fqdn.endsWith(suffix)) return nx;
    const labels = fqdn.slice(0, -suffix.length).split('.');
    if (labels.length === 3 && labels[2] === 'pod') {
      const ip = labels[0].replace(/-/g, '.');
      if (tryParseIPv4(ip) !== undefined) return this.namespaceExists(labels[1]) ? { kind: 'addresses', name: fqdn, fqdn, addresses: [ip] } : nx;
      const ip6 = labels[0].replace(/-/g, ':');
      return tryParseIPv6(ip6) !== undefined && this.namespaceExists(labels[1]) ? { kind: 'addresses', name: fqdn, fqdn, addresses: [], aaaa: [ip6] } : nx;
    }
    if (labels.length !== 3 || labels[2] !== 'svc') return nx;
    const [serviceName, namespace] = labels;
    const store = this.cluster.store;
    const service = store.tryGet(store.resourceType('services'), namespace, serviceName);
    if (!service) return nx;
    const spec = (service.spec ?? {}) as { type?: string; clusterIP?: string; clusterIPs?: string[]; externalName?: string };
    if (spec.type === 'ExternalName') {
      const target = (spec.externalName ?? '').replace(/\.$/, '').toLowerCase();
      if (cname.length >= 8 || !target) return { ...nx, cname: [...cname, target] };
      const next = this.lookup(target, [...cname, target]);
      return next.kind === 'addresses' ? { ...next, fqdn, cname: [...cname, target] } : { ...nx, cname: next.cname ?? [...cname, target] };
    }
    const meta = { namespace, name: serviceName, headless: spec.clusterIP === 'None' };
    if (spec.clusterIP && spec.clusterIP !== 'None') {
      return { kind: 'addresses', name: fqdn, fqdn, ...byFamily(spec.clusterIPs?.length ? spec.clusterIPs : [spec.clusterIP]), service: meta, ...(cname.length ? { cname } : {}) };
    }
    const ready = this.readyAddresses(namespace, serviceName);
    const v6 = this.readyAddresses(namespace, serviceName, 'IPv6');
    if (ready.length === 0 && v6.length === 0) return nx;
    return { kind: 'addresses', name: fqdn, fqdn, ...byFamily([...ready, ...v6]), service: meta, ...(cname.length ? { cname } : {}) };
  }

  /** Ready endpoint addresses of a Service, from its EndpointSlices of one address type (IPv4 by default), sorted and unique. */
  readyAddresses(namespace: string, service: string, addressType: 'IPv4' | 'IPv6' = 'IPv4'): string[] {
    const store = this.cluster.store;
    const slices = store.list(store.resourceType('endpointslices.discovery.k8s.io'), { namespace }).items;
    const out = new Set<string>();
    for (const slice of slices) {
      if (slice.metadata.namespace !== namespace || slice.metadata.labels?.['kubernetes.io/service-name'] !== service) continue;
      if (((slice as unknown as { addressType?: string }).addressType ?? 'IPv4') !== addressType) continue;
      const endpoints = (slice as unknown as { endpoints?: { addresses: string[]; conditions?: { ready?: boolean | null } }[] }).endpoints ?? [];
      for (const e of endpoints) if (e.conditions?.ready !== false) for (const a of e.addresses) out.add(a);
    }
    if (addressType === 'IPv6') return [...out].sort((a, b) => Number((tryParseIPv6(a) ?? 0n) - (tryParseIPv6(b) ?? 0n)));
    return [...out].sort((a, b) => (tryParseIPv4(a) ?? 0) - (tryParseIPv4(b) ?? 0));
  }

  private namespaceExists(namespace: string): boolean {
    const store = this.cluster.store;
    return store.tryGet(store.resourceType('namespaces'), undefined, namespace) !== undefined;
  }
}

/** Addresses split into A (IPv4) and AAAA (IPv6) records. */
function byFamily(ips: readonly string[]): { addresses: string[]; aaaa?: string[] } {
  const aaaa = ips.filter((ip) => ip.includes(':'));
  const addresses = ips.filter((ip) => !ip.includes(':'));
  return aaaa.length ? { addresses, aaaa } : { addresses };
}
