/**
 * Addresses as kube-proxy reads them: "sloppily" (Go's `netutils.ParseIPSloppy`,
 * which accepts IPv4 octets with leading zeros such as `172.30.0.041`, read as
 * decimal) and re-printed in canonical form, so `192.168.099.022` becomes
 * `192.168.99.22` in every rule (upstream `TestBadIPs`).
 *
 * IPv4 values are unsigned 32-bit numbers, IPv6 values 128-bit bigints, as in
 * the rest of the emulator (`src/common/ipv4.ts`, `src/ipam/ipv6.ts`).
 */
import { formatIPv4, prefixMask, tryParseIPv4 } from '../common/ipv4';
import { formatIPv6, tryParseIPv6 } from '../ipam/ipv6';
import type { IpFamily } from './types';

export type ParsedIp = { family: 'IPv4'; value: number; text: string } | { family: 'IPv6'; value: bigint; text: string };

export type ParsedCidr =
  | { family: 'IPv4'; network: number; prefix: number; text: string }
  | { family: 'IPv6'; network: bigint; prefix: number; text: string };

const V4_MAPPED_PREFIX = 0xffffn << 32n;
const V4_MAPPED_MASK = ((1n << 96n) - 1n) << 32n;

/** Parses an IP address sloppily; IPv4-mapped IPv6 addresses count as IPv4, as in Go. */
export function parseIpSloppy(text: string): ParsedIp | undefined {
  if (typeof text !== 'string' || text.length === 0) return undefined;
  const v4 = tryParseIPv4(text, true);
  if (v4 !== undefined) return { family: 'IPv4', value: v4, text: formatIPv4(v4) };
  const v6 = tryParseIPv6(text);
  if (v6 === undefined) return undefined;
  if ((v6 & V4_MAPPED_MASK) === V4_MAPPED_PREFIX) {
    const value = Number(v6 & 0xffffffffn) >>> 0;
    return { family: 'IPv4', value, text: formatIPv4(value) };
  }
  return { family: 'IPv6', value: v6, text: formatIPv6(v6) };
}

/** The canonical text of an IP address, or undefined when it is not one. */
export function canonicalIp(text: string): string | undefined {
  return parseIpSloppy(text)?.text;
}

const IPV6_ALL_ONES = (1n << 128n) - 1n;

/**
 * Parses `ip/prefix` sloppily (Go's `ParseCIDRSloppy`): leading zeros are fine,
 * host bits are cleared, and `text` is the canonical network form
 * (`203.0.113.000/025` -> `203.0.113.0/25`).
 */
export function parseCidrSloppy(text: string): ParsedCidr | undefined {
  if (typeof text !== 'string') return undefined;
  const slash = text.indexOf('/');
  if (slash < 0) return undefined;
  const prefixText = text.slice(slash + 1);
  if (!/^[0-9]{1,3}$/.test(prefixText)) return undefined;
  const prefix = Number(prefixText);
  const ip = parseIpSloppy(text.slice(0, slash));
  if (ip === undefined) return undefined;
  // An IPv4-mapped address with a /n prefix is not an IPv4 CIDR; keep it simple and refuse it.
  if (ip.family === 'IPv4' && text.slice(0, slash).includes(':')) return undefined;
  if (ip.family === 'IPv4') {
    if (prefix > 32) return undefined;
    const network = (ip.value & prefixMask(prefix)) >>> 0;
    return { family: 'IPv4', network, prefix, text: `${formatIPv4(network)}/${prefix}` };
  }
  if (prefix > 128) return undefined;
  const hostMask = (1n << BigInt(128 - prefix)) - 1n;
  const network = ip.value & ~hostMask & IPV6_ALL_ONES;
  return { family: 'IPv6', network, prefix, text: `${formatIPv6(network)}/${prefix}` };
}

export function cidrContainsIp(cidr: ParsedCidr, ip: ParsedIp): boolean {
  if (cidr.family === 'IPv4') {
    return ip.family === 'IPv4' && ((ip.value & prefixMask(cidr.prefix)) >>> 0) === cidr.network;
  }
  if (ip.family !== 'IPv6') return false;
  const hostMask = (1n << BigInt(128 - cidr.prefix)) - 1n;
  return (ip.value & ~hostMask & IPV6_ALL_ONES) === cidr.network;
}

export function isZeroCidr(cidr: ParsedCidr): boolean {
  return cidr.prefix === 0;
}

export function isLoopback(ip: ParsedIp): boolean {
  return ip.family === 'IPv4' ? ip.value >>> 24 === 127 : ip.value === 1n;
}

/** Go's `net.JoinHostPort`: IPv6 hosts are bracketed. */
export function joinHostPort(ip: string, port: number): string {
  return ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`;
}

export function familyOf(text: string): IpFamily | undefined {
  return parseIpSloppy(text)?.family;
}

/**
 * An address as it may appear on an interface: `a.b.c.d/n`, or a bare IP
 * (taken as a host address). Returns the IP; the prefix is irrelevant to
 * kube-proxy, which only asks whether the IP lies in a nodePortAddresses CIDR.
 */
export function interfaceAddressIp(text: string): ParsedIp | undefined {
  const slash = typeof text === 'string' ? text.indexOf('/') : -1;
  if (slash < 0) return parseIpSloppy(text);
  if (parseCidrSloppy(text) === undefined) return undefined;
  return parseIpSloppy(text.slice(0, slash));
}
