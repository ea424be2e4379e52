/**
 * `-j LOG [--log-prefix TEXT] [--log-level LEVEL] [--log-tcp-sequence]
 * [--log-tcp-options] [--log-ip-options] [--log-uid] [--log-macdecode]`:
 * record the packet and go on with the next rule. The kernel keeps 29
 * bytes of prefix; level 4 (warning) is the default and is not printed.
 */
import { RuleSyntaxError, findOption, type TargetModule } from '../module';
import { detach, parseUnsigned, saveString, truncateBytes } from '../text/values';
import type { LogRecord, Packet, Target, TargetOutcome } from '../types';

const LEVELS: ReadonlyMap<string, number> = new Map([
  ['emerg', 0],
  ['alert', 1],
  ['crit', 2],
  ['error', 3],
  ['warning', 4],
  ['notice', 5],
  ['info', 6],
  ['debug', 7],
]);
const DEFAULT_LEVEL = 4;
const MAX_PREFIX_BYTES = 29;

const FLAGS = ['log-tcp-sequence', 'log-tcp-options', 'log-ip-options', 'log-uid', 'log-macdecode'] as const;

export class LogTarget implements Target {
  readonly name = 'LOG';
  private readonly record: LogRecord;

  constructor(
    readonly prefix: string | undefined,
    readonly level: number,
    readonly flags: readonly string[],
  ) {
    this.record = Object.freeze({ prefix: prefix ?? '', level });
  }

  apply(packet: Packet): TargetOutcome {
    return { kind: 'continue', packet, log: this.record };
  }

  save(): string {
    let out = '-j LOG';
    if (this.prefix !== undefined) out += ' --log-prefix ' + saveString(this.prefix);
    if (this.level !== DEFAULT_LEVEL) out += ` --log-level ${this.level}`;
    for (const flag of this.flags) out += ' --' + flag;
    return out;
  }
}

export const logTargetModule: TargetModule = {
  kind: 'target',
  name: 'LOG',
  options: [
    { name: 'log-prefix', args: 1 },
    { name: 'log-level', args: 1 },
    ...FLAGS.map((name) => ({ name, args: 0 as const })),
  ],
  build(options) {
    const prefixOption = findOption(options, 'log-prefix');
    if (prefixOption && prefixOption.args[0] === '') throw new RuleSyntaxError('LOG: --log-prefix must not be empty');
    const levelOption = findOption(options, 'log-level');
    let level = DEFAULT_LEVEL;
    if (levelOption) {
      const text = levelOption.args[0];
      const parsed = LEVELS.get(text) ?? parseUnsigned(text, 7);
      if (parsed === undefined) throw new RuleSyntaxError(`LOG: unknown log level "${text}"`);
      level = parsed;
    }
    return new LogTarget(
      prefixOption && detach(truncateBytes(prefixOption.args[0], MAX_PREFIX_BYTES)),
      level,
      FLAGS.filter((flag) => findOption(options, flag) !== undefined),
    );
  },
};
