/**
 * Traversal as data, and the one function that walks a chain.
 *
 * `HOOK_STAGES` says what runs at each hook, in kernel priority order
 * (lower first): the tables, the conntrack lookup (-200, after raw) and
 * confirmation (INT_MAX, last), and nat's two sides, destination NAT at
 * -100 (PREROUTING, OUTPUT) and source NAT at +100 (INPUT, POSTROUTING);
 * the security table at 50, after filter. The engine walks this table and
 * never names a hook's tables itself.
 *
 * `walkChain` runs one table's built-in chain for a packet: rules in order
 * (or only the candidates the chain index allows, in the same order), the
 * first matching rule's target decides; jumps push a return point, gotos do
 * not, RETURN and falling off a user chain pop one, and a built-in chain
 * that falls through (or a goto'ed chain with nothing to return to) applies
 * its policy.
 *
 * A rule kept as given (`unsupported: 'keep'`) with a match we do not model
 * is decided by the walker (`assume`): the engine forks there. An unmodelled
 * target either lets the packet go on (`continues`) or ends the walk with
 * `unmodelled`: the trace cannot follow it.
 */
import { DomainError } from '../common/domain-error';
import type { IpFamily } from './address';
import type { Chain } from './chain';
import { chainIndex } from './chain-index';
import type { Rule } from './rule';
import type { Table } from './table';
import { UnmodelledTarget } from './unmodelled';
import {
  PROTOCOL_NUMBERS,
  type Hook,
  type HostView,
  type LogRecord,
  type Match,
  type MatchContext,
  type NatAction,
  type Packet,
  type RejectWith,
  type StepTable,
  type TableName,
  type TargetContext,
} from './types';

export type Stage =
  | { readonly kind: 'table'; readonly table: TableName; readonly priority: number }
  | { readonly kind: 'conntrack'; readonly priority: number }
  | { readonly kind: 'nat'; readonly manip: 'DST' | 'SRC'; readonly priority: number }
  | { readonly kind: 'confirm'; readonly priority: number }
  | { readonly kind: 'entry'; readonly entry: HookEntry; readonly priority: number };

/** A rule of another engine (an nft rule) as a trace step shows it: its text as written, with its comment and handle as `nft -a list` ends it. */
export interface ForeignRule {
  readonly stepText: string;
}

/**
 * A base chain of another engine (nftables) registered at a hook: the
 * engine runs it between its own stages by priority, as the kernel runs
 * every hook function of a hook in priority order whoever registered it.
 */
export interface HookEntry {
  readonly priority: number;
  /**
   * A nat-type base chain: as the kernel's NAT core does, the nat stage of
   * its side runs it with the iptables nat table, in priority order, for a
   * connection's first packet only, until one of them makes a binding.
   */
  readonly nat: boolean;
  walk(walker: ChainWalker): WalkResult;
}

/** Where a host's other hook entries come from (its nftables ruleset). */
export interface HookEntrySource {
  /** The entries at `hook` for packets of `family`, by priority (ties: in table order); the same array while nothing changed. */
  entries(hook: Hook, family: IpFamily): readonly HookEntry[];
  /** Some rule needs connection tracking (a nat chain, a `ct` expression). */
  readonly usesConntrack: boolean;
}

/**
 * A hook's stages with the other engine's entries put in by priority; at a
 * tie the iptables stage runs first (it registered first). Nat-type entries
 * are not stages of their own: the nat stage runs them.
 */
export function mergeStages(hook: Hook, entries: readonly HookEntry[]): readonly Stage[] {
  const stages: Stage[] = [...HOOK_STAGES[hook]];
  for (const entry of entries) {
    if (entry.nat) continue;
    let at = stages.length;
    while (at > 0 && stages[at - 1].priority > entry.priority) at--;
    stages.splice(at, 0, { kind: 'entry', entry, priority: entry.priority });
  }
  return stages;
}

