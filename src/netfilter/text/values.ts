/**
 * Reading and writing the values that appear in iptables rule text, the way
 * iptables 1.8 reads and writes them: numbers in C `strtoul` base 0 (hex
 * `0x10`, octal `010`, decimal), lenient IPv4 addresses (`10.1` is
 * 10.1.0.0), masks as prefix lengths or dotted quads, and the quoting rule
 * of `iptables-save`.
 */
import { formatIPv6, tryParseIPv6 } from '../../ipam/ipv6';
import { IPV6_ALL_ONES, ipv6MaskPrefix, ipv6PrefixMask, type IpAddress } from '../address';
import { RuleSyntaxError } from '../module';

const CODE_0 = 48;
const CODE_7 = 55;
const CODE_9 = 57;

function hexDigit(code: number): number {
  if (code >= CODE_0 && code <= CODE_9) return code - CODE_0;
  if (code >= 97 && code <= 102) return code - 87; // a-f
  if (code >= 65 && code <= 70) return code - 55; // A-F
  return -1;
}

/**
 * An unsigned integer in C `strtoul(text, &end, 0)` form, the whole text
 * consumed: `0x` hex, a leading `0` octal, else decimal. No sign, no
 * spaces. `undefined` when not a number or above `max`.
 */
export function parseUnsigned(text: string, max = 0xffffffff): number | undefined {
  const n = text.length;
  if (n === 0) return undefined;
  let value = 0;
  let i = 0;
  let base = 10;
  if (text.charCodeAt(0) === CODE_0 && n > 1) {
    const second = text.charCodeAt(1);
    if ((second === 120 || second === 88) && n > 2) {
      base = 16;
      i = 2;
    } else {
      base = 8;
      i = 1;
    }
  }
  for (; i < n; i++) {
    const code = text.charCodeAt(i);
    let digit: number;
    if (base === 16) digit = hexDigit(code);
    else if (base === 8) digit = code >= CODE_0 && code <= CODE_7 ? code - CODE_0 : -1;
    else digit = code >= CODE_0 && code <= CODE_9 ? code - CODE_0 : -1;
    if (digit < 0) return undefined;
    value = value * base + digit;
    if (value > max) return undefined;
  }
  return value;
}

/** A plain decimal number (no base prefixes), for prefix lengths and the like. */
export function parseDecimal(text: string, max: number): number | undefined {
  if (text.length === 0 || text.length > 10) return undefined;
  let value = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < CODE_0 || code > CODE_9) return undefined;
    value = value * 10 + (code - CODE_0);
  }
  return value <= max ? value : undefined;
}

/** Formats a 32-bit value as iptables does: `0x4000`. */
export function hex(value: number): string {
  return '0x' + (value >>> 0).toString(16);
}

// ---------------------------------------------------------------------------
// Ports
// ---------------------------------------------------------------------------

/**
 * Service names iptables resolves through /etc/services. Only the common
 * ones are known here; others are refused.
 */
const SERVICES: ReadonlyMap<string, number> = new Map([
  ['ftp-data', 20],
  ['ftp', 21],
  ['ssh', 22],
  ['telnet', 23],
  ['smtp', 25],
  ['domain', 53],
  ['bootps', 67],
  ['bootpc', 68],
  ['tftp', 69],
  ['http', 80],
  ['www', 80],
  ['kerberos', 88],
  ['pop3', 110],
  ['ntp', 123],
  ['imap2', 143],
  ['snmp', 161],
  ['ldap', 389],
  ['https', 443],
  ['submission', 587],
  ['ldaps', 636],
  ['imaps', 993],
  ['pop3s', 995],
  ['mysql', 3306],
  ['postgresql', 5432],
]);

/** A port number (strtoul base 0) or known service name; `undefined` if neither. */
export function parsePort(text: string): number | undefined {
  const number = parseUnsigned(text, 65535);
  if (number !== undefined) return number;
  return SERVICES.get(text);
}

export interface PortRange {
  readonly min: number;
  readonly max: number;
}

export const ALL_PORTS: PortRange = { min: 0, max: 65535 };

/**
 * `80`, `1024:65535`, `:1024` (from 0), `1024:` (to 65535). Throws a
 * `RuleSyntaxError` naming the option on a bad value.
 */
export function parsePortRange(text: string, option: string): PortRange {
  const colon = text.indexOf(':');
  if (colon < 0) {
    const port = parsePort(text);
    if (port === undefined) throw new RuleSyntaxError(`invalid port "${text}" for ${option}`);
    return { min: port, max: port };
  }
  const lowText = text.slice(0, colon);
  const highText = text.slice(colon + 1);
  const min = lowText === '' ? 0 : parsePort(lowText);
  const max = highText === '' ? 65535 : parsePort(highText);
  if (min === undefined || max === undefined) {
    throw new RuleSyntaxError(`invalid port range "${text}" for ${option}`);
  }
  if (min > max) throw new RuleSyntaxError(`invalid port range "${text}" for ${option} (min > max)`);
  return { min, max };
}

