/**
 * Elements as `ipset` writes and reads them (ipset 7.x): `10.0.0.1`,
 * `10.0.0.0/24`, `10.0.0.1,tcp:80`, `10.0.0.1,icmp:echo-request`,
 * `10.0.0.1,udp:53,10.9.0.0/16`, a port `22` of a bitmap:port, a set name
 * of a list:set. Reading also takes ranges (`10.0.0.1-10.0.0.9`, a CIDR for
 * a host type, `tcp:80-82`), which stand for every element they cover, in
 * the order the kernel adds them.
 *
 * In a `family inet6` set addresses are IPv6 (`fd00::1`, `fd00:10::/64`,
 * `fd00::1,ipv6-icmp:echo-request`); as in ipset, an address range is refused
 * there (a host part must be a plain address, a net part an address or a
 * CIDR), port ranges are not.
 */
import { prefixMask } from '../../common/ipv4';
import { tryParseIPv6 } from '../../ipam/ipv6';
import { formatIp, ipv6PrefixMask } from '../address';
import { formatProtocol, parseProtocol } from '../text/protocols';
import { parseAddress, parseDecimal, parsePort } from '../text/values';
import { SetOperationError, type SetHeader } from './ip-set';
import { EMPTY_ELEMENT, emptyElement, hostPrefix, type SetElement, type SetFamily } from './set-types';

/** ICMP type/code names as ipset reads and prints them (its own table, not iptables'). */
const ICMP_NAMES: ReadonlyArray<[string, number, number]> = [
  ['echo-reply', 0, 0],
  ['pong', 0, 0],
  ['network-unreachable', 3, 0],
  ['host-unreachable', 3, 1],
  ['protocol-unreachable', 3, 2],
  ['port-unreachable', 3, 3],
  ['fragmentation-needed', 3, 4],
  ['source-route-failed', 3, 5],
  ['network-unknown', 3, 6],
  ['host-unknown', 3, 7],
  ['network-prohibited', 3, 9],
  ['host-prohibited', 3, 10],
  ['TOS-network-unreachable', 3, 11],
  ['TOS-host-unreachable', 3, 12],
  ['communication-prohibited', 3, 13],
  ['host-precedence-violation', 3, 14],
  ['precedence-cutoff', 3, 15],
  ['source-quench', 4, 0],
  ['network-redirect', 5, 0],
  ['host-redirect', 5, 1],
  ['TOS-network-redirect', 5, 2],
  ['TOS-host-redirect', 5, 3],
  ['echo-request', 8, 0],
  ['ping', 8, 0],
  ['router-advertisement', 9, 0],
  ['router-solicitation', 10, 0],
  ['ttl-zero-during-transit', 11, 0],
  ['ttl-zero-during-reassembly', 11, 1],
  ['ip-header-bad', 12, 0],
  ['required-option-missing', 12, 1],
  ['timestamp-request', 13, 0],
  ['timestamp-reply', 14, 0],
  ['address-mask-request', 17, 0],
  ['address-mask-reply', 18, 0],
];

/** ICMPv6 type/code names as ipset reads and prints them (its own table, spelling slips included). */
const ICMPV6_NAMES: ReadonlyArray<[string, number, number]> = [
  ['no-route', 1, 0],
  ['communication-prohibited', 1, 1],
  ['address-unreachable', 1, 3],
  ['port-unreachable', 1, 4],
  ['packet-too-big', 2, 0],
  ['ttl-zero-during-transit', 3, 0],
  ['ttl-zero-during-reassembly', 3, 1],
  ['bad-header', 4, 0],
  ['unknown-header-type', 4, 1],
  ['unknown-option', 4, 2],
  ['echo-request', 128, 0],
  ['ping', 128, 0],
  ['echo-reply', 129, 0],
  ['pong', 129, 0],
  ['router-solicitation', 133, 0],
  ['router-advertisement', 134, 0],
  ['neighbour-solicitation', 135, 0],
  ['neigbour-solicitation', 135, 0],
  ['neighbour-advertisement', 136, 0],
  ['neigbour-advertisement', 136, 0],
  ['redirect', 137, 0],
];

