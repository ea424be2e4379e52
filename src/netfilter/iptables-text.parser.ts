/**
 * Reads iptables text into a `Ruleset`: what kube-proxy feeds
 * `iptables-restore` (`-A CHAIN -m comment --comment x -m tcp -p tcp -d
 * 10.0.0.1 --dport 80 -j KUBE-SVC-X`, `:KUBE-SVC-X - [0:0]`, `-X`) and what
 * `iptables-save` prints (`-d 10.0.0.1/32 -p tcp -m comment ...`) alike.
 *
 * Restore semantics, as iptables-restore 1.8.9 has them:
 * - `*table` ... `COMMIT` sections; `#` comment lines and blank lines;
 * - without `noflush` a section replaces its whole table (a section with
 *   nothing in it deletes the table); with `noflush` it edits the table;
 * - `:NAME POLICY [packets:bytes]` creates a user chain or flushes it; for a
 *   built-in chain it sets the policy (without flushing);
 * - `-A`, `-I [N]`, `-D N|rule`, `-R N`, `-C`, `-N`, `-X [CHAIN]`, `-F [CHAIN]`,
 *   `-P`, `-Z`; a jump or goto must name a chain that exists at that line;
 * - `[packets:bytes]` before a rule and policy counters are taken only with
 *   `counters` (`--counters`); `-c PACKETS BYTES` in a rule always;
 * - words and quoting as in text/tokenizer.ts; long options may be
 *   abbreviated as far as they stay unambiguous (getopt), and `--opt=value`
 *   works.
 *
 * Unlike iptables-restore, which commits each table at its COMMIT line, a
 * restore here is all or nothing: any error leaves the ruleset untouched.
 * Unlike iptables-restore, which stops at the first error, every line is
 * read and every problem reported in one `DomainError`: one cause per problem,
 * its field naming the line (`rules:12`), its message quoting the line's
 * text and the reason. One problem keeps its code (`CHAIN_NOT_FOUND` for a
 * missing chain, `RULE_PARSE_ERROR` for everything else) and its message
 * (`line 12: unknown match module "foo"`); several are `RULE_PARSE_ERROR`.
 *
 * A real iptables match, option or target that we do not model (see
 * real-extensions.ts) is refused as such, or kept with `unsupported: 'keep'`:
 * the rule is stored with its text as given (unmodelled.ts says how it is
 * traced).
 */
import { DomainError, type DomainErrorCode } from '../common/domain-error';
import { defaultRegistry } from './builtin-modules';
import { formatRuleSpec } from './iptables-save.printer';
import {
  RuleSyntaxError,
  type ModuleRegistry,
  type OptionSpec,
  type ParsedOption,
  type RegisteredMatch,
  type RegisteredTarget,
  OptionTable,
} from './module';
import {
  KEEP_ADVICE,
  REAL_MATCHES,
  REAL_TABLES,
  REAL_TARGETS,
  REAL_UNMODELLED_OPTIONS,
  unmodelledMatchText,
  unmodelledOptionText,
  unmodelledTableText,
  unmodelledTargetText,
} from './real-extensions';
import { MAX_PROBLEMS, restoreError, withLineTexts, type Problem } from './restore-problems';
import { UnmodelledMatch, UnmodelledTarget, UnsupportedError } from './unmodelled';
import type { IpsetStore } from './ipset/ipset-store';
import { MissingSetError } from './ipset/set.match';
import { Rule, type AddressCondition, type InterfaceCondition, type ProtocolCondition } from './rule';
import type { Chain } from './chain';
import { Ruleset } from './ruleset';
import { Table } from './table';
import { JumpTarget } from './targets/jump.target';
import { splitWords, splitWordsInto } from './text/tokenizer';
import { parseProtocol } from './text/protocols';
import { detach, parseAddressMask, parseAddressMask6, parseDecimal } from './text/values';
import type { IpFamily } from './address';
import { checkMatchFamily, checkTargetFamily, foreignMatchError, isForeignMatch, isForeignTarget } from './family-modules';
import { TABLE_NAMES, type Counters, type Match, type Policy, type TableName, type Target } from './types';

export interface RestoreOptions {
  /** `iptables-restore --noflush`: edit the tables named in the text instead of replacing them. */
  readonly noflush?: boolean;
  /** `iptables-restore --counters`: take `[packets:bytes]` of rules and policies from the text. */
  readonly counters?: boolean;
  /** Where `-m` and `-j` names are looked up (default: every built-in module). */
  readonly registry?: ModuleRegistry;
  /**
   * Keep each rule's line as written in `rule.sourceText` (to show kube-proxy's own text
   * beside the canonical form). Off by default: it costs as much memory as the text.
   */
  readonly keepSource?: boolean;
  /**
   * Rules that use a real iptables match, option or target kube-netsim does not
   * model: `refuse` (default) reports each as a problem; `keep` keeps them as
   * given (printed back byte for byte; the traversal forks on them).
   */
  readonly unsupported?: 'refuse' | 'keep';
  /**
   * The ipsets rules may name (`-m set`, `-j SET`). A rule naming a set not
   * here is refused as iptables refuses it ("Set NAME doesn't exist."), or
   * kept as given with `unsupported: 'keep'`.
   */
  readonly ipsets?: IpsetStore;
}

/** A rule kept as given with `unsupported: 'keep'`. */
export interface KeptLine {
  readonly line: number;
  /** The line as given. */
  readonly text: string;
  /** What kube-netsim does not model in it, one text per part. */
  readonly reasons: readonly string[];
}

