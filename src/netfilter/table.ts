import { DomainError } from '../common/domain-error';
import { Chain } from './chain';
import { ChainNameOrder } from './chain-name-order';
import { usesConntrack } from './conntrack-users';
import type { Rule } from './rule';
import { JumpTarget } from './targets/jump.target';
import { detach } from './text/values';
import {
  BUILTIN_CHAINS,
  DEFAULT_POLICY,
  HOOK_BIT,
  hookMask,
  HOOKS,
  MAX_CHAIN_NAME_LENGTH,
  STANDARD_TARGET_NAMES,
  type Counters,
  type Hook,
  type Policy,
  type TableName,
  type Target,
} from './types';

/** Ownership stamps; see `Table.stamp`. */
let nextStamp = 1;

/** Process-wide numbers for (table, chain directory) states; see `Table.resolve`. */
let nextDirectoryVersion = 1;

function invalid(message: string): DomainError {
  return new DomainError('INVALID', message, { field: 'rules' });
}

function chainNotFound(name: string, table: TableName): DomainError {
  return new DomainError('CHAIN_NOT_FOUND', `chain "${name}" does not exist in table ${table}`, { field: 'rules' });
}

/**
 * One table: its built-in chains (always all of them, some perhaps absent
 * from the kernel: see `absent`) and user chains, by
 * name. Jumps name their chain; the table counts references so that a
 * chain still jumped to cannot be deleted, and refuses jumps to chains it
 * does not hold.
 *
 * `clone()` is cheap (copy-on-write): the clone shares chains and copies
 * one only before changing it, so a restore can build the next version of
 * a table beside the live one and swap it in at COMMIT, or drop it on error.
 */
export class Table {
  private chainMap: Map<string, Chain>;
  /** Jumps into each chain; computed on first need (deleting a chain), then kept up to date. */
  private refs: Map<string, number> | undefined;
  /**
   * Chains this instance may change in place carry this stamp (`Chain.owner`):
   * the ones it created or copied since the last clone. A clone gives both
   * sides new stamps, so neither changes a shared chain.
   */
  private stamp = nextStamp++;
  private mapsShared = false;
  private refsShared = false;
  /** Changes whenever `chainMap` does, and differs between tables: keys jump resolution caches. */
  private directoryVersion = nextDirectoryVersion++;
  /** User chain names in save order. */
  private userNames = new ChainNameOrder();
  /** The built-in chains by hook, as of `builtinsVersion` (a walk starts at one: cheaper than a lookup among thousands of chains). */
  private builtins: Readonly<Record<Hook, Chain | undefined>> | undefined;
  private builtinsVersion = -1;

  /**
   * Built-in chains that do not exist in the kernel, as a mask of `HOOK_BIT`s.
   * With iptables-nft a base chain exists only once something names it: a
   * restore's `:CHAIN` line, a rule added to it, a policy set on it. The table
   * still prints it (iptables-save shows absent base chains as `ACCEPT [0:0]`),
   * but no packet walks it and its policy never applies.
   */
  private absent = 0;
  /** Rules that make the kernel track connections in the namespace (see conntrack-users.ts). */
  private conntrackRules = 0;

  /**
   * `bare`: start with no base chain existing (a table that iptables-nft
   * creates from a restore section); otherwise every base chain exists.
   */
  constructor(
    readonly name: TableName,
    bare = false,
  ) {
    if (bare) this.absent = hookMask(BUILTIN_CHAINS[name]);
    this.chainMap = new Map();
    this.refs = undefined;
    for (const hook of BUILTIN_CHAINS[name]) {
      const chain = new Chain(hook, hook, DEFAULT_POLICY);
      chain.owner = this.stamp;
      this.chainMap.set(hook, chain);
    }
  }

  /** A copy-on-write copy: later changes to either side do not show in the other. */
  clone(): Table {
    const copy = Object.create(Table.prototype) as Table;
    (copy as { name: TableName }).name = this.name;
    copy.chainMap = this.chainMap;
    copy.refs = this.refs;
    copy.absent = this.absent;
    copy.conntrackRules = this.conntrackRules;
    copy.stamp = nextStamp++;
    copy.mapsShared = true;
    copy.refsShared = true;
    copy.directoryVersion = nextDirectoryVersion++;
    copy.userNames = this.userNames.copy(() => this.allUserNames());
    copy.builtins = undefined;
    copy.builtinsVersion = -1;
    // This side must now copy before changing too.
    this.stamp = nextStamp++;
    this.mapsShared = true;
    this.refsShared = true;
    this.directoryVersion = nextDirectoryVersion++;
    return copy;
  }

