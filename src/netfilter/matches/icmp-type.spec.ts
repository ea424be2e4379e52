/**
 * `-m icmp --icmp-type` and `-m icmp6 --icmpv6-type`, one table a family:
 * what iptables-restore / ip6tables-restore 1.8.9 (nf_tables) accept, print
 * back with -save, and refuse, each row checked against the real tools
 * (loaded into a throwaway network namespace), and how the match tests a
 * packet's type and code.
 */
import { DomainError } from '../../common/domain-error';
import { parseRuleset } from '../iptables-text.parser';
import { printIptablesSave } from '../iptables-save.printer';
import type { Packet } from '../types';
import { ICMP_FAMILY, icmpTypeByName } from './icmp.match';
import { ICMPV6_FAMILY, icmpv6TypeByName } from './icmp6.match';
import { IcmpTypeMatch, parseIcmpTypeRange, type IcmpFamily } from './icmp-type';

interface FamilyCases {
  readonly family: IcmpFamily;
  readonly ruleset: 'ipv4' | 'ipv6';
  readonly protocol: string;
  /** value given -> what the tool's -save prints. */
  readonly saved: ReadonlyArray<readonly [string, string]>;
  /** value given -> the tool's refusal, after its `iptables-restore v1.8.9 (nf_tables): `. */
  readonly refused: ReadonlyArray<readonly [string, string]>;
  /** echo-request's type; destination-unreachable's type and port-unreachable's code under it. */
  readonly echo: number;
  readonly unreachable: number;
  readonly portUnreachable: number;
}

const FAMILIES: readonly FamilyCases[] = [
  {
    family: ICMP_FAMILY,
    ruleset: 'ipv4',
    protocol: 'icmp',
    saved: [
      ['8', '8'],
      ['0x8', '8'],
      ['010', '8'],
      ['echo-req', '8'],
      ['pin', '8'],
      ['Echo-Request', '8'],
      ['PORT-UNR', '3/3'],
      ['3/0x3', '3/3'],
      ['an', 'any'],
      ['any', 'any'],
    ],
    refused: [
      ['echo', "Ambiguous ICMP type `echo': `echo-reply' or `echo-request'?"],
      ['host', "Ambiguous ICMP type `host': `host-unreachable' or `host-unknown'?"],
      ['ttl-zero-during', "Ambiguous ICMP type `ttl-zero-during': `ttl-zero-during-transit' or `ttl-zero-during-reassembly'?"],
      ['bogus', "Unknown ICMP type `bogus'"],
      ['300', "Unknown ICMP type `300'"],
      ['300/1', "Unknown ICMP type `300/1'"],
      ['/3', "Unknown ICMP type `/3'"],
      ['3/x', "Unknown ICMP code `3/x'"],
      ['3/300', "Unknown ICMP code `3/300'"],
      ['3/', "Unknown ICMP code `3/'"],
    ],
    echo: 8,
    unreachable: 3,
    portUnreachable: 3,
  },
  {
    family: ICMPV6_FAMILY,
    ruleset: 'ipv6',
    protocol: 'ipv6-icmp',
    saved: [
      ['128', '128'],
      ['0x80', '128'],
      ['echo-req', '128'],
      ['pin', '128'],
      ['neighbor-sol', '135'],
      ['PORT-UNR', '1/4'],
      ['255', '255'],
    ],
    refused: [
      ['echo', "Ambiguous ICMPv6 type `echo': `echo-request' or `echo-reply'?"],
      ['neighbo', "Ambiguous ICMPv6 type `neighbo': `neighbour-solicitation' or `neighbor-solicitation'?"],
      ['n', "Ambiguous ICMPv6 type `n': `no-route' or `neighbour-solicitation'?"],
      ['any', "Unknown ICMPv6 type `any'"],
      ['300/1', "Unknown ICMPv6 type `300/1'"],
      ['/3', "Unknown ICMPv6 type `/3'"],
      ['1/300', "Unknown ICMPv6 code `1/300'"],
      ['1/', "Unknown ICMPv6 code `1/'"],
    ],
    echo: 128,
    unreachable: 1,
    portUnreachable: 4,
  },
];

