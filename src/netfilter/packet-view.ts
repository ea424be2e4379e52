/**
 * A packet in words and as plain data: the endpoint and embedded-header
 * texts that steps and outcomes print, the JSON view of a packet, and the
 * writable copy a path rewrites.
 */
import { formatIp, formatIpPort, type IpAddress } from './address';
import { echoRequestType, icmpTypeText, isIcmpProtocol } from './icmp';
import { TCP_FLAGS, type CtState, type EmbeddedHeader, type Packet, type Protocol } from './types';

/** `address:port`, or the address alone for ICMP (which has no ports). */
export function endpoint(address: IpAddress, port: number, protocol: Protocol): string {
  return isIcmpProtocol(protocol) ? formatIp(address) : formatIpPort(address, port);
}

/** An embedded header in words: `udp 10.244.2.2:40000 > 10.96.0.10:53`, `icmp 10.244.2.2 > 10.0.0.1 echo-request id 7`. */
export function embeddedText(h: EmbeddedHeader): string {
  const base = `${h.protocol} ${endpoint(h.source, h.sourcePort, h.protocol)} > ${endpoint(h.destination, h.destinationPort, h.protocol)}`;
  if (!isIcmpProtocol(h.protocol)) return base;
  return `${base} ${icmpTypeText(h.icmpType ?? echoRequestType(h.protocol), h.icmpCode ?? 0, h.protocol)}${h.icmpId !== undefined ? ` id ${h.icmpId}` : ''}`;
}

/** A packet whose fields a path may rewrite (its own copy: `copyPacket`). */
export type MutablePacket = { -readonly [K in keyof Packet]: Packet[K] };

/** A copy with every field written out (one fixed object shape: far cheaper than a spread). */
export function copyPacket(p: Packet): MutablePacket {
  return {
    protocol: p.protocol,
    source: p.source,
    destination: p.destination,
    sourcePort: p.sourcePort,
    destinationPort: p.destinationPort,
    icmpType: p.icmpType,
    icmpCode: p.icmpCode,
    icmpId: p.icmpId,
    inner: p.inner,
    tcpFlags: p.tcpFlags,
    inInterface: p.inInterface,
    outInterface: p.outInterface,
    physInInterface: p.physInInterface,
    physOutInterface: p.physOutInterface,
    bridged: p.bridged,
    sourceMac: p.sourceMac,
    localSocket: p.localSocket,
    mark: p.mark,
    ctstate: p.ctstate,
    ctSnat: p.ctSnat,
    ctDnat: p.ctDnat,
    ctmark: p.ctmark,
    ttl: p.ttl,
    tos: p.tos,
    length: p.length,
    fragment: p.fragment,
    socket: p.socket,
  };
}

export interface PacketView {
  readonly protocol: Protocol;
  readonly source: string;
  readonly sourcePort: number;
  readonly destination: string;
  readonly destinationPort: number;
  readonly inInterface: string | null;
  readonly outInterface: string | null;
  readonly mark: number;
  readonly ctstate: CtState;
  readonly tcpFlags?: string;
  /** ICMP only: the type, code and (for a query) identifier. */
  readonly icmpType?: number;
  readonly icmpCode?: number;
  readonly icmpId?: number;
  /** An ICMP error's embedded header (the offending packet), in words. */
  readonly embedded?: string;
  readonly ttl?: number;
}

const FLAG_NAMES: ReadonlyArray<[string, number]> = Object.entries(TCP_FLAGS) as [string, number][];
/** `tcpFlags` of a view by flag bits (FIN..URG: 64 values), made once each. */
const FLAG_TEXTS: readonly string[] = Array.from({ length: 64 }, (_, bits) =>
  FLAG_NAMES.filter(([, bit]) => (bits & bit) !== 0)
    .map(([name]) => name)
    .join(','),
);

function flagText(flags: number): string {
  return flags >= 0 && flags < FLAG_TEXTS.length ? FLAG_TEXTS[flags] : FLAG_NAMES.filter(([, bit]) => (flags & bit) !== 0).map(([name]) => name).join(',');
}

/**
 * The packet as plain data; `ttl` (when given) stands for the packet's own.
 * Built field by field in the views' key order (`tcpFlags` and `ttl` last,
 * only when set): JSON of a view is part of answers.
 */
export function packetView(p: Packet, ttl: number | null = null): PacketView {
  const view: { -readonly [K in keyof PacketView]: PacketView[K] } = {
    protocol: p.protocol,
    source: formatIp(p.source),
    sourcePort: p.sourcePort,
    destination: formatIp(p.destination),
    destinationPort: p.destinationPort,
    inInterface: p.inInterface ?? null,
    outInterface: p.outInterface ?? null,
    mark: p.mark,
    ctstate: p.ctstate,
  };
  if (p.protocol === 'tcp' && p.tcpFlags !== undefined) view.tcpFlags = flagText(p.tcpFlags);
  if (isIcmpProtocol(p.protocol)) {
    view.icmpType = p.icmpType ?? echoRequestType(p.protocol);
    view.icmpCode = p.icmpCode ?? 0;
    if (p.icmpId !== undefined) view.icmpId = p.icmpId;
    if (p.inner !== undefined) view.embedded = embeddedText(p.inner);
  }
  if (ttl !== null) view.ttl = ttl;
  else if (p.ttl !== undefined) view.ttl = p.ttl;
  return view;
}
