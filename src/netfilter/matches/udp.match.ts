/** `-m udp`: source and destination port ranges. Loaded implicitly by `-p udp --dport 53`. */
import type { MatchModule } from '../module';
import { PROTOCOL_NUMBERS, type Match, type Packet } from '../types';
import {
  PORT_OPTIONS,
  isPortTest,
  portCondition,
  portMatches,
  requireProtocol,
  savePort,
  type PortCondition,
} from './transport';

export class UdpMatch implements Match {
  readonly name = 'udp';

  constructor(
    readonly sourcePort: PortCondition,
    readonly destinationPort: PortCondition,
  ) {}

  matches(packet: Packet): boolean {
    return (
      packet.protocol === 'udp' &&
      portMatches(this.sourcePort, packet.sourcePort) &&
      portMatches(this.destinationPort, packet.destinationPort)
    );
  }

  get saveMergeKey(): string | undefined {
    return isPortTest(this.sourcePort) || isPortTest(this.destinationPort) ? 'udp' : undefined;
  }

  mergeForSave(later: Match): Match {
    if (!(later instanceof UdpMatch)) return this;
    return new UdpMatch(
      isPortTest(later.sourcePort) ? later.sourcePort : this.sourcePort,
      isPortTest(later.destinationPort) ? later.destinationPort : this.destinationPort,
    );
  }

  save(): string {
    return '-m udp' + savePort('sport', this.sourcePort) + savePort('dport', this.destinationPort);
  }
}

/** Port conditions are shared objects, so the matches can be shared too: they hold no state. */
const SHARED = new Map<PortCondition, Map<PortCondition, UdpMatch>>();

export const udpMatchModule: MatchModule = {
  kind: 'match',
  name: 'udp',
  implicitForProtocol: PROTOCOL_NUMBERS.udp,
  options: PORT_OPTIONS,
  build(options, rule) {
    requireProtocol(rule, PROTOCOL_NUMBERS.udp, 'udp');
    const sport = portCondition(options, 'sport');
    const dport = portCondition(options, 'dport');
    let byDport = SHARED.get(sport);
    if (!byDport) SHARED.set(sport, (byDport = new Map()));
    let match = byDport.get(dport);
    if (!match) byDport.set(dport, (match = new UdpMatch(sport, dport)));
    return match;
  },
};
