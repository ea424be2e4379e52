import { DomainError } from '../common/domain-error';
import { Random } from '../common/random';
import { AllocationBitmap, staticBandSize } from './allocation-bitmap';
import { AddressRun, formatCidr, formatIp, IpCidr, parseCidr, parseIp, tryParseIp } from './ip-address';
import { IpFamily, RangeStats } from './types';

/** At most 20 host bits: IPv4 /12, IPv6 /108 (kube-apiserver's `maxCIDRBits`). */
const MAX_HOST_BITS = 20;
/** The bitmap never has more than 65,536 entries for IPv6 (65,535 usable addresses). */
const IPV6_BITMAP_CAP = 65536;
const MIN_ADDRESSES = 8;

/**
 * Service ClusterIPs from `--service-cluster-ip-range`, as kube-apiserver's
 * bitmap allocator hands them out.
 *
 * - Usable addresses: IPv4 network+1 .. broadcast-1; IPv6 network+1 onwards,
 *   at most 65,535 of them (the all-ones last address is usable when within
 *   that cap). Bit k of the bitmap is address network+1+k.
 * - Dynamic picks prefer the upper band and fall back to the lower "static"
 *   band (KEP-3070: min(max(16, cidrSize/16), 256) addresses, none for a
 *   CIDR of 16 or fewer). A requested IP may be anywhere in the range.
 */
export class ClusterIpAllocator {
  private constructor(
    private readonly range: string,
    readonly family: IpFamily,
    private readonly run: AddressRun,
    private readonly bitmap: AllocationBitmap,
  ) {}

  /** `flag` names the range in errors (`--service-cluster-ip-range[1]` for a dual-stack cluster's second). */
  static create(cidr: string, random: Random, flag = '--service-cluster-ip-range'): ClusterIpAllocator {
    const parsed = parseCidr(cidr);
    const bits = parsed.family === 'IPv4' ? 32 : 128;
    const hostBits = bits - parsed.prefix;
    if (hostBits > MAX_HOST_BITS) {
      throw new DomainError(
        'INVALID',
        `specified ${flag} is too large; for ${bits}-bit addresses, the mask must be >= ${bits - MAX_HOST_BITS}`,
      );
    }
    const cidrSize = 2 ** hostBits;
    if (cidrSize < MIN_ADDRESSES) {
      throw new DomainError('INVALID', 'the service cluster IP range must be at least 8 IP addresses');
    }
    const usable = ClusterIpAllocator.usableCount(parsed, cidrSize);
    const run = AddressRun.within(parsed, 1, usable);
    const bitmap = new AllocationBitmap(usable, random, staticBandSize(cidrSize, 16, 256));
    return new ClusterIpAllocator(formatCidr(parsed), parsed.family, run, bitmap);
  }

  private static usableCount(cidr: IpCidr, cidrSize: number): number {
    // IPv4 loses the network and broadcast addresses; IPv6 only the network
    // (subnet-router anycast) address, within a bitmap capped at 65,536.
    return cidr.family === 'IPv4' ? cidrSize - 2 : Math.min(cidrSize, IPV6_BITMAP_CAP) - 1;
  }

  /** The configured range in canonical form, e.g. `10.96.0.0/12`. */
  get cidr(): string {
    return this.range;
  }

  /** Takes a requested IP, which may lie anywhere in the usable range. */
  allocate(ip: string): void {
    const address = parseIp(ip);
    const offset = this.run.offsetOf(address);
    if (offset === undefined) {
      throw new DomainError(
        'IP_NOT_IN_RANGE',
        `the provided IP (${formatIp(address)}) is not in the valid range. The range of valid IPs is ${this.range}`,
      );
    }
    if (!this.bitmap.allocate(offset)) {
      throw new DomainError('IP_ALREADY_ALLOCATED', 'provided IP is already allocated');
    }
  }

  /** Takes a free IP: the upper band first, the static band only once that is full. */
  allocateNext(): string {
    const offset = this.bitmap.allocateNext();
    if (offset === undefined) throw new DomainError('RANGE_FULL', 'range is full');
    return this.run.addressAt(offset);
  }

  /** Frees `ip`; a no-op when it is free or outside the range. A malformed IP is `INVALID`. */
  release(ip: string): void {
    const offset = this.run.offsetOf(parseIp(ip));
    if (offset !== undefined) this.bitmap.release(offset);
  }

  has(ip: string): boolean {
    const offset = this.offsetOfText(ip);
    return offset !== undefined && this.bitmap.has(offset);
  }

  /** Whether `ip` is one of the usable addresses, allocated or not. */
  contains(ip: string): boolean {
    return this.offsetOfText(ip) !== undefined;
  }

  /** The first usable address (index 1 of the range), which `default/kubernetes` holds. */
  firstUsable(): string {
    return this.run.addressAt(0);
  }

  /** Every allocated IP, in address order. */
  allocated(): string[] {
    return [...this.bitmap.offsets()].map((offset) => this.run.addressAt(offset));
  }

  stats(): RangeStats {
    const band = this.bitmap.staticBand;
    return {
      kind: 'ClusterIP',
      range: this.range,
      size: this.bitmap.max,
      used: this.bitmap.count,
      free: this.bitmap.free,
      staticBand:
        band === 0 ? null : { first: this.run.addressAt(0), last: this.run.addressAt(band - 1), size: band },
    };
  }

  /** Memory held by the bitmap, in bytes. */
  bitmapBytes(): number {
    return this.bitmap.byteLength;
  }

  private offsetOfText(ip: string): number | undefined {
    const address = typeof ip === 'string' ? tryParseIp(ip) : undefined;
    return address === undefined ? undefined : this.run.offsetOf(address);
  }
}
