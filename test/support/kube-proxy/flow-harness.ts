/**
 * Running upstream's packet-flow tables through the netfilter engine: the
 * node's host (its addresses from the scenario, a default route) and what a
 * flow's `output` says for a set of traced outcomes. Shared by the iptables
 * (scenarios.flows.spec.ts) and nftables (nft-proxier.flows.spec.ts) runs.
 */
import { ManualClock } from '../../../src/common/clock';
import { SeededRandom } from '../../../src/common/random';
import { formatIPv6, tryParseIPv6 } from '../../../src/ipam/ipv6';
import { tryParseIp } from '../../../src/netfilter/address';
import { NetfilterEngine, type EngineOptions } from '../../../src/netfilter/engine';
import { Host } from '../../../src/netfilter/host';
import { Ruleset } from '../../../src/netfilter/ruleset';
import { nftHookEntries } from '../../../src/nftables/traversal';
import { NftProxier } from '../../../src/kube-proxy/nftables/nft-proxier';
import { renderRules } from '../../../src/kube-proxy/render';
import { loadSync } from '../../../src/kube-proxy/ruleset-loader';
import type { EndpointSlice, Service } from '../../../src/kube-proxy/types';
import type { PacketFlow, RenderScenario } from './scenarios';

const ipv6 = (cidr: string) => cidr.includes(':');

/** A gateway on the subnet of `cidr`: .1 for IPv4, ::fffe in the /64 for IPv6. */
function gatewayOf(cidr: string): string {
  if (!ipv6(cidr)) return cidr.replace(/\.\d+\/\d+$/, '.1');
  const address = tryParseIPv6(cidr.slice(0, cidr.indexOf('/')))!;
  return formatIPv6((address & ~0xffffffffffffffffn) | 0xfffen);
}

/** The scenario's node as a host: its interfaces' addresses of the scenario's family, lo, a default route. */
export function scenarioHost(scenario: RenderScenario): Host {
  const v6 = scenario.request.family === 'IPv6';
  const ofFamily = (cidr: string) => ipv6(cidr) === v6;
  const interfaces = (scenario.request.node.interfaces ?? [{ name: 'eth0', addresses: (scenario.request.node.addresses ?? []).map((a) => `${a}/${v6 ? 64 : 24}`) }])
    .map((i) => ({ name: i.name, addresses: i.addresses.filter(ofFamily) }))
    .filter((i) => i.addresses.length > 0 || i.name === 'lo');
  if (!interfaces.some((i) => i.name === 'lo')) interfaces.unshift({ name: 'lo', addresses: [v6 ? '::1/128' : '127.0.0.1/8'] });
  const eth0 = interfaces.find((i) => i.name !== 'lo')!;
  return Host.create({ interfaces, routes: [{ destination: 'default', via: gatewayOf(eth0.addresses[0]), interface: eth0.name }] });
}

/** An engine on the scenario's host with the given rules (an iptables `ruleset`, nft hook entries or both). */
export function scenarioEngine(scenario: RenderScenario, rules: Pick<EngineOptions, 'ruleset' | 'nftables'>): NetfilterEngine {
  return new NetfilterEngine({ ...rules, host: scenarioHost(scenario), clock: new ManualClock(), random: new SeededRandom(1) });
}

/** The scenario's node in iptables mode: kube-proxy's rules loaded as it leaves them. */
export function iptablesScenarioEngine(scenario: RenderScenario): NetfilterEngine {
  const ruleset = new Ruleset(scenario.request.family === 'IPv6' ? 'ipv6' : 'ipv4');
  loadSync(ruleset, renderRules(scenario.request));
  return scenarioEngine(scenario, { ruleset });
}

/** The scenario's configuration in nftables mode: its iptables settings (but localhostNodePorts) as the nftables ones. */
function nftConfig(scenario: RenderScenario) {
  const { iptables, ...rest } = scenario.request.config;
  const nftables: Record<string, unknown> = {};
  if (iptables?.masqueradeAll !== undefined) nftables.masqueradeAll = iptables.masqueradeAll;
  if (iptables?.masqueradeBit !== undefined) nftables.masqueradeBit = iptables.masqueradeBit;
  return { ...rest, mode: 'nftables', nftables };
}

/** The scenario's objects synced by the nftables proxier (upstream's fake: Service CIDRs 172.30.0.0/16 and fd00:10:96::/112, mark 0x4000). */
export function nftScenarioProxier(scenario: RenderScenario): NftProxier {
  const proxier = new NftProxier({
    node: scenario.request.node,
    clock: new ManualClock(0),
    config: nftConfig(scenario),
    family: scenario.request.family,
    markFormat: 'minimal',
    serviceCIDRs: ['172.30.0.0/16', 'fd00:10:96::/112'],
  });
  for (const o of scenario.request.objects as (Service | EndpointSlice)[]) {
    if ('spec' in o) proxier.onServiceAdd(o);
    else proxier.onEndpointSliceAdd(o);
  }
  proxier.sync();
  return proxier;
}

/** The scenario's node in nftables mode, on the proxier's ruleset (later syncs show through). */
export function nftScenarioEngine(scenario: RenderScenario, proxier: NftProxier): NetfilterEngine {
  return scenarioEngine(scenario, { ruleset: new Ruleset(scenario.request.family === 'IPv6' ? 'ipv6' : 'ipv4'), nftables: nftHookEntries(proxier.ruleset) });
}

/** What the flow table's `output` says for the packet's traced outcomes: DROP, REJECT, or the DNAT targets; and whether it is masqueraded. */
export function observedFlow(engine: NetfilterEngine, flow: PacketFlow): { output: string; masq: boolean } {
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

/** The flow's `output` in the form `observedFlow` gives it (endpoints sorted; ACCEPT: no DNAT). */
export function expectedOutput(flow: PacketFlow): string {
  return flow.output === 'ACCEPT' ? '' : flow.output.split(', ').sort().join(', ');
}
