/**
 * Kernel agreement for the nftables engine: kube-proxy's nftables table for
 * a set of Services, loaded with the real `nft -f` in the node namespace of
 * the agreement topology (support/topology.ts), and real TCP connections and
 * UDP datagrams from a pod, from the node and from outside clients; where the
 * kernel sends them (DNAT, masquerade, REJECT, DROP) must be where the nft
 * engine's enumerated outcomes say, with frequencies that fit numgen's
 * probabilities; with session affinity the engine follows the kernel
 * connection by connection (its affinity set updated as the kernel's is).
 *
 * Needs root, iproute2, nft and the agreement suite's tools; skipped (and
 * says so) elsewhere, a failure with NSIM_KERNEL_REQUIRED=1.
 */
import { ManualClock } from '../../src/common/clock';
import { SeededRandom } from '../../src/common/random';
import { renderNftRules } from '../../src/kube-proxy/render';
import type { EndpointSlice, Service } from '../../src/kube-proxy/types';
import { NetfilterEngine } from '../../src/netfilter/engine';
import { Host } from '../../src/netfilter/host';
import { Ruleset } from '../../src/netfilter/ruleset';
import { loadNftText } from '../../src/nftables/load';
import { CLIENT_POD, type Probe } from './probes';
import { checkProbe, predict, topologyFor } from './support/probe-agreement';
import { kernelDescribe, kernelSuiteUnavailable, missingTool, run } from './support/netns';
import { ENGINE_HOST, NODE_IP, Topology } from './support/topology';

const describeKernel = kernelDescribe('kernel agreement suite (nftables probes)', kernelSuiteUnavailable() ?? missingTool(['nft'], 'apt-get install -y nftables'));

const NODE = 'test-node';
const client: Probe['from'] = { kind: 'pod', ip: CLIENT_POD };
const host: Probe['from'] = { kind: 'host' };
const web: Probe['from'] = { kind: 'outside', ip: '203.0.113.2' };
const blocked: Probe['from'] = { kind: 'outside', ip: '203.0.113.130' };

interface Port {
  port: number;
  protocol?: 'TCP' | 'UDP';
  targetPort?: number;
  nodePort?: number;
}

function svc(name: string, clusterIP: string, ports: Port[], spec: Partial<Service['spec']> = {}, status?: Service['status']): Service {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { namespace: 'ns', name },
    spec: { type: ports.some((p) => p.nodePort) ? 'NodePort' : 'ClusterIP', clusterIP, ports: ports.map((p) => ({ name: `p${p.port}`, protocol: p.protocol ?? 'TCP', ...p })), ...spec },
    ...(status ? { status } : {}),
  };
}

/** Endpoints: `ip` (a pod on this node) or `ip@other` (elsewhere). */
function eps(name: string, endpoints: string[], ports: Port[]): EndpointSlice {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { namespace: 'ns', name: `${name}-1`, labels: { 'kubernetes.io/service-name': name } },
    addressType: 'IPv4',
    endpoints: endpoints.map((e) => ({ addresses: [e.split('@')[0]], nodeName: e.includes('@') ? e.split('@')[1] : NODE, conditions: { ready: true } })),
    ports: ports.map((p) => ({ name: `p${p.port}`, port: p.targetPort ?? p.port, protocol: p.protocol ?? 'TCP' })),
  };
}

const http: Port[] = [{ port: 80, targetPort: 8080 }];
const lb = (ip: string): Service['status'] => ({ loadBalancer: { ingress: [{ ip }] } });

interface Case {
  objects: (Service | EndpointSlice)[];
  probes: Probe[];
}

