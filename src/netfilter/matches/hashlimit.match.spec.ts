/** `-m hashlimit`: per-flow token buckets in named tables, on the simulated clock. */
import { ManualClock } from '../../common/clock';
import { tryParseIPv4 } from '../../common/ipv4';
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
import { HASHLIMIT_CREDITS_PER_JIFFY, hashlimitCredits } from './hashlimit.match';

const ip = (text: string): number => tryParseIPv4(text)!;
const from = (source: string, sourcePort = 1000, destinationPort = 53): Packet => ({
  protocol: 'udp',
  source: ip(source),
  destination: ip('192.168.0.2'),
  sourcePort,
  destinationPort,
  mark: 0,
  ctstate: 'NEW',
});

/** Rules sharing one namespace's match state; `send(rule, packet, ms)` says whether the rule's match holds. */
function namespace() {
  const state = new MapMatchState();
  const ctx = (now: number): MatchContext => ({ now, random: new SeededRandom(1), host: new StaticHostView([]), recent: new InMemoryRecentStore(), state });
  return {
    state,
    rule: (spec: string) => {
      const rule = parseRuleSpec(spec, new Table('filter'));
      return (p: Packet, ms = 0) => rule.matchesPacket(p, ctx(ms));
    },
  };
}

const saved = (spec: string) => printIptablesSave(parseRuleset(`*filter\n-A INPUT ${spec}\nCOMMIT\n`)).split('\n').find((l) => l.startsWith('-A'));
const refused = (spec: string) => () => parseRuleset(`*filter\n-A INPUT ${spec}\nCOMMIT\n`);

