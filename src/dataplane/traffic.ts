/**
 * `POST /netsim/v1/traffic`: a packet's journey through the simulated
 * cluster, hop by hop, and its reply back along conntrack, as outcomes with
 * their probabilities and verdicts. See docs/dataplane.md.
 *
 * The request is resolved in traffic-request.ts (source, destinations, the
 * nodes an outside client enters by); the packet walks the nodes in
 * traffic-walk.ts; outcomes are merged and answers kept in
 * traffic-answers.ts; each outcome's verdict comes from explain/.
 *
 * Enumerate mode multiplies the engines' exact path probabilities along the
 * way (and the choice among a headless Service's addresses, or among the
 * nodes a load balancer may pick) and merges identical outcomes. Sample mode
 * sends connections with a seeded random source and keeps their effects
 * (conntrack entries, `recent` lists, rule counters), as real traffic would.
 */
import type { Cluster } from '../cluster/cluster';
import { DomainError } from '../common/domain-error';
import { deepFreeze } from '../common/freeze';
import { SeededRandom, type Random } from '../common/random';
import { ConnectionTracker } from '../netfilter/conntrack';
import { NetfilterEngine } from '../netfilter/engine';
import type { TraceInput } from '../netfilter/trace-input';
import type { PacketView } from '../netfilter/packet-view';
import { TCP_FLAGS, type Packet, type Protocol, type TraceStep } from '../netfilter/types';
import { NameResolver, type Resolution } from './names';
import { ClusterNetwork } from './network';
import type { Verdict } from './verdict';
import { Explainer } from './explain/explain';
import { AnswerCache, OutcomeMerger, type Unexplained } from './traffic-answers';
import { TrafficRequestResolver, type Source, type Target } from './traffic-request';
import { Branch, INITIAL_TTL, NO_RULES, Walk, endpointText, hopOf, hopView, type Ending, type Endpoint } from './traffic-walk';
import { DEFAULT_ICMP_ID, icmpAnswer, pingOf } from './icmp-traffic';
import { ICMP_ECHO_REQUEST, isIcmpProtocol } from '../netfilter/icmp';
import { formatIp, type IpAddress, type IpFamily } from '../netfilter/address';

export type TrafficProtocol = 'tcp' | 'udp' | 'sctp' | 'icmp';
export type TrafficResult = 'delivered' | 'refused' | 'rejected' | 'dropped' | 'no-route' | 'nxdomain' | 'external';

export interface TrafficRequest {
  /** `pod/NAMESPACE/NAME`, `node/NAME`, or `{ external: "203.0.113.7" }`. */
  from: string | { external: string };
  /** `IP:PORT`, `NAME:PORT`, `service/NAMESPACE/NAME:PORT`, `pod/NAMESPACE/NAME:PORT`. */
  to: string;
  protocol?: TrafficProtocol;
  /**
   * Which address of a name (A or AAAA), a dual-stack Service or a pod to connect to. Default: a
   * name's A record (its AAAA when it has none), a Service's or pod's primary family.
   */
  family?: IpFamily;
  /** The client's source port (sample mode: the first connection's; each next one takes the next port). Default 40000. */
  sourcePort?: number;
  /** icmp: the query's type (default 8, echo-request; 13, timestamp-request) and id (default 1; sample mode: each next echo takes the next). */
  icmpType?: number;
  icmpId?: number;
  mode?: 'enumerate' | 'sample';
  /** Sample mode: how many connections (default 100). */
  count?: number;
  /** Sample mode: seed of the random source (default: the cluster's own random source). */
  seed?: number;
}

export interface Hop {
  /** The node, or null outside any node (the source pod's and the client's own hops have the pod's node). */
  node: string | null;
  where: string;
  packet: PacketView;
  /** The engine's steps on this node: the rules that matched, policies, conntrack and routing. */
  rules: TraceStep[];
  /** The rewrites this node made: the new destination and source, and the packet's endpoints before them (conntrack's tuple). */
  nat: { dnat: string | null; snat: string | null; masquerade: boolean; before?: { source: string; destination: string } } | null;
  encapsulation: {
    type: 'vxlan';
    vni: number;
    mtu: number;
    outer: { protocol: 'udp'; source: string; sourcePort: number; destination: string; destinationPort: number };
  } | null;
  ttl: number | null;
}

