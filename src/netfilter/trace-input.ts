/**
 * What a trace takes: a packet as a caller describes it (`TraceInput`),
 * checked and read into the engine's `Packet` by `TraceInputReader` (a bad
 * field is refused naming it, before any path runs), and `replyTo`, the
 * packet that answers one.
 */
import { DomainError } from '../common/domain-error';
import { tryParseIPv4 } from '../common/ipv4';
import { tryParseIPv6 } from '../ipam/ipv6';
import type { IpAddress } from './address';
import type { Connection, Direction } from './conntrack';
import type { Host } from './host';
import { echoRequestType, icmpInverse, isIcmpProtocol, isIcmpQuery } from './icmp';
import { parseMacAddress } from './matches/mac.match';
import type { Ruleset } from './ruleset';
import type { EmbeddedHeader, EntryHook, LocalSocket, Packet, Protocol, SocketOwner } from './types';

type Address = IpAddress | string;

/** A packet to trace. Addresses as numbers or dotted quads. */
export interface TraceInput {
  readonly hook: EntryHook;
  /** The interface it arrives on (PREROUTING: required). */
  readonly inInterface?: string;
  readonly protocol: Protocol;
  /** Required at PREROUTING; at OUTPUT the route lookup picks it when unset. */
  readonly source?: Address;
  readonly sourcePort?: number;
  readonly destination: Address;
  readonly destinationPort?: number;
  readonly mark?: number;
  /** TCP flags (`TCP_FLAGS` bits). Unset: what the connection would send next (SYN first, then ACK). */
  readonly tcpFlags?: number;
  /** ICMP: the type (default 8, echo-request), code (default 0) and, for a query, its identifier (default 0). */
  readonly icmpType?: number;
  readonly icmpCode?: number;
  readonly icmpId?: number;
  readonly ttl?: number;
  /** Bytes, for counters (default by protocol). */
  readonly length?: number;
  /**
   * At OUTPUT: who owns the sending socket (`-m owner`). Unset fields are
   * root's (uid 0, gid 0, no supplementary groups).
   */
  readonly socket?: { readonly uid?: number; readonly gid?: number; readonly groups?: readonly number[] };
  /** At PREROUTING: the Ethernet source of the frame (`-m mac`), e.g. "0a:58:0a:b4:00:02"; unset: no Ethernet header, which `-m mac` never matches. */
  readonly sourceMac?: string;
  /** At PREROUTING: the local socket that takes the packet (`-m socket`): its connection's or a listener's; unset: none. */
  readonly localSocket?: { readonly wildcard?: boolean; readonly transparent?: boolean };
  /** For an ICMP error: the packet it reports on, as it was sent. Makes the error RELATED to that packet's connection. */
  readonly related?: {
    readonly protocol: Protocol;
    readonly source: Address;
    readonly sourcePort?: number;
    readonly destination: Address;
    readonly destinationPort?: number;
    readonly icmpType?: number;
    readonly icmpCode?: number;
    readonly icmpId?: number;
  };
  /**
   * An error (or reset) this host sends about a packet it refused: it carries
   * that packet's connection (the kernel's `nf_ct_attach`), RELATED in the
   * other direction, known or not to the table (a refused packet's connection
   * is never confirmed).
   */
  readonly attachedTo?: { readonly connection: Connection; readonly direction: Direction };
}

const ROOT_SOCKET: SocketOwner = Object.freeze({ uid: 0, gid: 0, groups: Object.freeze([]) as readonly number[] });

/** The owner of a local packet's socket: root's unless the trace says otherwise. */
function socketOwner(given: TraceInput['socket']): SocketOwner {
  if (given === undefined || (given.uid === undefined && given.gid === undefined && given.groups === undefined)) return ROOT_SOCKET;
  return { uid: (given.uid ?? 0) >>> 0, gid: (given.gid ?? 0) >>> 0, groups: given.groups ?? [] };
}

/**
 * Reads trace inputs for one engine: addresses of its ruleset's family,
 * interfaces its host has.
 */
export class TraceInputReader {
  constructor(
    private readonly ruleset: Ruleset,
    private readonly host: Host,
  ) {}

