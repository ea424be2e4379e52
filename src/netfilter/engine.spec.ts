/**
 * The traversal engine on real rulesets (the golden fixtures and small
 * hand-written ones): hooks in kernel order, conntrack, NAT on the first
 * packet only and reverse NAT on replies, routing, exact enumeration and
 * seeded sampling.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ManualClock } from '../common/clock';
import { DomainError } from '../common/domain-error';
import { tryParseIPv4 } from '../common/ipv4';
import { SeededRandom } from '../common/random';
import { NetfilterEngine } from './engine';
import { replyTo, type TraceInput } from './trace-input';
import { frozenStepViews, outcomeView, type TraceOutcome } from './outcome';
import { stepView } from './trace-steps';
import { Host, type HostSpec } from './host';
import { parseRuleset } from './iptables-text.parser';
import { PROBABILITY_SCALE } from './matches/statistic.match';
import { HOOK_STAGES } from './traversal';
import { HOOK_TABLES, HOOKS, TCP_FLAGS } from './types';

const FIXTURES = join(__dirname, '..', '..', 'fixtures', 'netfilter');
const fixture = (name: string): string => readFileSync(join(FIXTURES, `${name}.rules`), 'utf8');
const ip = (text: string): number => tryParseIPv4(text)!;

/** A kube-proxy node: eth0 on the node network, cni0 (10.180.0.254) for local pods in 10.180.0.0/24, other nodes' pods via eth0. */
const NODE: HostSpec = {
  interfaces: [
    { name: 'lo', addresses: ['127.0.0.1/8'] },
    { name: 'eth0', addresses: ['192.168.0.2/24'] },
    { name: 'cni0', addresses: ['10.180.0.254/24'] },
  ],
  routes: [
    { destination: 'default', via: '192.168.0.1' },
    { destination: '10.180.1.0/24', via: '192.168.0.3' },
    { destination: '10.180.2.0/24', via: '192.168.0.4' },
  ],
};

function engine(rules: string, options: { host?: HostSpec; seed?: number; linear?: boolean } = {}) {
  const clock = new ManualClock();
  const e = new NetfilterEngine({
    ruleset: parseRuleset(rules),
    host: Host.create(options.host ?? NODE),
    clock,
    random: new SeededRandom(options.seed ?? 1),
    linear: options.linear,
  });
  return { e, clock };
}

const fromPod = (destination: string, port: number, over: Partial<TraceInput> = {}): TraceInput => ({
  hook: 'PREROUTING',
  inInterface: 'cni0',
  protocol: 'tcp',
  source: '10.180.0.9',
  sourcePort: 40000,
  destination,
  destinationPort: port,
  ...over,
});

const fromOutside = (destination: string, port: number, over: Partial<TraceInput> = {}): TraceInput => ({
  hook: 'PREROUTING',
  inInterface: 'eth0',
  protocol: 'tcp',
  source: '192.168.0.77',
  sourcePort: 50000,
  destination,
  destinationPort: port,
  ...over,
});

const fromHost = (destination: string, port: number, over: Partial<TraceInput> = {}): TraceInput => ({
  hook: 'OUTPUT',
  protocol: 'tcp',
  sourcePort: 33000,
  destination,
  destinationPort: port,
  ...over,
});

const summary = (o: TraceOutcome) => ({
  verdict: o.verdict,
  delivery: o.delivery,
  dnat: o.dnat,
  snat: o.snat,
  masquerade: o.masquerade,
});

const total = (outcomes: TraceOutcome[]): number => outcomes.reduce((s, o) => s + o.probability, 0);
const fixed = (p: number): number => Math.round(p * PROBABILITY_SCALE) / PROBABILITY_SCALE;