/** `80`, or `80:90`, as iptables-save prints a range. */
export function formatPortRange(range: PortRange): string {
  return range.min === range.max ? String(range.min) : `${range.min}:${range.max}`;
}

export function isAllPorts(range: PortRange): boolean {
  return range.min === 0 && range.max === 65535;
}

// ---------------------------------------------------------------------------
// Addresses
// ---------------------------------------------------------------------------

/**
 * An IPv4 address as iptables reads it: one to four dot-separated parts,
 * each a strtoul base-0 number up to 255; missing trailing parts are zero
 * (`10.1` is 10.1.0.0, as a network). Host names are not resolved.
 */
export function parseAddress(text: string, start = 0, end = text.length): number | undefined {
  let value = 0;
  let parts = 0;
  let i = start;
  for (;;) {
    // One part, strtoul base 0: 0x1f, 017, 17.
    let base = 10;
    if (text.charCodeAt(i) === CODE_0 && i + 1 < end && text.charCodeAt(i + 1) !== 46) {
      const second = text.charCodeAt(i + 1);
      if (second === 120 || second === 88) {
        base = 16;
        i += 2;
      } else {
        base = 8;
        i += 1;
      }
    }
    let octet = 0;
    let digits = 0;
    for (; i < end; i++) {
      const code = text.charCodeAt(i);
      if (code === 46) break; // .
      let digit: number;
      if (base === 16) digit = hexDigit(code);
      else if (base === 8) digit = code >= CODE_0 && code <= CODE_7 ? code - CODE_0 : -1;
      else digit = code >= CODE_0 && code <= CODE_9 ? code - CODE_0 : -1;
      if (digit < 0) return undefined;
      octet = octet * base + digit;
      if (octet > 255) return undefined;
      digits++;
    }
    if (digits === 0 && base !== 8) return undefined;
    value = value * 256 + octet;
    parts++;
    if (i >= end) break;
    if (parts === 4) return undefined;
    i++; // the dot
    if (i >= end) return undefined;
  }
  for (; parts < 4; parts++) value *= 256;
  return value >>> 0;
}

/** Prefix length of a contiguous mask, or -1. */
export function maskToPrefix(mask: number): number {
  const m = mask >>> 0;
  if (m === 0) return 0;
  const inverted = ~m >>> 0;
  if ((inverted & (inverted + 1)) !== 0) return -1;
  return 32 - Math.log2(inverted + 1);
}

export function prefixToMask(prefix: number): number {
  return prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
}

function formatDotted(value: number): string {
  return `${value >>> 24}.${(value >>> 16) & 255}.${(value >>> 8) & 255}.${value & 255}`;
}

export interface AddressMask {
  /** The address with host bits cleared. */
  readonly address: number;
  readonly mask: number;
}

/**
 * `10.0.0.1`, `10.0.0.0/8`, `10.0.0.0/255.0.0.0`. Host bits are cleared as
 * iptables does (`-d 10.1.2.3/16` is 10.1.0.0/16).
 */
export function parseAddressMask(text: string, option: string): AddressMask {
  const slash = text.indexOf('/');
  const address = parseAddress(text, 0, slash < 0 ? text.length : slash);
  if (address === undefined && text.indexOf(':') >= 0) {
    // An IPv6 address in an iptables (IPv4) rule: iptables' own words.
    throw new RuleSyntaxError(`host/network \`${slash < 0 ? text : text.slice(0, slash)}' not found`);
  }
  if (address === undefined) throw new RuleSyntaxError(`invalid address "${text}" for ${option}`);
  let mask = 0xffffffff;
  if (slash >= 0) {
    const maskText = text.slice(slash + 1);
    if (maskText.indexOf('.') >= 0) {
      const dotted = maskText.split('.').length === 4 ? parseAddress(maskText) : undefined;
      if (dotted === undefined) throw new RuleSyntaxError(`invalid mask "${maskText}" for ${option}`);
      mask = dotted;
    } else {
      const prefix = parseUnsigned(maskText, 32);
      if (prefix === undefined) throw new RuleSyntaxError(`invalid mask "${maskText}" for ${option}`);
      mask = prefixToMask(prefix);
    }
  }
  return { address: (address & mask) >>> 0, mask };
}

/**
 * An ip6tables `-s` / `-d`: `fd00::1`, `fd00::/64`, or a mask in address form
 * (`fd00::/ffff:ffff::`). Host bits are cleared. A text that is no IPv6
 * address is refused as ip6tables refuses it: ``host/network `10.0.0.1' not found``.
 */
