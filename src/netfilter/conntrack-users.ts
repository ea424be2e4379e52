/**
 * Which rules make the kernel track connections in a network namespace.
 *
 * Linux registers conntrack's hooks per namespace and per family only when
 * something asks for them (`nf_ct_netns_get`): the check function of every
 * iptables extension that reads or writes a connection does, when its rule
 * is loaded. Without such a rule nothing is tracked: every packet passes with
 * no connection, and the nat table's rules never run, because the kernel's
 * NAT hook lets a packet without a connection through untouched
 * (`nf_nat_inet_fn`: "no conntrack entry: NF_ACCEPT"). An empty nat table,
 * or one whose rules only mark, log or jump, therefore NATs nothing until
 * some rule elsewhere uses conntrack.
 *
 * `CT --notrack` and `NOTRACK` do not count (the kernel skips the call for
 * them); `CT` with any other option does. A kept rule (`unsupported=keep`)
 * counts by its module names, as the kernel would load it.
 */
import type { Rule } from './rule';

/** Matches whose check function calls `nf_ct_netns_get`. */
const CONNTRACK_MATCHES: ReadonlySet<string> = new Set(['conntrack', 'state', 'connmark', 'connlimit', 'connbytes', 'connlabel', 'helper', 'cluster']);

/** Targets whose check function calls `nf_ct_netns_get` (CT: see `Target.needsConntrack`). */
const CONNTRACK_TARGETS: ReadonlySet<string> = new Set(['DNAT', 'SNAT', 'MASQUERADE', 'REDIRECT', 'NETMAP', 'CONNMARK', 'CONNSECMARK', 'SYNPROXY', 'CLUSTERIP', 'CT']);

/** Whether loading `rule` enables connection tracking in its namespace. */
export function usesConntrack(rule: Rule): boolean {
  const target = rule.target;
  if (target !== undefined && target.chain === undefined) {
    if (target.needsConntrack !== undefined) {
      if (target.needsConntrack) return true;
    } else if (CONNTRACK_TARGETS.has(target.name)) {
      return true;
    }
  }
  const matches = rule.matches;
  for (let i = 0; i < matches.length; i++) if (CONNTRACK_MATCHES.has(matches[i].name)) return true;
  return false;
}
