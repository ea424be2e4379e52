/**
 * The values nft rules compare: what a selector (`ip saddr`, `meta l4proto`,
 * `ct state`) reads from a packet, and how a constant written in a rule or
 * a set element (`10.0.0.0/8`, `tcp`, `30000-32767`, `established,related`)
 * is read for it. A constant becomes an inclusive range `[lo, hi]` (a prefix
 * and a single value too), a bit mask for the flag types, or a name.
 */
import { tryParseIPv4 } from '../common/ipv4';
import { tryParseIPv6 } from '../ipam/ipv6';
import { formatIp } from '../netfilter/address';

/** The type of a selector's value, as nft's datatypes (`ipv4_addr`, `inet_proto`, `inet_service`, `mark`, `ct_state`...). */
export type ValueKind = 'ipv4' | 'ipv6' | 'proto' | 'port' | 'int' | 'ctstate' | 'ctstatus' | 'fibtype' | 'ifname' | 'verdict';

export type Scalar = number | bigint | string;

/** One constant: a closed range (numbers, addresses), a flag mask, or a name (interface names may end in `*`). */
export type Constant =
  | { readonly kind: 'range'; readonly lo: number | bigint; readonly hi: number | bigint }
  | { readonly kind: 'flags'; readonly mask: number }
  | { readonly kind: 'name'; readonly name: string; readonly prefix: boolean };

/** Protocol numbers by the names nft prints (`/etc/protocols`). */
export const PROTOCOLS: Readonly<Record<string, number>> = { icmp: 1, igmp: 2, tcp: 6, udp: 17, gre: 47, esp: 50, ah: 51, 'ipv6-icmp': 58, icmpv6: 58, sctp: 132, udplite: 136 };
const PROTOCOL_NAMES = new Map<number, string>([
  [1, 'icmp'],
  [2, 'igmp'],
  [6, 'tcp'],
  [17, 'udp'],
  [47, 'gre'],
  [50, 'esp'],
  [51, 'ah'],
  [58, 'ipv6-icmp'],
  [132, 'sctp'],
  [136, 'udplite'],
]);

/** Well-known service names nft accepts for ports. */
const SERVICES: Readonly<Record<string, number>> = { ssh: 22, domain: 53, http: 80, https: 443, ntp: 123 };

/** `ct state` bits (nf_conntrack_common.h, as nft's ct_state type). */
export const CT_STATE_BITS: Readonly<Record<string, number>> = { invalid: 1, established: 2, related: 4, new: 8, untracked: 64 };
/** `ct status` bits (IPS_*). */
export const CT_STATUS_BITS: Readonly<Record<string, number>> = {
  expected: 1,
  'seen-reply': 2,
  assured: 4,
  confirmed: 8,
  snat: 16,
  dnat: 32,
  dying: 512,
};
export const FIB_TYPES: readonly string[] = ['unspec', 'unicast', 'local', 'broadcast', 'anycast', 'multicast', 'blackhole', 'unreachable', 'prohibit', 'throw', 'nat', 'xresolve'];

function parseNumber(text: string): number | undefined {
  if (/^0x[0-9a-f]+$/i.test(text)) return parseInt(text, 16);
  if (/^\d+$/.test(text)) return Number(text);
  return undefined;
}

function unquote(text: string): string {
  return text.length >= 2 && text.startsWith('"') && text.endsWith('"') ? text.slice(1, -1) : text;
}

function parseAddress(kind: 'ipv4' | 'ipv6', text: string): number | bigint | undefined {
  return kind === 'ipv4' ? tryParseIPv4(text) : tryParseIPv6(text);
}

function prefixRange(kind: 'ipv4' | 'ipv6', base: number | bigint, length: number): { lo: number | bigint; hi: number | bigint } | undefined {
  if (kind === 'ipv4') {
    if (!Number.isInteger(length) || length < 0 || length > 32) return undefined;
    const size = 2 ** (32 - length);
    const lo = Math.floor((base as number) / size) * size;
    return { lo, hi: lo + size - 1 };
  }
  if (!Number.isInteger(length) || length < 0 || length > 128) return undefined;
  const size = 1n << BigInt(128 - length);
  const lo = ((base as bigint) / size) * size;
  return { lo, hi: lo + size - 1n };
}