describe('HOOK_STAGES', () => {
  it('runs the tables of HOOK_TABLES, in kernel priority order, with conntrack and nat around them', () => {
    for (const hook of HOOKS) {
      const stages = HOOK_STAGES[hook];
      const tables = stages.flatMap((s) => (s.kind === 'table' ? [s.table] : s.kind === 'nat' ? ['nat' as const] : []));
      expect(tables).toEqual(HOOK_TABLES[hook]);
      const priorities = stages.map((s) => s.priority);
      expect(priorities).toEqual([...priorities].sort((a, b) => a - b));
    }
    expect(HOOK_STAGES.PREROUTING.map((s) => s.kind)).toEqual(['table', 'conntrack', 'table', 'nat']);
    expect(HOOK_STAGES.POSTROUTING.at(-1)?.kind).toBe('confirm');
    expect(HOOK_STAGES.INPUT.at(-1)?.kind).toBe('confirm');
  });
});

describe('ClusterIP Services', () => {
  it('a pod reaching a 2-endpoint Service: two paths of exactly the kernel probability, no masquerade', () => {
    const { e } = engine(fixture('clusterip-2-endpoints'));
    const outcomes = e.enumerate(fromPod('172.30.0.42', 80));
    expect(outcomes.map(summary)).toEqual([
      { verdict: 'ACCEPT', delivery: 'forward', dnat: '10.180.0.2:80', snat: null, masquerade: false },
      { verdict: 'ACCEPT', delivery: 'forward', dnat: '10.180.1.2:80', snat: null, masquerade: false },
    ]);
    expect(outcomes[0].probability).toBe(fixed(0.5));
    expect(outcomes[0].outInterface).toBe('cni0');
    expect(outcomes[1].outInterface).toBe('eth0');
    expect(outcomes[1].nextHop).toBe('192.168.0.3');
    expect(total(outcomes)).toBeCloseTo(1, 12);
  });

  it('5 endpoints: 1/5 each, with probabilities from the 31-bit fixed-point values', () => {
    const { e } = engine(fixture('clusterip-5-endpoints'));
    const text = fixture('clusterip-5-endpoints');
    const vip = /-d (172\.30\.0\.\d+) --dport (\d+)/.exec(text)!;
    const outcomes = e.enumerate(fromPod(vip[1], Number(vip[2])));
    expect(outcomes).toHaveLength(5);
    for (const o of outcomes) expect(o.probability).toBeCloseTo(0.2, 8);
    expect(new Set(outcomes.map((o) => o.dnat)).size).toBe(5);
    expect(total(outcomes)).toBeCloseTo(1, 12);
    // The first endpoint's probability is exactly the stored value of 0.2.
    expect(outcomes[0].probability).toBe(fixed(0.2));
  });

  it('a client outside the cluster CIDR is masqueraded to the egress interface address', () => {
    const { e } = engine(fixture('clusterip-2-endpoints'));
    const outcomes = e.enumerate(fromOutside('172.30.0.42', 80));
    expect(outcomes.map((o) => [o.dnat, o.snat, o.masquerade])).toEqual([
      ['10.180.0.2:80', '10.180.0.254:50000', true],
      ['10.180.1.2:80', '192.168.0.2:50000', true],
    ]);
  });

  it('each outcome carries its whole path: hook, table, chain, rule number, rule text, action', () => {
    const { e } = engine(fixture('clusterip-1-endpoint'));
    const text = fixture('clusterip-1-endpoint');
    const vip = /-d (172\.30\.0\.\d+) --dport (\d+)/.exec(text)!;
    const [o] = e.enumerate(fromPod(vip[1], Number(vip[2])));
    const nat = o.steps.filter((s) => s.table === 'nat' && s.hook === 'PREROUTING').map(stepView);
    expect(nat[0]).toMatchObject({ hook: 'PREROUTING', chain: 'PREROUTING', ruleNumber: 1, action: 'jump KUBE-SERVICES' });
    expect(nat[0].rule).toBe('-A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES');
    expect(nat.at(-1)!.action).toMatch(/^DNAT to 10\.180\.\d+\.\d+:\d+$/);
    expect(nat.at(-1)!.rule).toMatch(/^-A KUBE-SEP-\S+ -p tcp .*-j DNAT --to-destination/);
    const hooks = [...new Set(o.steps.map((s) => s.hook))];
    expect(hooks).toEqual(['PREROUTING', 'FORWARD', 'POSTROUTING']);
    expect(o.steps.map((s) => s.table)).toContain('conntrack');
    expect(o.steps.map((s) => s.table)).toContain('routing');
  });

  it('frozenStepViews: the steps as stepView gives them, frozen, a rule\'s view shared between traces', () => {
    const { e } = engine(fixture('clusterip-5-endpoints'));
    const vip = /-d (172\.30\.0\.\d+) --dport (\d+)/.exec(fixture('clusterip-5-endpoints'))!;
    const first = e.enumerate(fromPod(vip[1], Number(vip[2])));
    const again = e.enumerate(fromPod(vip[1], Number(vip[2]), { sourcePort: 50001 }));
    for (const o of first) {
      const views = frozenStepViews(o);
      expect(views).toEqual(o.steps.map(stepView));
      expect(views.every((v) => Object.isFrozen(v))).toBe(true);
    }
    const jump = (o: TraceOutcome) => frozenStepViews(o).find((v) => v.action === 'jump KUBE-SERVICES')!;
    expect(jump(again[0])).toBe(jump(first[0]));
  });

  it('a Service without endpoints is rejected in filter', () => {
    const text = fixture('no-endpoints');
    const rule = /-A KUBE-SERVICES .*-d (172\.30\.0\.\d+)\S* .*--dport (\d+) -j REJECT/.exec(text)!;
    const { e } = engine(text);
    const outcomes = e.enumerate(fromPod(rule[1], Number(rule[2])));
    expect(outcomes).toHaveLength(1);
    expect(outcomes[0]).toMatchObject({ verdict: 'REJECT', rejectWith: 'icmp-port-unreachable', delivery: null });
    expect(outcomes[0].steps.at(-1)).toMatchObject({ table: 'filter', chain: 'KUBE-SERVICES', action: 'REJECT --reject-with icmp-port-unreachable' });
  });

  it('hairpin: a pod reaching its own Service is masqueraded to the bridge address', () => {
    const { e } = engine(fixture('hairpin'));
    const outcomes = e.enumerate(fromPod('172.30.0.50', 443, { source: '10.180.0.50' }));
    const self = outcomes.find((o) => o.dnat === '10.180.0.50:8443')!;
    expect(self.masquerade).toBe(true);
    expect(self.snat).toBe('10.180.0.254:40000');
    expect(self.outInterface).toBe('cni0');
    const other = outcomes.find((o) => o.dnat === '10.180.0.51:8443')!;
    expect(other.masquerade).toBe(false);
  });
});

