/**
 * `-m limit --limit RATE[/second|/minute|/hour|/day] --limit-burst N`: a token
 * bucket per rule, computed as xt_limit computes it, on the simulated clock.
 *
 * The kernel counts in "credits" on 32-bit unsigned numbers. A rule's
 * bucket holds at most `user2credits(avg * burst)` credits (full when the
 * rule is loaded); a packet costs `user2credits(avg)` and matches when that
 * many are left. Each jiffy that passes adds CREDITS_PER_JIFFY credits, the
 * highest power of two with which a day of jiffies still fits in 32 bits.
 * `avg` is the period between packets in 1/10000 s (`10000 * unit / N`).
 *
 * Time advances in jiffies of a HZ=250 kernel (4 ms; Debian's and Ubuntu's
 * default; with HZ=1000 the credits per second are the same, only the step
 * is finer). The bucket is the rule's: like the kernel, a reload of the rules
 * starts every bucket full again.
 */
import { RuleSyntaxError, findOption, type MatchModule, type ParsedOption } from '../module';
import { parseUnsigned } from '../text/values';
import type { Match, MatchContext, Packet } from '../types';

/** The simulated kernel's timer frequency. */
export const HZ = 250;
/** POW2_BELOW32(0xFFFFFFFF / (HZ * 60 * 60 * 24)). */
export const CREDITS_PER_JIFFY = powerOfTwoBelow(Math.floor(0xffffffff / (HZ * 60 * 60 * 24)));
/** xt_limit's unit of `avg`: 1/10000 s. */
export const LIMIT_SCALE = 10000;
export const DEFAULT_LIMIT_BURST = 5;
/** `--limit 3/hour`, iptables' default. */
export const DEFAULT_LIMIT_AVG = (LIMIT_SCALE * 3600) / 3;

function powerOfTwoBelow(n: number): number {
  let p = 1;
  while (p * 2 <= n) p *= 2;
  return p;
}

/** The simulated jiffies counter at `ms` on the context's clock. */
export function jiffiesAt(ms: number): number {
  return Math.floor((ms * HZ) / 1000);
}

/** xt_limit's user2credits, in 32-bit unsigned arithmetic. */
export function limitCredits(user: number): number {
  const u = user >>> 0;
  const perSecond = HZ * CREDITS_PER_JIFFY;
  if (u > Math.floor(0xffffffff / perSecond)) return (Math.floor(u / LIMIT_SCALE) * perSecond) >>> 0;
  return Math.floor((u * perSecond) / LIMIT_SCALE) >>> 0;
}

const UNITS: ReadonlyArray<[string, number]> = [
  ['second', 1],
  ['minute', 60],
  ['hour', 3600],
  ['day', 86400],
];

/**
 * A rate as libxt_limit reads it: C `atoi` of the text (leading digits),
 * then an optional `/unit` that is any prefix of second, minute, hour or day
 * (any case). Returns the period in 1/10000 s, undefined for a bad rate;
 * throws for a rate above 10000/s.
 */
export function parseRate(text: string, scale = LIMIT_SCALE): number | undefined {
  const slash = text.indexOf('/');
  let multiplier = 1;
  if (slash >= 0) {
    const unit = text.slice(slash + 1).toLowerCase();
    if (unit.length === 0) return undefined;
    const found = UNITS.find(([name]) => name.startsWith(unit));
    if (!found) return undefined;
    multiplier = found[1];
  }
  const count = atoi(text);
  if (count === 0) return undefined;
  const period = Math.floor((scale * multiplier) / count);
  if (period === 0) throw new RuleSyntaxError(`Rate too fast "${text}"`);
  return period;
}

/** C atoi: optional spaces and sign, then decimal digits; 0 when none. */
function atoi(text: string): number {
  const m = /^\s*([+-]?)(\d+)/.exec(text);
  if (!m) return 0;
  const value = Number(m[2]) % 2 ** 32;
  return m[1] === '-' ? 0 : value;
}

const RATE_NAMES: ReadonlyArray<[string, number]> = [
  ['day', LIMIT_SCALE * 86400],
  ['hour', LIMIT_SCALE * 3600],
  ['min', LIMIT_SCALE * 60],
  ['sec', LIMIT_SCALE],
];

/** How libxt_limit prints a period: the largest unit whose count is not rounded away too much. */
export function formatRate(period: number, names: ReadonlyArray<[string, number]> = RATE_NAMES): string {
  if (period === 0) return 'inf';
  let i = 1;
  for (; i < names.length; i++) {
    const mult = names[i][1];
    if (period > mult || Math.floor(mult / period) < mult % period) break;
  }
  return `${Math.floor(names[i - 1][1] / period)}/${names[i - 1][0]}`;
}

/** One rule's bucket, as xt_limit_priv keeps it. */
interface Bucket {
  prev: number;
  credit: number;
}

export class LimitMatch implements Match {
  readonly name = 'limit';
  readonly stateful = true;
  /** The bucket's size and a packet's price, in credits. */
  readonly cap: number;
  readonly cost: number;

  constructor(
    /** The period between packets, in 1/10000 s. */
    readonly avg: number,
    readonly burst: number,
  ) {
    this.cap = limitCredits(Math.imul(avg, burst) >>> 0);
    this.cost = limitCredits(avg);
  }

  matches(_packet: Packet, ctx: MatchContext): boolean {
    const now = jiffiesAt(ctx.now);
    const before = ctx.state.get(this) as Bucket | undefined;
    // A new bucket is full (the kernel fills it when the rule is loaded).
    const prev = before?.prev ?? now;
    let credit = before?.credit ?? this.cap;
    credit = (credit + Math.imul(now - prev, CREDITS_PER_JIFFY)) >>> 0;
    if (credit > this.cap) credit = this.cap;
    const hit = credit >= this.cost;
    if (hit) credit -= this.cost;
    ctx.state.set(this, { prev: now, credit } satisfies Bucket);
    return hit;
  }

  save(): string {
    return `-m limit --limit ${formatRate(this.avg)}${this.burst === DEFAULT_LIMIT_BURST ? '' : ` --limit-burst ${this.burst}`}`;
  }
}

function parseBurst(option: ParsedOption | undefined, module: string, max: number): number | undefined {
  if (option === undefined) return undefined;
  const value = parseUnsigned(option.args[0], max);
  if (value === undefined) throw new RuleSyntaxError(`${module}: bad value for option "${option.spelled}", or out of range (0-${max}).`);
  return value;
}

export const limitMatchModule: MatchModule = {
  kind: 'match',
  name: 'limit',
  options: [
    { name: 'limit', args: 1 },
    { name: 'limit-burst', args: 1 },
  ],
  build(options) {
    const limit = findOption(options, 'limit');
    let avg = DEFAULT_LIMIT_AVG;
    if (limit) {
      const period = parseRate(limit.args[0]);
      if (period === undefined) throw new RuleSyntaxError(`bad rate "${limit.args[0]}"'`);
      avg = period;
    }
    // iptables takes a burst of 0 as the default.
    const burst = parseBurst(findOption(options, 'limit-burst'), 'limit', 10000) || DEFAULT_LIMIT_BURST;
    return new LimitMatch(avg, burst);
  },
};
