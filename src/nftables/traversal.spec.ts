/**
 * The nftables traversal engine on upstream's overall ruleset (the
 * transaction of TestOverallNFTablesRules, loaded as `nft -f` loads it), and
 * on small hand-written rulesets for each statement.
 */
import { ManualClock } from '../common/clock';
import { SeededRandom } from '../common/random';
import { NetfilterEngine } from '../netfilter/engine';
import type { TraceInput } from '../netfilter/trace-input';
import { Host } from '../netfilter/host';
import { Ruleset } from '../netfilter/ruleset';
import { parseRuleset } from '../netfilter/iptables-text.parser';
import { printTableWith } from './list-printer';
import { emptyRuleset, type NftRuleset } from './model';
import { applyTransaction } from './transaction';
import { parseNftTransaction } from './transaction-parser';
import { nftHookEntries, numgenWeights } from './traversal';
import { populateNft, upstreamNftProxier } from '../../test/support/kube-proxy/nftables';
import { overallObjects } from '../../test/support/kube-proxy/upstream-cases';

/** Upstream's TestOverallNFTablesRules table, as our proxier writes it (equal to upstream's golden: nft-proxier.upstream.spec.ts). */
function overall(): NftRuleset {
  const { proxier } = upstreamNftProxier();
  populateNft(proxier, overallObjects());
  proxier.sync();
  return proxier.ruleset;
}

function load(text: string): NftRuleset {
  const ruleset = emptyRuleset();
  applyTransaction(ruleset, parseNftTransaction(text));
  return ruleset;
}

function engine(nft: NftRuleset, clock = new ManualClock(0)): NetfilterEngine {
  return new NetfilterEngine({ ruleset: new Ruleset('ipv4'), host: Host.defaultNode(), clock, random: new SeededRandom(7), nftables: nftHookEntries(nft) });
}

const fromPod = (destination: string, destinationPort: number, source = '10.0.0.2'): TraceInput => ({
  hook: 'PREROUTING',
  inInterface: 'eth0',
  protocol: 'tcp',
  source,
  sourcePort: 40000,
  destination,
  destinationPort,
});

describe('nftables traversal: upstream overall ruleset', () => {
  const e = engine(overall());

  it('DNATs a ClusterIP to its one endpoint, through service-ips and the numgen vmap', () => {
    const out = e.enumerate(fromPod('172.30.0.41', 80));
    expect(out.map((o) => [o.verdict, o.dnat, o.probability])).toEqual([['ACCEPT', '10.180.0.1:80', 1]]);
    const actions = out[0].steps.filter((s) => s.table === 'ip kube-proxy').map((s) => `${s.chain}: ${s.action}`);
    expect(actions).toContain('services: vmap @service-ips: goto service-ULMVA6XW-ns1/svc1/tcp/p80');
    expect(out[0].steps.find((s) => s.action.startsWith('DNAT'))?.rule).toBe('meta l4proto tcp dnat to 10.180.0.1:80 # handle ' + String(out[0].steps.find((s) => s.action.startsWith('DNAT'))!.rule!.split('# handle ')[1]));
  });

  it('splits two endpoints with numgen\'s exact probabilities', () => {
    const out = e.enumerate(fromPod('172.30.0.44', 80));
    expect(out.map((o) => [o.dnat, o.probability]).sort()).toEqual([
      ['10.180.0.4:80', 0.5],
      ['10.180.0.5:80', 0.5],
    ]);
  });

  it('masquerades traffic from outside the pod CIDR to a ClusterIP', () => {
    const out = e.enumerate(fromPod('172.30.0.41', 80, '192.168.0.7'));
    expect(out).toHaveLength(1);
    expect(out[0].masquerade).toBe(true);
    expect(out[0].dnat).toBe('10.180.0.1:80');
  });

  it('rejects an unknown port of a ClusterIP (cluster-ips-check)', () => {
    const out = e.enumerate(fromPod('172.30.0.41', 81));
    expect(out.map((o) => [o.verdict, o.rejectWith])).toEqual([['REJECT', 'icmp-port-unreachable']]);
  });

  it('drops traffic to an unallocated ClusterIP', () => {
    expect(e.enumerate(fromPod('172.30.0.99', 80)).map((o) => o.verdict)).toEqual(['DROP']);
  });
});

