/**
 * `-m addrtype [!] --src-type TYPES [!] --dst-type TYPES
 * [--limit-iface-in | --limit-iface-out]`: the route type of the source or
 * destination address on this host (LOCAL, UNICAST, BROADCAST, ...), asked
 * of the context's `HostView`.
 */
import { RuleSyntaxError, findOption, refuseTogether, type MatchModule, type ParsedOption } from '../module';
import { ADDRESS_TYPES, type AddressType, type Match, type MatchContext, type Packet } from '../types';

function typeBit(type: AddressType): number {
  return 1 << ADDRESS_TYPES.indexOf(type);
}

function parseTypes(option: ParsedOption): number {
  let bits = 0;
  for (const word of option.args[0].split(',')) {
    const type = ADDRESS_TYPES.find((t) => t === word.toUpperCase());
    if (!type) throw new RuleSyntaxError(`addrtype: unknown address type "${word}" for ${option.spelled}`);
    bits |= typeBit(type);
  }
  return bits;
}

function formatTypes(bits: number): string {
  return ADDRESS_TYPES.filter((t) => (bits & typeBit(t)) !== 0).join(',');
}

export interface AddrtypeCondition {
  readonly types: number;
  readonly invert: boolean;
}

export class AddrtypeMatch implements Match {
  readonly name = 'addrtype';

  constructor(
    readonly source: AddrtypeCondition | undefined,
    readonly destination: AddrtypeCondition | undefined,
    readonly limitIface: 'in' | 'out' | undefined,
  ) {}

  matches(packet: Packet, ctx: MatchContext): boolean {
    const iface =
      this.limitIface === 'in' ? packet.inInterface : this.limitIface === 'out' ? packet.outInterface : undefined;
    const s = this.source;
    if (s && ((typeBit(ctx.host.addressType(packet.source, iface)) & s.types) !== 0) === s.invert) return false;
    const d = this.destination;
    if (d && ((typeBit(ctx.host.addressType(packet.destination, iface)) & d.types) !== 0) === d.invert) return false;
    return true;
  }

  save(): string {
    let out = '-m addrtype';
    const s = this.source;
    if (s) out += `${s.invert ? ' !' : ''} --src-type ${formatTypes(s.types)}`;
    const d = this.destination;
    if (d) out += `${d.invert ? ' !' : ''} --dst-type ${formatTypes(d.types)}`;
    if (this.limitIface) out += ` --limit-iface-${this.limitIface}`;
    return out;
  }
}

export const addrtypeMatchModule: MatchModule = {
  kind: 'match',
  name: 'addrtype',
  options: [
    { name: 'src-type', args: 1, invertible: true },
    { name: 'dst-type', args: 1, invertible: true },
    { name: 'limit-iface-in', args: 0 },
    { name: 'limit-iface-out', args: 0 },
  ],
  build(options) {
    refuseTogether(options, 'addrtype', ['limit-iface-in', 'limit-iface-out']);
    const src = findOption(options, 'src-type');
    const dst = findOption(options, 'dst-type');
    if (!src && !dst) throw new RuleSyntaxError('addrtype: --src-type or --dst-type is required');
    const limit = findOption(options, 'limit-iface-in')
      ? 'in'
      : findOption(options, 'limit-iface-out')
        ? 'out'
        : undefined;
    return new AddrtypeMatch(
      src && { types: parseTypes(src), invert: src.inverted },
      dst && { types: parseTypes(dst), invert: dst.inverted },
      limit,
    );
  },
};
