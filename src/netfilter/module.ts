/**
 * How `-m` modules and `-j` targets plug into the text parser. A module
 * declares its options; the parser collects them (in command-line order,
 * each with its `!`) and hands them to `build`, which validates them and
 * returns the `Match` or `Target`. Adding a module is adding a file that
 * exports one of these and registering it (see builtin-modules.ts): the
 * parser never changes.
 */
import type { IpFamily } from './address';
import type { IpsetStore } from './ipset/ipset-store';
import type { Hook, Match, TableName, Target } from './types';

export interface OptionSpec {
  /** Long name without the dashes: "dport". */
  readonly name: string;
  /** Other spellings iptables accepts: "destination-port". */
  readonly aliases?: readonly string[];
  /** How many words follow the option (`--tcp-flags MASK COMP` takes two). */
  readonly args: 0 | 1 | 2;
  /** May be preceded by `!`. */
  readonly invertible?: boolean;
  /** May be given more than once in one module instance. */
  readonly repeatable?: boolean;
}

/** One option as written in a rule, resolved to its spec's canonical name. */
export interface ParsedOption {
  readonly name: string;
  /** As written, e.g. "--destination-port". */
  readonly spelled: string;
  readonly args: readonly string[];
  readonly inverted: boolean;
}

/** What a module may know about the rule it is part of. */
export interface RuleBuildContext {
  readonly table: TableName;
  /** Whose rule it is: iptables (ipv4, also when unset) or ip6tables (ipv6). */
  readonly family?: IpFamily;
  /** The `-p` protocol number; undefined when the rule has none (or `-p all`). */
  readonly protocol: number | undefined;
  readonly protocolInverted: boolean;
  /** The ipsets rules may name (`-m set`, `-j SET`); absent: none. */
  readonly ipsets?: IpsetStore;
}

export interface MatchModule {
  readonly kind: 'match';
  readonly name: string;
  readonly options: readonly OptionSpec[];
  /**
   * The protocol number for which iptables loads this module implicitly:
   * `-p tcp --dport 80` means `-p tcp -m tcp --dport 80`.
   */
  readonly implicitForProtocol?: number;
  build(options: readonly ParsedOption[], rule: RuleBuildContext): Match;
}

export interface TargetModule {
  readonly kind: 'target';
  readonly name: string;
  readonly options: readonly OptionSpec[];
  /** Tables the target may be used in; unset for all. */
  readonly tables?: readonly TableName[];
  /** Hooks from which it may be reached; unset for all. */
  readonly hooks?: readonly Hook[];
  build(options: readonly ParsedOption[], rule: RuleBuildContext): Target;
}

/**
 * A problem with one rule's options. The parser adds the line number and
 * turns it into a `DomainError('RULE_PARSE_ERROR')`; the message already
 * quotes the offending word.
 */
export class RuleSyntaxError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RuleSyntaxError';
  }
}

/** Options of one module, looked up by every spelling as written in a rule ("--dport"). */
export class OptionTable {
  private readonly byWord = new Map<string, OptionSpec>();

  constructor(readonly specs: readonly OptionSpec[]) {
    for (const given of specs) {
      // One shape for every spec keeps the parser's property reads monomorphic.
      const spec: OptionSpec = {
        name: given.name,
        aliases: given.aliases ?? [],
        args: given.args,
        invertible: given.invertible ?? false,
        repeatable: given.repeatable ?? false,
      };
      this.byWord.set('--' + spec.name, spec);
      for (const alias of spec.aliases!) this.byWord.set('--' + alias, spec);
    }
  }

  /** The option a word such as "--dport" or "--destination-port" names. */
  get(word: string): OptionSpec | undefined {
    return this.byWord.get(word);
  }

  /** Every option one of whose spellings starts with `prefix` ("--dp"): getopt accepts unambiguous abbreviations. */
  withPrefix(prefix: string): OptionSpec[] {
    const found = new Set<OptionSpec>();
    for (const [word, spec] of this.byWord) if (word.startsWith(prefix)) found.add(spec);
    return [...found];
  }
}

interface Registered<M> {
  readonly module: M;
  readonly options: OptionTable;
}

export type RegisteredMatch = Registered<MatchModule>;
export type RegisteredTarget = Registered<TargetModule>;

/** Matches and targets by name. */
export class ModuleRegistry {
  private readonly matchModules = new Map<string, RegisteredMatch>();
  private readonly targetModules = new Map<string, RegisteredTarget>();
  private readonly implicit = new Map<number, RegisteredMatch>();

  registerMatch(module: MatchModule, ...aliases: string[]): this {
    const entry = { module, options: new OptionTable(module.options) };
    for (const name of [module.name, ...aliases]) {
      if (this.matchModules.has(name)) throw new Error(`match module "${name}" is already registered`);
      this.matchModules.set(name, entry);
    }
    if (module.implicitForProtocol !== undefined) this.implicit.set(module.implicitForProtocol, entry);
    return this;
  }

  registerTarget(module: TargetModule): this {
    if (this.targetModules.has(module.name)) throw new Error(`target "${module.name}" is already registered`);
    this.targetModules.set(module.name, { module, options: new OptionTable(module.options) });
    return this;
  }

  match(name: string): RegisteredMatch | undefined {
    return this.matchModules.get(name);
  }

  target(name: string): RegisteredTarget | undefined {
    return this.targetModules.get(name);
  }

  /** The module iptables loads implicitly for `-p <protocol>` when an unknown option appears. */
  implicitMatch(protocol: number): RegisteredMatch | undefined {
    return this.implicit.get(protocol);
  }

  matchNames(): string[] {
    return [...this.matchModules.keys()];
  }

  targetNames(): string[] {
    return [...this.targetModules.keys()];
  }
}

/** The option with that canonical name (the parser has already refused repeats). */
export function findOption(options: readonly ParsedOption[], name: string): ParsedOption | undefined {
  for (const option of options) if (option.name === name) return option;
  return undefined;
}

/** Refuses `!` on an option whose spec allows it only in some modes; and so on. */
export function requireOption(options: readonly ParsedOption[], name: string, module: string): ParsedOption {
  const option = findOption(options, name);
  if (!option) throw new RuleSyntaxError(`${module}: option "--${name}" must be specified`);
  return option;
}

/** Refuses two options that cannot go together. */
export function refuseTogether(options: readonly ParsedOption[], module: string, names: readonly string[]): void {
  let first: ParsedOption | undefined;
  for (const option of options) {
    if (!names.includes(option.name)) continue;
    if (first && first.name !== option.name) {
      throw new RuleSyntaxError(`${module}: "${first.spelled}" cannot be used together with "${option.spelled}"`);
    }
    first ??= option;
  }
}
