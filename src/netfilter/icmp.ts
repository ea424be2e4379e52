/**
 * ICMP as connection tracking sees it (the kernel's nf_conntrack_proto_icmp).
 *
 * - **Queries** (echo, timestamp, information, address mask) form a
 *   connection: the request's tuple holds the identifier, the type and the
 *   code; the reply's tuple holds the same identifier and the answering type
 *   (echo-request 8 <-> echo-reply 0, 13 <-> 14, 15 <-> 16, 17 <-> 18). Only
 *   a request may start one: a reply that no request announced is INVALID.
 * - **Errors** (destination unreachable, source quench, redirect, time
 *   exceeded, parameter problem) carry the offending packet's header and are
 *   RELATED to that packet's connection, or INVALID when there is none.
 * - Any other type (router advertisement, ...) has no inverse: no connection,
 *   INVALID.
 *
 * ICMPv6 (nf_conntrack_proto_icmpv6, protocol `icmpv6`) is the same idea
 * with its own numbers: echo-request 128 <-> echo-reply 129 and node
 * information query 139 <-> reply 140 are the queries (128 and 139 start a
 * connection); every type below 128 is an error (RELATED or INVALID);
 * Neighbour Discovery, MLD and multicast router discovery (130-136, 143,
 * 151, 152) are never tracked (`UNTRACKED`, the kernel's `noct_valid_new`); any other type (redirect 137, ...) is INVALID.
 *
 * A `Tuple` keeps two 16-bit "ports"; an ICMP query keeps them in the
 * request's orientation, so that swapping them (`invertTuple`) stays right:
 * the request's tuple is (id, type << 8 | code) and the reply's the swap,
 * whichever packet it comes from. The identifier is the "port" NAT may change.
 */
import { DomainError } from '../common/domain-error';
import { icmpTypeByName } from './matches/icmp.match';
import { icmpv6TypeByName } from './matches/icmp6.match';
import type { Packet, Protocol } from './types';

/** The two ICMPs: `icmp` (IPv4, protocol 1) and `icmpv6` (IPv6, protocol 58). */
export type IcmpProtocol = 'icmp' | 'icmpv6';

export function isIcmpProtocol(protocol: Protocol | string): protocol is IcmpProtocol {
  return protocol === 'icmp' || protocol === 'icmpv6';
}

export const ICMP_DEST_UNREACH = 3;
export const ICMP_ECHO_REQUEST = 8;
export const ICMPV6_DEST_UNREACH = 1;
export const ICMPV6_ECHO_REQUEST = 128;

/** The echo request of a protocol: the type a trace's ICMP packet has when none is given. */
export function echoRequestType(protocol: IcmpProtocol): number {
  return protocol === 'icmpv6' ? ICMPV6_ECHO_REQUEST : ICMP_ECHO_REQUEST;
}

/** Queries and their answers, both ways (the kernel's `invmap`). */
const QUERY_PAIRS: ReadonlyMap<number, number> = new Map([
  [8, 0],
  [0, 8],
  [13, 14],
  [14, 13],
  [15, 16],
  [16, 15],
  [17, 18],
  [18, 17],
]);

/** ICMPv6 queries and their answers (echo 128 <-> 129, node information 139 <-> 140). */
const QUERY_PAIRS_V6: ReadonlyMap<number, number> = new Map([
  [128, 129],
  [129, 128],
  [139, 140],
  [140, 139],
]);

/** Types that may start a connection (`valid_new`). */
const REQUESTS: ReadonlySet<number> = new Set([8, 13, 15, 17]);
const REQUESTS_V6: ReadonlySet<number> = new Set([128, 139]);

/** Types that report an error about another packet (RELATED to its connection). */
const ICMP_ERROR_TYPES: ReadonlySet<number> = new Set([3, 4, 5, 11, 12]);

/**
 * ICMPv6 types conntrack leaves untracked (`noct_valid_new`): MLD query,
 * report and done (130-132), router and neighbour solicitation and
 * advertisement (133-136), MLDv2 report (143), multicast router
 * discovery advertisement and solicitation (151, 152; the kernel this
 * was checked on, 6.18, has them).
 */
export const ICMPV6_UNTRACKED_TYPES: ReadonlySet<number> = new Set([130, 131, 132, 133, 134, 135, 136, 143, 151, 152]);

