/**
 * `-m length [!] --length MIN[:MAX]`: the IP packet's total length (tot_len)
 * lies in the inclusive range (xt_length); a range written high:low matches
 * nothing. A trace that gives no length uses a typical size for the
 * protocol (see `packetLength`).
 */
import { RuleSyntaxError, requireOption, type MatchModule } from '../module';
import { parseUnsigned } from '../text/values';
import { packetLength } from '../traversal';
import type { Match, Packet } from '../types';

export class LengthMatch implements Match {
  readonly name = 'length';

  constructor(
    readonly min: number,
    readonly max: number,
    readonly invert: boolean,
  ) {}

  matches(packet: Packet): boolean {
    const length = packetLength(packet);
    return (length >= this.min && length <= this.max) !== this.invert;
  }

  save(): string {
    return `-m length${this.invert ? ' !' : ''} --length ${this.min === this.max ? this.min : `${this.min}:${this.max}`}`;
  }
}

export const lengthMatchModule: MatchModule = {
  kind: 'match',
  name: 'length',
  options: [{ name: 'length', args: 1, invertible: true }],
  build(options) {
    const option = requireOption(options, 'length', 'length');
    const parts = option.args[0].split(':');
    const read = (word: string, empty: number) => {
      if (word === '') return empty;
      const value = parseUnsigned(word, 65535);
      if (value === undefined) throw new RuleSyntaxError(`length: bad value for option "${option.spelled}" near "${word}", or out of range (0-65535).`);
      return value;
    };
    if (parts.length > 2) throw new RuleSyntaxError(`length: bad value for option "${option.spelled}" near "${option.args[0]}", or out of range (0-65535).`);
    const min = read(parts[0], 0);
    const max = parts.length === 1 ? min : read(parts[1], 65535);
    return new LengthMatch(min, max, option.inverted);
  },
};
