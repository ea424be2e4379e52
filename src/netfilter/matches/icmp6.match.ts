/**
 * `-m icmp6 --icmpv6-type TYPE[/CODE]` or a name (`echo-request`,
 * `neighbour-solicitation`, `port-unreachable`), ip6tables only, with
 * `-p ipv6-icmp`. ip6tables-save (nf_tables) prints numbers: `128`, `1/4`.
 * Reading, matching and printing are icmp-type.ts's, shared with `-m icmp`.
 */
import { icmpNameLookup, icmpTypeMatchModule, type IcmpFamily, type IcmpTypeNames } from './icmp-type';

/** The names `ip6tables -p ipv6-icmp -h` lists: [type, code] or [type] for every code. */
const ICMPV6_NAME_LIST: IcmpTypeNames = [
  ['destination-unreachable', [1]],
  ['no-route', [1, 0]],
  ['communication-prohibited', [1, 1]],
  ['beyond-scope', [1, 2]],
  ['address-unreachable', [1, 3]],
  ['port-unreachable', [1, 4]],
  ['failed-policy', [1, 5]],
  ['reject-route', [1, 6]],
  ['packet-too-big', [2]],
  ['time-exceeded', [3]],
  ['ttl-exceeded', [3]],
  ['ttl-zero-during-transit', [3, 0]],
  ['ttl-zero-during-reassembly', [3, 1]],
  ['parameter-problem', [4]],
  ['bad-header', [4, 0]],
  ['unknown-header-type', [4, 1]],
  ['unknown-option', [4, 2]],
  ['echo-request', [128]],
  ['ping', [128]],
  ['echo-reply', [129]],
  ['pong', [129]],
  ['router-solicitation', [133]],
  ['router-advertisement', [134]],
  ['neighbour-solicitation', [135]],
  ['neighbor-solicitation', [135]],
  ['neighbour-advertisement', [136]],
  ['neighbor-advertisement', [136]],
  ['redirect', [137]],
];

export const ICMPV6_FAMILY: IcmpFamily = {
  match: 'icmp6',
  option: 'icmpv6-type',
  protocol: 'icmpv6',
  protocolFlag: '-p ipv6-icmp',
  word: 'ICMPv6',
  names: ICMPV6_NAME_LIST,
};

/** An ICMPv6 type name as ip6tables knows it, in full, case-insensitive: [type, code], code unset for every code. */
export const icmpv6TypeByName = icmpNameLookup(ICMPV6_NAME_LIST);

export const icmp6MatchModule = icmpTypeMatchModule(ICMPV6_FAMILY);
