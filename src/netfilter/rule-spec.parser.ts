/**
 * Reads one rule specification (the words after `-A CHAIN`) into a `Rule`:
 * the header options iptables checks itself (`-s -d -i -o -p -f -c`), `-m`
 * matches with their options (a module's option goes to the target, else the
 * latest match that knows it, else the match `-p` loads implicitly), and one
 * `-j` / `-g`. Long options may be abbreviated as far as they stay
 * unambiguous, and `--opt=value` works, as with getopt.
 *
 * A real iptables match, option or target that we do not model (see
 * real-extensions.ts) is refused as such, or, when the reader keeps, read as
 * given into an unmodelled match or target (unmodelled.ts) with the reason
 * noted in `keptReasons`.
 */
import { DomainError, type DomainErrorCode } from '../common/domain-error';
import { defaultRegistry } from './builtin-modules';
import {
  RuleSyntaxError,
  type ModuleRegistry,
  type OptionSpec,
  type ParsedOption,
  type RegisteredMatch,
  type RegisteredTarget,
  OptionTable,
} from './module';
import { KEEP_ADVICE, REAL_MATCHES, REAL_TARGETS, REAL_UNMODELLED_OPTIONS, unmodelledMatchText, unmodelledOptionText, unmodelledTargetText } from './real-extensions';
import { UnmodelledMatch, UnmodelledTarget, UnsupportedError } from './unmodelled';
import type { IpsetStore } from './ipset/ipset-store';
import { MissingSetError } from './ipset/set.match';
import { Rule, type AddressCondition, type InterfaceCondition, type ProtocolCondition } from './rule';
import type { Table } from './table';
import { JumpTarget } from './targets/jump.target';
import { BUILTIN_WORDS, IS_COMMAND, LONG_OPTIONS, SHORT_CODES } from './text/command-words';
import { splitWords } from './text/tokenizer';
import { parseProtocol } from './text/protocols';
import { parseAddressMask, parseAddressMask6, parseDecimal } from './text/values';
import type { IpFamily } from './address';
import { checkMatchFamily, checkTargetFamily, foreignMatchError, isForeignMatch, isForeignTarget } from './family-modules';
import type { Counters, Match, TableName, Target } from './types';

/** A line's problem with a code of its own (`CHAIN_NOT_FOUND`); the restore reports it on the line. */
export class LineError extends Error {
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

/** Bits for the header options that may appear once, by letter code. */
const ONCE_BITS: Uint8Array = (() => {
  const bits = new Uint8Array(128);
  [...'sdiopfc'].forEach((letter, k) => (bits[letter.charCodeAt(0)] = 1 << k));
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
export class RuleReader {
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
        throw new RuleSyntaxError(`${owner.entry.module.name}: option "--${spec.name}" cannot be inverted.`);
      }
      if (!spec.repeatable) {
        for (const o of owner.options) {
          if (o.name === spec.name) {
            throw new RuleSyntaxError(`${owner.entry.module.name}: option "--${spec.name}" can only be used once.`);
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