describe('NodePorts and external traffic', () => {
  it('from outside, a NodePort on the node address is DNATed and masqueraded', () => {
    const { e } = engine(fixture('nodeport'));
    const outcomes = e.enumerate(fromOutside('192.168.0.2', 30082));
    expect(outcomes.map(summary)).toEqual([
      { verdict: 'ACCEPT', delivery: 'forward', dnat: '10.180.0.4:8082', snat: '10.180.0.254:50000', masquerade: true },
      { verdict: 'ACCEPT', delivery: 'forward', dnat: '10.180.1.4:8082', snat: '192.168.0.2:50000', masquerade: true },
    ]);
    const chains = outcomes[0].steps.filter((s) => s.table === 'nat').map((s) => s.chain);
    expect(chains).toEqual(
      expect.arrayContaining(['KUBE-SERVICES', 'KUBE-NODEPORTS', 'KUBE-MARK-MASQ', 'KUBE-POSTROUTING']),
    );
  });

  it('a packet to the node that matches no Service is delivered locally, untouched', () => {
    const { e } = engine(fixture('nodeport'));
    const [o] = e.enumerate(fromOutside('192.168.0.2', 22));
    expect(summary(o)).toEqual({ verdict: 'ACCEPT', delivery: 'local', dnat: null, snat: null, masquerade: false });
    expect([...new Set(o.steps.map((s) => s.hook))]).toEqual(['PREROUTING', 'INPUT']);
  });

  it('from the node itself to its own NodePort: OUTPUT DNAT, re-route, masquerade', () => {
    const { e } = engine(fixture('nodeport'));
    const outcomes = e.enumerate(fromHost('192.168.0.2', 30082));
    expect(outcomes.map((o) => [o.dnat, o.snat, o.outInterface])).toEqual([
      ['10.180.0.4:8082', '10.180.0.254:33000', 'cni0'],
      ['10.180.1.4:8082', '192.168.0.2:33000', 'eth0'],
    ]);
    expect(outcomes[0].steps.some((s) => s.table === 'routing' && s.action.startsWith('re-route after DNAT'))).toBe(true);
  });

  it('LoadBalancer source ranges: an allowed source reaches the Service, another is dropped', () => {
    const { e } = engine(fixture('loadbalancer-source-ranges'));
    // KUBE-FW lets 203.0.113.0/25 on to the Service; anything else keeps its destination
    // (no DNAT) and filter's KUBE-PROXY-FIREWALL drops it.
    const ok = e.enumerate(fromOutside('1.2.3.4', 80, { source: '203.0.113.7' }));
    expect(ok.length).toBeGreaterThan(0);
    expect(ok.every((o) => o.verdict === 'ACCEPT' && o.dnat !== null)).toBe(true);
    const blocked = e.enumerate(fromOutside('1.2.3.4', 80, { source: '198.51.100.200' }));
    expect(blocked.map((o) => [o.verdict, o.dnat])).toEqual([['DROP', null]]);
    expect(blocked[0].steps.at(-1)).toMatchObject({ hook: 'FORWARD', table: 'filter', chain: 'KUBE-PROXY-FIREWALL', action: 'DROP' });
  });
});

