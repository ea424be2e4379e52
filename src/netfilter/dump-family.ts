/**
 * Which family an iptables-save / iptables-restore text is for, when the
 * caller does not say: ip6tables-save and iptables-save print the same
 * layout, so the text itself must tell. The first address of a rule (`-s`,
 * `-d`, a NAT target's `--to-*`) decides; a dump without addresses is IPv6
 * when it uses something only ip6tables has (`-p ipv6-icmp`, `-m icmp6`,
 * `-m hl`, an `icmp6-*` reject type, ...). Otherwise the text does not
 * tell (the caller then asks the packet, else takes IPv4, as before).
 * A dump that mixes families is not sorted out here: the parser then
 * refuses the first address of the other family, naming its line, as the
 * real tool would.
 */
import { tryParseIPv4 } from '../common/ipv4';
import { tryParseIPv6 } from '../ipam/ipv6';
import type { IpFamily } from './address';

const ADDRESS_OPTION = /(?:^|[ \t])(?:-s|-d|--source|--destination|--src|--dst|--to-destination|--to-source|--to)[ \t]+("?)([^\s"]+)\1/gm;
const IPV6_ONLY = /(?:^|[ \t])(?:-p[ \t]+(?:ipv6-icmp|icmpv6|58)|-m[ \t]+(?:icmp6|hl|frag|hbh|rt|ipv6header|dst|mh|eui64|srh)|--reject-with[ \t]+(?:icmp6-\S+|no-route|adm-prohibited|addr-unreach)|-j[ \t]+(?:HL|NPT|DNPT|SNPT))(?=[ \t]|$)/m;

/** The family of one address argument (`fd00::/64`, `[fd00::1]:80`, `10.0.0.1-10.0.0.5:80`), or undefined when it is neither. */
function familyOfArgument(text: string): IpFamily | undefined {
  let t = text;
  if (t.startsWith('[')) {
    const close = t.indexOf(']');
    t = close < 0 ? t.slice(1) : t.slice(1, close);
  }
  const slash = t.indexOf('/');
  if (slash >= 0) t = t.slice(0, slash);
  const dash = t.indexOf('-');
  if (dash >= 0) t = t.slice(0, dash);
  if (t.includes(':')) {
    if (tryParseIPv6(t) !== undefined) return 'ipv6';
    // `10.0.0.1:80` (an IPv4 NAT target with a port).
    const colon = t.indexOf(':');
    return tryParseIPv4(t.slice(0, colon)) !== undefined ? 'ipv4' : undefined;
  }
  return tryParseIPv4(t) !== undefined ? 'ipv4' : undefined;
}

/** The family the text is written for (see the top of this file); undefined when nothing in it tells. */
export function detectDumpFamily(text: string): IpFamily | undefined {
  ADDRESS_OPTION.lastIndex = 0;
  for (let m = ADDRESS_OPTION.exec(text); m !== null; m = ADDRESS_OPTION.exec(text)) {
    const family = familyOfArgument(m[2]);
    if (family !== undefined) return family;
  }
  return IPV6_ONLY.test(text) ? 'ipv6' : undefined;
}
