/** `-m iprange`: inclusive address ranges, as xt_iprange decides them and iptables-save prints them. */
import { ManualClock } from '../../common/clock';
import { SeededRandom } from '../../common/random';
import { tryParseIPv4 } from '../../common/ipv4';
import { StaticHostView } from '../host-view';
import { parseRuleset } from '../iptables-text.parser';
import { parseRuleSpec } from '../rule-spec.parser';
import { printIptablesSave } from '../iptables-save.printer';
import { InMemoryRecentStore, MapMatchState } from '../recent-store';
import { Table } from '../table';
import type { MatchContext, Packet } from '../types';

const ip = (text: string): number => tryParseIPv4(text)!;
const packet = (source: string, destination: string): Packet => ({
  protocol: 'tcp',
  source: ip(source),
  destination: ip(destination),
  sourcePort: 40000,
  destinationPort: 80,
  mark: 0,
  ctstate: 'NEW',
});
const ctx: MatchContext = {
  now: new ManualClock().now(),
  random: new SeededRandom(1),
  host: new StaticHostView([]),
  recent: new InMemoryRecentStore(),
  state: new MapMatchState(),
};
const matches = (spec: string, p: Packet) => parseRuleSpec(spec, new Table('filter')).matchesPacket(p, ctx);
const saved = (spec: string) => printIptablesSave(parseRuleset(`*filter\n-A INPUT ${spec}\nCOMMIT\n`)).split('\n').find((l) => l.startsWith('-A'));
const refused = (spec: string) => () => parseRuleset(`*filter\n-A INPUT ${spec}\nCOMMIT\n`);

describe('-m iprange', () => {
  it('matches a source or destination inside the inclusive range', () => {
    const rule = '-m iprange --src-range 10.0.0.5-10.0.0.9';
    expect(matches(rule, packet('10.0.0.5', '1.1.1.1'))).toBe(true);
    expect(matches(rule, packet('10.0.0.9', '1.1.1.1'))).toBe(true);
    expect(matches(rule, packet('10.0.0.4', '1.1.1.1'))).toBe(false);
    expect(matches(rule, packet('10.0.0.10', '1.1.1.1'))).toBe(false);
    expect(matches('-m iprange --dst-range 1.1.1.1', packet('10.0.0.5', '1.1.1.1'))).toBe(true);
    expect(matches('-m iprange --dst-range 1.1.1.1', packet('10.0.0.5', '1.1.1.2'))).toBe(false);
  });

  it('negates each range on its own, and needs both to hold', () => {
    const rule = '-m iprange ! --src-range 10.0.0.0-10.0.0.255 --dst-range 192.168.0.1-192.168.0.9';
    expect(matches(rule, packet('10.0.1.1', '192.168.0.5'))).toBe(true);
    expect(matches(rule, packet('10.0.0.1', '192.168.0.5'))).toBe(false);
    expect(matches(rule, packet('10.0.1.1', '192.168.0.10'))).toBe(false);
  });

  it('a reversed range matches nothing, and its negation everything', () => {
    expect(matches('-m iprange --src-range 10.0.0.9-10.0.0.1', packet('10.0.0.5', '1.1.1.1'))).toBe(false);
    expect(matches('-m iprange ! --src-range 10.0.0.9-10.0.0.1', packet('10.0.0.5', '1.1.1.1'))).toBe(true);
  });

  it('prints as iptables-save does: source first, a single address as a range, short forms spelled out', () => {
    expect(saved('-m iprange --dst-range 10.0.0.5 ! --src-range 10.1-0x0a.2.0.0 -j ACCEPT')).toBe(
      '-A INPUT -m iprange ! --src-range 10.1.0.0-10.2.0.0 --dst-range 10.0.0.5-10.0.0.5 -j ACCEPT',
    );
  });

  it("refuses what iptables refuses, with its words", () => {
    expect(refused('-m iprange -j ACCEPT')).toThrow("iprange match: You must specify `--src-range' or `--dst-range'");
    expect(refused('-m iprange --src-range 10.0.0.300-10.0.0.4')).toThrow('iprange: Bad value for "--src-range" option: "10.0.0.300"');
    expect(refused('-m iprange --dst-range 10.0.0.1-')).toThrow('iprange: Bad value for "--dst-range" option: ""');
    expect(refused('-m iprange --src-range 10.0.0.1/24')).toThrow('iprange: Bad value for "--src-range" option: "10.0.0.1/24"');
    expect(refused('-m iprange --src-range 10.0.0.1-10.0.0.2-10.0.0.3')).toThrow('iprange: Bad value for "--src-range" option: "10.0.0.2-10.0.0.3"');
  });
});
