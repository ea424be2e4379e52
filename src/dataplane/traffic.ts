/**
 * A packet's journey through the simulated cluster, hop by hop, and its
 * reply back along conntrack. See docs/dataplane.md.
 *
 * The journey starts from a pod (its own routing: on-link /24 or via the
 * `cni0` gateway), from a node (a host process or a `hostNetwork` pod: the
 * node's OUTPUT path), or from an outside client (arriving on a node's
 * `eth0`). At each node the node's netfilter engine runs the packet
 * (PREROUTING, routing, FORWARD or INPUT, POSTROUTING); what leaves by
 * `cni0` reaches a local pod, what leaves by `flannel.1` is encapsulated
 * (the outer UDP/8472 packet runs the sending node's OUTPUT and POSTROUTING
 * and the receiving node's PREROUTING and INPUT) and decapsulated on the
 * destination node, whose tables then run the inner packet. With host-gw
 * the pod packet itself crosses `eth0` to the next node.
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
import { formatIPv4, tryParseIPv4 } from '../common/ipv4';
import { SeededRandom, type Random } from '../common/random';
import { ConnectionTracker, type Connection } from '../netfilter/conntrack';
import { NetfilterEngine, frozenStepViews, packetView, type PacketView, type TraceInput, type TraceOutcome } from '../netfilter/engine';
import { jhash2 } from '../netfilter/nat';
import { TCP_FLAGS, type EntryHook, type Packet, type TraceStep } from '../netfilter/types';
import { NameResolver, searchPath, type Resolution } from './names';
import { ClusterNetwork, VXLAN_PORT, VXLAN_VNI, type NodeNetwork, type PodEndpoint } from './network';
import type { Verdict } from './verdict';
import { Explainer } from './explain/explain';
import { parseTrafficSource } from './traffic-source';
import { BRIDGE_DEVICE, VXLAN_DEVICE, VXLAN_MTU } from './node-interfaces';
import { DEFAULT_ICMP_ID, icmpAnswer, icmpAnswered, icmpQueryText } from './icmp-traffic';
import { ICMP_ECHO_REQUEST } from '../netfilter/icmp';

export type TrafficProtocol = 'tcp' | 'udp' | 'sctp' | 'icmp';
export type TrafficResult = 'delivered' | 'refused' | 'rejected' | 'dropped' | 'no-route' | 'nxdomain' | 'external';

export interface TrafficRequest {
  /** `pod/NAMESPACE/NAME`, `node/NAME`, or `{ external: "203.0.113.7" }`. */
  from: string | { external: string };
  /** `IP:PORT`, `NAME:PORT`, `service/NAMESPACE/NAME:PORT`, `pod/NAMESPACE/NAME:PORT`. */
  to: string;
  protocol?: TrafficProtocol;
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

/** An outcome as the walk makes it, before its verdict is worked out (TrafficSimulator.answer). */
type Unexplained = Omit<TrafficOutcome, 'verdict'> & { verdict?: Verdict };
type UnexplainedResponse = Omit<TrafficResponse, 'outcomes'> & { outcomes: Unexplained[] };

export interface TrafficResponse {
  outcomes: TrafficOutcome[];
  /** Sample mode: where the connections landed ("pod/ns/name", "node/NAME", or a result such as "rejected"). */
  samples?: Record<string, number>;
  resolution?: Resolution;
}

// ---------------------------------------------------------------------------

type Source =
  | { kind: 'pod'; pod: PodEndpoint; node: NodeNetwork }
  | { kind: 'node'; node: NodeNetwork; pod?: PodEndpoint }
  | { kind: 'external'; address: number };

interface Target {
  address: number;
  port: number;
  weight: number;
}

/** A link of a branch's history, last first: branches that part after it share it. */
interface Link<T> {
  readonly value: T;
  readonly previous: Link<T> | undefined;
}

function toArray<T>(last: Link<T> | undefined): T[] {
  let n = 0;
  for (let l = last; l !== undefined; l = l.previous) n++;
  const out = new Array<T>(n);
  for (let l = last; l !== undefined; l = l.previous) out[--n] = l.value;
  return out;
}

/**
 * One way through the nodes so far: its probability, its hops and the
 * connections the packet was given at each node (for an enumerated reply).
 * Immutable; the hop list is made once, for the ending.
 */
class Branch {
  static readonly START = new Branch(1, undefined, undefined);

  private constructor(
    readonly probability: number,
    private readonly lastHop: Link<Hop> | undefined,
    private readonly lastConn: Link<{ node: string; connection: Connection }> | undefined,
  ) {}

  /** A branch starting with `hop`, weighted `probability`. */
  static of(hop: Hop, probability = 1): Branch {
    return new Branch(probability, { value: hop, previous: undefined }, undefined);
  }