export interface RestoreResult {
  /** Tables the text replaced or changed, in the order their sections appeared. */
  readonly tables: readonly TableName[];
  /** Rules added (`-A`, `-I`, `-R`). */
  readonly rulesAdded: number;
  readonly lines: number;
  /** Rules kept as given (`unsupported: 'keep'`), in line order. */
  readonly kept: readonly KeptLine[];
}


/** Long spellings of the built-in options and commands, by their short letter. */
const LONG_OPTIONS: ReadonlyMap<string, string> = new Map([
  ['source', 's'],
  ['src', 's'],
  ['destination', 'd'],
  ['dst', 'd'],
  ['protocol', 'p'],
  ['in-interface', 'i'],
  ['out-interface', 'o'],
  ['jump', 'j'],
  ['goto', 'g'],
  ['match', 'm'],
  ['fragment', 'f'],
  ['set-counters', 'c'],
  ['table', 't'],
  ['append', 'A'],
  ['insert', 'I'],
  ['delete', 'D'],
  ['replace', 'R'],
  ['check', 'C'],
  ['new-chain', 'N'],
  ['delete-chain', 'X'],
  ['flush', 'F'],
  ['policy', 'P'],
  ['zero', 'Z'],
  ['rename-chain', 'E'],
  ['list', 'L'],
  ['list-rules', 'S'],
]);

const COMMAND_LETTERS = 'AIDRCNXFPZELS';

class LineError extends Error {
  constructor(
    message: string,
    readonly code: DomainErrorCode = 'RULE_PARSE_ERROR',
  ) {
    super(message);
  }
}

function lineError(line: number, message: string, code: DomainErrorCode = 'RULE_PARSE_ERROR'): DomainError {
  return new DomainError(code, `line ${line}: ${message}`, { field: 'rules' });
}

/** One module instance being collected while a rule's words are read. */
interface Collecting<E> {
  readonly entry: E;
  readonly options: ParsedOption[];
}

const code = (letter: string): number => letter.charCodeAt(0);

/** Every built-in option and command word, short and long, by its letter's character code. */
const BUILTIN_WORDS: ReadonlyMap<string, number> = (() => {
  const words = new Map<string, number>();
  for (const [long, letter] of LONG_OPTIONS) words.set('--' + long, code(letter));
  for (const letter of 'sdpiojgmfct' + COMMAND_LETTERS) words.set('-' + letter, code(letter));
  return words;
})();

/** For `-x` words, looked up by the code of x without hashing the word: that code if x is built in, else 0. */
const SHORT_CODES: Uint8Array = (() => {
  const codes = new Uint8Array(128);
  for (const letter of 'sdpiojgmfct' + COMMAND_LETTERS) codes[code(letter)] = code(letter);
  return codes;
})();

const IS_COMMAND: Uint8Array = (() => {
  const flags = new Uint8Array(128);
  for (const letter of COMMAND_LETTERS) flags[code(letter)] = 1;
  return flags;
})();

/** Bits for the header options that may appear once, by letter code. */
const ONCE_BITS: Uint8Array = (() => {
  const bits = new Uint8Array(128);
  [...'sdiopfc'].forEach((letter, k) => (bits[code(letter)] = 1 << k));
  return bits;
})();

const NO_ARGS: readonly string[] = Object.freeze([]);

const NO_OPTIONS = new OptionTable([]);

/** A match we keep but do not model, as the reader collects modules. */
function unmodelledMatch(match: UnmodelledMatch): Collecting<RegisteredMatch> {
  return { entry: { module: { kind: 'match', name: match.name, options: [], build: () => match }, options: NO_OPTIONS }, options: [] };
}

function unmodelledTarget(target: UnmodelledTarget): Collecting<RegisteredTarget> {
  return { entry: { module: { kind: 'target', name: target.name, options: [], build: () => target }, options: NO_OPTIONS }, options: [] };
}

/** The command and chain (and rule number) before a rule's specification: `-A CHAIN`, `-I CHAIN 2`. */
const RULE_HEAD = /^(?:-[AIRDC]|--append|--insert|--replace|--delete|--check)\s+\S+(?:\s+\d+)?(?:\s+|$)/;

type AnyCollecting = Collecting<RegisteredMatch> | Collecting<RegisteredTarget>;

/** Shared `-p` conditions: there are only 2 x 255 of them. */
const PROTOCOL_CONDITIONS = new Map<number, ProtocolCondition>();

function protocolCondition(number: number, invert: boolean): ProtocolCondition {
  const key = number * 2 + (invert ? 1 : 0);
  let condition = PROTOCOL_CONDITIONS.get(key);
  if (!condition) {
    condition = Object.freeze({ number, invert });
    PROTOCOL_CONDITIONS.set(key, condition);
  }
  return condition;
}

/** Reads one rule specification (the words after `-A CHAIN`) into a `Rule`. */
class RuleReader {
  /** Reused for every rule: modules only read it while building. */
  private readonly context: { table: TableName; family: IpFamily; protocol: number | undefined; protocolInverted: boolean; ipsets: IpsetStore | undefined } = {
    table: 'filter',
    family: 'ipv4',
    protocol: undefined,
    protocolInverted: false,
    ipsets: undefined,
  };

