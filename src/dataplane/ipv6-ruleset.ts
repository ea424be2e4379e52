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

const read = new WeakMap<object, { text: string; ruleset: Ruleset }>();

/** The node's IPv6 ruleset; undefined on a node without an IPv6 proxier. */
export function ipv6RulesetOf(proxy: NodeProxy): Ruleset | undefined {
  const tables = proxy.ipv6?.tables;
  if (!tables) return undefined;
  const text = tables.save();
  const kept = read.get(tables);
  if (kept?.text === text) return kept.ruleset;
  const ruleset = parseRuleset(text, { family: 'ipv6' });
  read.set(tables, { text, ruleset });
  return ruleset;
}