  /** This branch, then `hop`, taken with `probability`; `connection` is what the node gave the packet. */
  then(hop: Hop, probability = 1, node?: string, connection?: Connection): Branch {
    const conns = node !== undefined && connection !== undefined ? { value: { node, connection }, previous: this.lastConn } : this.lastConn;
    return new Branch(this.probability * probability, { value: hop, previous: this.lastHop }, conns);
  }

  hops(): Hop[] {
    return toArray(this.lastHop);
  }

  /** The connections given on `node`, in order. */
  connections(node: string): Connection[] {
    return toArray(this.lastConn)
      .filter((c) => c.node === node)
      .map((c) => c.connection);
  }
}

type Endpoint = { kind: 'pod'; pod: PodEndpoint } | { kind: 'node'; node: NodeNetwork; pod?: PodEndpoint } | { kind: 'external' };

interface Ending {
  branch: Branch;
  result: TrafficResult;
  reason?: string;
  /** Where the packet ended (delivered or refused). */
  at?: Endpoint;
  /** The packet as it arrived there. */
  arrival?: Packet;
}

const DEFAULT_SOURCE_PORT = 40000;
const INITIAL_TTL = 64;
/** Linux's VXLAN source ports come from a hash of the inner flow, within ip_local_port_range. */
const EPHEMERAL_MIN = 32768;
const EPHEMERAL_MAX = 60999;

function endpointText(address: number, port: number): string {
  return `${formatIPv4(address)}:${port}`;
}

function hopView(packet: Packet, ttl: number | null): PacketView {
  return Object.freeze(packetView(packet, ttl));
}

const NO_RULES: readonly TraceStep[] = Object.freeze([]);

/**
 * A hop, frozen with its parts as it is made (answers are frozen whole, and
 * a hop is shared by every outcome that passed it). `packet` comes from
 * hopView; `encapsulation` is frozen by its maker.
 */
function hopOf(
  node: string | null,
  where: string,
  packet: PacketView,
  rules: readonly TraceStep[] = NO_RULES,
  nat: Hop['nat'] = null,
  encapsulation: Hop['encapsulation'] = null,
  ttl: number | null = null,
): Hop {
  return Object.freeze({ node, where, packet, rules: Object.freeze(rules) as TraceStep[], nat: nat === null ? null : Object.freeze(nat), encapsulation, ttl });
}

/** The NAT a node's outcome shows, if any. */
function natOf(o: TraceOutcome): Hop['nat'] {
  if (o.dnat === null && o.snat === null) return null;
  const c = o.conntrack.connection;
  if (c === undefined) return { dnat: o.dnat, snat: o.snat, masquerade: o.masquerade };
  // A packet of the connection's reply direction came in as its reply tuple; any other as its original one.
  const t = o.conntrack.direction === 'reply' ? c.reply : c.original;
  const at = (address: number, port: number) => (t.protocol === 'icmp' ? formatIPv4(address) : endpointText(address, port));
  return { dnat: o.dnat, snat: o.snat, masquerade: o.masquerade, before: { source: at(t.source, t.sourcePort), destination: at(t.destination, t.destinationPort) } };
}

function vxlanSourcePort(p: Packet): number {
  const hash = jhash2([p.source, p.destination, (p.sourcePort << 16) | p.destinationPort], 0);
  return EPHEMERAL_MIN + Math.floor((hash * (EPHEMERAL_MAX - EPHEMERAL_MIN + 1)) / 4294967296);
}

/** `packet` entering a node's tables at `hook`, written field by field (a spread costs far more). */
function entering(packet: Omit<TraceInput, 'hook'>, hook: EntryHook, inInterface: string | undefined, source: TraceInput['source'], ttl: number | undefined): TraceInput {
  return {
    hook,
    inInterface,
    protocol: packet.protocol,
    source,
    sourcePort: packet.sourcePort,
    destination: packet.destination,
    destinationPort: packet.destinationPort,
    mark: packet.mark,
    tcpFlags: packet.tcpFlags,
    icmpType: packet.icmpType,
    icmpCode: packet.icmpCode,
    icmpId: packet.icmpId,
    ttl,
    length: packet.length,
    related: packet.related,
  };
}

/** The hooks a node's steps went through, in order ("PREROUTING > FORWARD > POSTROUTING"). */
function pathOf(steps: readonly TraceStep[]): string {
  let path = '';
  let last: string | undefined;
  for (const s of steps) {
    if (s.hook === last) continue;
    path = last === undefined ? s.hook : `${path} > ${s.hook}`;
    last = s.hook;
  }
  return path;
}

