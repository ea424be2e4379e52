/**
 * Reading kube-proxy's restore text for tests and golden files: our own
 * equivalent of upstream's test harness (`sortIPTablesRules`,
 * `checkIPTablesRuleJumps`, `assertIPTablesChainEqual` in proxier_test.go and
 * `iptablestest.ParseIPTablesDump`; reference §17.3).
 *
 * This is line-level bookkeeping only (which chain a line belongs to, where it
 * jumps, what its comment says); it does not interpret rules. The netfilter
 * engine has the real parser.
 */

export interface RestoreTable {
  name: string;
  /** Chains in the order they were first declared (chain line) or filled (`-A`). */
  chains: string[];
  /** `-A` lines per chain, in input order. */
  rules: Map<string, string[]>;
  /** Chains deleted with `-X`. */
  deleted: Set<string>;
  /** Chains declared with a chain line. */
  declared: Set<string>;
}

export function parseRestore(text: string): RestoreTable[] {
  const tables: RestoreTable[] = [];
  let table: RestoreTable | undefined;
  const lines = text.split('\n');
  for (let n = 0; n < lines.length; n++) {
    const line = lines[n].trim();
    if (line === '' || line.startsWith('#')) continue;
    if (line.startsWith('*')) {
      if (table) throw new Error(`line ${n + 1}: table ${line} starts before ${table.name} was committed`);
      table = { name: line.slice(1), chains: [], rules: new Map(), deleted: new Set(), declared: new Set() };
      continue;
    }
    if (!table) throw new Error(`line ${n + 1}: ${JSON.stringify(line)} outside a table`);
    if (line === 'COMMIT') {
      tables.push(table);
      table = undefined;
    } else if (line.startsWith(':')) {
      const name = line.slice(1).split(' ')[0];
      if (!table.rules.has(name)) {
        table.chains.push(name);
        table.rules.set(name, []);
      }
      table.declared.add(name);
    } else if (line.startsWith('-A ')) {
      const name = line.split(' ')[1];
      if (!table.rules.has(name)) {
        table.chains.push(name);
        table.rules.set(name, []);
      }
      table.rules.get(name)!.push(line);
    } else if (line.startsWith('-X ')) {
      table.deleted.add(line.split(' ')[1]);
    } else {
      throw new Error(`line ${n + 1}: unexpected ${JSON.stringify(line)}`);
    }
  }
  if (table) throw new Error(`table ${table.name} is not committed`);
  return tables;
}

/** Splits a rule into words, keeping double-quoted strings (quotes removed) as one word. */
export function ruleWords(rule: string): string[] {
  const words: string[] = [];
  let i = 0;
  while (i < rule.length) {
    if (rule[i] === ' ') {
      i++;
      continue;
    }
    if (rule[i] === '"') {
      const end = rule.indexOf('"', i + 1);
      const stop = end < 0 ? rule.length : end;
      words.push(rule.slice(i + 1, stop));
      i = stop + 1;
    } else {
      let end = rule.indexOf(' ', i);
      if (end < 0) end = rule.length;
      words.push(rule.slice(i, end));
      i = end;
    }
  }
  return words;
}

function valueAfter(rule: string, flag: string): string | undefined {
  const words = ruleWords(rule);
  const idx = words.indexOf(flag);
  return idx >= 0 ? words[idx + 1] : undefined;
}

/** The `--comment` value of a rule (unquoted), if any. */
export function commentOf(rule: string): string | undefined {
  return valueAfter(rule, '--comment');
}

/** The `-j` target of a rule, if any. */
export function jumpOf(rule: string): string | undefined {
  return valueAfter(rule, '-j');
}

function serviceNameOfComment(comment: string): string {
  const i = comment.search(/[ :]/);
  return i < 0 ? comment : comment.slice(0, i);
}

function compareChains(a: string, b: string): number {
  if (a === b) return 0;
  if (a === 'KUBE-NODEPORTS') return -1;
  if (b === 'KUBE-NODEPORTS') return 1;
  if (a === 'KUBE-SERVICES') return -1;
  if (b === 'KUBE-SERVICES') return 1;
  const ka = a.startsWith('KUBE-');
  const kb = b.startsWith('KUBE-');
  if (ka !== kb) return ka ? -1 : 1;
  return a < b ? -1 : 1;
}