export function parseAddressMask6(text: string, option: string): { address: bigint; mask: bigint } {
  const slash = text.indexOf('/');
  const addressText = slash < 0 ? text : text.slice(0, slash);
  const address = tryParseIPv6(addressText);
  if (address === undefined) throw new RuleSyntaxError(`host/network \`${addressText}' not found`);
  let mask = IPV6_ALL_ONES;
  if (slash >= 0) {
    const maskText = text.slice(slash + 1);
    if (maskText.indexOf(':') >= 0) {
      const m = tryParseIPv6(maskText);
      if (m === undefined) throw new RuleSyntaxError(`invalid mask "${maskText}" for ${option}`);
      mask = m;
    } else {
      const prefix = parseUnsigned(maskText, 128);
      if (prefix === undefined) throw new RuleSyntaxError(`invalid mask "${maskText}" for ${option}`);
      mask = ipv6PrefixMask(prefix);
    }
  }
  return { address: address & mask, mask };
}

/** `10.0.0.1/32`, `10.0.0.0/8`, or `10.0.0.0/255.0.255.0` for a non-contiguous mask; IPv6 as ip6tables prints it (`fd00::/64`, `::1/128`). */
export function formatAddressMask(address: IpAddress, mask: IpAddress): string {
  if (typeof address === 'bigint' || typeof mask === 'bigint') {
    const m = BigInt(mask);
    const prefix6 = ipv6MaskPrefix(m);
    return `${formatIPv6(BigInt(address))}/${prefix6 >= 0 ? prefix6 : formatIPv6(m)}`;
  }
  const prefix = maskToPrefix(mask);
  return `${formatDotted(address)}/${prefix >= 0 ? prefix : formatDotted(mask)}`;
}

export { formatDotted as formatAddress };

// ---------------------------------------------------------------------------
// Marks
// ---------------------------------------------------------------------------

export interface ValueMask {
  readonly value: number;
  readonly mask: number;
}

/** `value[/mask]`, both strtoul base 0, 32-bit; the mask defaults to all ones. */
export function parseValueMask(text: string, option: string): ValueMask {
  const slash = text.indexOf('/');
  const value = parseUnsigned(slash < 0 ? text : text.slice(0, slash));
  const mask = slash < 0 ? 0xffffffff : parseUnsigned(text.slice(slash + 1));
  if (value === undefined || mask === undefined) {
    throw new RuleSyntaxError(`invalid value "${text}" for ${option}`);
  }
  return { value, mask };
}

export function parseU32(text: string, option: string): number {
  const value = parseUnsigned(text);
  if (value === undefined) throw new RuleSyntaxError(`invalid value "${text}" for ${option}`);
  return value;
}

// ---------------------------------------------------------------------------
// Strings
// ---------------------------------------------------------------------------

function isPlainChar(code: number): boolean {
  return (
    (code >= 97 && code <= 122) || // a-z
    (code >= 65 && code <= 90) || // A-Z
    (code >= CODE_0 && code <= CODE_9) ||
    code === 95 || // _
    code === 45 // -
  );
}

/**
 * A string argument as `iptables-save` writes it: bare when every character
 * is a letter, digit, `_` or `-`; otherwise in double quotes with `"`, `\`
 * and `'` escaped by a backslash. The empty string is `""`.
 */
export function saveString(value: string): string {
  let plain = value.length > 0;
  for (let i = 0; plain && i < value.length; i++) plain = isPlainChar(value.charCodeAt(i));
  if (plain) return value;
  let out = '"';
  let from = 0;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c === 34 || c === 92 || c === 39) {
      out += value.slice(from, i) + '\\' + value[i];
      from = i + 1;
    }
  }
  return out + value.slice(from) + '"';
}

/**
 * Cuts a string to at most `maxBytes` bytes of UTF-8, as the kernel's
 * fixed-size fields do (a comment keeps 255 bytes, a log prefix 29).
 */
export function truncateBytes(value: string, maxBytes: number): string {
  if (value.length <= maxBytes / 3) return value;
  const bytes = Buffer.from(value, 'utf8');
  if (bytes.length <= maxBytes) return value;
  return bytes.subarray(0, maxBytes).toString('utf8');
}

/**
 * A flat copy of `value` that does not keep a larger string alive. V8
 * represents `text.slice()` results of 13 characters or more as views into
 * the parent; a parsed rule that kept such a view would pin the whole
 * restore text. (Views are also slow to compare: sorting 100k chain names
 * held as views takes 30 times longer.)
 */
export function detach(value: string): string {
  // Array.prototype.join builds a new flat string.
  return value.length < 13 ? value : [value.slice(0, 1), value.slice(1)].join('');
}
