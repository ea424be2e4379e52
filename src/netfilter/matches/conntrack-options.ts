/**
 * `-m conntrack`'s options beyond `--ctstate`: the connection's protocol
 * (`--ctproto`), the addresses and ports of its original and reply tuples
 * (`--ctorigsrc`, `--ctrepldstport`, ...), its status bits (`--ctstatus`),
 * the seconds left before it expires (`--ctexpire`) and the packet's
 * direction in it (`--ctdir`).
 *
 * As xt_conntrack decides: every option given must hold (each with its own
 * `!`); a packet without a connection (INVALID, UNTRACKED) matches only
 * when the rule also tests `--ctstate` and that test passed. Addresses
 * compare under their mask; port ranges include both ends (a range written
 * high:low matches no port). `--ctstatus` holds when any named bit is set.
 *
 * The words are read as iptables' libxt_conntrack reads them, which is not
 * how `-s` or `--dport` are read: an address goes through the resolver
 * (`10.1` is 10.0.0.1), a port is a decimal number kept modulo 65536 or a
 * service name, and iptables-save prints an address's mask only when it is
 * not /32 (a mask that is not a prefix is not printed at all).
 */
import { v4 } from '../address';
import { RuleSyntaxError, type ParsedOption } from '../module';
import { parseProtocol } from '../text/protocols';
import { formatAddress, maskToPrefix, parsePort, parseUnsigned, prefixToMask } from '../text/values';
import { PROTOCOL_NUMBERS, type ConntrackTupleView, type ConntrackView } from '../types';

/** `--ctstatus` bits, in the order iptables-save prints them (IPS_* in the kernel). */
const STATUS_BITS: ReadonlyArray<[string, number]> = [
  ['EXPECTED', 1],
  ['SEEN_REPLY', 2],
  ['ASSURED', 4],
  ['CONFIRMED', 8],
];

export interface AddressTest {
  readonly address: number;
  readonly mask: number;
  readonly invert: boolean;
}

interface RangeTest {
  readonly min: number;
  readonly max: number;
  readonly invert: boolean;
}

interface ValueTest {
  readonly value: number;
  readonly invert: boolean;
}

/** Every option of one `-m conntrack` but `--ctstate`. */
export interface ConntrackTests {
  readonly proto?: ValueTest;
  readonly origsrc?: AddressTest;
  readonly origdst?: AddressTest;
  readonly replsrc?: AddressTest;
  readonly repldst?: AddressTest;
  readonly origsrcport?: RangeTest;
  readonly origdstport?: RangeTest;
  readonly replsrcport?: RangeTest;
  readonly repldstport?: RangeTest;
  readonly status?: ValueTest;
  readonly expire?: RangeTest;
  /** True for ORIGINAL. */
  readonly original?: boolean;
}

/** The options this file reads, with the words that follow each. */
export const CONNTRACK_TUPLE_OPTIONS = [
  { name: 'ctproto', args: 1, invertible: true },
  { name: 'ctorigsrc', args: 1, invertible: true },
  { name: 'ctorigdst', args: 1, invertible: true },
  { name: 'ctreplsrc', args: 1, invertible: true },
  { name: 'ctrepldst', args: 1, invertible: true },
  { name: 'ctorigsrcport', args: 1, invertible: true },
  { name: 'ctorigdstport', args: 1, invertible: true },
  { name: 'ctreplsrcport', args: 1, invertible: true },
  { name: 'ctrepldstport', args: 1, invertible: true },
  { name: 'ctstatus', args: 1, invertible: true },
  { name: 'ctexpire', args: 1, invertible: true },
  { name: 'ctdir', args: 1 },
] as const;

/**
 * An IPv4 address as the C resolver reads a numeric host (inet_aton): one
 * to four parts, strtoul base 0; the last part fills the bytes left
 * (`10.1` is 10.0.0.1, `10.1.2` is 10.1.0.2).
 */
export function parseResolverAddress(text: string): number | undefined {
  const parts = text.split('.');
  if (parts.length > 4) return undefined;
  const values: number[] = [];
  for (const part of parts) {
    const value = parseUnsigned(part);
    if (value === undefined) return undefined;
    values.push(value);
  }
  let address = 0;
  for (let i = 0; i < values.length - 1; i++) {
    if (values[i] > 255) return undefined;
    address = address * 256 + values[i];
  }
  const restBytes = 5 - values.length;
  const last = values[values.length - 1];
  if (last >= 2 ** (8 * restBytes)) return undefined;
  return (address * 2 ** (8 * restBytes) + last) >>> 0;
}