/** Stable sort of rules by the Service name in their comment (the text before the first space or colon). */
function sortByServiceName(rules: string[], keepLastRuleLast: boolean): string[] {
  const keyed = rules.map((rule, index) => {
    const comment = commentOf(rule);
    const last = keepLastRuleLast && comment !== undefined && comment.includes('must be the last rule');
    return { rule, index, last, name: comment === undefined ? '' : serviceNameOfComment(comment) };
  });
  keyed.sort((x, y) => {
    if (x.last !== y.last) return x.last ? 1 : -1;
    if (x.last) return x.index - y.index;
    if (x.name !== y.name) return x.name < y.name ? -1 : 1;
    return x.index - y.index;
  });
  return keyed.map((k) => k.rule);
}

export function formatRestore(tables: readonly RestoreTable[]): string {
  const out: string[] = [];
  for (const t of tables) {
    out.push(`*${t.name}`);
    for (const c of t.chains) out.push(`:${c} - [0:0]`);
    for (const c of t.chains) out.push(...t.rules.get(c)!);
    for (const c of t.chains) if (t.deleted.has(c)) out.push(`-X ${c}`);
    out.push('COMMIT');
  }
  return out.join('\n') + '\n';
}

/**
 * Upstream's canonical order, so that texts compare regardless of the order
 * Services were written in: tables by name; chains KUBE-NODEPORTS, then
 * KUBE-SERVICES, then other KUBE-* alphabetically, then the rest
 * alphabetically; KUBE-NODEPORTS and KUBE-SERVICES rules stably sorted by
 * Service name, with nat KUBE-SERVICES' "must be the last rule" rule kept
 * last; every other chain in written order. Output is grouped: chain lines,
 * rules chain by chain, `-X` lines, `COMMIT`.
 */
export function sortRestore(text: string): string {
  const tables = parseRestore(text.replace(/^[\s]+/, ''));
  tables.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const t of tables) {
    t.chains.sort(compareChains);
    for (const chain of ['KUBE-NODEPORTS', 'KUBE-SERVICES']) {
      const rules = t.rules.get(chain);
      if (rules) t.rules.set(chain, sortByServiceName(rules, t.name === 'nat' && chain === 'KUBE-SERVICES'));
    }
  }
  return formatRestore(tables);
}

/** Targets that are not chains. */
const STANDARD_TARGETS = new Set(['ACCEPT', 'REJECT', 'DROP', 'MARK', 'RETURN', 'DNAT', 'SNAT', 'MASQUERADE']);
/** Chains kube-proxy declares every sync whether or not anything jumps to them. */
const TOP_LEVEL = new Set([
  'KUBE-SERVICES',
  'KUBE-EXTERNAL-SERVICES',
  'KUBE-NODEPORTS',
  'KUBE-POSTROUTING',
  'KUBE-FORWARD',
  'KUBE-MARK-MASQ',
  'KUBE-PROXY-FIREWALL',
  'KUBE-FIREWALL',
]);

/**
 * Consistency of a complete (full-sync) restore text, as upstream checks it:
 * every jump lands on a chain declared here that has rules (KUBE-NODEPORTS
 * may be empty), every filled chain is declared, and every declared chain
 * other than the top-level ones is jumped to. Returns the problems found.
 */
export function checkRuleJumps(text: string): string[] {
  const problems: string[] = [];
  for (const t of parseRestore(text)) {
    const created = new Set([...t.declared].filter((c) => !t.deleted.has(c)));
    const filled = new Set<string>();
    const jumped = new Set<string>();
    for (const [chain, rules] of t.rules) {
      if (rules.length > 0) filled.add(chain);
      for (const rule of rules) {
        const target = jumpOf(rule);
        if (target !== undefined && !STANDARD_TARGETS.has(target)) jumped.add(target);
      }
    }
    // Like upstream, report only the first kind of problem found in a table.
    const missing = [...new Set([...jumped, ...filled])].filter((c) => !created.has(c)).sort();
    const empty = [...jumped].filter((c) => !filled.has(c) && c !== 'KUBE-NODEPORTS').sort();
    const extra = [...created].filter((c) => !jumped.has(c) && !TOP_LEVEL.has(c)).sort();
    if (missing.length > 0) problems.push(`some chains in ${t.name} are used but were not created: ${missing.join(', ')}`);
    else if (empty.length > 0) problems.push(`some chains in ${t.name} are jumped to but have no rules: ${empty.join(', ')}`);
    else if (extra.length > 0) problems.push(`some chains in ${t.name} are created but not used: ${extra.join(', ')}`);
  }
  return problems;
}

