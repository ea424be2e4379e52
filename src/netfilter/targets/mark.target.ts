/**
 * `-j MARK`: change the packet mark and go on with the next rule. Every form
 * is an "xmark" `mark = (mark & ~MASK) ^ VALUE`, which is also how
 * iptables-save prints it:
 *
 * | written | saved |
 * |---|---|
 * | `--set-xmark V[/M]` | `--set-xmark V/M` (M defaults to 0xffffffff) |
 * | `--set-mark V[/M]` | `--set-xmark V/(V\|M)` |
 * | `--or-mark V` | `--set-xmark V/V` |
 * | `--and-mark V` | `--set-xmark 0x0/~V` |
 * | `--xor-mark V` | `--set-xmark V/0x0` |
 */
import { RuleSyntaxError, refuseTogether, type ParsedOption, type TargetModule } from '../module';
import { hex, parseU32, parseValueMask } from '../text/values';
import type { Packet, Target, TargetOutcome } from '../types';

export const MARK_OPTIONS = [
  { name: 'set-xmark', args: 1 },
  { name: 'set-mark', args: 1 },
  { name: 'and-mark', args: 1 },
  { name: 'or-mark', args: 1 },
  { name: 'xor-mark', args: 1 },
] as const;

const MARK_OPTION_NAMES = MARK_OPTIONS.map((o) => o.name);

/** The (value, mask) pair of an xmark operation written in any of the five forms. */
export function xmarkOf(option: ParsedOption): { value: number; mask: number } {
  switch (option.name) {
    case 'set-xmark':
      return parseValueMask(option.args[0], option.spelled);
    case 'set-mark': {
      const { value, mask } = parseValueMask(option.args[0], option.spelled);
      return { value, mask: (value | mask) >>> 0 };
    }
    case 'and-mark':
      return { value: 0, mask: ~parseU32(option.args[0], option.spelled) >>> 0 };
    case 'or-mark': {
      const value = parseU32(option.args[0], option.spelled);
      return { value, mask: value };
    }
    case 'xor-mark':
      return { value: parseU32(option.args[0], option.spelled), mask: 0 };
    default:
      throw new RuleSyntaxError(`unexpected option "${option.spelled}"`);
  }
}

export function applyXmark(current: number, value: number, mask: number): number {
  return ((current & ~mask) ^ value) >>> 0;
}

export class MarkTarget implements Target {
  readonly name = 'MARK';

  constructor(
    readonly value: number,
    readonly mask: number,
  ) {}

  apply(packet: Packet): TargetOutcome {
    return { kind: 'continue', packet: { ...packet, mark: applyXmark(packet.mark, this.value, this.mask) } };
  }

  save(): string {
    return `-j MARK --set-xmark ${hex(this.value)}/${hex(this.mask)}`;
  }
}

export const markTargetModule: TargetModule = {
  kind: 'target',
  name: 'MARK',
  options: MARK_OPTIONS,
  build(options) {
    refuseTogether(options, 'MARK', MARK_OPTION_NAMES);
    const option = options[0];
    if (!option) {
      throw new RuleSyntaxError('MARK: one of --set-xmark, --set-mark, --and-mark, --or-mark or --xor-mark is required');
    }
    const { value, mask } = xmarkOf(option);
    return new MarkTarget(value, mask);
  },
};
