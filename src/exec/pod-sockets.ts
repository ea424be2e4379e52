/**
 * A pod's sockets, made of the traffic engine: every connection a command
 * opens (curl, wget, nc, a DNS query) is one sampled connection of
 * `TrafficSimulator` from the pod, with a fresh ephemeral source port, so
 * conntrack entries, session affinity and rule counters move as real
 * traffic would move them. Names resolve as the pod's resolver does:
 * `/etc/hosts`, then the nameserver of resolv.conf (itself reached by a
 * sampled UDP packet to port 53) answering as CoreDNS does, after the
 * search path (ndots:5).
 *
 * Every port a container declares is served by a simulated HTTP server that
 * answers with the pod's hostname, as `agnhost serve-hostname` does, and
 * logs the request (access-log.ts).
 */
import { formatIPv4, tryParseIPv4 } from '../common/ipv4';
import { tryParseIPv6 } from '../ipam/ipv6';
import { joinHostPort } from '../kube-proxy/ip';
import type { Random } from '../common/random';
import { NameResolver, type Resolution, type SrvResolution } from '../dataplane/names';
import type { PodEndpoint } from '../dataplane/network';
import type { TrafficOutcome, TrafficProtocol, TrafficSimulator } from '../dataplane/traffic';
import type { AccessLogs } from './access-log';
import { apiServerAnswer, type HttpAnswer, isApiServerSocket, PLAIN_HTTP_TO_TLS } from './api-server';
import type { PodView } from './pod-view';

/** Linux's `ip_local_port_range`. */
const EPHEMERAL_MIN = 32768;
const EPHEMERAL_MAX = 60999;

export type ConnectResult =
  | { kind: 'connected'; server: Server; outcome: TrafficOutcome | null }
  /** A TCP reset, or an ICMP port unreachable (kube-proxy's REJECT for a Service without endpoints). */
  | { kind: 'refused'; outcome: TrafficOutcome | null }
  /** No answer at all (a DROP, or the packet left the cluster, where nothing answers). */
  | { kind: 'timeout'; outcome: TrafficOutcome }
  | { kind: 'unreachable'; outcome: TrafficOutcome };

/** Who answered: the pod (or node) and the address it saw the client come from. */
export interface Server {
  pod: PodEndpoint | undefined;
  /** The hostname it answers with. */
  hostname: string;
  /** The container whose port answered. */
  container: string;
  /** The port that answered. */
  port: number;
  /** The client address the server sees (after any SNAT). */
  client: string;
}

export type Lookup =
  | { kind: 'addresses'; name: string; addresses: string[]; aaaa?: string[]; fqdn: string; cname?: string[]; fromHosts?: boolean }
  | { kind: 'nxdomain'; name: string; tried: string[] }
  /** The nameserver did not answer. */
  | { kind: 'no-server'; name: string; server: string };

/**
 * The address a client connects to first: the first A record, else the first AAAA record (glibc's
 * getaddrinfo puts an IPv4 address before a ULA IPv6 one, so curl, wget and nc try IPv4 first).
 */
export function firstAddress(lookup: Extract<Lookup, { kind: 'addresses' }>): string | undefined {
  return lookup.addresses[0] ?? lookup.aaaa?.[0];
}

export interface HttpRequest {
  method: string;
  path: string;
  userAgent: string;
}

export class PodSockets {
  private readonly names: NameResolver;
  private readonly nextPort = new Map<string, number>();

  constructor(
    private readonly traffic: TrafficSimulator,
    private readonly logs: AccessLogs,
    private readonly random: Random,
  ) {
    this.names = new NameResolver(traffic.cluster);
  }

  /** A fresh ephemeral port for the pod (per network namespace, in turn from a random start). */
  private sourcePort(view: PodView): number {
    const key = view.pod.hostNetwork ? `node/${view.pod.node}` : `${view.namespace}/${view.pod.name}`;
    const next = this.nextPort.get(key) ?? EPHEMERAL_MIN + this.random.int(EPHEMERAL_MAX - EPHEMERAL_MIN + 1);
    this.nextPort.set(key, next >= EPHEMERAL_MAX ? EPHEMERAL_MIN : next + 1);
    return next;
  }