/**
 * One walk of packets through the nodes: a request or its reply, enumerated
 * or sampled. `engineFor` gives each node's engine (the real ones, or, for an
 * enumerated reply, scratch engines holding the request's connections).
 */
class Walk {
  constructor(
    private readonly net: ClusterNetwork,
    private readonly role: 'request' | 'reply',
    private readonly sampling: boolean,
    private readonly random: Random,
    private readonly engineFor: (node: string) => NetfilterEngine,
    private readonly related?: TraceInput['related'],
  ) {}

  private trace(node: string, input: TraceInput): TraceOutcome[] {
    const engine = this.engineFor(node);
    // An error carries its embedded header from node to node (each node's NAT may rewrite it); the first node gets the walk's.
    const full: TraceInput = this.related && input.protocol === 'icmp' && input.related === undefined ? { ...input, related: this.related } : input;
    if (!this.sampling) return engine.enumerate(full);
    return [engine.sample(full, this.random)];
  }

  /** A packet sent by a pod from its own network namespace. */
  fromPod(pod: PodEndpoint, node: NodeNetwork, packet: Omit<TraceInput, 'hook'>, branch: Branch): Ending[] {
    const destination = Number(packet.destination) >>> 0;
    const own = pod.address!;
    const sent = this.plainPacket(packet, own, INITIAL_TTL);
    if (destination === own) {
      const hop = hopOf(node.name, `pod ${pod.namespace}/${pod.name}: to itself by lo`, hopView(sent, INITIAL_TTL), NO_RULES, null, null, INITIAL_TTL);
      return [this.arrive({ kind: 'pod', pod }, sent, branch.then(hop))];
    }
    const onLink = node.podNet !== undefined && ((destination ^ node.podNet.network) >>> (32 - node.podNet.prefix)) === 0 && node.podNet.prefix > 0;
    const gateway = node.podNet ? formatIPv4(node.podNet.network + 1) : undefined;
    const how = onLink ? 'on-link (bridged by cni0)' : `via ${gateway ?? 'no gateway'}`;
    const hop = hopOf(node.name, `pod ${pod.namespace}/${pod.name}: out eth0 ${how}`, hopView({ ...sent, outInterface: 'eth0' }, INITIAL_TTL), NO_RULES, null, null, INITIAL_TTL);
    const next = branch.then(hop);
    if (!gateway) return [{ branch: next, result: 'no-route', reason: `node ${node.name} has no pod CIDR: the pod has no default route` }];
    // A bridged frame keeps its TTL; a routed one loses one at the node.
    return this.atNode(node, entering(packet, 'PREROUTING', BRIDGE_DEVICE, own, onLink ? undefined : INITIAL_TTL), INITIAL_TTL, next, 'in cni0');
  }

  /** A packet sent by a process of the node (or a hostNetwork pod). */
  fromNode(node: NodeNetwork, packet: Omit<TraceInput, 'hook'>, branch: Branch, what: string): Ending[] {
    return this.atNode(node, entering(packet, 'OUTPUT', packet.inInterface, packet.source, INITIAL_TTL), INITIAL_TTL, branch, what);
  }

  /** A packet from outside the cluster, arriving on a node's eth0. */
  fromOutside(node: NodeNetwork, packet: Omit<TraceInput, 'hook'>, branch: Branch): Ending[] {
    return this.atNode(node, entering(packet, 'PREROUTING', 'eth0', packet.source, INITIAL_TTL), INITIAL_TTL, branch, 'in eth0 from outside');
  }

  private plainPacket(input: Omit<TraceInput, 'hook'>, source: number, ttl: number): Packet {
    return {
      protocol: input.protocol,
      source,
      destination: Number(input.destination) >>> 0,
      sourcePort: input.sourcePort ?? 0,
      destinationPort: input.destinationPort ?? 0,
      tcpFlags: input.tcpFlags,
      icmpType: input.icmpType,
      icmpCode: input.icmpCode,
      icmpId: input.icmpId,
      mark: 0,
      ctstate: 'NEW',
      ttl,
    };
  }

  /** Runs the node's tables and follows each path out of it. */
  private atNode(node: NodeNetwork, input: TraceInput, ttl: number, branch: Branch, arriving: string): Ending[] {
    const endings: Ending[] = [];
    for (const o of this.trace(node.name, input)) {
      const hopTtl = o.packet.ttl ?? ttl;
      const out = o.delivery === 'forward' ? `out ${o.outInterface}` : o.delivery === 'local' ? 'delivered locally' : o.verdict === 'REJECT' ? 'rejected' : 'dropped';
      const rules = frozenStepViews(o);
      const hop = hopOf(node.name, `${node.name}: ${arriving} > ${out} (${pathOf(rules)})`, hopView(o.packet, hopTtl), rules, natOf(o), null, hopTtl);
      const next = branch.then(hop, o.probability, node.name, o.conntrack.connection);
      for (const ending of this.follow(node, o, hopTtl, next)) endings.push(ending);
    }
    return endings;
  }

