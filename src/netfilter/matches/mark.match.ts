/** `-m mark [!] --mark VALUE[/MASK]`: `(packet mark & MASK) == VALUE`. */
import { requireOption, type MatchModule } from '../module';
import { hex, parseValueMask } from '../text/values';
import type { Match, Packet } from '../types';

/** `0x4000`, or `0x4000/0x4000` when the mask is not all ones (shared with connmark). */
export function saveValueMask(value: number, mask: number): string {
  return mask === 0xffffffff ? hex(value) : `${hex(value)}/${hex(mask)}`;
}

export class MarkMatch implements Match {
  readonly name = 'mark';

  constructor(
    readonly value: number,
    readonly mask: number,
    readonly invert: boolean,
  ) {}

  matches(packet: Packet): boolean {
    return ((packet.mark & this.mask) >>> 0 === this.value) !== this.invert;
  }

  save(): string {
    return `-m mark${this.invert ? ' !' : ''} --mark ${saveValueMask(this.value, this.mask)}`;
  }
}

export const markMatchModule: MatchModule = {
  kind: 'match',
  name: 'mark',
  options: [{ name: 'mark', args: 1, invertible: true }],
  build(options) {
    const option = requireOption(options, 'mark', 'mark');
    const { value, mask } = parseValueMask(option.args[0], option.spelled);
    return new MarkMatch(value, mask, option.inverted);
  },
};