const rule = (c: FamilyCases, value: string, invert = false) =>
  `-p ${c.protocol} -m ${c.family.match}${invert ? ' !' : ''} --${c.family.option} ${value} -j DROP`;

function load(c: FamilyCases, value: string): string {
  const ruleset = parseRuleset(`*filter\n:INPUT ACCEPT [0:0]\n-A INPUT ${rule(c, value)}\nCOMMIT\n`, { family: c.ruleset });
  return printIptablesSave(ruleset)
    .split('\n')
    .find((l) => l.startsWith('-A'))!;
}

function refusal(c: FamilyCases, value: string): string {
  try {
    load(c, value);
  } catch (e) {
    if (e instanceof DomainError) return e.message.replace(/^line 3: /, '');
    throw e;
  }
  return '(accepted)';
}

const packet = (protocol: Packet['protocol'], icmpType: number, icmpCode?: number) => ({ protocol, icmpType, icmpCode }) as Packet;

describe.each(FAMILIES)('-m $family.match --$family.option', (c) => {
  it.each(c.saved)('reads %s and saves it as %s, as the real tool does', (value, printed) => {
    expect(load(c, value)).toBe(`-A INPUT ${rule(c, printed)}`);
  });

  it.each(c.refused)('refuses %s in the real tool\'s words: %s', (value, words) => {
    expect(refusal(c, value)).toBe(words);
  });

  it('matches the type and, when one is given, the code; negated, the rest', () => {
    const match = (value: string, invert = false) => new IcmpTypeMatch(c.family, parseIcmpTypeRange(value, c.family), invert);
    const p = c.family.protocol;
    expect(match(String(c.echo)).matches(packet(p, c.echo))).toBe(true);
    expect(match(String(c.echo)).matches(packet(p, c.echo, 7))).toBe(true);
    expect(match(String(c.echo)).matches(packet(p, c.echo + 1))).toBe(false);
    expect(match(String(c.echo), true).matches(packet(p, c.echo + 1))).toBe(true);
    expect(match('port-unreachable').matches(packet(p, c.unreachable, c.portUnreachable))).toBe(true);
    expect(match('port-unreachable').matches(packet(p, c.unreachable, c.portUnreachable + 1))).toBe(false);
    expect(match('destination-unreachable').matches(packet(p, c.unreachable, c.portUnreachable + 1))).toBe(true);
    // A packet without a code is code 0.
    expect(match(`${c.unreachable}/0`).matches(packet(p, c.unreachable))).toBe(true);
    // Never a packet of another protocol, negated or not.
    expect(match(String(c.echo), true).matches(packet('udp', c.echo))).toBe(false);
  });
});

describe('ICMP type names in full (trace requests)', () => {
  it('knows each family its own names, in any case, and no beginnings of them', () => {
    expect(icmpTypeByName('Echo-Request')).toEqual([8]);
    expect(icmpTypeByName('port-unreachable')).toEqual([3, 3]);
    expect(icmpTypeByName('echo-req')).toBeUndefined();
    expect(icmpTypeByName('neighbour-solicitation')).toBeUndefined();
    expect(icmpv6TypeByName('neighbor-solicitation')).toEqual([135]);
    expect(icmpv6TypeByName('port-unreachable')).toEqual([1, 4]);
    expect(icmpv6TypeByName('source-quench')).toBeUndefined();
  });

  it('has no type named any: that is a rule word, not a packet', () => {
    expect(icmpTypeByName('any')).toBeUndefined();
    expect(icmpv6TypeByName('any')).toBeUndefined();
  });

  it('matches every ICMP packet with iptables\' any, and only type 255 with ip6tables\' 255', () => {
    const any = new IcmpTypeMatch(ICMP_FAMILY, parseIcmpTypeRange('any', ICMP_FAMILY), false);
    expect([0, 3, 8, 255].every((t) => any.matches(packet('icmp', t, 9)))).toBe(true);
    const v6 = new IcmpTypeMatch(ICMPV6_FAMILY, parseIcmpTypeRange('255', ICMPV6_FAMILY), false);
    expect(v6.matches(packet('icmpv6', 255))).toBe(true);
    expect(v6.matches(packet('icmpv6', 128))).toBe(false);
  });
});
