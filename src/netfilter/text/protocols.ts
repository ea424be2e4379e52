/**
 * IP protocol names and numbers, as iptables reads and prints `-p`: names
 * from the IANA list in netbase's /etc/protocols (which iptables consults),
 * case-insensitive, plus `all` (0) and `icmpv6`; numbers 0-255.
 */
import { parseUnsigned } from './values';

const NAMES: ReadonlyArray<[number, string]> = [
  [1, 'icmp'],
  [2, 'igmp'],
  [3, 'ggp'],
  [4, 'ipencap'],
  [5, 'st'],
  [6, 'tcp'],
  [8, 'egp'],
  [9, 'igp'],
  [12, 'pup'],
  [17, 'udp'],
  [20, 'hmp'],
  [22, 'xns-idp'],
  [27, 'rdp'],
  [29, 'iso-tp4'],
  [33, 'dccp'],
  [36, 'xtp'],
  [37, 'ddp'],
  [38, 'idpr-cmtp'],
  [41, 'ipv6'],
  [43, 'ipv6-route'],
  [44, 'ipv6-frag'],
  [45, 'idrp'],
  [46, 'rsvp'],
  [47, 'gre'],
  [50, 'esp'],
  [51, 'ah'],
  [57, 'skip'],
  [58, 'ipv6-icmp'],
  [59, 'ipv6-nonxt'],
  [60, 'ipv6-opts'],
  [73, 'rspf'],
  [81, 'vmtp'],
  [88, 'eigrp'],
  [89, 'ospf'],
  [93, 'ax.25'],
  [94, 'ipip'],
  [97, 'etherip'],
  [98, 'encap'],
  [103, 'pim'],
  [108, 'ipcomp'],
  [112, 'vrrp'],
  [115, 'l2tp'],
  [124, 'isis'],
  [132, 'sctp'],
  [133, 'fc'],
  [135, 'mobility-header'],
  [136, 'udplite'],
  [137, 'mpls-in-ip'],
  [138, 'manet'],
  [139, 'hip'],
  [140, 'shim6'],
  [141, 'wesp'],
  [142, 'rohc'],
  [143, 'ethernet'],
];

const BY_NUMBER = new Map<number, string>(NAMES);
const BY_NAME = new Map<string, number>([...NAMES.map(([n, name]): [string, number] => [name, n]), ['all', 0], ['icmpv6', 58], ['mh', 135]]);

/** The protocol number for `-p TEXT`; undefined when unknown. 0 means all. */
export function parseProtocol(text: string): number | undefined {
  const number = parseUnsigned(text, 255);
  if (number !== undefined) return number;
  return BY_NAME.get(text.toLowerCase());
}

/** How iptables-save prints a protocol number. */
export function formatProtocol(number: number): string {
  return BY_NUMBER.get(number) ?? String(number);
}
