/**
 * `-m hl [!] --hl-eq N | --hl-lt N | --hl-gt N`: the IPv6 hop limit, as
 * `-m ttl` tests the IPv4 TTL (ip6t_hl; `! --hl-eq` is "not equal"; the
 * other two cannot be negated). The packet's `ttl` field holds it; a trace
 * that gives none is taken as 64 on arrival, 63 once forwarded.
 */
import { RuleSyntaxError, findOption, refuseTogether, type MatchModule, type ParsedOption } from '../module';
import { parseUnsigned } from '../text/values';
import type { Match, Packet } from '../types';
import { DEFAULT_TTL } from './ttl.match';

type Comparison = 'eq' | 'ne' | 'lt' | 'gt';

export class HlMatch implements Match {
  readonly name = 'hl';

  constructor(
    readonly comparison: Comparison,
    readonly value: number,
  ) {}

  matches(packet: Packet): boolean {
    const hl = packet.ttl ?? (packet.inInterface !== undefined && packet.outInterface !== undefined ? DEFAULT_TTL - 1 : DEFAULT_TTL);
    switch (this.comparison) {
      case 'eq':
        return hl === this.value;
      case 'ne':
        return hl !== this.value;
      case 'lt':
        return hl < this.value;
      case 'gt':
        return hl > this.value;
    }
  }

  save(): string {
    const c = this.comparison;
    return c === 'ne' ? `-m hl ! --hl-eq ${this.value}` : `-m hl --hl-${c} ${this.value}`;
  }
}

function value(option: ParsedOption): number {
  const n = parseUnsigned(option.args[0], 255);
  if (n === undefined) throw new RuleSyntaxError(`hl: bad value for option "${option.spelled}", or out of range (0-255).`);
  return n;
}

export const hlMatchModule: MatchModule = {
  kind: 'match',
  name: 'hl',
  options: [
    { name: 'hl-eq', args: 1, invertible: true },
    { name: 'hl-lt', args: 1 },
    { name: 'hl-gt', args: 1 },
  ],
  build(options) {
    refuseTogether(options, 'hl', ['hl-eq', 'hl-lt', 'hl-gt']);
    const eq = findOption(options, 'hl-eq');
    if (eq) return new HlMatch(eq.inverted ? 'ne' : 'eq', value(eq));
    const lt = findOption(options, 'hl-lt');
    if (lt) return new HlMatch('lt', value(lt));
    const gt = findOption(options, 'hl-gt');
    if (gt) return new HlMatch('gt', value(gt));
    throw new RuleSyntaxError("hl match: You must specify one of `--hl-eq', `--hl-lt', `--hl-gt'");
  },
};
