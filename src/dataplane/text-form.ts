/**
 * The text form of a traffic answer (`Accept: text/plain` or
 * `?format=text`): a traceroute-like view for an 80-column terminal. The
 * source and the resolved destination, then each outcome with its
 * probability and its verdict, the hops of the request one by
 * one (node, where it went in and out, the hooks it ran), each rewrite under
 * the hop that made it, the rule that refused it, and the reply the same
 * way. With `detail=hops`, every step of every hop too. See
 * docs/dataplane.md, "The text form".
 */
import { joinHostPort } from '../kube-proxy/ip';
import { echoRequestType, icmpTypeText, isIcmpProtocol } from '../netfilter/icmp';
import { TEXT_WIDTH, percent, wrap } from '../common/text-layout';
import { stepText } from '../netfilter/trace-text';
import type { TraceStep } from '../netfilter/types';
import { endpointOf, hopRewrites, type AnswerDetail, type Rewrite } from './answer-detail';
import type { Hop, TrafficOutcome, TrafficRequest, TrafficResponse } from './traffic';
import { verdictLines } from './verdict-text';

function sourceText(request: TrafficRequest, first: Hop | undefined): string {
  const from = typeof request.from === 'string' ? request.from : `outside client ${request.from.external}`;
  if (first === undefined || typeof request.from !== 'string') return from;
  // The address it sent from: before the first node's NAT, when a node sent it.
  const address = first.nat?.before?.source.replace(/:\d+$/, '').replace(/^\[(.*)\]$/, '$1') ?? first.packet.source;
  const where = first.node !== null && !request.from.startsWith('node/') ? `, on ${first.node}` : '';
  return `${from} (${address}${where})`;
}

function destinationLines(request: TrafficRequest, response: TrafficResponse): string[] {
  const protocol = request.protocol ?? 'tcp';
  const r = response.resolution;
  if (r === undefined) {
    // Where it was sent to: before the first node's NAT (a node's own OUTPUT DNAT rewrites it on that hop).
    const first = response.outcomes[0]?.hops[0];
    const sentTo =
      first === undefined ? undefined : (first.nat?.before?.destination ?? (protocol === 'icmp' ? first.packet.destination : joinHostPort(first.packet.destination, first.packet.destinationPort)));
    const address = sentTo !== undefined ? ` (${sentTo})` : '';
    return wrap(`to ${request.to}${address !== ` (${request.to})` ? address : ''} ${protocol}`, TEXT_WIDTH, '', '   ');
  }
  const lines = wrap(`to ${request.to} ${protocol}`, TEXT_WIDTH, '', '   ');
  const cname = r.cname !== undefined && r.cname.length > 0 ? `, CNAME ${r.cname.join(' > ')}` : '';
  if (r.kind === 'nxdomain') {
    lines.push(...wrap(`${r.name}: NXDOMAIN${cname}; tried ${r.tried.join(', ')}`, TEXT_WIDTH, '   ', '     '));
  } else {
    const service = r.service !== undefined ? ` (${r.service.headless ? 'headless ' : ''}Service ${r.service.namespace}/${r.service.name})` : '';
    const name = r.name === r.fqdn ? r.fqdn : `${r.name}: ${r.fqdn}`;
    // A dual-stack name: its A records, then its AAAA records.
    const records = r.aaaa?.length ? [...r.addresses.map((a) => `${a} (A)`), ...r.aaaa.map((a) => `${a} (AAAA)`)] : r.addresses;
    lines.push(...wrap(`${name}${cname} is ${records.join(', ')}${service}`, TEXT_WIDTH, '   ', '     '));
  }
  return lines;
}

function outcomeTitle(o: TrafficOutcome): string {
  const d = o.destination;
  if (d === null) return o.result;
  const who = d.pod !== null ? `pod ${d.pod}` : `node ${d.node}`;
  const node = d.pod !== null && d.node !== null ? ` on ${d.node}` : '';
  return `${o.result} ${o.result === 'refused' ? 'by' : 'to'} ${who}${node}`;
}

/** The hooks a hop's steps went through, in order. */
function hooksOf(hop: Hop): string {
  const hooks: string[] = [];
  for (const s of hop.rules) if (hooks[hooks.length - 1] !== s.hook) hooks.push(s.hook);
  return hooks.join(' > ');
}

/**
 * Where a hop went, without the node's name (the line starts with it): the
 * hop's own words; for the two hops of a VXLAN crossing, words made from
 * the encapsulation (its outer addresses are on the rewrite's line) and
 * whether the inner packet went on (a hop follows the receiver's when it
 * was decapsulated); for an outside client's hop, where it sent to and
 * the node it reached (the header names the client).
 */
function placeOf(hops: readonly Hop[], i: number): string {
  const hop = hops[i];
  const next = hops[i + 1] as Hop | undefined;
  if (hop.encapsulation !== null) {
    const sender = i === 0 || hops[i - 1].encapsulation === null;
    const hooks = hooksOf(hop);
    if (sender) return `VXLAN to ${next?.node ?? hop.encapsulation.outer.destination}${hooks ? ` (${hooks})` : ''}`;
    return `VXLAN in eth0${hooks ? ` (${hooks})` : ''}${next !== undefined ? ', decapsulated' : ', not delivered'}`;
  }
  if (hop.node === null) return `sends to ${endpointOf(hop.packet, 'destination')}${next?.node ? `, reaching ${next.node}` : ''}`;
  const prefix = `${hop.node}: `;
  return hop.where.startsWith(prefix) ? hop.where.slice(prefix.length) : hop.where;
}

