/**
 * `-m tos [!] --tos VALUE[/MASK] | SYMBOL`: `(TOS byte & MASK) == VALUE`
 * (xt_tos). A number's mask defaults to 0xff; the symbolic names of RFC 1349
 * (Minimize-Delay 0x10, Maximize-Throughput 0x08, Maximize-Reliability 0x04,
 * Minimize-Cost 0x02, Normal-Service 0x00, any case) take the mask 0x3f.
 * A trace's packets have TOS 0 unless the rules rewrite it.
 */
import { RuleSyntaxError, requireOption, type MatchModule } from '../module';
import { parseUnsigned } from '../text/values';
import type { Match, Packet } from '../types';

const SYMBOLS: ReadonlyArray<[string, number]> = [
  ['minimize-delay', 0x10],
  ['maximize-throughput', 0x08],
  ['maximize-reliability', 0x04],
  ['minimize-cost', 0x02],
  ['normal-service', 0x00],
];

const hex2 = (n: number) => '0x' + n.toString(16).padStart(2, '0');

export class TosMatch implements Match {
  readonly name = 'tos';

  constructor(
    readonly value: number,
    readonly mask: number,
    readonly invert: boolean,
  ) {}

  matches(packet: Packet): boolean {
    return (((packet.tos ?? 0) & this.mask) === this.value) !== this.invert;
  }

  save(): string {
    return `-m tos${this.invert ? ' !' : ''} --tos ${hex2(this.value)}/${hex2(this.mask)}`;
  }
}

export const tosMatchModule: MatchModule = {
  kind: 'match',
  name: 'tos',
  options: [{ name: 'tos', args: 1, invertible: true }],
  build(options) {
    const option = requireOption(options, 'tos', 'tos');
    const text = option.args[0];
    const symbol = SYMBOLS.find(([name]) => name === text.toLowerCase());
    if (symbol) return new TosMatch(symbol[1], 0x3f, option.inverted);
    const slash = text.indexOf('/');
    const value = parseUnsigned(slash < 0 ? text : text.slice(0, slash), 255);
    const mask = slash < 0 ? 0xff : parseUnsigned(text.slice(slash + 1), 255);
    if (value === undefined || mask === undefined) throw new RuleSyntaxError(`Symbolic name "${text}" is unknown`);
    return new TosMatch(value & mask, mask, option.inverted);
  },
};
