/**
 * The text form of `POST /netsim/v1/trace`'s answer (`Accept: text/plain`
 * or `?format=text`), for an 80-column terminal: the packet, then each
 * outcome with its probability, its verdict and where the packet went, the
 * rewrites and the connection, and its steps one a line (hook, table,
 * chain, rule number, what it did). See docs/netfilter.md.
 */
import { TEXT_WIDTH, percent, wrap } from '../common/text-layout';
import type { outcomeView } from './outcome';
import { echoRequestType, icmpTypeText, isIcmpProtocol } from './icmp';
import type { TraceStep } from './types';

export type TraceOutcomeView = ReturnType<typeof outcomeView> & { answer?: { outcomes: ReturnType<typeof outcomeView>[] } };

/** The packet as the trace request gives it. */
export interface TracePacketText {
  hook: string;
  inInterface?: string;
  protocol: string;
  source?: string;
  sourcePort?: number;
  destination: string;
  destinationPort?: number;
  icmpType?: number | string;
  icmpCode?: number;
  icmpId?: number;
}

/** ` echo-request id 7`, ` port-unreachable`: an ICMP packet's type in words (nothing for other protocols). */
function icmpSuffix(p: { protocol: string; icmpType?: number | string; icmpCode?: number; icmpId?: number }): string {
  if (!isIcmpProtocol(p.protocol)) return '';
  const type = typeof p.icmpType === 'string' ? p.icmpType : icmpTypeText(p.icmpType ?? echoRequestType(p.protocol), p.icmpCode ?? 0, p.protocol);
  return ` ${type}${p.icmpId !== undefined ? ` id ${p.icmpId}` : ''}`;
}

/** One step, for a line: `HOOK TABLE CHAIN #N: ACTION` (machinery steps: `HOOK TABLE: ACTION`). */
export function stepText(s: TraceStep): string {
  const where = s.chain !== null ? `${s.hook} ${s.table} ${s.chain}${s.ruleNumber !== null ? ` #${s.ruleNumber}` : ''}` : `${s.hook} ${s.table}`;
  return `${where}: ${s.action}`;
}

function endpoint(address: string | undefined, port: number | undefined): string {
  const a = address ?? '(route source)';
  // An IPv6 address is bracketed before its port, as everywhere else (`[fd00::1]:80`).
  return port === undefined ? a : a.includes(':') ? `[${a}]:${port}` : `${a}:${port}`;
}

function fate(o: TraceOutcomeView): string {
  if (o.verdict === 'UNKNOWN') return 'UNKNOWN: the trace stops at a rule kube-netsim does not model';
  if (o.verdict === 'REJECT') return `REJECT (${o.rejectWith ?? 'icmp-port-unreachable'})`;
  if (o.verdict === 'DROP') return `DROP${o.reason ? ` (${o.reason})` : ''}`;
  if (o.delivery === 'local') return 'ACCEPT, delivered locally';
  if (o.delivery === 'forward') return `ACCEPT, out ${o.outInterface ?? '?'}${o.nextHop && o.nextHop !== o.packet.destination ? ` via ${o.nextHop}` : ''}`;
  return o.verdict;
}

/** The text form of a trace's outcomes, for `packet`. */
export function traceText(packet: TracePacketText, outcomes: readonly TraceOutcomeView[]): string[] {
  const lines: string[] = [];
  const on = packet.inInterface ? ` on ${packet.inInterface}` : '';
  lines.push(
    ...wrap(`${packet.protocol} ${endpoint(packet.source, packet.sourcePort)} > ${endpoint(packet.destination, packet.destinationPort)}${icmpSuffix(packet)}, entering ${packet.hook}${on}`, TEXT_WIDTH, '', '   '),
  );
  lines.push(`${outcomes.length} outcome${outcomes.length === 1 ? '' : 's'}`);
  outcomeLines(lines, outcomes, '');
  return lines;
}

/** Each outcome, numbered, under `margin`; a REJECT's traced ICMP error under its outcome. */
function outcomeLines(lines: string[], outcomes: readonly TraceOutcomeView[], margin: string): void {
  const width = String(outcomes.length).length;
  outcomes.forEach((o, i) => {
    const head = `${margin}${String(i + 1).padStart(width)}. `;
    const indent = ' '.repeat(head.length);
    if (margin === '') lines.push('');
    const conditional = o.dependsOn !== undefined ? ' (if the rules below do as said)' : '';
    lines.push(...wrap(`${percent(o.probability)}${conditional} ${fate(o)}`, TEXT_WIDTH, head, `${indent}  `));
    for (const d of o.dependsOn ?? []) {
      const where = d.line === null ? `${d.table} ${d.chain} #${d.ruleNumber}` : `line ${d.line}`;
      lines.push(...wrap(`if ${where} ${d.matches ? 'matches' : 'does not match'}: ${d.rule}`, TEXT_WIDTH, indent, `${indent}  `));
    }
    const nat = [o.dnat ? `DNAT to ${o.dnat}` : undefined, o.snat ? `${o.masquerade ? 'MASQUERADE' : 'SNAT'} to ${o.snat}${o.snatPortRandom ? ' (random port)' : ''}` : undefined].filter((x) => x !== undefined);
    if (nat.length > 0) lines.push(...wrap(nat.join(', '), TEXT_WIDTH, indent, `${indent}  `));
    const p = o.packet;
    const as = o.verdict === 'DROP' ? 'dropped as' : o.verdict === 'REJECT' ? 'rejected as' : 'leaves as';
    const ends = isIcmpProtocol(p.protocol) ? `${p.source} > ${p.destination}${icmpSuffix(p)}` : `${endpoint(p.source, p.sourcePort)} > ${endpoint(p.destination, p.destinationPort)}`;
    lines.push(...wrap(`${as} ${p.protocol} ${ends}${p.tcpFlags ? ` ${p.tcpFlags}` : ''} mark ${p.mark}`, TEXT_WIDTH, indent, `${indent}  `));
    if (p.embedded !== undefined) lines.push(...wrap(`carrying ${p.embedded}`, TEXT_WIDTH, indent, `${indent}  `));
    const c = o.conntrack;
    lines.push(...wrap(`conntrack ${c.state}${c.direction ? ` (${c.direction})` : ''}${c.original ? `: ${c.original}` : ''}`, TEXT_WIDTH, indent, `${indent}  `));
    const stepWidth = String(o.steps.length).length;
    o.steps.forEach((s, n) => {
      const stepHead = `${indent} ${String(n + 1).padStart(stepWidth)} `;
      lines.push(...wrap(stepText(s), TEXT_WIDTH, stepHead, `${' '.repeat(stepHead.length)}  `));
    });
    if (o.answer !== undefined) {
      const n = o.answer.outcomes.length;
      lines.push(...wrap(`the ICMP error back to the client (${n} outcome${n === 1 ? '' : 's'}):`, TEXT_WIDTH, indent, `${indent}  `));
      outcomeLines(lines, o.answer.outcomes, `${indent}  `);
    }
  });
}