const pairsOf = (protocol: IcmpProtocol): ReadonlyMap<number, number> => (protocol === 'icmpv6' ? QUERY_PAIRS_V6 : QUERY_PAIRS);

/** An error message: IPv4's five error types; in ICMPv6 every type below 128. */
export function isIcmpError(type: number | undefined, protocol: IcmpProtocol = 'icmp'): boolean {
  if (type === undefined) return false;
  return protocol === 'icmpv6' ? type < 128 : ICMP_ERROR_TYPES.has(type);
}

export function isIcmpQuery(type: number | undefined, protocol: IcmpProtocol = 'icmp'): boolean {
  return type !== undefined && pairsOf(protocol).has(type);
}

export function isIcmpRequest(type: number | undefined, protocol: IcmpProtocol = 'icmp'): boolean {
  return type !== undefined && (protocol === 'icmpv6' ? REQUESTS_V6 : REQUESTS).has(type);
}

/** An ICMPv6 type conntrack does not track (Neighbour Discovery, MLD). */
export function isIcmpUntracked(type: number | undefined, protocol: IcmpProtocol): boolean {
  return protocol === 'icmpv6' && type !== undefined && ICMPV6_UNTRACKED_TYPES.has(type);
}

/** The answer to a query type (8 -> 0, 128 -> 129), or the query of an answer (0 -> 8). */
export function icmpInverse(type: number, protocol: IcmpProtocol = 'icmp'): number | undefined {
  return pairsOf(protocol).get(type);
}

/**
 * The two "ports" of an ICMP packet's tuple: (id, type << 8 | code) for a
 * request, (request type << 8 | code, id) for a reply; (0, type << 8 | code)
 * for any other type.
 */
export function icmpTuplePorts(type: number, code: number, id: number, protocol: IcmpProtocol = 'icmp'): { sourcePort: number; destinationPort: number } {
  if (isIcmpRequest(type, protocol)) return { sourcePort: id, destinationPort: ((type << 8) | code) & 0xffff };
  const request = pairsOf(protocol).get(type);
  if (request !== undefined) return { sourcePort: ((request << 8) | code) & 0xffff, destinationPort: id };
  return { sourcePort: 0, destinationPort: ((type << 8) | code) & 0xffff };
}

/** A packet's tuple ports: its own ports, or for ICMP the encoding above. */
export function tuplePorts(p: Pick<Packet, 'protocol' | 'sourcePort' | 'destinationPort' | 'icmpType' | 'icmpCode' | 'icmpId'>): {
  sourcePort: number;
  destinationPort: number;
} {
  if (!isIcmpProtocol(p.protocol)) return { sourcePort: p.sourcePort, destinationPort: p.destinationPort };
  return icmpTuplePorts(p.icmpType ?? echoRequestType(p.protocol), p.icmpCode ?? 0, p.icmpId ?? 0, p.protocol);
}

/** `type=8 code=0 id=1234`, as `conntrack -L` prints one side of an ICMP connection (request or reply tuple). */
export function icmpTupleText(t: { sourcePort: number; destinationPort: number }, requestSide: boolean, protocol: IcmpProtocol = 'icmp'): string {
  const id = requestSide ? t.sourcePort : t.destinationPort;
  const requestTypeCode = requestSide ? t.destinationPort : t.sourcePort;
  const requestType = requestTypeCode >>> 8;
  const code = requestTypeCode & 0xff;
  const type = requestSide ? requestType : (pairsOf(protocol).get(requestType) ?? requestType);
  return `type=${type} code=${code} id=${id}`;
}

/** The names `iptables -p icmp --help` lists for types (with every code), used in texts. */
const TYPE_NAMES: ReadonlyMap<number, string> = new Map([
  [0, 'echo-reply'],
  [3, 'destination-unreachable'],
  [4, 'source-quench'],
  [5, 'redirect'],
  [8, 'echo-request'],
  [9, 'router-advertisement'],
  [10, 'router-solicitation'],
  [11, 'time-exceeded'],
  [12, 'parameter-problem'],
  [13, 'timestamp-request'],
  [14, 'timestamp-reply'],
  [17, 'address-mask-request'],
  [18, 'address-mask-reply'],
]);

/** Codes of destination-unreachable (type 3) by name, as iptables names them. */
const UNREACHABLE_NAMES: ReadonlyMap<number, string> = new Map([
  [0, 'network-unreachable'],
  [1, 'host-unreachable'],
  [2, 'protocol-unreachable'],
  [3, 'port-unreachable'],
  [4, 'fragmentation-needed'],
  [9, 'network-prohibited'],
  [10, 'host-prohibited'],
  [13, 'communication-prohibited'],
]);

