/**
 * flannel's own iptables rules (`--ip-masq`, the kube-flannel.yml default),
 * written from the behaviour described in
 * shared/reference/allocation-and-overlay.md §3.6:
 *
 * - nat POSTROUTING jumps to `FLANNEL-POSTRTG`, which leaves alone packets
 *   kube-proxy marked for masquerading (its own chain does that), pod traffic
 *   between this node's pod subnet and the cluster in either direction, and
 *   traffic from outside the cluster to this node's pods; it masquerades pod
 *   traffic leaving the cluster network (except multicast) and traffic from
 *   outside the cluster to pods of other nodes.
 * - filter FORWARD jumps to `FLANNEL-FWD`, which accepts anything from or to
 *   the cluster CIDR.
 *
 * With `EnableIPv6` flanneld writes the same chains into the ip6tables
 * tables, over the IPv6 network and the node's IPv6 pod CIDR.
 */
import { restoreRuleset } from '../netfilter/iptables-text.parser';
import type { Ruleset } from '../netfilter/ruleset';

export function flannelRules(clusterCidr: string, podCidr: string | undefined): string {
  const masq = '-m comment --comment "flanneld masq"';
  const fwd = '-m comment --comment "flanneld forward"';
  const nat = ['*nat', ':FLANNEL-POSTRTG - [0:0]', `-A POSTROUTING ${masq} -j FLANNEL-POSTRTG`];
  nat.push(`-A FLANNEL-POSTRTG -m mark --mark 0x4000/0x4000 ${masq} -j RETURN`);
  if (podCidr) {
    nat.push(`-A FLANNEL-POSTRTG -s ${podCidr} -d ${clusterCidr} ${masq} -j RETURN`);
    nat.push(`-A FLANNEL-POSTRTG -s ${clusterCidr} -d ${podCidr} ${masq} -j RETURN`);
    nat.push(`-A FLANNEL-POSTRTG ! -s ${clusterCidr} -d ${podCidr} ${masq} -j RETURN`);
  }
  // Multicast stays unmasqueraded: 224.0.0.0/4, or ff00::/8 in flannel's ip6tables rules.
  const multicast = clusterCidr.includes(':') ? 'ff00::/8' : '224.0.0.0/4';
  nat.push(`-A FLANNEL-POSTRTG -s ${clusterCidr} ! -d ${multicast} ${masq} -j MASQUERADE --random-fully`);
  nat.push(`-A FLANNEL-POSTRTG ! -s ${clusterCidr} -d ${clusterCidr} ${masq} -j MASQUERADE --random-fully`);
  nat.push('COMMIT');
  const filter = ['*filter', ':FLANNEL-FWD - [0:0]', `-A FORWARD ${fwd} -j FLANNEL-FWD`];
  filter.push(`-A FLANNEL-FWD -s ${clusterCidr} ${fwd} -j ACCEPT`, `-A FLANNEL-FWD -d ${clusterCidr} ${fwd} -j ACCEPT`, 'COMMIT');
  return [...nat, ...filter].join('\n') + '\n';
}

/** Rulesets that already hold flannel's rules (and for which pod CIDR). */
const loaded = new WeakMap<Ruleset, string>();

/**
 * Loads flannel's rules into a node's ruleset once (`iptables-restore
 * --noflush`, as flanneld's own writes leave kube-proxy's chains alone).
 * kube-proxy keeps the same ruleset object for a node across syncs, so this
 * runs once per node; a node whose pod CIDR changed gets its FLANNEL chains
 * rewritten (the jump rules are not duplicated).
 */
export function ensureFlannelRules(ruleset: Ruleset, clusterCidr: string, podCidr: string | undefined): void {
  const key = `${clusterCidr}|${podCidr ?? ''}`;
  const previous = loaded.get(ruleset);
  if (previous === key) return;
  let text = flannelRules(clusterCidr, podCidr);
  if (previous !== undefined) text = text.split('\n').filter((line) => !/^-A (POSTROUTING|FORWARD) /.test(line)).join('\n');
  restoreRuleset(ruleset, text, { noflush: true });
  loaded.set(ruleset, key);
}
