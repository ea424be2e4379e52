/**
 * `-m icmp --icmp-type TYPE[/CODE]` or a name (`echo-request`,
 * `port-unreachable`, `any`). iptables-save prints numbers: `8`, `3/3`, `any`.
 */
import { RuleSyntaxError, requireOption, type MatchModule } from '../module';
import { parseUnsigned } from '../text/values';
import { PROTOCOL_NUMBERS, type Match, type Packet } from '../types';

/** The names `iptables -p icmp -h` lists: [type, code] or [type] for every code. */
const ICMP_NAME_LIST: ReadonlyArray<readonly [string, readonly [number, number?]]> = [
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

/** Names are compared without regard to case, as iptables does. */
const ICMP_NAMES: ReadonlyMap<string, readonly [number, number?]> = new Map(
  ICMP_NAME_LIST.map(([name, value]) => [name.toLowerCase(), value]),
);

const ANY_TYPE = 255;

/** An ICMP type name as iptables knows it (`echo-request`, `port-unreachable`), case-insensitive: [type, code], code unset for every code. */
export function icmpTypeByName(name: string): readonly [number, number?] | undefined {
  const found = ICMP_NAMES.get(name.toLowerCase());
  return found === undefined || found[0] === ANY_TYPE ? undefined : found;
}

export class IcmpMatch implements Match {
  readonly name = 'icmp';

  constructor(
    readonly type: number,
    readonly minCode: number,
    readonly maxCode: number,
    readonly invert: boolean,
  ) {}

  matches(packet: Packet): boolean {
    if (packet.protocol !== 'icmp') return false;
    const code = packet.icmpCode ?? 0;
    const hit =
      this.type === ANY_TYPE || (packet.icmpType === this.type && code >= this.minCode && code <= this.maxCode);
    return hit !== this.invert;
  }

  save(): string {
    let value: string;
    if (this.type === ANY_TYPE) value = 'any';
    else if (this.minCode === 0 && this.maxCode === 255) value = String(this.type);
    else value = `${this.type}/${this.minCode}`;
    return `-m icmp${this.invert ? ' !' : ''} --icmp-type ${value}`;
  }
}

function parseIcmpType(text: string): [number, number, number] {
  const named = ICMP_NAMES.get(text.toLowerCase());
  if (named) {
    const [type, code] = named;
    return code === undefined ? [type, 0, 255] : [type, code, code];
  }
  const slash = text.indexOf('/');
  const type = parseUnsigned(slash < 0 ? text : text.slice(0, slash), 255);
  const code = slash < 0 ? undefined : parseUnsigned(text.slice(slash + 1), 255);
  if (type === undefined || (slash >= 0 && code === undefined)) {
    throw new RuleSyntaxError(`unknown ICMP type "${text}"`);
  }
  return code === undefined ? [type, 0, 255] : [type, code, code];
}

export const icmpMatchModule: MatchModule = {
  kind: 'match',
  name: 'icmp',
  implicitForProtocol: PROTOCOL_NUMBERS.icmp,
  options: [{ name: 'icmp-type', args: 1, invertible: true }],
  build(options, rule) {
    if (rule.protocol !== PROTOCOL_NUMBERS.icmp || rule.protocolInverted) {
      throw new RuleSyntaxError('icmp match requires "-p icmp"');
    }
    const option = requireOption(options, 'icmp-type', 'icmp');
    const [type, min, max] = parseIcmpType(option.args[0]);
    return new IcmpMatch(type, min, max, option.inverted);
  },
};