export function parseAddressTest(option: ParsedOption): AddressTest {
  const text = option.args[0];
  const slash = text.indexOf('/');
  const address = parseResolverAddress(slash < 0 ? text : text.slice(0, slash));
  if (address === undefined) throw new RuleSyntaxError(`host/network "${text}" not found for ${option.spelled}`);
  let mask = 0xffffffff;
  if (slash >= 0) {
    const maskText = text.slice(slash + 1);
    const dotted = maskText.includes('.') ? parseResolverAddress(maskText) : undefined;
    const prefix = maskText.includes('.') ? undefined : parseUnsigned(maskText, 32);
    if (dotted === undefined && prefix === undefined) throw new RuleSyntaxError(`invalid mask "${maskText}" specified`);
    mask = dotted ?? prefixToMask(prefix!);
  }
  return { address, mask, invert: option.inverted };
}

export function formatAddressTest(test: AddressTest): string {
  const prefix = maskToPrefix(test.mask);
  return prefix === 32 || prefix < 0 ? formatAddress(test.address) : `${formatAddress(test.address)}/${prefix}`;
}

function parseCtPort(text: string): number {
  if (/^[0-9]+$/.test(text)) return Number(BigInt(text) & 0xffffn);
  const port = /^[0-9]/.test(text) ? undefined : parsePort(text);
  if (port === undefined) throw new RuleSyntaxError(`Port "${text}" does not resolve to anything.`);
  return port;
}

function parsePortTest(option: ParsedOption): RangeTest {
  const parts = option.args[0].split(':');
  if (parts.length > 2) throw new RuleSyntaxError(`conntrack: Too many components for option "${option.spelled}" (max: 2)`);
  const min = parts[0] === '' ? 0 : parseCtPort(parts[0]);
  const max = parts.length === 1 ? min : parts[1] === '' ? 65535 : parseCtPort(parts[1]);
  return { min, max, invert: option.inverted };
}

function parseExpireTest(option: ParsedOption): RangeTest {
  const parts = option.args[0].split(':');
  const bad = (word: string) =>
    new RuleSyntaxError(`conntrack: bad value for option "${option.spelled}" near "${word}", or out of range (0-4294967295).`);
  if (parts.length > 2) throw bad(option.args[0]);
  const read = (word: string, empty: number) => {
    if (word === '') return empty;
    const value = parseUnsigned(word);
    if (value === undefined) throw bad(word);
    return value;
  };
  const min = read(parts[0], 0);
  const max = parts.length === 1 ? min : read(parts[1], 0xffffffff);
  return { min, max, invert: option.inverted };
}

function parseStatus(option: ParsedOption): ValueTest {
  let bits = 0;
  for (const word of option.args[0].split(',')) {
    const upper = word.toUpperCase();
    if (upper === 'NONE') continue;
    const found = STATUS_BITS.find(([name]) => name === upper);
    if (!found) throw new RuleSyntaxError(`Bad ctstatus "${word}"`);
    bits |= found[1];
  }
  return { value: bits, invert: option.inverted };
}

function formatStatus(bits: number): string {
  const names = STATUS_BITS.filter(([, bit]) => (bits & bit) !== 0).map(([name]) => name);
  return names.length === 0 ? 'NONE' : names.join(',');
}

function parseDirection(option: ParsedOption): boolean {
  const word = option.args[0].toUpperCase();
  if (word === 'ORIGINAL') return true;
  if (word === 'REPLY') return false;
  throw new RuleSyntaxError(`conntrack: Bad value for "${option.spelled}" option: "${option.args[0]}"`);
}

/** Reads the options of one `-m conntrack` but `--ctstate` (each at most once: the parser refuses repeats). */
export function parseConntrackTests(options: readonly ParsedOption[]): ConntrackTests {
  const tests: { -readonly [K in keyof ConntrackTests]: ConntrackTests[K] } = {};
  for (const option of options) {
    switch (option.name) {
      case 'ctproto': {
        const proto = parseProtocol(option.args[0]);
        if (proto === undefined) throw new RuleSyntaxError(`unknown protocol "${option.args[0]}" specified`);
        tests.proto = { value: proto, invert: option.inverted };
        break;
      }
      case 'ctorigsrc':
      case 'ctorigdst':
      case 'ctreplsrc':
      case 'ctrepldst':
        tests[option.name.slice(2) as 'origsrc'] = parseAddressTest(option);
        break;
      case 'ctorigsrcport':
      case 'ctorigdstport':
      case 'ctreplsrcport':
      case 'ctrepldstport':
        tests[option.name.slice(2) as 'origsrcport'] = parsePortTest(option);
        break;
      case 'ctstatus':
        tests.status = parseStatus(option);
        break;
      case 'ctexpire':
        tests.expire = parseExpireTest(option);
        break;
      case 'ctdir':
        tests.original = parseDirection(option);
        break;
    }
  }
  return tests;
}

