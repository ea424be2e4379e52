/**
 * A traffic request resolved against the cluster: its source (a pod, a node
 * or a hostNetwork pod, an outside client), its destinations (an address,
 * a pod, a Service by name and port, a DNS name along the client's search
 * path) and the nodes an outside client's packet enters by. A request the
 * cluster cannot serve is refused here (422, or 404 for an unknown object),
 * before any packet is sent.
 */
import type { Cluster } from '../cluster/cluster';
import { DomainError } from '../common/domain-error';
import { formatIp, tryParseIp, type IpAddress, type IpFamily } from '../netfilter/address';
import { searchPath, type NameResolver, type Resolution } from './names';
import type { ClusterNetwork, NodeNetwork, PodEndpoint } from './network';
import type { TrafficProtocol, TrafficRequest } from './traffic';
import { parseTrafficSource } from './traffic-source';

/** Where the traffic starts: a pod's own network namespace, a node (a host process or a hostNetwork pod), or an outside client. */
export type Source =
  | { kind: 'pod'; pod: PodEndpoint; node: NodeNetwork }
  | { kind: 'node'; node: NodeNetwork; pod?: PodEndpoint }
  | { kind: 'external'; address: IpAddress };

/** A destination address and port; `weight` is its share of the connections (a name's addresses share them equally). */
export interface Target {
  address: IpAddress;
  port: number;
  weight: number;
}

/** Resolves requests for TrafficSimulator (traffic.ts). */
export class TrafficRequestResolver {
  constructor(
    private readonly cluster: Cluster,
    private readonly network: ClusterNetwork,
    private readonly names: NameResolver,
  ) {}

  source(from: TrafficRequest['from']): Source {
    const parsed = parseTrafficSource(from);
    if (parsed.kind === 'external') return { kind: 'external', address: parsed.address };
    if (parsed.kind === 'node') return { kind: 'node', node: this.network.node(parsed.name, 'from') };
    const { namespace, name } = parsed;
    const found = this.network.pod(namespace, name);
    if (!found) throw new DomainError('NOT_FOUND', `pods "${name}" not found in namespace "${namespace}"`, { kind: 'pods', name, field: 'from' });
    const node = found.node ? this.network.tryNode(found.node) : undefined;
    if (!node) throw new DomainError('INVALID', `from: pod ${namespace}/${name} is not running on a node with a network yet`, { field: 'from' });
    if (found.hostNetwork) return { kind: 'node', node, pod: found };
    if (found.address === undefined && found.address6 === undefined) throw new DomainError('INVALID', `from: pod ${namespace}/${name} has no IP address yet`, { field: 'from' });
    return { kind: 'pod', pod: found, node };
  }

