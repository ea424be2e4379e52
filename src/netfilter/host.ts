/**
 * The host a ruleset runs on, as the traversal engine needs it: interfaces
 * with their addresses, the routing table, and the answers the kernel's FIB
 * gives (route lookup, route type of an address for `-m addrtype`, the
 * source address of an outgoing packet, MASQUERADE's address).
 *
 * What Linux does, and what this models:
 *
 * - **Local table.** Every interface address gets a `local` /32 route; an
 *   address on a loopback interface makes its whole prefix local
 *   (`local 127.0.0.0/8 dev lo`). Subnets shorter than /31 get a `broadcast`
 *   route for their last address (`broadcast 192.168.0.255`); current kernels
 *   add none for the network address.
 * - **Main table.** A connected route per interface subnet (not for /32),
 *   with the subnet's primary address as preferred source, plus the routes
 *   given. A lookup takes the longest prefix, then the lowest metric.
 *   `blackhole`, `unreachable` and `prohibit` routes answer "no route".
 * - **Primary and secondary addresses.** On one interface, an address in a
 *   subnet already covered by an earlier address is secondary.
 * - **Route type of an address** (`addrtype`, `inet_dev_addr_type`):
 *   0.0.0.0/8 and 255.255.255.255 are BROADCAST, 224.0.0.0/4 MULTICAST,
 *   otherwise the type of the local-table route that covers the address
 *   (LOCAL, BROADCAST), else UNICAST. With an interface (`--limit-iface-*`),
 *   a local-table route on another device counts as UNICAST.
 * - **Source address selection** (`inet_select_addr`): a route's `src` when
 *   it has one; otherwise the first primary global-scope address of the
 *   egress interface whose subnet holds the next hop, else its first primary
 *   global-scope address, else one from another interface. MASQUERADE uses
 *   the same choice, without looking at a route's `src` (as the kernel does).
 * - **IPv6** (addresses as bigints, routes of both families in one table,
 *   each lookup seeing only its own family): every address gets a `local`
 *   /128 route; there is no broadcast; `ff00::/8` is MULTICAST; `lo` has
 *   `::1/128` once the host has any IPv6 address; link-local addresses
 *   (`fe80::/10`) are never chosen as a source.
 */
import { DomainError } from '../common/domain-error';
import { cidrContains, prefixMask, tryParseIPv4, type IPv4Cidr } from '../common/ipv4';
import { tryParseIPv6 } from '../ipam/ipv6';
import { formatIp, ipInPrefix, ipv6PrefixMask, type IpAddress } from './address';
import type { AddressType, HostView } from './types';

/** An interface as a caller describes it: `{ name: 'eth0', addresses: ['192.168.0.2/24'] }`. */
export interface InterfaceSpec {
  readonly name: string;
  /** `a.b.c.d/n` with the host part kept (the interface's own address); a bare address is /32. */
  readonly addresses?: readonly string[];
  /** A loopback device (its prefixes are local). Defaults to true for `lo`. */
  readonly loopback?: boolean;
  /** Bytes; default 65536 for a loopback device, else 1500 (TCPMSS `--clamp-mss-to-pmtu` reads it). */
  readonly mtu?: number;
}

export type RouteType = 'unicast' | 'blackhole' | 'unreachable' | 'prohibit';

/** A route as a caller describes it, as `ip route add` takes it. */
export interface RouteSpec {
  /** `a.b.c.d/n`, a bare address (/32), or `default`. */
  readonly destination: string;
  /** The gateway; unset for a route straight onto the link. */
  readonly via?: string;
  /** The device; found from the gateway's connected route when unset. */
  readonly interface?: string;
  /** Preferred source address for packets the host sends along this route. */
  readonly src?: string;
  readonly metric?: number;
  readonly type?: RouteType;
  /** Accept a gateway no connected route covers (`onlink`). */
  readonly onlink?: boolean;
}

export interface HostSpec {
  readonly interfaces: readonly InterfaceSpec[];
  readonly routes?: readonly RouteSpec[];
  /** `net.ipv4.ip_forward` (default true, as kube-proxy nodes have it). */
  readonly ipForward?: boolean;
  /** `net.ipv4.conf.all.route_localnet` (default true, as kube-proxy sets it). */
  readonly routeLocalnet?: boolean;
}

