/**
 * A `HostView` from a plain list of the host's interfaces and addresses:
 * enough for `-m addrtype` in tests and simple nodes. An address is LOCAL
 * when an interface holds it, BROADCAST when it is 255.255.255.255 or the
 * broadcast address of an interface's subnet, MULTICAST in 224.0.0.0/4,
 * UNSPEC for 0.0.0.0, and UNICAST otherwise.
 */
import type { IpAddress } from './address';
import { cidrContains, prefixMask, type IPv4Cidr } from '../common/ipv4';
import type { AddressType, HostView } from './types';

export interface HostInterface {
  readonly name: string;
  /** Addresses with their prefix length, e.g. 192.168.0.2/24 as { network: 0xc0a80002, prefix: 24 } (host bits kept). */
  readonly addresses: readonly IPv4Cidr[];
}

const MULTICAST: IPv4Cidr = { network: 0xe0000000, prefix: 4 };

export class StaticHostView implements HostView {
  constructor(readonly interfaces: readonly HostInterface[]) {}

  addressType(address: IpAddress, iface?: string): AddressType {
    // IPv4 only: an IPv6 address is never one of these interfaces'.
    if (typeof address === 'bigint') return address >> 120n === 0xffn ? 'MULTICAST' : 'UNICAST';
    const candidates = iface === undefined ? this.interfaces : this.interfaces.filter((i) => i.name === iface);
    for (const i of candidates) {
      for (const a of i.addresses) {
        if (a.network >>> 0 === address >>> 0) return 'LOCAL';
      }
    }
    if (address >>> 0 === 0xffffffff) return 'BROADCAST';
    for (const i of candidates) {
      for (const a of i.addresses) {
        if (a.prefix < 31 && ((a.network | ~prefixMask(a.prefix)) >>> 0) === address >>> 0) return 'BROADCAST';
      }
    }
    if (cidrContains(MULTICAST, address)) return 'MULTICAST';
    if (address === 0) return 'UNSPEC';
    return 'UNICAST';
  }
}
