/**
 * `-m hashlimit --hashlimit-upto|--hashlimit-above RATE --hashlimit-name NAME
 * [--hashlimit-burst N] [--hashlimit-mode srcip,srcport,dstip,dstport]
 * [--hashlimit-srcmask N] [--hashlimit-dstmask N] [--hashlimit-htable-*]`:
 * a token bucket per flow (the fields `--hashlimit-mode` names, addresses
 * cut to their masks), as xt_hashlimit (revision 3) computes it.
 *
 * - `--hashlimit-upto` matches while the flow's bucket has credit for the
 *   packet (and spends it); `--hashlimit-above` (or `! --hashlimit-upto`)
 *   matches when it has not.
 * - Credits are 64-bit: a bucket holds `user2credits(avg * burst)`, a packet
 *   costs `user2credits(avg)`, each jiffy adds 2^39 credits (HZ=250, as
 *   for `-m limit`); `avg` is the period between packets in microseconds.
 * - The table is the network namespace's, by name: rules that name the same
 *   table share its buckets, with the settings of the rule that made it, and
 *   it outlives a reload of the rules that keep using it (the kernel finds it
 *   by name before the old rules go).
 * - A flow's entry expires `--hashlimit-htable-expire` ms after its last
 *   packet (by default the rate's unit: 60000 for a rate per minute) and is
 *   removed by the next garbage collection (every `--hashlimit-htable-gcinterval`
 *   ms from the table's creation); a flow seen again starts with a full bucket.
 *
 * Not modelled: byte rates (`1kb/s`), `--hashlimit-rate-match` and a table
 * that is full (`--hashlimit-htable-max`: the kernel drops new flows' packets).
 */
import { v4 } from '../address';
import { RuleSyntaxError, findOption, refuseTogether, requireOption, type MatchModule, type ParsedOption } from '../module';
import { parseUnsigned } from '../text/values';
import { UnsupportedError } from '../unmodelled';
import type { Match, MatchContext, MatchStateStore, Packet } from '../types';
import { HZ, jiffiesAt } from './limit.match';

/** Revision 2+ keeps periods in microseconds. */
export const HASHLIMIT_SCALE = 1_000_000;
const U64 = (1n << 64n) - 1n;
/** POW2_BELOW64(2^64 / (HZ * 86400)): 2^39 at HZ=250. */
export const HASHLIMIT_CREDITS_PER_JIFFY = pow2Below64((1n << 64n) / BigInt(HZ * 86400));
/** xt_hashlimit's user2credits multiplier: floor(HZ * credits per jiffy / scale). */
const CREDITS_PER_MICROSECOND = (BigInt(HZ) * HASHLIMIT_CREDITS_PER_JIFFY) / BigInt(HASHLIMIT_SCALE);

export const DEFAULT_HASHLIMIT_BURST = 5;
export const DEFAULT_GC_INTERVAL = 1000;

function pow2Below64(n: bigint): bigint {
  let p = 1n;
  while (p * 2n <= n) p *= 2n;
  return p;
}

/** user2credits for revision 2+, in 64-bit unsigned arithmetic. */
export function hashlimitCredits(user: bigint): bigint {
  return ((user & U64) * CREDITS_PER_MICROSECOND) & U64;
}

const UNITS: ReadonlyArray<[string, number]> = [
  ['second', 1],
  ['minute', 60],
  ['hour', 3600],
  ['day', 86400],
];

const RATE_NAMES: ReadonlyArray<[string, number]> = [
  ['day', HASHLIMIT_SCALE * 86400],
  ['hour', HASHLIMIT_SCALE * 3600],
  ['min', HASHLIMIT_SCALE * 60],
  ['sec', HASHLIMIT_SCALE],
];

/** The printed unit of a period, as libxt_hashlimit picks it; with its length in ms (the default expiry it compares with). */
function printedRate(period: number): { text: string; unitMs: number } {
  let i = 1;
  for (; i < RATE_NAMES.length; i++) {
    const mult = RATE_NAMES[i][1];
    if (period > mult || Math.floor(mult / period) < mult % period) break;
  }
  const [name, mult] = RATE_NAMES[i - 1];
  return { text: `${Math.floor(mult / period)}/${name}`, unitMs: (mult / HASHLIMIT_SCALE) * 1000 };
}

