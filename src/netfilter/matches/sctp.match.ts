/**
 * `-m sctp`: source and destination port ranges (chunk-type tests are not
 * supported). Loaded implicitly by `-p sctp --dport 80`. Unlike tcp and udp,
 * iptables-nft keeps it as an xtables match, so it is never folded on save.
 */
import type { MatchModule } from '../module';
import { PROTOCOL_NUMBERS, type Match, type Packet } from '../types';
import { PORT_OPTIONS, portCondition, portMatches, requireProtocol, savePort, type PortCondition } from './transport';

export class SctpMatch implements Match {
  readonly name = 'sctp';

  constructor(
    readonly sourcePort: PortCondition,
    readonly destinationPort: PortCondition,
  ) {}

  matches(packet: Packet): boolean {
    return (
      packet.protocol === 'sctp' &&
      portMatches(this.sourcePort, packet.sourcePort) &&
      portMatches(this.destinationPort, packet.destinationPort)
    );
  }

  save(): string {
    return '-m sctp' + savePort('sport', this.sourcePort) + savePort('dport', this.destinationPort);
  }
}

export const sctpMatchModule: MatchModule = {
  kind: 'match',
  name: 'sctp',
  implicitForProtocol: PROTOCOL_NUMBERS.sctp,
  options: PORT_OPTIONS,
  build(options, rule) {
    requireProtocol(rule, PROTOCOL_NUMBERS.sctp, 'sctp');
    return new SctpMatch(portCondition(options, 'sport'), portCondition(options, 'dport'));
  },
};