const INT_MAX = 2147483647;
const RAW: Stage = { kind: 'table', table: 'raw', priority: -300 };
const CONNTRACK: Stage = { kind: 'conntrack', priority: -200 };
const MANGLE: Stage = { kind: 'table', table: 'mangle', priority: -150 };
const NAT_DST: Stage = { kind: 'nat', manip: 'DST', priority: -100 };
const FILTER: Stage = { kind: 'table', table: 'filter', priority: 0 };
const SECURITY: Stage = { kind: 'table', table: 'security', priority: 50 };
const NAT_SRC: Stage = { kind: 'nat', manip: 'SRC', priority: 100 };
const CONFIRM: Stage = { kind: 'confirm', priority: INT_MAX };

/** What runs at each hook, in the order the kernel runs it. */
export const HOOK_STAGES: Readonly<Record<Hook, readonly Stage[]>> = Object.freeze({
  PREROUTING: [RAW, CONNTRACK, MANGLE, NAT_DST],
  INPUT: [MANGLE, FILTER, SECURITY, NAT_SRC, CONFIRM],
  FORWARD: [MANGLE, FILTER, SECURITY],
  OUTPUT: [RAW, CONNTRACK, MANGLE, NAT_DST, FILTER, SECURITY],
  POSTROUTING: [MANGLE, NAT_SRC, CONFIRM],
});

/** Deeper than any ruleset iptables-nft can load (nf_tables allows 16 levels); a guard, not a limit. */
export const MAX_JUMP_DEPTH = 64;

/** The context matches and targets see: one mutable object per walk, with the hook and table filled in. */
export interface WalkContext extends MatchContext, TargetContext {
  readonly host: HostView;
  hook: Hook;
  table: TableName;
}

/** What the walk needs from the engine's run of one path. */
export interface ChainWalker {
  /** The packet; `continue` targets (MARK, CONNMARK, NOTRACK) replace it. */
  packet: Packet;
  readonly ctx: WalkContext;
  /** Walk every rule instead of the candidates the index allows. */
  readonly linear: boolean;
  /** Update rule and policy counters. */
  readonly counting: boolean;
  /** Decide a probabilistic match: fork (enumerate) or draw (sample), keeping the path's probability. */
  chance(match: Match, packet: Packet): boolean;
  /**
   * Pick one of several outcomes of the given exact probabilities (they sum
   * to 1): fork into each (enumerate), or draw `u32` uniformly and let
   * `bucket` say which (sample), as nft's `numgen random` draws.
   */
  pick?(weights: readonly number[], bucket: (u32: number) => number): number;
  /** The path is sampled: its effects stay (enumerate mode works on forks). */
  readonly sampling?: boolean;
  /** Steps are kept: an engine that writes a step's text may skip it when false. */
  readonly recording?: boolean;
  /**
   * A kept rule's unmodelled match was reached (its header and modelled matches
   * hold): does it match on this path? The walker records the assumption; without
   * this method, kept rules never match.
   */
  assume?(rule: Rule, table: TableName, chain: string, position: number): boolean;
  /** A LOG target fired (the step is recorded as well). */
  log?(record: LogRecord, chain: string): void;
  /** Record a step, when steps are kept (a jump or goto as its outcome object: its text is made only if read). */
  record(table: StepTable, chain: string, position: number, rule: Rule | ForeignRule | null, action: string | JumpAction): void;
}

/** A jump or goto, as recorded in a step ("jump KUBE-SVC-X"). */
export interface JumpAction {
  readonly kind: 'jump' | 'goto';
  readonly chain: string;
}

export type WalkResult =
  | { readonly kind: 'accept' }
  | { readonly kind: 'drop' }
  | { readonly kind: 'reject'; readonly rejectWith: RejectWith }
  | { readonly kind: 'nat'; readonly nat: NatAction; readonly rule: Rule | ForeignRule; readonly chain: string; readonly position: number; readonly table?: StepTable }
  | { readonly kind: 'unmodelled'; readonly rule: Rule; readonly chain: string; readonly position: number };

