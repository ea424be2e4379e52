/** `-m connmark [!] --mark VALUE[/MASK]`: as `-m mark`, on the connection's mark. */
import { requireOption, type MatchModule } from '../module';
import { parseValueMask } from '../text/values';
import type { Match, Packet } from '../types';
import { saveValueMask } from './mark.match';

export class ConnmarkMatch implements Match {
  readonly name = 'connmark';

  constructor(
    readonly value: number,
    readonly mask: number,
    readonly invert: boolean,
  ) {}

  matches(packet: Packet): boolean {
    return (((packet.ctmark ?? 0) & this.mask) >>> 0 === this.value) !== this.invert;
  }

  save(): string {
    return `-m connmark${this.invert ? ' !' : ''} --mark ${saveValueMask(this.value, this.mask)}`;
  }
}

export const connmarkMatchModule: MatchModule = {
  kind: 'match',
  name: 'connmark',
  options: [{ name: 'mark', args: 1, invertible: true }],
  build(options) {
    const option = requireOption(options, 'mark', 'connmark');
    const { value, mask } = parseValueMask(option.args[0], option.spelled);
    return new ConnmarkMatch(value, mask, option.inverted);
  },
};