  /** An address of the ruleset's family: IPv4 for iptables, IPv6 for ip6tables. Another family's is refused, naming the field. */
  private address(value: Address | undefined, field: string): IpAddress | undefined {
    if (value === undefined) return undefined;
    if (this.ruleset.family === 'ipv6') {
      const parsed6 = typeof value === 'bigint' ? value : typeof value === 'string' ? tryParseIPv6(value) : undefined;
      if (parsed6 === undefined) {
        const why = typeof value === 'number' || (typeof value === 'string' && tryParseIPv4(value) !== undefined) ? ' (the ruleset is ip6tables: IPv6 only)' : '';
        throw new DomainError('INVALID', `${field}: ${JSON.stringify(typeof value === 'number' ? String(value) : value)} is not an IPv6 address${why}`, { field });
      }
      return parsed6;
    }
    if (typeof value === 'bigint' || (typeof value === 'string' && value.includes(':'))) {
      throw new DomainError('INVALID', `${field}: "${String(value)}" is not an IPv4 address (the ruleset is iptables: IPv4 only; an IPv6 packet needs an ip6tables ruleset)`, { field });
    }
    if (typeof value === 'number') {
      if (!Number.isInteger(value) || value < 0 || value > 0xffffffff) throw new DomainError('INVALID', `${field}: ${value} is not an IPv4 address`, { field });
      return value >>> 0;
    }
    const parsed = tryParseIPv4(value);
    if (parsed === undefined) throw new DomainError('INVALID', `${field}: "${value}" is not an IPv4 address`, { field });
    return parsed;
  }

  /** The frame's Ethernet source, normalized; only a packet arriving on an interface has one. */
  private sourceMac(input: TraceInput): string | undefined {
    if (input.sourceMac === undefined) return undefined;
    if (input.hook !== 'PREROUTING') {
      throw new DomainError('INVALID', 'packet.sourceMac: only a packet arriving on an interface (hook PREROUTING) has an Ethernet source', { field: 'packet.sourceMac' });
    }
    const mac = typeof input.sourceMac === 'string' ? parseMacAddress(input.sourceMac) : undefined;
    if (mac === undefined) throw new DomainError('INVALID', `packet.sourceMac: "${String(input.sourceMac)}" is not a MAC address (six hex bytes separated by colons)`, { field: 'packet.sourceMac' });
    return mac;
  }

  /** The local socket an arriving packet reaches; only a packet arriving on an interface is looked up. */
  private localSocket(input: TraceInput): LocalSocket | undefined {
    const given = input.localSocket;
    if (given === undefined) return undefined;
    if (input.hook !== 'PREROUTING') {
      throw new DomainError('INVALID', 'packet.localSocket: only a packet arriving on an interface (hook PREROUTING) is looked up in the local sockets', { field: 'packet.localSocket' });
    }
    return { wildcard: given.wildcard === true, transparent: given.transparent === true };
  }

  private port(value: number | undefined, protocol: Protocol, field: string): number {
    if (isIcmpProtocol(protocol)) return 0;
    if (value === undefined || !Number.isInteger(value) || value < 0 || value > 65535) {
      throw new DomainError('INVALID', `${field}: a ${protocol} packet needs a port between 0 and 65535`, { field });
    }
    return value;
  }

  /** An ICMP packet's type (default echo-request), code (default 0) and, for a query, id (default 0). */
  private icmpFields(input: { icmpType?: number; icmpCode?: number; icmpId?: number }, field: string, protocol: 'icmp' | 'icmpv6'): { icmpType: number; icmpCode: number; icmpId: number | undefined } {
    const byte = (value: number | undefined, name: string, fallback: number, max: number): number => {
      if (value === undefined) return fallback;
      if (!Number.isInteger(value) || value < 0 || value > max) {
        throw new DomainError('INVALID', `${field}.${name}: ${value} is not between 0 and ${max}`, { field: `${field}.${name}` });
      }
      return value;
    };
    const icmpType = byte(input.icmpType, 'icmpType', echoRequestType(protocol), 255);
    const icmpCode = byte(input.icmpCode, 'icmpCode', 0, 255);
    const icmpId = isIcmpQuery(icmpType, protocol) ? byte(input.icmpId, 'icmpId', 0, 65535) : undefined;
    return { icmpType, icmpCode, icmpId };
  }

