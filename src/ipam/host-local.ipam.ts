import { DomainError } from '../common/domain-error';
import { formatIPv4, tryParseIPv4Cidr } from '../common/ipv4';
import { SeededRandom } from '../common/random';
import { AllocationBitmap } from './allocation-bitmap';
import { AddressRun, formatCidr, IpCidr, tryParseIp } from './ip-address';
import { formatIPv6, tryParseIPv6Cidr } from './ipv6';
import { IpFamily, RangeStats } from './types';

/** The largest IPv4 node subnet the emulator agrees to track (2^24 addresses, a 2 MiB bitmap). */
const MIN_PREFIX = 8;
/**
 * An IPv6 node subnet (a /64) has far more addresses than any node holds pods: the
 * emulator tracks the first 65,536 of its range (network+1 onwards), which round
 * robin walks as host-local does until 65,535 pods have held one.
 */
const IPV6_TRACKED = 65536;

/**
 * Pod IPs on one node, as the CNI `host-local` IPAM plugin hands them out of
 * the node's pod CIDR (flannel delegates to it).
 *
 * - The range set is rangeStart = network+1 .. rangeEnd = broadcast-1; the
 *   gateway (network+1, the `cni0` bridge address) is never handed out, so a
 *   /24 holds 253 pods, .2 to .254.
 * - Round robin: each search starts just after the last reserved address and
 *   wraps, so a freed address comes back only once the range has cycled.
 * - Each address belongs to one owner (the container id, here the pod's uid
 *   or name); an owner holds at most one address.
 */
export class HostLocalIpam {
  /** Offset k <-> network + 1 + k; offset 0 is the gateway and stays taken. */
  private readonly bitmap: AllocationBitmap;
  private readonly run: AddressRun;
  private readonly ipByOwner = new Map<string, number>();
  private readonly ownerByOffset = new Map<number, string>();
  private lastReserved: number | undefined;

  private constructor(private readonly cidr: IpCidr) {
    // IPv4: network+1 .. broadcast-1; IPv6: network+1 .. the subnet's last address (no broadcast).
    const usable =
      cidr.family === 'IPv4' ? 2 ** (32 - cidr.prefix) - 2 : Math.min(2 ** Math.min(128 - cidr.prefix, 20) - 1, IPV6_TRACKED);
    this.run = AddressRun.within(cidr, 1, usable);
    // Round robin never draws a random number; the bitmap still wants a source.
    this.bitmap = new AllocationBitmap(usable, new SeededRandom(0));
    this.bitmap.allocate(0);
  }

  static create(subnet: string): HostLocalIpam {
    const text = typeof subnet === 'string' ? subnet.trim() : String(subnet);
    const loose = tryParseIPv4Cidr(text, false);
    if (loose === undefined) {
      const v6 = tryParseIPv6Cidr(text, false);
      if (v6 === undefined) throw new DomainError('INVALID', `invalid CIDR address: ${text}`);
      if (v6.prefix > 126) throw new DomainError('INVALID', `Network ${text} too small to allocate from`);
      if (tryParseIPv6Cidr(text) === undefined) {
        throw new DomainError(
          'INVALID',
          `Network has host bits set. For a subnet mask of length ${v6.prefix} the network address is ${formatIPv6(v6.network)}`,
        );
      }
      return new HostLocalIpam({ family: 'IPv6', ...v6 });
    }
    if (loose.prefix > 30) throw new DomainError('INVALID', `Network ${text} too small to allocate from`);
    if (tryParseIPv4Cidr(text) === undefined) {
      throw new DomainError(
        'INVALID',
        `Network has host bits set. For a subnet mask of length ${loose.prefix} the network address is ${formatIPv4(loose.network)}`,
      );
    }
    if (loose.prefix < MIN_PREFIX) {
      throw new DomainError('INVALID', `Network ${text} too large: the emulator tracks at most /${MIN_PREFIX} per node`);
    }
    return new HostLocalIpam({ family: 'IPv4', ...loose });
  }

  get family(): IpFamily {
    return this.cidr.family;
  }

  /** The node subnet, e.g. `10.244.1.0/24`. */
  get subnet(): string {
    return formatCidr(this.cidr);
  }

