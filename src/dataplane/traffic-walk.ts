/**
 * The walk of one packet through the simulated cluster's nodes, and of its
 * reply: from a pod (its own routing: on-link /24 or via the `cni0`
 * gateway), from a node (a host process or a `hostNetwork` pod: the node's
 * OUTPUT path), or from an outside client (arriving on a node's `eth0`). At
 * each node the node's netfilter engine runs the packet (PREROUTING,
 * routing, FORWARD or INPUT, POSTROUTING); what leaves by `cni0` reaches a
 * local pod, what leaves by `flannel.1` is encapsulated (the outer
 * UDP/8472 packet runs the sending node's OUTPUT and POSTROUTING and the
 * receiving node's PREROUTING and INPUT) and decapsulated on the
 * destination node, whose tables then run the inner packet. With host-gw
 * the pod packet itself crosses `eth0` to the next node. Each way through
 * is a Branch, carrying its probability and hops; each ends in an Ending.
 * The request, its outcomes and the answer are traffic.ts's.
 */
import { icmpAnswered, icmpQueryText } from './icmp-traffic';
import type { Random } from '../common/random';
import type { Connection } from '../netfilter/conntrack';
import type { NetfilterEngine } from '../netfilter/engine';
import type { TraceInput } from '../netfilter/trace-input';
import { frozenStepViews, type TraceOutcome } from '../netfilter/outcome';
import { packetView, type PacketView } from '../netfilter/packet-view';
import { hardwareAddressOf } from '../netfilter/matches/mac.match';
import { jhash2 } from '../netfilter/nat';
import type { EntryHook, Packet, TraceStep } from '../netfilter/types';
import { VXLAN_PORT, VXLAN_VNI, type ClusterNetwork, type NodeNetwork, type PodEndpoint } from './network';
import { BRIDGE_DEVICE, VXLAN6_DEVICE, VXLAN6_MTU, VXLAN_DEVICE, VXLAN_MTU, isVxlanDevice } from './node-interfaces';
import type { Hop, TrafficResult } from './traffic';
import { familyOf, foldAddress, formatIp, formatIpPort, ipInPrefix, tryParseIp, type IpAddress, type IpFamily } from '../netfilter/address';
import { isIcmpProtocol } from '../netfilter/icmp';

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
export class Branch {
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

export type Endpoint = { kind: 'pod'; pod: PodEndpoint } | { kind: 'node'; node: NodeNetwork; pod?: PodEndpoint } | { kind: 'external' };

export interface Ending {
  branch: Branch;
  result: TrafficResult;
  reason?: string;
  /** Where the packet ended (delivered or refused). */
  at?: Endpoint;
  /** The packet as it arrived there. */
  arrival?: Packet;
}

/** The TTL a Linux sender starts a packet with (net.ipv4.ip_default_ttl). */
export const INITIAL_TTL = 64;
/** Linux's VXLAN source ports come from a hash of the inner flow, within ip_local_port_range. */
const EPHEMERAL_MIN = 32768;
const EPHEMERAL_MAX = 60999;

/** `10.244.1.2:8080`, `[fd00:10:244:1::2]:8080`. */
export function endpointText(address: IpAddress, port: number): string {
  return formatIpPort(address, port);
}

/**
 * The Ethernet address of an interface holding `address`: the CNI bridge
 * plugin's `0a:58` + the IPv4 address; an IPv6-only one takes its low 32 bits.
 */
export function macOf(address: IpAddress): string {
  return hardwareAddressOf(typeof address === 'bigint' ? Number(address & 0xffffffffn) : address);
}

export function hopView(packet: Packet, ttl: number | null): PacketView {
  return Object.freeze(packetView(packet, ttl));
}

export const NO_RULES: readonly TraceStep[] = Object.freeze([]);

/**
 * A hop, frozen with its parts as it is made (answers are frozen whole, and
 * a hop is shared by every outcome that passed it). `packet` comes from
 * hopView; `encapsulation` is frozen by its maker.
 */
export function hopOf(
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
  const at = (address: IpAddress, port: number) => (isIcmpProtocol(t.protocol) ? formatIp(address) : endpointText(address, port));
  return { dnat: o.dnat, snat: o.snat, masquerade: o.masquerade, before: { source: at(t.source, t.sourcePort), destination: at(t.destination, t.destinationPort) } };
}

function vxlanSourcePort(p: Packet): number {
  const hash = jhash2([foldAddress(p.source), foldAddress(p.destination), (p.sourcePort << 16) | p.destinationPort], 0);
  return EPHEMERAL_MIN + Math.floor((hash * (EPHEMERAL_MAX - EPHEMERAL_MIN + 1)) / 4294967296);
}

/** `packet` entering a node's tables at `hook`, written field by field (a spread costs far more). */
function entering(packet: Omit<TraceInput, 'hook'>, hook: EntryHook, inInterface: string | undefined, source: TraceInput['source'], ttl: number | undefined, sourceMac?: string): TraceInput {
  return {
    hook,
    inInterface,
    sourceMac,
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
export class Walk {
  constructor(
    private readonly net: ClusterNetwork,
    private readonly role: 'request' | 'reply',
    private readonly sampling: boolean,
    private readonly random: Random,
    /** The node's engine of a family (the packet's: IPv4 runs the iptables tables, IPv6 the ip6tables ones). */
    private readonly engineFor: (node: string, family: IpFamily) => NetfilterEngine,
    private readonly related?: TraceInput['related'],
  ) {}

  private trace(node: string, input: TraceInput): TraceOutcome[] {
    const engine = this.engineFor(node, familyOf(input.destination as IpAddress));
    // An error carries its embedded header from node to node (each node's NAT may rewrite it); the first node gets the walk's.
    const full: TraceInput = this.related && isIcmpProtocol(input.protocol) && input.related === undefined ? { ...input, related: this.related } : input;
    if (!this.sampling) return engine.enumerate(full);
    return [engine.sample(full, this.random)];
  }

  /** A packet sent by a pod from its own network namespace. */
  fromPod(pod: PodEndpoint, node: NodeNetwork, packet: Omit<TraceInput, 'hook'>, branch: Branch): Ending[] {
    const destination = packet.destination as IpAddress;
    const v6 = typeof destination === 'bigint';
    const own = v6 ? pod.address6 : pod.address;
    if (own === undefined) {
      const hop = hopOf(node.name, `pod ${pod.namespace}/${pod.name}: has no ${v6 ? 'IPv6' : 'IPv4'} address`, hopView(this.plainPacket(packet, v6 ? 0n : 0, INITIAL_TTL), INITIAL_TTL), NO_RULES, null, null, INITIAL_TTL);
      return [{ branch: branch.then(hop), result: 'no-route', reason: `pod ${pod.namespace}/${pod.name} has no ${v6 ? 'IPv6' : 'IPv4'} address, so no route to ${formatIp(destination)} (connect: Network is unreachable)` }];
    }
    const sent = this.plainPacket(packet, own, INITIAL_TTL);
    if (destination === own) {
      const hop = hopOf(node.name, `pod ${pod.namespace}/${pod.name}: to itself by lo`, hopView(sent, INITIAL_TTL), NO_RULES, null, null, INITIAL_TTL);
      return [this.arrive({ kind: 'pod', pod }, sent, branch.then(hop))];
    }
    const net = v6 ? node.podNet6 : node.podNet;
    const onLink = net !== undefined && net.prefix > 0 && ipInPrefix(net.network, net.prefix, destination);
    const gateway = node.podNet6 !== undefined && v6 ? formatIp(node.podNet6.network + 1n) : node.podNet && !v6 ? formatIp(node.podNet.network + 1) : undefined;
    const how = onLink ? 'on-link (bridged by cni0)' : `via ${gateway ?? 'no gateway'}`;
    const hop = hopOf(node.name, `pod ${pod.namespace}/${pod.name}: out eth0 ${how}`, hopView({ ...sent, outInterface: 'eth0' }, INITIAL_TTL), NO_RULES, null, null, INITIAL_TTL);
    const next = branch.then(hop);
    if (!gateway) return [{ branch: next, result: 'no-route', reason: `node ${node.name} has no pod CIDR: the pod has no default route` }];
    // A bridged frame keeps its TTL; a routed one loses one at the node.
    // The frame comes from the pod's eth0 (`-m mac` sees its address).
    return this.atNode(node, entering(packet, 'PREROUTING', BRIDGE_DEVICE, own, onLink ? undefined : INITIAL_TTL, macOf(pod.address ?? own)), INITIAL_TTL, next, 'in cni0');
  }

  /** A packet sent by a process of the node (or a hostNetwork pod). */
  fromNode(node: NodeNetwork, packet: Omit<TraceInput, 'hook'>, branch: Branch, what: string): Ending[] {
    return this.atNode(node, entering(packet, 'OUTPUT', packet.inInterface, packet.source, INITIAL_TTL), INITIAL_TTL, branch, what);
  }

  /** A packet from outside the cluster, arriving on a node's eth0. */
  fromOutside(node: NodeNetwork, packet: Omit<TraceInput, 'hook'>, branch: Branch): Ending[] {
    return this.atNode(node, entering(packet, 'PREROUTING', 'eth0', packet.source, INITIAL_TTL), INITIAL_TTL, branch, 'in eth0 from outside');
  }

  private plainPacket(input: Omit<TraceInput, 'hook'>, source: IpAddress, ttl: number): Packet {
    return {
      protocol: input.protocol,
      source,
      destination: input.destination as IpAddress,
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
      if (o.reason === 'no-route') return [{ branch, result: 'no-route', reason: `no route on ${node.name} to ${formatIp(o.packet.destination)}` }];
      return [{ branch, result: 'dropped', reason: `dropped on ${node.name}${o.reason ? ` (${o.reason})` : ''}` }];
    }
    const p = o.packet;
    if (o.delivery === 'local') {
      const hostPod = this.net.hostNetworkPods(node.name).find((pod) => pod.ports.some((x) => x.port === p.destinationPort && x.protocol === p.protocol));
      return [this.arrive({ kind: 'node', node, pod: hostPod }, p, branch)];
    }
    const out = o.outInterface;
    const nextHop = o.nextHop === null ? p.destination : (tryParseIp(o.nextHop) ?? p.destination);
    if (out === BRIDGE_DEVICE) {
      const pod = this.net.podByAddress(p.destination);
      if (!pod || pod.node !== node.name) {
        return [{ branch, result: 'no-route', reason: `no pod has ${formatIp(p.destination)} on ${node.name}'s cni0 (ARP gets no answer: host unreachable)` }];
      }
      const hop = hopOf(node.name, `pod ${pod.namespace}/${pod.name}: in eth0`, hopView({ ...p, inInterface: 'eth0', outInterface: undefined }, ttl), NO_RULES, null, null, ttl);
      return [this.arrive({ kind: 'pod', pod }, p, branch.then(hop))];
    }
    if (isVxlanDevice(out)) {
      const remote = this.net.nodeByPodNetwork(nextHop);
      if (!remote) return [{ branch, result: 'no-route', reason: `${node.name}: no VXLAN peer holds ${formatIp(nextHop)} (no neighbour entry)` }];
      return this.encapsulate(node, remote, p, ttl, branch);
    }
    if (out === 'eth0') {
      const remote = this.net.nodeByAddress(nextHop);
      if (remote && remote.name !== node.name) {
        // host-gw (or a packet addressed to a node): the packet itself crosses the node network.
        return this.atNode(remote, this.inputOf(p, 'eth0', ttl, macOf(node.address)), ttl, branch, `in eth0 from ${node.name}`);
      }
      return [{ branch, result: 'external', reason: `left the cluster by ${node.name}'s eth0 towards ${formatIp(nextHop)}`, at: { kind: 'external' }, arrival: p }];
    }
    return [{ branch, result: 'dropped', reason: `${node.name}: out by ${out ?? 'no interface'}, which leads nowhere in the emulator` }];
  }

  /** `p` arriving on `inInterface`; `sourceMac`: the previous hop's interface address (`-m mac`). */
  private inputOf(p: Packet, inInterface: string, ttl: number, sourceMac: string): TraceInput {
    return {
      hook: 'PREROUTING',
      inInterface,
      sourceMac,
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

  /**
   * flannel.1 (flannel-v6.1 for an IPv6 packet): the outer UDP packet node to
   * node over the underlay of the same family, then the inner packet on the
   * remote node.
   */
  private encapsulate(node: NodeNetwork, remote: NodeNetwork, inner: Packet, ttl: number, branch: Branch): Ending[] {
    const v6 = typeof inner.destination === 'bigint';
    const device = v6 ? VXLAN6_DEVICE : VXLAN_DEVICE;
    const local = v6 ? node.internalIP6 : node.internalIP;
    const peer = v6 ? remote.internalIP6 : remote.internalIP;
    const peerAddress = v6 ? remote.address6 : remote.address;
    if (local === undefined || peer === undefined || peerAddress === undefined) {
      return [{ branch, result: 'no-route', reason: `${node.name}: ${remote.name} has no ${v6 ? 'IPv6' : 'IPv4'} address to send ${device}'s packets to (no FDB entry)` }];
    }
    const sourcePort = vxlanSourcePort(inner);
    const outer: TraceInput = { hook: 'OUTPUT', protocol: 'udp', sourcePort, destination: peerAddress, destinationPort: VXLAN_PORT, ttl: INITIAL_TTL };
    const encapsulation: Hop['encapsulation'] = Object.freeze({
      type: 'vxlan',
      vni: VXLAN_VNI,
      mtu: v6 ? VXLAN6_MTU : VXLAN_MTU,
      outer: Object.freeze({ protocol: 'udp', source: local, sourcePort, destination: peer, destinationPort: VXLAN_PORT }),
    } as const);
    // Every hop of the encapsulated packet shows the inner packet.
    const innerView = hopView(inner, ttl);
    const endings: Ending[] = [];
    const peerText = endpointText(peerAddress, VXLAN_PORT);
    for (const o of this.trace(node.name, outer)) {
      const rules = frozenStepViews(o);
      const where = `${node.name}: VXLAN encapsulation, outer packet ${local} > ${peerText} (${pathOf(rules)}) out ${o.outInterface ?? 'nowhere'}`;
      const next = branch.then(hopOf(node.name, where, innerView, rules, natOf(o), encapsulation, ttl), o.probability);
      if (o.verdict !== 'ACCEPT' || o.delivery !== 'forward') {
        endings.push({ branch: next, result: o.verdict === 'REJECT' ? 'rejected' : o.reason === 'no-route' ? 'no-route' : 'dropped', reason: `${node.name}: the VXLAN packet was ${o.verdict === 'REJECT' ? 'rejected' : 'dropped'}` });
        continue;
      }
      const outerPacket = o.packet;
      for (const d of this.trace(remote.name, this.inputOf(outerPacket, 'eth0', INITIAL_TTL, macOf(node.address)))) {
        const drules = frozenStepViews(d);
        const dwhere = `${remote.name}: VXLAN packet in eth0 (${pathOf(drules)}) ${d.delivery === 'local' ? `> decapsulated, inner packet appears on ${device}` : '> not delivered'}`;
        const after = next.then(hopOf(remote.name, dwhere, innerView, drules, null, encapsulation, ttl), d.probability);
        if (d.verdict !== 'ACCEPT' || d.delivery !== 'local') {
          endings.push({ branch: after, result: d.verdict === 'REJECT' ? 'rejected' : 'dropped', reason: `${remote.name}: the VXLAN packet was not delivered to the VXLAN socket` });
          continue;
        }
        // The inner frame's source is the sending node's VXLAN device, which holds its pod network's first address.
        const flannelMac = macOf((v6 ? node.podNet6?.network : node.podNet?.network) ?? node.address);
        for (const ending of this.atNode(remote, this.inputOf(inner, device, ttl, flannelMac), ttl, after, `in ${device}`)) endings.push(ending);
      }
    }
    return endings;
  }

  /** The packet reached a pod's or a node's socket layer. */
  private arrive(at: Endpoint, packet: Packet, branch: Branch): Ending {
    if (this.role === 'reply') return { branch, result: 'delivered', at, arrival: packet };
    // A ping needs no listening socket: the destination's kernel answers it.
    if (isIcmpProtocol(packet.protocol) && icmpAnswered(packet.icmpType, packet.protocol)) return { branch, result: 'delivered', at, arrival: packet };
    const declares = (pod: PodEndpoint | undefined) => pod?.ports.some((x) => x.port === packet.destinationPort && x.protocol === packet.protocol) ?? false;
    const pod = at.kind === 'pod' ? at.pod : at.kind === 'node' ? at.pod : undefined;
    if (declares(pod)) return { branch, result: 'delivered', at, arrival: packet };
    const answer = packet.protocol === 'tcp' ? 'TCP reset' : packet.protocol === 'udp' ? (typeof packet.destination === 'bigint' ? 'ICMPv6 port unreachable' : 'ICMP port unreachable') : 'SCTP ABORT';
    const who = at.kind === 'pod' ? `pod ${at.pod.namespace}/${at.pod.name}` : at.kind === 'node' ? `node ${at.node.name}` : 'the destination';
    if (isIcmpProtocol(packet.protocol)) return { branch, result: 'dropped', reason: `${who} does not answer an ${packet.protocol === 'icmpv6' ? 'ICMPv6' : 'ICMP'} ${icmpQueryText(packet.icmpType, packet.protocol)}`, at, arrival: packet };
    return { branch, result: 'refused', reason: `${who} has no ${packet.protocol} port ${packet.destinationPort} open (${answer})`, at, arrival: packet };
  }
}