const ACCEPTED: WalkResult = Object.freeze({ kind: 'accept' });
const DROPPED: WalkResult = Object.freeze({ kind: 'drop' });

/** Whether a rule matches, probabilistic matches decided by the walker. */
function ruleMatches(rule: Rule, walker: ChainWalker, packet: Packet): boolean {
  if (!rule.headerMatches(packet)) return false;
  const matches = rule.matches;
  for (let i = 0; i < matches.length; i++) {
    const m = matches[i];
    if (m.probability !== undefined) {
      if (!walker.chance(m, packet)) return false;
    } else if (!m.matches(packet, walker.ctx)) {
      return false;
    }
  }
  return true;
}

/**
 * Whether a kept rule (one with a match we do not model) matches: header and
 * modelled matches first, then the walker's assumption for the rest. When the
 * rule has no stateful or random match, its pure matches are all checked
 * before the walker is asked, so a rule that cannot match forks nothing;
 * otherwise they run in order, the walker asked where the first unmodelled
 * match stands.
 */
function keptRuleMatches(rule: Rule, walker: ChainWalker, packet: Packet, table: TableName, chain: string, position: number): boolean {
  if (!rule.headerMatches(packet)) return false;
  const matches = rule.matches;
  let pure = true;
  for (const m of matches) if (m.stateful === true || m.probability !== undefined) pure = false;
  if (pure) for (const m of matches) if (m.unmodelled !== true && !m.matches(packet, walker.ctx)) return false;
  const target = rule.target;
  if (target instanceof UnmodelledTarget && target.effect === 'continue') {
    // Matching or not, the packet goes on as it was: nothing to fork on.
    walker.record(table, chain, position, rule, `not modelled: whether it matches or not, ${target.name} changes nothing kube-netsim traces`);
    return false;
  }
  let asked = false;
  for (const m of matches) {
    if (m.unmodelled === true) {
      if (!asked) {
        asked = true;
        if (walker.assume === undefined || !walker.assume(rule, table, chain, position)) return false;
      }
    } else if (!pure) {
      if (m.probability !== undefined ? !walker.chance(m, packet) : !m.matches(packet, walker.ctx)) return false;
    }
  }
  return true;
}

function candidates(chain: Chain, packet: Packet, linear: boolean): readonly number[] | undefined {
  if (linear) return undefined;
  return chainIndex(chain)?.candidates(packet);
}

/** The fields the chain index keys on: a rewrite that changes them needs fresh candidates. */
function sameKey(a: Packet, b: Packet): boolean {
  return a.destination === b.destination && a.protocol === b.protocol && a.destinationPort === b.destinationPort;
}

/** The packet's total length as the rules see it (IP tot_len): given, or a typical size for its protocol (a TCP SYN with options: 60). */
export function packetLength(packet: Packet): number {
  if (packet.length !== undefined) return packet.length;
  return packet.protocol === 'tcp' ? 60 : packet.protocol === 'udp' ? 32 : packet.protocol === 'sctp' ? 68 : 84;
}

interface Frame {
  chain: Chain;
  list: readonly number[] | undefined;
  next: number;
  /** The packet when the jump was taken: the candidates were computed for it. */
  packet: Packet;
}

/**
 * Return points, reused across walks. A walk started from inside another
 * (an `onLog` callback that traces) takes the frames above the outer one's.
 */
const framePool: Frame[] = [];
let poolTop = 0;

/** Candidates for `packet` after rule `position` (fresh, when a rewrite changed the indexed fields). */
function resumeAfter(chain: Chain, packet: Packet, position: number): { list: readonly number[]; next: number } {
  const fresh = candidates(chain, packet, false) ?? [];
  let k = 0;
  while (k < fresh.length && fresh[k] <= position) k++;
  return { list: fresh, next: k };
}