/** A constant of `kind`, or a reason why not. */
export function parseConstant(kind: ValueKind, raw: string): Constant | string {
  const text = unquote(raw);
  switch (kind) {
    case 'ipv4':
    case 'ipv6': {
      const slash = text.indexOf('/');
      if (slash >= 0) {
        const base = parseAddress(kind, text.slice(0, slash));
        const len = Number(text.slice(slash + 1));
        const r = base === undefined ? undefined : prefixRange(kind, base, len);
        return r ? { kind: 'range', ...r } : `"${text}" is not an ${kind === 'ipv4' ? 'IPv4' : 'IPv6'} prefix`;
      }
      const dash = text.indexOf('-');
      if (dash > 0) {
        const lo = parseAddress(kind, text.slice(0, dash));
        const hi = parseAddress(kind, text.slice(dash + 1));
        return lo !== undefined && hi !== undefined && lo <= hi ? { kind: 'range', lo, hi } : `"${text}" is not an address range`;
      }
      const a = parseAddress(kind, text);
      return a === undefined ? `"${text}" is not an ${kind === 'ipv4' ? 'IPv4' : 'IPv6'} address` : { kind: 'range', lo: a, hi: a };
    }
    case 'proto': {
      const n = PROTOCOLS[text] ?? parseNumber(text);
      return n === undefined || n > 255 ? `"${text}" is not a protocol` : { kind: 'range', lo: n, hi: n };
    }
    case 'port':
    case 'int': {
      const dash = text.indexOf('-');
      const one = (t: string) => (kind === 'port' ? (SERVICES[t] ?? parseNumber(t)) : parseNumber(t));
      const lo = one(dash > 0 ? text.slice(0, dash) : text);
      const hi = dash > 0 ? one(text.slice(dash + 1)) : lo;
      const max = kind === 'port' ? 65535 : 0xffffffff;
      if (lo === undefined || hi === undefined || lo > hi || hi > max) return `"${text}" is not ${kind === 'port' ? 'a port' : 'an integer'}${dash > 0 ? ' range' : ''}`;
      return { kind: 'range', lo, hi };
    }
    case 'ctstate':
    case 'ctstatus': {
      const bits = kind === 'ctstate' ? CT_STATE_BITS : CT_STATUS_BITS;
      let mask = 0;
      for (const name of text.split(',')) {
        const bit = bits[name.trim()];
        if (bit === undefined) return `"${name.trim()}" is not a ${kind === 'ctstate' ? 'ct state' : 'ct status'}`;
        mask |= bit;
      }
      return { kind: 'flags', mask };
    }
    case 'fibtype':
      return FIB_TYPES.includes(text) ? { kind: 'name', name: text, prefix: false } : `"${text}" is not an address type`;
    case 'ifname':
      return text.endsWith('*') ? { kind: 'name', name: text.slice(0, -1), prefix: true } : { kind: 'name', name: text, prefix: false };
    case 'verdict':
      return `a verdict cannot be a key`;
  }
}

/** Whether a value read from the packet is in the constant. */
export function inConstant(c: Constant, v: Scalar): boolean {
  switch (c.kind) {
    case 'range':
      return typeof v !== 'string' && v >= c.lo && v <= c.hi;
    case 'flags':
      return typeof v === 'number' && (v & c.mask) !== 0;
    case 'name':
      return typeof v === 'string' && (c.prefix ? v.startsWith(c.name) : v === c.name);
  }
}

/** Recently written IPv4 addresses (a trace looks the same few up again and again). */
const IPV4_TEXT = new Map<number, string>();

/** A packet value as nft lists it in a set element (`10.0.0.1`, `tcp`, `80`), for an exact lookup by element key. */
export function canonicalText(kind: ValueKind, v: Scalar): string {
  switch (kind) {
    case 'ipv4': {
      let text = IPV4_TEXT.get(v as number);
      if (text === undefined) {
        if (IPV4_TEXT.size >= 65536) IPV4_TEXT.clear();
        IPV4_TEXT.set(v as number, (text = formatIp(v as number)));
      }
      return text;
    }
    case 'ipv6':
      return formatIp(v as bigint);
    case 'proto':
      return PROTOCOL_NAMES.get(v as number) ?? String(v);
    case 'int':
      return String(v);
    default:
      return String(v);
  }
}

/** The kind of each part of a set type (`ipv4_addr . inet_proto . inet_service`), and the value's (`verdict`) for a map. */
export function setTypeKinds(type: string): { key: ValueKind[]; value?: ValueKind } | string {
  const [keyText, valueText] = type.split(':').map((s) => s.trim());
  const kinds: ValueKind[] = [];
  for (const part of keyText.split('.').map((s) => s.trim())) {
    const k = TYPE_KINDS[part];
    if (k === undefined) return `set type "${part}" is not modelled`;
    kinds.push(k);
  }
  if (valueText === undefined) return { key: kinds };
  if (valueText !== 'verdict') return `map values of type "${valueText}" are not modelled (verdict maps are)`;
  return { key: kinds, value: 'verdict' };
}

const TYPE_KINDS: Readonly<Record<string, ValueKind>> = {
  ipv4_addr: 'ipv4',
  ipv6_addr: 'ipv6',
  inet_proto: 'proto',
  inet_service: 'port',
  mark: 'int',
  ifname: 'ifname',
  ct_state: 'ctstate',
  integer: 'int',
};

/** `10800s`, `3h`, `1d2h`, `30m`, `500ms` → milliseconds. */
export function parseDuration(text: string): number | undefined {
  const re = /(\d+)(ms|d|h|m|s)/g;
  let total = 0;
  let consumed = 0;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    if (m.index !== consumed) return undefined;
    consumed += m[0].length;
    const n = Number(m[1]);
    total += m[2] === 'ms' ? n : m[2] === 's' ? n * 1000 : m[2] === 'm' ? n * 60000 : m[2] === 'h' ? n * 3600000 : n * 86400000;
  }
  return consumed === text.length && consumed > 0 ? total : undefined;
}
