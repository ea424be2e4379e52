/**
 * `-m multiport [!] --dports|--sports|--ports LIST`: up to 15 ports, a
 * range `a:b` taking two of those slots. Needs `-p tcp|udp|sctp`.
 */
import { RuleSyntaxError, refuseTogether, type MatchModule } from '../module';
import { formatPortRange, parsePortRange, type PortRange } from '../text/values';
import { PROTOCOL_NUMBERS, type Match, type Packet } from '../types';
import { isIcmpProtocol } from '../icmp';

const MAX_SLOTS = 15;
const PORT_PROTOCOLS = new Set([PROTOCOL_NUMBERS.tcp, PROTOCOL_NUMBERS.udp, PROTOCOL_NUMBERS.sctp, 33, 136]);

export type MultiportDirection = 'sports' | 'dports' | 'ports';

export class MultiportMatch implements Match {
  readonly name = 'multiport';

  constructor(
    readonly direction: MultiportDirection,
    readonly ranges: readonly PortRange[],
    readonly invert: boolean,
  ) {}

  private has(port: number): boolean {
    for (const r of this.ranges) if (port >= r.min && port <= r.max) return true;
    return false;
  }

  matches(packet: Packet): boolean {
    if (isIcmpProtocol(packet.protocol)) return false;
    let hit: boolean;
    if (this.direction === 'sports') hit = this.has(packet.sourcePort);
    else if (this.direction === 'dports') hit = this.has(packet.destinationPort);
    else hit = this.has(packet.sourcePort) || this.has(packet.destinationPort);
    return hit !== this.invert;
  }

  save(): string {
    return `-m multiport${this.invert ? ' !' : ''} --${this.direction} ${this.ranges.map(formatPortRange).join(',')}`;
  }
}

export const multiportMatchModule: MatchModule = {
  kind: 'match',
  name: 'multiport',
  options: [
    { name: 'sports', aliases: ['source-ports'], args: 1, invertible: true },
    { name: 'dports', aliases: ['destination-ports'], args: 1, invertible: true },
    { name: 'ports', args: 1, invertible: true },
  ],
  build(options, rule) {
    if (rule.protocol === undefined || rule.protocolInverted || !PORT_PROTOCOLS.has(rule.protocol)) {
      throw new RuleSyntaxError('multiport needs "-p tcp", "-p udp", "-p udplite", "-p sctp" or "-p dccp"');
    }
    refuseTogether(options, 'multiport', ['sports', 'dports', 'ports']);
    const option = options[0];
    if (!option) throw new RuleSyntaxError('multiport: one of --sports, --dports or --ports is required');
    const ranges = option.args[0].split(',').map((part) => parsePortRange(part, option.spelled));
    let slots = 0;
    for (const part of option.args[0].split(',')) slots += part.indexOf(':') >= 0 ? 2 : 1;
    if (slots > MAX_SLOTS) throw new RuleSyntaxError(`multiport: too many ports in "${option.args[0]}" (at most 15)`);
    return new MultiportMatch(option.name as MultiportDirection, ranges, option.inverted);
  },
};
