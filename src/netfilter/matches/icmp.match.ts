/**
 * `-m icmp --icmp-type TYPE[/CODE]` or a name (`echo-request`,
 * `port-unreachable`, `any`). iptables-save prints numbers: `8`, `3/3`, `any`.
 * Reading, matching and printing are icmp-type.ts's, shared with `-m icmp6`.
 */
import { icmpNameLookup, icmpTypeMatchModule, type IcmpFamily, type IcmpTypeNames } from './icmp-type';

/** The names `iptables -p icmp -h` lists: [type, code] or [type] for every code. */
const ICMP_NAME_LIST: IcmpTypeNames = [
  ['any', [255]],
  ['echo-reply', [0]],
  ['pong', [0]],
  ['destination-unreachable', [3]],
  ['network-unreachable', [3, 0]],
  ['host-unreachable', [3, 1]],
  ['protocol-unreachable', [3, 2]],
  ['port-unreachable', [3, 3]],
  ['fragmentation-needed', [3, 4]],
  ['source-route-failed', [3, 5]],
  ['network-unknown', [3, 6]],
  ['host-unknown', [3, 7]],
  ['network-prohibited', [3, 9]],
  ['host-prohibited', [3, 10]],
  ['TOS-network-unreachable', [3, 11]],
  ['TOS-host-unreachable', [3, 12]],
  ['communication-prohibited', [3, 13]],
  ['host-precedence-violation', [3, 14]],
  ['precedence-cutoff', [3, 15]],
  ['source-quench', [4]],
  ['redirect', [5]],
  ['network-redirect', [5, 0]],
  ['host-redirect', [5, 1]],
  ['TOS-network-redirect', [5, 2]],
  ['TOS-host-redirect', [5, 3]],
  ['echo-request', [8]],
  ['ping', [8]],
  ['router-advertisement', [9]],
  ['router-solicitation', [10]],
  ['time-exceeded', [11]],
  ['ttl-exceeded', [11]],
  ['ttl-zero-during-transit', [11, 0]],
  ['ttl-zero-during-reassembly', [11, 1]],
  ['parameter-problem', [12]],
  ['ip-header-bad', [12, 0]],
  ['required-option-missing', [12, 1]],
  ['timestamp-request', [13]],
  ['timestamp-reply', [14]],
  ['address-mask-request', [17]],
  ['address-mask-reply', [18]],
];

export const ICMP_FAMILY: IcmpFamily = {
  match: 'icmp',
  option: 'icmp-type',
  protocol: 'icmp',
  protocolFlag: '-p icmp',
  word: 'ICMP',
  names: ICMP_NAME_LIST,
  anyType: 255,
};

/** An ICMP type name as iptables knows it (`echo-request`, `port-unreachable`), in full, case-insensitive: [type, code], code unset for every code. */
export const icmpTypeByName = icmpNameLookup(ICMP_NAME_LIST, ICMP_FAMILY.anyType);

export const icmpMatchModule = icmpTypeMatchModule(ICMP_FAMILY);
