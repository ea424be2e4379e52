/**
 * Kernel agreement for kube-proxy's nftables mode in a whole cluster: the
 * two-node VXLAN cluster of dataplane.kernel-spec.ts (support/cluster-topology.ts:
 * a kind network, each node with eth0, cni0 and its pods, a real flannel.1),
 * built three times from the engine's view:
 *
 *   - both nodes in nftables mode: each node's `kube-proxy` table, printed as
 *     `nft list ruleset` prints it, is loaded with the real `nft -f` next to
 *     the iptables tables kube-proxy leaves on the node (the kubelet's and
 *     flannel's, through iptables-restore);
 *   - one node in each mode (kind-worker in iptables mode, kind-worker2 in
 *     nftables mode), as in a cluster migrating node by node: the cases cross
 *     from one mode's node to the other's and back;
 *   - dual-stack, both nodes in nftables mode: the `ip6 kube-proxy` table too,
 *     beside the nodes' ip6tables, with flannel-v6.1 between the nodes; the
 *     cases over IPv6 (and one over IPv4).
 *
 * Per case (support/agreement.ts): real connections from distinct source
 * ports land where one of the engine's enumerated outcomes (as POST
 * /netsim/v1/traffic gives them) says, seen from the source it predicts; every
 * predicted outcome happens; each masquerade shows in that node's conntrack;
 * flannel.1's counters move on exactly the nodes the engine's VXLAN hops name.
 * Before the cases: the kernel loads each node's nft text and lists it back as
 * our printer prints it (hash sets' element order aside).
 *
 * Needs what dataplane.kernel-spec.ts needs, ip6tables-restore and nft; skipped elsewhere, and
 * says why (NSIM_KERNEL_REQUIRED=1 turns that into a failure).
 */
import type { Cluster } from '../../src/cluster/cluster';
import { DUAL_STACK_POOLS, NODE_1, NODE_2, OUTSIDE_CLIENT, OUTSIDE_CLIENT6, agreementRun, concreteCase, expectKernelViews, kernelCluster, nodeManifests, podManifest, runAgreementCase, serviceManifest, type From, type KernelCase } from './support/agreement';
import { clusterTopologyUnavailable } from './support/cluster-topology';
import { kernelDescribe, networkNamespacesUnavailable, savedRules } from './support/netns';

const describeKernel = kernelDescribe('kernel agreement suite (nftables cluster)', clusterTopologyUnavailable() ?? networkNamespacesUnavailable(['nft', 'ip6tables-restore']));

const pod = podManifest;

/**
 * A client pod and a one-endpoint Service on each node (`one`, `two`), `web`
 * over both nodes behind a ClusterIP (TCP and UDP) and an externalTrafficPolicy
 * Cluster NodePort, `two` also behind an externalTrafficPolicy Local NodePort,
 * and a Service without endpoints.
 */
const WEB_PORTS = '{containerPort: 8080}, {containerPort: 8053, protocol: UDP}';
const manifests = (service: typeof serviceManifest) => [
  nodeManifests(NODE_1, NODE_2),
  pod('client-1', NODE_1, undefined, ''),
  pod('client-2', NODE_2, undefined, ''),
  pod('one-1', NODE_1, 'one', '{containerPort: 9090}'),
  pod('two-1', NODE_2, 'two', '{containerPort: 9090}'),
  pod('web-1', NODE_1, 'web', WEB_PORTS),
  pod('web-2', NODE_2, 'web', WEB_PORTS),
  service('one', 'one', 'ports: [{port: 90, targetPort: 9090}]'),
  service('two', 'two', 'ports: [{port: 90, targetPort: 9090}]'),
  service('web', 'web', 'ports: [{name: http, port: 80, targetPort: 8080}, {name: dns, port: 53, targetPort: 8053, protocol: UDP}]'),
  service('web-nodeport', 'web', 'type: NodePort, externalTrafficPolicy: Cluster, ports: [{port: 80, targetPort: 8080, nodePort: 30080}]'),
  service('two-local', 'two', 'type: NodePort, externalTrafficPolicy: Local, ports: [{port: 90, targetPort: 9090, nodePort: 30090}]'),
  service('empty', 'nobody', 'ports: [{port: 80, targetPort: 8080}]'),
].join('');
const MANIFESTS = manifests(serviceManifest);
/** The same cluster dual-stack: every Service with a ClusterIP of each family. */
const DUAL_STACK_MANIFESTS = manifests((name, app, spec) => serviceManifest(name, app, `ipFamilyPolicy: PreferDualStack, ${spec}`));