/**
 * Walks the built-in chain of `hook` in `table` for the walker's packet.
 * ACCEPT ends the table's walk at this hook; DROP and REJECT end the
 * packet; a NAT target ends the nat table's walk with a mapping to make.
 */
export function walkChain(walker: ChainWalker, table: Table, hook: Hook): WalkResult {
  const start = table.hookChain(hook);
  // A base chain absent from the kernel (iptables-nft made none: no dump line named it) is not walked; no policy applies.
  if (start === undefined || !start.builtin || !table.hasBaseChain(hook)) return ACCEPTED;
  const base = poolTop;
  poolTop += MAX_JUMP_DEPTH + 1;
  try {
    return walk(walker, table, hook, start, base);
  } finally {
    poolTop = base;
  }
}

function walk(walker: ChainWalker, table: Table, hook: Hook, start: Chain, base: number): WalkResult {
  const ctx = walker.ctx;
  ctx.hook = hook;
  ctx.table = table.name;
  let depth = 0;
  let chain = start;
  let packet = walker.packet;
  let list = candidates(chain, packet, walker.linear);
  let next = 0;
  for (;;) {
    const rules = chain.rules;
    const end = list === undefined ? rules.length : list.length;
    let entered: Chain | undefined;
    let isGoto = false;
    while (next < end) {
      const position = list === undefined ? next : list[next];
      next++;
      const rule = rules[position];
      if (rule.unmodelled ? !keptRuleMatches(rule, walker, packet, table.name, chain.name, position) : !ruleMatches(rule, walker, packet)) continue;
      if (walker.counting) {
        rule.packets++;
        rule.bytes += packetLength(packet);
      }
      const target = rule.target;
      if (target === undefined) {
        walker.record(table.name, chain.name, position, rule, 'no target (counted)');
        continue;
      }
      const outcome = target.apply(packet, ctx);
      switch (outcome.kind) {
        case 'continue': {
          const changed = outcome.packet;
          if (changed !== undefined && changed !== packet) {
            const rewrite = describeRewrite(target.name, packet, changed);
            walker.record(table.name, chain.name, position, rule, outcome.note !== undefined ? `${rewrite}; ${outcome.note}` : rewrite);
            if (list !== undefined && !sameKey(packet, changed)) {
              // Rare: a rewrite of the indexed fields. Re-derive the
              // candidates and resume after this rule.
              ({ list, next } = resumeAfter(chain, changed, position));
            }
            packet = changed;
            walker.packet = changed;
          } else {
            walker.record(
              table.name,
              chain.name,
              position,
              rule,
              outcome.log ? describeLog(outcome.log.prefix, outcome.log.level) : outcome.note !== undefined ? `${target.name}: ${outcome.note}` : target.name,
            );
          }
          if (outcome.log !== undefined) walker.log?.(outcome.log, chain.name);
          continue;
        }
        case 'verdict':
          if (outcome.verdict === 'ACCEPT') {
            walker.record(table.name, chain.name, position, rule, outcome.note !== undefined ? `ACCEPT: ${outcome.note}` : 'ACCEPT');
            return ACCEPTED;
          }
          if (outcome.verdict === 'DROP') {
            walker.record(table.name, chain.name, position, rule, outcome.note !== undefined ? `DROP: ${outcome.note}` : 'DROP');
            return DROPPED;
          }
          walker.record(table.name, chain.name, position, rule, 'REJECT --reject-with ' + (outcome.rejectWith ?? 'icmp-port-unreachable'));
          return { kind: 'reject', rejectWith: outcome.rejectWith ?? 'icmp-port-unreachable' };
        case 'nat':
          return { kind: 'nat', nat: outcome.nat, rule, chain: chain.name, position };
        case 'unmodelled':
          if (outcome.continues) {
            walker.record(table.name, chain.name, position, rule, `${target.name} (not modelled): changes nothing kube-netsim traces, the packet goes on`);
            continue;
          }
          walker.record(table.name, chain.name, position, rule, `${target.name} (not modelled): the trace cannot follow it and stops here`);
          return { kind: 'unmodelled', rule, chain: chain.name, position };
        case 'return':
          walker.record(table.name, chain.name, position, rule, 'RETURN');
          break;
        case 'jump':
        case 'goto': {
          const child = table.resolve(target);
          if (child === undefined) {
            throw new DomainError('INVALID', `chain "${outcome.chain}" (target of a rule in ${table.name} ${chain.name}) does not exist`);
          }
          walker.record(table.name, chain.name, position, rule, outcome);
          entered = child;
          isGoto = outcome.kind === 'goto';
          break;
        }
      }
      break;
    }
    if (entered !== undefined) {
      if (!isGoto) {
        if (depth >= MAX_JUMP_DEPTH) {
          throw new DomainError('INVALID', `jumps nest deeper than ${MAX_JUMP_DEPTH} chains in table ${table.name} (at chain "${entered.name}")`);
        }
        let frame = framePool[base + depth];
        if (frame === undefined) framePool[base + depth] = frame = { chain, list, next, packet };
        else {
          frame.chain = chain;
          frame.list = list;
          frame.next = next;
          frame.packet = packet;
        }
        depth++;
      }
      chain = entered;
      list = candidates(chain, packet, walker.linear);
      next = 0;
      continue;
    }
    // RETURN, or the end of the chain.
    if (depth === 0) {
      const policy = start.policy ?? 'ACCEPT';
      if (walker.counting) {
        start.policyCounters.packets++;
        start.policyCounters.bytes += packetLength(packet);
      }
      walker.record(table.name, start.name, -1, null, policy === 'DROP' ? 'policy DROP' : 'policy ACCEPT');
      return policy === 'DROP' ? DROPPED : ACCEPTED;
    }
    // Back to the rule after the jump (falling off a user chain returns silently).
    const frame = framePool[base + --depth];
    chain = frame.chain;
    list = frame.list;
    next = frame.next;
    if (list !== undefined && !sameKey(frame.packet, packet)) ({ list, next } = resumeAfter(chain, packet, list[next - 1]));
  }
}

