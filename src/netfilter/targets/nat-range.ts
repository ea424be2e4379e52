/** The `ADDR[-ADDR][:PORT[-PORT]]` argument of DNAT and SNAT, and `PORT[-PORT]` of MASQUERADE. */
import { formatIPv6, tryParseIPv6 } from '../../ipam/ipv6';
import type { IpAddress } from '../address';
import { RuleSyntaxError, type RuleBuildContext } from '../module';
import { formatAddress, parseAddress, parseUnsigned } from '../text/values';
import { PROTOCOL_NUMBERS, type NatRange } from '../types';

/** Protocols whose ports NAT can rewrite: tcp, udp, sctp, dccp. */
const PORT_PROTOCOLS = new Set([PROTOCOL_NUMBERS.tcp, PROTOCOL_NUMBERS.udp, PROTOCOL_NUMBERS.sctp, 33]);

export function requirePortProtocol(rule: RuleBuildContext, target: string): void {
  if (rule.protocol === undefined || rule.protocolInverted || !PORT_PROTOCOLS.has(rule.protocol)) {
    throw new RuleSyntaxError(`${target}: a port needs "-p tcp", "-p udp", "-p sctp" or "-p dccp"`);
  }
}

function port(text: string, whole: string, target: string): number {
  const value = parseUnsigned(text, 65535);
  if (value === undefined) throw new RuleSyntaxError(`${target}: bad port "${text}" in "${whole}"`);
  return value;
}

/** `PORT` or `PORT-PORT`. */
export function parsePortSpan(text: string, whole: string, target: string): { minPort: number; maxPort: number } {
  const dash = text.indexOf('-');
  const minPort = port(dash < 0 ? text : text.slice(0, dash), whole, target);
  const maxPort = dash < 0 ? minPort : port(text.slice(dash + 1), whole, target);
  if (maxPort < minPort) throw new RuleSyntaxError(`${target}: bad port range "${text}" in "${whole}"`);
  return { minPort, maxPort };
}

/**
 * ip6tables' form: `ADDR[-ADDR]` (a colon belongs to the address), or with
 * ports `[ADDR[-ADDR]]:PORT[-PORT]`; an address that is not IPv6 is refused
 * as ip6tables refuses it (`Bad IP address "10.0.0.1"`).
 */
function parseNatRange6(text: string, rule: RuleBuildContext, target: string): NatRange {
  let addressPart = text;
  let portPart: string | undefined;
  if (text.startsWith('[')) {
    const close = text.indexOf(']');
    if (close < 0) throw new RuleSyntaxError(`${target}: bad range "${text}"`);
    addressPart = text.slice(1, close);
    const rest = text.slice(close + 1);
    if (rest !== '') {
      if (!rest.startsWith(':')) throw new RuleSyntaxError(`${target}: Port \`${rest}' not valid`);
      portPart = rest.slice(1);
    }
  }
  let minAddress: bigint | undefined;
  let maxAddress: bigint | undefined;
  if (addressPart !== '') {
    const dash = addressPart.indexOf('-');
    const first = dash < 0 ? addressPart : addressPart.slice(0, dash);
    const last = dash < 0 ? first : addressPart.slice(dash + 1);
    minAddress = tryParseIPv6(first);
    if (minAddress === undefined) throw new RuleSyntaxError(`${target}: Bad IP address "${first}"`);
    maxAddress = tryParseIPv6(last);
    if (maxAddress === undefined) throw new RuleSyntaxError(`${target}: Bad IP address "${last}"`);
    if (maxAddress < minAddress) throw new RuleSyntaxError(`${target}: bad address "${addressPart}" in "${text}"`);
  }
  if (portPart === undefined) {
    if (minAddress === undefined) throw new RuleSyntaxError(`${target}: bad range "${text}"`);
    return { minAddress, maxAddress };
  }
  requirePortProtocol(rule, target);
  const { minPort, maxPort } = parsePortSpan(portPart, text, target);
  return { minAddress, maxAddress, minPort, maxPort };
}

export function parseNatRange(text: string, rule: RuleBuildContext, target: string): NatRange {
  if (rule.family === 'ipv6') return parseNatRange6(text, rule, target);
  const colon = text.indexOf(':');
  const addressPart = colon < 0 ? text : text.slice(0, colon);
  let minAddress: number | undefined;
  let maxAddress: number | undefined;
  if (addressPart !== '') {
    const dash = addressPart.indexOf('-');
    minAddress = parseAddress(dash < 0 ? addressPart : addressPart.slice(0, dash));
    maxAddress = dash < 0 ? minAddress : parseAddress(addressPart.slice(dash + 1));
    if (minAddress === undefined || maxAddress === undefined || maxAddress < minAddress) {
      throw new RuleSyntaxError(`${target}: bad address "${addressPart}" in "${text}"`);
    }
  }
  if (colon < 0) {
    if (minAddress === undefined) throw new RuleSyntaxError(`${target}: bad range "${text}"`);
    return { minAddress, maxAddress };
  }
  requirePortProtocol(rule, target);
  const { minPort, maxPort } = parsePortSpan(text.slice(colon + 1), text, target);
  return { minAddress, maxAddress, minPort, maxPort };
}

export function formatPortSpan(range: NatRange): string {
  return range.minPort === range.maxPort ? String(range.minPort) : `${range.minPort}-${range.maxPort}`;
}

/** One address of a range as ip6tables or iptables prints it. */
function rangeAddressText(address: IpAddress): string {
  return typeof address === 'bigint' ? formatIPv6(address) : formatAddress(address);
}

export function formatNatRange(range: NatRange): string {
  const min = range.minAddress;
  if (typeof min === 'bigint') {
    let addresses = formatIPv6(min);
    if (range.maxAddress !== min) addresses += '-' + rangeAddressText(range.maxAddress!);
    return range.minPort === undefined ? addresses : `[${addresses}]:${formatPortSpan(range)}`;
  }
  let out = '';
  if (range.minAddress !== undefined) {
    out = rangeAddressText(range.minAddress);
    if (range.maxAddress !== range.minAddress) out += '-' + rangeAddressText(range.maxAddress!);
  }
  if (range.minPort !== undefined) out += ':' + formatPortSpan(range);
  return out;
}