const ICMP_BY_NAME = new Map(ICMP_NAMES.map(([name, type, code]) => [name.toLowerCase(), (type << 8) | code]));
const ICMP_BY_VALUE = new Map<number, string>();
for (const [name, type, code] of ICMP_NAMES) if (!ICMP_BY_VALUE.has((type << 8) | code)) ICMP_BY_VALUE.set((type << 8) | code, name);
const ICMPV6_BY_NAME = new Map(ICMPV6_NAMES.map(([name, type, code]) => [name.toLowerCase(), (type << 8) | code]));
const ICMPV6_BY_VALUE = new Map<number, string>();
for (const [name, type, code] of ICMPV6_NAMES) if (!ICMPV6_BY_VALUE.has((type << 8) | code)) ICMPV6_BY_VALUE.set((type << 8) | code, name);

/** Protocols whose port part is a real port (else it must be 0). */
const PORT_PROTOCOLS: ReadonlySet<number> = new Set([6, 17, 132, 136]);

function syntax(message: string): SetOperationError {
  return new SetOperationError(`Syntax error: ${message}`);
}

/** `A`, `A/N` or `A-B`: the first and last address covered, and the prefix when one was given. */
function parseAddressPart(text: string, allowRange: boolean): { from: number; to: number; cidr: number | undefined } {
  const slash = text.indexOf('/');
  const dash = text.indexOf('-');
  if (slash >= 0) {
    const address = parseAddress(text, 0, slash);
    if (address === undefined) throw syntax(`cannot parse ${text.slice(0, slash)}: resolving to IPv4 address failed`);
    const cidrText = text.slice(slash + 1);
    const cidr = parseDecimal(cidrText, 255);
    if (cidr === undefined) throw syntax(`'${cidrText}' is invalid as number`);
    if (cidr > 32) throw syntax(`'${cidrText}' is out of range 0-32`);
    const mask = prefixMask(cidr);
    const from = (address & mask) >>> 0;
    return { from, to: (from | ~mask) >>> 0, cidr };
  }
  if (dash >= 0) {
    if (!allowRange) throw syntax(`range is not supported in ${text}`);
    const from = parseAddress(text, 0, dash);
    const to = parseAddress(text, dash + 1);
    if (from === undefined) throw syntax(`cannot parse ${text.slice(0, dash)}: resolving to IPv4 address failed`);
    if (to === undefined) throw syntax(`cannot parse ${text.slice(dash + 1)}: resolving to IPv4 address failed`);
    return from <= to ? { from, to, cidr: undefined } : { from: to, to: from, cidr: undefined };
  }
  const address = parseAddress(text);
  if (address === undefined) throw syntax(`cannot parse ${text}: resolving to IPv4 address failed`);
  return { from: address, to: address, cidr: undefined };
}

/** The CIDR blocks that cover `from..to`, in order (`ip_set_range_to_cidr`). */
export function rangeToCidrs(from: number, to: number): Array<{ ip: number; cidr: number }> {
  const out: Array<{ ip: number; cidr: number }> = [];
  let ip = from;
  for (;;) {
    let cidr = 32;
    while (cidr > 0) {
      const mask = prefixMask(cidr - 1);
      const last = (ip | ~mask) >>> 0;
      if ((ip & mask) >>> 0 !== ip || last > to) break;
      cidr--;
    }
    out.push({ ip, cidr });
    const last = (ip | ~prefixMask(cidr)) >>> 0;
    if (last >= to) return out;
    ip = last + 1;
  }
}