describe('conntrack', () => {
  it('NAT runs for the first packet only; later packets and replies follow the connection', () => {
    const { e } = engine(fixture('clusterip-2-endpoints'));
    const first = e.sample(fromOutside('172.30.0.42', 80));
    expect(first.conntrack.state).toBe('NEW');
    expect(e.conntrack.size).toBe(1);
    const chosen = first.dnat;

    // The reply from the endpoint: conntrack undoes the masquerade (PREROUTING) and the DNAT (POSTROUTING).
    const reply = e.sample(replyTo(first.packet, { hook: 'PREROUTING', inInterface: first.outInterface! }));
    expect(reply.conntrack).toMatchObject({ state: 'ESTABLISHED', direction: 'reply' });
    expect(reply.dnat).toBe('192.168.0.77:50000');
    expect(reply.snat).toBe('172.30.0.42:80');
    expect(reply.outInterface).toBe('eth0');
    expect(reply.steps.some((s) => s.table === 'nat' && s.chain !== null)).toBe(false);

    // Every later packet goes to the same endpoint without walking the nat table.
    for (let i = 0; i < 20; i++) {
      const again = e.enumerate(fromOutside('172.30.0.42', 80));
      expect(again).toHaveLength(1);
      expect(again[0].dnat).toBe(chosen);
      expect(again[0].conntrack.state).toBe('ESTABLISHED');
      expect(again[0].steps.some((s) => s.table === 'nat' && s.chain === 'KUBE-SERVICES')).toBe(false);
    }
  });

  it('lists connections as conntrack -L does, with Linux timeouts on the injected clock', () => {
    const { e, clock } = engine(fixture('clusterip-2-endpoints'));
    const first = e.sample(fromPod('172.30.0.42', 80));
    let [entry] = e.conntrack.list();
    expect(entry.state).toBe('SYN_SENT');
    expect(entry.timeout).toBe(120);
    expect(entry.text).toMatch(/^tcp {6}6 120 SYN_SENT src=10\.180\.0\.9 dst=172\.30\.0\.42 sport=40000 dport=80 \[UNREPLIED\] src=10\.180\.\d\.2 dst=10\.180\.0\.9 sport=80 dport=40000 mark=0 use=1$/);
    e.sample(replyTo(first.packet, { hook: 'PREROUTING', inInterface: first.outInterface! }));
    e.sample(fromPod('172.30.0.42', 80, { tcpFlags: TCP_FLAGS.ACK }));
    [entry] = e.conntrack.list();
    expect(entry.state).toBe('ESTABLISHED');
    expect(entry.timeout).toBe(432000);
    expect(entry.flags).toEqual(['ASSURED']);
    clock.advance(432001 * 1000);
    expect(e.conntrack.list()).toEqual([]);
    expect(e.sample(fromPod('172.30.0.42', 80)).conntrack.state).toBe('NEW');
  });

  it('UDP: 30 s without a reply, 120 s once replied', () => {
    const { e, clock } = engine(fixture('nodeport'));
    const dns = fromPod('172.30.0.45', 53, { protocol: 'udp' });
    const first = e.sample(dns);
    expect(e.conntrack.list()[0].timeout).toBe(30);
    clock.advance(31000);
    expect(e.enumerate(dns)[0].conntrack.state).toBe('NEW');
    const again = e.sample(dns);
    e.sample(replyTo(again.packet, { hook: 'PREROUTING', inInterface: again.outInterface! }));
    expect(e.conntrack.list()[0].timeout).toBe(120);
    expect(first.conntrack.state).toBe('NEW');
  });

  it('a TCP packet that cannot start a connection is INVALID (and the ctstate fixture drops it)', () => {
    const { e } = engine(fixture('ctstate'));
    const rst = e.enumerate(fromOutside('192.168.0.2', 80, { tcpFlags: TCP_FLAGS.RST }));
    expect(rst[0].conntrack.state).toBe('INVALID');
    expect(rst[0].verdict).toBe('DROP');
    expect(rst[0].steps.at(-1)).toMatchObject({ chain: 'INPUT', ruleNumber: 2, action: 'DROP' });
    const ssh = e.enumerate(fromOutside('192.168.0.2', 22));
    expect(ssh[0]).toMatchObject({ verdict: 'ACCEPT', delivery: 'local' });
    // NOTRACK in raw: the packet is UNTRACKED (and INPUT accepts it).
    const lo = e.enumerate(fromHost('127.0.0.1', 5000));
    expect(lo[0].conntrack.state).toBe('UNTRACKED');
    expect(lo[0]).toMatchObject({ verdict: 'ACCEPT', delivery: 'local' });
  });

  it('an ICMP error about a connection is RELATED to it', () => {
    const { e } = engine(fixture('ctstate'));
    const out = e.sample(fromHost('192.168.0.50', 80));
    expect(out.verdict).toBe('ACCEPT');
    const error: TraceInput = {
      hook: 'PREROUTING',
      inInterface: 'eth0',
      protocol: 'icmp',
      icmpType: 3,
      icmpCode: 3,
      source: '192.168.0.50',
      destination: '192.168.0.2',
      related: { protocol: 'tcp', source: out.packet.source, sourcePort: 33000, destination: '192.168.0.50', destinationPort: 80 },
    };
    const [o] = e.enumerate(error);
    expect(o.conntrack.state).toBe('RELATED');
    expect(o).toMatchObject({ verdict: 'ACCEPT', delivery: 'local' });
    const { related: _, ...unrelated } = error;
    expect(e.enumerate(unrelated)[0]).toMatchObject({ verdict: 'DROP' });
  });

  it('two clients whose translated tuples would clash get different source ports', () => {
    const rules = '*nat\n-A POSTROUTING -o eth0 -j MASQUERADE\nCOMMIT\n';
    const { e } = engine(rules);
    const a = e.sample(fromPod('203.0.113.9', 80, { source: '10.180.0.7', sourcePort: 40000 }));
    const b = e.sample(fromPod('203.0.113.9', 80, { source: '10.180.0.8', sourcePort: 40000 }));
    expect(a.snat).toBe('192.168.0.2:40000');
    expect(b.snat).toMatch(/^192\.168\.0\.2:\d+$/);
    expect(b.snat).not.toBe('192.168.0.2:40000');
    expect(b.snatPortRandom).toBe(true);
    expect(e.conntrack.size).toBe(2);
  });

  it('a connection dropped before confirmation leaves no entry', () => {
    const { e } = engine('*filter\n:FORWARD DROP [0:0]\nCOMMIT\n');
    expect(e.sample(fromPod('203.0.113.9', 80)).verdict).toBe('DROP');
    expect(e.conntrack.size).toBe(0);
  });
});

