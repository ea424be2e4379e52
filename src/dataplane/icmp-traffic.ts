/**
 * ICMP queries as `POST /netsim/v1/traffic` sends them: a ping (echo-request,
 * or a timestamp request) with its id, and the answer the destination's
 * kernel gives (Linux answers both, from any address it holds: no socket
 * needs to listen). See docs/dataplane.md.
 */
import { DomainError } from '../common/domain-error';
import { ICMP_ECHO_REQUEST, ICMPV6_ECHO_REQUEST, echoRequestType, icmpInverse, icmpTypeText, requestedIcmpType, type IcmpProtocol } from '../netfilter/icmp';
import type { TraceInput } from '../netfilter/trace-input';
import type { Packet } from '../netfilter/types';
import type { TrafficRequest } from './traffic';
import { formatIp, type IpAddress } from '../netfilter/address';

/** The id a ping takes when the request names none (sample mode: each next echo takes the next id). */
export const DEFAULT_ICMP_ID = 1;

/** The ICMP types Linux answers by itself: echo-request and timestamp-request. */
export const ANSWERED_ICMP_TYPES: readonly number[] = [ICMP_ECHO_REQUEST, 13];

/** The destination's answer to a query that arrived as `arrival`: the reply type, same id, back to the sender (ICMPv6: echo-reply 129). */
export function icmpAnswer(arrival: Packet): Omit<TraceInput, 'hook'> {
  const protocol: IcmpProtocol = arrival.protocol === 'icmpv6' ? 'icmpv6' : 'icmp';
  const type = arrival.icmpType ?? echoRequestType(protocol);
  return { protocol, icmpType: icmpInverse(type, protocol) ?? type, icmpCode: 0, icmpId: arrival.icmpId, destination: arrival.source };
}

/** Whether the destination's kernel answers this type (ICMPv6: echo-request 128 alone), and in words. */
export function icmpAnswered(type: number | undefined, protocol: IcmpProtocol = 'icmp'): boolean {
  if (protocol === 'icmpv6') return (type ?? ICMPV6_ECHO_REQUEST) === ICMPV6_ECHO_REQUEST;
  return ANSWERED_ICMP_TYPES.includes(type ?? ICMP_ECHO_REQUEST);
}

export function icmpQueryText(type: number | undefined, protocol: IcmpProtocol = 'icmp'): string {
  return icmpTypeText(type ?? echoRequestType(protocol), 0, protocol);
}

/** A ping's packet protocol and type towards `destination`: ICMPv6 echo-request (128) to an IPv6 address; only echo has an ICMPv6 counterpart. */
export function pingOf(destination: IpAddress, icmpType: number): { protocol: IcmpProtocol; icmpType: number } {
  if (typeof destination !== 'bigint') return { protocol: 'icmp', icmpType };
  if (icmpType !== ICMP_ECHO_REQUEST) {
    throw new DomainError('INVALID', `icmpType: ${icmpType} has no ICMPv6 counterpart: ping ${formatIp(destination)} with echo-request (sent as ICMPv6 echo-request 128)`, { field: 'icmpType' });
  }
  return { protocol: 'icmpv6', icmpType: ICMPV6_ECHO_REQUEST };
}

/** A traffic request as a client writes it: the ICMP type may be a name. */
export type TrafficRequestText = Omit<TrafficRequest, 'icmpType'> & { icmpType?: number | string };

/**
 * The request with its ICMP type as a number, checked: ICMP fields belong to
 * `protocol: icmp` and ports to the others; only the queries a kernel answers
 * are sent as traffic (errors are traced with `POST /netsim/v1/trace`).
 * Refusals name the field.
 */
export function trafficRequest(request: TrafficRequestText): TrafficRequest {
  const invalid = (field: string, message: string) => new DomainError('INVALID', `${field}: ${message}`, { field });
  const protocol = request.protocol ?? 'tcp';
  if (protocol !== 'icmp') {
    if (request.icmpType !== undefined) throw invalid('icmpType', `only a ping (protocol icmp) has a type, not ${protocol} traffic`);
    if (request.icmpId !== undefined) throw invalid('icmpId', `only a ping (protocol icmp) has an id, not ${protocol} traffic`);
    return request as TrafficRequest;
  }
  if (request.sourcePort !== undefined) throw invalid('sourcePort', 'a ping has no ports (each echo is told apart by its icmpId)');
  if (request.icmpType === undefined) return request as TrafficRequest;
  const { type } = requestedIcmpType(request.icmpType, 'icmpType');
  if (!icmpAnswered(type)) {
    throw invalid('icmpType', `${JSON.stringify(request.icmpType)} is not a query a host answers: send echo-request (8) or timestamp-request (13); trace other ICMP types with POST /netsim/v1/trace`);
  }
  return { ...request, icmpType: type };
}