export interface TrafficDestination {
  pod: string | null;
  node: string | null;
  ip: string;
  port: number;
}

export interface TrafficOutcome {
  probability: number;
  result: TrafficResult;
  /** Why, for anything but `delivered`. */
  reason?: string;
  /** What the outcome means and why, for a person and a program (see verdict.ts, src/dataplane/explain). */
  verdict: Verdict;
  destination: TrafficDestination | null;
  /** The source address and port the destination sees. */
  seenSource: string | null;
  hops: Hop[];
  /** The answer (SYN/ACK, a reset, an ICMP error), back along conntrack. */
  reply: Hop[];
  /** The source the client sees the answer come from (the Service address when un-NATed). */
  replySource?: string | null;
  /** Sample mode: how many of the connections took this outcome. */
  connections?: number;
}

type UnexplainedResponse = Omit<TrafficResponse, 'outcomes'> & { outcomes: Unexplained[] };

export interface TrafficResponse {
  outcomes: TrafficOutcome[];
  /** Sample mode: where the connections landed ("pod/ns/name", "node/NAME", or a result such as "rejected"). */
  samples?: Record<string, number>;
  resolution?: Resolution;
}

const DEFAULT_SOURCE_PORT = 40000;

export interface TrafficOptions {
  /** Default: a new ClusterNetwork over the cluster (vxlan). */
  network?: ClusterNetwork;
  /** How many enumerated answers to keep for the current cluster state (default 256; 0 keeps none). */
  answerCacheSize?: number;
}

/** What an enumerated answer depends on besides the cluster's state: the request, normalized. */
function requestKey(request: TrafficRequest): string {
  return JSON.stringify([request.from, request.to, request.protocol ?? 'tcp', request.sourcePort ?? DEFAULT_SOURCE_PORT, request.icmpType, request.icmpId, request.family]);
}

/** `POST /netsim/v1/traffic`, framework-free. */
export class TrafficSimulator {
  readonly network: ClusterNetwork;
  /** The request resolved against the cluster (traffic-request.ts). */
  private readonly requests: TrafficRequestResolver;
  private readonly answers: AnswerCache;
  /** The verdict on each outcome (src/dataplane/explain). */
  readonly explainer: Explainer;
  /** Scratch engines of enumerated replies, by the node engine they stand in for (see replyEngine). */
  private readonly replyEngines = new WeakMap<NetfilterEngine, NetfilterEngine>();
  /**
   * The nodes' engines during one answer: the first use brings a node's
   * tables up to date, and nothing changes them again before the answer is
   * done (the clock stands still), so each is looked up once.
   */
  private engines = new Map<string, NetfilterEngine>();
  private engines6 = new Map<string, NetfilterEngine>();

  constructor(
    readonly cluster: Cluster,
    options: TrafficOptions = {},
  ) {
    this.network = options.network ?? new ClusterNetwork(cluster);
    this.requests = new TrafficRequestResolver(cluster, this.network, new NameResolver(cluster));
    this.answers = new AnswerCache(options.answerCacheSize ?? 256);
    this.explainer = new Explainer(cluster, this.network);
  }

  /** Refuses a source `send` would refuse (422, or 404 for an unknown pod or node), sending nothing. */
  checkSource(from: TrafficRequest['from']): void {
    this.requests.source(from);
  }

  /**
   * Sends the request's traffic. An enumerated answer is frozen and may be
   * shared with earlier and later callers (see AnswerCache).
   */
  send(request: TrafficRequest): TrafficResponse {
    if ((request.mode ?? 'enumerate') !== 'enumerate') return this.answer(request);
    const key = requestKey(request);
    const state = this.network.stateKey();
    const cached = this.answers.get(state, key);
    if (cached !== undefined) return cached;
    const answer = deepFreeze(this.answer(request));
    // Bringing a node's tables up to date may change state the first time: keep only an answer the state did not move under.
    if (this.network.stateKey() === state) this.answers.set(state, key, answer);
    return answer;
  }

