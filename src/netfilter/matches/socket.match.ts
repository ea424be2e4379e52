/**
 * `-m socket [--transparent] [--nowildcard] [--restore-skmark]`: a local
 * socket takes the packet (xt_socket): the socket of its connection, or a
 * listener on its destination. The kernel allows it in chains reachable from
 * PREROUTING and INPUT.
 *
 * As the kernel decides:
 * - no local socket: no match;
 * - a listener bound to the wildcard address (0.0.0.0) is ignored unless
 *   `--nowildcard` is given (so that a local service does not catch traffic
 *   that would otherwise be forwarded);
 * - with `--transparent`, only a socket with IP_TRANSPARENT (a TPROXY proxy's) counts.
 *
 * Which local socket takes the packet comes from the trace, as the owner of a
 * sending socket does for `-m owner`: `packet.localSocket` ({wildcard,
 * transparent}; unset: no socket takes it, as kube-netsim models no listening
 * sockets of its own). `--restore-skmark` (copy the socket's mark to the
 * packet) is read and printed; the socket's mark is not modelled, so the
 * packet keeps its mark.
 */
import { findOption, type MatchModule } from '../module';
import type { Match, Packet } from '../types';

export class SocketMatch implements Match {
  readonly name = 'socket';
  readonly hooks = ['PREROUTING', 'INPUT'] as const;

  constructor(
    readonly transparent: boolean,
    readonly nowildcard: boolean,
    readonly restoreSkmark: boolean,
  ) {}

  matches(packet: Packet): boolean {
    const socket = packet.localSocket;
    if (socket === undefined) return false;
    if (socket.wildcard && !this.nowildcard) return false;
    if (this.transparent && !socket.transparent) return false;
    return true;
  }

  save(): string {
    let out = '-m socket';
    if (this.transparent) out += ' --transparent';
    if (this.nowildcard) out += ' --nowildcard';
    if (this.restoreSkmark) out += ' --restore-skmark';
    return out;
  }
}

export const socketMatchModule: MatchModule = {
  kind: 'match',
  name: 'socket',
  options: [
    { name: 'transparent', args: 0 },
    { name: 'nowildcard', args: 0 },
    { name: 'restore-skmark', args: 0 },
  ],
  build(options) {
    const has = (name: string) => findOption(options, name) !== undefined;
    return new SocketMatch(has('transparent'), has('nowildcard'), has('restore-skmark'));
  },
};