const client1: From = { pod: 'client-1' };
const client2: From = { pod: 'client-2' };
const outside: From = { outside: OUTSIDE_CLIENT };

/** The cases of both clusters: each way between the nodes, NodePorts on each node, a hairpin, a reject. */
const CASES: readonly KernelCase[] = [
  { title: "a pod on the first node to a ClusterIP whose endpoint is on the second: DNAT on the client's node, across VXLAN, source kept", from: client1, to: { service: 'two', port: 90 } },
  { title: "a pod on the second node to a ClusterIP whose endpoint is on the first: the other way back", from: client2, to: { service: 'one', port: 90 } },
  { title: 'a pod to a ClusterIP with endpoints on both nodes (TCP)', from: client1, to: { service: 'web', port: 80 } },
  { title: 'the same from the other node over UDP', from: client2, to: { service: 'web', port: 53 }, protocol: 'udp' },
  { title: "a pod to its own Service (its only endpoint): hairpin, masqueraded to cni0's address", from: { pod: 'two-1' }, to: { service: 'two', port: 90 } },
  { title: 'outside client to an eTP Cluster NodePort on the first node: masqueraded, the remote endpoint across VXLAN', from: outside, to: { nodePort: 30080, node: NODE_1 } },
  { title: 'outside client to an eTP Cluster NodePort on the second node', from: outside, to: { nodePort: 30080, node: NODE_2 } },
  { title: 'outside client to an eTP Local NodePort on the node with its endpoint: source kept', from: outside, to: { nodePort: 30090, node: NODE_2 } },
  { title: 'outside client to an eTP Local NodePort on a node without an endpoint: dropped', from: outside, to: { nodePort: 30090, node: NODE_1 } },
  { title: "a pod to an eTP Local NodePort on the other node, which has the endpoint: flannel masquerades it to its node's address, delivered from there", from: client1, to: { nodePort: 30090, node: NODE_2 } },
  { title: "a pod to an eTP Local NodePort on the other node, without an endpoint: flannel masquerades it, then dropped", from: client2, to: { nodePort: 30090, node: NODE_1 } },
  { title: 'a Service without endpoints from the first node: rejected', from: client1, to: { service: 'empty', port: 80 } },
  { title: 'a Service without endpoints from the second node: rejected', from: client2, to: { service: 'empty', port: 80 } },
];

const outside6: From = { outside: OUTSIDE_CLIENT6 };

/** On the dual-stack cluster with both nodes in nftables mode: the same over IPv6 (kube-proxy's `ip6 kube-proxy` table), and one IPv4 case. */
const DUAL_STACK_CASES: readonly KernelCase[] = [
  { title: 'IPv6: a pod to a ClusterIP whose endpoint is on the other node: across flannel-v6.1, source kept', from: client1, to: { service: 'two', port: 90 }, family: 'ipv6' },
  { title: 'IPv6: a pod to a ClusterIP with endpoints on both nodes over UDP', from: client2, to: { service: 'web', port: 53 }, protocol: 'udp', family: 'ipv6' },
  { title: 'IPv6: a pod to its own Service: hairpin, masqueraded', from: { pod: 'two-1' }, to: { service: 'two', port: 90 }, family: 'ipv6' },
  { title: "IPv6: outside client to an eTP Cluster NodePort on the first node's IPv6 address: masqueraded", from: outside6, to: { nodePort: 30080, node: NODE_1 }, family: 'ipv6' },
  { title: 'IPv6: outside client to an eTP Local NodePort on the node with its endpoint: source kept', from: outside6, to: { nodePort: 30090, node: NODE_2 }, family: 'ipv6' },
  { title: 'IPv6: outside client to an eTP Local NodePort on a node without an endpoint: dropped', from: outside6, to: { nodePort: 30090, node: NODE_1 }, family: 'ipv6' },
  { title: 'IPv6: a Service without endpoints: rejected', from: client2, to: { service: 'empty', port: 80 }, family: 'ipv6' },
  { title: 'IPv4 on the same cluster: a pod to a ClusterIP whose endpoint is on the other node', from: client2, to: { service: 'one', port: 90 }, family: 'ipv4' },
];

/** nftables mode for a node, as PUT /netsim/v1/nodes/{node}/kube-proxy/config sets it (minSyncPeriod 0s: each change at once). */
function nftablesMode(cluster: Cluster, node: string): void {
  const config = cluster.kubeProxies.defaultConfig();
  cluster.kubeProxies.setNodeConfig(node, { ...config, mode: 'nftables', nftables: { minSyncPeriod: '0s' } } as typeof config);
}

