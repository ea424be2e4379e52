/**
 * Upstream's packet-flow tables, run through the real netfilter engine: each
 * golden scenario's rules are loaded into a node's tables as kube-proxy
 * leaves them (restore text, then the jump rules), and each flow's packet is
 * traced with every path enumerated. The flow says which endpoints it may
 * reach (or DROP / REJECT / no DNAT), and whether it is masqueraded.
 */
import { ManualClock } from '../common/clock';
import { tryParseIPv4 } from '../common/ipv4';
import { SeededRandom } from '../common/random';
import { NetfilterEngine } from '../netfilter/engine';
import { Host } from '../netfilter/host';
import { Ruleset } from '../netfilter/ruleset';
import { renderRules } from './render';
import { loadSync } from './ruleset-loader';
import { PacketFlow, RenderScenario, scenarios } from './testing/scenarios';

const ipv4 = (cidr: string) => !cidr.includes(':');

function engineFor(scenario: RenderScenario): NetfilterEngine {
  const ruleset = new Ruleset();
  loadSync(ruleset, renderRules(scenario.request));
  const interfaces = (scenario.request.node.interfaces ?? [{ name: 'eth0', addresses: (scenario.request.node.addresses ?? []).map((a) => `${a}/24`) }])
    .map((i) => ({ name: i.name, addresses: i.addresses.filter(ipv4) }))
    .filter((i) => i.addresses.length > 0 || i.name === 'lo');
  if (!interfaces.some((i) => i.name === 'lo')) interfaces.unshift({ name: 'lo', addresses: ['127.0.0.1/8'] });
  const eth0 = interfaces.find((i) => i.name !== 'lo')!;
  const gateway = eth0.addresses[0].replace(/\.\d+\/\d+$/, '.1');
  const host = Host.create({ interfaces, routes: [{ destination: 'default', via: gateway, interface: eth0.name }] });
  const clock = new ManualClock();
  return new NetfilterEngine({ ruleset, host, clock, random: new SeededRandom(1) });
}

/** What the flow table's `output` says for a set of traced outcomes. */
function observed(engine: NetfilterEngine, flow: PacketFlow): { output: string; masq: boolean } {
  const local = engine.host.isLocal(tryParseIPv4(flow.sourceIP)!);
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