/** Mode bits (XT_HASHLIMIT_HASH_*), in the order iptables-save prints them. */
const MODES: ReadonlyArray<[string, number]> = [
  ['srcip', 4],
  ['srcport', 8],
  ['dstip', 1],
  ['dstport', 2],
];

export interface HashlimitConfig {
  /** `--hashlimit-above`: match when over the limit. */
  readonly above: boolean;
  /** Period between packets, in microseconds. */
  readonly avg: number;
  readonly burst: number;
  /** XT_HASHLIMIT_HASH_* bits. */
  readonly mode: number;
  readonly name: string;
  readonly size: number;
  readonly max: number;
  readonly gcInterval: number;
  readonly expire: number;
  readonly srcmask: number;
  readonly dstmask: number;
}

/** One flow's bucket (a dsthash_ent). */
interface Flow {
  prev: number;
  credit: bigint;
  /** ms on the context's clock. */
  expires: number;
}

/** One named table: the flows, and the store whose copy this is (see `writable`). */
interface HashTable {
  readonly owner: MatchStateStore;
  readonly created: number;
  readonly config: HashlimitConfig;
  readonly cost: bigint;
  readonly cap: bigint;
  readonly flows: Map<string, Flow>;
}

/** One key object per table name: tables are found by name, whichever rule asks. */
const TABLE_KEYS = new Map<string, object>();

function tableKey(name: string): object {
  let key = TABLE_KEYS.get(name);
  if (key === undefined) {
    key = { hashlimit: name };
    TABLE_KEYS.set(name, key);
  }
  return key;
}

function maskOf(bits: number): number {
  return bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
}

export class HashlimitMatch implements Match {
  readonly name = 'hashlimit';
  readonly stateful = true;
  private readonly key: object;

  constructor(readonly config: HashlimitConfig) {
    this.key = tableKey(config.name);
  }

  /** The table, as a copy this context's store may change in place. */
  private writable(ctx: MatchContext): HashTable {
    const current = ctx.state.get(this.key) as HashTable | undefined;
    if (current?.owner === ctx.state) return current;
    const table: HashTable =
      current === undefined
        ? {
            owner: ctx.state,
            created: ctx.now,
            config: this.config,
            cost: hashlimitCredits(BigInt(this.config.avg)),
            cap: hashlimitCredits(BigInt(this.config.avg) * BigInt(this.config.burst)),
            flows: new Map(),
          }
        : { ...current, owner: ctx.state, flows: new Map([...current.flows].map(([k, f]) => [k, { ...f }])) };
    return table;
  }

  matches(packet: Packet, ctx: MatchContext): boolean {
    const table = this.writable(ctx);
    const config = table.config;
    const key = flowKey(config, packet);
    const now = jiffiesAt(ctx.now);
    let flow = table.flows.get(key);
    if (flow !== undefined && ctx.now >= collectedAt(table, flow.expires)) {
      table.flows.delete(key);
      flow = undefined;
    }
    if (flow === undefined) {
      flow = { prev: now, credit: table.cap, expires: 0 };
      table.flows.set(key, flow);
    } else if (now !== flow.prev) {
      let credit = (flow.credit + BigInt(now - flow.prev) * HASHLIMIT_CREDITS_PER_JIFFY) & U64;
      if (credit > table.cap) credit = table.cap;
      flow.credit = credit;
      flow.prev = now;
    }
    flow.expires = ctx.now + config.expire;
    let under = false;
    if (flow.credit >= table.cost) {
      flow.credit -= table.cost;
      under = true;
    }
    ctx.state.set(this.key, table);
    // Over or under: the rule's own word, whatever table it shares.
    return under !== this.config.above;
  }