export interface HostAddress {
  readonly address: IpAddress;
  readonly prefix: number;
  readonly secondary: boolean;
  /** Loopback-network addresses have host scope; MASQUERADE and source selection skip them. */
  readonly hostScope: boolean;
}

export interface HostInterfaceModel {
  readonly name: string;
  readonly loopback: boolean;
  readonly addresses: readonly HostAddress[];
  readonly mtu: number;
}

export interface Route {
  readonly network: IpAddress;
  readonly prefix: number;
  readonly via: IpAddress | undefined;
  readonly interface: string | undefined;
  readonly src: IpAddress | undefined;
  readonly metric: number;
  readonly type: RouteType;
  /** Made by the kernel from an interface address. */
  readonly connected: boolean;
}

/** What a route lookup answers for a destination. */
export type RouteLookup =
  | { readonly kind: 'local'; readonly interface: string; readonly source: IpAddress }
  | { readonly kind: 'broadcast'; readonly interface: string; readonly source: IpAddress }
  | { readonly kind: 'unicast'; readonly route: Route; readonly interface: string; readonly nextHop: IpAddress; readonly source: IpAddress | undefined }
  | { readonly kind: 'unreachable'; readonly route: Route | undefined };

interface LocalRoute {
  readonly network: IpAddress;
  readonly prefix: number;
  readonly type: 'LOCAL' | 'BROADCAST';
  readonly interface: string;
  /** The preferred source of the route: the primary address of its subnet. */
  readonly source: IpAddress;
}

const LOOPBACK_NET: IPv4Cidr = { network: 0x7f000000, prefix: 8 };
const MULTICAST_NET: IPv4Cidr = { network: 0xe0000000, prefix: 4 };
const ZERO_NET: IPv4Cidr = { network: 0, prefix: 8 };

function invalid(field: string, message: string): DomainError {
  return new DomainError('INVALID', message, { field });
}

/** fe80::/10: link-local, never a global source. */
const LINK_LOCAL6 = 0xfe80n << 112n;

function isHostScope(address: IpAddress): boolean {
  return typeof address === 'bigint' ? address === 1n || (address & ipv6PrefixMask(10)) === LINK_LOCAL6 : cidrContains(LOOPBACK_NET, address);
}

/** Whether two addresses are of one family. */
function sameFamily(a: IpAddress, b: IpAddress): boolean {
  return typeof a === typeof b;
}

/** The network of an address under a prefix. */
function networkOf(address: IpAddress, prefix: number): IpAddress {
  return typeof address === 'bigint' ? address & ipv6PrefixMask(prefix) : (address & prefixMask(prefix)) >>> 0;
}

function parseAddressWithPrefix(text: string, field: string): { address: IpAddress; prefix: number } {
  if (typeof text === 'string' && text.includes(':')) {
    const slash6 = text.indexOf('/');
    const address6 = tryParseIPv6(slash6 < 0 ? text : text.slice(0, slash6));
    const prefixText6 = slash6 < 0 ? '128' : text.slice(slash6 + 1);
    const prefix6 = /^(0|[1-9][0-9]{0,2})$/.test(prefixText6) ? Number(prefixText6) : NaN;
    if (address6 === undefined || !(prefix6 >= 0 && prefix6 <= 128)) {
      throw invalid(field, `${field}: "${text}" is not an IPv6 address with a prefix length (fd00::1/64)`);
    }
    return { address: address6, prefix: prefix6 };
  }
  const slash = text.indexOf('/');
  const address = tryParseIPv4(slash < 0 ? text : text.slice(0, slash));
  const prefixText = slash < 0 ? '32' : text.slice(slash + 1);
  const prefix = /^(0|[1-9][0-9]?)$/.test(prefixText) ? Number(prefixText) : NaN;
  if (address === undefined || !(prefix >= 0 && prefix <= 32)) {
    throw invalid(field, `${field}: "${text}" is not an IPv4 address with a prefix length (a.b.c.d/n)`);
  }
  return { address, prefix };
}

