/**
 * `-m physdev`: the bridge ports of a bridged packet (br_netfilter):
 * `[!] --physdev-in NAME [!] --physdev-out NAME [!] --physdev-is-in
 * [!] --physdev-is-out [!] --physdev-is-bridged`; names take a `+` wildcard.
 */
import { RuleSyntaxError, findOption, type MatchModule, type ParsedOption } from '../module';
import { interfaceMatches } from '../rule';
import type { Match, Packet } from '../types';

export interface PhysdevName {
  readonly name: string;
  readonly invert: boolean;
}

export interface PhysdevOptions {
  readonly in?: PhysdevName;
  readonly out?: PhysdevName;
  /** true: must be; false: must not be (`!`). */
  readonly isIn?: boolean;
  readonly isOut?: boolean;
  readonly isBridged?: boolean;
}

function flag(option: ParsedOption | undefined): boolean | undefined {
  return option ? !option.inverted : undefined;
}

function saveFlag(name: string, value: boolean | undefined): string {
  return value === undefined ? '' : `${value ? '' : ' !'} --${name}`;
}

export class PhysdevMatch implements Match {
  readonly name = 'physdev';

  constructor(readonly options: PhysdevOptions) {}

  matches(packet: Packet): boolean {
    const o = this.options;
    if (o.isBridged !== undefined && (packet.bridged === true) !== o.isBridged) return false;
    if (o.isIn !== undefined && (packet.physInInterface !== undefined) !== o.isIn) return false;
    if (o.isOut !== undefined && (packet.physOutInterface !== undefined) !== o.isOut) return false;
    if (o.in && interfaceMatches(o.in.name, packet.physInInterface) === o.in.invert) return false;
    if (o.out && interfaceMatches(o.out.name, packet.physOutInterface) === o.out.invert) return false;
    return true;
  }

  save(): string {
    const o = this.options;
    let out = '-m physdev';
    if (o.in) out += `${o.in.invert ? ' !' : ''} --physdev-in ${o.in.name}`;
    if (o.out) out += `${o.out.invert ? ' !' : ''} --physdev-out ${o.out.name}`;
    return (
      out + saveFlag('physdev-is-in', o.isIn) + saveFlag('physdev-is-out', o.isOut) + saveFlag('physdev-is-bridged', o.isBridged)
    );
  }
}

function physName(option: ParsedOption | undefined): PhysdevName | undefined {
  if (!option) return undefined;
  const name = option.args[0];
  if (name.length === 0 || name.length > 15) {
    throw new RuleSyntaxError(`physdev: bad interface name "${name}" for ${option.spelled}`);
  }
  return { name, invert: option.inverted };
}

export const physdevMatchModule: MatchModule = {
  kind: 'match',
  name: 'physdev',
  options: [
    { name: 'physdev-in', args: 1, invertible: true },
    { name: 'physdev-out', args: 1, invertible: true },
    { name: 'physdev-is-in', args: 0, invertible: true },
    { name: 'physdev-is-out', args: 0, invertible: true },
    { name: 'physdev-is-bridged', args: 0, invertible: true },
  ],
  build(options) {
    if (options.length === 0) throw new RuleSyntaxError('physdev: no physdev option specified');
    return new PhysdevMatch({
      in: physName(findOption(options, 'physdev-in')),
      out: physName(findOption(options, 'physdev-out')),
      isIn: flag(findOption(options, 'physdev-is-in')),
      isOut: flag(findOption(options, 'physdev-is-out')),
      isBridged: flag(findOption(options, 'physdev-is-bridged')),
    });
  },
};