  save(): string {
    const c = this.config;
    const rate = printedRate(c.avg);
    let out = `-m hashlimit --hashlimit-${c.above ? 'above' : 'upto'} ${rate.text} --hashlimit-burst ${c.burst}`;
    if (c.mode !== 0) out += ` --hashlimit-mode ${formatMode(c.mode)}`;
    out += ` --hashlimit-name ${c.name}`;
    if (c.size !== 0) out += ` --hashlimit-htable-size ${c.size}`;
    if (c.max !== 0) out += ` --hashlimit-htable-max ${c.max}`;
    if (c.gcInterval !== DEFAULT_GC_INTERVAL) out += ` --hashlimit-htable-gcinterval ${c.gcInterval}`;
    if (c.expire !== rate.unitMs) out += ` --hashlimit-htable-expire ${c.expire}`;
    if (c.srcmask !== 32) out += ` --hashlimit-srcmask ${c.srcmask}`;
    if (c.dstmask !== 32) out += ` --hashlimit-dstmask ${c.dstmask}`;
    return out;
  }
}

/** When the garbage collection after `expires` runs: every gcInterval ms from the table's creation. */
function collectedAt(table: HashTable, expires: number): number {
  const gc = table.config.gcInterval;
  return table.created + Math.ceil((expires - table.created) / gc) * gc;
}

/** The flow a packet belongs to: the fields the mode names, addresses masked; ports are 0 for ICMP. */
function flowKey(config: HashlimitConfig, packet: Packet): string {
  const m = config.mode;
  const src = m & 4 ? (v4(packet.source) & maskOf(config.srcmask)) >>> 0 : 0;
  const dst = m & 1 ? (v4(packet.destination) & maskOf(config.dstmask)) >>> 0 : 0;
  const ports = packet.protocol !== 'icmp';
  const sport = m & 8 && ports ? packet.sourcePort : 0;
  const dport = m & 2 && ports ? packet.destinationPort : 0;
  return `${src}:${sport}>${dst}:${dport}`;
}

function formatMode(mode: number): string {
  return MODES.filter(([, bit]) => (mode & bit) !== 0)
    .map(([name]) => name)
    .join(',');
}

/** A rate as libxt_hashlimit reads it: strtoull's digits, then an optional /unit (any prefix of second, minute, hour, day). */
function parseRate(option: ParsedOption): { avg: number; unitMs: number } {
  const text = option.args[0];
  const bad = () => new RuleSyntaxError(`hashlimit: Bad value for "${option.spelled}" option: "${text}"`);
  if (/^\s*\d+[kmg]?b\b/i.test(text)) {
    throw new UnsupportedError(`\`${option.spelled} ${text}\`: byte rates of the iptables hashlimit match are not modelled by kube-netsim`, false);
  }
  const slash = text.indexOf('/');
  let multiplier = 1;
  if (slash >= 0) {
    const unit = text.slice(slash + 1).toLowerCase();
    const found = unit.length === 0 ? undefined : UNITS.find(([name]) => name.startsWith(unit));
    if (!found) throw bad();
    multiplier = found[1];
  }
  const digits = /^\s*\+?(\d+)/.exec(text);
  const count = digits ? Number(digits[1]) : 0;
  if (count === 0) throw bad();
  const avg = Math.floor((HASHLIMIT_SCALE * multiplier) / count);
  if (avg === 0) throw new RuleSyntaxError(`Rate too fast "${text}"`);
  return { avg, unitMs: multiplier * 1000 };
}

function parseMode(option: ParsedOption): number {
  let mode = 0;
  for (const word of option.args[0].split(',')) {
    if (word === '') continue;
    const found = MODES.find(([name]) => name === word);
    if (!found) throw new RuleSyntaxError(`hashlimit: Bad value for "${option.spelled}" option: "${word}"`);
    mode |= found[1];
  }
  return mode;
}

function parseNumber(options: readonly ParsedOption[], name: string, min: number, max: number): number | undefined {
  const option = findOption(options, name);
  if (option === undefined) return undefined;
  const value = parseUnsigned(option.args[0], max);
  if (value === undefined || value < min) {
    throw new RuleSyntaxError(`hashlimit: bad value for option "${option.spelled}", or out of range (${min}-${max}).`);
  }
  return value;
}

