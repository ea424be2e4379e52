/**
 * What the kernel does with a set for a packet (`ip_set_test`, `ip_set_add`,
 * `ip_set_del` and each type's `kadt`), for the `set` match and the `SET`
 * target:
 *
 * - The packet gives one value per dimension, each from its source or
 *   destination as the rule's `src,dst` flags say; fewer flags than the set
 *   has dimensions never match (and add nothing).
 * - Port dimensions read TCP, UDP, SCTP and UDPlite ports, ICMP type/code,
 *   and port 0 for any other protocol; bitmap:port only TCP and UDP.
 * - Types with a net part try each prefix length in use, longest first; the
 *   first element found decides, and a `nomatch` element answers "no"
 *   (`--return-nomatch` swaps the two answers).
 * - An element found is checked against its extensions: an expired one is
 *   not there; its counters count the packet (unless `! --update-counters`)
 *   and then must satisfy `--packets-*` / `--bytes-*`, if given.
 * - list:set tries its members in order (their own counters are updated
 *   unless `! --update-subcounters`, never compared), then checks its own
 *   element for the member.
 * - An add by the SET target stores the packet's values (a net part with the
 *   set's longest prefix in use, else /32 or /128), with the target's
 *   timeout or the set's, and counters starting at this packet.
 * - A packet of the other family than the set's is never in it and adds
 *   nothing (`ip_set_test`'s family check: a list:set may hold sets of both
 *   families; bitmap:port and list:set have none).
 */
import type { Packet } from '../types';
import { kernelFamily, type IpSet, type SetEntry } from './ip-set';
import type { IpsetStore } from './ipset-store';
import { emptyElement, hostPrefix, maskAddress, packetAddress, packetPort, type SetElement } from './set-types';

export type CounterOp = 'eq' | 'ne' | 'lt' | 'gt';

export interface CounterCondition {
  readonly op: CounterOp;
  readonly value: number;
}

export interface SetTestOptions {
  /** Per dimension: true for the source, false for the destination. */
  readonly directions: readonly boolean[];
  readonly returnNomatch: boolean;
  readonly updateCounters: boolean;
  readonly updateSubcounters: boolean;
  readonly packets?: CounterCondition;
  readonly bytes?: CounterCondition;
}

/** Everything the operations need besides the packet. */
export interface SetOpContext {
  readonly store: IpsetStore;
  readonly now: number;
  /** The packet's length, for byte counters. */
  readonly length: number;
}

const NOMATCH = -1;

/** Whether the set takes packets of this one's family (`ip_set_test`'s check; bitmap:port and list:set take both). */
function sameFamily(set: IpSet, packet: Packet): boolean {
  const family = kernelFamily(set.header);
  return family === undefined || (typeof packet.source === 'bigint') === (family === 'inet6');
}