  // -------------------------------------------------------------------------
  // Reading
  // -------------------------------------------------------------------------

  chain(name: string): Chain | undefined {
    return this.chainMap.get(name);
  }

  /** The chain named after a hook (a built-in chain, if the table has one there), as `chain(hook)`. */
  hookChain(hook: Hook): Chain | undefined {
    if (this.builtinsVersion !== this.directoryVersion) {
      const m = this.chainMap;
      this.builtins = { PREROUTING: m.get('PREROUTING'), INPUT: m.get('INPUT'), FORWARD: m.get('FORWARD'), OUTPUT: m.get('OUTPUT'), POSTROUTING: m.get('POSTROUTING') };
      this.builtinsVersion = this.directoryVersion;
    }
    return this.builtins![hook];
  }

  /** Whether the base chain of `hook` exists in the kernel (see `absent`): a walk at that hook starts there. */
  hasBaseChain(hook: Hook): boolean {
    return (this.absent & HOOK_BIT[hook]) === 0 && this.hookChain(hook)?.builtin === true;
  }

  /** Whether any rule of the table makes the kernel track connections (nat rules, conntrack matches, ...). */
  get usesConntrack(): boolean {
    return this.conntrackRules > 0;
  }

  /** A built-in chain was named: it exists from now on. */
  private present(name: string): void {
    if (this.absent === 0) return;
    const bit = (HOOK_BIT as Readonly<Record<string, number>>)[name];
    if (bit !== undefined) this.absent &= ~bit;
  }

  hasChain(name: string): boolean {
    return this.chainMap.has(name);
  }

  get chainCount(): number {
    return this.chainMap.size;
  }

  /** The built-in chains, in kernel hook order. */
  builtinChains(): Chain[] {
    return BUILTIN_CHAINS[this.name].map((hook) => this.chainMap.get(hook)!);
  }

  /**
   * User chains in the order iptables-save (nf_tables) lists them: sorted by
   * name, byte-wise (strcmp), so "KUBE-SVC-10" comes before "KUBE-SVC-2".
   */
  userChains(): Chain[] {
    return this.userChainNames().map((n) => this.chainMap.get(n)!);
  }

  /** The user chain names, in save order. */
  userChainNames(): readonly string[] {
    return this.userNames.names(() => this.allUserNames());
  }

  /** The user chain names, in no order. */
  private allUserNames(): string[] {
    const names: string[] = [];
    for (const chain of this.chainMap.values()) if (!chain.builtin) names.push(chain.name);
    return names;
  }

  /** Built-in chains first, then user chains, as iptables-save prints them. */
  chains(): Chain[] {
    return [...this.builtinChains(), ...this.userChains()];
  }

  /** How many rules jump or go to the chain. */
  references(name: string): number {
    return this.referenceCounts().get(name) ?? 0;
  }

  private referenceCounts(): Map<string, number> {
    if (this.refs === undefined) {
      const refs = new Map<string, number>();
      for (const chain of this.chainMap.values()) {
        for (const rule of chain.rules) {
          const target = rule.target?.chain;
          if (target !== undefined) refs.set(target, (refs.get(target) ?? 0) + 1);
        }
      }
      this.refs = refs;
      this.refsShared = false;
    }
    return this.refs;
  }

  ruleCount(): number {
    let n = 0;
    for (const chain of this.chainMap.values()) n += chain.length;
    return n;
  }

  // -------------------------------------------------------------------------
  // Chains
  // -------------------------------------------------------------------------

  /** Refuses names iptables refuses, and built-in names of other tables. */
  checkNewChainName(name: string): void {
    if (name.length === 0) throw invalid('empty chain name');
    if (name.length > MAX_CHAIN_NAME_LENGTH) {
      throw invalid(`chain name "${name}" is too long (at most ${MAX_CHAIN_NAME_LENGTH} characters)`);
    }
    if (name.charCodeAt(0) === 45) throw invalid(`chain name "${name}" may not start with "-"`);
    for (let i = 0; i < name.length; i++) {
      if (name.charCodeAt(i) <= 32) throw invalid(`chain name "${name}" may not contain spaces`);
    }
    if (STANDARD_TARGET_NAMES.has(name)) throw invalid(`chain name "${name}" clashes with a standard target`);
    if ((HOOKS as readonly string[]).includes(name)) {
      throw invalid(`built-in chain "${name}" does not exist in table ${this.name}`);
    }
  }

  /** `-N`: creates a user chain; it must not exist yet. */
  createChain(name: string): Chain {
    if (this.chainMap.has(name)) throw invalid(`chain "${name}" already exists in table ${this.name}`);
    return this.addChain(name);
  }