function addressHolds(test: AddressTest | undefined, address: number): boolean {
  return test === undefined || (((address ^ test.address) & test.mask) === 0) !== test.invert;
}

function rangeHolds(test: RangeTest | undefined, value: number): boolean {
  return test === undefined || (value >= test.min && value <= test.max) !== test.invert;
}

/** Whether the connection's tuples, status, expiry and the packet's direction pass every test given. */
export function connectionHolds(t: ConntrackTests, ct: ConntrackView, now: number): boolean {
  if (t.original !== undefined && (ct.direction === 'original') !== t.original) return false;
  const o: ConntrackTupleView = ct.original;
  const r: ConntrackTupleView = ct.reply;
  if (t.origsrc !== undefined || t.origdst !== undefined || t.replsrc !== undefined || t.repldst !== undefined) {
    if (!addressHolds(t.origsrc, v4(o.source)) || !addressHolds(t.origdst, v4(o.destination))) return false;
    if (!addressHolds(t.replsrc, v4(r.source)) || !addressHolds(t.repldst, v4(r.destination))) return false;
  }
  if (t.proto !== undefined && (PROTOCOL_NUMBERS[o.protocol] === t.proto.value) === t.proto.invert) return false;
  if (!rangeHolds(t.origsrcport, o.sourcePort) || !rangeHolds(t.origdstport, o.destinationPort)) return false;
  if (!rangeHolds(t.replsrcport, r.sourcePort) || !rangeHolds(t.repldstport, r.destinationPort)) return false;
  if (t.status !== undefined && ((connectionStatus(ct) & t.status.value) !== 0) === t.status.invert) return false;
  if (t.expire !== undefined && !rangeHolds(t.expire, secondsLeft(ct, now))) return false;
  return true;
}

/**
 * Whole seconds before the entry expires. A connection not yet confirmed
 * (its first packet, before POSTROUTING or INPUT has entered it in the
 * table) shows 0: its timer only starts at confirmation (checked on Linux 6.18).
 */
export function secondsLeft(ct: ConntrackView, now: number): number {
  return ct.confirmed ? Math.floor(Math.max(0, ct.expires - now) / 1000) : 0;
}

/**
 * IPS_* bits of a connection. A reply-direction packet has already set
 * SEEN_REPLY when the tables see it (conntrack sets it on entry); no
 * connection is EXPECTED, as no helper is simulated.
 */
export function connectionStatus(ct: ConntrackView): number {
  let bits = 0;
  if (ct.seenReply || ct.direction === 'reply') bits |= 2;
  if (ct.assured) bits |= 4;
  if (ct.confirmed) bits |= 8;
  return bits;
}

/** The options as iptables-save prints them after `--ctstate`, each with a leading space. */
export function saveConntrackTests(t: ConntrackTests): string {
  let out = '';
  const not = (invert: boolean) => (invert ? ' !' : '');
  if (t.proto) out += `${not(t.proto.invert)} --ctproto ${t.proto.value}`;
  for (const key of ['origsrc', 'origdst', 'replsrc', 'repldst'] as const) {
    const test = t[key];
    if (test) out += `${not(test.invert)} --ct${key} ${formatAddressTest(test)}`;
  }
  for (const key of ['origsrcport', 'origdstport', 'replsrcport', 'repldstport'] as const) {
    const test = t[key];
    if (test) out += `${not(test.invert)} --ct${key} ${formatRange(test)}`;
  }
  if (t.status) out += `${not(t.status.invert)} --ctstatus ${formatStatus(t.status.value)}`;
  if (t.expire) out += `${not(t.expire.invert)} --ctexpire ${formatRange(t.expire)}`;
  if (t.original !== undefined) out += ` --ctdir ${t.original ? 'ORIGINAL' : 'REPLY'}`;
  return out;
}

function formatRange(test: RangeTest): string {
  return test.min === test.max ? String(test.min) : `${test.min}:${test.max}`;
}
