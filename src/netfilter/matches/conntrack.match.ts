/**
 * `-m conntrack [!] --ctstate LIST` and `-m state [!] --state LIST`. The
 * conntrack match also knows the virtual states SNAT and DNAT (the
 * connection has source / destination NAT). Names are case-insensitive;
 * iptables-save prints them in a fixed order.
 */
import { RuleSyntaxError, findOption, requireOption, type MatchModule } from '../module';
import type { CtState, Match, MatchContext, Packet } from '../types';
import { CONNTRACK_TUPLE_OPTIONS, connectionHolds, parseConntrackTests, saveConntrackTests, type ConntrackTests } from './conntrack-options';

/** Bits in the order iptables-save prints the names. */
const STATE_BITS: ReadonlyArray<[string, number]> = [
  ['INVALID', 1],
  ['NEW', 2],
  ['RELATED', 4],
  ['ESTABLISHED', 8],
  ['UNTRACKED', 16],
  ['SNAT', 32],
  ['DNAT', 64],
];

const BIT_OF_STATE: Readonly<Record<CtState, number>> = {
  INVALID: 1,
  NEW: 2,
  RELATED: 4,
  ESTABLISHED: 8,
  UNTRACKED: 16,
};
const SNAT_BIT = 32;
const DNAT_BIT = 64;
const STATE_MATCH_BITS = 31; // -m state knows no SNAT / DNAT

function parseStates(text: string, allowed: number, option: string): number {
  let bits = 0;
  for (const word of text.split(',')) {
    const found = STATE_BITS.find(([name]) => name === word.toUpperCase());
    if (!found || (found[1] & allowed) === 0) throw new RuleSyntaxError(`bad state "${word}" for ${option}`);
    bits |= found[1];
  }
  return bits;
}

export function formatStates(bits: number): string {
  return STATE_BITS.filter(([, bit]) => (bits & bit) !== 0)
    .map(([name]) => name)
    .join(',');
}

/** The state bits a packet shows to `--ctstate`. */
export function packetStateBits(packet: Packet): number {
  let bits = BIT_OF_STATE[packet.ctstate];
  if (packet.ctstate !== 'UNTRACKED' && packet.ctstate !== 'INVALID') {
    if (packet.ctSnat) bits |= SNAT_BIT;
    if (packet.ctDnat) bits |= DNAT_BIT;
  }
  return bits;
}

export class ConntrackMatch implements Match {
  constructor(
    readonly name: 'conntrack' | 'state',
    readonly states: number,
    readonly invert: boolean,
  ) {}

  matches(packet: Packet): boolean {
    return ((packetStateBits(packet) & this.states) !== 0) !== this.invert;
  }

  save(): string {
    const option = this.name === 'state' ? '--state' : '--ctstate';
    return `-m ${this.name}${this.invert ? ' !' : ''} ${option} ${formatStates(this.states)}`;
  }
}

/**
 * `-m conntrack` with options beyond `--ctstate` (see conntrack-options.ts).
 * A packet without a connection matches only when `--ctstate` is given and
 * holds, as in xt_conntrack.
 */
export class ConntrackOptionsMatch implements Match {
  readonly name = 'conntrack';

  constructor(
    /** `--ctstate` bits, or undefined when not given. */
    readonly states: number | undefined,
    readonly invertStates: boolean,
    readonly tests: ConntrackTests,
  ) {}

  matches(packet: Packet, ctx: MatchContext): boolean {
    if (this.states !== undefined && ((packetStateBits(packet) & this.states) !== 0) === this.invertStates) return false;
    const ct = ctx.conntrack;
    if (ct === undefined) return this.states !== undefined;
    return connectionHolds(this.tests, ct, ctx.now);
  }

  save(): string {
    const state = this.states === undefined ? '' : `${this.invertStates ? ' !' : ''} --ctstate ${formatStates(this.states)}`;
    return `-m conntrack${state}${saveConntrackTests(this.tests)}`;
  }
}

export const conntrackMatchModule: MatchModule = {
  kind: 'match',
  name: 'conntrack',
  options: [{ name: 'ctstate', args: 1, invertible: true }, ...CONNTRACK_TUPLE_OPTIONS],
  build(options, rule) {
    if (options.length === 0) throw new RuleSyntaxError('conntrack: at least one option is required');
    if (rule.family === 'ipv6') {
      const address = options.find((o) => o.name === 'ctorigsrc' || o.name === 'ctorigdst' || o.name === 'ctreplsrc' || o.name === 'ctrepldst');
      if (address !== undefined) throw new RuleSyntaxError(`conntrack: ${address.spelled} is not modelled for IPv6 (ip6tables) in kube-netsim`);
    }
    const state = findOption(options, 'ctstate');
    const states = state === undefined ? undefined : parseStates(state.args[0], 127, state.spelled);
    if (state !== undefined && options.length === 1) return new ConntrackMatch('conntrack', states!, state.inverted);
    return new ConntrackOptionsMatch(states, state?.inverted ?? false, parseConntrackTests(options));
  },
};

export const stateMatchModule: MatchModule = {
  kind: 'match',
  name: 'state',
  options: [{ name: 'state', args: 1, invertible: true }],
  build(options) {
    const option = requireOption(options, 'state', 'state');
    return new ConntrackMatch('state', parseStates(option.args[0], STATE_MATCH_BITS, option.spelled), option.inverted);
  },
};