  private addChain(name: string): Chain {
    this.checkNewChainName(name);
    this.unshareMaps();
    // A copy, so the chain does not keep the whole restore text alive through a slice of it.
    const chain = new Chain(detach(name), undefined, undefined);
    chain.owner = this.stamp;
    this.chainMap.set(chain.name, chain);
    this.directoryVersion = nextDirectoryVersion++;
    this.userNames.add(chain.name);
    return chain;
  }

  /**
   * A restore chain line (`:NAME POLICY [p:b]`): creates a user chain or
   * flushes an existing one; for a built-in chain sets the policy (and
   * counters, when given) without flushing it.
   */
  declareChain(name: string, policy?: Policy, counters?: Counters): Chain {
    const existing = this.chainMap.get(name);
    if (existing?.builtin) {
      this.present(name);
      if (policy !== undefined || counters !== undefined) {
        const chain = this.writable(name);
        if (policy !== undefined) chain.policy = policy;
        if (counters !== undefined) {
          chain.policyCounters.packets = counters.packets;
          chain.policyCounters.bytes = counters.bytes;
        }
        return chain;
      }
      return existing;
    }
    if (existing) {
      this.flush(name);
      return this.chainMap.get(name)!;
    }
    return this.addChain(name);
  }

  /** `-X NAME`: the chain must be a user chain, empty and not jumped to. */
  deleteChain(name: string): void {
    const chain = this.chainMap.get(name);
    if (!chain) throw chainNotFound(name, this.name);
    if (chain.builtin) throw invalid(`cannot delete built-in chain "${name}"`);
    const refs = this.references(name);
    if (refs > 0) {
      throw invalid(`cannot delete chain "${name}": ${refs} rule${refs === 1 ? '' : 's'} still jump to it`);
    }
    if (chain.length > 0) throw invalid(`cannot delete chain "${name}": it is not empty`);
    this.unshareMaps();
    this.chainMap.delete(name);
    this.directoryVersion = nextDirectoryVersion++;
    this.writableRefs()?.delete(name);
    chain.owner = 0;
    this.userNames.delete(name);
  }

  /** `-X` without a name: deletes every user chain (each must be empty and not jumped to). */
  deleteUserChains(): void {
    for (const chain of this.userChains()) this.deleteChain(chain.name);
  }

  /** `-F NAME`, or every chain with no name. */
  flush(name?: string): void {
    if (name === undefined) {
      for (const chain of [...this.chainMap.values()]) if (chain.length > 0) this.flush(chain.name);
      return;
    }
    const existing = this.chainMap.get(name);
    if (!existing) throw chainNotFound(name, this.name);
    if (existing.length === 0) return;
    this.unshareMaps();
    for (const rule of existing.rules) this.dropReference(rule);
    if (existing.owner === this.stamp) {
      existing.clear();
    } else {
      const fresh = new Chain(
        existing.name,
        existing.hook,
        existing.policy,
        existing.builtin ? { ...existing.policyCounters } : undefined,
      );
      fresh.jumpTarget = existing.jumpTarget;
      fresh.gotoTarget = existing.gotoTarget;
      this.chainMap.set(name, fresh);
      this.directoryVersion = nextDirectoryVersion++;
      fresh.owner = this.stamp;
    }
  }

  /** `-P CHAIN POLICY`, for built-in chains only. */
  setPolicy(name: string, policy: Policy, counters?: Counters): void {
    const chain = this.chainMap.get(name);
    if (!chain) throw chainNotFound(name, this.name);
    if (!chain.builtin) throw invalid(`cannot set a policy on user chain "${name}"`);
    this.declareChain(name, policy, counters);
  }

  /** `-Z [NAME]`: zeroes rule counters (and a built-in chain's policy counters). */
  zero(name?: string): void {
    const chains = name === undefined ? [...this.chainMap.values()] : [this.chainMap.get(name)];
    for (const chain of chains) {
      if (!chain) throw chainNotFound(name!, this.name);
      for (const rule of chain.rules) {
        rule.packets = 0;
        rule.bytes = 0;
      }
      if (chain.builtin) {
        chain.policyCounters.packets = 0;
        chain.policyCounters.bytes = 0;
      }
    }
  }

  // -------------------------------------------------------------------------
  // Rules
  // -------------------------------------------------------------------------

  /** `-A`. Returns the chain as it now is in this table. */
  append(chainName: string, rule: Rule): Chain {
    this.checkJump(rule);
    this.present(chainName);
    const chain = this.writable(chainName);
    chain.push(rule);
    this.addReference(rule);
    return chain;
  }

