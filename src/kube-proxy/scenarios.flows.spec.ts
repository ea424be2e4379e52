/**
 * Upstream's packet-flow tables, run through the real netfilter engine: each
 * golden scenario's rules are loaded into a node's tables as kube-proxy
 * leaves them (restore text, then the jump rules), and each flow's packet is
 * traced with every path enumerated. The flow says which endpoints it may
 * reach (or DROP / REJECT / no DNAT), and whether it is masqueraded.
 */
import { ManualClock } from '../common/clock';
import { formatIPv6, tryParseIPv6 } from '../ipam/ipv6';
import { tryParseIp } from '../netfilter/address';
import { SeededRandom } from '../common/random';
import { NetfilterEngine } from '../netfilter/engine';
import { Host } from '../netfilter/host';
import { Ruleset } from '../netfilter/ruleset';
import { renderRules } from './render';
import { loadSync } from './ruleset-loader';
import { PacketFlow, RenderScenario, scenarios } from './testing/scenarios';

const ipv6 = (cidr: string) => cidr.includes(':');

/** A gateway on the subnet of `cidr`: .1 for IPv4, ::fffe in the /64 for IPv6. */
function gatewayOf(cidr: string): string {
  if (!ipv6(cidr)) return cidr.replace(/\.\d+\/\d+$/, '.1');
  const address = tryParseIPv6(cidr.slice(0, cidr.indexOf('/')))!;
  return formatIPv6((address & ~0xffffffffffffffffn) | 0xfffen);
}

function engineFor(scenario: RenderScenario): NetfilterEngine {
  const v6 = scenario.request.family === 'IPv6';
  const ofFamily = (cidr: string) => ipv6(cidr) === v6;
  const ruleset = new Ruleset(v6 ? 'ipv6' : 'ipv4');
  loadSync(ruleset, renderRules(scenario.request));
  const interfaces = (scenario.request.node.interfaces ?? [{ name: 'eth0', addresses: (scenario.request.node.addresses ?? []).map((a) => `${a}/${v6 ? 64 : 24}`) }])
    .map((i) => ({ name: i.name, addresses: i.addresses.filter(ofFamily) }))
    .filter((i) => i.addresses.length > 0 || i.name === 'lo');
  if (!interfaces.some((i) => i.name === 'lo')) interfaces.unshift({ name: 'lo', addresses: [v6 ? '::1/128' : '127.0.0.1/8'] });
  const eth0 = interfaces.find((i) => i.name !== 'lo')!;
  const gateway = gatewayOf(eth0.addresses[0]);
  const host = Host.create({ interfaces, routes: [{ destination: 'default', via: gateway, interface: eth0.name }] });
  const clock = new ManualClock();
  return new NetfilterEngine({ ruleset, host, clock, random: new SeededRandom(1) });
}

/** What the flow table's `output` says for a set of traced outcomes. */
function observed(engine: NetfilterEngine, flow: PacketFlow): { output: string; masq: boolean } {
  const local = engine.host.isLocal(tryParseIp(flow.sourceIP)!);
  const outcomes = engine.enumerate({
    hook: local ? 'OUTPUT' : 'PREROUTING',
    inInterface: local ? undefined : engine.host.interfaces.find((i) => !i.loopback)!.name,
    protocol: (flow.protocol ?? 'TCP').toLowerCase() as 'tcp' | 'udp' | 'sctp',
    source: flow.sourceIP,
    sourcePort: 40000,
    destination: flow.destIP,
    destinationPort: flow.destPort,
  });
  const verdicts = new Set(outcomes.map((o) => o.verdict));
  if (verdicts.size === 1 && verdicts.has('DROP')) return { output: 'DROP', masq: false };
  if (verdicts.size === 1 && verdicts.has('REJECT')) return { output: 'REJECT', masq: false };
  const dnat = [...new Set(outcomes.filter((o) => o.verdict === 'ACCEPT' && o.dnat).map((o) => o.dnat!))].sort();
  const masq = outcomes.some((o) => o.masquerade || ((o.packet.mark ?? 0) & 0x4000) !== 0);
  return { output: dnat.join(', '), masq };
}

const ipv4Scenarios = scenarios().filter((s) => s.request.family === 'IPv4' && s.flows.length > 0);
const ipv6Scenarios = scenarios().filter((s) => s.request.family === 'IPv6' && s.flows.length > 0);

describe('packet-flow tables through the netfilter engine (IPv6: ip6tables)', () => {
  it('has upstream\'s IPv6 cases', () => {
    expect(ipv6Scenarios.length).toBeGreaterThanOrEqual(2);
  });

  describe.each(ipv6Scenarios.map((s) => [s.name, s] as const))('%s', (_name, scenario) => {
    const engine = engineFor(scenario);
    it.each(scenario.flows.map((f) => [f.name, f] as const))('%s', (_flow, flow) => {
      const expected = flow.output === 'ACCEPT' ? '' : flow.output.split(', ').sort().join(', ');
      const got = observed(engine, flow);
      expect(got.output).toBe(expected);
      if (flow.output !== 'DROP' && flow.output !== 'REJECT') expect(got.masq).toBe(flow.masq);
    });
  });
});

describe('packet-flow tables through the netfilter engine', () => {
  describe.each(ipv4Scenarios.map((s) => [s.name, s] as const))('%s', (_name, scenario) => {
    const engine = engineFor(scenario);
    it.each(scenario.flows.map((f) => [f.name, f] as const))('%s', (_flow, flow) => {
      const expected = flow.output === 'ACCEPT' ? '' : flow.output.split(', ').sort().join(', ');
      const got = observed(engine, flow);
      expect(got.output).toBe(expected);
      if (flow.output !== 'DROP' && flow.output !== 'REJECT') expect(got.masq).toBe(flow.masq);
    });
  });
});