function parseAddress(text: string, field: string): IpAddress {
  if (typeof text === 'string' && text.includes(':')) {
    const address6 = tryParseIPv6(text);
    if (address6 === undefined) throw invalid(field, `${field}: "${text}" is not an IPv6 address`);
    return address6;
  }
  const address = tryParseIPv4(text);
  if (address === undefined) throw invalid(field, `${field}: "${text}" is not an IPv4 address`);
  return address;
}

export class Host implements HostView {
  readonly interfaces: readonly HostInterfaceModel[];
  /** The main table: connected routes first, then the given ones (lookups sort by prefix and metric). */
  readonly routes: readonly Route[];
  readonly ipForward: boolean;
  readonly routeLocalnet: boolean;
  private readonly byName = new Map<string, HostInterfaceModel>();
  private readonly localRoutes: LocalRoute[] = [];
  /** Exact local/broadcast addresses, for the common lookup. */
  private readonly localExact = new Map<IpAddress, LocalRoute>();
  private readonly sortedRoutes: Route[];

  private constructor(spec: HostSpec) {
    this.ipForward = spec.ipForward ?? true;
    this.routeLocalnet = spec.routeLocalnet ?? true;
    const interfaces: HostInterfaceModel[] = [];
    // Error paths name the caller's own indexes; the kernel's lo comes first when not given.
    const specs = spec.interfaces.map((given, i) => ({ given, field: `host.interfaces[${i}]` }));
    const anyIPv6 = spec.interfaces.some((i) => Array.isArray(i.addresses) && i.addresses.some((a) => typeof a === 'string' && a.includes(':')));
    if (!spec.interfaces.some((i) => i.name === 'lo')) {
      specs.unshift({ given: { name: 'lo', addresses: anyIPv6 ? ['127.0.0.1/8', '::1/128'] : ['127.0.0.1/8'] }, field: 'host.interfaces' });
    }
    specs.forEach(({ given, field }) => {
      if (typeof given.name !== 'string' || !/^[^\s/:]{1,15}$/.test(given.name)) {
        throw invalid(`${field}.name`, `${field}.name: "${given.name}" is not an interface name (1-15 characters, no spaces, "/" or ":")`);
      }
      if (this.byName.has(given.name)) throw invalid(`${field}.name`, `${field}.name: interface "${given.name}" is listed twice`);
      const loopback = given.loopback ?? given.name === 'lo';
      const addresses: HostAddress[] = [];
      (given.addresses ?? []).forEach((text, k) => {
        const { address, prefix } = parseAddressWithPrefix(text, `${field}.addresses[${k}]`);
        const network = networkOf(address, prefix);
        // IPv6 has no primary / secondary addresses.
        const secondary = typeof address === 'number' && addresses.some((a) => a.prefix === prefix && sameFamily(a.address, address) && networkOf(a.address, prefix) === network);
        addresses.push({ address, prefix, secondary, hostScope: isHostScope(address) });
      });
      if (given.mtu !== undefined && !(Number.isInteger(given.mtu) && given.mtu >= 68 && given.mtu <= 65536)) {
        throw invalid(`${field}.mtu`, `${field}.mtu: ${String(given.mtu)} is not an MTU (an integer from 68 to 65536)`);
      }
      const mtu = given.mtu ?? (loopback ? 65536 : 1500);
      const model: HostInterfaceModel = { name: given.name, loopback, addresses, mtu };
      interfaces.push(model);
      this.byName.set(model.name, model);
    });
    this.interfaces = interfaces;

    const routes: Route[] = [];
    for (const iface of interfaces) {
      for (const a of iface.addresses) {
        if (typeof a.address === 'bigint') {
          const network6 = a.address & ipv6PrefixMask(a.prefix);
          this.addLocal({ network: a.address, prefix: 128, type: 'LOCAL', interface: iface.name, source: a.address });
          // The kernel makes a prefix route for every IPv6 address of a non-loopback device, a /128 one too.
          if (!iface.loopback) {
            routes.push({ network: network6, prefix: a.prefix, via: undefined, interface: iface.name, src: undefined, metric: 256, type: 'unicast', connected: true });
          }
          continue;
        }
        const mask = prefixMask(a.prefix);
        const network = (a.address & mask) >>> 0;
        const primary = this.primaryFor(iface, a);
        this.addLocal({ network: a.address, prefix: 32, type: 'LOCAL', interface: iface.name, source: primary });
        if (iface.loopback && a.prefix < 32) {
          this.addLocal({ network, prefix: a.prefix, type: 'LOCAL', interface: iface.name, source: primary });
        }
        if (a.prefix < 31) {
          this.addLocal({ network: (network | ~mask) >>> 0, prefix: 32, type: 'BROADCAST', interface: iface.name, source: primary });
        }
        if (!iface.loopback && a.prefix < 32 && !a.secondary) {
          routes.push({ network, prefix: a.prefix, via: undefined, interface: iface.name, src: a.address, metric: 0, type: 'unicast', connected: true });
        }
      }
    }
    const connected = routes.slice();
    (spec.routes ?? []).forEach((given, i) => routes.push(this.buildRoute(given, `host.routes[${i}]`, connected)));
    this.routes = routes;
    this.sortedRoutes = routes.slice().sort((a, b) => b.prefix - a.prefix || a.metric - b.metric);
  }