  /** Whose rules these are: iptables (ipv4) or ip6tables (ipv6). */
  set family(family: IpFamily) {
    this.context.family = family;
  }

  /** The ipsets rules may name. */
  set ipsets(store: IpsetStore | undefined) {
    this.context.ipsets = store;
  }

  /** Keep rules with parts we do not model (`unsupported: 'keep'`) instead of refusing them. */
  keep = false;
  /** What the last `read` kept but does not model (undefined: the rule is modelled in full). */
  keptReasons: string[] | undefined;

  constructor(private readonly registry: ModuleRegistry) {}

  /**
   * Reads `words[start, count)`. `spec` gives the specification as written,
   * for a rule that is kept as given (else the words are joined).
   */
  read(input: readonly string[], count: number, start: number, table: Table, line: number, sourceText?: string, spec?: () => string): Rule {
    this.keptReasons = undefined;
    let words = input;
    let n = count;
    let source: AddressCondition | undefined;
    let destination: AddressCondition | undefined;
    let inInterface: InterfaceCondition | undefined;
    let outInterface: InterfaceCondition | undefined;
    let protocol: number | undefined;
    let protocolInverted = false;
    let fragment: boolean | undefined;
    let counters: Counters | undefined;
    let matches: Array<Collecting<RegisteredMatch>> | undefined;
    let target: Collecting<RegisteredTarget> | undefined;
    let jump: Target | undefined;
    /** `-j NAME` of a target only the other family has, and no chain NAME: refused at the end of the rule. */
    let foreignJump: string | undefined;
    let invert = false;
    let seen = 0;
    /** The words of an unmodelled module being collected: every non-built-in word until the next built-in option. */
    let open: string[] | undefined;
    /** The target has an option we do not model. */
    let targetUnmodelled = false;

    let i = start;
    while (i < n) {
      const word = words[i++];
      if (word === '!') {
        if (invert) throw new RuleSyntaxError('multiple consecutive "!" are not allowed');
        invert = true;
        continue;
      }
      // `-x` words are looked up by their letter, without hashing the word.
      const letter =
        word.length === 2 && word.charCodeAt(0) === 45
          ? word.charCodeAt(1) < 128
            ? SHORT_CODES[word.charCodeAt(1)]
            : 0
          : (BUILTIN_WORDS.get(word) ?? 0);
      if (letter !== 0) {
        open = undefined;
        const negated = invert;
        invert = false;
        const bit = ONCE_BITS[letter];
        if (bit !== 0) {
          if ((seen & bit) !== 0) throw new RuleSyntaxError(`multiple ${word} options are not allowed`);
          seen |= bit;
        }
        if (letter === 102 /* f */) {
          if (this.context.family === 'ipv6') throw new RuleSyntaxError("`-f' is not supported in IPv6, use -m frag instead");
          fragment = !negated;
          continue;
        }
        if (letter === 116 /* t */) throw new RuleSyntaxError('the -t option cannot be used in iptables-restore input');
        if (IS_COMMAND[letter] === 1) throw new RuleSyntaxError(`unexpected command "${word}" inside a rule`);
        if (i >= n) throw new RuleSyntaxError(`option "${word}" requires an argument`);
        const arg = words[i++];
        switch (letter) {
          case 115 /* s */:
            source = this.address(arg, negated, word);
            break;
          case 100 /* d */:
            destination = this.address(arg, negated, word);
            break;
          case 105 /* i */:
            inInterface = interfaceCondition(arg, negated, word);
            break;
          case 111 /* o */:
            outInterface = interfaceCondition(arg, negated, word);
            break;
          case 112 /* p */: {
            const number = parseProtocol(arg);
            if (number === undefined) throw new RuleSyntaxError(`unknown protocol "${arg}"`);
            if (number === 0 && negated) throw new RuleSyntaxError(`"! -p ${arg}" would match nothing`);
            protocol = number === 0 ? undefined : number;
            protocolInverted = negated;
            break;
          }
          case 109 /* m */: {
            if (negated) throw new RuleSyntaxError('unexpected "!" before -m');
            if (isForeignMatch(arg, this.context.family)) throw foreignMatchError(arg);
            const entry = this.registry.match(arg);
            if (entry) {
              (matches ??= []).push({ entry, options: [] });
              break;
            }
            if (!REAL_MATCHES.has(arg)) throw new RuleSyntaxError(`unknown match module "${arg}"`);
            this.unsupported(unmodelledMatchText(arg));
            open = [];
            (matches ??= []).push(unmodelledMatch(new UnmodelledMatch(arg, open)));
            break;
          }
          case 106 /* j */:
          case 103 /* g */: {
            if (negated) throw new RuleSyntaxError(`unexpected "!" before ${word}`);
            if (target || jump || foreignJump) throw new RuleSyntaxError('multiple -j / -g options are not allowed');
            const isGoto = letter === 103;
            if (isForeignTarget(arg, this.context.family)) {
              // Not a target of this family: a jump to a chain of that name (refused at the end of the rule if the table lacks it).
              if (table.chain(arg)) jump = this.jumpTarget(arg, isGoto, table);
              else foreignJump = arg;
              break;
            }
            const entry = isGoto ? undefined : this.registry.target(arg);
            const effect = isGoto || entry ? undefined : REAL_TARGETS.get(arg);
            if (entry) target = { entry, options: [] };
            else if (effect !== undefined) {
              this.unsupported(unmodelledTargetText(arg));
              open = [];
              target = unmodelledTarget(new UnmodelledTarget(arg, open, effect));
            } else jump = this.jumpTarget(arg, isGoto, table);
            break;
          }
          case 99 /* c */: {
            const packets = parseDecimal(arg, Number.MAX_SAFE_INTEGER);
            const bytes = i < n ? parseDecimal(words[i++], Number.MAX_SAFE_INTEGER) : undefined;
            if (packets === undefined || bytes === undefined) {
              throw new RuleSyntaxError('-c needs two numbers: packets and bytes');
            }
            counters = { packets, bytes };
            break;
          }
        }
        continue;
      }

      if (open !== undefined) {
        // An option of a module we do not model: its words, as given.
        if (invert) open.push('!');
        open.push(word);
        invert = false;
        continue;
      }

      // A module option: the target's, else the latest module's that knows it,
      // else one of the protocol's module, which iptables then loads implicitly.
      let owner: AnyCollecting | undefined;
      let spec: OptionSpec | undefined;
      if (target) {
        spec = target.entry.options.get(word);
        if (spec) owner = target;
      }
      if (!spec && matches) {
        for (let k = matches.length - 1; k >= 0; k--) {
          spec = matches[k].entry.options.get(word);
          if (spec) {
            owner = matches[k];
            break;
          }
        }
      }
      if (!spec && protocol !== undefined) {
        const implicit = this.implicitMatch(protocol);
        if (implicit && !matches?.some((m) => m.entry === implicit)) {
          spec = implicit.options.get(word);
          if (spec) {
            const collecting: Collecting<RegisteredMatch> = { entry: implicit, options: [] };
            (matches ??= []).push(collecting);
            owner = collecting;
          }
        }
      }
      if (!spec || !owner) {
        // A real option of a module we model, which we do not read.
        const real = this.realOption(word, target, matches, protocol);
        if (real !== undefined) {
          this.unsupported(unmodelledOptionText(real.module, real.option));
          if (i + real.args > n) throw new RuleSyntaxError(`option "${word}" requires ${real.args === 1 ? 'an argument' : 'two arguments'}`);
          const given = [...(invert ? ['!'] : []), word, ...words.slice(i, i + real.args)];
          i += real.args;
          invert = false;
          if (real.target) targetUnmodelled = true;
          else (matches ??= []).push(unmodelledMatch(new UnmodelledMatch(real.module, given)));
          continue;
        }
        // Rare spellings: `--opt=value` and abbreviations. Rewrite the word and read it again.
        const respelled = this.respell(word, target, matches, protocol);
        words = [...words.slice(0, i - 1), ...respelled, ...words.slice(i, n)];
        n = words.length;
        i--;
        continue;
      }
      if (invert && !spec.invertible) {
        throw new RuleSyntaxError(`${owner.entry.module.name}: "${word}" cannot be negated`);
      }
      if (!spec.repeatable) {
        for (const o of owner.options) {
          if (o.name === spec.name) {
            throw new RuleSyntaxError(`${owner.entry.module.name}: option "--${spec.name}" can only be used once`);
          }
        }
      }
      let args: readonly string[] = NO_ARGS;
      if (spec.args > 0) {
        if (i + spec.args > n) throw new RuleSyntaxError(`option "${word}" requires ${spec.args === 1 ? 'an argument' : 'two arguments'}`);
        args = spec.args === 1 ? [words[i]] : [words[i], words[i + 1]];
        i += spec.args;
      }
      owner.options.push({ name: spec.name, spelled: word, args, inverted: invert });
      invert = false;
    }
    if (invert) throw new RuleSyntaxError('"!" at the end of the rule');
    if (foreignJump !== undefined) throw new LineError(`Chain '${foreignJump}' does not exist`, 'CHAIN_NOT_FOUND');

    const context = this.context;
    context.table = table.name;
    context.protocol = protocol;
    context.protocolInverted = protocolInverted;
    let built: Match[] | undefined;
    if (matches) {
      built = new Array<Match>(matches.length);
      for (let k = 0; k < matches.length; k++) {
        const module = matches[k].entry.module;
        checkMatchFamily(module.name, context.family);
        try {
          built[k] = module.build(matches[k].options, context);
        } catch (e) {
          if (!(e instanceof MissingSetError) || !this.keep) throw e;
          (this.keptReasons ??= []).push(e.keptReason);
          built[k] = new UnmodelledMatch(module.name, givenWords(matches[k].options));
        }
      }
    }
    let finalTarget = jump;
    if (target) {
      const module = target.entry.module;
      checkTargetFamily(module.name, context.family);
      if (module.tables && !module.tables.includes(table.name)) {
        throw new RuleSyntaxError(`target "${module.name}" is only valid in the ${module.tables.join(' or ')} table`);
      }
      try {
        finalTarget = targetUnmodelled ? new UnmodelledTarget(module.name, NO_ARGS, REAL_TARGETS.get(module.name) ?? 'stop') : module.build(target.options, context);
      } catch (e) {
        if (!(e instanceof MissingSetError) || !this.keep) throw e;
        (this.keptReasons ??= []).push(e.keptReason);
        finalTarget = new UnmodelledTarget(module.name, givenWords(target.options), REAL_TARGETS.get(module.name) ?? 'stop');
      }
    }
    return new Rule({
      source,
      destination,
      inInterface,
      outInterface,
      protocol: protocol === undefined ? undefined : protocolCondition(protocol, protocolInverted),
      fragment,
      matches: built,
      target: finalTarget,
      counters,
      line,
      sourceText,
      kept: this.keptReasons === undefined ? undefined : spec !== undefined ? spec() : input.slice(start, count).join(' '),
    });
  }

