/**
 * Elements as `ipset` writes and reads them (ipset 7.x): `10.0.0.1`,
 * `10.0.0.0/24`, `10.0.0.1,tcp:80`, `10.0.0.1,icmp:echo-request`,
 * `10.0.0.1,udp:53,10.9.0.0/16`, a port `22` of a bitmap:port, a set name
 * of a list:set. Reading also takes ranges (`10.0.0.1-10.0.0.9`, a CIDR for
 * a host type, `tcp:80-82`), which stand for every element they cover, in
 * the order the kernel adds them.
 */
import { formatIPv4, prefixMask } from '../../common/ipv4';
import { formatProtocol, parseProtocol } from '../text/protocols';
import { parseAddress, parseDecimal, parsePort } from '../text/values';
import { SetOperationError, type SetHeader } from './ip-set';
import { EMPTY_ELEMENT, type SetElement } from './set-types';

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

const ICMP_BY_NAME = new Map(ICMP_NAMES.map(([name, type, code]) => [name.toLowerCase(), (type << 8) | code]));
const ICMP_BY_VALUE = new Map<number, string>();
for (const [name, type, code] of ICMP_NAMES) if (!ICMP_BY_VALUE.has((type << 8) | code)) ICMP_BY_VALUE.set((type << 8) | code, name);

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

/** `[proto:]port[-port]` (tcp by default), or `icmp:NAME` / `icmp:T/C`: protocol and port range. */
function parsePortPart(text: string): { proto: number; from: number; to: number } {
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
  if (proto === 1) {
    const named = ICMP_BY_NAME.get(rest.toLowerCase());
    if (named !== undefined) return { proto, from: named, to: named };
    const slash = rest.indexOf('/');
    const type = slash < 0 ? undefined : parseDecimal(rest.slice(0, slash), 255);
    const code = slash < 0 ? undefined : parseDecimal(rest.slice(slash + 1), 255);
    if (type === undefined || code === undefined) throw syntax(`cannot parse '${rest}' as a ICMP type`);
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

function formatPort(proto: number, port: number): string {
  if (proto === 1) {
    return `icmp:${ICMP_BY_VALUE.get(port) ?? `${port >>> 8}/${port & 255}`}`;
  }
  return `${formatProtocol(proto)}:${port}`;
}

function formatNet(ip: number, cidr: number): string {
  return cidr === 32 ? formatIPv4(ip) : `${formatIPv4(ip)}/${cidr}`;
}

/** An element as `ipset save` prints it. */
export function formatElement(header: SetHeader, e: SetElement): string {
  switch (header.type.name) {
    case 'hash:ip':
    case 'bitmap:ip':
      return formatIPv4(e.ip);
    case 'hash:net':
      return formatNet(e.ip, e.cidr);
    case 'hash:ip,port':
      return `${formatIPv4(e.ip)},${formatPort(e.proto, e.port)}`;
    case 'hash:net,port':
      return `${formatNet(e.ip, e.cidr)},${formatPort(e.proto, e.port)}`;
    case 'hash:ip,port,ip':
      return `${formatIPv4(e.ip)},${formatPort(e.proto, e.port)},${formatIPv4(e.ip2)}`;
    case 'hash:ip,port,net':
      return `${formatIPv4(e.ip)},${formatPort(e.proto, e.port)},${formatNet(e.ip2, e.cidr2)}`;
    case 'bitmap:port':
      return String(e.port);
    case 'list:set':
      return e.name;
  }
}