describe('session affinity (recent)', () => {
  it('the first connection picks at random; later ones from the client stick to that endpoint until the timeout', () => {
    const { e, clock } = engine(fixture('session-affinity'));
    const svc = (port: number) => fromPod('172.30.0.47', 80, { sourcePort: port });
    expect(e.enumerate(svc(1000))).toHaveLength(3);
    const first = e.sample(svc(1000));
    // Enumeration reads the lists the sampled packet wrote: one path now.
    const after = e.enumerate(svc(1001));
    expect(after).toHaveLength(1);
    expect(after[0].dnat).toBe(first.dnat);
    expect(after[0].probability).toBe(1);
    clock.advance(10801 * 1000);
    expect(e.enumerate(svc(1002))).toHaveLength(3);
  });

  it('enumerate mode changes no state: recent lists, counters, conntrack', () => {
    const { e } = engine(fixture('session-affinity'));
    const before = e.recent.snapshot();
    const counters = () => e.ruleset.tables().flatMap((t) => t.chains().flatMap((c) => c.rules.map((r) => r.packets)));
    const countersBefore = counters();
    for (let i = 0; i < 5; i++) e.enumerate(fromPod('172.30.0.47', 80, { sourcePort: 2000 + i }));
    expect(e.recent.snapshot()).toEqual(before);
    expect(counters()).toEqual(countersBefore);
    expect(e.conntrack.size).toBe(0);
    e.sample(fromPod('172.30.0.47', 80));
    expect(counters().reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
    expect(e.recent.snapshot().size).toBe(1);
  });
});

describe('sample mode', () => {
  it('draws as the kernel does: frequencies follow the probabilities, repeatably with a seed', () => {
    const counts = (seed: number) => {
      const { e } = engine(fixture('clusterip-5-endpoints'), { seed });
      const text = fixture('clusterip-5-endpoints');
      const vip = /-d (172\.30\.0\.\d+) --dport (\d+)/.exec(text)!;
      const seen = new Map<string, number>();
      for (let i = 0; i < 5000; i++) {
        const o = e.sample(fromPod(vip[1], Number(vip[2]), { sourcePort: 1024 + i }));
        seen.set(o.dnat!, (seen.get(o.dnat!) ?? 0) + 1);
      }
      return seen;
    };
    const a = counts(7);
    expect(a.size).toBe(5);
    // chi-square with 4 degrees of freedom, p = 0.001 critical value 18.47
    const chi = [...a.values()].reduce((s, n) => s + (n - 1000) ** 2 / 1000, 0);
    expect(chi).toBeLessThan(18.47);
    expect(counts(7)).toEqual(a);
  });

  it('updates rule and policy counters', () => {
    const { e } = engine(fixture('clusterip-1-endpoint'));
    e.sample(fromPod('203.0.113.1', 443));
    const filterForward = e.ruleset.table('filter')!.chain('FORWARD')!;
    expect(filterForward.policyCounters.packets).toBe(1);
    expect(filterForward.policyCounters.bytes).toBe(60);
  });

  it('recent --update with --hitcount: from the fourth ssh attempt within a minute, the client is logged and dropped', () => {
    const { e, clock } = engine(fixture('firewall'));
    const ssh = (port: number) => fromOutside('192.168.0.2', 22, { source: '203.0.113.5', sourcePort: port });
    const limited: boolean[] = [];
    for (let i = 0; i < 6; i++) {
      const o = e.sample(ssh(3000 + i));
      limited.push(o.steps.some((s) => s.chain === 'SSH' && s.ruleNumber === 2 && s.action === 'jump LOGDROP'));
      clock.advance(1000);
    }
    expect(limited).toEqual([false, false, false, true, true, true]);
    // A minute later the old sightings no longer count.
    clock.advance(61000);
    const later = e.sample(ssh(4000));
    expect(later.steps.some((s) => s.chain === 'SSH' && s.ruleNumber === 2)).toBe(false);
  });
});

describe('routing', () => {
  it('no route for the destination is a no-route outcome, not an error', () => {
    const { e } = engine('*filter\nCOMMIT\n', { host: { interfaces: [{ name: 'eth0', addresses: ['192.168.0.2/24'] }] } });
    const [o] = e.enumerate(fromOutside('8.8.8.8', 53, { protocol: 'udp' }));
    expect(o).toMatchObject({ verdict: 'DROP', delivery: null, reason: 'no-route' });
    const [out] = e.enumerate(fromHost('8.8.8.8', 53, { protocol: 'udp' }));
    expect(out).toMatchObject({ verdict: 'DROP', reason: 'no-route' });
    expect(out.steps.map((s) => s.table)).toEqual(['routing']);
  });

  it('a locally sent packet to a local address goes out by lo and back in, keeping its connection', () => {
    const { e } = engine(fixture('nodeport'));
    const [o] = e.enumerate(fromHost('127.0.0.1', 8080));
    expect(o).toMatchObject({ verdict: 'ACCEPT', delivery: 'local' });
    expect(o.packet.source).toBe(ip('127.0.0.1'));
    const hooks = o.steps.filter((s) => s.table !== 'routing' && s.table !== 'conntrack').map((s) => s.hook);
    expect([...new Set(hooks)]).toEqual(['OUTPUT', 'POSTROUTING', 'INPUT']);
    // nat runs once, at OUTPUT, not again when the packet comes back in on lo.
    expect(o.steps.filter((s) => s.table === 'nat' && s.chain === 'PREROUTING')).toHaveLength(0);
  });

  it('martian sources are dropped: the host\'s own address arriving from outside', () => {
    const { e } = engine('*filter\nCOMMIT\n');
    const [o] = e.enumerate(fromOutside('192.168.0.2', 80, { source: '192.168.0.2' }));
    expect(o.reason).toBe('martian-source');
  });

  it('refuses packets it cannot place (422 domain errors, never a crash)', () => {
    const { e } = engine('*filter\nCOMMIT\n');
    expect(() => e.enumerate({ ...fromOutside('10.0.0.1', 80), inInterface: 'eth9' })).toThrow(DomainError);
    expect(() => e.enumerate({ ...fromOutside('10.0.0.1', 80), inInterface: undefined })).toThrow(/arrives on an interface/);
    expect(() => e.enumerate(fromOutside('10.0.0.300', 80))).toThrow(/not an IPv4 address/);
  });
});

describe('chains', () => {
  it('goto does not come back; RETURN from a goto\'ed chain ends at the built-in chain\'s policy', () => {
    const rules = [
      '*filter',
      ':INPUT DROP [0:0]',
      ':A - [0:0]',
      ':B - [0:0]',
      '-A INPUT -j A',
      '-A INPUT -j ACCEPT',
      '-A A -g B',
      '-A A -j ACCEPT',
      '-A B -j RETURN',
      'COMMIT',
      '',
    ].join('\n');
    const { e } = engine(rules);
    const [o] = e.enumerate(fromOutside('192.168.0.2', 80));
    expect(o.steps.filter((s) => s.table === 'filter').map((s) => [s.chain, s.ruleNumber, s.action])).toEqual([
      ['INPUT', 1, 'jump A'],
      ['A', 1, 'goto B'],
      ['B', 1, 'RETURN'],
      ['INPUT', 2, 'ACCEPT'],
    ]);
  });

  it('marks: MARK and CONNMARK rewrite the packet, -m mark sees it', () => {
    const { e } = engine(fixture('marks'));
    const [o] = e.enumerate(fromOutside('192.168.0.2', 80, { source: '10.1.0.5' }));
    expect(o.packet.mark).toBe(0x4001);
    expect(o.steps.some((s) => s.action === 'MARK: mark 0x1 -> 0x4001')).toBe(true);
  });

  it('guards the jump depth', () => {
    const lines = ['*filter'];
    for (let i = 0; i <= 70; i++) lines.push(`:C${i} - [0:0]`);
    lines.push('-A INPUT -j C0');
    for (let i = 0; i < 70; i++) lines.push(`-A C${i} -j C${i + 1}`);
    lines.push('COMMIT', '');
    const { e } = engine(lines.join('\n'));
    expect(() => e.enumerate(fromOutside('192.168.0.2', 80))).toThrow(/deeper than 64/);
  });

  it('enumeration refuses packets with more paths than its limit', () => {
    const lines = ['*mangle'];
    for (let i = 0; i < 16; i++) lines.push('-A PREROUTING -m statistic --mode random --probability 0.5 -j MARK --or-mark ' + (1 << i));
    lines.push('COMMIT', '');
    const { e } = engine(lines.join('\n'));
    expect(() => e.enumerate(fromOutside('192.168.0.2', 80))).toThrow(/more than 10000 possible paths/);
  });

  it('merges identical paths and keeps the total at 1', () => {
    // A random rule without a target only counts: both branches look alike but for that step.
    const rules = '*filter\n-A INPUT -m statistic --mode random --probability 0.25\n-A INPUT -m statistic --mode random --probability 0.25 -j DROP\nCOMMIT\n';
    const { e } = engine(rules);
    const outcomes = e.enumerate(fromOutside('192.168.0.2', 80));
    expect(outcomes).toHaveLength(4);
    expect(total(outcomes)).toBeCloseTo(1, 12);
    const dropped = outcomes.filter((o) => o.verdict === 'DROP').reduce((s, o) => s + o.probability, 0);
    expect(dropped).toBeCloseTo(0.25, 9);
  });
});

describe('views', () => {
  it('outcomeView is plain JSON with the issue\'s fields', () => {
    const { e } = engine(fixture('clusterip-1-endpoint'));
    const text = fixture('clusterip-1-endpoint');
    const vip = /-d (172\.30\.0\.\d+) --dport (\d+)/.exec(text)!;
    const view = outcomeView(e.enumerate(fromPod(vip[1], Number(vip[2])))[0]);
    const json = JSON.parse(JSON.stringify(view));
    expect(Object.keys(json)).toEqual(
      expect.arrayContaining(['probability', 'verdict', 'delivery', 'dnat', 'snat', 'masquerade', 'packet', 'steps']),
    );
    expect(json.packet).toMatchObject({ protocol: 'tcp', source: '10.180.0.9', destination: expect.stringMatching(/^10\.180\./) });
    expect(Object.keys(json.steps[0])).toEqual(['hook', 'table', 'chain', 'ruleNumber', 'rule', 'action']);
  });
});

describe('commit', () => {
  it('takes an enumerated path for real, with its effects', () => {
    const { e } = engine(fixture('session-affinity'));
    const input = fromPod('172.30.0.47', 80);
    const outcomes = e.enumerate(input);
    expect(outcomes.map((o) => o.choices)).toEqual([[true], [false, true], [false, false]]);
    const third = e.commit(input, outcomes[2]);
    expect(third.dnat).toBe(outcomes[2].dnat);
    expect(third.probability).toBe(outcomes[2].probability);
    expect(e.conntrack.size).toBe(1);
    // The recent list now sends the client's next connection to the same endpoint.
    expect(e.enumerate(fromPod('172.30.0.47', 80, { sourcePort: 40001 })).map((o) => o.dnat)).toEqual([outcomes[2].dnat]);
  });
});

describe('re-entrancy', () => {
  it('a LOG callback may trace another packet while the first is still walking', () => {
    const rules = '*filter\n:A - [0:0]\n-A INPUT -j A\n-A INPUT -j ACCEPT\n-A A -j LOG --log-prefix "in A"\n-A A -p tcp --dport 81 -j DROP\nCOMMIT\n';
    const nested: string[] = [];
    let depth = 0;
    const clock = new ManualClock();
    const e: NetfilterEngine = new NetfilterEngine({
      ruleset: parseRuleset(rules),
      host: Host.create(NODE),
      clock,
      random: new SeededRandom(1),
      onLog: () => {
        if (depth++ > 0) return;
        nested.push(e.sample(fromOutside('192.168.0.2', 81, { sourcePort: 7 })).verdict);
      },
    });
    const o = e.sample(fromOutside('192.168.0.2', 80));
    expect(nested).toEqual(['DROP']);
    expect(o.verdict).toBe('ACCEPT');
    expect(o.steps.filter((s) => s.table === 'filter').map((s) => [s.chain, s.ruleNumber, s.action])).toEqual([
      ['INPUT', 1, 'jump A'],
      ['A', 1, 'LOG (level 4, prefix "in A"), continue'],
      ['INPUT', 2, 'ACCEPT'],
    ]);
  });
});
