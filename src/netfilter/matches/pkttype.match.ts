/**
 * `-m pkttype [!] --pkt-type unicast|broadcast|multicast|otherhost` (`host`
 * is unicast): the link-layer class of the packet (skb->pkt_type).
 *
 * kube-netsim has no link layer: a packet that arrived on an interface is
 * multicast when its destination is in 224.0.0.0/4, broadcast when it is
 * 255.255.255.255 or a broadcast address of the host (addrtype BROADCAST),
 * else unicast (the host's own MAC); `otherhost` (a frame for another MAC)
 * never happens. A locally generated packet is unicast, as the kernel marks it.
 */
import { RuleSyntaxError, requireOption, type MatchModule } from '../module';
import type { Match, MatchContext, Packet } from '../types';

/** PACKET_* values, with the names libxt_pkttype prints. */
const TYPES: ReadonlyArray<[string, number]> = [
  ['unicast', 0],
  ['broadcast', 1],
  ['multicast', 2],
  ['otherhost', 3],
];

/** The PACKET_* class of a packet, as the kernel would have set it. */
export function packetType(packet: Packet, ctx: MatchContext): number {
  if (packet.inInterface === undefined) return 0;
  const d = packet.destination;
  if (typeof d === 'bigint') return d >> 120n === 0xffn ? 2 : 0; // ff00::/8; IPv6 has no broadcast
  if (d >>> 28 === 0xe) return 2;
  if (d === 0xffffffff || ctx.host.addressType(d) === 'BROADCAST') return 1;
  return 0;
}

export class PkttypeMatch implements Match {
  readonly name = 'pkttype';

  constructor(
    readonly type: number,
    readonly invert: boolean,
  ) {}

  matches(packet: Packet, ctx: MatchContext): boolean {
    return (packetType(packet, ctx) === this.type) !== this.invert;
  }

  save(): string {
    return `-m pkttype${this.invert ? ' !' : ''} --pkt-type ${TYPES.find(([, v]) => v === this.type)![0]}`;
  }
}

export const pkttypeMatchModule: MatchModule = {
  kind: 'match',
  name: 'pkttype',
  options: [{ name: 'pkt-type', args: 1, invertible: true }],
  build(options) {
    const option = requireOption(options, 'pkt-type', 'pkttype');
    const word = option.args[0].toLowerCase();
    const found = word === 'host' ? 0 : TYPES.find(([name]) => name === word)?.[1];
    if (found === undefined) throw new RuleSyntaxError(`Bad packet type '${option.args[0]}'`);
    return new PkttypeMatch(found, option.inverted);
  },
};