/** The element a packet gives a set, or undefined where the kernel gives up. */
function packetElement(set: IpSet, packet: Packet, directions: readonly boolean[], forAdd: boolean): SetElement | undefined {
  const h = set.header;
  const type = h.type.name;
  const prefixes = set.prefixes();
  const full = hostPrefix(h.family);
  const netCidr = forAdd ? (prefixes[0] ?? full) : full;
  const EMPTY_ELEMENT = emptyElement(h.family);
  switch (type) {
    case 'hash:ip':
    case 'bitmap:ip': {
      const ip = maskAddress(packetAddress(packet, directions[0]), h.netmask);
      if (type === 'bitmap:ip' && (ip < h.rangeFrom || ip > h.rangeTo)) return undefined;
      return { ...EMPTY_ELEMENT, ip };
    }
    case 'hash:net': {
      const ip = maskAddress(packetAddress(packet, directions[0]), netCidr);
      return { ...EMPTY_ELEMENT, ip, cidr: netCidr };
    }
    case 'bitmap:port': {
      if (packet.protocol !== 'tcp' && packet.protocol !== 'udp') return undefined;
      const port = packetPort(packet, directions[0]);
      if (!port || port.port < h.rangeFrom || port.port > h.rangeTo) return undefined;
      return { ...EMPTY_ELEMENT, port: port.port };
    }
    case 'list:set':
      return undefined;
  }
  const port = packetPort(packet, directions[1]);
  if (!port) return undefined;
  const first = packetAddress(packet, directions[0]);
  switch (type) {
    case 'hash:ip,port':
      return { ...EMPTY_ELEMENT, ip: first, proto: port.proto, port: port.port };
    case 'hash:net,port':
      return { ...EMPTY_ELEMENT, ip: maskAddress(first, netCidr), cidr: netCidr, proto: port.proto, port: port.port };
    case 'hash:ip,port,ip':
      return { ...EMPTY_ELEMENT, ip: first, proto: port.proto, port: port.port, ip2: packetAddress(packet, directions[2]) };
    case 'hash:ip,port,net': {
      const ip2 = maskAddress(packetAddress(packet, directions[2]), netCidr);
      return { ...EMPTY_ELEMENT, ip: first, proto: port.proto, port: port.port, ip2, cidr2: netCidr };
    }
  }
}

function counterHolds(value: number, condition: CounterCondition | undefined): boolean {
  if (!condition) return true;
  switch (condition.op) {
    case 'eq':
      return value === condition.value;
    case 'ne':
      return value !== condition.value;
    case 'lt':
      return value < condition.value;
    case 'gt':
      return value > condition.value;
  }
}

interface TestFlags {
  readonly update: boolean;
  readonly matchCounters: boolean;
  readonly options: SetTestOptions;
  /** Set to the element that answered (for `--map-set`: its skbinfo). */
  found?: SetEntry;
}

/** `ip_set_match_extensions`: counters count the packet, then are compared. */
function extensionsHold(name: string, entry: SetEntry, flags: TestFlags, ctx: SetOpContext): boolean {
  const set = ctx.store.get(name)!;
  if (!set.header.counters) return true;
  let packets = entry.packets;
  let bytes = entry.bytes;
  if (flags.update) {
    packets += 1;
    bytes += ctx.length;
    if (ctx.store.counts) {
      const e = ctx.store.writable(name)!.get(entry.element, ctx.now)!;
      e.packets = packets;
      e.bytes = bytes;
    }
  }
  if (!flags.matchCounters) return true;
  return counterHolds(packets, flags.options.packets) && counterHolds(bytes, flags.options.bytes);
}

/** The type's test (`kadt` with IPSET_TEST): 1 found, 0 not, NOMATCH a nomatch element. */
function kernelTest(set: IpSet, packet: Packet, flags: TestFlags, ctx: SetOpContext, depth: number): number {
  const o = flags.options;
  if (set.header.type.kind === 'list') {
    if (depth > 0) return 0;
    const memberFlags: TestFlags = { update: flags.update && o.updateSubcounters, matchCounters: false, options: o };
    for (const entry of set.entries(ctx.now)) {
      const member = ctx.store.get(entry.element.name);
      if (!member || ipSetTest(member, packet, memberFlags, ctx, depth + 1) <= 0) continue;
      if (extensionsHold(set.name, entry, flags, ctx)) {
        flags.found = memberFlags.found;
        return 1;
      }
    }
    return 0;
  }
  const element = packetElement(set, packet, o.directions, false);
  if (!element) return 0;
  const nets = set.header.type.nets;
  if (nets === undefined) {
    const entry = set.get(element, ctx.now);
    if (!entry || !extensionsHold(set.name, entry, flags, ctx)) return 0;
    flags.found = entry;
    return 1;
  }
  for (const cidr of set.prefixes()) {
    const probe: SetElement = nets === 'ip' ? { ...element, ip: maskAddress(element.ip, cidr), cidr } : { ...element, ip2: maskAddress(element.ip2, cidr), cidr2: cidr };
    const entry = set.get(probe, ctx.now);
    if (!entry || !extensionsHold(set.name, entry, flags, ctx)) continue;
    flags.found = entry;
    return entry.nomatch ? NOMATCH : 1;
  }
  return 0;
}