/** `[proto:]port[-port]` (tcp by default), or `icmp:NAME` / `icmp:T/C` (`icmpv6:` in an inet6 set): protocol and port range. */
function parsePortPart(text: string, family: SetFamily = 'inet'): { proto: number; from: number; to: number } {
  const colon = text.indexOf(':');
  let proto = 6;
  let rest = text;
  if (colon >= 0) {
    const name = text.slice(0, colon);
    const number = parseProtocol(name);
    if (number === undefined || number === 0) throw syntax(`cannot parse '${name}' as a protocol`);
    proto = number;
    rest = text.slice(colon + 1);
  }
  if (proto === 1 && family === 'inet6') throw syntax('Protocol ICMP can be used with family inet only');
  if (proto === 58 && family === 'inet') throw syntax('Protocol ICMPv6 can be used with family inet6 only');
  if (proto === 1) {
    const named = ICMP_BY_NAME.get(rest.toLowerCase());
    if (named !== undefined) return { proto, from: named, to: named };
    const slash = rest.indexOf('/');
    const type = slash < 0 ? undefined : parseDecimal(rest.slice(0, slash), 255);
    const code = slash < 0 ? undefined : parseDecimal(rest.slice(slash + 1), 255);
    if (type === undefined || code === undefined) throw syntax(`cannot parse '${rest}' as a ICMP type`);
    return { proto, from: (type << 8) | code, to: (type << 8) | code };
  }
  if (proto === 58) {
    const named = ICMPV6_BY_NAME.get(rest.toLowerCase());
    if (named !== undefined) return { proto, from: named, to: named };
    const slash = rest.indexOf('/');
    if (slash < 0) throw new SetOperationError(`Cannot parse ${rest} as an ICMPv6 type/code.`);
    const value = (part: string): number => {
      const n = parseDecimal(part, 0xffffffff);
      if (n === undefined) throw new SetOperationError(`Cannot parse ${rest} as an ICMPv6 type/code.`);
      if (n > 255) throw syntax(`'${part}' is out of range 0-255`);
      return n;
    };
    const type = value(rest.slice(0, slash));
    const code = value(rest.slice(slash + 1));
    return { proto, from: (type << 8) | code, to: (type << 8) | code };
  }
  const dash = rest.indexOf('-');
  const fromText = dash < 0 ? rest : rest.slice(0, dash);
  const toText = dash < 0 ? rest : rest.slice(dash + 1);
  const from = parsePort(fromText);
  const to = parsePort(toText);
  const protoName = formatProtocol(proto);
  if (from === undefined) throw syntax(`cannot parse '${fromText}' as a ${protoName} port`);
  if (to === undefined) throw syntax(`cannot parse '${toText}' as a ${protoName} port`);
  if (!PORT_PROTOCOLS.has(proto) && (from !== 0 || to !== 0)) throw syntax(`Only port value 0 is supported for protocol ${protoName}`);
  return from <= to ? { proto, from, to } : { proto, from: to, to: from };
}

/**
 * The elements an `add`/`del` argument stands for, in the order the kernel
 * adds them: ranges of addresses (host types), of networks (split into CIDR
 * blocks) and of ports are expanded.
 */
export function parseElements(header: SetHeader, text: string): SetElement[] {
  const type = header.type;
  const parts = text.split(',');
  if (parts.length < type.dimensions.length) {
    throw syntax(`${['First', 'Second', 'Third'][parts.length]} element is missing from ${text}.`);
  }
  if (parts.length > type.dimensions.length) throw syntax(`Elem separator in ${text}, but settype ${type.name} supports none.`);
  if (type.name === 'list:set') return [{ ...EMPTY_ELEMENT, name: text }];
  if (header.family === 'inet6') return parseElements6(header, text, parts);
  if (type.name === 'bitmap:port') {
    const range = parsePortPart(text.includes(':') ? text : text);
    if (range.from < header.rangeFrom || range.to > header.rangeTo) throw new SetOperationError('Element is out of the range of the set');
    const out: SetElement[] = [];
    for (let p = range.from; p <= range.to; p++) out.push({ ...EMPTY_ELEMENT, port: p });
    return out;
  }

  // Address dimensions: host parts expand to each address (stepping by the netmask), net parts to CIDR blocks.
  const hostStep = header.netmask >= 32 ? 1 : 2 ** (32 - header.netmask);
  const hostMask = prefixMask(header.netmask);
  const addresses = (part: string, net: boolean): Array<{ ip: number; cidr: number }> => {
    const range = parseAddressPart(part, true);
    if (net) {
      if (range.cidr !== undefined) {
        if (range.cidr === 0) throw syntax(`'0' is out of range 1-32`);
        return [{ ip: range.from, cidr: range.cidr }];
      }
      return rangeToCidrs(range.from, range.to);
    }
    const out: Array<{ ip: number; cidr: number }> = [];
    const from = (range.from & hostMask) >>> 0;
    const to = (range.to & hostMask) >>> 0;
    for (let ip = from; ip <= to; ip += hostStep) out.push({ ip, cidr: 32 });
    return out;
  };

  if (type.name === 'bitmap:ip') {
    const list = addresses(parts[0], false);
    for (const a of list) {
      if (a.ip < header.rangeFrom || a.ip > header.rangeTo) throw new SetOperationError('Element is out of the range of the set');
    }
    return list.map((a) => ({ ...EMPTY_ELEMENT, ip: a.ip }));
  }

  const first = addresses(parts[0], type.dimensions[0] === 'net');
  const out: SetElement[] = [];
  if (type.dimensions.length === 1) {
    for (const a of first) out.push({ ...EMPTY_ELEMENT, ip: a.ip, cidr: a.cidr });
    return out;
  }
  const port = parsePortPart(parts[1]);
  const third = type.dimensions.length === 3 ? addresses(parts[2], type.dimensions[2] === 'net') : [{ ip: 0, cidr: 32 }];
  for (const a of first) {
    for (let p = port.from; p <= port.to; p++) {
      for (const b of third) out.push({ ...EMPTY_ELEMENT, ip: a.ip, cidr: a.cidr, proto: port.proto, port: p, ip2: b.ip, cidr2: b.cidr });
    }
  }
  return out;
}

