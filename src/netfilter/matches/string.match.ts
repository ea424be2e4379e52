/**
 * `-m string --algo bm|kmp [!] --string TEXT | [!] --hex-string HEX
 * [--from N] [--to N] [--icase]`: the payload contains the pattern
 * (xt_string). kube-netsim does not simulate payloads: the rule is read,
 * checked and printed as iptables does, and a trace that reaches it forks
 * both ways ("the payload is not simulated"), each outcome naming the rule
 * it depends on, as for a rule kept with `unsupported=keep`.
 *
 * iptables-save prints the pattern as `--string "..."` (with `"` and `\`
 * escaped) when every byte is printable ASCII, else the whole pattern as
 * `--hex-string "|..|"`.
 */
import { RuleSyntaxError, findOption, refuseTogether, requireOption, type MatchModule, type ParsedOption } from '../module';
import { parseUnsigned } from '../text/values';
import type { Match } from '../types';

/** `a|41 42|b`: text, with hex bytes between pipes; a backslash takes the next character literally. */
export function parseHexString(text: string): Buffer {
  const bytes: number[] = [];
  let hex = false;
  let digits = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '|') {
      if (hex && digits.length !== 0) throw new RuleSyntaxError('Invalid hex block');
      hex = !hex;
      continue;
    }
    if (hex) {
      if (c === ' ') continue;
      if (!/[0-9a-fA-F]/.test(c)) throw new RuleSyntaxError(`Invalid hex char '${c}'`);
      digits += c;
      if (digits.length === 2) {
        bytes.push(parseInt(digits, 16));
        digits = '';
      }
      continue;
    }
    if (c === '\\' && i + 1 < text.length) i++;
    bytes.push(...Buffer.from(text[i], 'utf8'));
  }
  if (hex) throw new RuleSyntaxError('Invalid hex block');
  return Buffer.from(bytes);
}

function printable(pattern: Buffer): boolean {
  for (const b of pattern) if (b < 0x20 || b > 0x7e) return false;
  return true;
}

export class StringMatch implements Match {
  readonly name = 'string';
  readonly unmodelled = true;
  readonly assumption = 'the payload is not simulated';

  constructor(
    readonly pattern: Buffer,
    readonly invert: boolean,
    readonly algo: 'bm' | 'kmp',
    readonly from: number,
    readonly to: number,
    readonly icase: boolean,
  ) {}

  /** Never asked by the traversal (it forks instead). */
  matches(): boolean {
    return false;
  }

  save(): string {
    const shown = printable(this.pattern)
      ? `--string "${this.pattern.toString('latin1').replace(/[\\"]/g, (c) => '\\' + c)}"`
      : `--hex-string "|${this.pattern.toString('hex')}|"`;
    let out = `-m string${this.invert ? ' !' : ''} ${shown} --algo ${this.algo}`;
    if (this.from !== 0) out += ` --from ${this.from}`;
    if (this.to !== 65535) out += ` --to ${this.to}`;
    if (this.icase) out += ' --icase';
    return out;
  }
}

function offset(option: ParsedOption | undefined, fallback: number): number {
  if (option === undefined) return fallback;
  const value = parseUnsigned(option.args[0], 65535);
  if (value === undefined) throw new RuleSyntaxError(`string: bad value for option "${option.spelled}", or out of range (0-65535).`);
  return value;
}

export const stringMatchModule: MatchModule = {
  kind: 'match',
  name: 'string',
  options: [
    { name: 'string', args: 1, invertible: true },
    { name: 'hex-string', args: 1, invertible: true },
    { name: 'algo', args: 1 },
    { name: 'from', args: 1 },
    { name: 'to', args: 1 },
    { name: 'icase', args: 0 },
  ],
  build(options) {
    refuseTogether(options, 'string', ['string', 'hex-string']);
    const text = findOption(options, 'string');
    const hex = findOption(options, 'hex-string');
    const algo = requireOption(options, 'algo', 'string').args[0];
    if (!text && !hex) throw new RuleSyntaxError("STRING match: You must specify `--string' or `--hex-string'");
    if (algo !== 'bm' && algo !== 'kmp') throw new RuleSyntaxError(`string: no text search algorithm "${algo}" (the kernel refuses the rule: RULE_APPEND failed (No such file or directory))`);
    const pattern = text ? Buffer.from(text.args[0], 'utf8') : parseHexString(hex!.args[0]);
    if (pattern.length === 0) throw new RuleSyntaxError('string: an empty pattern (the kernel refuses the rule: RULE_APPEND failed (Invalid argument))');
    if (pattern.length > 128) throw new RuleSyntaxError('string: the pattern is longer than 128 bytes');
    const given = (text ?? hex)!;
    return new StringMatch(pattern, given.inverted, algo, offset(findOption(options, 'from'), 0), offset(findOption(options, 'to'), 65535), findOption(options, 'icase') !== undefined);
  },
};
