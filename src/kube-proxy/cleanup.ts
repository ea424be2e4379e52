/**
 * What kube-proxy removes when it starts in one mode on a node where the
 * other mode's rules may be left (upstream `platformCleanup`): starting in
 * nftables mode it removes iptables mode's rules (`iptables.CleanupLeftovers`,
 * for both families), starting in iptables mode it deletes the `kube-proxy`
 * tables of nftables mode (`nftables.CleanupLeftovers`).
 *
 * iptables mode's cleanup unlinks kube-proxy's jump rules from the built-in
 * chains, then flushes and deletes its top-level chains and every per-service
 * chain in `nat` and its top-level chains in `filter`. It leaves, as upstream
 * does, the kubelet's chains (`KUBE-FIREWALL` and its jumps,
 * `KUBE-KUBELET-CANARY`, `KUBE-IPTABLES-HINT`), `KUBE-MARK-MASQ`,
 * `KUBE-PROXY-FIREWALL` (unlinked) and the `KUBE-PROXY-CANARY` chains.
 */
import { tableKey, type NftRuleset } from '../nftables/model';
import { applyTransaction, transactionText, type NftCommand } from '../nftables/transaction';
import { isServiceChainName } from './chain-names';
import { KUBE_PROXY_TABLE } from './nftables/names';
import { BUILTIN_JUMP_RULES, type EnsureRule } from './fixed-rules';
import { KUBE_EXTERNAL_SERVICES, KUBE_FIREWALL, KUBE_FORWARD, KUBE_NODEPORTS, KUBE_POSTROUTING, KUBE_SERVICES, type TableName } from './types';

/** What the cleanup reads of a node's iptables (or ip6tables) tables. */
export interface IptablesView {
  userChainNames(table: TableName): Iterable<string>;
  hasRule(rule: EnsureRule): boolean;
}

const NAT_CHAINS = [KUBE_SERVICES, KUBE_NODEPORTS, KUBE_POSTROUTING];
const FILTER_CHAINS = [KUBE_SERVICES, KUBE_EXTERNAL_SERVICES, KUBE_FORWARD, KUBE_NODEPORTS];

/**
 * The `iptables-restore --noflush` inputs of iptables mode's cleanup, in the
 * order upstream runs them: the jump rules that are there deleted, then the
 * nat chains, then the filter chains, each flushed and deleted. Empty when
 * nothing of iptables mode is left.
 */
export function iptablesCleanupTexts(tables: IptablesView): string[] {
  const texts: string[] = [];
  const unlink = new Map<TableName, string[]>();
  for (const rule of BUILTIN_JUMP_RULES) {
    // The kubelet's own jumps, which kube-proxy ensures too, stay (`iptablesKubeletJumpChains`).
    if (rule.target === KUBE_FIREWALL || !tables.hasRule(rule)) continue;
    const lines = unlink.get(rule.table) ?? [];
    lines.push(`-D ${rule.chain} ${rule.rule}`);
    unlink.set(rule.table, lines);
  }
  for (const [table, lines] of unlink) texts.push(`*${table}\n${lines.join('\n')}\nCOMMIT\n`);
  const section = (table: TableName, chains: string[]) => {
    if (chains.length === 0) return;
    texts.push(`*${table}\n${chains.map((c) => `:${c} - [0:0]`).join('\n')}\n${chains.map((c) => `-X ${c}`).join('\n')}\nCOMMIT\n`);
  };
  const nat = new Set(tables.userChainNames('nat'));
  section('nat', [...NAT_CHAINS.filter((c) => nat.has(c)), ...[...nat].filter(isServiceChainName)]);
  const filter = new Set(tables.userChainNames('filter'));
  section('filter', FILTER_CHAINS.filter((c) => filter.has(c)));
  return texts;
}

/**
 * nftables mode's cleanup: the `kube-proxy` tables of both families deleted
 * where they are (each its own transaction; a missing table is no error).
 * Answers the transactions run, as `nft -f` text.
 */
export function nftablesCleanup(ruleset: NftRuleset): string {
  let text = '';
  for (const family of ['ip', 'ip6'] as const) {
    if (!ruleset.tables.has(tableKey(family, KUBE_PROXY_TABLE))) continue;
    const commands: NftCommand[] = [{ verb: 'delete', object: 'table', family, table: KUBE_PROXY_TABLE }];
    applyTransaction(ruleset, commands);
    text += transactionText(commands);
  }
  return text;
}
