/**
 * `-m statistic --mode random --probability P` and
 * `-m statistic --mode nth --every N --packet P`.
 *
 * The kernel keeps a probability as a 31-bit fixed-point number: userland
 * stores `round(P * 2^31)` and the match succeeds when a random 31-bit draw
 * is below it. iptables-save prints that stored value back with 11 decimals,
 * which is why kube-proxy's `0.3333333333` comes back as `0.33333333349`.
 */
import { RuleSyntaxError, findOption, requireOption, type MatchModule } from '../module';
import { parseUnsigned } from '../text/values';
import type { Match, MatchContext, Packet } from '../types';

export const PROBABILITY_SCALE = 0x80000000; // 2^31

/** The kernel's fixed-point value for a probability written in a rule; undefined if not in [0, 1]. */
export function probabilityToFixed(text: string): number | undefined {
  // A decimal number (strtod's hex and inf forms are not accepted): digits, one dot, an exponent.
  if (text.length === 0) return undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (!((c >= 48 && c <= 57) || c === 46 || c === 101 || c === 69 || c === 43 || c === 45)) return undefined;
  }
  const p = Number(text);
  if (!(p >= 0 && p <= 1)) return undefined;
  return Math.round(p * PROBABILITY_SCALE);
}

const formatted = new Map<number, string>();
const TEN_TO_11 = 100000000000n;
const SCALE = BigInt(PROBABILITY_SCALE);

/**
 * `fixed / 2^31` with exactly 11 decimals, rounded half to even as C's
 * printf("%.11f") does on the exact binary value.
 */
export function formatFixedProbability(fixed: number): string {
  let text = formatted.get(fixed);
  if (text !== undefined) return text;
  const scaled = BigInt(fixed) * TEN_TO_11;
  let q = scaled / SCALE;
  const twice = (scaled % SCALE) * 2n;
  if (twice > SCALE || (twice === SCALE && q % 2n === 1n)) q += 1n;
  const digits = q.toString().padStart(12, '0');
  text = `${digits.slice(0, -11)}.${digits.slice(-11)}`;
  if (formatted.size < 10000) formatted.set(fixed, text);
  return text;
}

const SHARED_RANDOM = new Map<number, RandomStatisticMatch>();

export class RandomStatisticMatch implements Match {
  readonly name = 'statistic';

  constructor(
    /** round(p * 2^31), as the kernel stores it. */
    readonly fixed: number,
    readonly invert: boolean,
  ) {}

  /** The chance of matching, from the stored value, negation applied. */
  get probability(): number {
    const p = this.fixed / PROBABILITY_SCALE;
    return this.invert ? 1 - p : p;
  }

  matches(_packet: Packet, ctx: MatchContext): boolean {
    return ctx.random.int(PROBABILITY_SCALE) < this.fixed !== this.invert;
  }

  save(): string {
    return `-m statistic --mode random${this.invert ? ' !' : ''} --probability ${formatFixedProbability(this.fixed)}`;
  }
}

export class NthStatisticMatch implements Match {
  readonly name = 'statistic';
  readonly stateful = true;

  constructor(
    readonly every: number,
    readonly packet: number,
    readonly invert: boolean,
  ) {}

  /** Counts every packet that reaches the rule; every `every`-th one matches. */
  matches(_packet: Packet, ctx: MatchContext): boolean {
    const previous = (ctx.state.get(this) as number | undefined) ?? this.packet;
    const count = previous >= this.every - 1 ? 0 : previous + 1;
    ctx.state.set(this, count);
    return (count === 0) !== this.invert;
  }

  save(): string {
    return `-m statistic --mode nth${this.invert ? ' !' : ''} --every ${this.every} --packet ${this.packet}`;
  }
}

export const statisticMatchModule: MatchModule = {
  kind: 'match',
  name: 'statistic',
  options: [
    { name: 'mode', args: 1 },
    { name: 'probability', args: 1, invertible: true },
    { name: 'every', args: 1, invertible: true },
    { name: 'packet', args: 1 },
  ],
  build(options) {
    const mode = requireOption(options, 'mode', 'statistic').args[0];
    const probability = findOption(options, 'probability');
    const every = findOption(options, 'every');
    const packet = findOption(options, 'packet');
    if (mode === 'random') {
      if (!probability) throw new RuleSyntaxError('statistic: --probability must be specified in random mode');
      if (every || packet) throw new RuleSyntaxError('statistic: --every and --packet need --mode nth');
      const fixed = probabilityToFixed(probability.args[0]);
      if (fixed === undefined) {
        throw new RuleSyntaxError(`statistic: bad probability "${probability.args[0]}" (must be between 0 and 1)`);
      }
      // Random matches hold no state: rules with the same probability share one.
      const key = fixed * 2 + (probability.inverted ? 1 : 0);
      let match = SHARED_RANDOM.get(key);
      if (!match) {
        match = new RandomStatisticMatch(fixed, probability.inverted);
        if (SHARED_RANDOM.size < 100000) SHARED_RANDOM.set(key, match);
      }
      return match;
    }
    if (mode === 'nth') {
      if (probability) throw new RuleSyntaxError('statistic: --probability needs --mode random');
      if (!every || !packet) throw new RuleSyntaxError('statistic: nth mode needs both --every and --packet');
      const n = parseUnsigned(every.args[0]);
      if (n === undefined || n < 1) throw new RuleSyntaxError(`statistic: bad value "${every.args[0]}" for --every`);
      const p = parseUnsigned(packet.args[0]);
      if (p === undefined || p > n - 1) {
        throw new RuleSyntaxError(`statistic: bad value "${packet.args[0]}" for --packet (must be 0 <= p <= n-1)`);
      }
      return new NthStatisticMatch(n, p, every.inverted);
    }
    throw new RuleSyntaxError(`statistic: bad mode "${mode}"`);
  },
};