/** What the kernel refuses when the rule is committed ("RULE_APPEND failed"). */
function kernelRefusal(reason: string, errno: string): RuleSyntaxError {
  return new RuleSyntaxError(`hashlimit: ${reason} (the kernel refuses the rule: RULE_APPEND failed (${errno}))`);
}

export const hashlimitMatchModule: MatchModule = {
  kind: 'match',
  name: 'hashlimit',
  options: [
    { name: 'hashlimit-upto', aliases: ['hashlimit'], args: 1, invertible: true },
    { name: 'hashlimit-above', args: 1, invertible: true },
    { name: 'hashlimit-burst', args: 1 },
    { name: 'hashlimit-mode', args: 1 },
    { name: 'hashlimit-name', args: 1 },
    { name: 'hashlimit-srcmask', args: 1 },
    { name: 'hashlimit-dstmask', args: 1 },
    { name: 'hashlimit-htable-size', args: 1 },
    { name: 'hashlimit-htable-max', args: 1 },
    { name: 'hashlimit-htable-gcinterval', args: 1 },
    { name: 'hashlimit-htable-expire', args: 1 },
  ],
  build(options) {
    refuseTogether(options, 'hashlimit', ['hashlimit-upto', 'hashlimit-above']);
    const rate = findOption(options, 'hashlimit-upto') ?? findOption(options, 'hashlimit-above');
    if (rate === undefined) throw new RuleSyntaxError('You have to specify --hashlimit');
    const name = requireOption(options, 'hashlimit-name', 'hashlimit').args[0];
    if (name.length === 0) throw new RuleSyntaxError('Argument must have a minimum length of 1 characters');
    if (name.length > 255) throw new RuleSyntaxError(`hashlimit: name "${name}" is longer than 255 characters`);
    if (name.includes('/') || name === '.' || name === '..') throw kernelRefusal(`"${name}" cannot name a /proc file`, 'Invalid argument');
    const { avg, unitMs } = parseRate(rate);
    const above = (rate.name === 'hashlimit-above') !== rate.inverted;
    const burstOption = findOption(options, 'hashlimit-burst');
    const burst = burstOption === undefined ? DEFAULT_HASHLIMIT_BURST : parseUnsigned(burstOption.args[0], 1_000_000);
    if (burst === undefined || burst < 1) throw new RuleSyntaxError('bad value for option "--hashlimit-burst", or out of range (1-1000000).');
    const modeOption = findOption(options, 'hashlimit-mode');
    const srcmask = parseNumber(options, 'hashlimit-srcmask', 0, 255) ?? 32;
    const dstmask = parseNumber(options, 'hashlimit-dstmask', 0, 255) ?? 32;
    if (srcmask > 32 || dstmask > 32) throw kernelRefusal('an IPv4 mask longer than 32 bits', 'Invalid argument');
    const expire = parseNumber(options, 'hashlimit-htable-expire', 0, 0xffffffff) ?? unitMs;
    const gcInterval = parseNumber(options, 'hashlimit-htable-gcinterval', 0, 0xffffffff) ?? DEFAULT_GC_INTERVAL;
    if (expire === 0 || gcInterval === 0) throw kernelRefusal('a garbage collection interval or expiry of 0', 'Invalid argument');
    if (hashlimitCredits(BigInt(avg) * BigInt(burst)) < hashlimitCredits(BigInt(avg))) {
      throw kernelRefusal(`the burst overflows the bucket ("overflow, try lower: ${avg}/${burst}")`, 'Numerical result out of range');
    }
    return new HashlimitMatch({
      above,
      avg,
      burst,
      mode: modeOption ? parseMode(modeOption) : 0,
      name,
      size: parseNumber(options, 'hashlimit-htable-size', 0, 0xffffffff) ?? 0,
      max: parseNumber(options, 'hashlimit-htable-max', 0, 0xffffffff) ?? 0,
      gcInterval,
      expire,
      srcmask,
      dstmask,
    });
  },
};