  /** A part we do not model: refused, or (keeping) noted for the rule. */
  private unsupported(reason: string): void {
    if (!this.keep) throw new UnsupportedError(`${reason}; ${KEEP_ADVICE}`, true);
    (this.keptReasons ??= []).push(reason);
  }

  /** A real option that a module of the rule has and we do not model (`--ctproto` of conntrack). */
  private realOption(
    word: string,
    target: Collecting<RegisteredTarget> | undefined,
    matches: Array<Collecting<RegisteredMatch>> | undefined,
    protocol: number | undefined,
  ): { module: string; option: string; args: number; target: boolean } | undefined {
    if (!word.startsWith('--')) return undefined;
    const option = word.slice(2);
    const find = (module: string, isTarget: boolean) => {
      const args = REAL_UNMODELLED_OPTIONS.get(module)?.get(option);
      return args === undefined ? undefined : { module, option, args, target: isTarget };
    };
    if (target) {
      const found = find(target.entry.module.name, true);
      if (found) return found;
    }
    if (matches) {
      for (let k = matches.length - 1; k >= 0; k--) {
        const found = find(matches[k].entry.module.name, false);
        if (found) return found;
      }
    }
    if (protocol !== undefined) {
      const implicit = this.implicitMatch(protocol);
      if (implicit) return find(implicit.module.name, false);
    }
    return undefined;
  }

