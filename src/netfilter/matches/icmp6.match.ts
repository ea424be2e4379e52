/**
 * `-m icmp6 --icmpv6-type TYPE[/CODE]` or a name (`echo-request`,
 * `neighbour-solicitation`, `port-unreachable`), ip6tables only, with
 * `-p ipv6-icmp`. ip6tables-save (nf_tables) prints numbers: `128`, `1/4`.
 */
import { RuleSyntaxError, requireOption, type MatchModule } from '../module';
import { parseUnsigned } from '../text/values';
import { PROTOCOL_NUMBERS, type Match, type Packet } from '../types';

/** The names `ip6tables -p ipv6-icmp -h` lists: [type, code] or [type] for every code. */
const ICMPV6_NAME_LIST: ReadonlyArray<readonly [string, readonly [number, number?]]> = [
  ['destination-unreachable', [1]],
  ['no-route', [1, 0]],
  ['communication-prohibited', [1, 1]],
  ['beyond-scope', [1, 2]],
  ['address-unreachable', [1, 3]],
  ['port-unreachable', [1, 4]],
  ['failed-policy', [1, 5]],
  ['reject-route', [1, 6]],
  ['packet-too-big', [2]],
  ['time-exceeded', [3]],
  ['ttl-exceeded', [3]],
  ['ttl-zero-during-transit', [3, 0]],
  ['ttl-zero-during-reassembly', [3, 1]],
  ['parameter-problem', [4]],
  ['bad-header', [4, 0]],
  ['unknown-header-type', [4, 1]],
  ['unknown-option', [4, 2]],
  ['echo-request', [128]],
  ['ping', [128]],
  ['echo-reply', [129]],
  ['pong', [129]],
  ['router-solicitation', [133]],
  ['router-advertisement', [134]],
  ['neighbour-solicitation', [135]],
  ['neighbor-solicitation', [135]],
  ['neighbour-advertisement', [136]],
  ['neighbor-advertisement', [136]],
  ['redirect', [137]],
];

const ICMPV6_NAMES: ReadonlyMap<string, readonly [number, number?]> = new Map(ICMPV6_NAME_LIST.map(([name, value]) => [name.toLowerCase(), value]));

/** An ICMPv6 type name as ip6tables knows it, case-insensitive: [type, code], code unset for every code. */
export function icmpv6TypeByName(name: string): readonly [number, number?] | undefined {
  return ICMPV6_NAMES.get(name.toLowerCase());
}

export class Icmp6Match implements Match {
  readonly name = 'icmp6';

  constructor(
    readonly type: number,
    readonly minCode: number,
    readonly maxCode: number,
    readonly invert: boolean,
  ) {}

  matches(packet: Packet): boolean {
    if (packet.protocol !== 'icmpv6') return false;
    const code = packet.icmpCode ?? 0;
    const hit = packet.icmpType === this.type && code >= this.minCode && code <= this.maxCode;
    return hit !== this.invert;
  }

  save(): string {
    const value = this.minCode === 0 && this.maxCode === 255 ? String(this.type) : `${this.type}/${this.minCode}`;
    return `-m icmp6${this.invert ? ' !' : ''} --icmpv6-type ${value}`;
  }
}

function parseIcmpv6Type(text: string): [number, number, number] {
  const named = ICMPV6_NAMES.get(text.toLowerCase());
  if (named) {
    const [type, code] = named;
    return code === undefined ? [type, 0, 255] : [type, code, code];
  }
  const slash = text.indexOf('/');
  const type = parseUnsigned(slash < 0 ? text : text.slice(0, slash), 255);
  const code = slash < 0 ? undefined : parseUnsigned(text.slice(slash + 1), 255);
  if (type === undefined || (slash >= 0 && code === undefined)) throw new RuleSyntaxError(`Unknown ICMPv6 type \`${text}'`);
  return code === undefined ? [type, 0, 255] : [type, code, code];
}

export const icmp6MatchModule: MatchModule = {
  kind: 'match',
  name: 'icmp6',
  implicitForProtocol: PROTOCOL_NUMBERS.icmpv6,
  options: [{ name: 'icmpv6-type', args: 1, invertible: true }],
  build(options, rule) {
    if (rule.protocol !== PROTOCOL_NUMBERS.icmpv6 || rule.protocolInverted) {
      throw new RuleSyntaxError('icmp6 match requires "-p ipv6-icmp"');
    }
    const option = requireOption(options, 'icmpv6-type', 'icmp6');
    const [type, min, max] = parseIcmpv6Type(option.args[0]);
    return new Icmp6Match(type, min, max, option.inverted);
  },
};