  private answer(request: TrafficRequest): TrafficResponse {
    try {
      const response = this.compute(request);
      const context = { from: request.from, to: request.to, resolution: response.resolution };
      return { ...response, outcomes: response.outcomes.map((o) => Object.assign(o, { verdict: this.explainer.explain(o, context) })) };
    } finally {
      this.engines.clear();
      this.engines6.clear();
    }
  }

  /** The node's engine of a family: IPv4 packets run its iptables tables, IPv6 ones its ip6tables tables. */
  private engine(node: string, family: IpFamily = 'ipv4'): NetfilterEngine {
    const engines = family === 'ipv6' ? this.engines6 : this.engines;
    let engine = engines.get(node);
    if (engine === undefined) {
      engine = this.network.engine(node, family);
      engines.set(node, engine);
    }
    return engine;
  }

  private compute(request: TrafficRequest): UnexplainedResponse {
    const protocol = request.protocol ?? 'tcp';
    const mode = request.mode ?? 'enumerate';
    // A ping's id stands in for the source port (sample mode: each next echo takes the next).
    const sourcePort = protocol === 'icmp' ? (request.icmpId ?? DEFAULT_ICMP_ID) : (request.sourcePort ?? DEFAULT_SOURCE_PORT);
    const source = this.requests.source(request.from);
    const { targets, resolution } = this.requests.targets(request.to, source, protocol, request.family);
    // One family per packet: an outside client's address and the destination's.
    const mixed = source.kind === 'external' ? targets.find((t) => typeof t.address !== typeof source.address) : undefined;
    if (mixed && source.kind === 'external') {
      throw new DomainError('INVALID', `from.external: Invalid value: "${formatIp(source.address)}": an ${typeof source.address === 'bigint' ? 'IPv6' : 'IPv4'} client cannot connect to the ${typeof mixed.address === 'bigint' ? 'IPv6' : 'IPv4'} address ${formatIp(mixed.address)}`, { field: 'from.external' });
    }
    if (targets.length === 0) {
      const outcome: Unexplained = { probability: 1, result: 'nxdomain', reason: `${resolution?.name ?? request.to}: NXDOMAIN`, destination: null, seenSource: null, hops: [], reply: [] };
      if (mode === 'sample') return { outcomes: [outcome], samples: { nxdomain: request.count ?? 100 }, ...(resolution ? { resolution } : {}) };
      return { outcomes: [outcome], ...(resolution ? { resolution } : {}) };
    }
    if (mode === 'sample') return this.sample(request, source, targets, protocol, sourcePort, resolution);
    const merged = new OutcomeMerger();
    for (const target of targets) {
      for (const ending of this.walk(source, target, protocol, sourcePort, false, this.cluster.random, request.icmpType)) {
        const outcome = this.outcomeOf(ending, protocol, false, this.cluster.random);
        outcome.probability *= target.weight;
        merged.add(outcome);
      }
    }
    return { outcomes: merged.outcomes, ...(resolution ? { resolution } : {}) };
  }

  private sample(
    request: TrafficRequest,
    source: Source,
    targets: Target[],
    protocol: TrafficProtocol,
    sourcePort: number,
    resolution: Resolution | undefined,
  ): UnexplainedResponse {
    const count = request.count ?? 100;
    const random: Random = request.seed === undefined ? this.cluster.random : new SeededRandom(request.seed);
    const samples: Record<string, number> = {};
    const groups = new Map<string, Unexplained>();
    for (let i = 0; i < count; i++) {
      const port = protocol === 'icmp' ? (sourcePort + i) & 0xffff : sourcePort + i > 65535 ? 1024 + ((sourcePort + i - 1024) % (65536 - 1024)) : sourcePort + i;
      const target = targets.length === 1 ? targets[0] : targets[random.int(targets.length)];
      const endings = this.walk(source, target, protocol, port, true, random, request.icmpType);
      const ending = endings[0];
      const outcome = this.outcomeOf(ending, protocol, true, random);
      const key = outcome.destination?.pod ? `pod/${outcome.destination.pod}` : outcome.destination?.node ? `node/${outcome.destination.node}` : outcome.result;
      samples[key] = (samples[key] ?? 0) + 1;
      // The rules taken count too: a connection pinned by affinity or following a conntrack entry has its own verdict notes.
      const group = `${outcome.result}|${key}|${outcome.hops.map((h) => `${h.where}#${h.rules.map((r) => `${r.chain}:${r.ruleNumber}`).join(',')}`).join('|')}`;
      const seen = groups.get(group);
      if (seen) seen.connections = (seen.connections ?? 0) + 1;
      else groups.set(group, { ...outcome, connections: 1 });
    }
    const outcomes = [...groups.values()].map((o) => ({ ...o, probability: (o.connections ?? 0) / count }));
    return { outcomes, samples, ...(resolution ? { resolution } : {}) };
  }

