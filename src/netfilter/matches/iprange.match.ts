/**
 * `-m iprange [!] --src-range FROM[-TO] [!] --dst-range FROM[-TO]`: the
 * packet's source / destination lies in an inclusive range of addresses
 * (xt_iprange). A range written high-low is kept as written and matches no
 * address (iptables only warns that it is reversed). A single address is
 * the range FROM-FROM, and iptables-save prints it so.
 */
import { v4 } from '../address';
import { RuleSyntaxError, findOption, type MatchModule, type ParsedOption } from '../module';
import { formatAddress, parseAddress } from '../text/values';
import type { Match, Packet } from '../types';

export interface AddressRange {
  readonly from: number;
  readonly to: number;
  readonly invert: boolean;
}

function parseRange(option: ParsedOption): AddressRange {
  const text = option.args[0];
  const dash = text.indexOf('-');
  const bad = (word: string) => new RuleSyntaxError(`iprange: Bad value for "${option.spelled}" option: "${word}"`);
  const fromText = dash < 0 ? text : text.slice(0, dash);
  const from = parseAddress(fromText);
  if (from === undefined) throw bad(fromText);
  if (dash < 0) return { from, to: from, invert: option.inverted };
  const toText = text.slice(dash + 1);
  const to = parseAddress(toText);
  if (to === undefined) throw bad(toText);
  return { from, to, invert: option.inverted };
}

function holds(range: AddressRange | undefined, address: number): boolean {
  return range === undefined || (address >= range.from && address <= range.to) !== range.invert;
}

function saveRange(option: string, range: AddressRange | undefined): string {
  if (range === undefined) return '';
  return `${range.invert ? ' !' : ''} --${option} ${formatAddress(range.from)}-${formatAddress(range.to)}`;
}

export class IprangeMatch implements Match {
  readonly name = 'iprange';

  constructor(
    readonly source: AddressRange | undefined,
    readonly destination: AddressRange | undefined,
  ) {}

  matches(packet: Packet): boolean {
    return holds(this.source, v4(packet.source)) && holds(this.destination, v4(packet.destination));
  }

  save(): string {
    return `-m iprange${saveRange('src-range', this.source)}${saveRange('dst-range', this.destination)}`;
  }
}

export const iprangeMatchModule: MatchModule = {
  kind: 'match',
  name: 'iprange',
  options: [
    { name: 'src-range', args: 1, invertible: true },
    { name: 'dst-range', args: 1, invertible: true },
  ],
  build(options) {
    const source = findOption(options, 'src-range');
    const destination = findOption(options, 'dst-range');
    if (!source && !destination) throw new RuleSyntaxError("iprange match: You must specify `--src-range' or `--dst-range'");
    return new IprangeMatch(source && parseRange(source), destination && parseRange(destination));
  },
};
