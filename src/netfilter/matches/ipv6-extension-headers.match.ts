/**
 * The ip6tables matches on IPv6 extension headers: `-m frag` (Fragment),
 * `-m hbh` (Hop-by-Hop Options), `-m rt` (Routing) and `-m ipv6header`
 * (which headers the packet carries). One file for the four: kube-netsim's
 * IPv6 packets carry no extension headers (the upper-layer header follows
 * the fixed header directly), so all four are read and printed as
 * ip6tables 1.8.9 does, and evaluated against a packet without any:
 * `frag`, `hbh` and `rt` never match (the kernel's match fails when the
 * header is absent, whatever is negated), and `ipv6header` sees only the
 * upper-layer protocol (`protocol`).
 */
import { RuleSyntaxError, findOption, type MatchModule, type ParsedOption } from '../module';
import { parseUnsigned } from '../text/values';
import type { Match } from '../types';

interface Span {
  readonly min: number;
  readonly max: number;
  readonly invert: boolean;
}

const U32 = 0xffffffff;

/** `N` or `N:M` (ip6tables' id and length ranges). */
function span(option: ParsedOption, module: string, max = U32): Span {
  const text = option.args[0];
  const colon = text.indexOf(':');
  const lo = parseUnsigned(colon < 0 ? text : text.slice(0, colon), max);
  const hi = colon < 0 ? lo : parseUnsigned(text.slice(colon + 1), max);
  if (lo === undefined || hi === undefined) throw new RuleSyntaxError(`${module}: bad value "${text}" for "${option.spelled}"`);
  return { min: lo, max: hi, invert: option.inverted };
}

function spanText(name: string, s: Span | undefined, full = false): string {
  if (s === undefined || (full && s.min === 0 && s.max === U32 && !s.invert)) return '';
  const value = s.min === s.max ? String(s.min) : `${s.min}:${s.max}`;
  return ` ${s.invert ? '! ' : ''}--${name} ${value}`;
}

/** A match on a header our packets never carry. */
abstract class AbsentHeaderMatch implements Match {
  abstract readonly name: string;
  matches(): boolean {
    return false;
  }
  abstract save(): string;
}

export class FragMatch extends AbsentHeaderMatch {
  readonly name = 'frag';
  constructor(
    readonly id: Span | undefined,
    readonly length: Span | undefined,
    readonly flags: { readonly res: boolean; readonly first: boolean; readonly more: boolean; readonly last: boolean },
  ) {
    super();
  }
  save(): string {
    const f = this.flags;
    return `-m frag${spanText('fragid', this.id, true)}${spanText('fraglen', this.length)}${f.res ? ' --fragres' : ''}${f.first ? ' --fragfirst' : ''}${f.more ? ' --fragmore' : ''}${f.last ? ' --fraglast' : ''}`;
  }
}

export class HbhMatch extends AbsentHeaderMatch {
  readonly name = 'hbh';
  constructor(readonly length: Span | undefined) {
    super();
  }
  save(): string {
    return `-m hbh${spanText('hbh-len', this.length)}`;
  }
}

export class RtMatch extends AbsentHeaderMatch {
  readonly name = 'rt';
  constructor(
    readonly type: Span | undefined,
    readonly segsleft: Span | undefined,
    readonly length: Span | undefined,
  ) {
    super();
  }
  save(): string {
    return `-m rt${spanText('rt-type', this.type)}${spanText('rt-segsleft', this.segsleft, true)}${spanText('rt-len', this.length)}`;
  }
}