  /** A host from its description; refuses bad addresses, unknown devices and unreachable gateways (422). */
  static create(spec: HostSpec): Host {
    return new Host(spec);
  }

  /**
   * The default single-interface node: eth0 192.168.0.2/24, lo 127.0.0.1/8,
   * default route via 192.168.0.1.
   */
  static defaultNode(): Host {
    return new Host(DEFAULT_HOST_SPEC);
  }

  interface(name: string): HostInterfaceModel | undefined {
    return this.byName.get(name);
  }

  hasInterface(name: string): boolean {
    return this.byName.has(name);
  }

  isLoopbackInterface(name: string | undefined): boolean {
    return name !== undefined && this.byName.get(name)?.loopback === true;
  }

  /** True for the host's own addresses (and whole loopback prefixes such as 127.0.0.0/8). */
  isLocal(address: IpAddress): boolean {
    return this.localRoute(address)?.type === 'LOCAL';
  }

  /** The route type of `address`, as `-m addrtype` asks it. */
  addressType(address: IpAddress, iface?: string): AddressType {
    if (typeof address === 'bigint') {
      if (address >> 120n === 0xffn) return 'MULTICAST';
      const local6 = this.localRoute(address);
      return local6 === undefined || (iface !== undefined && local6.interface !== iface) ? 'UNICAST' : local6.type;
    }
    address >>>= 0;
    if (cidrContains(ZERO_NET, address) || address === 0xffffffff) return 'BROADCAST';
    if (cidrContains(MULTICAST_NET, address)) return 'MULTICAST';
    const local = this.localRoute(address);
    if (local === undefined) return 'UNICAST';
    if (iface !== undefined && local.interface !== iface) return 'UNICAST';
    return local.type;
  }

  /** Longest-prefix route lookup for a destination, local table first (as the kernel's FIB rules order them). */
  lookup(destination: IpAddress): RouteLookup {
    if (typeof destination === 'number') destination >>>= 0;
    const local = this.localRoute(destination);
    if (local !== undefined) {
      return local.type === 'LOCAL'
        ? { kind: 'local', interface: local.interface, source: local.source }
        : { kind: 'broadcast', interface: local.interface, source: local.source };
    }
    if (destination === 0xffffffff) {
      return { kind: 'unreachable', route: undefined };
    }
    const route = this.mainRoute(destination);
    if (route === undefined || route.type !== 'unicast' || route.interface === undefined) {
      return { kind: 'unreachable', route };
    }
    const nextHop = route.via ?? destination;
    return { kind: 'unicast', route, interface: route.interface, nextHop, source: route.src };
  }

  /** The main-table route for a destination (longest prefix, then lowest metric). */
  mainRoute(destination: IpAddress): Route | undefined {
    if (typeof destination === 'bigint') {
      for (const route of this.sortedRoutes) if (ipInPrefix(route.network, route.prefix, destination)) return route;
      return undefined;
    }
    for (const route of this.sortedRoutes) {
      if (typeof route.network === 'number' && ((destination & prefixMask(route.prefix)) >>> 0) === route.network) return route;
    }
    return undefined;
  }