  /**
   * `-A` to a chain this table returned from `append` before: skips the
   * lookup by name when the chain is still this table's own.
   */
  appendTo(chain: Chain, rule: Rule): Chain {
    if (chain.owner !== this.stamp) return this.append(chain.name, rule);
    this.checkJump(rule);
    chain.push(rule);
    this.addReference(rule);
    return chain;
  }

  /** `-I`: `index` is 0-based; up to the chain's length (which appends). */
  insert(chainName: string, index: number, rule: Rule): void {
    const chain = this.existing(chainName);
    if (index < 0 || index > chain.length) {
      throw invalid(`cannot insert at position ${index + 1} of chain "${chainName}": it has ${chain.length} rules`);
    }
    this.checkJump(rule);
    this.present(chainName);
    this.writable(chainName).splice(index, 0, rule);
    this.addReference(rule);
  }

  /** `-R`: `index` is 0-based. */
  replace(chainName: string, index: number, rule: Rule): void {
    const chain = this.existing(chainName);
    if (index < 0 || index >= chain.length) {
      throw invalid(`no rule number ${index + 1} in chain "${chainName}" (it has ${chain.length})`);
    }
    this.checkJump(rule);
    const [old] = this.writable(chainName).splice(index, 1, rule);
    this.dropReference(old);
    this.addReference(rule);
  }

  /** `-D CHAIN N`: `index` is 0-based. */
  removeAt(chainName: string, index: number): Rule {
    const chain = this.existing(chainName);
    if (index < 0 || index >= chain.length) {
      throw invalid(`no rule number ${index + 1} in chain "${chainName}" (it has ${chain.length})`);
    }
    const [old] = this.writable(chainName).splice(index, 1);
    this.dropReference(old);
    return old;
  }

  // -------------------------------------------------------------------------
  // Jumps
  // -------------------------------------------------------------------------

  /**
   * The chain a jump or goto enters. A jump target is shared by all rules
   * into its chain, so it remembers its last answer for as long as this
   * table's chain directory does not change.
   */
  resolve(target: Target): Chain | undefined {
    const name = target.chain;
    if (name === undefined) return undefined;
    if (!(target instanceof JumpTarget)) return this.chainMap.get(name);
    if (target.resolvedIn === this.directoryVersion) return target.resolved as Chain | undefined;
    const chain = this.chainMap.get(name);
    target.resolvedIn = this.directoryVersion;
    target.resolved = chain;
    return chain;
  }

  // -------------------------------------------------------------------------
  // Copy-on-write plumbing
  // -------------------------------------------------------------------------

  private existing(name: string): Chain {
    const chain = this.chainMap.get(name);
    if (!chain) throw chainNotFound(name, this.name);
    return chain;
  }

  private unshareMaps(): void {
    if (!this.mapsShared) return;
    this.chainMap = new Map(this.chainMap);
    this.mapsShared = false;
  }

  /** The reference counts to update, if they are being kept (copied first when shared). */
  private writableRefs(): Map<string, number> | undefined {
    if (this.refs !== undefined && this.refsShared) {
      this.refs = new Map(this.refs);
      this.refsShared = false;
    }
    return this.refs;
  }

  /** The chain, copied first if another snapshot shares it. */
  private writable(name: string): Chain {
    const chain = this.existing(name);
    if (chain.owner === this.stamp) return chain;
    this.unshareMaps();
    const copy = chain.copy();
    this.chainMap.set(name, copy);
    this.directoryVersion = nextDirectoryVersion++;
    copy.owner = this.stamp;
    return copy;
  }

  private checkJump(rule: Rule): void {
    const target = rule.target?.chain;
    if (target === undefined) return;
    const chain = this.chainMap.get(target);
    if (!chain) throw chainNotFound(target, this.name);
    if (chain.builtin) throw invalid(`cannot jump to built-in chain "${target}"`);
  }

  private addReference(rule: Rule): void {
    if (usesConntrack(rule)) this.conntrackRules++;
    if (this.refs === undefined) return;
    const target = rule.target?.chain;
    if (target === undefined) return;
    const refs = this.writableRefs()!;
    refs.set(target, (refs.get(target) ?? 0) + 1);
  }

  private dropReference(rule: Rule): void {
    if (usesConntrack(rule)) this.conntrackRules--;
    if (this.refs === undefined) return;
    const target = rule.target?.chain;
    if (target === undefined) return;
    const refs = this.writableRefs()!;
    const n = (refs.get(target) ?? 0) - 1;
    if (n > 0) refs.set(target, n);
    else refs.delete(target);
  }
}