  /** The match iptables loads for `-p PROTO` options, unless this family's tool has no such match (`icmp` in ip6tables). */
  private implicitMatch(protocol: number): RegisteredMatch | undefined {
    const implicit = this.registry.implicitMatch(protocol);
    return implicit && !isForeignMatch(implicit.module.name, this.context.family) ? implicit : undefined;
  }

  /**
   * The words an unusual option word stands for: `--opt=value` is two words;
   * an unambiguous abbreviation (`--dst-ty`, `--to`) is the full option, as
   * getopt allows. Throws for anything else.
   */
  private respell(
    word: string,
    target: Collecting<RegisteredTarget> | undefined,
    matches: Array<Collecting<RegisteredMatch>> | undefined,
    protocol: number | undefined,
  ): string[] {
    if (word.length < 2 || word.charCodeAt(0) !== 45) throw new RuleSyntaxError(`bad argument "${word}"`);
    if (word.charCodeAt(1) !== 45) throw new RuleSyntaxError(`unknown option "${word}"`);
    const eq = word.indexOf('=');
    if (eq > 2) return [word.slice(0, eq), word.slice(eq + 1)];
    const candidates = new Set<string>();
    for (const long of LONG_OPTIONS.keys()) if (('--' + long).startsWith(word)) candidates.add('--' + long);
    const owners: AnyCollecting[] = [...(target ? [target] : []), ...(matches ?? [])];
    if (protocol !== undefined) {
      const implicit = this.implicitMatch(protocol);
      if (implicit && !matches?.some((m) => m.entry === implicit)) owners.push({ entry: implicit, options: [] });
    }
    for (const owner of owners) for (const spec of owner.entry.options.withPrefix(word)) candidates.add('--' + spec.name);
    if (candidates.size === 1) return [...candidates];
    if (candidates.size > 1) throw new RuleSyntaxError(`option "${word}" is ambiguous (${[...candidates].join(', ')})`);
    throw new RuleSyntaxError(`unknown option "${word}"`);
  }

  private address(text: string, invert: boolean, word: string): AddressCondition | undefined {
    if (text.indexOf(',') >= 0) throw new RuleSyntaxError(`address lists are not supported: "${text}" for ${word}`);
    const { address, mask } = this.context.family === 'ipv6' ? parseAddressMask6(text, word) : parseAddressMask(text, word);
    if (mask === 0 || mask === 0n) {
      if (invert) throw new RuleSyntaxError(`"! ${word} ${text}" would match nothing`);
      return undefined;
    }
    return { address, mask, invert };
  }

  /** A jump or goto; the chain must exist in the table already. One shared target per chain. */
  private jumpTarget(name: string, isGoto: boolean, table: Table): Target {
    const chain = table.chain(name);
    if (!chain) {
      throw new LineError(
        `${isGoto ? '-g' : '-j'} ${name}: chain "${name}" does not exist in table ${table.name}` +
          (isGoto ? '' : ' (and there is no target of that name)'),
        'CHAIN_NOT_FOUND',
      );
    }
    if (chain.builtin) throw new RuleSyntaxError(`cannot jump to built-in chain "${name}"`);
    if (isGoto) return (chain.gotoTarget ??= new JumpTarget(chain.name, true));
    return (chain.jumpTarget ??= new JumpTarget(chain.name, false));
  }
}

function interfaceCondition(name: string, invert: boolean, word: string): InterfaceCondition | undefined {
  if (name.length === 0) throw new RuleSyntaxError(`empty interface name for ${word}`);
  if (name.length > 15) throw new RuleSyntaxError(`interface name "${name}" is too long (at most 15 characters)`);
  if (name === '+' && !invert) return undefined;
  return { name, invert };
}