/** An `nft list` text with each `elements = { … }` list sorted (a hash set's elements come back in the kernel's hash order). */
function sortedElements(text: string): string {
  return text.replace(/elements = \{ ([\s\S]*?) \}\n/g, (_m, inner: string) => `elements = { ${inner.split(/,\s+/).map((i) => i.trim()).sort().join(', ')} }\n`);
}

interface Suite {
  readonly name: string;
  /** The nodes in nftables mode (the others in iptables mode). */
  readonly nftNodes: readonly string[];
  readonly cases: readonly KernelCase[];
  /** A dual-stack cluster: IPv6 too (flannel-v6.1, ip6tables, the `ip6 kube-proxy` table). */
  readonly dualStack?: boolean;
}

/** One cluster's suite: the nodes in the given modes, its topology built once, every case run against it. */
function agreementSuite({ name: suite, nftNodes, cases, dualStack = false }: Suite): void {
  const agreement = agreementRun(suite, cases.length, () => {
    const cluster = dualStack ? kernelCluster(DUAL_STACK_MANIFESTS, DUAL_STACK_POOLS) : kernelCluster(MANIFESTS);
    for (const node of nftNodes) nftablesMode(cluster, node);
    return cluster;
  }, dualStack ? [OUTSIDE_CLIENT, OUTSIDE_CLIENT6] : [OUTSIDE_CLIENT]);

  it('each node runs kube-proxy in the mode asked', () => {
    expect(agreement.cluster.kubeProxies.nftablesNodes()).toEqual([...nftNodes].sort());
    for (const node of agreement.topology.nodeNames()) {
      const nft = agreement.topology.nftOf(node);
      if (nftNodes.includes(node)) expect(nft).toContain('table ip kube-proxy {');
      else expect(nft).toBeUndefined();
    }
  });

  it("each node's kernel interfaces and routes are the ones the engine lists (ip addr, ip route)", () => {
    expectKernelViews(agreement.topology, agreement.sim, dualStack ? ['flannel.1', 'flannel-v6.1'] : ['flannel.1']);
  });

  it("each node's iptables tables load and print as the engine prints them: kube-proxy's chains only on an iptables-mode node", () => {
    const t = agreement.topology;
    for (const node of t.nodeNames()) {
      const rules = t.rulesOf(node);
      expect(rules).toContain('FLANNEL-POSTRTG');
      expect(rules).toContain('KUBE-FIREWALL');
      if (nftNodes.includes(node)) expect(rules).not.toContain('KUBE-SERVICES');
      else expect(rules).toContain('KUBE-SERVICES');
      expect(savedRules(t.save(node))).toEqual(savedRules(rules));
      if (dualStack) {
        const rules6 = t.rules6Of(node)!;
        if (nftNodes.includes(node)) expect(rules6).not.toContain('KUBE-SERVICES');
        expect(savedRules(t.save6(node))).toEqual(savedRules(rules6));
      }
    }
  });

  it("each nftables-mode node's table, loaded with nft -f beside them, lists back as our printer prints it", () => {
    const t = agreement.topology;
    for (const node of nftNodes) {
      const listed = (dualStack ? ['ip', 'ip6'] : ['ip']).map((family) => t.nftList(node, family, 'kube-proxy')).join('');
      expect(sortedElements(listed)).toBe(sortedElements(t.nftOf(node)!));
    }
  });

  cases.forEach((c, caseIndex) => {
    it(c.title, () => {
      runAgreementCase(agreement.topology, agreement.sim, concreteCase(agreement.topology, agreement.sim, c, 20000 + caseIndex * 100), agreement.counts);
    });
  });
}

describeKernel('end to end: a two-node VXLAN cluster in nftables mode agrees with the engine', () => {
  agreementSuite({ name: 'nftables cluster', nftNodes: [NODE_1, NODE_2], cases: CASES });
});

describeKernel('end to end: a cluster with a node in each mode (iptables, nftables) agrees with the engine', () => {
  agreementSuite({ name: 'mixed-mode cluster', nftNodes: [NODE_2], cases: CASES });
});

describeKernel('end to end: a dual-stack two-node VXLAN cluster in nftables mode agrees with the engine over IPv6', () => {
  agreementSuite({ name: 'dual-stack nftables cluster', nftNodes: [NODE_1, NODE_2], cases: DUAL_STACK_CASES, dualStack: true });
});
