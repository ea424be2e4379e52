/**
 * The ipset set types kube-netsim models (`family inet` and `family inet6`),
 * as data: what an element of each holds, how the kernel keys it in its hash
 * table, how `ipset save` prints it, and how a packet becomes an element for
 * a test.
 *
 * An element is one flat record (`SetElement`); each type reads the fields
 * it has. Addresses are unsigned 32-bit numbers (inet) or 128-bit bigints
 * (inet6, as the engine holds them), ports host-order numbers,
 * `proto` an IP protocol number (for ICMP the "port" is `type << 8 | code`,
 * as the kernel stores it).
 *
 * Hash keys reproduce the kernel's element structs (`struct hash_*4_elem`,
 * `struct hash_*6_elem`) as the 32-bit words `jhash2` reads on a
 * little-endian machine: addresses and ports are stored in network byte
 * order, so the word holding 10.0.0.1 is 0x0100000a, and an IPv6 address
 * (`union nf_inet_addr`) is four such words, most significant first. That is
 * what makes `ipset save` list elements in the kernel's order (bucket by
 * bucket).
 */
import { ipv6PrefixMask, type IpAddress } from '../address';
import { prefixMask } from '../../common/ipv4';
import type { Packet } from '../types';
import { PROTOCOL_NUMBERS } from '../types';

export type SetTypeName =
  | 'hash:ip'
  | 'hash:net'
  | 'hash:ip,port'
  | 'hash:net,port'
  | 'hash:ip,port,ip'
  | 'hash:ip,port,net'
  | 'bitmap:port'
  | 'bitmap:ip'
  | 'list:set';

export const SET_TYPE_NAMES: readonly SetTypeName[] = [
  'hash:ip',
  'hash:net',
  'hash:ip,port',
  'hash:net,port',
  'hash:ip,port,ip',
  'hash:ip,port,net',
  'bitmap:port',
  'bitmap:ip',
  'list:set',
];

/** A set's address family, as `ipset` names it (`family inet` / `family inet6`). */
export type SetFamily = 'inet' | 'inet6';

/** One element of a set: the fields its type uses (the others stay 0 / ''). */
export interface SetElement {
  /** First address (hash:ip*, hash:net*, bitmap:ip): a number (inet) or a bigint (inet6). */
  readonly ip: IpAddress;
  /** Prefix length of `ip` (hash:net, hash:net,port); the full length (32, 128) for others. */
  readonly cidr: number;
  /** Port in host order; for ICMP `type << 8 | code`. */
  readonly port: number;
  /** IP protocol number of the port (6 tcp, 17 udp, 1 icmp, ...). */
  readonly proto: number;
  /** Third-dimension address (hash:ip,port,ip / hash:ip,port,net). */
  readonly ip2: IpAddress;
  /** Prefix length of `ip2` (hash:ip,port,net). */
  readonly cidr2: number;
  /** Member set name (list:set). */
  readonly name: string;
}

export const EMPTY_ELEMENT: SetElement = { ip: 0, cidr: 32, port: 0, proto: 0, ip2: 0, cidr2: 32, name: '' };
const EMPTY_ELEMENT6: SetElement = { ip: 0n, cidr: 128, port: 0, proto: 0, ip2: 0n, cidr2: 128, name: '' };

/** The element with nothing set, of the family's address width. */
export function emptyElement(family: SetFamily): SetElement {
  return family === 'inet6' ? EMPTY_ELEMENT6 : EMPTY_ELEMENT;
}

/** The family's full prefix length: 32 (inet) or 128 (inet6). */
export function hostPrefix(family: SetFamily): number {
  return family === 'inet6' ? 128 : 32;
}

/** The address with its bits past `cidr` cleared, in its own family. */
export function maskAddress(ip: IpAddress, cidr: number): IpAddress {
  return typeof ip === 'bigint' ? ip & ipv6PrefixMask(cidr) : (ip & prefixMask(cidr)) >>> 0;
}

/** What a dimension of a type holds: `--match-set NAME src,dst` gives each its direction. */
export type Dimension = 'ip' | 'net' | 'port' | 'set';

export interface SetTypeSpec {
  readonly name: SetTypeName;
  readonly kind: 'hash' | 'bitmap' | 'list';
  /** The element's parts, in order (`hash:ip,port,net`: ip, port, net). */
  readonly dimensions: readonly Dimension[];
  /** Elements may be flagged `nomatch` (the types with a net part). */
  readonly nomatch: boolean;
  /** Which address carries the prefix the kernel tries from longest to shortest (`ip` or `ip2`), if any. */
  readonly nets?: 'ip' | 'ip2';
}

const SPECS: ReadonlyMap<SetTypeName, SetTypeSpec> = new Map<SetTypeName, SetTypeSpec>([
  ['hash:ip', { name: 'hash:ip', kind: 'hash', dimensions: ['ip'], nomatch: false }],
  ['hash:net', { name: 'hash:net', kind: 'hash', dimensions: ['net'], nomatch: true, nets: 'ip' }],
  ['hash:ip,port', { name: 'hash:ip,port', kind: 'hash', dimensions: ['ip', 'port'], nomatch: false }],
  ['hash:net,port', { name: 'hash:net,port', kind: 'hash', dimensions: ['net', 'port'], nomatch: true, nets: 'ip' }],
  ['hash:ip,port,ip', { name: 'hash:ip,port,ip', kind: 'hash', dimensions: ['ip', 'port', 'ip'], nomatch: false }],
  ['hash:ip,port,net', { name: 'hash:ip,port,net', kind: 'hash', dimensions: ['ip', 'port', 'net'], nomatch: true, nets: 'ip2' }],
  ['bitmap:port', { name: 'bitmap:port', kind: 'bitmap', dimensions: ['port'], nomatch: false }],
  ['bitmap:ip', { name: 'bitmap:ip', kind: 'bitmap', dimensions: ['ip'], nomatch: false }],
  ['list:set', { name: 'list:set', kind: 'list', dimensions: ['set'], nomatch: false }],
]);