/** `ip_set_test`: the dimension check, the type's test, `--return-nomatch`; > 0 means the packet is in the set. */
function ipSetTest(set: IpSet, packet: Packet, flags: TestFlags, ctx: SetOpContext, depth: number): number {
  const o = flags.options;
  if (o.directions.length < set.header.type.dimensions.length || !sameFamily(set, packet)) return 0;
  let ret = kernelTest(set, packet, flags, ctx, depth);
  if (o.returnNomatch && set.header.type.nomatch && ret !== 0) ret = -ret;
  return ret < 0 ? 0 : ret;
}

/** Whether the packet is in the named set, as `-m set --match-set` asks (before its `!`). */
export function testPacket(name: string, packet: Packet, options: SetTestOptions, ctx: SetOpContext): boolean {
  const set = ctx.store.get(name);
  if (!set) return false;
  const flags: TestFlags = { update: options.updateCounters, matchCounters: options.packets !== undefined || options.bytes !== undefined, options };
  return ipSetTest(set, packet, flags, ctx, 0) > 0;
}

/**
 * The SET target's `--map-set` lookup (counters count the packet, as for a
 * match): the element the packet is in, or undefined when it is in none.
 */
export function mapLookup(name: string, packet: Packet, directions: readonly boolean[], ctx: SetOpContext): SetEntry | undefined {
  const set = ctx.store.get(name);
  if (!set) return undefined;
  const options: SetTestOptions = { directions, returnNomatch: false, updateCounters: true, updateSubcounters: true };
  const flags: TestFlags = { update: true, matchCounters: false, options };
  return ipSetTest(set, packet, flags, ctx, 0) > 0 ? flags.found : undefined;
}

export interface SetAddOptions {
  readonly directions: readonly boolean[];
  /** Seconds; undefined: the set's default. */
  readonly timeout?: number;
  readonly exist: boolean;
}

/** The SET target's `--add-set`: true when something was added (or refreshed). */
export function addPacket(name: string, packet: Packet, options: SetAddOptions, ctx: SetOpContext, depth = 0): boolean {
  const set = ctx.store.get(name);
  if (!set || options.directions.length < set.header.type.dimensions.length || !sameFamily(set, packet)) return false;
  if (set.header.type.kind === 'list') {
    if (depth > 0) return false;
    for (const member of set.memberNames(ctx.now)) if (addPacket(member, packet, options, ctx, depth + 1)) return true;
    return false;
  }
  const element = packetElement(set, packet, options.directions, true);
  if (!element) return false;
  const current = set.get(element, ctx.now);
  if (current && !options.exist) return false;
  const writable = ctx.store.writable(name)!;
  try {
    writable.add(element, { timeout: options.timeout, packets: 1, bytes: ctx.length }, ctx.now, options.exist);
  } catch {
    return false; // full: the kernel's add fails and the target goes on
  }
  return true;
}

/** The SET target's `--del-set`: true when an element was deleted. */
export function deletePacket(name: string, packet: Packet, directions: readonly boolean[], ctx: SetOpContext, depth = 0): boolean {
  const set = ctx.store.get(name);
  if (!set || directions.length < set.header.type.dimensions.length || !sameFamily(set, packet)) return false;
  if (set.header.type.kind === 'list') {
    if (depth > 0) return false;
    for (const member of set.memberNames(ctx.now)) if (deletePacket(member, packet, directions, ctx, depth + 1)) return true;
    return false;
  }
  const element = packetElement(set, packet, directions, true);
  if (!element || !set.get(element, ctx.now)) return false;
  return ctx.store.writable(name)!.delete(element, ctx.now);
}
