/**
 * Which `-m` / `-j` modules each family has. iptables and ip6tables share
 * most (the `xt_` ones); some exist for one family only. The other family's
 * restore refuses such a match as it refuses any module it cannot load, and
 * reads such a target as a jump to a chain of that name (so its options are
 * unknown, and without them the chain does not exist), in the real tools'
 * words (fixtures/netfilter/family/refusals.tsv, recorded from them). Some
 * exist for both in Linux but kube-netsim models them for IPv4 only so far:
 * an ip6tables rule using one is refused, saying so.
 */
import type { IpFamily } from './address';
import { RuleSyntaxError } from './module';

/** Matches Linux has for one family only (libipt_* / libip6t_*, and xt_ ones registered for one family). */
const ONLY_IN: Readonly<Record<IpFamily, ReadonlySet<string>>> = {
  ipv4: new Set(['icmp', 'ttl', 'realm', 'osf']),
  ipv6: new Set(['icmp6', 'hl', 'frag', 'hbh', 'rt', 'ipv6header', 'dst', 'mh', 'eui64', 'srh']),
};

/** Targets Linux has for one family only. */
const TARGETS_ONLY_IN: Readonly<Record<IpFamily, ReadonlySet<string>>> = {
  ipv4: new Set(['TTL', 'CLUSTERIP', 'ECN', 'ULOG']),
  ipv6: new Set(['HL', 'DNPT', 'SNPT']),
};

/** Modules both families have, which kube-netsim models for IPv4 only. */
const IPV4_MODEL_ONLY: ReadonlySet<string> = new Set(['recent', 'hashlimit', 'connlimit', 'iprange', 'rpfilter', 'policy', 'REDIRECT', 'TPROXY']);

/** A match only the other family's tool has: `-m NAME` is refused as that tool cannot load it. */
export function isForeignMatch(name: string, family: IpFamily): boolean {
  return ONLY_IN[family === 'ipv4' ? 'ipv6' : 'ipv4'].has(name);
}

/**
 * A target only the other family's tool has: for this family's tool `-j NAME`
 * is a jump to a chain of that name (refused at the end of the rule when the
 * table has none, its options unknown before that).
 */
export function isForeignTarget(name: string, family: IpFamily): boolean {
  return TARGETS_ONLY_IN[family === 'ipv4' ? 'ipv6' : 'ipv4'].has(name);
}

/** The tool's refusal of a match it cannot load (`isForeignMatch`). */
export function foreignMatchError(name: string): RuleSyntaxError {
  return new RuleSyntaxError(`Couldn't load match \`${name}':No such file or directory`);
}

/** Refuses a match kube-netsim models for IPv4 only, in an ip6tables rule. */
export function checkMatchFamily(name: string, family: IpFamily): void {
  if (isForeignMatch(name, family)) throw foreignMatchError(name);
  if (family === 'ipv6' && IPV4_MODEL_ONLY.has(name)) throw new RuleSyntaxError(`-m ${name} is not modelled for IPv6 (ip6tables) in kube-netsim`);
}

/** As `checkMatchFamily`, for `-j`. */
export function checkTargetFamily(name: string, family: IpFamily): void {
  if (family === 'ipv6' && IPV4_MODEL_ONLY.has(name)) throw new RuleSyntaxError(`-j ${name} is not modelled for IPv6 (ip6tables) in kube-netsim`);
}