/** `--header` names, by bit (ip6t_ipv6header's MASK_*), in the order ip6tables-save prints them. */
const HEADER_BITS: ReadonlyArray<readonly [number, string, readonly string[]]> = [
  [0x80, 'hop-by-hop', ['hop', 'hop-by-hop']],
  [0x40, 'ipv6-opts', ['dst', 'ipv6-opts']],
  [0x20, 'ipv6-route', ['route', 'ipv6-route']],
  [0x10, 'ipv6-frag', ['frag', 'ipv6-frag']],
  [0x08, 'ah', ['auth', 'ah']],
  [0x04, 'esp', ['esp']],
  [0x02, 'ipv6-nonxt', ['none', 'ipv6-nonxt']],
  [0x01, 'protocol', ['prot', 'protocol']],
];
const BIT_OF = new Map<string, number>(HEADER_BITS.flatMap(([bit, , names]) => names.map((n): [string, number] => [n, bit])));

/** The headers one of our packets has: only its upper-layer protocol. */
const PACKET_HEADERS = 0x01;

export class Ipv6HeaderMatch implements Match {
  readonly name = 'ipv6header';
  constructor(
    readonly headers: number,
    readonly invert: boolean,
    readonly soft: boolean,
  ) {}

  matches(): boolean {
    const present = PACKET_HEADERS;
    const inv = this.invert ? this.headers : 0;
    if (this.soft) return ((present ^ this.headers ^ inv) & this.headers) === 0;
    return this.invert ? present !== this.headers : present === this.headers;
  }

  save(): string {
    const names = HEADER_BITS.filter(([bit]) => (this.headers & bit) !== 0).map(([, name]) => name);
    return `-m ipv6header${this.invert ? ' !' : ''} --header ${names.join(',')}${this.soft ? ' --soft' : ''}`;
  }
}

export const fragMatchModule: MatchModule = {
  kind: 'match',
  name: 'frag',
  options: [
    { name: 'fragid', args: 1, invertible: true },
    { name: 'fraglen', args: 1, invertible: true },
    { name: 'fragres', args: 0 },
    { name: 'fragfirst', args: 0 },
    { name: 'fragmore', args: 0 },
    { name: 'fraglast', args: 0 },
  ],
  build(options) {
    const id = findOption(options, 'fragid');
    const length = findOption(options, 'fraglen');
    return new FragMatch(id && span(id, 'frag'), length && span(length, 'frag'), {
      res: findOption(options, 'fragres') !== undefined,
      first: findOption(options, 'fragfirst') !== undefined,
      more: findOption(options, 'fragmore') !== undefined,
      last: findOption(options, 'fraglast') !== undefined,
    });
  },
};

export const hbhMatchModule: MatchModule = {
  kind: 'match',
  name: 'hbh',
  options: [{ name: 'hbh-len', args: 1, invertible: true }],
  build(options) {
    const length = findOption(options, 'hbh-len');
    return new HbhMatch(length && span(length, 'hbh'));
  },
};

export const rtMatchModule: MatchModule = {
  kind: 'match',
  name: 'rt',
  options: [
    { name: 'rt-type', args: 1, invertible: true },
    { name: 'rt-segsleft', args: 1, invertible: true },
    { name: 'rt-len', args: 1, invertible: true },
  ],
  build(options) {
    const type = findOption(options, 'rt-type');
    const segsleft = findOption(options, 'rt-segsleft');
    const length = findOption(options, 'rt-len');
    return new RtMatch(type && span(type, 'rt', 255), segsleft && span(segsleft, 'rt'), length && span(length, 'rt'));
  },
};

export const ipv6headerMatchModule: MatchModule = {
  kind: 'match',
  name: 'ipv6header',
  options: [
    { name: 'header', args: 1, invertible: true },
    { name: 'soft', args: 0 },
  ],
  build(options) {
    const header = findOption(options, 'header');
    if (header === undefined) throw new RuleSyntaxError('ip6t_ipv6header: no options specified');
    let bits = 0;
    for (const name of header.args[0].split(',')) {
      const bit = BIT_OF.get(name);
      if (bit === undefined) throw new RuleSyntaxError(`unknown header \`${name}' specified`);
      bits |= bit;
    }
    return new Ipv6HeaderMatch(bits, header.inverted, findOption(options, 'soft') !== undefined);
  },
};