/** An IPv6 address part of an element: a plain address (host parts) or an address with an optional prefix (net parts). */
function parseAddress6(text: string, net: boolean, netmask: number): { ip: bigint; cidr: number } {
  const slash = text.indexOf('/');
  if (text.includes('-') || (!net && slash >= 0)) {
    throw syntax(net ? `IP address or IP/cidr must be specified: ${text}` : `plain IP address must be supplied: ${text}`);
  }
  const addressText = slash < 0 ? text : text.slice(0, slash);
  const address = tryParseIPv6(addressText);
  if (address === undefined) throw syntax(`cannot parse ${addressText}: resolving to IPv6 address failed`);
  if (slash < 0) return { ip: address & ipv6PrefixMask(netmask), cidr: 128 };
  const cidrText = text.slice(slash + 1);
  const cidr = parseDecimal(cidrText, 0xffffffff);
  if (cidr === undefined) throw syntax(`'${cidrText}' is invalid as number`);
  if (cidr > 128) throw syntax(`'${cidrText}' is out of range 0-128`);
  // The kernel's refusal (IPSET_ERR_INVALID_CIDR), without ipset's "Syntax error" prefix.
  if (cidr === 0) throw new SetOperationError('The value of the CIDR parameter of the IP address is invalid');
  return { ip: address & ipv6PrefixMask(cidr), cidr };
}

/** `parseElements` for a `family inet6` hash set: no address ranges, port ranges expanded. */
function parseElements6(header: SetHeader, text: string, parts: string[]): SetElement[] {
  const type = header.type;
  const empty = emptyElement('inet6');
  const first = parseAddress6(parts[0], type.dimensions[0] === 'net', header.netmask);
  if (type.dimensions.length === 1) return [{ ...empty, ip: first.ip, cidr: first.cidr }];
  const port = parsePortPart(parts[1], 'inet6');
  const third = type.dimensions.length === 3 ? parseAddress6(parts[2], type.dimensions[2] === 'net', 128) : { ip: 0n, cidr: 128 };
  const out: SetElement[] = [];
  for (let p = port.from; p <= port.to; p++) out.push({ ...empty, ip: first.ip, cidr: first.cidr, proto: port.proto, port: p, ip2: third.ip, cidr2: third.cidr });
  return out;
}

function formatPort(proto: number, port: number): string {
  if (proto === 1) {
    return `icmp:${ICMP_BY_VALUE.get(port) ?? `${port >>> 8}/${port & 255}`}`;
  }
  if (proto === 58) {
    return `ipv6-icmp:${ICMPV6_BY_VALUE.get(port) ?? `${port >>> 8}/${port & 255}`}`;
  }
  return `${formatProtocol(proto)}:${port}`;
}

function formatNet(ip: SetElement['ip'], cidr: number): string {
  return cidr === hostPrefix(typeof ip === 'bigint' ? 'inet6' : 'inet') ? formatIp(ip) : `${formatIp(ip)}/${cidr}`;
}

/** An element as `ipset save` prints it. */
export function formatElement(header: SetHeader, e: SetElement): string {
  switch (header.type.name) {
    case 'hash:ip':
    case 'bitmap:ip':
      return formatIp(e.ip);
    case 'hash:net':
      return formatNet(e.ip, e.cidr);
    case 'hash:ip,port':
      return `${formatIp(e.ip)},${formatPort(e.proto, e.port)}`;
    case 'hash:net,port':
      return `${formatNet(e.ip, e.cidr)},${formatPort(e.proto, e.port)}`;
    case 'hash:ip,port,ip':
      return `${formatIp(e.ip)},${formatPort(e.proto, e.port)},${formatIp(e.ip2)}`;
    case 'hash:ip,port,net':
      return `${formatIp(e.ip)},${formatPort(e.proto, e.port)},${formatNet(e.ip2, e.cidr2)}`;
    case 'bitmap:port':
      return String(e.port);
    case 'list:set':
      return e.name;
  }
}
