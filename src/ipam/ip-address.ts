/**
 * A parsed IP address of either family, and the service-range arithmetic the
 * ClusterIP allocator needs on top of it: "offset k of this range" and back.
 */
import { formatIPv4, tryParseIPv4, tryParseIPv4Cidr } from '../common/ipv4';
import { DomainError } from '../common/domain-error';
import { formatIPv6, tryParseIPv6, tryParseIPv6Cidr } from './ipv6';
import { IpFamily } from './types';

export type IpAddress = { family: 'IPv4'; value: number } | { family: 'IPv6'; value: bigint };

export function tryParseIp(text: string): IpAddress | undefined {
  if (typeof text !== 'string') return undefined;
  const v4 = tryParseIPv4(text);
  if (v4 !== undefined) return { family: 'IPv4', value: v4 };
  const v6 = tryParseIPv6(text);
  if (v6 !== undefined) return { family: 'IPv6', value: v6 };
  return undefined;
}

/** Parses an IP address or throws `INVALID`, with the API server's wording. */
export function parseIp(text: string): IpAddress {
  const ip = typeof text === 'string' ? tryParseIp(text) : undefined;
  if (ip === undefined) {
    throw new DomainError(
      'INVALID',
      `invalid IP address ${JSON.stringify(text)}: must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)`,
    );
  }
  return ip;
}

export function formatIp(ip: IpAddress): string {
  return ip.family === 'IPv4' ? formatIPv4(ip.value) : formatIPv6(ip.value);
}

/** A CIDR of either family, parsed strictly (host bits must be zero). */
export type IpCidr = { family: 'IPv4'; network: number; prefix: number } | { family: 'IPv6'; network: bigint; prefix: number };

export function tryParseCidr(text: string): IpCidr | 'host-bits-set' | undefined {
  const v4 = tryParseIPv4Cidr(text);
  if (v4) return { family: 'IPv4', ...v4 };
  const v6 = tryParseIPv6Cidr(text);
  if (v6) return { family: 'IPv6', ...v6 };
  if (tryParseIPv4Cidr(text, false) || tryParseIPv6Cidr(text, false)) return 'host-bits-set';
  return undefined;
}

export function formatCidr(cidr: IpCidr): string {
  return cidr.family === 'IPv4' ? `${formatIPv4(cidr.network)}/${cidr.prefix}` : `${formatIPv6(cidr.network)}/${cidr.prefix}`;
}

/** The same CIDR with its host bits cleared, for error messages. */
export function canonicalCidrText(text: string): string | undefined {
  const v4 = tryParseIPv4Cidr(text, false);
  if (v4) return `${formatIPv4(v4.network)}/${v4.prefix}`;
  const v6 = tryParseIPv6Cidr(text, false);
  if (v6) return `${formatIPv6(v6.network)}/${v6.prefix}`;
  return undefined;
}

/** Parses a CIDR strictly or throws `INVALID` saying what is wrong with it. */
export function parseCidr(text: string): IpCidr {
  const cidr = typeof text === 'string' ? tryParseCidr(text) : undefined;
  if (cidr === undefined) throw new DomainError('INVALID', `invalid CIDR address: ${text}`);
  if (cidr === 'host-bits-set') {
    throw new DomainError(
      'INVALID',
      `invalid CIDR address: ${text}: must be in canonical form (${JSON.stringify(canonicalCidrText(text))})`,
    );
  }
  return cidr;
}

export function addressBits(family: IpFamily): number {
  return family === 'IPv4' ? 32 : 128;
}

/**
 * A contiguous run of `size` addresses starting at `first`, inside one CIDR:
 * offset k <-> first + k. The ClusterIP allocator's usable addresses.
 */
export class AddressRun {
  private constructor(
    readonly family: IpFamily,
    private readonly first: number | bigint,
    readonly size: number,
  ) {}

  /** The run of a CIDR's addresses from `network + skip`, at most `size` of them. */
  static within(cidr: IpCidr, skip: number, size: number): AddressRun {
    return cidr.family === 'IPv4'
      ? new AddressRun('IPv4', cidr.network + skip, size)
      : new AddressRun('IPv6', cidr.network + BigInt(skip), size);
  }

  /** The offset of `ip` in the run, or undefined when it is not in it (or of the other family). */
  offsetOf(ip: IpAddress): number | undefined {
    if (ip.family === 'IPv4' && this.family === 'IPv4') {
      const offset = ip.value - (this.first as number);
      return offset >= 0 && offset < this.size ? offset : undefined;
    }
    if (ip.family === 'IPv6' && this.family === 'IPv6') {
      const delta = ip.value - (this.first as bigint);
      return delta >= 0n && delta < BigInt(this.size) ? Number(delta) : undefined;
    }
    return undefined;
  }

  addressAt(offset: number): string {
    return this.family === 'IPv4'
      ? formatIPv4((this.first as number) + offset)
      : formatIPv6((this.first as bigint) + BigInt(offset));
  }
}