/** The `-A` lines of one chain (upstream `assertIPTablesChainEqual`). */
export function chainRules(text: string, table: string, chain: string): string[] {
  const t = parseRestore(text).find((x) => x.name === table);
  return t?.rules.get(chain) ?? [];
}

/** Strips the common leading indentation and the first newline of a template literal. */
export function dedent(text: string): string {
  const lines = text.replace(/^\n/, '').split('\n');
  const indents = lines.filter((l) => l.trim() !== '').map((l) => /^[ \t]*/.exec(l)![0].length);
  const cut = indents.length > 0 ? Math.min(...indents) : 0;
  return lines
    .map((l) => l.slice(cut))
    .join('\n')
    .replace(/[ \t]+$/, '');
}

/** Tables as `iptables-restore --noflush` leaves them: table -> chain -> rules. */
export type TableState = Map<string, Map<string, string[]>>;

/**
 * Applies restore input to a table state the way `iptables-restore --noflush`
 * treats chains: a chain line creates or flushes a chain, `-A` appends to a
 * chain that must exist, `-X` deletes a chain that must exist and that no rule
 * jumps to; chains not named are left alone. Atomic: on any error nothing is
 * applied and the error is thrown. (Bookkeeping only: no packet semantics.)
 */
export function applyRestore(state: TableState, text: string): void {
  const next: TableState = new Map([...state].map(([t, chains]) => [t, new Map([...chains].map(([c, r]) => [c, [...r]]))]));
  for (const table of parseRestoreInOrder(text)) {
    const chains = next.get(table.name) ?? new Map<string, string[]>();
    next.set(table.name, chains);
    for (const op of table.ops) {
      if (op.kind === 'chain') chains.set(op.chain, []);
      else if (op.kind === 'rule') {
        const rules = chains.get(op.chain);
        if (!rules) throw new Error(`${table.name}: -A to missing chain ${op.chain}`);
        rules.push(op.line);
      } else {
        if (!chains.has(op.chain)) throw new Error(`${table.name}: -X of missing chain ${op.chain}`);
        chains.delete(op.chain);
      }
    }
    for (const [chain, rules] of chains) {
      for (const rule of rules) {
        const target = jumpOf(rule);
        if (target !== undefined && !STANDARD_TARGETS.has(target) && !chains.has(target)) {
          throw new Error(`${table.name}: ${chain} jumps to missing chain ${target}`);
        }
      }
    }
  }
  state.clear();
  for (const [t, chains] of next) state.set(t, chains);
}

type RestoreOp = { kind: 'chain'; chain: string } | { kind: 'rule'; chain: string; line: string } | { kind: 'delete'; chain: string };

function parseRestoreInOrder(text: string): { name: string; ops: RestoreOp[] }[] {
  const out: { name: string; ops: RestoreOp[] }[] = [];
  let current: { name: string; ops: RestoreOp[] } | undefined;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    if (line.startsWith('*')) current = { name: line.slice(1), ops: [] };
    else if (line === 'COMMIT') {
      if (current) out.push(current);
      current = undefined;
    } else if (!current) throw new Error(`${JSON.stringify(line)} outside a table`);
    else if (line.startsWith(':')) current.ops.push({ kind: 'chain', chain: line.slice(1).split(' ')[0] });
    else if (line.startsWith('-A ')) current.ops.push({ kind: 'rule', chain: line.split(' ')[1], line });
    else if (line.startsWith('-X ')) current.ops.push({ kind: 'delete', chain: line.split(' ')[1] });
    else throw new Error(`unexpected ${JSON.stringify(line)}`);
  }
  return out;
}