  /** The packet a trace starts with, checked field by field. */
  packet(input: TraceInput): Packet {
    if (input.hook !== 'PREROUTING' && input.hook !== 'OUTPUT') {
      throw new DomainError('INVALID', `packet.hook: a packet enters at PREROUTING or OUTPUT, not "${String(input.hook)}"`, { field: 'packet.hook' });
    }
    if (input.hook === 'PREROUTING') {
      if (input.inInterface === undefined) {
        throw new DomainError('INVALID', 'packet.inInterface: a packet entering at PREROUTING arrives on an interface', { field: 'packet.inInterface' });
      }
      if (input.source === undefined) {
        throw new DomainError('INVALID', 'packet.source: a packet entering at PREROUTING needs a source address', { field: 'packet.source' });
      }
    }
    if (input.hook === 'PREROUTING' && input.socket !== undefined) {
      throw new DomainError('INVALID', 'packet.socket: only a packet sent by a local process (hook OUTPUT) has a socket', { field: 'packet.socket' });
    }
    const sourceMac = this.sourceMac(input);
    if (input.inInterface !== undefined && !this.host.hasInterface(input.inInterface)) {
      throw new DomainError('INVALID', `packet.inInterface: the host has no interface "${input.inInterface}"`, { field: 'packet.inInterface' });
    }
    const protocol = input.protocol;
    if (protocol !== 'tcp' && protocol !== 'udp' && protocol !== 'sctp' && !isIcmpProtocol(protocol)) {
      throw new DomainError('INVALID', `packet.protocol: "${String(protocol)}" is not tcp, udp, sctp, icmp or icmpv6`, { field: 'packet.protocol' });
    }
    if (protocol === 'icmp' && this.ruleset.family === 'ipv6') {
      // ICMP (protocol 1) is IPv4's; IPv6 has ICMPv6 (protocol 58).
      throw new DomainError('INVALID', 'packet.protocol: icmp is an IPv4 protocol; an IPv6 packet is icmpv6 (ip6tables -p ipv6-icmp) (the ruleset is ip6tables)', { field: 'packet.protocol' });
    }
    if (protocol === 'icmpv6' && this.ruleset.family === 'ipv4') {
      throw new DomainError('INVALID', 'packet.protocol: icmpv6 is an IPv6 protocol; an IPv4 packet is icmp (the ruleset is iptables)', { field: 'packet.protocol' });
    }
    const source = this.address(input.source, 'packet.source') ?? (this.ruleset.family === 'ipv6' ? 0n : 0);
    const destination = this.address(input.destination, 'packet.destination')!;
    const sourcePort = this.port(input.sourcePort, protocol, 'packet.sourcePort');
    const destinationPort = this.port(input.destinationPort, protocol, 'packet.destinationPort');
    // TCP flags left unset are filled in from conntrack once the source is known (see `ConntrackStage.firstLookup`, conntrack-stage.ts).
    const tcpFlags = input.tcpFlags;
    const icmp = isIcmpProtocol(protocol) ? this.icmpFields(input, 'packet', protocol) : undefined;
    return {
      protocol,
      source,
      destination,
      sourcePort,
      destinationPort,
      icmpType: icmp?.icmpType,
      icmpCode: icmp?.icmpCode,
      icmpId: icmp?.icmpId,
      tcpFlags,
      inInterface: input.hook === 'PREROUTING' ? input.inInterface : undefined,
      outInterface: undefined,
      sourceMac,
      localSocket: this.localSocket(input),
      mark: (input.mark ?? 0) >>> 0,
      ctstate: 'INVALID',
      ttl: input.ttl,
      length: input.length,
      socket: input.hook === 'OUTPUT' ? socketOwner(input.socket) : undefined,
    };
  }

  /** An ICMP error's embedded header (`related`: the packet it reports on), checked as the packet's own fields are. */
  embedded(r: NonNullable<TraceInput['related']>): EmbeddedHeader {
    const protocol = r.protocol;
    return {
      protocol,
      source: this.address(r.source, 'packet.related.source')!,
      sourcePort: this.port(r.sourcePort ?? 0, protocol, 'packet.related.sourcePort'),
      destination: this.address(r.destination, 'packet.related.destination')!,
      destinationPort: this.port(r.destinationPort ?? 0, protocol, 'packet.related.destinationPort'),
      ...(isIcmpProtocol(protocol) ? this.icmpFields(r, 'packet.related', protocol) : {}),
    };
  }
}

/**
 * The packet that answers one that left (or arrived): source and
 * destination swapped, entering at `hook` (PREROUTING on `inInterface`, or
 * OUTPUT when this host answers).
 */
export function replyTo(packet: Packet, entry: { hook: EntryHook; inInterface?: string }): TraceInput {
  const reply: TraceInput = {
    hook: entry.hook,
    inInterface: entry.hook === 'PREROUTING' ? entry.inInterface : undefined,
    protocol: packet.protocol,
    source: packet.destination,
    sourcePort: packet.destinationPort,
    destination: packet.source,
    destinationPort: packet.sourcePort,
  };
  // An ICMP query is answered by its reply type (echo-request 8 -> echo-reply 0), with the same id.
  if (!isIcmpProtocol(packet.protocol)) return reply;
  const type = packet.icmpType ?? echoRequestType(packet.protocol);
  return { ...reply, icmpType: icmpInverse(type, packet.protocol) ?? type, icmpCode: packet.icmpCode ?? 0, icmpId: packet.icmpId };
}