  /**
   * The destinations `to` names. `family` picks the address family where `to`
   * has one of each: a name's A or AAAA records (default: A, then AAAA when
   * there is no A record, as glibc's getaddrinfo orders a ULA IPv6 address
   * after an IPv4 one), a dual-stack Service's ClusterIP or a pod's address
   * (default: the primary family's).
   */
  targets(to: string, source: Source, protocol: TrafficProtocol = 'tcp', family?: IpFamily): { targets: Target[]; resolution?: Resolution } {
    const bracketed = /^\[([^\]]*)\](?::(.*))?$/.exec(to);
    const colon = bracketed ? -1 : to.lastIndexOf(':');
    // A bare IPv6 address (a ping's host) has colons but no port.
    const bare6 = !bracketed && colon >= 0 && to.indexOf(':') !== colon && tryParseIp(to) !== undefined;
    const host = bracketed ? bracketed[1] : colon < 0 || bare6 ? to : to.slice(0, colon);
    const portText = bracketed ? (bracketed[2] ?? '') : colon < 0 || bare6 ? '' : to.slice(colon + 1);
    const hasPort = bracketed ? bracketed[2] !== undefined : colon >= 0 && !bare6;
    const invalid = (message: string) => new DomainError('INVALID', `to: ${message}`, { field: 'to' });
    // A ping has no port: `to` is the host alone (port 0 stands for none).
    if (protocol === 'icmp' && hasPort) throw invalid(`"${to}": an icmp echo has no port (send to HOST, not HOST:PORT)`);
    const numeric = protocol === 'icmp' ? 0 : /^[0-9]{1,5}$/.test(portText) ? Number(portText) : undefined;
    if (!host) throw invalid(`"${to}" names no destination`);
    const checked = (targets: Target[]) => this.checkFamilies(targets, to);
    const service = /^service\/([^/]+)\/([^/]+)$/.exec(host);
    if (service) return { targets: checked(this.serviceTargets(service[1], service[2], portText, protocol === 'icmp', family)) };
    if (numeric === undefined || (protocol !== 'icmp' && (numeric < 1 || numeric > 65535))) {
      throw invalid(`"${to}" needs a port between 1 and 65535 (HOST:PORT, [IPv6]:PORT)`);
    }
    const pod = /^pod\/([^/]+)\/([^/]+)$/.exec(host);
    if (pod) {
      const found = this.network.pod(pod[1], pod[2]);
      if (!found) throw new DomainError('NOT_FOUND', `pods "${pod[2]}" not found in namespace "${pod[1]}"`, { kind: 'pods', name: pod[2], field: 'to' });
      const primary = (found.object.status as { podIP?: string } | undefined)?.podIP;
      const want = family ?? (primary?.includes(':') || (found.ip === undefined && found.ip6 !== undefined) ? 'ipv6' : 'ipv4');
      const node = found.hostNetwork ? this.network.tryNode(found.node ?? '') : undefined;
      const address = found.hostNetwork ? (want === 'ipv6' ? node?.address6 : node?.address) : want === 'ipv6' ? found.address6 : found.address;
      if (address === undefined) throw invalid(`pod ${pod[1]}/${pod[2]} has no ${want === 'ipv6' ? 'IPv6' : 'IPv4'} address${found.ip === undefined && found.ip6 === undefined ? ' yet' : ''}`);
      return { targets: checked([{ address, port: numeric, weight: 1 }]) };
    }
    const address = tryParseIp(host);
    if (address !== undefined) {
      if (typeof address === 'bigint' && !bracketed && protocol !== 'icmp') throw invalid(`"${to}": write an IPv6 address with a port in brackets ([${host}]:PORT)`);
      return { targets: checked([{ address, port: numeric, weight: 1 }]) };
    }
    if (bracketed) throw invalid(`"${host}" is not an IPv6 address`);
    if (!/^[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9.])?$/i.test(host)) throw invalid(`"${host}" is not an IP address or a DNS name`);
    const client = source.kind === 'pod' ? source.pod : source.kind === 'node' ? source.pod : undefined;
    const resolution = this.names.resolve(host, searchPath(client));
    if (resolution.kind === 'nxdomain') return { targets: [], resolution };
    const records = family === 'ipv6' ? (resolution.aaaa ?? []) : family === 'ipv4' || resolution.addresses.length ? resolution.addresses : (resolution.aaaa ?? []);
    if (records.length === 0) return { targets: [], resolution };
    const weight = 1 / records.length;
    return { targets: checked(records.map((a) => ({ address: tryParseIp(a)!, port: numeric, weight }))), resolution };
  }

  /** Refuses a destination of a family the cluster's pod network lacks (there is no route to it). A ping to an IPv6 address is sent as ICMPv6 echo. */
  private checkFamilies(targets: Target[], to: string): Target[] {
    for (const t of targets) {
      if (typeof t.address !== 'bigint') continue;
      if (!this.network.clusterCidr6) throw new DomainError('INVALID', `to: "${to}": ${formatIp(t.address)} is IPv6, and this cluster has no IPv6 pod network`, { field: 'to' });
    }
    return targets;
  }

  /**
   * `service/NS/NAME:PORT`: the ClusterIP (of `family`, or the primary one) and Service port (by number
   * or name); a headless Service's ready endpoints of that family.
   */
  private serviceTargets(namespace: string, name: string, portText: string, ping = false, family?: IpFamily): Target[] {
    const store = this.cluster.store;
    const service = store.tryGet(store.resourceType('services'), namespace, name);
    if (!service) throw new DomainError('NOT_FOUND', `services "${name}" not found in namespace "${namespace}"`, { kind: 'services', name, field: 'to' });
    const spec = (service.spec ?? {}) as { clusterIP?: string; clusterIPs?: string[]; ipFamilies?: string[]; type?: string; ports?: { name?: string; port: number }[] };
    const want = family ?? (spec.ipFamilies?.[0] === 'IPv6' ? 'ipv6' : 'ipv4');
    const ofFamily = (ip: string) => ip.includes(':') === (want === 'ipv6');
    const clusterIP = () => {
      if (!spec.clusterIP || spec.clusterIP === 'None') return undefined;
      const ip = (spec.clusterIPs?.length ? spec.clusterIPs : [spec.clusterIP]).find(ofFamily);
      if (ip === undefined) {
        throw new DomainError('INVALID', `to: service ${namespace}/${name} has no ${want === 'ipv6' ? 'IPv6' : 'IPv4'} ClusterIP (ipFamilies: ${(spec.ipFamilies ?? []).join(', ') || 'none'})`, { field: 'to' });
      }
      return tryParseIp(ip)!;
    };
    const readyOfFamily = () => this.names.readyAddresses(namespace, name, want === 'ipv6' ? 'IPv6' : 'IPv4');
    if (ping) {
      if (spec.type === 'ExternalName') return [];
      const ip = clusterIP();
      if (ip !== undefined) return [{ address: ip, port: 0, weight: 1 }];
      const ready = readyOfFamily();
      return ready.map((a) => ({ address: tryParseIp(a)!, port: 0, weight: 1 / ready.length }));
    }
    const ports = spec.ports ?? [];
    const byNumber = /^[0-9]{1,5}$/.test(portText) ? Number(portText) : undefined;
    const matched = byNumber !== undefined ? ports.find((p) => p.port === byNumber) : portText ? ports.find((p) => p.name === portText) : ports.length === 1 ? ports[0] : undefined;
    const port = matched?.port ?? byNumber;
    if (port === undefined || port < 1 || port > 65535) {
      throw new DomainError('INVALID', `to: service ${namespace}/${name} has no port "${portText}" (ports: ${ports.map((p) => p.name ?? p.port).join(', ') || 'none'})`, { field: 'to' });
    }
    if (spec.type === 'ExternalName') return [];
    const ip = clusterIP();
    if (ip !== undefined) return [{ address: ip, port, weight: 1 }];
    const addresses = readyOfFamily();
    return addresses.map((a) => ({ address: tryParseIp(a)!, port, weight: 1 / addresses.length }));
  }

  /**
   * Which nodes an outside packet to this address reaches: the node that
   * owns it; for a Service's external IP or load-balancer address, every
   * ready node a cloud load balancer would send to (nodes not labelled
   * `node.kubernetes.io/exclude-from-external-load-balancers`; with
   * `externalTrafficPolicy: Local`, only those whose health check passes,
   * i.e. with a ready local endpoint, when there are any), equally.
   */
  entryNodes(address: IpAddress): NodeNetwork[] {
    const owner = this.network.nodeByAddress(address);
    if (owner) return [owner];
    const store = this.cluster.store;
    const ip = formatIp(address);
    for (const s of store.list(store.resourceType('services')).items) {
      const spec = (s.spec ?? {}) as { externalIPs?: string[]; externalTrafficPolicy?: string; type?: string };
      const ingress = ((s.status ?? {}) as { loadBalancer?: { ingress?: { ip?: string }[] } }).loadBalancer?.ingress ?? [];
      const isLb = ingress.some((i) => i.ip === ip);
      if (!isLb && !(spec.externalIPs ?? []).includes(ip)) continue;
      const nodes = this.network.nodes().filter((n) => n.ready);
      const eligible = isLb ? nodes.filter((n) => !this.excludedFromLb(n.name)) : nodes;
      if (isLb && spec.externalTrafficPolicy === 'Local') {
        const local = new Set(this.localEndpointNodes(s.metadata.namespace ?? 'default', s.metadata.name));
        const healthy = eligible.filter((n) => local.has(n.name));
        if (healthy.length > 0) return healthy;
      }
      return eligible;
    }
    return [];
  }

  private excludedFromLb(node: string): boolean {
    const store = this.cluster.store;
    const object = store.tryGet(store.resourceType('nodes'), undefined, node);
    return object?.metadata.labels?.['node.kubernetes.io/exclude-from-external-load-balancers'] !== undefined;
  }

  private localEndpointNodes(namespace: string, service: string): string[] {
    const store = this.cluster.store;
    const out: string[] = [];
    for (const slice of store.list(store.resourceType('endpointslices.discovery.k8s.io'), { namespace }).items) {
      if (slice.metadata.labels?.['kubernetes.io/service-name'] !== service) continue;
      const endpoints = (slice as unknown as { endpoints?: { nodeName?: string; conditions?: { ready?: boolean | null } }[] }).endpoints ?? [];
      for (const e of endpoints) if (e.nodeName && e.conditions?.ready !== false) out.push(e.nodeName);
    }
    return out;
  }
}