const CASES: Record<string, Case> = {
  'clusterip-1-endpoint': {
    objects: [svc('a', '172.30.0.41', http), eps('a', ['10.180.0.1'], http)],
    probes: [
      { from: client, protocol: 'tcp', destination: '172.30.0.41', port: 80, why: 'pod to a ClusterIP: vmap, DNAT, no masquerade' },
      { from: host, protocol: 'tcp', destination: '172.30.0.41', port: 80, why: 'node to a ClusterIP: nat-output, masquerade' },
      { from: web, protocol: 'tcp', destination: '172.30.0.41', port: 80, why: 'outside to a ClusterIP: masquerade' },
      { from: client, protocol: 'tcp', destination: '172.30.0.41', port: 81, why: 'a port the ClusterIP does not have: cluster-ips-check rejects' },
      { from: client, protocol: 'tcp', destination: '172.30.0.99', port: 80, why: 'an unallocated ClusterIP: dropped' },
    ],
  },
  'clusterip-2-endpoints': {
    objects: [svc('b', '172.30.0.42', http), eps('b', ['10.180.0.2', '10.180.0.3'], http)],
    probes: [
      { from: client, protocol: 'tcp', destination: '172.30.0.42', port: 80, why: 'numgen random mod 2: half each' },
      { from: web, protocol: 'tcp', destination: '172.30.0.42', port: 80, why: 'two endpoints, masqueraded' },
      { from: host, protocol: 'tcp', destination: '172.30.0.42', port: 80, why: 'two endpoints from the node' },
      { from: { kind: 'pod', ip: '10.180.0.2' }, protocol: 'tcp', destination: '172.30.0.42', port: 80, why: 'hairpin: an endpoint to its own Service is masqueraded when it comes back to itself' },
    ],
  },
  'clusterip-3-endpoints-remote': {
    objects: [svc('c', '172.30.0.43', http), eps('c', ['10.180.0.4', '10.180.0.5', '10.180.1.5@node-b'], http)],
    probes: [
      { from: client, protocol: 'tcp', destination: '172.30.0.43', port: 80, why: 'numgen mod 3 (buckets of 1431655766 and 1431655765 in 2^32): a remote endpoint too' },
      { from: web, protocol: 'tcp', destination: '172.30.0.43', port: 80, why: 'three endpoints, masqueraded, one out by eth0' },
      { from: host, protocol: 'tcp', destination: '172.30.0.43', port: 80, why: 'three endpoints from the node' },
    ],
  },
  'udp-dns': {
    objects: [svc('dns', '172.30.0.10', [{ port: 53, protocol: 'UDP' }]), eps('dns', ['10.180.0.6', '10.180.0.7'], [{ port: 53, protocol: 'UDP' }])],
    probes: [
      { from: client, protocol: 'udp', destination: '172.30.0.10', port: 53, why: 'UDP Service, numgen mod 2' },
      { from: host, protocol: 'udp', destination: '172.30.0.10', port: 53, why: 'UDP from the node, masqueraded' },
      { from: web, protocol: 'udp', destination: '172.30.0.10', port: 53, why: 'UDP from outside, masqueraded' },
      { from: client, protocol: 'tcp', destination: '172.30.0.10', port: 53, why: 'TCP to a UDP-only port: rejected' },
    ],
  },
  nodeport: {
    objects: [svc('np', '172.30.0.44', [{ port: 80, targetPort: 8080, nodePort: 30080 }]), eps('np', ['10.180.0.8', '10.180.1.8@node-b'], http)],
    probes: [
      { from: web, protocol: 'tcp', destination: NODE_IP, port: 30080, why: 'NodePort from outside: service-nodeports, DNAT and masquerade' },
      { from: { kind: 'outside', ip: '192.168.0.77' }, protocol: 'tcp', destination: NODE_IP, port: 30080, why: 'NodePort from the node network' },
      { from: host, protocol: 'tcp', destination: NODE_IP, port: 30080, why: 'NodePort from the node itself (fib saddr type local)' },
      { from: client, protocol: 'tcp', destination: NODE_IP, port: 30080, why: 'NodePort from a pod' },
      { from: client, protocol: 'tcp', destination: '172.30.0.44', port: 80, why: "the NodePort Service's ClusterIP" },
    ],
  },
  'nodeport-etp-local': {
    objects: [
      svc('loc', '172.30.0.45', [{ port: 80, targetPort: 8080, nodePort: 30081 }], { externalTrafficPolicy: 'Local', healthCheckNodePort: 30000 }),
      eps('loc', ['10.180.0.9', '10.180.1.9@node-b'], http),
    ],
    probes: [
      { from: web, protocol: 'tcp', destination: NODE_IP, port: 30081, why: 'eTP Local from outside: the local endpoint only, source kept' },
      { from: client, protocol: 'tcp', destination: NODE_IP, port: 30081, why: 'eTP Local from a pod: short-circuited to every endpoint' },
      { from: host, protocol: 'tcp', destination: NODE_IP, port: 30081, why: 'eTP Local from the node: every endpoint, masqueraded' },
      { from: client, protocol: 'tcp', destination: '172.30.0.45', port: 80, why: 'its ClusterIP: every endpoint' },
    ],
  },
  'etp-local-no-local-endpoint': {
    objects: [
      svc('far', '172.30.0.46', [{ port: 80, targetPort: 8080, nodePort: 30082 }], { externalTrafficPolicy: 'Local', healthCheckNodePort: 30001 }),
      eps('far', ['10.180.1.10@node-b'], http),
    ],
    probes: [
      { from: web, protocol: 'tcp', destination: NODE_IP, port: 30082, why: 'eTP Local with no local endpoint: no-endpoint-nodeports drops' },
      { from: client, protocol: 'tcp', destination: '172.30.0.46', port: 80, why: 'its ClusterIP still reaches the remote endpoint' },
    ],
  },
  'loadbalancer-source-ranges': {
    objects: [
      svc('lb', '172.30.0.47', [{ port: 80, targetPort: 8080, nodePort: 30083 }], { type: 'LoadBalancer', loadBalancerSourceRanges: ['203.0.113.0/25'] }, lb('5.6.7.8')),
      eps('lb', ['10.180.0.11'], http),
    ],
    probes: [
      { from: web, protocol: 'tcp', destination: '5.6.7.8', port: 80, why: 'a source inside the ranges: firewall-check passes, DNAT, masquerade' },
      { from: blocked, protocol: 'tcp', destination: '5.6.7.8', port: 80, why: 'a source outside the ranges: the firewall chain drops before DNAT' },
      { from: blocked, protocol: 'tcp', destination: NODE_IP, port: 30083, why: 'the NodePort ignores the source ranges' },
      { from: client, protocol: 'tcp', destination: '5.6.7.8', port: 80, why: 'a pod outside the ranges: dropped too' },
    ],
  },
  'no-endpoints': {
    objects: [svc('none', '172.30.0.48', [{ port: 80, targetPort: 8080, nodePort: 30084 }], { externalIPs: ['192.168.99.11'] })],
    probes: [
      { from: client, protocol: 'tcp', destination: '172.30.0.48', port: 80, why: 'no endpoints: reject-chain (TCP refused)' },
      { from: web, protocol: 'tcp', destination: NODE_IP, port: 30084, why: 'no endpoints: the NodePort rejects' },
      { from: web, protocol: 'tcp', destination: '192.168.99.11', port: 80, why: 'no endpoints: the external IP rejects' },
      { from: host, protocol: 'tcp', destination: '172.30.0.48', port: 80, why: 'no endpoints, from the node: filter-output rejects' },
      { from: client, protocol: 'udp', destination: '172.30.0.48', port: 80, why: 'no UDP port there: cluster-ips-check rejects (the datagram is lost)' },
    ],
  },
  'external-ip': {
    objects: [svc('ext', '172.30.0.49', http, { externalIPs: ['192.168.99.12'] }), eps('ext', ['10.180.0.12', '10.180.0.13'], http)],
    probes: [
      { from: web, protocol: 'tcp', destination: '192.168.99.12', port: 80, why: 'an external IP from outside: masqueraded, both endpoints' },
      { from: client, protocol: 'tcp', destination: '192.168.99.12', port: 80, why: 'an external IP from a pod' },
      { from: host, protocol: 'tcp', destination: '192.168.99.12', port: 80, why: 'an external IP from the node: masqueraded' },
    ],
  },
  'session-affinity': {
    objects: [
      svc('sticky', '172.30.0.50', http, { sessionAffinity: 'ClientIP', sessionAffinityConfig: { clientIP: { timeoutSeconds: 600 } } }),
      eps('sticky', ['10.180.0.14', '10.180.0.15', '10.180.0.16'], http),
    ],
    probes: [
      { from: client, protocol: 'tcp', destination: '172.30.0.50', port: 80, sequential: 8, why: 'ClientIP affinity: the first connection picks, the affinity set keeps the rest there' },
      { from: web, protocol: 'tcp', destination: '172.30.0.50', port: 80, sequential: 6, why: 'affinity for an outside client, masqueraded' },
    ],
  },
};

