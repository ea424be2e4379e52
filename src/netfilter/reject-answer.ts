/**
 * What a REJECT sends back, as a packet to trace: the ICMP error
 * (`--reject-with icmp-*`) leaves the rejecting host by its OUTPUT hook
 * towards the refused packet's source, carrying that packet's header, and
 * RELATED to its connection from the start (the kernel attaches the refused
 * packet's conntrack to the error, `nf_ct_attach`, confirmed or not), so
 * NAT reverses it as it would a reply and `--ctstate RELATED` rules see it.
 *
 * As `icmp_send`, its source is the refused packet's destination when that
 * address is this host's own, else the one the route to the client picks;
 * no error answers an ICMP error. An ip6tables REJECT (`icmp6-*`) answers
 * with an ICMPv6 destination-unreachable (type 1, code 0 no-route, 1
 * adm-prohibited, 3 addr-unreachable, 4 port-unreachable). `tcp-reset` is
 * not traced here.
 */
import type { IpAddress } from './address';
import type { TraceInput } from './trace-input';
import type { TraceOutcome } from './outcome';
import { isIcmpError, isIcmpProtocol, rejectIcmp } from './icmp';

export function rejectAnswer(o: TraceOutcome, isLocal: (address: IpAddress) => boolean): TraceInput | undefined {
  if (o.verdict !== 'REJECT' || o.rejectWith === null) return undefined;
  const sent = rejectIcmp(o.rejectWith);
  if (sent === undefined) return undefined;
  const p = o.packet;
  if (isIcmpProtocol(p.protocol) && isIcmpError(p.icmpType, p.protocol)) return undefined;
  const c = o.conntrack.connection;
  const direction = o.conntrack.direction;
  return {
    hook: 'OUTPUT',
    protocol: typeof p.destination === 'bigint' ? 'icmpv6' : 'icmp',
    icmpType: sent.type,
    icmpCode: sent.code,
    source: isLocal(p.destination) ? p.destination : undefined,
    destination: p.source,
    related: {
      protocol: p.protocol,
      source: p.source,
      sourcePort: p.sourcePort,
      destination: p.destination,
      destinationPort: p.destinationPort,
      ...(isIcmpProtocol(p.protocol) ? { icmpType: p.icmpType, icmpCode: p.icmpCode, icmpId: p.icmpId } : {}),
    },
    ...(c !== undefined && direction !== null && (o.conntrack.state === 'NEW' || o.conntrack.state === 'ESTABLISHED' || o.conntrack.state === 'RELATED') ? { attachedTo: { connection: c, direction } } : {}),
  };
}