  /** One connection's first packet: every path (enumerate) or one (sample). */
  private walk(source: Source, target: Target, protocol: TrafficProtocol, sourcePort: number, sampling: boolean, random: Random, icmpType = ICMP_ECHO_REQUEST): Ending[] {
    const walk = new Walk(this.network, 'request', sampling, random, (node, family) => this.engine(node, family));
    // For a ping, `sourcePort` is its id.
    const packet: { protocol: Protocol; sourcePort: number; destination: IpAddress; destinationPort: number; icmpType?: number; icmpCode?: number; icmpId?: number } =
      protocol === 'icmp'
        ? { ...pingOf(target.address, icmpType), sourcePort: 0, destination: target.address, destinationPort: 0, icmpCode: 0, icmpId: sourcePort }
        : { protocol, sourcePort, destination: target.address, destinationPort: target.port };
    const start = Branch.START;
    if (source.kind === 'pod') return walk.fromPod(source.pod, source.node, packet, start);
    if (source.kind === 'node') {
      const what = source.pod ? `hostNetwork pod ${source.pod.namespace}/${source.pod.name} sends` : 'a host process sends';
      return walk.fromNode(source.node, packet, start, what);
    }
    const client = formatIp(source.address);
    const entries = this.requests.entryNodes(target.address);
    if (entries.length === 0) {
      const hop = hopOf(null, `external client ${client}: sends to ${endpointText(target.address, target.port)}`, hopView({ ...this.clientPacket(source.address, packet), outInterface: undefined }, INITIAL_TTL), NO_RULES, null, null, INITIAL_TTL);
      return [{ branch: Branch.of(hop), result: 'no-route', reason: `no node of the cluster answers for ${formatIp(target.address)} (not a node address, an external IP or a load-balancer address)` }];
    }
    const pick = sampling ? [entries[entries.length === 1 ? 0 : random.int(entries.length)]] : entries;
    return pick.flatMap((node) => {
      const where = `external client ${client}: sends to ${endpointText(target.address, target.port)}, reaching ${node.name}`;
      const hop = hopOf(null, where, hopView(this.clientPacket(source.address, packet), INITIAL_TTL), NO_RULES, null, null, INITIAL_TTL);
      const weight = sampling ? 1 : 1 / entries.length;
      return walk.fromOutside(node, { ...packet, source: source.address }, Branch.of(hop, weight));
    });
  }

  private clientPacket(address: IpAddress, packet: { protocol: Protocol; sourcePort: number; destination: IpAddress; destinationPort: number; icmpType?: number; icmpId?: number }): Packet {
    return { ...packet, source: address, mark: 0, ctstate: 'NEW', ttl: INITIAL_TTL };
  }

  // ---- the reply -------------------------------------------------------------------

  private outcomeOf(ending: Ending, protocol: TrafficProtocol, sampling: boolean, random: Random): Unexplained {
    const arrival = ending.arrival;
    const at = ending.at;
    let destination: TrafficDestination | null = null;
    if (arrival && at && at.kind !== 'external') {
      const pod = at.kind === 'pod' ? at.pod : at.pod;
      destination = {
        pod: pod ? `${pod.namespace}/${pod.name}` : null,
        node: at.kind === 'pod' ? (at.pod.node ?? null) : at.node.name,
        ip: formatIp(arrival.destination),
        port: arrival.destinationPort,
      };
    }
    const outcome: Unexplained = {
      probability: ending.branch.probability,
      result: ending.result,
      ...(ending.reason && ending.result !== 'delivered' ? { reason: ending.reason } : {}),
      destination,
      seenSource: arrival && at?.kind !== 'external' ? (isIcmpProtocol(arrival.protocol) ? formatIp(arrival.source) : endpointText(arrival.source, arrival.sourcePort)) : null,
      hops: ending.branch.hops(),
      reply: [],
    };
    if (arrival && at && at.kind !== 'external' && (ending.result === 'delivered' || ending.result === 'refused')) {
      const reply = this.reply(ending, at, arrival, protocol, sampling, random);
      outcome.reply = reply.hops;
      outcome.replySource = reply.source;
    }
    return outcome;
  }