function describeRewrite(target: string, before: Packet, after: Packet): string {
  const parts: string[] = [];
  if (after.mark !== before.mark) parts.push(`mark 0x${before.mark.toString(16)} -> 0x${after.mark.toString(16)}`);
  if ((after.ctmark ?? 0) !== (before.ctmark ?? 0)) {
    parts.push(`ctmark 0x${(before.ctmark ?? 0).toString(16)} -> 0x${(after.ctmark ?? 0).toString(16)}`);
  }
  if (after.ctstate !== before.ctstate) parts.push(`ctstate ${after.ctstate}`);
  if (after.ttl !== before.ttl) parts.push(`TTL ${before.ttl ?? 'unset'} -> ${after.ttl ?? 'unset'}`);
  if ((after.tos ?? 0) !== (before.tos ?? 0)) parts.push(`TOS 0x${(before.tos ?? 0).toString(16)} -> 0x${(after.tos ?? 0).toString(16)}`);
  if (after.destination !== before.destination || after.destinationPort !== before.destinationPort) parts.push('destination rewritten');
  if (after.source !== before.source || after.sourcePort !== before.sourcePort) parts.push('source rewritten');
  if (PROTOCOL_NUMBERS[after.protocol] !== PROTOCOL_NUMBERS[before.protocol]) parts.push('protocol rewritten');
  return parts.length > 0 ? `${target}: ${parts.join(', ')}` : target;
}

function describeLog(prefix: string, level: number): string {
  return `LOG (level ${level}${prefix ? `, prefix "${prefix}"` : ''}), continue`;
}