  private follow(node: NodeNetwork, o: TraceOutcome, ttl: number, branch: Branch): Ending[] {
    if (o.verdict === 'REJECT') return [{ branch, result: 'rejected', reason: `rejected on ${node.name} (${o.rejectWith ?? 'icmp-port-unreachable'})` }];
    if (o.verdict === 'DROP') {
      if (o.reason === 'no-route') return [{ branch, result: 'no-route', reason: `no route on ${node.name} to ${formatIPv4(o.packet.destination)}` }];
      return [{ branch, result: 'dropped', reason: `dropped on ${node.name}${o.reason ? ` (${o.reason})` : ''}` }];
    }
    const p = o.packet;
    if (o.delivery === 'local') {
      const hostPod = this.net.hostNetworkPods(node.name).find((pod) => pod.ports.some((x) => x.port === p.destinationPort && x.protocol === p.protocol));
      return [this.arrive({ kind: 'node', node, pod: hostPod }, p, branch)];
    }
    const out = o.outInterface;
    const nextHop = o.nextHop === null ? p.destination : (tryParseIPv4(o.nextHop) ?? p.destination);
    if (out === BRIDGE_DEVICE) {
      const pod = this.net.podByAddress(p.destination);
      if (!pod || pod.node !== node.name) {
        return [{ branch, result: 'no-route', reason: `no pod has ${formatIPv4(p.destination)} on ${node.name}'s cni0 (ARP gets no answer: host unreachable)` }];
      }
      const hop = hopOf(node.name, `pod ${pod.namespace}/${pod.name}: in eth0`, hopView({ ...p, inInterface: 'eth0', outInterface: undefined }, ttl), NO_RULES, null, null, ttl);
      return [this.arrive({ kind: 'pod', pod }, p, branch.then(hop))];
    }
    if (out === VXLAN_DEVICE) {
      const remote = this.net.nodeByPodNetwork(nextHop);
      if (!remote) return [{ branch, result: 'no-route', reason: `${node.name}: no VXLAN peer holds ${formatIPv4(nextHop)} (no neighbour entry)` }];
      return this.encapsulate(node, remote, p, ttl, branch);
    }
    if (out === 'eth0') {
      const remote = this.net.nodeByAddress(nextHop);
      if (remote && remote.name !== node.name) {
        // host-gw (or a packet addressed to a node): the packet itself crosses the node network.
        return this.atNode(remote, this.inputOf(p, 'eth0', ttl), ttl, branch, `in eth0 from ${node.name}`);
      }
      return [{ branch, result: 'external', reason: `left the cluster by ${node.name}'s eth0 towards ${formatIPv4(nextHop)}`, at: { kind: 'external' }, arrival: p }];
    }
    return [{ branch, result: 'dropped', reason: `${node.name}: out by ${out ?? 'no interface'}, which leads nowhere in the emulator` }];
  }

  private inputOf(p: Packet, inInterface: string, ttl: number): TraceInput {
    return {
      hook: 'PREROUTING',
      inInterface,
      protocol: p.protocol,
      source: p.source,
      sourcePort: p.sourcePort,
      destination: p.destination,
      destinationPort: p.destinationPort,
      tcpFlags: p.tcpFlags,
      icmpType: p.icmpType,
      icmpCode: p.icmpCode,
      icmpId: p.icmpId,
      ...(p.inner !== undefined ? { related: p.inner } : {}),
      ttl,
    };
  }