describe('-m hashlimit', () => {
  it('counts 2^39 credits a jiffy and prices a packet at avg * floor(HZ * 2^39 / 10^6)', () => {
    expect(HASHLIMIT_CREDITS_PER_JIFFY).toBe(2n ** 39n);
    expect(hashlimitCredits(1_000_000n)).toBe(1_000_000n * 137438953n);
  });

  it('--hashlimit-upto: a bucket per source with --hashlimit-mode srcip', () => {
    const send = namespace().rule('-m hashlimit --hashlimit-upto 1/sec --hashlimit-burst 2 --hashlimit-mode srcip --hashlimit-name t --hashlimit-htable-expire 60000');
    expect([send(from('10.0.0.1')), send(from('10.0.0.1')), send(from('10.0.0.1'))]).toEqual([true, true, false]);
    expect(send(from('10.0.0.2'))).toBe(true);
    expect(send(from('10.0.0.1', 2000))).toBe(false); // the port is not part of the flow
    expect(send(from('10.0.0.1'), 1000)).toBe(true); // a second later: one more credit
    expect(send(from('10.0.0.1'), 1000)).toBe(false);
  });

  it('without a mode every packet shares one bucket; masks group sources', () => {
    const ns = namespace();
    const all = ns.rule('-m hashlimit --hashlimit-upto 1/hour --hashlimit-burst 1 --hashlimit-name all');
    expect([all(from('10.0.0.1')), all(from('10.9.9.9'))]).toEqual([true, false]);
    const nets = ns.rule('-m hashlimit --hashlimit-upto 1/hour --hashlimit-burst 1 --hashlimit-mode srcip --hashlimit-srcmask 24 --hashlimit-name nets');
    expect([nets(from('10.0.0.1')), nets(from('10.0.0.200')), nets(from('10.0.1.1'))]).toEqual([true, false, true]);
  });

  it('--hashlimit-above matches once the flow is over its limit', () => {
    const send = namespace().rule('-m hashlimit --hashlimit-above 1/min --hashlimit-burst 3 --hashlimit-mode srcip,dstport --hashlimit-name dns');
    expect([1, 2, 3, 4, 5].map(() => send(from('10.0.0.1')))).toEqual([false, false, false, true, true]);
    expect(send(from('10.0.0.1', 1000, 54))).toBe(false); // another destination port: another flow
  });

  it('rules naming one table share its flows; the table outlives a reload', () => {
    const ns = namespace();
    const first = ns.rule('-m hashlimit --hashlimit-upto 1/hour --hashlimit-burst 2 --hashlimit-mode srcip --hashlimit-name shared');
    const second = ns.rule('-m hashlimit --hashlimit-upto 1/hour --hashlimit-burst 2 --hashlimit-mode srcip --hashlimit-name shared');
    expect([first(from('10.0.0.1')), second(from('10.0.0.1')), first(from('10.0.0.1'))]).toEqual([true, true, false]);
    const reloaded = ns.rule('-m hashlimit --hashlimit-upto 1/hour --hashlimit-burst 2 --hashlimit-mode srcip --hashlimit-name shared');
    expect(reloaded(from('10.0.0.1'))).toBe(false);
    expect(namespace().rule('-m hashlimit --hashlimit-upto 1/hour --hashlimit-burst 2 --hashlimit-mode srcip --hashlimit-name shared')(from('10.0.0.1'))).toBe(true);
  });

  it('an idle flow expires (by default after the rate unit) at the next garbage collection and starts full again', () => {
    const send = namespace().rule('-m hashlimit --hashlimit-upto 1/hour --hashlimit-burst 1 --hashlimit-mode srcip --hashlimit-name idle --hashlimit-htable-expire 10000 --hashlimit-htable-gcinterval 3000');
    expect(send(from('10.0.0.1'), 0)).toBe(true);
    expect(send(from('10.0.0.1'), 500)).toBe(false); // refreshes the expiry: 10500
    expect(send(from('10.0.0.1'), 11_000)).toBe(false); // expired at 10500, collected only at 12000
    expect(send(from('10.0.0.1'), 23_000)).toBe(true); // expired at 21000, collected at 21000
  });

  it('a trace that enumerates paths leaves the buckets as they were', () => {
    const rules = '*filter\n:INPUT DROP [0:0]\n-A INPUT -m hashlimit --hashlimit-upto 1/hour --hashlimit-burst 1 --hashlimit-mode srcip --hashlimit-name t -j ACCEPT\nCOMMIT\n';
    const e = new NetfilterEngine({ ruleset: parseRuleset(rules), host: Host.defaultNode(), clock: new ManualClock(), random: new SeededRandom(1) });
    const input: TraceInput = { hook: 'PREROUTING', inInterface: 'eth0', protocol: 'udp', source: '203.0.113.2', sourcePort: 1000, destination: '192.168.0.2', destinationPort: 53 };
    expect([e.enumerate(input), e.enumerate(input)].map((o) => o.map((x) => x.verdict))).toEqual([['ACCEPT'], ['ACCEPT']]);
    expect([e.sample(input).verdict, e.sample({ ...input, sourcePort: 1001 }).verdict]).toEqual(['ACCEPT', 'DROP']);
    expect(e.enumerate(input).map((o) => o.verdict)).toEqual(['DROP']);
  });

  it('prints as iptables-save does', () => {
    expect(saved('-m hashlimit --hashlimit-upto 3/min --hashlimit-name a -j ACCEPT')).toBe('-A INPUT -m hashlimit --hashlimit-upto 3/min --hashlimit-burst 5 --hashlimit-name a -j ACCEPT');
    expect(saved('-m hashlimit --hashlimit-upto 60/min --hashlimit-name a -j ACCEPT')).toBe(
      '-A INPUT -m hashlimit --hashlimit-upto 1/sec --hashlimit-burst 5 --hashlimit-name a --hashlimit-htable-expire 60000 -j ACCEPT',
    );
    expect(saved('-m hashlimit ! --hashlimit-upto 5/s --hashlimit-mode dstport,srcip --hashlimit-name b -j DROP')).toBe(
      '-A INPUT -m hashlimit --hashlimit-above 5/sec --hashlimit-burst 5 --hashlimit-mode srcip,dstport --hashlimit-name b -j DROP',
    );
  });

  it('refuses what iptables or the kernel refuses', () => {
    expect(refused('-m hashlimit --hashlimit-upto 5/s')).toThrow('hashlimit: option "--hashlimit-name" must be specified');
    expect(refused('-m hashlimit --hashlimit-name x')).toThrow('You have to specify --hashlimit');
    expect(refused('-m hashlimit --hashlimit-upto 1000001/s --hashlimit-name x')).toThrow('Rate too fast "1000001/s"');
    expect(refused('-m hashlimit --hashlimit-upto 3/x --hashlimit-name x')).toThrow('hashlimit: Bad value for "--hashlimit-upto" option: "3/x"');
    expect(refused('-m hashlimit --hashlimit-upto 5/s --hashlimit-above 5/s --hashlimit-name x')).toThrow(/cannot be used together/);
    expect(refused('-m hashlimit --hashlimit-upto 5/s --hashlimit-mode SRCIP --hashlimit-name x')).toThrow('hashlimit: Bad value for "--hashlimit-mode" option: "SRCIP"');
    expect(refused('-m hashlimit --hashlimit-upto 5/s --hashlimit-burst 0 --hashlimit-name x')).toThrow('bad value for option "--hashlimit-burst", or out of range (1-1000000).');
    expect(refused('-m hashlimit --hashlimit-upto 5/s --hashlimit-srcmask 33 --hashlimit-name x')).toThrow(/RULE_APPEND failed \(Invalid argument\)/);
    expect(refused('-m hashlimit --hashlimit-upto 5/s --hashlimit-htable-expire 0 --hashlimit-name x')).toThrow(/RULE_APPEND failed \(Invalid argument\)/);
    expect(refused('-m hashlimit --hashlimit-upto 5/s --hashlimit-name a/b')).toThrow(/RULE_APPEND failed \(Invalid argument\)/);
    expect(refused('-m hashlimit --hashlimit-upto 1/day --hashlimit-burst 1000000 --hashlimit-name x')).toThrow(/Numerical result out of range/);
    expect(refused('-m hashlimit --hashlimit-upto 1kb/s --hashlimit-name x')).toThrow(/byte rates .* not modelled/);
  });
});
