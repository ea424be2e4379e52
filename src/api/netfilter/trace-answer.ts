/**
 * A trace's answer, as both trace routes give it (POST /netsim/v1/trace with
 * pasted rules, POST /netsim/v1/nodes/{node}/trace with a node's own): the
 * request's family and packet read, every outcome traced (a REJECT's ICMP
 * error traced back), and the answer sent in JSON or text as negotiated.
 */
import type { FastifyReply } from 'fastify';
import { DomainError } from '../../common/domain-error';
import { Host, NetfilterEngine, TCP_FLAGS, detectDumpFamily, familyOf, outcomeView, tryParseIp, type IpFamily } from '../../netfilter';
import { isIcmpProtocol, requestedIcmpType } from '../../netfilter/icmp';
import { rejectAnswer } from '../../netfilter/reject-answer';
import { traceText } from '../../netfilter/trace-text';
import type { Protocol } from '../../netfilter/types';
import type { AnswerFormat } from '../answer-format';
import { sendAnswer } from '../json-body';
import type { PacketDto } from './dto';

/**
 * The ICMP part of a trace request: type (by number or name; a name may fix
 * the code), code and id. Ports belong to tcp, udp and sctp, ICMP fields to
 * icmp: either on the other protocol is refused, naming the field.
 */
function icmpFields(p: PacketDto): { icmpType?: number; icmpCode?: number; icmpId?: number } {
  const misplaced = (field: string, message: string) => new DomainError('INVALID', `packet.${field}: ${message}`, { field: `packet.${field}` });
  const protocol = packetProtocol(p);
  if (!isIcmpProtocol(protocol)) {
    for (const field of ['icmpType', 'icmpCode', 'icmpId'] as const) {
      if (p[field] !== undefined) throw misplaced(field, `only an icmp or icmpv6 packet has ${field === 'icmpId' ? 'an id' : `a ${field === 'icmpType' ? 'type' : 'code'}`}, not a ${p.protocol} one`);
    }
    return {};
  }
  for (const field of ['sourcePort', 'destinationPort'] as const) {
    if (p[field] !== undefined) throw misplaced(field, `an ${protocol} packet has no ports (an echo is told apart by its icmpId)`);
  }
  const type = p.icmpType === undefined ? undefined : requestedIcmpType(p.icmpType, 'packet.icmpType', protocol);
  return { icmpType: type?.type, icmpCode: p.icmpCode ?? type?.code, icmpId: p.icmpId };
}

/** The protocol a trace request names, `ipv6-icmp` (ip6tables' name for ICMPv6) read as `icmpv6`. */
export function packetProtocol(p: Pick<PacketDto, 'protocol'>): Protocol {
  return p.protocol === 'ipv6-icmp' ? 'icmpv6' : p.protocol;
}

/**
 * The family of a trace or save request: the request's `family`, else the
 * rules' own (their first address; see detectDumpFamily), else the packet's
 * destination, else IPv4. A packet address of the other family is refused,
 * naming the field: one request traces one family.
 */
export function requestFamily(given: IpFamily | undefined, rules: string, packet?: { source?: string; destination?: string }): IpFamily {
  const fromPacket = packet?.destination === undefined ? undefined : tryParseIp(packet.destination);
  const family = given ?? detectDumpFamily(rules) ?? (fromPacket === undefined ? 'ipv4' : familyOf(fromPacket));
  const why = given !== undefined ? "the request's family" : 'the family of the rules';
  for (const field of ['source', 'destination'] as const) {
    const text = packet?.[field];
    const address = text === undefined ? undefined : tryParseIp(text);
    if (address !== undefined && familyOf(address) !== family) {
      throw new DomainError(
        'INVALID',
        `packet.${field}: ${JSON.stringify(text)} is an ${familyOf(address) === 'ipv4' ? 'IPv4' : 'IPv6'} address, but ${why} is ${family} (one request traces one family)`,
        { field: `packet.${field}` },
      );
    }
  }
  return family;
}

/**
 * The packet of a trace request through `engine`, every outcome as the answer
 * shows it; a REJECT's ICMP error is traced back from `host` towards the client.
 */
export function traceViews(engine: NetfilterEngine, host: Host, p: PacketDto, mode: 'enumerate' | 'sample') {
  const tcpFlags = p.tcpFlags?.reduce((bits, name) => bits | TCP_FLAGS[name], 0);
  const outcomes = engine.trace(
    {
      hook: p.hook,
      inInterface: p.inInterface,
      protocol: packetProtocol(p),
      source: p.source,
      sourcePort: p.sourcePort,
      destination: p.destination,
      destinationPort: p.destinationPort,
      mark: p.mark,
      tcpFlags,
      ...icmpFields(p),
      socket: p.socket,
      sourceMac: p.sourceMac,
      localSocket: p.localSocket,
    },
    mode,
  );
  return outcomes.map((o) => {
    const view = outcomeView(o);
    const answer = rejectAnswer(o, (address) => host.isLocal(address));
    return answer === undefined ? view : { ...view, answer: { outcomes: engine.trace(answer, mode).map(outcomeView) } };
  });
}

/**
 * Traces the request's packet through `engine` and sends the answer: JSON
 * (`fields`, such as the node and family, then `outcomes`) or its text form;
 * `Vary: Accept`, as the form may follow the Accept header.
 */
export function sendTraceAnswer(res: FastifyReply, format: AnswerFormat, engine: NetfilterEngine, host: Host, packet: PacketDto, mode: 'enumerate' | 'sample' | undefined, fields: Record<string, unknown> = {}): void {
  const views = traceViews(engine, host, packet, mode ?? 'enumerate');
  res.header('Vary', 'Accept');
  sendAnswer(res, format, { ...fields, outcomes: views }, format === 'text' ? traceText({ ...packet, protocol: packetProtocol(packet) }, views) : []);
}
