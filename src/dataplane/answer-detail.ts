/**
 * How much of a traffic answer goes out over HTTP, its detail level (see
 * docs/dataplane.md, "Reading an answer"); `format` (JSON or text) is
 * another matter (src/api/answer-format.ts):
 *
 * - `summary` (the default): each outcome with its probability, result,
 *   verdict, reason, destination and seen source, and a summary path: the
 *   nodes crossed and each address rewrite, before and after (DNAT by a
 *   `KUBE-SEP-*` chain, SNAT or masquerade, VXLAN encapsulation between
 *   nodes, conntrack's reverse NAT on the reply), for the request and the
 *   reply. No per-hop rules: a 200-endpoint answer stays small.
 * - `hops`: the same, plus every hop with its packet and the rules it hit
 *   (`hops`, `reply`), as `TrafficSimulator.send` answers it.
 *
 * The simulator's answers are frozen and shared while the cluster stands
 * still; so is the answer at each detail level made of one (made once, kept
 * as long as the answer is), so that its encoding can be kept too.
 */
import { joinHostPort } from '../kube-proxy/ip';
import { VXLAN6_DEVICE, VXLAN_DEVICE } from './node-interfaces';
import { deepFreeze } from '../common/freeze';
import type { PacketView } from '../netfilter/packet-view';
import type { TraceStep } from '../netfilter/types';
import type { Hop, TrafficOutcome, TrafficResponse } from './traffic';

/** How much of each outcome an answer carries. */
export type AnswerDetail = 'summary' | 'hops';
export const ANSWER_DETAILS: readonly AnswerDetail[] = ['summary', 'hops'];

/**
 * One address rewrite along the way.
 *
 * - `DNAT`: the destination changed (`before`/`after` are `IP:PORT`), by a rule's chain
 *   (`KUBE-SEP-*`) or, on a reply or a packet of a known connection, by `conntrack`;
 * - `SNAT` / `MASQUERADE`: the source changed, likewise;
 * - `VXLAN`: the packet was encapsulated by `flannel.1` on `node` for node `to`: the
 *   destination on the wire went from the inner packet's (`before`) to the outer UDP
 *   packet's, the other node's VXLAN socket (`after`, port 8472).
 */
export interface Rewrite {
  node: string;
  type: 'DNAT' | 'SNAT' | 'MASQUERADE' | 'VXLAN';
  /** The chain whose rule rewrote the packet, `conntrack` (a known connection's NAT), or `flannel.1`. */
  by: string;
  before: string;
  after: string;
  /** VXLAN: the node the outer packet is sent to. */
  to?: string;
}

/** Where a packet went, in short. */
export interface PathSummary {
  /** The nodes crossed, in order (a node once per visit). */
  nodes: string[];
  rewrites: Rewrite[];
}

/** An outcome as the default answer gives it. */
export interface SummaryOutcome {
  probability: number;
  result: TrafficOutcome['result'];
  verdict: TrafficOutcome['verdict'];
  reason?: string;
  destination: TrafficOutcome['destination'];
  seenSource: string | null;
  replySource?: string | null;
  connections?: number;
  path: PathSummary;
  replyPath: PathSummary;
}

/** An outcome with `detail=hops`: the summary, then every hop of the request and of the reply. */
export interface DetailedOutcome extends SummaryOutcome {
  hops: Hop[];
  reply: Hop[];
}

export interface TrafficAnswer<O extends SummaryOutcome = SummaryOutcome> {
  outcomes: O[];
  samples?: TrafficResponse['samples'];
  resolution?: TrafficResponse['resolution'];
}

/** A packet's source or destination as `IP:PORT` (ICMP: the address). */
export function endpointOf(p: PacketView, side: 'source' | 'destination'): string {
  const address = side === 'source' ? p.source : p.destination;
  if (p.protocol === 'icmp' || p.protocol === 'icmpv6') return address;
  return joinHostPort(address, side === 'source' ? p.sourcePort : p.destinationPort);
}

/** Where the nat table rewrites each end of a new connection's packet. */
const NAT_HOOKS: Record<'destination' | 'source', ReadonlySet<TraceStep['hook']>> = {
  destination: new Set(['PREROUTING', 'OUTPUT']),
  source: new Set(['POSTROUTING', 'INPUT']),
};

/** An nft table's step (`ip kube-proxy`), as opposed to an iptables table's (`nat`). */
const isNftTable = (table: TraceStep['table']) => table.includes(' ');
/** An nft rule's NAT statement as its step's action says it. */
const NFT_NAT_ACTION = /^(dnat|snat|masquerade|redirect)\b/i;

/**
 * The chain whose rule rewrote `side` of the packet (an iptables nat-table
 * chain, or an nft chain whose rule did the NAT), else `conntrack` (a
 * known connection's NAT: its packets do not walk the nat table). DNAT,
 * SNAT and MASQUERADE end the nat table's walk of a hook, so the rule that
 * rewrote the packet is the last nat-table rule run at that end's hooks.
 */