  /** flannel.1: the outer UDP packet node to node, then the inner packet on the remote node. */
  private encapsulate(node: NodeNetwork, remote: NodeNetwork, inner: Packet, ttl: number, branch: Branch): Ending[] {
    const sourcePort = vxlanSourcePort(inner);
    const outer: TraceInput = { hook: 'OUTPUT', protocol: 'udp', sourcePort, destination: remote.address, destinationPort: VXLAN_PORT, ttl: INITIAL_TTL };
    const encapsulation: Hop['encapsulation'] = Object.freeze({
      type: 'vxlan',
      vni: VXLAN_VNI,
      mtu: VXLAN_MTU,
      outer: Object.freeze({ protocol: 'udp', source: node.internalIP, sourcePort, destination: remote.internalIP, destinationPort: VXLAN_PORT }),
    } as const);
    // Every hop of the encapsulated packet shows the inner packet.
    const innerView = hopView(inner, ttl);
    const endings: Ending[] = [];
    for (const o of this.trace(node.name, outer)) {
      const rules = frozenStepViews(o);
      const where = `${node.name}: VXLAN encapsulation, outer packet ${node.internalIP} > ${remote.internalIP}:${VXLAN_PORT} (${pathOf(rules)}) out ${o.outInterface ?? 'nowhere'}`;
      const next = branch.then(hopOf(node.name, where, innerView, rules, natOf(o), encapsulation, ttl), o.probability);
      if (o.verdict !== 'ACCEPT' || o.delivery !== 'forward') {
        endings.push({ branch: next, result: o.verdict === 'REJECT' ? 'rejected' : o.reason === 'no-route' ? 'no-route' : 'dropped', reason: `${node.name}: the VXLAN packet was ${o.verdict === 'REJECT' ? 'rejected' : 'dropped'}` });
        continue;
      }
      const outerPacket = o.packet;
      for (const d of this.trace(remote.name, this.inputOf(outerPacket, 'eth0', INITIAL_TTL))) {
        const drules = frozenStepViews(d);
        const dwhere = `${remote.name}: VXLAN packet in eth0 (${pathOf(drules)}) ${d.delivery === 'local' ? '> decapsulated, inner packet appears on flannel.1' : '> not delivered'}`;
        const after = next.then(hopOf(remote.name, dwhere, innerView, drules, null, encapsulation, ttl), d.probability);
        if (d.verdict !== 'ACCEPT' || d.delivery !== 'local') {
          endings.push({ branch: after, result: d.verdict === 'REJECT' ? 'rejected' : 'dropped', reason: `${remote.name}: the VXLAN packet was not delivered to the VXLAN socket` });
          continue;
        }
        for (const ending of this.atNode(remote, this.inputOf(inner, VXLAN_DEVICE, ttl), ttl, after, 'in flannel.1')) endings.push(ending);
      }
    }
    return endings;
  }

  /** The packet reached a pod's or a node's socket layer. */
  private arrive(at: Endpoint, packet: Packet, branch: Branch): Ending {
    if (this.role === 'reply') return { branch, result: 'delivered', at, arrival: packet };
    // A ping needs no listening socket: the destination's kernel answers it.
    if (packet.protocol === 'icmp' && icmpAnswered(packet.icmpType)) return { branch, result: 'delivered', at, arrival: packet };
    const declares = (pod: PodEndpoint | undefined) => pod?.ports.some((x) => x.port === packet.destinationPort && x.protocol === packet.protocol) ?? false;
    const pod = at.kind === 'pod' ? at.pod : at.kind === 'node' ? at.pod : undefined;
    if (declares(pod)) return { branch, result: 'delivered', at, arrival: packet };
    const answer = packet.protocol === 'tcp' ? 'TCP reset' : packet.protocol === 'udp' ? 'ICMP port unreachable' : 'SCTP ABORT';
    const who = at.kind === 'pod' ? `pod ${at.pod.namespace}/${at.pod.name}` : at.kind === 'node' ? `node ${at.node.name}` : 'the destination';
    if (packet.protocol === 'icmp') return { branch, result: 'dropped', reason: `${who} does not answer an ICMP ${icmpQueryText(packet.icmpType)}`, at, arrival: packet };
    return { branch, result: 'refused', reason: `${who} has no ${packet.protocol} port ${packet.destinationPort} open (${answer})`, at, arrival: packet };
  }
}

/**
 * What makes two outcomes the same: everything but their probability (hop by
 * hop: place, packet, rewrites, TTL, rules). Outcomes of one request share
 * their hops up to where they part, so equal hops are mostly the same object.
 */
function sameOutcome(a: Unexplained, b: Unexplained): boolean {
  return (
    a.result === b.result &&
    a.seenSource === b.seenSource &&
    a.replySource === b.replySource &&
    a.reason === b.reason &&
    a.destination?.ip === b.destination?.ip &&
    a.destination?.port === b.destination?.port &&
    a.destination?.pod === b.destination?.pod &&
    sameHops(a.hops, b.hops) &&
    sameHops(a.reply, b.reply)
  );
}

function sameHops(a: readonly Hop[], b: readonly Hop[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!sameHop(a[i], b[i])) return false;
  return true;
}

function sameHop(a: Hop, b: Hop): boolean {
  if (a === b) return true;
  const p = a.packet;
  const q = b.packet;
  if (
    a.where !== b.where ||
    p.source !== q.source ||
    p.sourcePort !== q.sourcePort ||
    p.destination !== q.destination ||
    p.destinationPort !== q.destinationPort ||
    p.mark !== q.mark ||
    a.ttl !== b.ttl ||
    a.nat?.dnat !== b.nat?.dnat ||
    a.nat?.snat !== b.nat?.snat ||
    a.rules.length !== b.rules.length
  ) {
    return false;
  }
  for (let i = 0; i < a.rules.length; i++) {
    const r = a.rules[i];
    const s = b.rules[i];
    if (r !== s && (r.chain !== s.chain || r.ruleNumber !== s.ruleNumber || r.action !== s.action)) return false;
  }
  return true;
}

