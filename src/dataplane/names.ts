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
 * - `HOSTNAME.SERVICE.NAMESPACE.svc.cluster.local`: the ready endpoint of a
 *   headless Service whose pod has that `hostname` and the Service's name as
 *   `subdomain` (a StatefulSet's `web-0.nginx.default.svc.cluster.local`);
 * - `A-B-C-D.NAMESPACE.pod.cluster.local`: that address (IPv6 too, its colons as dashes:
 *   `fd00-10-244--2`);
 * - SRV `_PORT._PROTO.SERVICE.NAMESPACE.svc.cluster.local` (`resolveSrv`): for
 *   a named port of the Service, one record per ready endpoint of a headless
 *   Service (target its hostname name, else its dashed address, weight
 *   100/n), or one for a ClusterIP Service (target the Service's name);
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

export interface SrvRecord {
  priority: number;
  weight: number;
  port: number;
  /** Fully qualified, without the final dot. */
  target: string;
  /** The target's address (the additional section). */
  address: string;
}

export type SrvResolution = { kind: 'srv'; name: string; fqdn: string; records: SrvRecord[] } | { kind: 'nxdomain'; name: string; tried: string[] };

interface ServiceEndpoint {
  address: string;
  hostname?: string;
}

export class NameResolver {
  constructor(private readonly cluster: Cluster) {}

  resolve(name: string, search: readonly string[]): Resolution {
    const candidates = searchCandidates(name, search);
    for (const fqdn of candidates) {
      const found = this.lookup(fqdn, []);
      if (found.kind === 'addresses') return { ...found, name };
      if (found.cname?.length) return { kind: 'nxdomain', name, tried: candidates, cname: found.cname };
    }
    return { kind: 'nxdomain', name, tried: candidates };
  }

  /** SRV records for `_port._proto.service.namespace.svc.cluster.local`, the search path applied as for A. */
  resolveSrv(name: string, search: readonly string[]): SrvResolution {
    const candidates = searchCandidates(name, search);
    for (const fqdn of candidates) {
      const records = this.srvRecords(fqdn);
      if (records) return { kind: 'srv', name, fqdn, records };
    }
    return { kind: 'nxdomain', name, tried: candidates };
  }

  private srvRecords(fqdn: string): SrvRecord[] | undefined {
    const suffix = `.${CLUSTER_DOMAIN}`;
    if (!fqdn.endsWith(suffix)) return undefined;
    const labels = fqdn.slice(0, -suffix.length).split('.');
    if (labels.length !== 5 || labels[4] !== 'svc' || !labels[0].startsWith('_') || !labels[1].startsWith('_')) return undefined;
    const [portName, protocol, serviceName, namespace] = [labels[0].slice(1), labels[1].slice(1), labels[2], labels[3]];
    const store = this.cluster.store;
    const service = store.tryGet(store.resourceType('services'), namespace, serviceName);
    if (!service) return undefined;
    const spec = (service.spec ?? {}) as { type?: string; clusterIP?: string; ports?: { name?: string; port: number; protocol?: string }[] };
    if (spec.type === 'ExternalName') return undefined;
    const port = (spec.ports ?? []).find((p) => p.name === portName && (p.protocol ?? 'TCP').toLowerCase() === protocol);
    if (!port) return undefined;
    const serviceFqdn = `${serviceName}.${namespace}.svc.${CLUSTER_DOMAIN}`;
    if (spec.clusterIP && spec.clusterIP !== 'None') return [{ priority: 0, weight: 100, port: port.port, target: serviceFqdn, address: spec.clusterIP }];
    const endpoints = this.readyEndpoints(namespace, serviceName, portName);
    if (!endpoints.length) return undefined;
    const weight = Math.floor(100 / endpoints.length);
    return endpoints.map((e) => ({
      priority: 0,
      weight,
      port: e.port,
      target: `${e.hostname ?? e.address.replace(/\./g, '-')}.${serviceFqdn}`,
      address: e.address,
    }));
  }

  private lookup(fqdn: string, cname: string[]): Resolution {
    const nx: Resolution = { kind: 'nxdomain', name: fqdn, tried: [fqdn], ...(cname.length ? { cname } : {}) };
    const suffix = `.${CLUSTER_DOMAIN}`;
    if (!fqdn.endsWith(suffix)) return nx;
    const labels = fqdn.slice(0, -suffix.length).split('.');
    if (labels.length === 4 && labels[3] === 'svc') return this.lookupHostname(fqdn, labels[0], labels[1], labels[2], nx);
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

  /** `HOSTNAME.SERVICE.NAMESPACE.svc`: the ready endpoint of a headless Service with that hostname (a StatefulSet pod's stable name). */
  private lookupHostname(fqdn: string, hostname: string, serviceName: string, namespace: string, nx: Resolution): Resolution {
    const store = this.cluster.store;
    const service = store.tryGet(store.resourceType('services'), namespace, serviceName);
    if (!service || (service.spec as { clusterIP?: string } | undefined)?.clusterIP !== 'None') return nx;
    const addresses = [...new Set(this.serviceEndpoints(namespace, serviceName).filter((e) => e.hostname === hostname).map((e) => e.address))];
    if (!addresses.length) return nx;
    return { kind: 'addresses', name: fqdn, fqdn, addresses, service: { namespace, name: serviceName, headless: true } };
  }

  /** Ready endpoints of a Service with their hostnames, sorted by address. */
  private serviceEndpoints(namespace: string, service: string): ServiceEndpoint[] {
    return this.readyEndpoints(namespace, service).map(({ address, hostname }) => ({ address, ...(hostname ? { hostname } : {}) }));
  }

  /** Ready endpoints of a Service (with the port named `portName`, when given), one per address, sorted by address. */
  private readyEndpoints(namespace: string, service: string, portName?: string): Array<ServiceEndpoint & { port: number }> {
    const store = this.cluster.store;
    const slices = store.list(store.resourceType('endpointslices.discovery.k8s.io'), { namespace }).items;
    const out = new Map<string, ServiceEndpoint & { port: number }>();
    for (const slice of slices) {
      if (slice.metadata.namespace !== namespace || slice.metadata.labels?.['kubernetes.io/service-name'] !== service) continue;
      if ((slice as { addressType?: string }).addressType === 'IPv6') continue; // A records and SRV targets: IPv4
      const body = slice as unknown as { endpoints?: { addresses: string[]; hostname?: string; conditions?: { ready?: boolean | null } }[]; ports?: { name?: string; port?: number }[] };
      const port = portName === undefined ? 0 : (body.ports ?? []).find((p) => (p.name ?? '') === portName)?.port;
      if (port === undefined) continue;
      for (const e of body.endpoints ?? []) {
        if (e.conditions?.ready === false) continue;
        for (const a of e.addresses) if (!out.has(a)) out.set(a, { address: a, port, ...(e.hostname ? { hostname: e.hostname } : {}) });
      }
    }
    return [...out.values()].sort((a, b) => (tryParseIPv4(a.address) ?? 0) - (tryParseIPv4(b.address) ?? 0));
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

/** The names a resolver tries for `name`, in order: the search path applied as resolv.conf's `ndots:5` says. */
function searchCandidates(name: string, search: readonly string[]): string[] {
  const absolute = name.endsWith('.');
  const bare = (absolute ? name.slice(0, -1) : name).toLowerCase();
  const dots = (bare.match(/\./g) ?? []).length;
  const candidates: string[] = [];
  if (absolute || dots >= 5) candidates.push(bare);
  if (!absolute) for (const domain of search) candidates.push(`${bare}.${domain}`);
  if (!absolute && dots < 5) candidates.push(bare);
  return candidates;
}