function rewrittenBy(rules: readonly TraceStep[], side: 'destination' | 'source'): string {
  const hooks = NAT_HOOKS[side];
  for (let k = rules.length - 1; k >= 0; k--) {
    const step = rules[k];
    if (step.rule === null || step.chain === null || !hooks.has(step.hook)) continue;
    if (step.table === 'nat' || (isNftTable(step.table) && NFT_NAT_ACTION.test(step.action))) return step.chain;
  }
  return 'conntrack';
}

/**
 * The rewrites made at `hops[i]`: its NAT, against the packet as it came
 * in (conntrack's tuple, else the packet of the hop before), or the VXLAN
 * encapsulation a crossing starts with (the sender's hop; the receiver's
 * shows the same encapsulation).
 */
export function hopRewrites(hops: readonly Hop[], i: number): Rewrite[] {
  const hop = hops[i];
  const previous = i > 0 ? hops[i - 1] : undefined;
  if (hop.node === null) return [];
  if (hop.encapsulation !== null) {
    if (previous !== undefined && previous.encapsulation !== null) return [];
    const outer = hop.encapsulation.outer;
    const next = hops[i + 1];
    const receiver = next !== undefined && next.encapsulation !== null ? next.node : null;
    const rewrite: Rewrite = { node: hop.node, type: 'VXLAN', by: outer.destination.includes(':') ? VXLAN6_DEVICE : VXLAN_DEVICE, before: endpointOf(hop.packet, 'destination'), after: joinHostPort(outer.destination, outer.destinationPort) };
    if (receiver !== null) rewrite.to = receiver;
    return [rewrite];
  }
  if (hop.nat === null) return [];
  // The packet before the node's NAT: conntrack's tuple, or the packet of the hop before.
  const before = hop.nat.before ?? (previous !== undefined ? { source: endpointOf(previous.packet, 'source'), destination: endpointOf(previous.packet, 'destination') } : undefined);
  if (before === undefined) return [];
  const rewrites: Rewrite[] = [];
  const after = hop.packet;
  const destinationBefore = before.destination;
  const destinationAfter = endpointOf(after, 'destination');
  if (hop.nat.dnat !== null && destinationBefore !== destinationAfter) {
    rewrites.push({ node: hop.node, type: 'DNAT', by: rewrittenBy(hop.rules, 'destination'), before: destinationBefore, after: destinationAfter });
  }
  const sourceBefore = before.source;
  const sourceAfter = endpointOf(after, 'source');
  if (hop.nat.snat !== null && sourceBefore !== sourceAfter) {
    const type = hop.nat.masquerade ? 'MASQUERADE' : 'SNAT';
    rewrites.push({ node: hop.node, type, by: rewrittenBy(hop.rules, 'source'), before: sourceBefore, after: sourceAfter });
  }
  return rewrites;
}

/** The summary of a list of hops (a request's or a reply's). */
export function summarizePath(hops: readonly Hop[]): PathSummary {
  const nodes: string[] = [];
  const rewrites: Rewrite[] = [];
  for (let i = 0; i < hops.length; i++) {
    const node = hops[i].node;
    if (node !== null && nodes[nodes.length - 1] !== node) nodes.push(node);
    for (const rewrite of hopRewrites(hops, i)) rewrites.push(rewrite);
  }
  return { nodes, rewrites };
}

function summaryOf(o: TrafficOutcome): SummaryOutcome {
  const out: SummaryOutcome = { probability: o.probability, result: o.result, verdict: o.verdict } as SummaryOutcome;
  if (o.reason !== undefined) out.reason = o.reason;
  out.destination = o.destination;
  out.seenSource = o.seenSource;
  if (o.replySource !== undefined) out.replySource = o.replySource;
  if (o.connections !== undefined) out.connections = o.connections;
  out.path = summarizePath(o.hops);
  out.replyPath = summarizePath(o.reply);
  return out;
}

function answerOf<O extends SummaryOutcome>(response: TrafficResponse, outcome: (o: TrafficOutcome) => O): TrafficAnswer<O> {
  const answer: TrafficAnswer<O> = { outcomes: response.outcomes.map(outcome) };
  if (response.samples !== undefined) answer.samples = response.samples;
  if (response.resolution !== undefined) answer.resolution = response.resolution;
  return answer;
}

const atDetail: Record<AnswerDetail, WeakMap<TrafficResponse, TrafficAnswer>> = { summary: new WeakMap(), hops: new WeakMap() };

/**
 * The answer at the detail level `detail`. A frozen response (a kept
 * answer) gives a frozen answer, the same object each time.
 */
export function answerAtDetail(response: TrafficResponse, detail: AnswerDetail): TrafficAnswer {
  const kept = Object.isFrozen(response);
  if (kept) {
    const known = atDetail[detail].get(response);
    if (known !== undefined) return known;
  }
  const answer: TrafficAnswer =
    detail === 'summary' ? answerOf(response, summaryOf) : answerOf<DetailedOutcome>(response, (o) => ({ ...summaryOf(o), hops: o.hops, reply: o.reply }));
  if (kept) atDetail[detail].set(response, deepFreeze(answer));
  return answer;
}
