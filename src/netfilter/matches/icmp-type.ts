/**
 * What `-m icmp --icmp-type` and `-m icmp6 --icmpv6-type` share: a type and a
 * code range, read from a number (`8`, `3/3`, hex `0x8`) or a name of the
 * family's table, matched against a packet's type and code, and printed back
 * as iptables-save prints it. Each family brings its own name table and words
 * (icmp.match.ts, icmp6.match.ts).
 *
 * Names are read as iptables 1.8.9 reads them: without regard to case, and any
 * unambiguous beginning of one will do (`echo-req`, `pin`); a beginning shared
 * by two names is refused naming the first two in the table's order. The
 * refusals are the tools' own, word for word:
 *   Ambiguous ICMP type `echo': `echo-reply' or `echo-request'?
 *   Unknown ICMPv6 type `300/1'        (the type is not a number 0-255)
 *   Unknown ICMP code `3/x'            (the code is not)
 */
import { RuleSyntaxError, requireOption, type MatchModule } from '../module';
import { parseUnsigned } from '../text/values';
import { PROTOCOL_NUMBERS, type Match, type Packet } from '../types';

/** A name of the tool's help list: [type, code] or [type] for every code. */
export type IcmpTypeNames = ReadonlyArray<readonly [string, readonly [number, number?]]>;

/** One family's match, as its tool knows it. */
export interface IcmpFamily {
  /** The match module's name (`-m icmp`, `-m icmp6`). */
  readonly match: 'icmp' | 'icmp6';
  /** Its one option (`--icmp-type`, `--icmpv6-type`). */
  readonly option: 'icmp-type' | 'icmpv6-type';
  /** The packet protocol it matches. */
  readonly protocol: 'icmp' | 'icmpv6';
  /** The `-p` the match requires, as its refusal names it. */
  readonly protocolFlag: string;
  /** The family's word in the tool's refusals (`ICMP`, `ICMPv6`). */
  readonly word: string;
  /** The names the tool's help lists, in its order (the order decides which two an ambiguous beginning names). */
  readonly names: IcmpTypeNames;
  /** The type that matches every packet of the protocol, printed `any` (iptables' 255); none in ip6tables. */
  readonly anyType?: number;
}

/** A type with the codes that match: every code is 0-255. */
export interface IcmpTypeRange {
  readonly type: number;
  readonly minCode: number;
  readonly maxCode: number;
}

const range = (type: number, code: number | undefined): IcmpTypeRange =>
  code === undefined ? { type, minCode: 0, maxCode: 255 } : { type, minCode: code, maxCode: code };

/** Reads a `--icmp-type` / `--icmpv6-type` value, or refuses it in the tool's words. */
export function parseIcmpTypeRange(text: string, family: IcmpFamily): IcmpTypeRange {
  const lower = text.toLowerCase();
  let found: readonly [string, readonly [number, number?]] | undefined;
  for (const entry of family.names) {
    if (!entry[0].toLowerCase().startsWith(lower)) continue;
    if (found !== undefined) throw new RuleSyntaxError(`Ambiguous ${family.word} type \`${text}': \`${found[0]}' or \`${entry[0]}'?`);
    found = entry;
  }
  if (found !== undefined) return range(found[1][0], found[1][1]);
  const slash = text.indexOf('/');
  const type = parseUnsigned(slash < 0 ? text : text.slice(0, slash), 255);
  if (type === undefined) throw new RuleSyntaxError(`Unknown ${family.word} type \`${text}'`);
  if (slash < 0) return range(type, undefined);
  const code = parseUnsigned(text.slice(slash + 1), 255);
  if (code === undefined) throw new RuleSyntaxError(`Unknown ${family.word} code \`${text}'`);
  return range(type, code);
}

/** A name's [type, code] when it is one of the family's names in full (case-insensitive); `any` is none. */
export function icmpNameLookup(names: IcmpTypeNames, anyType?: number): (name: string) => readonly [number, number?] | undefined {
  const byName = new Map(names.filter(([, [type]]) => type !== anyType).map(([name, value]) => [name.toLowerCase(), value]));
  return (name) => byName.get(name.toLowerCase());
}

/** `-m icmp --icmp-type T[/C]` or `-m icmp6 --icmpv6-type T[/C]`. */
export class IcmpTypeMatch implements Match {
  readonly name: string;
  readonly type: number;
  readonly minCode: number;
  readonly maxCode: number;

  constructor(
    readonly family: IcmpFamily,
    value: IcmpTypeRange,
    readonly invert: boolean,
  ) {
    this.name = family.match;
    this.type = value.type;
    this.minCode = value.minCode;
    this.maxCode = value.maxCode;
  }

  matches(packet: Packet): boolean {
    if (packet.protocol !== this.family.protocol) return false;
    const code = packet.icmpCode ?? 0;
    const hit = this.type === this.family.anyType || (packet.icmpType === this.type && code >= this.minCode && code <= this.maxCode);
    return hit !== this.invert;
  }

  save(): string {
    let value: string;
    if (this.type === this.family.anyType) value = 'any';
    else if (this.minCode === 0 && this.maxCode === 255) value = String(this.type);
    else value = `${this.type}/${this.minCode}`;
    return `-m ${this.family.match}${this.invert ? ' !' : ''} --${this.family.option} ${value}`;
  }
}

/** The match module of one family: implicit for its protocol, refused without it. */
export function icmpTypeMatchModule(family: IcmpFamily): MatchModule {
  const protocolNumber = PROTOCOL_NUMBERS[family.protocol];
  return {
    kind: 'match',
    name: family.match,
    implicitForProtocol: protocolNumber,
    options: [{ name: family.option, args: 1, invertible: true }],
    build(options, rule) {
      if (rule.protocol !== protocolNumber || rule.protocolInverted) {
        throw new RuleSyntaxError(`${family.match} match requires "${family.protocolFlag}"`);
      }
      const option = requireOption(options, family.option, family.match);
      return new IcmpTypeMatch(family, parseIcmpTypeRange(option.args[0], family), option.inverted);
    },
  };
}