export function setTypeSpec(name: string): SetTypeSpec | undefined {
  return SPECS.get(name as SetTypeName);
}

// ---------------------------------------------------------------------------
// Hash keys
// ---------------------------------------------------------------------------

/** A big-endian 32-bit value as the little-endian word jhash2 reads from memory. */
function wordBe32(value: number): number {
  return (((value & 0xff) << 24) | ((value >>> 8) & 0xff) << 16 | ((value >>> 16) & 0xff) << 8 | (value >>> 24)) >>> 0;
}

/** An address as the words of its place in the struct: one (`__be32`) or four (`union nf_inet_addr`). */
function addressWords(ip: IpAddress): number[] {
  if (typeof ip === 'number') return [wordBe32(ip)];
  return [96n, 64n, 32n, 0n].map((shift) => wordBe32(Number((ip >> shift) & 0xffffffffn)));
}

/** A big-endian 16-bit port, as the low half of a little-endian word. */
function halfBe16(port: number): number {
  return ((port & 0xff) << 8) | ((port >>> 8) & 0xff);
}

/**
 * The words of the kernel's element struct for a hash type (`HKEY`'s input),
 * nomatch cleared as the kernel clears it before hashing. Prefix lengths of
 * the packed types (`cidr:7`) are stored minus one. The IPv6 structs are the
 * IPv4 ones with each address 16 bytes wide.
 */
export function hashWords(type: SetTypeName, e: SetElement): number[] {
  switch (type) {
    case 'hash:ip':
      return addressWords(e.ip);
    case 'hash:net':
      // { addr ip; u16 padding0; u8 nomatch; u8 cidr; }
      return [...addressWords(e.ip), (e.cidr << 24) >>> 0];
    case 'hash:ip,port':
      // { addr ip; __be16 port; u8 proto; u8 padding; }
      return [...addressWords(e.ip), (halfBe16(e.port) | (e.proto << 16)) >>> 0];
    case 'hash:net,port':
      // { addr ip; __be16 port; u8 proto; u8 cidr:7, nomatch:1; }
      return [...addressWords(e.ip), (halfBe16(e.port) | (e.proto << 16) | ((e.cidr - 1) << 24)) >>> 0];
    case 'hash:ip,port,ip':
      // { addr ip; addr ip2; __be16 port; u8 proto; u8 padding; }
      return [...addressWords(e.ip), ...addressWords(e.ip2), (halfBe16(e.port) | (e.proto << 16)) >>> 0];
    case 'hash:ip,port,net':
      // { addr ip; addr ip2; __be16 port; u8 cidr:7, nomatch:1; u8 proto; }
      return [...addressWords(e.ip), ...addressWords(e.ip2), (halfBe16(e.port) | (((e.cidr2 - 1) & 0x7f) << 16) | (e.proto << 24)) >>> 0];
    default:
      throw new Error(`${type} is not a hash type`);
  }
}

/** A string that identifies an element's value within its set (extensions aside). */
export function elementKey(type: SetTypeName, e: SetElement): string {
  switch (type) {
    case 'hash:ip':
    case 'bitmap:ip':
      return String(e.ip);
    case 'hash:net':
      return `${e.ip}/${e.cidr}`;
    case 'hash:ip,port':
      return `${e.ip},${e.proto}:${e.port}`;
    case 'hash:net,port':
      return `${e.ip}/${e.cidr},${e.proto}:${e.port}`;
    case 'hash:ip,port,ip':
      return `${e.ip},${e.proto}:${e.port},${e.ip2}`;
    case 'hash:ip,port,net':
      return `${e.ip},${e.proto}:${e.port},${e.ip2}/${e.cidr2}`;
    case 'bitmap:port':
      return String(e.port);
    case 'list:set':
      return e.name;
  }
}

// ---------------------------------------------------------------------------
// Packets as elements
// ---------------------------------------------------------------------------

/** The protocols whose ports the kernel reads (`ip_set_get_ip4_port`, `ip_set_get_ip6_port`). */
const PORT_PROTOCOLS: ReadonlySet<number> = new Set([6, 17, 132, 136]);

/**
 * The (protocol, port) a packet gives a port dimension, as `ip_set_get_ip4_port`
 * reads it: the source or destination port for TCP, UDP, SCTP and UDPlite,
 * `type << 8 | code` for ICMP, 0 for any other protocol. Undefined where the
 * kernel gives up (a non-first fragment of a port protocol).
 */
export function packetPort(packet: Packet, source: boolean): { proto: number; port: number } | undefined {
  const proto = PROTOCOL_NUMBERS[packet.protocol];
  if (PORT_PROTOCOLS.has(proto)) {
    if (packet.fragment) return undefined;
    return { proto, port: source ? packet.sourcePort : packet.destinationPort };
  }
  if (proto === 1 || proto === 58) {
    if (packet.fragment) return undefined;
    return { proto, port: ((packet.icmpType ?? 0) << 8) | (packet.icmpCode ?? 0) };
  }
  return { proto, port: 0 };
}

/** The address a packet gives an address dimension. */
export function packetAddress(packet: Packet, source: boolean): IpAddress {
  return source ? packet.source : packet.destination;
}