function rewriteText(r: Rewrite, hop: Hop): string {
  const outer = hop.encapsulation?.outer;
  if (r.type === 'VXLAN' && outer !== undefined) return `encapsulated in ${joinHostPort(outer.source, outer.sourcePort)} > ${joinHostPort(outer.destination, outer.destinationPort)}`;
  return `${r.type} by ${r.by}: ${r.before} -> ${r.after}`;
}

/**
 * The step that ended the packet at the last hop of a rejected or dropped
 * request: its last step, when a rule or a chain's policy of a netfilter
 * table took it (not conntrack or routing, which the reason explains).
 */
function endingStep(o: TrafficOutcome): TraceStep | undefined {
  if (o.result !== 'rejected' && o.result !== 'dropped') return undefined;
  const rules = o.hops[o.hops.length - 1]?.rules ?? [];
  const last = rules[rules.length - 1] as TraceStep | undefined;
  return last !== undefined && last.table !== 'conntrack' && last.table !== 'routing' ? last : undefined;
}

/** The comment of a rule (`-m comment --comment "..."`), which names the Service for kube-proxy's rules. */
function commentOf(rule: string | null): string | undefined {
  const m = rule === null ? null : /--comment (?:"((?:[^"\\]|\\.)*)"|(\S+))/.exec(rule);
  return m === null ? undefined : (m[1] ?? m[2]);
}

function hopLines(hops: readonly Hop[], detail: AnswerDetail, indent: string, ending?: TraceStep): string[] {
  const lines: string[] = [];
  const numberWidth = String(hops.length).length;
  for (let i = 0; i < hops.length; i++) {
    const hop = hops[i];
    const n = String(i + 1).padStart(numberWidth);
    const head = `${indent}${n} `;
    const under = ' '.repeat(head.length + 2);
    const node = hop.node ?? 'client';
    lines.push(...wrap(`${node}: ${placeOf(hops, i)}`, TEXT_WIDTH, head, under));
    for (const r of hopRewrites(hops, i)) lines.push(...wrap(rewriteText(r, hop), TEXT_WIDTH, under, `${under}  `));
    if (ending !== undefined && i === hops.length - 1) {
      const comment = commentOf(ending.rule);
      lines.push(...wrap(`${stepText(ending)}${comment !== undefined ? ` ("${comment}")` : ''}`, TEXT_WIDTH, under, `${under}  `));
    }
    if (detail === 'hops') {
      const p = hop.packet;
      const ttl = hop.ttl !== null ? ` ttl ${hop.ttl}` : '';
      // A ping shows its type and id where other packets show ports.
      const ends = isIcmpProtocol(p.protocol) ? `${p.source} > ${p.destination} ${icmpTypeText(p.icmpType ?? echoRequestType(p.protocol), p.icmpCode ?? 0, p.protocol)}${p.icmpId !== undefined ? ` id ${p.icmpId}` : ''}` : `${joinHostPort(p.source, p.sourcePort)} > ${joinHostPort(p.destination, p.destinationPort)}`;
      lines.push(...wrap(`packet ${p.protocol} ${ends}${p.tcpFlags ? ` ${p.tcpFlags}` : ''} mark ${p.mark} ${p.ctstate}${ttl}`, TEXT_WIDTH, under, `${under}  `));
      for (const s of hop.rules) if (s !== ending) lines.push(...wrap(stepText(s), TEXT_WIDTH, `${under}| `, `${under}|   `));
    }
  }
  return lines;
}

function outcomeLines(o: TrafficOutcome, index: number, count: number, detail: AnswerDetail): string[] {
  const lines: string[] = [];
  const head = `${String(index + 1).padStart(String(count).length)}. `;
  const indent = ' '.repeat(head.length);
  const share = o.connections !== undefined ? `${o.connections} connection${o.connections === 1 ? '' : 's'} (${percent(o.probability)})` : percent(o.probability);
  lines.push(...wrap(`${share} ${outcomeTitle(o)}`, TEXT_WIDTH, head, `${indent}  `));
  const d = o.destination;
  const facts = [
    d !== null ? (isIcmpProtocol(o.hops[0]?.packet.protocol ?? '') ? `at ${d.ip}` : `at ${joinHostPort(d.ip, d.port)}`) : undefined,
    o.seenSource !== null ? `seen from ${o.seenSource}` : undefined,
    o.replySource !== undefined && o.replySource !== null ? `reply from ${o.replySource}` : undefined,
  ].filter((f) => f !== undefined);
  if (facts.length > 0) lines.push(...wrap(facts.join(', '), TEXT_WIDTH, indent, `${indent}  `));
  lines.push(...verdictLines(o.verdict, indent));
  if (o.hops.length > 0) {
    lines.push(`${indent}request:`);
    lines.push(...hopLines(o.hops, detail, `${indent} `, endingStep(o)));
  }
  if (o.reply.length > 0) {
    lines.push(`${indent}reply:`);
    lines.push(...hopLines(o.reply, detail, `${indent} `));
  }
  return lines;
}

/** The text form of `response`, the answer to `request`: lines of at most TEXT_WIDTH columns. */
export function trafficText(request: TrafficRequest, response: TrafficResponse, detail: AnswerDetail = 'summary'): string[] {
  const lines: string[] = [];
  lines.push(...wrap(`from ${sourceText(request, response.outcomes[0]?.hops[0])}`, TEXT_WIDTH, '', '   '));
  lines.push(...destinationLines(request, response));
  const n = response.outcomes.length;
  const count = request.count ?? 100;
  const mode = request.mode === 'sample' ? `, ${count} connection${count === 1 ? '' : 's'} sampled` : '';
  lines.push(`${n} outcome${n === 1 ? '' : 's'}${mode}`);
  response.outcomes.forEach((o, i) => {
    lines.push('');
    lines.push(...outcomeLines(o, i, n, detail));
  });
  return lines;
}
