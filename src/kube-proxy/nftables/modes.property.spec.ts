/**
 * iptables mode and nftables mode agree: for random Services and
 * EndpointSlices, a node whose kube-proxy writes the iptables rules and a
 * node whose kube-proxy writes the nftables table deliver each probe packet
 * to the same endpoints with the same probabilities, masquerade alike, and
 * drop or reject alike.
 *
 * Probabilities agree to 1e-9, not bit for bit: the kernel's `statistic`
 * match draws 31-bit fixed-point probabilities (kube-proxy's `0.3333333333`
 * is 715827883/2^31), nft's `numgen random mod N` splits 2^32 draws into N
 * buckets; both are within 2^-30 of 1/N, and each engine enumerates its own
 * exactly. Probes stay where the modes are meant to agree: NodePorts on the
 * primary node IP (nftables mode takes no others by default, nor localhost),
 * only the Services' own ports (nftables mode rejects a ClusterIP's other
 * ports, iptables mode lets them through unchanged), and no node-sent packets
 * to external or LoadBalancer IPs (for a Service without endpoints nftables
 * mode rejects them in filter-output; iptables mode checks those addresses
 * only at INPUT and FORWARD, so the node's own packet goes out unchanged).
 * One more difference is upstream's own: a source outside a LoadBalancer's
 * source ranges, to a Service without endpoints, is dropped in nftables mode
 * (its firewall check runs before DNAT, at priority -110, whatever the
 * endpoints) and rejected in iptables mode (which writes no firewall rules
 * for a Service without endpoints).
 */
import fc from 'fast-check';
import type { NetfilterEngine } from '../../netfilter/engine';
import type { TraceInput } from '../../netfilter/trace-input';
import { UPSTREAM_TEST_EMULATION } from '../config';
import { TEST_EXTERNAL_CLIENT, TEST_EXTERNAL_CLIENT_BLOCKED, TEST_NODE_IP, UPSTREAM_TEST_CONFIG, UPSTREAM_TEST_NODE } from '../../../test/support/kube-proxy/builders';
import { iptablesScenarioEngine, nftScenarioEngine, nftScenarioProxier } from '../../../test/support/kube-proxy/flow-harness';
import type { RenderScenario } from '../../../test/support/kube-proxy/scenarios';
import { variantService, variantSlice } from '../../../test/support/kube-proxy/variants';
import type { EndpointSlice, Service } from '../types';

const POD = '10.0.0.2';

function probes(services: readonly Service[]): { name: string; packet: TraceInput; firewalled?: boolean }[] {
  const out: { name: string; packet: TraceInput; firewalled?: boolean }[] = [];
  const from = (name: string, source: string, destination: string, destinationPort: number) => {
    const local = source === TEST_NODE_IP;
    out.push({
      name,
      packet: { hook: local ? 'OUTPUT' : 'PREROUTING', inInterface: local ? undefined : 'eth0', protocol: 'tcp', source, sourcePort: 40000, destination, destinationPort },
      firewalled: services.some((s) => (s.spec.loadBalancerSourceRanges?.length ?? 0) > 0 && (s.status?.loadBalancer?.ingress ?? []).some((i) => i.ip === destination)),
    });
  };
  for (const s of services) {
    const port = s.spec.ports![0];
    const id = s.metadata.name;
    from(`${id}: pod to ClusterIP`, POD, s.spec.clusterIP!, port.port);
    from(`${id}: node to ClusterIP`, TEST_NODE_IP, s.spec.clusterIP!, port.port);
    from(`${id}: external to ClusterIP`, TEST_EXTERNAL_CLIENT, s.spec.clusterIP!, port.port);
    if (port.nodePort !== undefined) {
      from(`${id}: external to NodePort`, TEST_EXTERNAL_CLIENT, TEST_NODE_IP, port.nodePort);
      from(`${id}: pod to NodePort`, POD, TEST_NODE_IP, port.nodePort);
    }
    for (const ip of [...(s.status?.loadBalancer?.ingress ?? []).map((i) => i.ip!), ...(s.spec.externalIPs ?? [])]) {
      from(`${id}: external to ${ip}`, TEST_EXTERNAL_CLIENT, ip, port.port);
      from(`${id}: blocked external to ${ip}`, TEST_EXTERNAL_CLIENT_BLOCKED, ip, port.port);
      from(`${id}: pod to ${ip}`, POD, ip, port.port);
    }
  }
  return out;
}

/** The outcomes as `VERDICT dnat masq` → probability. */
function summary(engine: NetfilterEngine, packet: TraceInput): Map<string, number> {
  const out = new Map<string, number>();
  for (const o of engine.enumerate(packet)) {
    const masq = o.masquerade || (o.packet.mark & 0x4000) !== 0;
    const key = o.verdict === 'ACCEPT' ? `ACCEPT ${o.dnat ?? '-'} ${masq ? 'masq' : 'no-masq'}` : `${o.verdict}${o.rejectWith ? ` ${o.rejectWith}` : ''}`;
    out.set(key, (out.get(key) ?? 0) + o.probability);
  }
  return out;
}

const serviceArb = fc.record({ variant: fc.nat(127), endpoints: fc.uniqueArray(fc.integer({ min: 1, max: 12 }), { maxLength: 5 }), state: fc.nat(255) });

describe('iptables mode and nftables mode', () => {
  it('deliver to the same endpoints with the same probabilities, masquerade alike and refuse alike', () => {
    fc.assert(
      fc.property(fc.array(serviceArb, { minLength: 1, maxLength: 3 }), (drawn) => {
        const services = drawn.map((d, i) => variantService(i, d.variant));
        const slices: EndpointSlice[] = drawn.map((d, i) => variantSlice(i, 1, d.endpoints, d.state));
        const scenario: RenderScenario = {
          name: 'random',
          description: '',
          request: { config: { ...UPSTREAM_TEST_CONFIG }, node: { ...UPSTREAM_TEST_NODE }, family: 'IPv4', emulation: { ...UPSTREAM_TEST_EMULATION }, objects: [...services, ...slices] },
          flows: [],
        };
        const iptables = iptablesScenarioEngine(scenario);
        const nft = nftScenarioEngine(scenario, nftScenarioProxier(scenario));
        for (const probe of probes(services)) {
          const a = summary(iptables, probe.packet);
          const b = summary(nft, probe.packet);
          if (probe.firewalled && a.has('REJECT icmp-port-unreachable') && b.has('DROP')) continue;
          expect([probe.name, [...b.keys()].sort()]).toEqual([probe.name, [...a.keys()].sort()]);
          for (const [key, p] of a) expect([probe.name, key, Math.abs(p - b.get(key)!) < 1e-9]).toEqual([probe.name, key, true]);
        }
      }),
      { seed: 1717, numRuns: 60 },
    );
  });
});