/**
 * Enumerated outcomes with identical ones merged (their probabilities
 * added), in the order first seen. Candidates are found by the source the
 * destination sees, then compared field by field.
 */
class OutcomeMerger {
  readonly outcomes: Unexplained[] = [];
  private readonly bySeenSource = new Map<string | null, Unexplained[]>();

  add(outcome: Unexplained): void {
    let same = this.bySeenSource.get(outcome.seenSource);
    if (same === undefined) this.bySeenSource.set(outcome.seenSource, (same = []));
    const seen = same.find((o) => sameOutcome(o, outcome));
    if (seen !== undefined) {
      seen.probability += outcome.probability;
    } else {
      same.push(outcome);
      this.outcomes.push(outcome);
    }
  }
}

// ---------------------------------------------------------------------------

export interface TrafficOptions {
  /** Default: a new ClusterNetwork over the cluster (vxlan). */
  network?: ClusterNetwork;
  /** How many enumerated answers to keep for the current cluster state (default 256; 0 keeps none). */
  answerCacheSize?: number;
}

/** What an enumerated answer depends on besides the cluster's state: the request, normalized. */
function requestKey(request: TrafficRequest): string {
  return JSON.stringify([request.from, request.to, request.protocol ?? 'tcp', request.sourcePort ?? DEFAULT_SOURCE_PORT, request.icmpType, request.icmpId]);
}

/**
 * Enumerated answers for one state of the cluster (`ClusterNetwork.stateKey`),
 * least recently used dropped first. Enumeration changes nothing, so the same
 * request in the same state has the same answer; any change of state (an
 * object, the clock, a kube-proxy configuration, a sampled connection) starts
 * the cache afresh. Answers are frozen: every caller shares them.
 */
class AnswerCache {
  private state = '';
  private readonly answers = new Map<string, TrafficResponse>();

  constructor(private readonly size: number) {}

  get(state: string, key: string): TrafficResponse | undefined {
    if (state !== this.state) {
      this.state = state;
      this.answers.clear();
      return undefined;
    }
    const answer = this.answers.get(key);
    if (answer !== undefined) {
      this.answers.delete(key);
      this.answers.set(key, answer);
    }
    return answer;
  }

  set(state: string, key: string, answer: TrafficResponse): void {
    if (this.size <= 0 || state !== this.state) return;
    this.answers.set(key, answer);
    if (this.answers.size > this.size) this.answers.delete(this.answers.keys().next().value!);
  }
}

/** `POST /netsim/v1/traffic`, framework-free. */
export class TrafficSimulator {
  readonly network: ClusterNetwork;
  private readonly names: NameResolver;
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

  constructor(
    readonly cluster: Cluster,
    options: TrafficOptions = {},
  ) {
    this.network = options.network ?? new ClusterNetwork(cluster);
    this.names = new NameResolver(cluster);
    this.answers = new AnswerCache(options.answerCacheSize ?? 256);
    this.explainer = new Explainer(cluster, this.network);
  }