function transaction(c: Case): string {
  return renderNftRules({
    config: { mode: 'nftables', clusterCIDR: '10.180.0.0/16' },
    serviceCIDRs: ['172.30.0.0/16'],
    node: { name: NODE, addresses: [NODE_IP] },
    objects: c.objects,
  }).text;
}

function engineFor(text: string): NetfilterEngine {
  return new NetfilterEngine({ ruleset: new Ruleset('ipv4'), host: Host.create(ENGINE_HOST), clock: new ManualClock(), random: new SeededRandom(1), nftables: loadNftText(text).hooks });
}

let probeCount = 0;

describeKernel('the Linux kernel agrees with the nftables engine', () => {
  it('covers at least 10 rulesets and 40 probes', () => {
    expect(Object.keys(CASES).length).toBeGreaterThanOrEqual(10);
    expect(Object.values(CASES).reduce((n, c) => n + c.probes.length, 0)).toBeGreaterThanOrEqual(40);
  });

  Object.entries(CASES).forEach(([name, c], caseIndex) => {
    describe(name, () => {
      const text = transaction(c);
      let topology: Topology | undefined;
      let pods: Set<string> = new Set();

      beforeAll(async () => {
        const spec = topologyFor(() => engineFor(text), c.probes);
        pods = new Set(spec.pods);
        topology = await Topology.create(spec);
        run(['ip', 'netns', 'exec', topology.node, 'nft', '-f', '-'], text);
      });

      afterAll(() => {
        topology?.destroy();
      });

      c.probes.forEach((probe, probeIndex) => {
        const from = probe.from.kind === 'host' ? 'node' : probe.from.kind === 'pod' ? `pod ${probe.from.ip}` : `outside ${probe.from.ip}`;
        it(`${probe.protocol} from ${from} to ${probe.destination}:${probe.port}: ${probe.why}`, () => {
          probeCount++;
          const prediction = predict(engineFor(text), probe, pods);
          checkProbe(topology!, probe, prediction, `n${caseIndex}p${probeIndex}`, pods, () => engineFor(text));
        });
      });
    });
  });

  afterAll(() => {
    process.stderr.write(`kernel agreement (nftables): ${Object.keys(CASES).length} rulesets, ${probeCount} probes run\n`);
  });
});
