/**
 * `-m realm [!] --realm VALUE[/MASK]`: the routing realm of the packet's
 * route, `(realm & MASK) == VALUE` (xt_realm; INPUT, FORWARD, OUTPUT and
 * POSTROUTING). The host's routes have no realms, so every packet's realm
 * is 0. Names are those of iproute2's default rt_realms (`cosmos` is 0);
 * iptables-save prints a value in hex, or its name when the mask is all ones.
 */
import { RuleSyntaxError, requireOption, type MatchModule } from '../module';
import { parseUnsigned } from '../text/values';
import type { Match } from '../types';

const REALMS: ReadonlyMap<string, number> = new Map([['cosmos', 0]]);

export function formatIdMask(value: number, mask: number, names: ReadonlyMap<string, number>): string {
  if (mask === 0xffffffff) {
    for (const [name, id] of names) if (id === value) return name;
    return '0x' + value.toString(16);
  }
  return `0x${value.toString(16)}/0x${mask.toString(16)}`;
}

/** `VALUE[/MASK]` or a name, as iptables reads realm and group ids. */
export function parseIdMask(text: string, names: ReadonlyMap<string, number>, bad: () => RuleSyntaxError): { value: number; mask: number } {
  const named = names.get(text);
  if (named !== undefined) return { value: named, mask: 0xffffffff };
  const slash = text.indexOf('/');
  const value = parseUnsigned(slash < 0 ? text : text.slice(0, slash));
  const mask = slash < 0 ? 0xffffffff : parseUnsigned(text.slice(slash + 1));
  if (value === undefined || mask === undefined) throw bad();
  return { value, mask };
}

export class RealmMatch implements Match {
  readonly name = 'realm';
  readonly hooks = ['INPUT', 'FORWARD', 'OUTPUT', 'POSTROUTING'] as const;

  constructor(
    readonly value: number,
    readonly mask: number,
    readonly invert: boolean,
  ) {}

  /** Every route's realm is 0. */
  matches(): boolean {
    return (this.value === 0) !== this.invert;
  }

  save(): string {
    return `-m realm${this.invert ? ' !' : ''} --realm ${formatIdMask(this.value, this.mask, REALMS)}`;
  }
}

export const realmMatchModule: MatchModule = {
  kind: 'match',
  name: 'realm',
  options: [{ name: 'realm', args: 1, invertible: true }],
  build(options) {
    const option = requireOption(options, 'realm', 'realm');
    const { value, mask } = parseIdMask(option.args[0], REALMS, () => new RuleSyntaxError(`realm: bad value for option "${option.spelled}": "${option.args[0]}"`));
    return new RealmMatch(value, mask, option.inverted);
  },
};
