/**
 * Upstream's nftables packet flows (pkg/proxy/nftables/proxier_test.go,
 * `runPacketFlowTests`), traced through kube-netsim's nftables engine on the
 * table our nftables proxier writes: each flow's endpoints, DROP / REJECT,
 * and masquerade decision as upstream expects them.
 *
 * The flow tables are the scenarios' (transcribed from upstream's iptables
 * tests, which upstream's nftables tests repeat); where upstream's nftables
 * tests expect otherwise, `NFT_EXPECTS` says so: the nftables proxier rejects
 * a ClusterIP's unknown ports and drops unallocated ClusterIPs
 * (`cluster-ips-check`), and never accepts NodePorts on localhost. After
 * the endpoints are deleted, every flow of the ITP and terminating-endpoint
 * tests is REJECT, as upstream checks after its second sync.
 */
import { expectedOutput, nftScenarioEngine, nftScenarioProxier, observedFlow } from '../../../test/support/kube-proxy/flow-harness';
import { scenarios, type PacketFlow } from '../../../test/support/kube-proxy/scenarios';
import type { EndpointSlice } from '../types';

/** Upstream's nftables expectations where they differ from the iptables tables, by scenario then flow name. */
const NFT_EXPECTS: Record<string, Record<string, Partial<PacketFlow>>> = {
  'cluster-ip-general': {
    'TCP-only port does not match UDP traffic': { output: 'REJECT' },
    "svc1 does not accept svc2's ports": { output: 'REJECT' },
  },
  // Upstream's nftables TestNodePorts "ipv4" case: without nodePortAddresses only the primary node IP takes NodePorts.
  'node-port-localhost': { 'external to nodePort on secondary IP': { output: '', masq: false } },
  'node-port-no-localhost': { 'external to nodePort on secondary IP': { output: '', masq: false } },
};

/** kube-netsim's own cases (upstream's nftables tests have no localhost flows): nftables mode never accepts NodePorts on localhost. */
function localhostNodePort(flow: PacketFlow): Partial<PacketFlow> | undefined {
  return flow.destIP === '127.0.0.1' || flow.destIP === '::1' ? { output: '', masq: false } : undefined;
}
/** Flows only upstream's nftables tests have. */
const NFT_EXTRA: Record<string, PacketFlow[]> = {
  'cluster-ip-general': [{ name: 'packet to unallocated cluster ip', sourceIP: '10.180.0.2', destIP: '172.30.0.50', destPort: 80, output: 'DROP', masq: false }],
};

const withFlows = scenarios().filter((s) => s.flows.length > 0);

describe('upstream\'s nftables packet flows through the nftables engine', () => {
  it('covers every scenario with flows, in both families', () => {
    expect(withFlows.filter((s) => s.request.family === 'IPv6').length).toBeGreaterThanOrEqual(2);
    expect(withFlows.length).toBeGreaterThanOrEqual(20);
  });

  describe.each(withFlows.map((s) => [s.name, s] as const))('%s', (name, scenario) => {
    const proxier = nftScenarioProxier(scenario);
    const engine = nftScenarioEngine(scenario, proxier);
    const flows = [...scenario.flows.map((f) => ({ ...f, ...NFT_EXPECTS[name]?.[f.name], ...localhostNodePort(f) })), ...(NFT_EXTRA[name] ?? [])];
    it.each(flows.map((f) => [f.name, f] as const))('%s', (_flow, flow) => {
      const got = observedFlow(engine, flow);
      expect(got.output).toBe(expectedOutput(flow));
      if (flow.output !== 'DROP' && flow.output !== 'REJECT') expect(got.masq).toBe(flow.masq);
    });

    if (/^(internal-traffic-policy|terminating)-/.test(name)) {
      it('rejects every flow once the endpoints are deleted (a partial sync)', () => {
        for (const o of scenario.request.objects) if (!('spec' in o)) proxier.onEndpointSliceDelete(o as EndpointSlice);
        expect(proxier.sync().full).toBe(false);
        for (const flow of scenario.flows) expect([flow.name, observedFlow(engine, flow).output]).toEqual([flow.name, 'REJECT']);
      });
    }
  });
});
