/**
 * Loading kube-proxy's output into a node's netfilter tables, the way a real
 * node ends up with it: the sync text through `iptables-restore --noflush`,
 * and on full syncs the jump rules from the built-in chains, each inserted at
 * the top of its chain unless it is already there (upstream's `EnsureChain`
 * and `EnsureRule(Prepend, ...)`, which `-C` checks before `-I 1`).
 */
import { formatRuleSpec } from '../netfilter/iptables-save.printer';
import { restoreRuleset } from '../netfilter/iptables-text.parser';
import { parseRuleSpec } from '../netfilter/rule-spec.parser';
import { Ruleset } from '../netfilter/ruleset';
import { Table } from '../netfilter/table';
import type { EnsureRule } from './fixed-rules';
import type { TableName } from './types';

export function applyEnsureRules(
  ruleset: Ruleset,
  chains: readonly { table: TableName; chain: string }[],
  rules: readonly EnsureRule[],
): void {
  const lines = new Map<TableName, string[]>();
  const add = (table: TableName, line: string) => {
    if (!lines.has(table)) lines.set(table, []);
    lines.get(table)!.push(line);
  };
  for (const { table, chain } of chains) {
    if (!ruleset.table(table)?.hasChain(chain)) add(table, `:${chain} - [0:0]`);
  }
  // In list order, each missing rule goes to the top: the last one listed ends up first, as on a real node.
  for (const rule of rules) {
    if (hasEnsureRule(ruleset, rule)) continue;
    add(rule.table, `-I ${rule.chain} 1 ${rule.rule}`);
  }
  if (!lines.size) return;
  const text = [...lines.entries()].map(([table, body]) => `*${table}\n${body.join('\n')}\nCOMMIT\n`).join('');
  restoreRuleset(ruleset, text, { noflush: true });
}

/** Whether the rule is in its built-in chain (what `iptables -C` checks). */
export function hasEnsureRule(ruleset: Ruleset, rule: EnsureRule): boolean {
  const existing = ruleset.table(rule.table)?.chain(rule.chain)?.rules ?? [];
  if (existing.length === 0) return false;
  const scratch = new Table(rule.table);
  scratch.declareChain(rule.target);
  const wanted = formatRuleSpec(parseRuleSpec(rule.rule, scratch, undefined, ruleset.family));
  return existing.some((r) => formatRuleSpec(r) === wanted);
}

/** A sync's result loaded into `ruleset`: the restore text, then (full syncs) the jump rules. */
export function loadSync(
  ruleset: Ruleset,
  sync: { text: string; ensureChains: readonly { table: TableName; chain: string }[]; ensureRules: readonly EnsureRule[] },
): void {
  restoreRuleset(ruleset, sync.text, { noflush: true });
  applyEnsureRules(ruleset, sync.ensureChains, sync.ensureRules);
}