/** The command letter of a word (`-A`, `--append` -> "A"), if it is a command. */
function commandLetter(word: string): string | undefined {
  let letter: string | undefined;
  if (word.length === 2 && word.charCodeAt(0) === 45) letter = word[1];
  else if (word.startsWith('--')) letter = LONG_OPTIONS.get(word.slice(2));
  return letter !== undefined && COMMAND_LETTERS.includes(letter) ? letter : undefined;
}

interface Section {
  readonly name: TableName;
  readonly table: Table;
  readonly line: number;
  touched: boolean;
  /** A rule that jumps, or may only run at some hooks, was added: check the table at COMMIT. */
  validate: boolean;
}

const COUNTERS = /^\[(\d+):(\d+)\]$/;

function parseCounters(text: string): Counters | undefined {
  const m = COUNTERS.exec(text);
  return m ? { packets: Number(m[1]), bytes: Number(m[2]) } : undefined;
}

/** One run of iptables-restore over a text. */
class RestoreRun {
  private readonly staged = new Map<TableName, Table | undefined>();
  private readonly afterCommit: Array<() => void> = [];
  private readonly reader: RuleReader;
  private readonly firstRuleId = Rule.lastId;
  private section: Section | undefined;
  private rulesAdded = 0;
  private readonly words: string[] = [];
  private sourceText: string | undefined;
  private lastTable: Table | undefined;
  private lastChain: Chain | undefined;
  private readonly problems: Problem[] = [];
  private readonly kept: Array<{ line: number; reasons: string[] }> = [];
  /** A section of a table we do not read (unknown, or not modelled), opened on this line: skipped up to its COMMIT. */
  private skipping: { name: string; line: number } | undefined;
  /** The line being read, from after its counters: a kept rule's specification is cut from it. */
  private text = '';
  private specStart = 0;
  private lineEnd = 0;
  private readonly specOf = (): string => {
    const given = this.text.slice(this.specStart, this.lineEnd).trim();
    const head = RULE_HEAD.exec(given);
    return head ? given.slice(head[0].length) : given;
  };

  constructor(
    private readonly ruleset: Ruleset,
    private readonly options: RestoreOptions,
  ) {
    this.reader = new RuleReader(options.registry ?? defaultRegistry);
    this.reader.keep = options.unsupported === 'keep';
    this.reader.ipsets = options.ipsets;
    this.reader.family = ruleset.family;
  }

  run(text: string): RestoreResult {
    this.text = text;
    let line = 0;
    let pos = 0;
    const length = text.length;
    while (pos < length) {
      let end = text.indexOf('\n', pos);
      if (end < 0) end = length;
      line++;
      try {
        this.line(text, pos, end, line);
      } catch (e) {
        if (e instanceof UnsupportedError) this.problem(line, e.message, 'RULE_PARSE_ERROR', true);
        else if (e instanceof LineError) this.problem(line, e.message, e.code);
        else if (e instanceof RuleSyntaxError) this.problem(line, e.message);
        else if (e instanceof DomainError) this.problem(line, e.message, e.code === 'CHAIN_NOT_FOUND' ? 'CHAIN_NOT_FOUND' : 'RULE_PARSE_ERROR');
        else throw e;
        if (this.problems.length >= MAX_PROBLEMS) break;
      }
      pos = end + 1;
    }
    const open = this.section ?? this.skipping;
    if (open && this.problems.length < MAX_PROBLEMS) {
      this.problem(Math.max(line, 1), `COMMIT expected at the end of the input (table ${open.name} opened on line ${open.line})`);
    }
    if (this.problems.length > 0) throw restoreError(this.problems, text, pos < length);
    this.ruleset.commit(this.staged);
    for (const action of this.afterCommit) action();
    const kept = this.kept.length === 0 ? [] : withLineTexts(text, this.kept);
    return { tables: [...this.staged.keys()], rulesAdded: this.rulesAdded, lines: line, kept };
  }

  private problem(line: number, message: string, code: DomainErrorCode = 'RULE_PARSE_ERROR', unsupported = false): void {
    this.problems.push({ line, message, code, unsupported });
  }

  private line(text: string, start: number, end: number, line: number): void {
    let s = start;
    while (s < end) {
      const c = text.charCodeAt(s);
      if (c !== 32 && c !== 9 && c !== 13) break;
      s++;
    }
    if (s === end) return; // blank
    const first = text.charCodeAt(s);
    if (first === 35 /* # */) return;
    if (this.skipping) {
      if (first === 67 /* C */ && text.slice(s, end).trimEnd() === 'COMMIT') this.skipping = undefined;
      return;
    }
    if (first === 42 /* * */) return this.openTable(text.slice(s + 1, end).trim(), line);
    if (first === 58 /* : */) return this.chainLine(text, s + 1, end);
    if (first === 67 /* C */ && text.slice(s, end).trimEnd() === 'COMMIT') return this.commit(line);

    const section = this.section;
    if (!section) {
      throw new RuleSyntaxError(`"${text.slice(s, end).trim().split(/\s+/)[0]}" before any table (expected *filter, *nat, *mangle, *raw or *security)`);
    }
    let counters: Counters | undefined;
    if (first === 91 /* [ */) {
      const close = text.indexOf(']', s);
      if (close < 0 || close > end) throw new RuleSyntaxError(`bad counters "${text.slice(s, end)}"`);
      if (this.options.counters) {
        counters = parseCounters(text.slice(s, close + 1));
        if (!counters) throw new RuleSyntaxError(`bad counters "${text.slice(s, close + 1)}"`);
      }
      s = close + 1;
    }
    const words = this.words;
    const n = splitWordsInto(text, s, end, words);
    if (n === 0) throw new RuleSyntaxError('counters without a rule');
    if (this.options.keepSource) this.sourceText = detach(text.slice(s, end).trim());
    this.specStart = s;
    this.lineEnd = end;
    this.command(section, words, n, line, counters);
  }

