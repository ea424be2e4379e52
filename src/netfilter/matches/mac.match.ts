/**
 * `-m mac [!] --mac-source XX:XX:XX:XX:XX:XX`: the Ethernet source address
 * of the frame the packet came in (xt_mac). Only a packet that arrived on an
 * interface has one, so the kernel allows the match only in chains reachable
 * from PREROUTING, INPUT and FORWARD, and refuses the rule elsewhere.
 *
 * As the kernel decides: a packet without an Ethernet header (one that came
 * in on a tun, WireGuard or PPP interface, or whose previous hop is not
 * known) matches neither `--mac-source X` nor `! --mac-source X`.
 *
 * Where the frame came from is the packet's `sourceMac`: the trace gives it
 * (`packet.sourceMac`), or the dataplane derives it from the previous hop
 * (see `hardwareAddressOf`). iptables-save prints the address in lower case.
 */
import { RuleSyntaxError, requireOption, type MatchModule } from '../module';
import type { Match, Packet } from '../types';

/**
 * A MAC address as iptables reads one: six groups of at most two hex digits
 * separated by colons (an empty group is 0), normalized to lower case with two
 * digits per byte. Undefined when it is not one.
 */
export function parseMacAddress(text: string): string | undefined {
  const groups = text.split(':');
  if (groups.length !== 6) return undefined;
  const bytes: string[] = [];
  for (const group of groups) {
    if (!/^[0-9a-fA-F]{0,2}$/.test(group)) return undefined;
    bytes.push(group.toLowerCase().padStart(2, '0'));
  }
  return bytes.join(':');
}

/**
 * The hardware address the simulation gives the interface that holds an IPv4
 * address: 0a:58 then the address's four bytes, as the CNI bridge plugin
 * gives a pod's eth0 (a locally administered unicast address).
 */
export function hardwareAddressOf(address: number): string {
  const a = address >>> 0;
  const bytes = [0x0a, 0x58, a >>> 24, (a >>> 16) & 0xff, (a >>> 8) & 0xff, a & 0xff];
  return bytes.map((b) => b.toString(16).padStart(2, '0')).join(':');
}

export class MacMatch implements Match {
  readonly name = 'mac';
  readonly hooks = ['PREROUTING', 'INPUT', 'FORWARD'] as const;

  constructor(
    /** Lower case, two digits per byte. */
    readonly source: string,
    readonly invert: boolean,
  ) {}

  matches(packet: Packet): boolean {
    if (packet.sourceMac === undefined) return false;
    return (packet.sourceMac === this.source) !== this.invert;
  }

  save(): string {
    return `-m mac${this.invert ? ' !' : ''} --mac-source ${this.source}`;
  }
}

export const macMatchModule: MatchModule = {
  kind: 'match',
  name: 'mac',
  options: [{ name: 'mac-source', args: 1, invertible: true }],
  build(options) {
    const option = requireOption(options, 'mac-source', 'mac');
    const source = parseMacAddress(option.args[0]);
    if (source === undefined) throw new RuleSyntaxError('Invalid MAC address specified.');
    return new MacMatch(source, option.inverted);
  },
};
