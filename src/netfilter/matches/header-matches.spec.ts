/** `-m pkttype`, `-m length`, `-m ttl` and `-m hl`, `-m tos` and `-m dscp`: header fields, decided and printed as the kernel and iptables do. */
import { tryParseIPv4 } from '../../common/ipv4';
import { SeededRandom } from '../../common/random';
import { StaticHostView } from '../host-view';
import { parseRuleset } from '../iptables-text.parser';
import { parseRuleSpec } from '../rule-spec.parser';
import { printIptablesSave } from '../iptables-save.printer';
import { InMemoryRecentStore, MapMatchState } from '../recent-store';
import { Table } from '../table';
import type { MatchContext, Packet } from '../types';
import { dscpClass } from './dscp.match';

const ip = (text: string): number => tryParseIPv4(text)!;
const ctx: MatchContext = {
  now: 0,
  random: new SeededRandom(1),
  host: new StaticHostView([{ name: 'eth0', addresses: [{ network: ip('192.168.0.2'), prefix: 24 }] }]),
  recent: new InMemoryRecentStore(),
  state: new MapMatchState(),
};
const packet = (over: Partial<Packet> = {}): Packet => ({
  protocol: 'udp',
  source: ip('192.168.0.7'),
  destination: ip('192.168.0.2'),
  sourcePort: 1000,
  destinationPort: 53,
  mark: 0,
  ctstate: 'NEW',
  inInterface: 'eth0',
  ...over,
});
const matches = (spec: string, p: Packet) => parseRuleSpec(spec, new Table('filter')).matchesPacket(p, ctx);
const saved = (spec: string) => printIptablesSave(parseRuleset(`*filter\n-A INPUT ${spec}\nCOMMIT\n`)).split('\n').find((l) => l.startsWith('-A'));
const refused = (spec: string) => () => parseRuleset(`*filter\n-A INPUT ${spec}\nCOMMIT\n`);

describe('-m pkttype', () => {
  it('tells unicast, broadcast and multicast from the destination of an arriving packet', () => {
    expect(matches('-m pkttype --pkt-type unicast', packet())).toBe(true);
    expect(matches('-m pkttype --pkt-type broadcast', packet({ destination: ip('192.168.0.255') }))).toBe(true);
    expect(matches('-m pkttype --pkt-type broadcast', packet({ destination: ip('255.255.255.255') }))).toBe(true);
    expect(matches('-m pkttype --pkt-type multicast', packet({ destination: ip('224.0.0.251') }))).toBe(true);
    expect(matches('-m pkttype ! --pkt-type unicast', packet({ destination: ip('239.1.2.3') }))).toBe(true);
    expect(matches('-m pkttype --pkt-type otherhost', packet())).toBe(false);
  });

  it('a locally generated packet is unicast, whatever its destination', () => {
    expect(matches('-m pkttype --pkt-type unicast', packet({ inInterface: undefined, destination: ip('255.255.255.255') }))).toBe(true);
  });

  it('prints and refuses as iptables does', () => {
    expect(saved('-m pkttype --pkt-type host')).toBe('-A INPUT -m pkttype --pkt-type unicast');
    expect(saved('-m pkttype ! --pkt-type BROADCAST')).toBe('-A INPUT -m pkttype ! --pkt-type broadcast');
    expect(refused('-m pkttype --pkt-type loopback')).toThrow("Bad packet type 'loopback'");
    expect(refused('-m pkttype')).toThrow('pkttype: option "--pkt-type" must be specified');
  });
});

describe('-m length', () => {
  it('tests the total length against an inclusive range', () => {
    expect(matches('-m length --length 100:200', packet({ length: 100 }))).toBe(true);
    expect(matches('-m length --length 100:200', packet({ length: 201 }))).toBe(false);
    expect(matches('-m length ! --length 100:200', packet({ length: 99 }))).toBe(true);
    expect(matches('-m length --length 200:100', packet({ length: 150 }))).toBe(false);
    // Unknown length: a typical one for the protocol (a TCP SYN with options is 60 bytes).
    expect(matches('-m length --length 60', packet({ protocol: 'tcp' }))).toBe(true);
  });

  it('prints and refuses as iptables does', () => {
    expect(saved('-m length --length :0x10')).toBe('-A INPUT -m length --length 0:16');
    expect(saved('-m length --length 100:')).toBe('-A INPUT -m length --length 100:65535');
    expect(refused('-m length --length 70000')).toThrow('length: bad value for option "--length" near "70000", or out of range (0-65535).');
    expect(refused('-m length')).toThrow('length: option "--length" must be specified');
  });
});