  private openTable(name: string, line: number): void {
    if (this.section) {
      throw new RuleSyntaxError(`"*${name}" inside table ${this.section.name} (opened on line ${this.section.line}): COMMIT expected first`);
    }
    if (!(TABLE_NAMES as readonly string[]).includes(name)) {
      this.skipping = { name, line };
      if (REAL_TABLES.has(name)) throw new UnsupportedError(unmodelledTableText(name), false);
      throw new RuleSyntaxError(`unknown table "${name}"`);
    }
    const tableName = name as TableName;
    let table: Table;
    if (this.options.noflush) {
      const base = this.staged.has(tableName) ? this.staged.get(tableName) : this.ruleset.table(tableName);
      // A table a --noflush restore creates (kube-proxy's, kubelet's, flannel's) has all its base chains.
      table = base ? base.clone() : new Table(tableName);
    } else {
      // A dump: iptables-nft makes only the base chains the section names (see Table.hasBaseChain).
      table = new Table(tableName, true);
    }
    this.section = { name: tableName, table, line, touched: false, validate: false };
  }

  private commit(line: number): void {
    const section = this.section;
    if (!section) throw new RuleSyntaxError('COMMIT without a table');
    this.section = undefined;
    if (section.touched) {
      // Loops and hook restrictions can only appear with new jumps or restricted rules.
      const issue = section.validate ? section.table.validate() : undefined;
      if (issue) {
        const at = issue.rule && issue.rule.id > this.firstRuleId && issue.rule.line !== undefined ? issue.rule.line : line;
        this.problem(at, issue.message);
        return;
      }
      this.staged.set(section.name, section.table);
    } else if (!this.options.noflush) {
      this.staged.set(section.name, undefined);
    }
  }

  private chainLine(text: string, start: number, end: number): void {
    const section = this.section;
    if (!section) throw new RuleSyntaxError(`chain "${text.slice(start - 1, end).trim()}" before any table`);
    const parts = this.words;
    const n = splitWordsInto(text, start, end, parts);
    const name = n > 0 ? parts[0] : undefined;
    const policyWord = n > 1 ? parts[1] : undefined;
    const countersWord = n > 2 ? parts[2] : undefined;
    if (name === undefined || policyWord === undefined) {
      throw new RuleSyntaxError(`bad chain line "${text.slice(start - 1, end).trim()}" (expected :NAME POLICY [packets:bytes])`);
    }
    let counters: Counters | undefined;
    if (countersWord !== undefined && (this.options.counters || countersWord !== '[0:0]')) {
      counters = parseCounters(countersWord);
      if (!counters) throw new RuleSyntaxError(`bad counters "${countersWord}" for chain "${name}"`);
    }
    const table = section.table;
    section.touched = true;
    const existing = table.chain(name);
    if (existing?.builtin) {
      let policy: Policy | undefined;
      if (policyWord === 'ACCEPT' || policyWord === 'DROP') policy = policyWord;
      else if (policyWord !== '-') throw new RuleSyntaxError(`bad policy "${policyWord}" for built-in chain ${name}`);
      table.declareChain(name, policy, this.options.counters ? counters : undefined);
    } else if (existing) {
      table.flush(name);
    } else {
      table.declareChain(name);
    }
  }

