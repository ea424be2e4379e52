/**
 * A node's rule listings as lines, each rule line with the key a trace step
 * names it by, so the steps' rules can be found in the listing: the iptables
 * rules as `iptables-save` prints them (`-A CHAIN ...` under `*TABLE`, keyed
 * by their text), and kube-proxy's nft rules as `nft list ruleset` prints
 * them (under `table FAMILY NAME {` and `chain NAME {`), keyed by their place:
 * the table, the chain and the rule's number in it, which a trace step names
 * (`ip kube-proxy`, the chain, `ruleNumber`). The place, not the text: a step's
 * rule text is the rule as kube-proxy wrote it (`mark set mark or 0x004000`),
 * which `nft list` prints in its own words (`meta mark set meta mark |
 * 0x00004000`). Pure functions, no DOM.
 */
import type { TraceStep } from './answer';

export interface Line {
  text: string;
  /** The rule's key (see `ruleKey`, `nftRuleKey`); null on a line that is not a rule. */
  key: string | null;
}

/** `TABLE\tRULE`: an iptables rule's key, since the same text may stand in two tables. */
export function ruleKey(table: string, rule: string): string {
  return `${table}\t${rule}`;
}

/** `TABLE\tCHAIN\t#N`: an nft rule's key, its place. */
export function nftRuleKey(table: string, chain: string, ruleNumber: number): string {
  return `${table}\t${chain}\t#${ruleNumber}`;
}

/** An nft table is named with its family (`ip kube-proxy`); an iptables table is not (`nat`). */
export function isNftTable(table: string): boolean {
  return table.includes(' ');
}

/** The key of the rule a trace step names; null on a step with no rule (a policy, conntrack, routing). */
export function stepRuleKey(step: TraceStep | null | undefined): string | null {
  if (!step?.rule) return null;
  if (!isNftTable(step.table)) return ruleKey(step.table, step.rule);
  return step.chain !== null && step.ruleNumber !== null ? nftRuleKey(step.table, step.chain, step.ruleNumber) : null;
}

/** `iptables-save` text as lines: each `-A` line keyed by its table. */
export function iptablesLines(text: string): Line[] {
  let table = '';
  return text.split('\n').map((line) => {
    if (line.startsWith('*')) table = line.slice(1);
    return { text: line, key: line.startsWith('-A ') ? ruleKey(table, line) : null };
  });
}

/** A chain's own lines, not rules: its hook (`type nat hook output priority dstnat; policy accept;`) and its comment. */
const CHAIN_PROPERTY = /^(type \S+ hook \S+ .*;|comment ".*")$/;

/** `nft list ruleset` text as lines: each rule of a chain keyed by its table, chain and number. */
export function nftLines(text: string): Line[] {
  let table = '';
  let chain: string | null = null;
  let n = 0;
  return text.split('\n').map((line) => {
    const t = /^table (\S+ \S+) \{$/.exec(line);
    const c = /^\tchain (\S+) \{$/.exec(line);
    if (t) [table, chain] = [t[1], null];
    else if (c) [chain, n] = [c[1], 0];
    else if (line === '\t}') chain = null;
    else if (chain !== null && line.startsWith('\t\t') && !CHAIN_PROPERTY.test(line.trim())) return { text: line, key: nftRuleKey(table, chain, ++n) };
    return { text: line, key: null };
  });
}
