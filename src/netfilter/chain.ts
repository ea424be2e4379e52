import type { Rule } from './rule';
import type { Counters, Hook, Policy, Target } from './types';

/**
 * A chain: a built-in one (named after its hook, with a policy) or a user
 * chain (reached only by jumps and gotos). Chains are shared between
 * snapshots of a table; change them only through their `Table`, which
 * copies a chain before its first change.
 */
/** User chains have no policy, so no policy counters: they share this one. */
const NO_COUNTERS: Counters = Object.freeze({ packets: 0, bytes: 0 });

export class Chain {
  private readonly ruleList: Rule[];
  /**
   * @internal The `-j` / `-g` targets into this chain, shared by every rule
   * that jumps here (a target holds only the chain's name). Set by the parser.
   */
  jumpTarget: Target | undefined;
  gotoTarget: Target | undefined;
  /** @internal The stamp of the table that may change this chain in place (see Table). */
  owner = 0;
  /** @internal Scratch marks of `Table.validate` (which runs to completion before anyone else looks). */
  visitMark = 0;
  doneMark = 0;
  reach = 0;
  private mods = 0;

  constructor(
    readonly name: string,
    /** The hook of a built-in chain; undefined for a user chain. */
    readonly hook: Hook | undefined,
    /** What a built-in chain does with packets that fall off its end. */
    public policy: Policy | undefined,
    readonly policyCounters: Counters = hook === undefined ? NO_COUNTERS : { packets: 0, bytes: 0 },
    rules: Rule[] = [],
  ) {
    this.ruleList = rules;
  }

  get builtin(): boolean {
    return this.hook !== undefined;
  }

  get rules(): readonly Rule[] {
    return this.ruleList;
  }

  get length(): number {
    return this.ruleList.length;
  }

  /**
   * Grows with every change to the rule list, so caches built over a chain
   * (the traversal engine's rule index) know when to rebuild.
   */
  get modCount(): number {
    return this.mods;
  }

  /** A copy with its own rule list (the rules themselves are shared). */
  copy(): Chain {
    const counters = this.hook === undefined ? NO_COUNTERS : { ...this.policyCounters };
    const copy = new Chain(this.name, this.hook, this.policy, counters, this.ruleList.slice());
    copy.jumpTarget = this.jumpTarget;
    copy.gotoTarget = this.gotoTarget;
    return copy;
  }

  /** @internal use Table */
  push(rule: Rule): void {
    this.mods++;
    this.ruleList.push(rule);
  }

  /** @internal use Table */
  splice(index: number, deleteCount: number, ...rules: Rule[]): Rule[] {
    this.mods++;
    return this.ruleList.splice(index, deleteCount, ...rules);
  }

  /** @internal use Table */
  clear(): Rule[] {
    this.mods++;
    return this.ruleList.splice(0, this.ruleList.length);
  }
}
