/**
 * An outcome of the traffic answer laid out as the steps a learner walks
 * through, as in Packet Tracer's simulation mode: each hop, then each rule
 * the packet met on that node, then the reply the same way. At every step
 * the packet is known (the hop's packet is the packet as it leaves the hop;
 * inside a node the rewrites come from the rule steps' actions: DNAT,
 * SNAT/MASQUERADE, conntrack's reverse NAT), and so are the fields that
 * step rewrote. Pure functions, no DOM: unit-tested in trace-model.spec.ts.
 */
import type { Hop, PacketView, TraceStep, TrafficOutcome } from './answer';

export type Direction = 'request' | 'reply';
/** The packet's fields a rewrite can change. */
export type PacketField = 'source' | 'sourcePort' | 'destination' | 'destinationPort';
export const PACKET_FIELDS: readonly PacketField[] = ['source', 'sourcePort', 'destination', 'destinationPort'];

/** A place of the topology: a pod, a node's own network stack, or the outside world. */
export type Place = { kind: 'pod'; id: string; pod: string; node: string | null } | { kind: 'node'; id: string; node: string } | { kind: 'outside'; id: string };

export interface Step {
  /** 0-based position among all the steps of the outcome. */
  index: number;
  direction: Direction;
  /** The hop's position in its direction's list. */
  hopIndex: number;
  /** The rule step's position in the hop's `rules`; null for the hop itself. */
  ruleIndex: number | null;
  hop: Hop;
  place: Place;
  /** The rule (or policy, conntrack, routing) step; null for the hop itself. */
  rule: TraceStep | null;
  /** The packet as it is after this step. */
  packet: Addresses;
  /** The fields this step rewrote. */
  changed: PacketField[];
  /** The connection tracking entry on this hop's node, as `conntrack -L` shows it; null off a node. */
  conntrack: string | null;
}

export type Addresses = Pick<PacketView, 'protocol' | PacketField> & { ttl?: number };

/** Where a hop happens, from its `where` text (`pod NS/NAME: ...`, `external client ...`, `NODE: ...`). */
export function placeOf(hop: Hop): Place {
  const pod = /^pod (\S+?):/.exec(hop.where);
  if (pod) return { kind: 'pod', id: `pod:${pod[1]}`, pod: pod[1], node: hop.node };
  if (hop.node === null) return { kind: 'outside', id: 'outside' };
  return { kind: 'node', id: `node:${hop.node}`, node: hop.node };
}

function addresses(p: PacketView): Addresses {
  return { protocol: p.protocol, source: p.source, sourcePort: p.sourcePort, destination: p.destination, destinationPort: p.destinationPort, ttl: p.ttl };
}

/** `10.244.1.2:8080` or `[fd00:10:244:1::2]:8080`. */
function split(endpoint: string): [string, number] | null {
  const m = /^(\d+\.\d+\.\d+\.\d+):(\d+)/.exec(endpoint) ?? /^\[([0-9a-fA-F:.]+)\]:(\d+)/.exec(endpoint);
  return m ? [m[1], Number(m[2])] : null;
}

/** The rewrite a rule step's action makes, if any: DNAT, SNAT, MASQUERADE, conntrack's reverse NAT. */
export function rewriteOf(action: string): Partial<Addresses> | null {
  let m = /^DNAT to (\S+)/.exec(action) ?? /^reverse SNAT from the connection: destination (\S+)/.exec(action);
  if (m) {
    const e = split(m[1]);
    return e ? { destination: e[0], destinationPort: e[1] } : null;
  }
  m = /^(?:SNAT|MASQUERADE) to (\S+)/.exec(action) ?? /^reverse DNAT from the connection: source (\S+)/.exec(action);
  if (m) {
    const e = split(m[1]);
    return e ? { source: e[0], sourcePort: e[1] } : null;
  }
  return null;
}

function diff(before: Addresses, after: Addresses): PacketField[] {
  return PACKET_FIELDS.filter((f) => before[f] !== after[f]);
}

function tuple(p: Addresses): string {
  return `src=${p.source} dst=${p.destination} sport=${p.sourcePort} dport=${p.destinationPort}`;
}

/** The entry as `conntrack -L` prints its tuples: the original direction as the packet came in, the reply as it will come back. */
export function conntrackEntry(entering: Addresses, leaving: Addresses): string {
  const reply: Addresses = { protocol: leaving.protocol, source: leaving.destination, sourcePort: leaving.destinationPort, destination: leaving.source, destinationPort: leaving.sourcePort };
  return `${entering.protocol} ${tuple(entering)} ${tuple(reply)}`;
}

/** A VXLAN hop's entry: the outer UDP flow between the nodes (not NATed). */
function outerEntry(hop: Hop): string | null {
  const o = hop.encapsulation?.outer;
  if (!o) return null;
  const outer: Addresses = { protocol: 'udp', source: o.source, sourcePort: o.sourcePort, destination: o.destination, destinationPort: o.destinationPort };
  return conntrackEntry(outer, outer);
}

