/**
 * Addresses of both families, as the engine holds them.
 *
 * An IPv4 address is an unsigned 32-bit `number` (src/common/ipv4.ts): the
 * IPv4 hot path keeps its integer arithmetic. An IPv6 address is a 128-bit
 * `bigint` (parsed and printed by src/ipam/ipv6.ts). A ruleset, a host and
 * a traced packet each have one family; the `typeof` of an address says
 * which, so code that must handle both asks `isIPv6`.
 *
 * `ip-num` is not used here: its IPv6 objects allocate per operation, and
 * the traversal compares addresses per rule; a `bigint` AND and compare is
 * what the kernel's `ipv6_masked_addr_cmp` does, in one step.
 */
import { formatIPv4, tryParseIPv4 } from '../common/ipv4';
import { formatIPv6, tryParseIPv6 } from '../ipam/ipv6';

export type IpAddress = number | bigint;

/** A ruleset's family: `iptables` (ipv4) or `ip6tables` (ipv6). */
export type IpFamily = 'ipv4' | 'ipv6';

export const IP_FAMILIES: readonly IpFamily[] = ['ipv4', 'ipv6'];

export const IPV6_ALL_ONES = (1n << 128n) - 1n;

export function isIPv6(address: IpAddress): address is bigint {
  return typeof address === 'bigint';
}

export function familyOf(address: IpAddress): IpFamily {
  return typeof address === 'bigint' ? 'ipv6' : 'ipv4';
}

/** Dotted quad or RFC 5952 text. */
export function formatIp(address: IpAddress): string {
  return typeof address === 'bigint' ? formatIPv6(address) : formatIPv4(address);
}

/** `10.0.0.1:80`, `[fd00::1]:80`. */
export function formatIpPort(address: IpAddress, port: number): string {
  return typeof address === 'bigint' ? `[${formatIPv6(address)}]:${port}` : `${formatIPv4(address)}:${port}`;
}

/** Either family's text; `undefined` when it is neither. */
export function tryParseIp(text: string): IpAddress | undefined {
  return text.includes(':') ? tryParseIPv6(text) : tryParseIPv4(text);
}

/** The masks of the IPv6 prefix lengths 0..128, made once (rules and sets ask for them per address). */
const IPV6_PREFIX_MASKS: readonly bigint[] = Array.from({ length: 129 }, (_, prefix) => (prefix === 0 ? 0n : (IPV6_ALL_ONES << BigInt(128 - prefix)) & IPV6_ALL_ONES));

/** The mask of an IPv6 prefix length. */
export function ipv6PrefixMask(prefix: number): bigint {
  return IPV6_PREFIX_MASKS[prefix] ?? (prefix === 0 ? 0n : (IPV6_ALL_ONES << BigInt(128 - prefix)) & IPV6_ALL_ONES);
}

/** The prefix length of a contiguous IPv6 mask, or -1. */
export function ipv6MaskPrefix(mask: bigint): number {
  if (mask === 0n) return 0;
  const inverted = ~mask & IPV6_ALL_ONES;
  if ((inverted & (inverted + 1n)) !== 0n) return -1;
  return 128 - (inverted + 1n).toString(2).length + 1;
}

/** Whether `address` lies in `network/prefix` (both of one family). */
export function ipInPrefix(network: IpAddress, prefix: number, address: IpAddress): boolean {
  if (typeof network === 'bigint') {
    return typeof address === 'bigint' && (address & ipv6PrefixMask(prefix)) === network;
  }
  if (typeof address === 'bigint') return false;
  const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  return ((address & mask) >>> 0) === network;
}

/** The address as an IPv4 number; a bigint (IPv6) where only IPv4 makes sense is a programming error. */
export function v4(address: IpAddress): number {
  if (typeof address === 'bigint') throw new TypeError(`IPv4 address expected, got ${formatIPv6(address)}`);
  return address;
}

/** An address folded to 32 bits, for hashing: IPv4 as is, IPv6 as the XOR of its four words. */
export function foldAddress(a: IpAddress): number {
  if (typeof a === 'number') return a;
  return Number(BigInt.asUintN(32, a ^ (a >> 32n) ^ (a >> 64n) ^ (a >> 96n)));
}
