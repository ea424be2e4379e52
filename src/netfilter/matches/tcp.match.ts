/**
 * `-m tcp`: source and destination port ranges and `--tcp-flags MASK COMP`
 * (`--syn` is `--tcp-flags FIN,SYN,RST,ACK SYN`). Loaded implicitly by
 * `-p tcp --dport 80`; iptables-save always prints the `-m tcp`.
 */
import { RuleSyntaxError, findOption, type MatchModule, type ParsedOption } from '../module';
import { PROTOCOL_NUMBERS, TCP_FLAGS, type Match, type Packet } from '../types';
import {
  PORT_OPTIONS,
  isPortTest,
  portCondition,
  portMatches,
  requireProtocol,
  savePort,
  type PortCondition,
} from './transport';

export interface TcpFlagsCondition {
  readonly mask: number;
  readonly compare: number;
  readonly invert: boolean;
}

/** Flag names in the order iptables-save prints them. */
const FLAG_ORDER: ReadonlyArray<[string, number]> = [
  ['FIN', TCP_FLAGS.FIN],
  ['SYN', TCP_FLAGS.SYN],
  ['RST', TCP_FLAGS.RST],
  ['PSH', TCP_FLAGS.PSH],
  ['ACK', TCP_FLAGS.ACK],
  ['URG', TCP_FLAGS.URG],
];
const ALL_FLAGS = 0x3f;

function parseFlags(text: string, option: string): number {
  let bits = 0;
  for (const word of text.split(',')) {
    const upper = word.toUpperCase();
    if (upper === 'ALL') bits |= ALL_FLAGS;
    else if (upper === 'NONE') continue;
    else {
      const found = FLAG_ORDER.find(([name]) => name === upper);
      if (!found) throw new RuleSyntaxError(`unknown TCP flag "${word}" in ${option}`);
      bits |= found[1];
    }
  }
  return bits;
}

function formatFlags(bits: number): string {
  if (bits === 0) return 'NONE';
  return FLAG_ORDER.filter(([, bit]) => (bits & bit) !== 0)
    .map(([name]) => name)
    .join(',');
}

export class TcpMatch implements Match {
  readonly name = 'tcp';

  constructor(
    readonly sourcePort: PortCondition,
    readonly destinationPort: PortCondition,
    readonly flags: TcpFlagsCondition | undefined,
  ) {}

  matches(packet: Packet): boolean {
    if (packet.protocol !== 'tcp') return false;
    if (!portMatches(this.sourcePort, packet.sourcePort)) return false;
    if (!portMatches(this.destinationPort, packet.destinationPort)) return false;
    const f = this.flags;
    if (f !== undefined && (((packet.tcpFlags ?? 0) & f.mask) === f.compare) === f.invert) return false;
    return true;
  }

  /** Ports and flags become native nftables expressions; an empty `-m tcp` stays as it is. */
  get saveMergeKey(): string | undefined {
    return isPortTest(this.sourcePort) || isPortTest(this.destinationPort) || this.flags ? 'tcp' : undefined;
  }

  mergeForSave(later: Match): Match {
    if (!(later instanceof TcpMatch)) return this;
    return new TcpMatch(
      isPortTest(later.sourcePort) ? later.sourcePort : this.sourcePort,
      isPortTest(later.destinationPort) ? later.destinationPort : this.destinationPort,
      later.flags ?? this.flags,
    );
  }

  save(): string {
    let out = '-m tcp' + savePort('sport', this.sourcePort) + savePort('dport', this.destinationPort);
    const f = this.flags;
    if (f) out += `${f.invert ? ' !' : ''} --tcp-flags ${formatFlags(f.mask)} ${formatFlags(f.compare)}`;
    return out;
  }
}

function flagsCondition(options: readonly ParsedOption[]): TcpFlagsCondition | undefined {
  const flags = findOption(options, 'tcp-flags');
  const syn = findOption(options, 'syn');
  if (flags && syn) throw new RuleSyntaxError('tcp: only one of "--syn" or "--tcp-flags" allowed');
  if (syn) {
    return {
      mask: TCP_FLAGS.FIN | TCP_FLAGS.SYN | TCP_FLAGS.RST | TCP_FLAGS.ACK,
      compare: TCP_FLAGS.SYN,
      invert: syn.inverted,
    };
  }
  if (flags) {
    return {
      mask: parseFlags(flags.args[0], flags.spelled),
      compare: parseFlags(flags.args[1], flags.spelled),
      invert: flags.inverted,
    };
  }
  return undefined;
}

/** Port conditions are shared objects, so matches without flags can be shared too: they hold no state. */
const SHARED = new Map<PortCondition, Map<PortCondition, TcpMatch>>();

function shared(sport: PortCondition, dport: PortCondition): TcpMatch {
  let byDport = SHARED.get(sport);
  if (!byDport) SHARED.set(sport, (byDport = new Map()));
  let match = byDport.get(dport);
  if (!match) byDport.set(dport, (match = new TcpMatch(sport, dport, undefined)));
  return match;
}

export const tcpMatchModule: MatchModule = {
  kind: 'match',
  name: 'tcp',
  implicitForProtocol: PROTOCOL_NUMBERS.tcp,
  options: [
    ...PORT_OPTIONS,
    { name: 'tcp-flags', args: 2, invertible: true },
    { name: 'syn', args: 0, invertible: true },
  ],
  build(options, rule) {
    requireProtocol(rule, PROTOCOL_NUMBERS.tcp, 'tcp');
    const sport = portCondition(options, 'sport');
    const dport = portCondition(options, 'dport');
    const flags = flagsCondition(options);
    return flags ? new TcpMatch(sport, dport, flags) : shared(sport, dport);
  },
};
