/**
 * `-m dscp [!] --dscp N | [!] --dscp-class CLASS`: the DSCP field (the TOS
 * byte's upper six bits) equals N (xt_dscp). Classes: BE (0), CS0-CS7,
 * AF11-AF43, EF (46), any case; iptables-save prints the number.
 */
import { RuleSyntaxError, findOption, refuseTogether, type MatchModule } from '../module';
import { parseUnsigned } from '../text/values';
import type { Match, Packet } from '../types';

/** The DSCP class names of libxt_dscp (dscp_helper.c). */
export function dscpClass(name: string): number | undefined {
  const n = name.toUpperCase();
  if (n === 'BE') return 0;
  if (n === 'EF') return 46;
  let m = /^CS([0-7])$/.exec(n);
  if (m) return Number(m[1]) << 3;
  m = /^AF([1-4])([1-3])$/.exec(n);
  if (m) return (Number(m[1]) << 3) | (Number(m[2]) << 1);
  return undefined;
}

export class DscpMatch implements Match {
  readonly name = 'dscp';

  constructor(
    readonly dscp: number,
    readonly invert: boolean,
  ) {}

  matches(packet: Packet): boolean {
    return ((packet.tos ?? 0) >>> 2 === this.dscp) !== this.invert;
  }

  save(): string {
    return `-m dscp${this.invert ? ' !' : ''} --dscp 0x${this.dscp.toString(16).padStart(2, '0')}`;
  }
}

export const dscpMatchModule: MatchModule = {
  kind: 'match',
  name: 'dscp',
  options: [
    { name: 'dscp', args: 1, invertible: true },
    { name: 'dscp-class', args: 1, invertible: true },
  ],
  build(options) {
    refuseTogether(options, 'dscp', ['dscp', 'dscp-class']);
    const number = findOption(options, 'dscp');
    if (number) {
      const value = parseUnsigned(number.args[0], 63);
      if (value === undefined) throw new RuleSyntaxError(`dscp: bad value for option "${number.spelled}", or out of range (0-63).`);
      return new DscpMatch(value, number.inverted);
    }
    const named = findOption(options, 'dscp-class');
    if (!named) throw new RuleSyntaxError('DSCP match: Parameter --dscp is required');
    const value = dscpClass(named.args[0]);
    if (value === undefined) throw new RuleSyntaxError(`Invalid DSCP value \`${named.args[0]}'`);
    return new DscpMatch(value, named.inverted);
  },
};
