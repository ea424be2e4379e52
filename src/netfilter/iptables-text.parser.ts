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
import { RuleSyntaxError, type ModuleRegistry } from './module';
import { REAL_TABLES, unmodelledTableText } from './real-extensions';
import { MAX_PROBLEMS, restoreError, withLineTexts, type Problem } from './restore-problems';
import { UnsupportedError } from './unmodelled';
import type { IpsetStore } from './ipset/ipset-store';
import { Rule } from './rule';
import type { Chain } from './chain';
import { Ruleset } from './ruleset';
import { Table } from './table';
import { validateTable } from './table-validation';
import { LineError, RuleReader } from './rule-spec.parser';
import { commandLetter } from './text/command-words';
import { splitWordsInto } from './text/tokenizer';
import { detach, parseDecimal } from './text/values';
import type { IpFamily } from './address';
import { TABLE_NAMES, type Counters, type Policy, type TableName } from './types';

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

/** The command and chain (and rule number) before a rule's specification: `-A CHAIN`, `-I CHAIN 2`. */
const RULE_HEAD = /^(?:-[AIRDC]|--append|--insert|--replace|--delete|--check)\s+\S+(?:\s+\d+)?(?:\s+|$)/;

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
      const issue = section.validate ? validateTable(section.table) : undefined;
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
