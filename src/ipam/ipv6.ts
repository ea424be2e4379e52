/**
 * IPv6 addresses as 128-bit `bigint`s: parsing as Go's `net.ParseIP` accepts
 * them (hex groups of 1 to 4 digits, one `::`, an optional dotted IPv4 tail;
 * no zones), and printing in the RFC 5952 canonical text form.
 *
 * Only the ClusterIP allocator needs IPv6; everything else in the emulator is
 * IPv4 and uses the uint32 helpers in `common/ipv4.ts`.
 */
import { tryParseIPv4 } from '../common/ipv4';

const GROUP = /^[0-9a-fA-F]{1,4}$/;
const ALL_ONES = (1n << 128n) - 1n;

function parseGroups(text: string): number[] | undefined {
  if (text === '') return [];
  const groups: number[] = [];
  const parts = text.split(':');
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i];
    if (i === parts.length - 1 && part.includes('.')) {
      const v4 = tryParseIPv4(part);
      if (v4 === undefined) return undefined;
      groups.push(v4 >>> 16, v4 & 0xffff);
    } else {
      if (!GROUP.test(part)) return undefined;
      groups.push(parseInt(part, 16));
    }
  }
  return groups;
}

/** The value of a hex digit's char code, or -1. */
function hexDigit(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

/** The groups of the address being read (`parseHexOnly` fills it; one caller at a time). */
const SCRATCH: number[] = [0, 0, 0, 0, 0, 0, 0, 0];

/**
 * `tryParseIPv6` for the common text, hex groups only (no dotted tail), in one
 * pass without allocating: the rule parser reads hundreds of thousands of
 * addresses per ruleset. Same answers as the general path.
 */
function parseHexOnly(text: string): bigint | undefined {
  const n = text.length;
  let count = 0;
  let gap = -1;
  let i = 0;
  if (n >= 2 && text.charCodeAt(0) === 58 && text.charCodeAt(1) === 58) {
    gap = 0;
    i = 2;
  } else if (n === 0 || text.charCodeAt(0) === 58) {
    return undefined;
  }
  while (i < n) {
    let value = 0;
    let digits = 0;
    for (; i < n; i++) {
      const d = hexDigit(text.charCodeAt(i));
      if (d < 0) break;
      if (++digits > 4) return undefined;
      value = value * 16 + d;
    }
    if (digits === 0 || count === 8) return undefined;
    SCRATCH[count++] = value;
    if (i === n) break;
    if (text.charCodeAt(i) !== 58) return undefined;
    i++;
    if (i < n && text.charCodeAt(i) === 58) {
      if (gap >= 0) return undefined;
      gap = count;
      i++;
    } else if (i === n) {
      return undefined;
    }
  }
  if (gap < 0 ? count !== 8 : count > 7) return undefined;
  if (gap >= 0) {
    // Move the groups after the gap to the end, zeros between.
    const tail = count - gap;
    for (let k = 0; k < tail; k++) SCRATCH[7 - k] = SCRATCH[count - 1 - k];
    for (let k = gap; k < 8 - tail; k++) SCRATCH[k] = 0;
  }
  const word = (k: number) => BigInt((SCRATCH[k] * 65536 + SCRATCH[k + 1]) >>> 0);
  return (word(0) << 96n) | (word(2) << 64n) | (word(4) << 32n) | word(6);
}

/** Parses an IPv6 address; `undefined` when the text is not one. */
export function tryParseIPv6(text: string): bigint | undefined {
  if (!text.includes(':')) return undefined;
  if (!text.includes('.')) return parseHexOnly(text);
  const gap = text.indexOf('::');
  let groups: number[] | undefined;
  if (gap < 0) {
    groups = parseGroups(text);
    if (groups === undefined || groups.length !== 8) return undefined;
  } else {
    if (text.indexOf('::', gap + 1) >= 0) return undefined;
    const head = parseGroups(text.slice(0, gap));
    const tail = parseGroups(text.slice(gap + 2));
    if (head === undefined || tail === undefined) return undefined;
    // A dotted tail may only come last, never in the head.
    if (text.slice(0, gap).includes('.')) return undefined;
    const missing = 8 - head.length - tail.length;
    if (missing < 1) return undefined;
    groups = [...head, ...new Array<number>(missing).fill(0), ...tail];
  }
  let value = 0n;
  for (const g of groups) value = (value << 16n) | BigInt(g);
  return value;
}

/**
 * Formats a 128-bit value per RFC 5952: lower-case hex, no leading zeros,
 * the longest run of two or more zero groups (the first one on a tie)
 * written as `::`, and IPv4-mapped addresses as `::ffff:a.b.c.d`.
 */
export function formatIPv6(value: bigint): string {
  // A traced IPv6 packet prints the same few addresses at every hop: their text is kept.
  const known = formatted.get(value);
  if (known !== undefined) return known;
  const text = formatUncached(value);
  if (formatted.size >= FORMATTED_MAX) formatted.clear();
  formatted.set(value, text);
  return text;
}

/** The text of recently formatted addresses (cleared when full). */
const formatted = new Map<bigint, string>();
const FORMATTED_MAX = 4096;

function formatUncached(value: bigint): string {
  if (value < 0n || value > ALL_ONES) throw new RangeError(`${value} is not a 128-bit value`);
  const groups: number[] = [];
  for (let shift = 112n; shift >= 0n; shift -= 16n) groups.push(Number((value >> shift) & 0xffffn));

  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) {
    const v4 = `${groups[6] >>> 8}.${groups[6] & 255}.${groups[7] >>> 8}.${groups[7] & 255}`;
    return `::ffff:${v4}`;
  }

  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = (gs: number[]) => gs.map((g) => g.toString(16)).join(':');
  if (bestStart < 0) return hex(groups);
  return `${hex(groups.slice(0, bestStart))}::${hex(groups.slice(bestStart + bestLength))}`;
}

export interface IPv6Cidr {
  network: bigint;
  prefix: number;
}

/** Parses `addr/n` (n in 0..128, no leading zeros); with `strict`, host bits must be zero. */
export function tryParseIPv6Cidr(text: string, strict = true): IPv6Cidr | undefined {
  const slash = text.indexOf('/');
  if (slash < 0) return undefined;
  const address = tryParseIPv6(text.slice(0, slash));
  const prefixText = text.slice(slash + 1);
  if (address === undefined || !/^(0|[1-9][0-9]{0,2})$/.test(prefixText)) return undefined;
  const prefix = Number(prefixText);
  if (prefix > 128) return undefined;
  const hostMask = (1n << BigInt(128 - prefix)) - 1n;
  const network = address & ~hostMask & ALL_ONES;
  if (strict && network !== address) return undefined;
  return { network, prefix };
}
