import { DomainError } from '../common/domain-error';
import { formatIPv4, tryParseIPv4, tryParseIPv4Cidr } from '../common/ipv4';
import { SeededRandom } from '../common/random';
import { formatIPv6, tryParseIPv6, tryParseIPv6Cidr } from './ipv6';
import { AllocationBitmap } from './allocation-bitmap';
import { RangeKind, RangeStats } from './types';

/** The largest range tracked (a /16). */
const MAX_SIZE = 65536;

/**
 * Addresses handed out lowest-free-first from an inclusive IPv4 range, as
 * kind's Docker network numbers its nodes (172.18.0.2, .3, ...) and as
 * MetalLB-style pools give LoadBalancer ingress addresses
 * (`172.18.255.200-172.18.255.250`). An IPv6 CIDR (kind's Docker network
 * `fc00:f853:ccd:e793::/64`) hands out `::2`, `::3`, ... the same way; only
 * its first 65,536 addresses are tracked.
 */
export class AddressRangeAllocator {
  private readonly bitmap: AllocationBitmap;

  private constructor(
    readonly kind: RangeKind,
    /** The first address: a number (IPv4) or a bigint (IPv6); offsets from it are numbers. */
    private readonly first: number | bigint,
    /** The last offset. */
    private readonly last: number,
    private readonly text: string,
  ) {
    this.bitmap = new AllocationBitmap(last + 1, new SeededRandom(0));
  }

  /**
   * `a.b.c.d-a.b.c.e` (inclusive) or a CIDR, whose network, first (gateway)
   * and broadcast addresses are skipped: `172.18.0.0/16` hands out 172.18.0.2 on.
   */
  static create(kind: RangeKind, range: string): AddressRangeAllocator {
    const text = range.trim();
    let first: number | undefined;
    let last: number | undefined;
    if (text.includes(':')) {
      const cidr6 = tryParseIPv6Cidr(text);
      if (cidr6 === undefined) throw new DomainError('INVALID', `invalid CIDR address: ${text}`);
      if (cidr6.prefix > 125) throw new DomainError('INVALID', `range ${text} is too small: it must hold at least 8 addresses`);
      // ::1 is the gateway's; the rest, up to what is tracked.
      const size = 2n ** BigInt(128 - cidr6.prefix) - 2n;
      return new AddressRangeAllocator(kind, cidr6.network + 2n, size > BigInt(MAX_SIZE) ? MAX_SIZE - 1 : Number(size) - 1, text);
    }
    if (text.includes('/')) {
      const cidr = tryParseIPv4Cidr(text);
      if (cidr === undefined) throw new DomainError('INVALID', `invalid CIDR address: ${text}`);
      if (cidr.prefix > 29) throw new DomainError('INVALID', `range ${text} is too small: it must hold at least 8 addresses`);
      first = cidr.network + 2;
      last = cidr.network + 2 ** (32 - cidr.prefix) - 2;
    } else {
      const [from, to, ...rest] = text.split('-');
      first = tryParseIPv4(from ?? '');
      last = to === undefined ? first : tryParseIPv4(to);
      if (first === undefined || last === undefined || rest.length) {
        throw new DomainError('INVALID', `invalid address range ${JSON.stringify(text)}: expected FIRST-LAST, e.g. 172.18.255.200-172.18.255.250`);
      }
      if (last < first) throw new DomainError('INVALID', `invalid address range ${JSON.stringify(text)}: the last address comes before the first`);
    }
    if (last - first + 1 > MAX_SIZE) {
      throw new DomainError('INVALID', `range ${text} is too large: at most ${MAX_SIZE} addresses are tracked`);
    }
    return new AddressRangeAllocator(kind, first, last - first, text);
  }

  get range(): string {
    return this.text;
  }

  /** The lowest free address; `undefined` when none is left. */
  allocateNext(): string | undefined {
    const offset = this.bitmap.nextFree(0);
    if (offset === undefined) return undefined;
    this.bitmap.allocate(offset);
    return typeof this.first === 'bigint' ? formatIPv6(this.first + BigInt(offset)) : formatIPv4(this.first + offset);
  }

  /** Takes a given address; false when it is outside the range or taken. */
  allocate(ip: string): boolean {
    const offset = this.offsetOf(ip);
    return offset !== undefined && this.bitmap.allocate(offset);
  }

  release(ip: string): void {
    const offset = this.offsetOf(ip);
    if (offset !== undefined) this.bitmap.release(offset);
  }

  has(ip: string): boolean {
    const offset = this.offsetOf(ip);
    return offset !== undefined && this.bitmap.has(offset);
  }

  contains(ip: string): boolean {
    return this.offsetOf(ip) !== undefined;
  }

  stats(): RangeStats {
    return {
      kind: this.kind,
      range: this.text,
      size: this.bitmap.max,
      used: this.bitmap.count,
      free: this.bitmap.free,
      staticBand: null,
    };
  }

  /** The range's family. */
  get family(): 'IPv4' | 'IPv6' {
    return typeof this.first === 'bigint' ? 'IPv6' : 'IPv4';
  }

  private offsetOf(ip: string): number | undefined {
    if (typeof this.first === 'bigint') {
      const value6 = tryParseIPv6(ip);
      if (value6 === undefined || value6 < this.first || value6 > this.first + BigInt(this.last)) return undefined;
      return Number(value6 - this.first);
    }
    const value = tryParseIPv4(ip);
    if (value === undefined || value < this.first || value > this.first + this.last) return undefined;
    return value - this.first;
  }
}
