/**
 * What `-m ttl` (IPv4 TTL, xt_ttl) and `-m hl` (IPv6 hop limit, ip6t_hl)
 * share: `[!] --X-eq N | --X-lt N | --X-gt N` (`! --X-eq` is "not equal"; the
 * other two cannot be negated), one of them, N 0-255, tested against the
 * packet's `ttl` as it is at that hook. A trace that gives none is taken as
 * DEFAULT_TTL as it arrives, one less once this host forwards it (the count
 * drops before FORWARD). Each match brings its name and its tool's words.
 */
import { RuleSyntaxError, findOption, refuseTogether, type MatchModule, type ParsedOption } from '../module';
import { parseUnsigned } from '../text/values';
import { DEFAULT_TTL, type Match, type Packet } from '../types';

/** One of the two matches, as its tool knows it. */
export interface HopCountKind {
  /** The match's name and its options' prefix (`ttl`: `--ttl-eq`; `hl`: `--hl-eq`). */
  readonly name: 'ttl' | 'hl';
  /** The tool's refusal when no option is given, word for word. */
  readonly missingOption: string;
}

type Comparison = 'eq' | 'ne' | 'lt' | 'gt';

export class HopCountMatch implements Match {
  readonly name: string;

  constructor(
    readonly kind: HopCountKind,
    readonly comparison: Comparison,
    readonly value: number,
  ) {
    this.name = kind.name;
  }

  matches(packet: Packet): boolean {
    const count = packet.ttl ?? (packet.inInterface !== undefined && packet.outInterface !== undefined ? DEFAULT_TTL - 1 : DEFAULT_TTL);
    switch (this.comparison) {
      case 'eq':
        return count === this.value;
      case 'ne':
        return count !== this.value;
      case 'lt':
        return count < this.value;
      case 'gt':
        return count > this.value;
    }
  }

  save(): string {
    const { name } = this.kind;
    return this.comparison === 'ne' ? `-m ${name} ! --${name}-eq ${this.value}` : `-m ${name} --${name}-${this.comparison} ${this.value}`;
  }
}

/** The match module of one kind. */
export function hopCountMatchModule(kind: HopCountKind): MatchModule {
  const { name } = kind;
  const value = (option: ParsedOption): number => {
    const n = parseUnsigned(option.args[0], 255);
    if (n === undefined) throw new RuleSyntaxError(`${name}: bad value for option "${option.spelled}", or out of range (0-255).`);
    return n;
  };
  return {
    kind: 'match',
    name,
    options: [
      { name: `${name}-eq`, args: 1, invertible: true },
      { name: `${name}-lt`, args: 1 },
      { name: `${name}-gt`, args: 1 },
    ],
    build(options) {
      refuseTogether(options, name, [`${name}-eq`, `${name}-lt`, `${name}-gt`]);
      const eq = findOption(options, `${name}-eq`);
      if (eq) return new HopCountMatch(kind, eq.inverted ? 'ne' : 'eq', value(eq));
      for (const comparison of ['lt', 'gt'] as const) {
        const option = findOption(options, `${name}-${comparison}`);
        if (option) return new HopCountMatch(kind, comparison, value(option));
      }
      throw new RuleSyntaxError(kind.missingOption);
    },
  };
}