  /**
   * Resolves `name` as the pod's resolver would: an address as itself,
   * `/etc/hosts`, then the nameserver (`search`: apply the search path, as
   * libc does; dig does not). A headless Service's addresses come shuffled,
   * as CoreDNS answers them.
   */
  lookup(view: PodView, name: string, options: { search?: boolean } = {}): Lookup {
    if (tryParseIPv4(name) !== undefined) return { kind: 'addresses', name, addresses: [name], fqdn: name };
    // An IPv6 literal, bracketed as in a URL (`[fd00:10:96::a]`) or bare.
    const literal6 = /^\[(.*)\]$/.exec(name)?.[1] ?? name;
    if (tryParseIPv6(literal6) !== undefined) return { kind: 'addresses', name, addresses: [], aaaa: [literal6], fqdn: literal6 };
    const fromHosts = view.hostsLookup(name);
    if (fromHosts !== undefined) return { kind: 'addresses', name, addresses: [fromHosts], fqdn: name, fromHosts: true };
    const server = view.nameserver();
    const dns = this.connect(view, server, 53, 'udp');
    if (dns.kind !== 'connected' && !(dns.kind === 'timeout' && dns.outcome.result === 'external')) return { kind: 'no-server', name, server };
    const resolution: Resolution = this.names.resolve(name, options.search === false ? [] : view.search());
    if (resolution.kind === 'nxdomain') return { kind: 'nxdomain', name, tried: resolution.tried };
    const addresses = [...resolution.addresses];
    for (let i = addresses.length - 1; i > 0; i--) {
      const j = this.random.int(i + 1);
      [addresses[i], addresses[j]] = [addresses[j], addresses[i]];
    }
    return {
      kind: 'addresses',
      name,
      addresses,
      ...(resolution.aaaa ? { aaaa: resolution.aaaa } : {}),
      fqdn: resolution.fqdn,
      ...(resolution.cname ? { cname: resolution.cname } : {}),
    };
  }

  /** SRV records for `name`, as `lookup` asks the nameserver (undefined: it did not answer). */
  lookupSrv(view: PodView, name: string, options: { search?: boolean } = {}): SrvResolution | undefined {
    const dns = this.connect(view, view.nameserver(), 53, 'udp');
    if (dns.kind !== 'connected' && !(dns.kind === 'timeout' && dns.outcome.result === 'external')) return undefined;
    return this.names.resolveSrv(name, options.search === false ? [] : view.search());
  }

  /** Opens one connection (TCP: the handshake; UDP: the first datagram) from the pod to `address:port`. */
  connect(view: PodView, address: string, port: number, protocol: TrafficProtocol = 'tcp'): ConnectResult {
    const local = this.localServer(view, address, port, protocol);
    if (local !== undefined) return local;
    const from = `pod/${view.namespace}/${view.pod.name}`;
    const answer = this.traffic.send({ from, to: joinHostPort(address, port), protocol, mode: 'sample', count: 1, sourcePort: this.sourcePort(view) });
    const outcome = answer.outcomes[0];
    switch (outcome.result) {
      case 'delivered':
        return { kind: 'connected', server: this.serverOf(outcome, protocol), outcome };
      case 'refused':
      case 'rejected':
        return { kind: 'refused', outcome };
      case 'no-route':
        return { kind: 'unreachable', outcome };
      default:
        return { kind: 'timeout', outcome };
    }
  }

  /** The id a ping run gives its echoes (busybox takes its pid; here a random 16-bit number). */
  echoId(): number {
    return this.random.int(65536);
  }

  /**
   * One ICMP echo (ICMPv6 echo to an IPv6 address) from the pod, through the traffic engine (a sampled ping:
   * its conntrack entry stays, keyed by `id`): the TTL the echo reply
   * arrives with, or undefined when nothing answers. The pod's own
   * addresses answer without the network.
   */
  echo(view: PodView, address: string, id: number): { ttl: number | undefined; outcome: TrafficOutcome | null } {
    const ip = tryParseIPv4(address);
    if (ip !== undefined ? ip >>> 24 === 127 || address === view.address : address === '::1' || address === view.pod.ip6) return { ttl: 64, outcome: null };
    const from = `pod/${view.namespace}/${view.pod.name}`;
    const outcome = this.traffic.send({ from, to: address, protocol: 'icmp', icmpId: id, mode: 'sample', count: 1 }).outcomes[0];
    if (outcome.result !== 'delivered') return { ttl: undefined, outcome };
    return { ttl: outcome.reply.at(-1)?.ttl ?? 64, outcome };
  }

