/** `-m limit`: xt_limit's token bucket on the simulated clock, its rate text and its errors. */
import { ManualClock } from '../../common/clock';
import { SeededRandom } from '../../common/random';
import { NetfilterEngine } from '../engine';
import type { TraceInput } from '../trace-input';
import { Host } from '../host';
import { StaticHostView } from '../host-view';
import { parseRuleset } from '../iptables-text.parser';
import { parseRuleSpec } from '../rule-spec.parser';
import { printIptablesSave } from '../iptables-save.printer';
import { InMemoryRecentStore, MapMatchState } from '../recent-store';
import { Table } from '../table';
import type { MatchContext, Packet } from '../types';
import { CREDITS_PER_JIFFY, HZ, LimitMatch, formatRate, jiffiesAt, limitCredits } from './limit.match';

const packet: Packet = { protocol: 'udp', source: 1, destination: 2, sourcePort: 1, destinationPort: 2, mark: 0, ctstate: 'NEW' };

/** A rule's match, and a function that sends one packet at `ms` and says whether it matched. */
function bucket(spec: string) {
  const rule = parseRuleSpec(spec, new Table('filter'));
  const state = new MapMatchState();
  const ctx = (now: number): MatchContext => ({ now, random: new SeededRandom(1), host: new StaticHostView([]), recent: new InMemoryRecentStore(), state });
  return { match: rule.matches[0] as LimitMatch, at: (ms: number) => rule.matchesPacket(packet, ctx(ms)) };
}

const saved = (spec: string) => printIptablesSave(parseRuleset(`*filter\n-A INPUT ${spec}\nCOMMIT\n`)).split('\n').find((l) => l.startsWith('-A'));
const refused = (spec: string) => () => parseRuleset(`*filter\n-A INPUT ${spec}\nCOMMIT\n`);

describe('-m limit', () => {
  it('has the constants of a HZ=250 kernel: 128 credits a jiffy, 32000 a second', () => {
    expect(HZ).toBe(250);
    expect(CREDITS_PER_JIFFY).toBe(128);
    expect(jiffiesAt(1000)).toBe(250);
    expect(jiffiesAt(3)).toBe(0);
    // avg 1/sec = 10000: 10000 * 32000 / 10000; 1/hour overflows the multiplication and divides first.
    expect(limitCredits(10000)).toBe(32000);
    expect(limitCredits(36000000)).toBe(3600 * 32000);
  });

  it('lets a full burst through at once, then one packet per period', () => {
    const { at } = bucket('-m limit --limit 1/sec --limit-burst 3');
    expect([at(0), at(0), at(0), at(0)]).toEqual([true, true, true, false]);
    expect(at(996)).toBe(false); // 249 jiffies: 31872 credits, one short
    expect(at(1000)).toBe(true); // the 250th jiffy completes the credit (it was counted from the last packet)
    expect(at(1000)).toBe(false);
  });

  it('refills to the burst and no further', () => {
    const { at } = bucket('-m limit --limit 2/sec --limit-burst 2');
    expect([at(0), at(0), at(0)]).toEqual([true, true, false]);
    expect([at(60_000), at(60_000), at(60_000)]).toEqual([true, true, false]);
  });

  it('counts time in whole jiffies: 4 ms steps', () => {
    // 250/sec: one packet per jiffy; the burst of 1 means no saving up.
    const { at } = bucket('-m limit --limit 250/sec --limit-burst 1');
    expect([at(0), at(1), at(3), at(4), at(7), at(8)]).toEqual([true, false, false, true, false, true]);
  });

  it('keeps the kernel rounding of the cost: 3/min costs 640000 credits, 20 s of refill', () => {
    const { match, at } = bucket('-m limit --limit 3/min --limit-burst 1');
    expect(match.cost).toBe(640000);
    expect(at(0)).toBe(true);
    expect(at(19_996)).toBe(false);
    expect(at(20_000)).toBe(true);
  });

  it('a trace that enumerates paths does not spend the bucket; sent packets do, and a reload refills it', () => {
    const rules = '*filter\n:INPUT DROP [0:0]\n-A INPUT -m limit --limit 1/hour --limit-burst 2 -j ACCEPT\nCOMMIT\n';
    const clock = new ManualClock();
    const engine = (ruleset = parseRuleset(rules)) => new NetfilterEngine({ ruleset, host: Host.defaultNode(), clock, random: new SeededRandom(1) });
    const e = engine();
    const input: TraceInput = { hook: 'PREROUTING', inInterface: 'eth0', protocol: 'udp', source: '203.0.113.2', sourcePort: 1000, destination: '192.168.0.2', destinationPort: 53 };
    for (let i = 0; i < 5; i++) expect(e.enumerate(input).map((o) => o.verdict)).toEqual(['ACCEPT']);
    expect([1, 2, 3].map((k) => e.sample({ ...input, sourcePort: 1000 + k }).verdict)).toEqual(['ACCEPT', 'ACCEPT', 'DROP']);
    expect(engine().sample({ ...input, sourcePort: 2000 }).verdict).toBe('ACCEPT');
  });

  it('prints rates as libxt_limit does', () => {
    expect(formatRate(10000 * 60 / 3)).toBe('3/min');
    expect(formatRate(864)).toBe('694/min');
    expect(formatRate(1)).toBe('10000/sec');
    expect(saved('-m limit --limit 3/minute --limit-burst 5 -j ACCEPT')).toBe('-A INPUT -m limit --limit 3/min -j ACCEPT');
    expect(saved('-m limit -j ACCEPT')).toBe('-A INPUT -m limit --limit 3/hour -j ACCEPT');
    expect(saved('-m limit --limit-burst 0 -j ACCEPT')).toBe('-A INPUT -m limit --limit 3/hour -j ACCEPT');
    expect(saved('-m limit --limit 3abc/S --limit-burst 0x10 -j ACCEPT')).toBe('-A INPUT -m limit --limit 3/sec --limit-burst 16 -j ACCEPT');
    expect(saved('-m limit --limit 10 -j ACCEPT')).toBe('-A INPUT -m limit --limit 10/sec -j ACCEPT');
  });

  it('refuses what iptables refuses, with its words', () => {
    expect(refused('-m limit --limit 10001/sec')).toThrow('Rate too fast "10001/sec"');
    expect(refused('-m limit --limit 3/x')).toThrow(`bad rate "3/x"'`);
    expect(refused('-m limit --limit 3/')).toThrow(`bad rate "3/"'`);
    expect(refused('-m limit --limit 0x10/s')).toThrow(`bad rate "0x10/s"'`);
    expect(refused('-m limit --limit-burst 10001')).toThrow('limit: bad value for option "--limit-burst", or out of range (0-10000).');
    expect(refused('-m limit ! --limit 3/s')).toThrow('limit: option "--limit" cannot be inverted.');
  });
});