  /** Refuses a source `send` would refuse (422, or 404 for an unknown pod or node), sending nothing. */
  checkSource(from: TrafficRequest['from']): void {
    this.source(from);
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
    }
  }

  private engine(node: string): NetfilterEngine {
    let engine = this.engines.get(node);
    if (engine === undefined) {
      engine = this.network.engine(node);
      this.engines.set(node, engine);
    }
    return engine;
  }

  private compute(request: TrafficRequest): UnexplainedResponse {
    const protocol = request.protocol ?? 'tcp';
    const mode = request.mode ?? 'enumerate';
    // A ping's id stands in for the source port (sample mode: each next echo takes the next).
    const sourcePort = protocol === 'icmp' ? (request.icmpId ?? DEFAULT_ICMP_ID) : (request.sourcePort ?? DEFAULT_SOURCE_PORT);
    const source = this.source(request.from);
    const { targets, resolution } = this.targets(request.to, source, protocol);
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
    const walk = new Walk(this.network, 'request', sampling, random, (node) => this.engine(node));
    // For a ping, `sourcePort` is its id.
    const packet =
      protocol === 'icmp'
        ? { protocol, sourcePort: 0, destination: target.address, destinationPort: 0, icmpType, icmpCode: 0, icmpId: sourcePort }
        : { protocol, sourcePort, destination: target.address, destinationPort: target.port };
    const start = Branch.START;
    if (source.kind === 'pod') return walk.fromPod(source.pod, source.node, packet, start);
    if (source.kind === 'node') {
      const what = source.pod ? `hostNetwork pod ${source.pod.namespace}/${source.pod.name} sends` : 'a host process sends';
      return walk.fromNode(source.node, packet, start, what);
    }
    const client = formatIPv4(source.address);
    const entries = this.entryNodes(target.address);
    if (entries.length === 0) {
      const hop = hopOf(null, `external client ${client}: sends to ${endpointText(target.address, target.port)}`, hopView({ ...this.clientPacket(source.address, packet), outInterface: undefined }, INITIAL_TTL), NO_RULES, null, null, INITIAL_TTL);
      return [{ branch: Branch.of(hop), result: 'no-route', reason: `no node of the cluster answers for ${formatIPv4(target.address)} (not a node address, an external IP or a load-balancer address)` }];
    }
    const pick = sampling ? [entries[entries.length === 1 ? 0 : random.int(entries.length)]] : entries;
    return pick.flatMap((node) => {
      const where = `external client ${client}: sends to ${endpointText(target.address, target.port)}, reaching ${node.name}`;
      const hop = hopOf(null, where, hopView(this.clientPacket(source.address, packet), INITIAL_TTL), NO_RULES, null, null, INITIAL_TTL);
      const weight = sampling ? 1 : 1 / entries.length;
      return walk.fromOutside(node, { ...packet, source: source.address }, Branch.of(hop, weight));
    });
  }

  private clientPacket(address: number, packet: { protocol: TrafficProtocol; sourcePort: number; destination: number; destinationPort: number; icmpType?: number; icmpId?: number }): Packet {
    return { ...packet, source: address, mark: 0, ctstate: 'NEW', ttl: INITIAL_TTL };
  }

  /**
   * Which nodes an outside packet to this address reaches: the node that
   * owns it; for a Service's external IP or load-balancer address, every
   * ready node a cloud load balancer would send to (nodes not labelled
   * `node.kubernetes.io/exclude-from-external-load-balancers`; with
   * `externalTrafficPolicy: Local`, only those whose health check passes,
   * i.e. with a ready local endpoint, when there are any), equally.
   */
  private entryNodes(address: number): NodeNetwork[] {
    const owner = this.network.nodeByAddress(address);
    if (owner) return [owner];
    const store = this.cluster.store;
    const ip = formatIPv4(address);
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
        ip: formatIPv4(arrival.destination),
        port: arrival.destinationPort,
      };
    }
    const outcome: Unexplained = {
      probability: ending.branch.probability,
      result: ending.result,
      ...(ending.reason && ending.result !== 'delivered' ? { reason: ending.reason } : {}),
      destination,
      seenSource: arrival && at?.kind !== 'external' ? (arrival.protocol === 'icmp' ? formatIPv4(arrival.source) : endpointText(arrival.source, arrival.sourcePort)) : null,
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
    let engineFor: (node: string) => NetfilterEngine;
    if (sampling) {
      engineFor = (node) => this.engine(node);
    } else {
      // Enumerate mode changed nothing: the reply runs on scratch tables holding the request's connections.
      const loaded = new Set<NetfilterEngine>();
      engineFor = (node) => {
        const engine = this.replyEngine(this.engine(node));
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
      ? { protocol: 'icmp', icmpType: 3, icmpCode: 3, destination: arrival.source }
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
    const source = last && (best.result === 'delivered' || best.result === 'external') ? (last.protocol === 'icmp' ? formatIPv4(last.source) : endpointText(last.source, last.sourcePort)) : null;
    return { hops: best.branch.hops(), source };
  }

  // ---- requests ---------------------------------------------------------------------

  private source(from: TrafficRequest['from']): Source {
    const parsed = parseTrafficSource(from);
    if (parsed.kind === 'external') return { kind: 'external', address: parsed.address };
    if (parsed.kind === 'node') return { kind: 'node', node: this.network.node(parsed.name, 'from') };
    const { namespace, name } = parsed;
    const found = this.network.pod(namespace, name);
    if (!found) throw new DomainError('NOT_FOUND', `pods "${name}" not found in namespace "${namespace}"`, { kind: 'pods', name, field: 'from' });
    const node = found.node ? this.network.tryNode(found.node) : undefined;
    if (!node) throw new DomainError('INVALID', `from: pod ${namespace}/${name} is not running on a node with a network yet`, { field: 'from' });
    if (found.hostNetwork) return { kind: 'node', node, pod: found };
    if (found.address === undefined) throw new DomainError('INVALID', `from: pod ${namespace}/${name} has no IP address yet`, { field: 'from' });
    return { kind: 'pod', pod: found, node };
  }

  private targets(to: string, source: Source, protocol: TrafficProtocol = 'tcp'): { targets: Target[]; resolution?: Resolution } {
    const colon = to.lastIndexOf(':');
    const host = colon < 0 ? to : to.slice(0, colon);
    const portText = colon < 0 ? '' : to.slice(colon + 1);
    const invalid = (message: string) => new DomainError('INVALID', `to: ${message}`, { field: 'to' });
    // A ping has no port: `to` is the host alone (port 0 stands for none).
    if (protocol === 'icmp' && colon >= 0) throw invalid(`"${to}": an icmp echo has no port (send to HOST, not HOST:PORT)`);
    const numeric = protocol === 'icmp' ? 0 : /^[0-9]{1,5}$/.test(portText) ? Number(portText) : undefined;
    if (!host) throw invalid(`"${to}" names no destination`);
    const service = /^service\/([^/]+)\/([^/]+)$/.exec(host);
    if (service) return { targets: this.serviceTargets(service[1], service[2], portText, protocol === 'icmp') };
    if (numeric === undefined || (protocol !== 'icmp' && (numeric < 1 || numeric > 65535))) throw invalid(`"${to}" needs a port between 1 and 65535 (HOST:PORT)`);
    const pod = /^pod\/([^/]+)\/([^/]+)$/.exec(host);
    if (pod) {
      const found = this.network.pod(pod[1], pod[2]);
      if (!found) throw new DomainError('NOT_FOUND', `pods "${pod[2]}" not found in namespace "${pod[1]}"`, { kind: 'pods', name: pod[2], field: 'to' });
      const address = found.hostNetwork ? this.network.tryNode(found.node ?? '')?.address : found.address;
      if (address === undefined) throw invalid(`pod ${pod[1]}/${pod[2]} has no IP address yet`);
      return { targets: [{ address, port: numeric, weight: 1 }] };
    }
    const address = tryParseIPv4(host);
    if (address !== undefined) return { targets: [{ address, port: numeric, weight: 1 }] };
    if (!/^[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9.])?$/i.test(host)) throw invalid(`"${host}" is not an IPv4 address or a DNS name`);
    const client = source.kind === 'pod' ? source.pod : source.kind === 'node' ? source.pod : undefined;
    const resolution = this.names.resolve(host, searchPath(client));
    if (resolution.kind === 'nxdomain') return { targets: [], resolution };
    const weight = 1 / resolution.addresses.length;
    return { targets: resolution.addresses.map((a) => ({ address: tryParseIPv4(a)!, port: numeric, weight })), resolution };
  }

  /** `service/NS/NAME:PORT`: the ClusterIP and Service port (by number or name); a headless Service's ready endpoints. */
  private serviceTargets(namespace: string, name: string, portText: string, ping = false): Target[] {
    const store = this.cluster.store;
    const service = store.tryGet(store.resourceType('services'), namespace, name);
    if (!service) throw new DomainError('NOT_FOUND', `services "${name}" not found in namespace "${namespace}"`, { kind: 'services', name, field: 'to' });
    const spec = (service.spec ?? {}) as { clusterIP?: string; type?: string; ports?: { name?: string; port: number }[] };
    if (ping) {
      if (spec.type === 'ExternalName') return [];
      if (spec.clusterIP && spec.clusterIP !== 'None') return [{ address: tryParseIPv4(spec.clusterIP)!, port: 0, weight: 1 }];
      const ready = this.names.readyAddresses(namespace, name);
      return ready.map((a) => ({ address: tryParseIPv4(a)!, port: 0, weight: 1 / ready.length }));
    }
    const ports = spec.ports ?? [];
    const byNumber = /^[0-9]{1,5}$/.test(portText) ? Number(portText) : undefined;
    const matched = byNumber !== undefined ? ports.find((p) => p.port === byNumber) : portText ? ports.find((p) => p.name === portText) : ports.length === 1 ? ports[0] : undefined;
    const port = matched?.port ?? byNumber;
    if (port === undefined || port < 1 || port > 65535) {
      throw new DomainError('INVALID', `to: service ${namespace}/${name} has no port "${portText}" (ports: ${ports.map((p) => p.name ?? p.port).join(', ') || 'none'})`, { field: 'to' });
    }
    if (spec.type === 'ExternalName') return [];
    if (spec.clusterIP && spec.clusterIP !== 'None') return [{ address: tryParseIPv4(spec.clusterIP)!, port, weight: 1 }];
    const addresses = this.names.readyAddresses(namespace, name);
    return addresses.map((a) => ({ address: tryParseIPv4(a)!, port, weight: 1 / addresses.length }));
  }
}