describe('numgen weights', () => {
  it('are the kernel\'s reciprocal_scale buckets, summing to 1', () => {
    expect(numgenWeights(2)).toEqual([0.5, 0.5]);
    expect(numgenWeights(3)).toEqual([1431655766 / 2 ** 32, 1431655765 / 2 ** 32, 1431655765 / 2 ** 32]);
    for (const n of [1, 5, 7, 10, 100]) expect(numgenWeights(n).reduce((a, b) => a + b, 0)).toBe(1);
  });
});

describe('nftables traversal: statements and hooks', () => {
  const AFFINITY = [
    'add table ip t',
    'add chain ip t pre { type nat hook prerouting priority dstnat ; }',
    'add set ip t aff { type ipv4_addr ; flags dynamic,timeout ; timeout 10s ; }',
    'add chain ip t ep0',
    'add chain ip t ep1',
    'add rule ip t pre ip daddr 10.96.0.1 ip saddr @aff goto ep1',
    'add rule ip t pre ip daddr 10.96.0.1 numgen random mod 2 vmap { 0 : goto ep0 , 1 : goto ep1 }',
    'add rule ip t ep0 meta l4proto tcp dnat to 10.244.0.5:8080',
    'add rule ip t ep1 update @aff { ip saddr }',
    'add rule ip t ep1 meta l4proto tcp dnat to 10.244.0.6:8080',
  ].join('\n');

  it('keeps affinity in a dynamic set until the element times out on the injected clock', () => {
    const clock = new ManualClock(0);
    const e = engine(load(AFFINITY), clock);
    const packet = { ...fromPod('10.96.0.1', 80), sourcePort: 40001 };
    const both = e.enumerate(packet);
    expect(both.map((o) => [o.dnat, o.probability]).sort()).toEqual([
      ['10.244.0.5:8080', 0.5],
      ['10.244.0.6:8080', 0.5],
    ]);
    // Enumeration wrote nothing: take the path to 10.244.0.6 for real.
    e.commit(packet, both.find((o) => o.dnat === '10.244.0.6:8080')!);
    const next = { ...packet, sourcePort: 40002 };
    expect(e.enumerate(next).map((o) => [o.dnat, o.probability])).toEqual([['10.244.0.6:8080', 1]]);
    clock.advance(10_001);
    expect(e.enumerate(next)).toHaveLength(2);
  });

  it('counts a listed element\'s time left down from the first lookup, and an update refreshes it', () => {
    const clock = new ManualClock(5_000);
    const listed = load(`${AFFINITY}\nadd element ip t aff { 10.0.0.2 expires 3s, 10.0.0.3 }`);
    const e = engine(listed, clock);
    const from = (source: string, sourcePort = 40001) => ({ ...fromPod('10.96.0.1', 80, source), sourcePort });
    expect(e.enumerate(from('10.0.0.2')).map((o) => o.dnat)).toEqual(['10.244.0.6:8080']);
    clock.advance(2_999);
    expect(e.enumerate(from('10.0.0.2')).map((o) => o.dnat)).toEqual(['10.244.0.6:8080']);
    clock.advance(1);
    // 10.0.0.2's 3 s are up; 10.0.0.3 has the set's 10 s.
    expect(e.enumerate(from('10.0.0.2'))).toHaveLength(2);
    expect(e.enumerate(from('10.0.0.3')).map((o) => o.dnat)).toEqual(['10.244.0.6:8080']);
    // A packet of 10.0.0.3's taken for real refreshes its element for the set's 10 s.
    clock.advance(6_000);
    e.commit(from('10.0.0.3'), e.enumerate(from('10.0.0.3'))[0]);
    clock.advance(9_000);
    expect(e.enumerate(from('10.0.0.3', 40002)).map((o) => o.dnat)).toEqual(['10.244.0.6:8080']);
    clock.advance(1_000);
    expect(e.enumerate(from('10.0.0.3', 40002))).toHaveLength(2);
  });

  it('lists the elements sampled packets added, with the time each has left, as nft list shows a dynamic set', () => {
    const clock = new ManualClock(0);
    const nft = load(AFFINITY);
    const hooks = nftHookEntries(nft);
    const e = new NetfilterEngine({ ruleset: new Ruleset('ipv4'), host: Host.defaultNode(), clock, random: new SeededRandom(7), nftables: hooks });
    const packet = { ...fromPod('10.96.0.1', 80), sourcePort: 40001 };
    e.commit(packet, e.enumerate(packet).find((o) => o.dnat === '10.244.0.6:8080')!);
    clock.advance(4_000);
    const listed = () => printTableWith(nft.tables.get('ip t')!, (set) => hooks.addedElements(set, clock.now()));
    expect(listed()).toContain('\tset aff {\n\t\ttype ipv4_addr\n\t\tsize 65535\n\t\tflags dynamic,timeout\n\t\ttimeout 10s\n\t\telements = { 10.0.0.2 expires 6s }\n\t}');
    clock.advance(6_000);
    expect(listed()).toContain('\t\ttimeout 10s\n\t}');
  });

  it('runs base chains of ip and inet tables by priority with the iptables tables, one verdict ending the packet', () => {
    const nft = load(['add table inet f', 'add chain inet f early { type filter hook prerouting priority raw - 10 ; }', 'add rule inet f early tcp dport 22 drop'].join('\n'));
    const ipt = parseRuleset('*raw\n:PREROUTING ACCEPT [0:0]\n-A PREROUTING -p tcp --dport 22 -j ACCEPT\nCOMMIT\n');
    const e = new NetfilterEngine({ ruleset: ipt, host: Host.defaultNode(), clock: new ManualClock(0), nftables: nftHookEntries(nft) });
    const out = e.enumerate(fromPod('192.168.0.2', 22, '192.168.0.9'));
    expect(out.map((o) => o.verdict)).toEqual(['DROP']);
    expect(out[0].steps.map((s) => `${s.table} ${s.chain ?? ''} ${s.action}`)).toEqual(['inet f early drop']);
  });

  it('lets the nat chain of lower priority bind first (nft at dstnat - 10 before the iptables nat table)', () => {
    const nft = load(['add table ip n', 'add chain ip n pre { type nat hook prerouting priority -110 ; }', 'add rule ip n pre ip daddr 10.96.0.9 dnat to 10.244.1.1:80'].join('\n'));
    const ipt = parseRuleset('*nat\n:PREROUTING ACCEPT [0:0]\n-A PREROUTING -d 10.96.0.9/32 -p tcp -j DNAT --to-destination 10.244.2.2:80\nCOMMIT\n');
    const e = new NetfilterEngine({ ruleset: ipt, host: Host.defaultNode(), clock: new ManualClock(0), nftables: nftHookEntries(nft) });
    expect(e.enumerate(fromPod('10.96.0.9', 80)).map((o) => o.dnat)).toEqual(['10.244.1.1:80']);
    const later = load(['add table ip n', 'add chain ip n pre { type nat hook prerouting priority -90 ; }', 'add rule ip n pre ip daddr 10.96.0.9 dnat to 10.244.1.1:80'].join('\n'));
    const e2 = new NetfilterEngine({ ruleset: ipt, host: Host.defaultNode(), clock: new ManualClock(0), nftables: nftHookEntries(later) });
    expect(e2.enumerate(fromPod('10.96.0.9', 80)).map((o) => o.dnat)).toEqual(['10.244.2.2:80']);
  });

  it('refuses a statement it does not model, naming the rule', () => {
    const e = engine(load(['add table ip x', 'add chain ip x c { type filter hook input priority 0 ; }', 'add rule ip x c quota over 10 mbytes drop'].join('\n')));
    expect(() => e.enumerate(fromPod('192.168.0.2', 80, '192.168.0.9'))).toThrow(/chain ip x c: rule "quota over 10 mbytes drop" \(handle \d+\): "quota" is not a statement kube-netsim models/);
  });
});