/** ICMPv6 types by name, as ip6tables names them (the first of its names for each). */
const TYPE_NAMES_V6: ReadonlyMap<number, string> = new Map([
  [1, 'destination-unreachable'],
  [2, 'packet-too-big'],
  [3, 'time-exceeded'],
  [4, 'parameter-problem'],
  [128, 'echo-request'],
  [129, 'echo-reply'],
  [133, 'router-solicitation'],
  [134, 'router-advertisement'],
  [135, 'neighbour-solicitation'],
  [136, 'neighbour-advertisement'],
  [137, 'redirect'],
]);

/** Codes of ICMPv6 destination-unreachable (type 1) by name, as ip6tables names them. */
const UNREACHABLE_NAMES_V6: ReadonlyMap<number, string> = new Map([
  [0, 'no-route'],
  [1, 'communication-prohibited'],
  [2, 'beyond-scope'],
  [3, 'address-unreachable'],
  [4, 'port-unreachable'],
  [5, 'failed-policy'],
  [6, 'reject-route'],
]);

/** A type and code in words: `echo-request`, `port-unreachable`, `time-exceeded`, else `type 42 code 0`. */
export function icmpTypeText(type: number, code = 0, protocol: IcmpProtocol = 'icmp'): string {
  const v6 = protocol === 'icmpv6';
  if (type === (v6 ? ICMPV6_DEST_UNREACH : ICMP_DEST_UNREACH)) return (v6 ? UNREACHABLE_NAMES_V6 : UNREACHABLE_NAMES).get(code) ?? `destination-unreachable code ${code}`;
  const name = (v6 ? TYPE_NAMES_V6 : TYPE_NAMES).get(type);
  if (name === undefined) return `type ${type} code ${code}`;
  return code === 0 ? name : `${name} code ${code}`;
}

/** What each `--reject-with` sends: destination unreachable (ICMP 3, ICMPv6 1) with this code. */
const REJECT_CODES: ReadonlyMap<string, { type: number; code: number }> = new Map(
  (
    [
      ['icmp-net-unreachable', 3, 0],
      ['icmp-host-unreachable', 3, 1],
      ['icmp-proto-unreachable', 3, 2],
      ['icmp-port-unreachable', 3, 3],
      ['icmp-net-prohibited', 3, 9],
      ['icmp-host-prohibited', 3, 10],
      ['icmp-admin-prohibited', 3, 13],
      ['icmp6-no-route', 1, 0],
      ['icmp6-adm-prohibited', 1, 1],
      ['icmp6-addr-unreachable', 1, 3],
      ['icmp6-port-unreachable', 1, 4],
    ] as const
  ).map(([name, type, code]) => [name, { type, code }]),
);

/** `REJECT --reject-with` as the ICMP (or, for `icmp6-*`, ICMPv6) type and code it sends (tcp-reset: none). */
export function rejectIcmp(rejectWith: string): { type: number; code: number } | undefined {
  return REJECT_CODES.get(rejectWith);
}

/**
 * The ICMP type a request names: a number 0-255, or a name iptables knows
 * (`echo-request`, `ping`, `port-unreachable`: a name that fixes the code
 * gives it too). Refused with the field named.
 */
export function requestedIcmpType(value: number | string, field: string, protocol: IcmpProtocol = 'icmp'): { type: number; code?: number } {
  if (typeof value === 'number') {
    if (Number.isInteger(value) && value >= 0 && value <= 255) return { type: value };
  } else {
    const named = protocol === 'icmpv6' ? icmpv6TypeByName(value) : icmpTypeByName(value);
    if (named !== undefined) return named[1] === undefined ? { type: named[0] } : { type: named[0], code: named[1] };
  }
  const examples = protocol === 'icmpv6' ? 'echo-request, echo-reply, neighbour-solicitation, port-unreachable' : 'echo-request, echo-reply, port-unreachable, time-exceeded';
  throw new DomainError('INVALID', `${field}: ${JSON.stringify(value)} is not an ${protocol === 'icmpv6' ? 'ICMPv6' : 'ICMP'} type (a number 0-255, or a name such as ${examples})`, {
    field,
  });
}