  /**
   * The address a locally generated packet to `destination` takes as its
   * source: the local route's source for a local destination, the route's
   * `src`, else `selectAddress` on the egress interface.
   */
  sourceAddressFor(destination: IpAddress): IpAddress | undefined {
    const found = this.lookup(destination);
    if (found.kind === 'local' || found.kind === 'broadcast') return found.source;
    if (found.kind !== 'unicast') return undefined;
    return found.source ?? this.selectAddress(found.interface, found.nextHop);
  }

  /**
   * `inet_select_addr(dev, nextHop, RT_SCOPE_UNIVERSE)`: the first primary
   * global-scope address of the interface whose subnet holds `nextHop`, else
   * its first primary global-scope address, else one of another interface.
   * This is MASQUERADE's choice of source address.
   */
  selectAddress(iface: string, nextHop?: IpAddress): IpAddress | undefined {
    const model = this.byName.get(iface);
    // Only addresses of the next hop's family (IPv4 when none is given).
    const v6 = typeof nextHop === 'bigint';
    let first: IpAddress | undefined;
    for (const a of model?.addresses ?? []) {
      if (a.secondary || a.hostScope || (typeof a.address === 'bigint') !== v6) continue;
      if (nextHop !== undefined && networkOf(nextHop, a.prefix) === networkOf(a.address, a.prefix)) {
        return a.address;
      }
      first ??= a.address;
    }
    if (first !== undefined) return first;
    for (const other of this.interfaces) {
      if (other.name === iface) continue;
      for (const a of other.addresses) if (!a.secondary && !a.hostScope && (typeof a.address === 'bigint') === v6) return a.address;
    }
    return undefined;
  }

  /** The interface's MTU (undefined for an interface the host does not have). */
  mtu(iface: string): number | undefined {
    return this.byName.get(iface)?.mtu;
  }

  /** The first primary address of the interface (`ifa_list`'s head): REDIRECT's destination. */
  primaryAddress(iface: string): number | undefined {
    for (const a of this.byName.get(iface)?.addresses ?? []) if (!a.secondary && typeof a.address === 'number') return a.address;
    return undefined;
  }

  /** MASQUERADE's source address for a packet leaving by `iface` towards `nextHop`. */
  masqueradeAddress(iface: string, nextHop: IpAddress): IpAddress | undefined {
    return this.selectAddress(iface, nextHop);
  }

  /** A plain description, for responses and `ip addr` / `ip route`-like views. */
  describe(): { interfaces: { name: string; addresses: string[] }[]; routes: string[] } {
    return {
      interfaces: this.interfaces.map((i) => ({
        name: i.name,
        addresses: i.addresses.map((a) => `${formatIp(a.address)}/${a.prefix}`),
      })),
      routes: this.routes.map(formatRoute),
    };
  }

  // -------------------------------------------------------------------------

  private primaryFor(iface: HostInterfaceModel, address: HostAddress): IpAddress {
    if (!address.secondary) return address.address;
    const network = networkOf(address.address, address.prefix);
    for (const a of iface.addresses) {
      if (!a.secondary && a.prefix === address.prefix && sameFamily(a.address, address.address) && networkOf(a.address, a.prefix) === network) {
        return a.address;
      }
    }
    return address.address;
  }

  private addLocal(route: LocalRoute): void {
    this.localRoutes.push(route);
    if ((route.prefix === 32 || route.prefix === 128) && !this.localExact.has(route.network)) this.localExact.set(route.network, route);
  }

  private localRoute(address: IpAddress): LocalRoute | undefined {
    const exact = this.localExact.get(typeof address === 'number' ? address >>> 0 : address);
    if (exact !== undefined) return exact;
    let best: LocalRoute | undefined;
    for (const r of this.localRoutes) {
      if (r.prefix === 32 || r.prefix === 128) continue;
      if (ipInPrefix(r.network, r.prefix, address) && (best === undefined || r.prefix > best.prefix)) best = r;
    }
    return best;
  }

