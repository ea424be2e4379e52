/** The `ADDR[-ADDR][:PORT[-PORT]]` argument of DNAT and SNAT, and `PORT[-PORT]` of MASQUERADE. */
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

export function parseNatRange(text: string, rule: RuleBuildContext, target: string): NatRange {
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

export function formatNatRange(range: NatRange): string {
  let out = '';
  if (range.minAddress !== undefined) {
    out = formatAddress(range.minAddress);
    if (range.maxAddress !== range.minAddress) out += '-' + formatAddress(range.maxAddress!);
  }
  if (range.minPort !== undefined) out += ':' + formatPortSpan(range);
  return out;
}
