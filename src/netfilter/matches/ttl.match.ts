/**
 * `-m ttl [!] --ttl-eq N | --ttl-lt N | --ttl-gt N`: the IP TTL as the
 * packet has it at that hook (xt_ttl; `! --ttl-eq` is "not equal"). A trace
 * that gives no TTL is taken as Linux's default of 64 as it arrives, 63 once
 * this host forwards it (the TTL drops before FORWARD).
 */
import { RuleSyntaxError, findOption, refuseTogether, type MatchModule, type ParsedOption } from '../module';
import { parseUnsigned } from '../text/values';
import type { Match, Packet } from '../types';

export const DEFAULT_TTL = 64;

type Comparison = 'eq' | 'ne' | 'lt' | 'gt';

export class TtlMatch implements Match {
  readonly name = 'ttl';

  constructor(
    readonly comparison: Comparison,
    readonly value: number,
  ) {}

  matches(packet: Packet): boolean {
    // Not given: 64, less the hop this host takes off a packet it forwards (before FORWARD).
    const ttl = packet.ttl ?? (packet.inInterface !== undefined && packet.outInterface !== undefined ? DEFAULT_TTL - 1 : DEFAULT_TTL);
    switch (this.comparison) {
      case 'eq':
        return ttl === this.value;
      case 'ne':
        return ttl !== this.value;
      case 'lt':
        return ttl < this.value;
      case 'gt':
        return ttl > this.value;
    }
  }

  save(): string {
    const c = this.comparison;
    return c === 'ne' ? `-m ttl ! --ttl-eq ${this.value}` : `-m ttl --ttl-${c} ${this.value}`;
  }
}

function value(option: ParsedOption): number {
  const n = parseUnsigned(option.args[0], 255);
  if (n === undefined) throw new RuleSyntaxError(`ttl: bad value for option "${option.spelled}", or out of range (0-255).`);
  return n;
}

export const ttlMatchModule: MatchModule = {
  kind: 'match',
  name: 'ttl',
  options: [
    { name: 'ttl-eq', args: 1, invertible: true },
    { name: 'ttl-lt', args: 1 },
    { name: 'ttl-gt', args: 1 },
  ],
  build(options) {
    refuseTogether(options, 'ttl', ['ttl-eq', 'ttl-lt', 'ttl-gt']);
    const eq = findOption(options, 'ttl-eq');
    if (eq) return new TtlMatch(eq.inverted ? 'ne' : 'eq', value(eq));
    const lt = findOption(options, 'ttl-lt');
    if (lt) return new TtlMatch('lt', value(lt));
    const gt = findOption(options, 'ttl-gt');
    if (gt) return new TtlMatch('gt', value(gt));
    throw new RuleSyntaxError("TTL match: You must specify one of `--ttl-eq', `--ttl-lt', `--ttl-gt");
  },
};