  private buildRoute(given: RouteSpec, field: string, connected: readonly Route[]): Route {
    // `default` is of the gateway's family (IPv4 without one).
    let network: IpAddress = typeof given.via === 'string' && given.via.includes(':') ? 0n : 0;
    let prefix = 0;
    if (given.destination !== 'default' && given.destination !== '0.0.0.0/0' && given.destination !== '::/0') {
      const parsed = parseAddressWithPrefix(String(given.destination), `${field}.destination`);
      network = networkOf(parsed.address, parsed.prefix);
      prefix = parsed.prefix;
      if (network !== parsed.address) {
        throw invalid(`${field}.destination`, `${field}.destination: "${given.destination}" has host bits set (use ${formatIp(network)}/${prefix})`);
      }
    } else if (given.destination === '::/0') network = 0n;
    const type = given.type ?? 'unicast';
    const via = given.via === undefined ? undefined : parseAddress(given.via, `${field}.via`);
    const src = given.src === undefined ? undefined : parseAddress(given.src, `${field}.src`);
    // One family per route, as `ip route` has it ("inet address is expected rather than ...").
    for (const [name, value] of [['via', via], ['src', src]] as const) {
      if (value !== undefined && !sameFamily(value, network)) {
        const want = typeof network === 'bigint' ? 'inet6' : 'inet';
        throw invalid(`${field}.${name}`, `${field}.${name}: ${want} address is expected rather than "${given[name]}" (the destination is ${typeof network === 'bigint' ? 'IPv6' : 'IPv4'})`);
      }
    }
    let iface = given.interface;
    if (iface !== undefined && !this.byName.has(iface)) {
      throw invalid(`${field}.interface`, `${field}.interface: the host has no interface "${iface}"`);
    }
    if (type === 'unicast') {
      if (via !== undefined && !given.onlink) {
        const reach = connected.filter((r) => ipInPrefix(r.network, r.prefix, via) && (iface === undefined || r.interface === iface));
        if (reach.length === 0) {
          throw invalid(`${field}.via`, `${field}.via: gateway ${given.via} is not on a connected subnet${iface ? ` of ${iface}` : ''} (Nexthop has invalid gateway)`);
        }
        iface ??= reach.sort((a, b) => b.prefix - a.prefix)[0].interface;
      }
      if (iface === undefined) {
        throw invalid(`${field}.interface`, `${field}: a route needs an interface or a gateway on a connected subnet`);
      }
    }
    if (src !== undefined && !this.isLocal(src)) {
      throw invalid(`${field}.src`, `${field}.src: ${given.src} is not an address of this host`);
    }
    return { network, prefix, via, interface: iface, src, metric: given.metric ?? 0, type, connected: false };
  }
}

export function formatRoute(route: Route): string {
  let out = route.type === 'unicast' ? '' : route.type + ' ';
  // `ip -6 route` prints a /128 as the bare address; IPv6 connected routes carry no `scope link`.
  const v6 = typeof route.network === 'bigint';
  out += route.prefix === 0 ? 'default' : v6 && route.prefix === 128 ? formatIp(route.network) : `${formatIp(route.network)}/${route.prefix}`;
  if (route.via !== undefined) out += ` via ${formatIp(route.via)}`;
  if (route.interface !== undefined) out += ` dev ${route.interface}`;
  if (route.connected) out += v6 ? ' proto kernel' : ' proto kernel scope link';
  if (route.src !== undefined) out += ` src ${formatIp(route.src)}`;
  if (route.metric) out += ` metric ${route.metric}`;
  return out;
}

/** The default node of the trace API: eth0 192.168.0.2/24 with a default route via 192.168.0.1. */
export const DEFAULT_HOST_SPEC: HostSpec = Object.freeze({
  interfaces: [
    { name: 'lo', addresses: ['127.0.0.1/8'] },
    { name: 'eth0', addresses: ['192.168.0.2/24'] },
  ],
  routes: [{ destination: 'default', via: '192.168.0.1', interface: 'eth0' }],
});

/** The default node of an IPv6 (ip6tables) trace: eth0 2001:db8::2/64 with a default route via 2001:db8::1. */
export const DEFAULT_HOST6_SPEC: HostSpec = Object.freeze({
  interfaces: [
    { name: 'lo', addresses: ['127.0.0.1/8', '::1/128'] },
    { name: 'eth0', addresses: ['2001:db8::2/64'] },
  ],
  routes: [{ destination: 'default', via: '2001:db8::1', interface: 'eth0' }],
});