  /** 127.0.0.0/8 and the pod's own address: the pod's own ports, without the network. */
  private localServer(view: PodView, address: string, port: number, protocol: TrafficProtocol): ConnectResult | undefined {
    const ip = tryParseIPv4(address);
    const loopback = ip === undefined ? address === '::1' : ip >>> 24 === 127;
    if (!loopback && address !== view.address && address !== view.pod.ip6) return undefined;
    const pods = view.pod.hostNetwork ? this.traffic.network.hostNetworkPods(view.pod.node ?? '') : [view.pod];
    const owner = pods.find((p) => p.ports.some((q) => q.port === port && q.protocol === protocol));
    if (!owner) return { kind: 'refused', outcome: null };
    return { kind: 'connected', outcome: null, server: { pod: owner, hostname: hostnameOf(owner), container: containerOf(owner, port, protocol), port, client: loopback && ip !== undefined ? formatIPv4(ip) : address } };
  }

  private serverOf(outcome: TrafficOutcome, protocol: TrafficProtocol): Server {
    const [ns, name] = (outcome.destination?.pod ?? '/').split('/');
    const pod = outcome.destination?.pod ? this.traffic.network.pod(ns, name) : undefined;
    const client = (outcome.seenSource ?? '').replace(/:\d+$/, '').replace(/^\[(.*)\]$/, '$1');
    const port = outcome.destination?.port ?? 0;
    if (!pod) return { pod: undefined, hostname: outcome.destination?.node ?? 'localhost', container: '', port, client };
    return { pod, hostname: hostnameOf(pod), container: containerOf(pod, port, protocol), port, client };
  }

  /** Does the server speak TLS (the API server's secure port)? Every other pod speaks plain HTTP. */
  speaksTls(server: Server): boolean {
    return isApiServerSocket(server.pod, server.port);
  }

  /**
   * The server's HTTP answer to a request: its hostname, logged in its access log; the API
   * server's answer on its secure port (./api-server.ts), `tls` saying whether the request came
   * over TLS.
   */
  serve(server: Server, request: HttpRequest, tls = false): HttpAnswer {
    const now = this.traffic.cluster.clock.now();
    if (this.speaksTls(server)) {
      if (!tls) return { status: 400, body: PLAIN_HTTP_TO_TLS, headers: [['Content-Type', 'text/plain; charset=utf-8'], ['Connection', 'close']] };
      return apiServerAnswer(request, now);
    }
    const body = `${server.hostname}\n`;
    if (server.pod) {
      const uid = server.pod.object.metadata.uid ?? `${server.pod.namespace}/${server.pod.name}`;
      const bytes = request.method === 'HEAD' ? 0 : Buffer.byteLength(body);
      this.logs.record(uid, { time: now, container: server.container, client: server.client, method: request.method, path: request.path, status: 200, bytes, userAgent: request.userAgent });
    }
    return {
      status: 200,
      body,
      headers: [
        ['Date', new Date(now).toUTCString()],
        ['Content-Length', String(Buffer.byteLength(body))],
        ['Content-Type', 'text/plain; charset=utf-8'],
      ],
    };
  }
}

function hostnameOf(pod: PodEndpoint): string {
  if (pod.hostNetwork) return pod.node ?? pod.name;
  return (pod.object.spec as { hostname?: string } | undefined)?.hostname ?? pod.name;
}

function containerOf(pod: PodEndpoint, port: number, protocol: TrafficProtocol): string {
  const containers = ((pod.object.spec ?? {}) as { containers?: { name: string; ports?: { containerPort: number; protocol?: string }[] }[] }).containers ?? [];
  const found = containers.find((c) => (c.ports ?? []).some((p) => p.containerPort === port && (p.protocol ?? 'TCP').toLowerCase() === protocol));
  return found?.name ?? containers[0]?.name ?? '';
}