// -m ttl (iptables) and -m hl (ip6tables) are one match over the packet's `ttl`; the refusals are each tool's, checked against iptables 1.8.9.
describe.each([
  { name: 'ttl', family: 'ipv4', missing: "TTL match: You must specify one of `--ttl-eq', `--ttl-lt', `--ttl-gt" },
  { name: 'hl', family: 'ipv6', missing: "HL match: You must specify one of `--hl-eq', `--hl-lt', `--hl-gt'" },
] as const)('-m $name', ({ name, family, missing }) => {
  const test = (spec: string, p: Packet) => parseRuleSpec(spec, new Table('filter'), undefined, family).matchesPacket(p, ctx);
  const rules = (spec: string) => parseRuleset(`*filter\n-A INPUT ${spec}\nCOMMIT\n`, { family });

  it('compares the count: equal, not equal, less, greater', () => {
    expect(test(`-m ${name} --${name}-eq 5`, packet({ ttl: 5 }))).toBe(true);
    expect(test(`-m ${name} ! --${name}-eq 5`, packet({ ttl: 5 }))).toBe(false);
    expect(test(`-m ${name} ! --${name}-eq 5`, packet({ ttl: 6 }))).toBe(true);
    expect(test(`-m ${name} --${name}-lt 5`, packet({ ttl: 4 }))).toBe(true);
    expect(test(`-m ${name} --${name}-lt 5`, packet({ ttl: 5 }))).toBe(false);
    expect(test(`-m ${name} --${name}-gt 5`, packet({ ttl: 5 }))).toBe(false);
    expect(test(`-m ${name} --${name}-gt 5`, packet({ ttl: 6 }))).toBe(true);
  });

  it('takes an unknown count as 64, or 63 once the host has forwarded the packet', () => {
    expect(test(`-m ${name} --${name}-eq 64`, packet())).toBe(true);
    expect(test(`-m ${name} --${name}-eq 63`, packet({ outInterface: 'eth1' }))).toBe(true);
    expect(test(`-m ${name} --${name}-eq 64`, packet({ inInterface: undefined, outInterface: 'eth0' }))).toBe(true);
  });

  it('prints and refuses as the tool does', () => {
    const saved = (spec: string) => printIptablesSave(rules(spec)).split('\n').find((l) => l.startsWith('-A'));
    expect(saved(`-m ${name} --${name}-lt 0x10`)).toBe(`-A INPUT -m ${name} --${name}-lt 16`);
    expect(saved(`-m ${name} ! --${name}-eq 7`)).toBe(`-A INPUT -m ${name} ! --${name}-eq 7`);
    expect(() => rules(`-m ${name} ! --${name}-lt 10`)).toThrow(`${name}: option "--${name}-lt" cannot be inverted.`);
    expect(() => rules(`-m ${name} --${name}-eq 256`)).toThrow(`${name}: bad value for option "--${name}-eq", or out of range (0-255).`);
    expect(() => rules(`-m ${name} --${name}-eq 1 --${name}-gt 3`)).toThrow(/cannot be used together/);
    expect(() => rules(`-m ${name}`)).toThrow(missing);
  });
});

describe('-m tos and -m dscp', () => {
  it('test the TOS byte under a mask, and its upper six bits', () => {
    expect(matches('-m tos --tos 0x10', packet({ tos: 0x10 }))).toBe(true);
    expect(matches('-m tos --tos 0x10', packet({ tos: 0x11 }))).toBe(false);
    expect(matches('-m tos --tos Minimize-Delay', packet({ tos: 0xd0 }))).toBe(true); // mask 0x3f
    expect(matches('-m tos --tos 0', packet())).toBe(true);
    expect(matches('-m dscp --dscp-class EF', packet({ tos: 46 << 2 }))).toBe(true);
    expect(matches('-m dscp ! --dscp 0', packet({ tos: 1 }))).toBe(false); // ECN bits are not DSCP
  });

  it('know the DSCP class names', () => {
    expect([dscpClass('be'), dscpClass('CS7'), dscpClass('af41'), dscpClass('AF13'), dscpClass('EF'), dscpClass('AF44')]).toEqual([0, 56, 34, 14, 46, undefined]);
  });

  it('print and refuse as iptables does', () => {
    expect(saved('-m tos --tos 8')).toBe('-A INPUT -m tos --tos 0x08/0xff');
    expect(saved('-m tos ! --tos normal-service')).toBe('-A INPUT -m tos ! --tos 0x00/0x3f');
    expect(saved('-m dscp --dscp-class af41')).toBe('-A INPUT -m dscp --dscp 0x22');
    expect(refused('-m tos --tos foo')).toThrow('Symbolic name "foo" is unknown');
    expect(refused('-m tos --tos 0x100')).toThrow('Symbolic name "0x100" is unknown');
    expect(refused('-m dscp --dscp 64')).toThrow('dscp: bad value for option "--dscp", or out of range (0-63).');
    expect(refused('-m dscp --dscp-class foo')).toThrow("Invalid DSCP value `foo'");
    expect(refused('-m dscp')).toThrow('DSCP match: Parameter --dscp is required');
  });
});
