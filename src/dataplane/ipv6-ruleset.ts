/**
 * A node's ip6tables tables as a ruleset the netfilter engine runs: what
 * kube-proxy's IPv6 proxier and the kubelet wrote there.
 *
 * Until the IPv6 proxier writes into an engine ruleset itself, its tables are
 * kept as text (`Ip6TablesText`): they are read here with the real
 * ip6tables-restore's grammar into an IPv6 `Ruleset`, again only when the
 * text changed.
 */
import type { NodeProxy } from '../cluster/controllers/kube-proxy.controller';
import { parseRuleset } from '../netfilter/iptables-text.parser';
import type { Ruleset } from '../netfilter/ruleset';

const read = new WeakMap<object, { text: string; state: string; ruleset: Ruleset }>();

/**
 * The node's IPv6 ruleset; undefined on a node without an IPv6 proxier.
 * `state` names everything a sync depends on (the store's resourceVersion,
 * the clock, the kube-proxies' configuration revision): while it stands, the
 * tables' text is not printed again to be compared.
 */
export function ipv6RulesetOf(proxy: NodeProxy, state: string): Ruleset | undefined {
  const tables = proxy.ipv6?.tables;
  if (!tables) return undefined;
  const kept = read.get(tables);
  if (kept?.state === state) return kept.ruleset;
  const text = tables.save();
  if (kept?.text === text) {
    kept.state = state;
    return kept.ruleset;
  }
  const ruleset = parseRuleset(text, { family: 'ipv6' });
  read.set(tables, { text, state, ruleset });
  return ruleset;
}