  /** The bridge address, network+1 (e.g. 10.244.1.1): never handed to a pod. */
  gateway(): string {
    return this.run.addressAt(0);
  }

  /** The range set as host-local prints it, `rangeStart-rangeEnd` (the gateway included). */
  rangeSet(): string {
    const last =
      this.cidr.family === 'IPv4'
        ? this.run.addressAt(this.bitmap.max - 1)
        : formatIPv6(this.cidr.network | ((1n << BigInt(128 - this.cidr.prefix)) - 1n));
    return `${this.gateway()}-${last}`;
  }

  /** Reserves the next free address after the last reserved one, wrapping. */
  allocate(owner: string): string {
    this.refuseDuplicate(owner);
    const from = this.lastReserved === undefined ? 0 : this.lastReserved + 1;
    const offset = this.bitmap.nextFree(from);
    if (offset === undefined) {
      throw new DomainError('NO_IP_AVAILABLE', `no IP addresses available in range set: ${this.rangeSet()}`);
    }
    return this.reserve(owner, offset);
  }

  /** Reserves a requested address (CNI `IP=` / runtimeConfig `ips`). */
  allocateSpecific(owner: string, ip: string): string {
    this.refuseDuplicate(owner);
    const value = typeof ip === 'string' ? tryParseIp(ip) : undefined;
    if (value === undefined) {
      throw new DomainError(
        'INVALID',
        `invalid IP address ${JSON.stringify(ip)}: must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)`,
      );
    }
    const offset = this.run.offsetOf(value);
    if (offset === undefined) {
      throw new DomainError('IP_NOT_IN_RANGE', `${ip} not in range set ${this.rangeSet()}`);
    }
    if (offset === 0) throw new DomainError('INVALID', `requested ip ${ip} is subnet's gateway`);
    if (this.bitmap.has(offset)) {
      throw new DomainError(
        'IP_ALREADY_ALLOCATED',
        `requested IP address ${ip} is not available in range set ${this.rangeSet()}`,
      );
    }
    return this.reserve(owner, offset);
  }

  /** Frees the owner's address; a no-op for an owner that holds none. */
  release(owner: string): void {
    const offset = this.ipByOwner.get(owner);
    if (offset === undefined) return;
    this.ipByOwner.delete(owner);
    this.ownerByOffset.delete(offset);
    this.bitmap.release(offset);
  }

  /** The owner holding `ip`, if any. */
  ownerOf(ip: string): string | undefined {
    const value = typeof ip === 'string' ? tryParseIp(ip) : undefined;
    const offset = value === undefined ? undefined : this.run.offsetOf(value);
    return offset === undefined ? undefined : this.ownerByOffset.get(offset);
  }

  /** The address `owner` holds, if any. */
  ipOf(owner: string): string | undefined {
    const offset = this.ipByOwner.get(owner);
    return offset === undefined ? undefined : this.addressAt(offset);
  }

  /** Every reservation, in address order. */
  allocations(): Array<{ ip: string; owner: string }> {
    return [...this.ownerByOffset.entries()]
      .sort(([a], [b]) => a - b)
      .map(([offset, owner]) => ({ ip: this.addressAt(offset), owner }));
  }

  stats(): RangeStats {
    // The gateway bit is always set and is not an allocatable address.
    const size = this.bitmap.max - 1;
    const used = this.bitmap.count - 1;
    return { kind: 'HostLocal', range: this.subnet, size, used, free: size - used, staticBand: null };
  }

  private refuseDuplicate(owner: string): void {
    if (typeof owner !== 'string' || owner === '') {
      throw new DomainError('INVALID', 'an IP owner (container or pod id) must be a non-empty string');
    }
    const held = this.ipByOwner.get(owner);
    if (held !== undefined) {
      throw new DomainError(
        'INVALID',
        `${this.addressAt(held)} has been allocated to ${owner}, duplicate allocation is not allowed`,
      );
    }
  }

  private reserve(owner: string, offset: number): string {
    this.bitmap.allocate(offset);
    this.ipByOwner.set(owner, offset);
    this.ownerByOffset.set(offset, owner);
    this.lastReserved = offset;
    return this.addressAt(offset);
  }

  private addressAt(offset: number): string {
    return this.run.addressAt(offset);
  }
}