  private command(section: Section, input: string[], count: number, line: number, counters: Counters | undefined): void {
    let words = input;
    let n = count;
    let letter = commandLetter(words[0]);
    if (letter === undefined) {
      // getopt takes options in any order: `-c 1 2 -A INPUT -j X` is valid.
      const given = words.slice(0, n);
      const k = given.findIndex((w) => commandLetter(w) !== undefined);
      if (k < 0) throw new RuleSyntaxError(`no command (-A, -I, -D, -R, -C, -N, -X, -F, -P, -Z) in "${given.join(' ')}"`);
      letter = commandLetter(given[k])!;
      const head = given.slice(k, k + 2);
      let rest = k + 2;
      if ('IRD'.includes(letter) && given[rest] !== undefined && parseDecimal(given[rest], 1 << 30) !== undefined) {
        head.push(given[rest++]);
      }
      words = [...head, ...given.slice(0, k), ...given.slice(rest)];
      n = words.length;
    }
    const word = words[0];
    const table = section.table;
    section.touched = true;
    const chain = n > 1 ? words[1] : undefined;
    const third = n > 2 ? words[2] : undefined;
    if (chain === undefined && 'AIRDCP'.includes(letter)) throw new RuleSyntaxError(`option "${word}" requires a chain name`);
    switch (letter) {
      case 'A': {
        const name = chain!;
        const rule = this.rule(words, n, 2, table, line, counters);
        // kube-proxy appends runs of rules to one chain: skip the lookup by name.
        const last = this.lastChain;
        this.lastChain =
          last !== undefined && this.lastTable === table && last.name === name
            ? table.appendTo(last, rule)
            : table.append(name, rule);
        this.lastTable = table;
        this.rulesAdded++;
        return;
      }
      case 'I': {
        const name = chain!;
        this.requireChain(table, name);
        let from = 2;
        let position = 1;
        const number = third !== undefined ? parseDecimal(third, 1 << 30) : undefined;
        if (number !== undefined) {
          if (number < 1) throw new RuleSyntaxError(`bad rule number "${third}"`);
          position = number;
          from = 3;
        }
        table.insert(name, position - 1, this.rule(words, n, from, table, line, counters));
        this.rulesAdded++;
        return;
      }
      case 'R': {
        const name = chain!;
        this.requireChain(table, name);
        const number = third !== undefined ? parseDecimal(third, 1 << 30) : undefined;
        if (number === undefined || number < 1) throw new RuleSyntaxError(`-R needs a rule number, got "${third ?? ''}"`);
        table.replace(name, number - 1, this.rule(words, n, 3, table, line, counters));
        this.rulesAdded++;
        return;
      }
      case 'D':
      case 'C': {
        const name = chain!;
        const target = this.requireChain(table, name);
        if (letter === 'D' && n === 3) {
          const number = parseDecimal(third!, 1 << 30);
          if (number !== undefined) {
            if (number < 1) throw new RuleSyntaxError(`bad rule number "${third}"`);
            table.removeAt(name, number - 1);
            return;
          }
        }
        const wanted = formatRuleSpec(this.reader.read(words, n, 2, table, line));
        const index = target.rules.findIndex((r) => formatRuleSpec(r) === wanted);
        if (index < 0) throw new RuleSyntaxError(`no rule "${wanted}" in chain "${name}"`);
        if (letter === 'D') table.removeAt(name, index);
        return;
      }
      case 'N':
        if (chain === undefined) throw new RuleSyntaxError(`option "${word}" requires a chain name`);
        this.noMore(words, n, 2);
        table.createChain(chain);
        return;
      case 'X':
        this.noMore(words, n, 2);
        if (chain === undefined) table.deleteUserChains();
        else table.deleteChain(chain);
        return;
      case 'F':
        this.noMore(words, n, 2);
        table.flush(chain);
        return;
      case 'Z':
        this.noMore(words, n, 2);
        if (chain !== undefined) this.requireChain(table, chain);
        this.afterCommit.push(() => table.zero(chain));
        return;
      case 'P': {
        const name = chain!;
        const policy = third;
        if (policy !== 'ACCEPT' && policy !== 'DROP') throw new RuleSyntaxError(`bad policy "${policy ?? ''}" for ${name}`);
        this.noMore(words, n, 3);
        table.setPolicy(name, policy);
        return;
      }
      default:
        throw new RuleSyntaxError(`command "${word}" is not supported in a restore`);
    }
  }

  private rule(words: string[], n: number, from: number, table: Table, line: number, counters: Counters | undefined): Rule {
    const rule = this.reader.read(words, n, from, table, line, this.sourceText, this.specOf);
    if (this.reader.keptReasons !== undefined) this.kept.push({ line, reasons: this.reader.keptReasons });
    const target = rule.target;
    if (target !== undefined && (target.chain !== undefined || target.hooks !== undefined)) this.section!.validate = true;
    for (const m of rule.matches) if (m.hooks !== undefined) this.section!.validate = true;
    if (counters) {
      rule.packets = counters.packets;
      rule.bytes = counters.bytes;
    }
    return rule;
  }

  private requireChain(table: Table, name: string) {
    const chain = table.chain(name);
    if (!chain) throw new LineError(`chain "${name}" does not exist in table ${table.name}`, 'CHAIN_NOT_FOUND');
    return chain;
  }

  private noMore(words: string[], n: number, from: number): void {
    if (n > from) throw new RuleSyntaxError(`unexpected "${words[from]}" after "${words.slice(0, from).join(' ')}"`);
  }
}



/** A module's options as words, as they were given (for a rule kept as given). */
function givenWords(options: readonly ParsedOption[]): string[] {
  const words: string[] = [];
  for (const o of options) {
    if (o.inverted) words.push('!');
    words.push(o.spelled, ...o.args);
  }
  return words;
}

/**
 * Applies iptables-restore text to a ruleset, all or nothing. Throws one
 * `DomainError` listing every problem, each naming its line (see the top of this file).
 */
export function restoreRuleset(ruleset: Ruleset, text: string, options: RestoreOptions = {}): RestoreResult {
  return new RestoreRun(ruleset, options).run(text);
}

/** A new ruleset from iptables-restore or iptables-save text. */
export function parseRuleset(text: string, options: Omit<RestoreOptions, 'noflush'> & { readonly family?: IpFamily } = {}): Ruleset {
  const ruleset = new Ruleset(options.family);
  restoreRuleset(ruleset, text, options);
  return ruleset;
}

/**
 * One rule specification (what follows `-A CHAIN`) read against a table,
 * whose chains jumps must name. Throws like `restoreRuleset`, as line 1.
 */
export function parseRuleSpec(spec: string, table: Table, registry: ModuleRegistry = defaultRegistry, family: IpFamily = 'ipv4'): Rule {
  try {
    const words = splitWords(spec);
    const reader = new RuleReader(registry);
    reader.family = family;
    return reader.read(words, words.length, 0, table, 1);
  } catch (e) {
    if (e instanceof LineError) throw lineError(1, e.message, e.code);
    if (e instanceof RuleSyntaxError) throw lineError(1, e.message);
    throw e;
  }
}