function hopSteps(direction: Direction, hops: readonly Hop[], first: number, entryOf: (hop: Hop, index: number) => string | null, start: Addresses | null): Step[] {
  const steps: Step[] = [];
  let current: Addresses | null = start;
  hops.forEach((hop, hopIndex) => {
    const place = placeOf(hop);
    const leaving = addresses(hop.packet);
    const entering = current ?? leaving;
    const conntrack = entryOf(hop, hopIndex);
    // The hop itself: a node's hop shows the packet as it arrives; a pod's or the client's, as it is there.
    const arrival = hop.rules.length > 0 ? entering : leaving;
    steps.push({ index: first + steps.length, direction, hopIndex, ruleIndex: null, hop, place, rule: null, packet: arrival, changed: diff(entering, arrival), conntrack });
    let packet = arrival;
    hop.rules.forEach((rule, ruleIndex) => {
      const last = ruleIndex === hop.rules.length - 1;
      // On a VXLAN hop the rules see the outer UDP packet: the inner one is carried unchanged.
      const rewrite = hop.encapsulation ? null : rewriteOf(rule.action);
      const next: Addresses = last ? leaving : rewrite ? { ...packet, ...rewrite } : packet;
      steps.push({ index: first + steps.length, direction, hopIndex, ruleIndex, hop, place, rule, packet: next, changed: diff(packet, next), conntrack });
      packet = next;
    });
    current = leaving;
  });
  return steps;
}

/** Every step of an outcome: the request's hops and rules, then the reply's. */
export function stepsOf(outcome: TrafficOutcome): Step[] {
  const entries = new Map<string, string>();
  const requestEntry = (hop: Hop, i: number): string | null => {
    if (hop.node === null || hop.rules.length === 0) return null;
    if (hop.encapsulation) return outerEntry(hop);
    const before = i > 0 ? addresses(outcome.hops[i - 1].packet) : addresses(hop.packet);
    const entry = conntrackEntry(before, addresses(hop.packet));
    if (!entries.has(hop.node)) entries.set(hop.node, entry);
    return entry;
  };
  const request = hopSteps('request', outcome.hops, 0, requestEntry, null);
  // The reply belongs to the connection the request made on that node.
  const replyEntry = (hop: Hop): string | null => {
    if (hop.node === null || hop.rules.length === 0) return null;
    return hop.encapsulation ? outerEntry(hop) : (entries.get(hop.node) ?? null);
  };
  const reply = hopSteps('reply', outcome.reply, request.length, replyEntry, null);
  return [...request, ...reply];
}

/** The rules (iptables-save lines) the steps hit on `node`. */
export function rulesHit(steps: readonly Step[], node: string): Set<string> {
  const hit = new Set<string>();
  for (const s of steps) if (s.rule?.rule && s.hop.node === node && s.place.kind === 'node') hit.add(s.rule.rule);
  return hit;
}

/** The first step (at or after `from`, wrapping) that hit `rule` on `node`; -1 if none. */
export function stepOfRule(steps: readonly Step[], node: string, rule: string, from = 0): number {
  for (let k = 0; k < steps.length; k++) {
    const s = steps[(from + k) % steps.length];
    if (s.rule?.rule === rule && s.hop.node === node) return s.index;
  }
  return -1;
}

/** The index of the next (or previous) hop's first step, for hop-by-hop stepping. */
export function hopBoundary(steps: readonly Step[], at: number, delta: 1 | -1): number {
  const same = (a: Step, b: Step) => a.direction === b.direction && a.hopIndex === b.hopIndex;
  if (delta > 0) {
    for (let i = at + 1; i < steps.length; i++) if (!same(steps[i], steps[at])) return i;
    return steps.length - 1;
  }
  // Back: the start of this hop, or of the previous one when already at a start.
  let i = at;
  while (i > 0 && same(steps[i - 1], steps[at])) i--;
  if (i < at) return i;
  if (i === 0) return 0;
  let j = i - 1;
  while (j > 0 && same(steps[j - 1], steps[i - 1])) j--;
  return j;
}

/** A place's label for a person. */
export function placeLabel(place: Place): string {
  if (place.kind === 'pod') return place.pod;
  if (place.kind === 'node') return place.node;
  return 'outside';
}

/** The line at the top: the verdict's message when the answer carries one, else the result in words. */
export function explanation(outcome: TrafficOutcome): string {
  if (outcome.verdict?.message) return outcome.verdict.message;
  const d = outcome.destination;
  switch (outcome.result) {
    case 'delivered':
      return `Delivered to ${d?.pod ? `pod ${d.pod}` : d?.node ? `node ${d.node}` : 'the destination'}${d?.node && d.pod ? ` on ${d.node}` : ''} at ${d ? `${d.ip}:${d.port}` : '?'}${outcome.seenSource ? `, which sees the client as ${outcome.seenSource}` : ''}.`;
    default:
      return `${outcome.result}${outcome.reason ? `: ${outcome.reason}` : ''}`;
  }
}
