/**
 * Which `-m` / `-j` modules each family has. iptables and ip6tables share
 * most (the `xt_` ones); some exist for one family only, and the other's
 * restore refuses them as it refuses any module it cannot load. Some exist
 * for both in Linux but kube-netsim models them for IPv4 only so far: an
 * ip6tables rule using one is refused, saying so.
 */
import type { IpFamily } from './address';
import { RuleSyntaxError } from './module';

/** Matches Linux has for one family only (libipt_* / libip6t_*). */
const ONLY_IN: Readonly<Record<IpFamily, ReadonlySet<string>>> = {
  ipv4: new Set(['icmp', 'ttl', 'realm', 'ah']),
  ipv6: new Set(['icmp6', 'hl', 'frag', 'hbh', 'rt', 'ipv6header', 'dst', 'mh', 'eui64', 'srh']),
};

/** Targets Linux has for one family only. */
const TARGETS_ONLY_IN: Readonly<Record<IpFamily, ReadonlySet<string>>> = {
  ipv4: new Set(['TTL', 'CLUSTERIP', 'ECN', 'ULOG']),
  ipv6: new Set(['HL', 'NPT', 'DNPT', 'SNPT']),
};

/** Modules both families have, which kube-netsim models for IPv4 only. */
const IPV4_MODEL_ONLY: ReadonlySet<string> = new Set(['recent', 'hashlimit', 'connlimit', 'iprange', 'rpfilter', 'policy', 'REDIRECT', 'TPROXY']);

function otherFamily(family: IpFamily): IpFamily {
  return family === 'ipv4' ? 'ipv6' : 'ipv4';
}

/** Refuses a match the family's tool would not load (as it words it), or one we model for IPv4 only. */
export function checkMatchFamily(name: string, family: IpFamily): void {
  if (ONLY_IN[otherFamily(family)].has(name)) throw new RuleSyntaxError(`Couldn't load match \`${name}':No such file or directory`);
  if (family === 'ipv6' && IPV4_MODEL_ONLY.has(name)) throw new RuleSyntaxError(`-m ${name} is not modelled for IPv6 (ip6tables) in kube-netsim`);
}

/** As `checkMatchFamily`, for `-j`. */
export function checkTargetFamily(name: string, family: IpFamily): void {
  if (TARGETS_ONLY_IN[otherFamily(family)].has(name)) throw new RuleSyntaxError(`Couldn't load target \`${name}':No such file or directory`);
  if (family === 'ipv6' && IPV4_MODEL_ONLY.has(name)) throw new RuleSyntaxError(`-j ${name} is not modelled for IPv6 (ip6tables) in kube-netsim`);
}