  /**
   * The engine an enumerated reply runs on at a node: the node's rules,
   * host, recent lists and nth counters (only read: enumeration works on
   * forks of them), with a conntrack table of its own, which each reply
   * fills afresh with its request's connections. Kept while the node's
   * engine is.
   */
  private replyEngine(real: NetfilterEngine): NetfilterEngine {
    let engine = this.replyEngines.get(real);
    if (engine === undefined) {
      const conntrack = new ConnectionTracker({ clock: this.cluster.clock });
      engine = new NetfilterEngine({ ruleset: real.ruleset, host: real.host, clock: this.cluster.clock, random: this.cluster.random, conntrack, recent: real.recent, matchState: real.matchState });
      this.replyEngines.set(real, engine);
    }
    return engine;
  }

  private reply(ending: Ending, at: Exclude<Endpoint, { kind: 'external' }>, arrival: Packet, protocol: TrafficProtocol, sampling: boolean, random: Random): { hops: Hop[]; source: string | null } {
    const refused = ending.result === 'refused';
    let engineFor: (node: string, family: IpFamily) => NetfilterEngine;
    if (sampling) {
      engineFor = (node, family) => this.engine(node, family);
    } else {
      // Enumerate mode changed nothing: the reply runs on scratch tables holding the request's connections.
      const loaded = new Set<NetfilterEngine>();
      engineFor = (node, family) => {
        const engine = this.replyEngine(this.engine(node, family));
        if (!loaded.has(engine)) {
          engine.conntrack.flush();
          for (const c of ending.branch.connections(node)) engine.conntrack.confirm(c.clone());
          loaded.add(engine);
        }
        return engine;
      };
    }
    const icmp = refused && protocol === 'udp';
    const related = icmp
      ? { protocol, source: arrival.source, sourcePort: arrival.sourcePort, destination: arrival.destination, destinationPort: arrival.destinationPort }
      : undefined;
    const walk = new Walk(this.network, 'reply', sampling, random, engineFor, related);
    const packet: Omit<TraceInput, 'hook'> = icmp
      ? typeof arrival.source === 'bigint'
        ? { protocol: 'icmpv6', icmpType: 1, icmpCode: 4, destination: arrival.source }
        : { protocol: 'icmp', icmpType: 3, icmpCode: 3, destination: arrival.source }
      : protocol === 'icmp'
        ? icmpAnswer(arrival)
        : {
          protocol,
          sourcePort: arrival.destinationPort,
          destination: arrival.source,
          destinationPort: arrival.sourcePort,
          ...(protocol === 'tcp' ? { tcpFlags: refused ? TCP_FLAGS.RST | TCP_FLAGS.ACK : TCP_FLAGS.SYN | TCP_FLAGS.ACK } : {}),
        };
    const start = Branch.START;
    let endings: Ending[];
    if (at.kind === 'pod') {
      endings = walk.fromPod(at.pod, this.network.node(at.pod.node!), packet, start);
    } else {
      endings = walk.fromNode(at.node, { ...packet, source: arrival.destination }, start, `${at.pod ? `hostNetwork pod ${at.pod.namespace}/${at.pod.name}` : 'the node'} answers`);
    }
    const best = endings.sort((a, b) => b.branch.probability - a.branch.probability)[0];
    if (!best) return { hops: [], source: null };
    const last = best.arrival;
    const source = last && (best.result === 'delivered' || best.result === 'external') ? (isIcmpProtocol(last.protocol) ? formatIp(last.source) : endpointText(last.source, last.sourcePort)) : null;
    return { hops: best.branch.hops(), source };
  }
}
