/**
 * `-m u32 [!] --u32 TESTS`: tests 32-bit words read at offsets of the packet
 * (xt_u32). TESTS := LOCATION=VALUES[&&LOCATION=VALUES]...; a LOCATION is a
 * number followed by operators (`&` mask, `<<` and `>>` shifts, `@` move the
 * offset) and numbers; VALUES are numbers or ranges `A:B`, comma-separated.
 *
 * kube-netsim does not simulate packet bytes: the expression is read, checked
 * and printed as iptables does (every number in hex), and a trace that
 * reaches the rule forks both ways ("the u32 expression is not evaluated"),
 * each outcome naming the rule it depends on, as `-m string` does.
 */
import { RuleSyntaxError, requireOption, type MatchModule } from '../module';
import type { Match } from '../types';

export type U32Operator = '&' | '<<' | '>>' | '@';

export interface U32Test {
  /** The first number, then each operator with its number. */
  readonly start: number;
  readonly steps: readonly { readonly op: U32Operator; readonly number: number }[];
  readonly values: readonly { readonly min: number; readonly max: number }[];
}

/** XT_U32_MAXSIZE: numbers per location, ranges per test, tests per rule. */
const MAX = 10;

const hex = (n: number) => `0x${n.toString(16)}`;

/** Reads an expression as libxt_u32 does, with its errors (positions count from 0). */
export function parseU32(text: string): U32Test[] {
  const tests: U32Test[] = [];
  let i = 0;
  const fail = (why: string, at = i) => new RuleSyntaxError(`u32: at char ${at}: ${why}`);
  const skip = () => {
    while (i < text.length && /\s/.test(text[i])) i++;
  };
  /** strtoul with base 0: blanks, then 0x-hex, 0-octal or decimal, at most 0xffffffff. */
  const number = (): number => {
    const at = i;
    const m = /^\s*(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)/.exec(text.slice(i));
    if (!m) throw fail('not a number or out of range', at);
    const word = m[1];
    const value = word.length > 1 && word[0] === '0' && (word[1] === 'x' || word[1] === 'X') ? parseInt(word.slice(2), 16) : word[0] === '0' ? parseInt(word, 8) : Number(word);
    if (!(value <= 0xffffffff)) throw fail('not a number or out of range', at);
    i += m[0].length;
    return value;
  };
  let start: number | undefined;
  let steps: { op: U32Operator; number: number }[] = [];
  let values: { min: number; max: number }[] = [];
  let readingValues = false;
  for (;;) {
    skip();
    if (i >= text.length) {
      if (!readingValues) throw new RuleSyntaxError('u32: abrupt end of input after location specifier');
      if (values.length === 0) throw new RuleSyntaxError('u32: test ended with no value specified');
      tests.push({ start: start!, steps, values });
      if (tests.length > MAX) throw fail('too many "&&"s');
      return tests;
    }
    if (!readingValues) {
      if (text[i] === '=') {
        if (start === undefined) throw fail('location spec missing');
        i++;
        readingValues = true;
        continue;
      }
      let op: U32Operator | undefined;
      if (start !== undefined) {
        const c = text[i];
        if (c === '&') op = '&';
        else if (c === '<' || c === '>') {
          i++;
          if (text[i] !== c) throw fail(`a second '${c}' was expected`);
          op = c === '<' ? '<<' : '>>';
        } else if (c === '@') op = '@';
        else throw fail('operator expected');
        i++;
      }
      const n = number();
      if (op === undefined) start = n;
      else steps.push({ op, number: n });
      if (1 + steps.length > MAX) throw fail('too many operators');
      continue;
    }
    if (text[i] === '&') {
      i++;
      if (text[i] !== '&') throw fail("a second '&' was expected");
      if (values.length === 0) throw fail('value spec missing');
      tests.push({ start: start!, steps, values });
      if (tests.length + 1 > MAX) throw fail('too many "&&"s');
      i++;
      start = undefined;
      steps = [];
      values = [];
      readingValues = false;
      continue;
    }
    if (values.length > 0) {
      if (text[i] !== ',') throw fail('expected "," or "&&"');
      i++;
    }
    const min = number();
    skip();
    let max = min;
    if (text[i] === ':') {
      i++;
      max = number();
    }
    values.push({ min, max });
    if (values.length > MAX) throw fail('too many ","s');
  }
}

export function formatU32(tests: readonly U32Test[]): string {
  return tests
    .map((t) => {
      const location = hex(t.start) + t.steps.map((s) => s.op + hex(s.number)).join('');
      return `${location}=${t.values.map((v) => (v.min === v.max ? hex(v.min) : `${hex(v.min)}:${hex(v.max)}`)).join(',')}`;
    })
    .join('&&');
}

export class U32Match implements Match {
  readonly name = 'u32';
  readonly unmodelled = true;
  readonly assumption = 'the u32 expression is not evaluated (kube-netsim does not simulate packet bytes)';

  constructor(
    readonly tests: readonly U32Test[],
    readonly invert: boolean,
  ) {}

  /** Never asked by the traversal (it forks instead). */
  matches(): boolean {
    return false;
  }

  save(): string {
    return `-m u32${this.invert ? ' !' : ''} --u32 "${formatU32(this.tests)}"`;
  }
}

export const u32MatchModule: MatchModule = {
  kind: 'match',
  name: 'u32',
  options: [{ name: 'u32', args: 1, invertible: true }],
  build(options) {
    const option = requireOption(options, 'u32', 'u32');
    return new U32Match(parseU32(option.args[0]), option.inverted);
  },
};
