/**
 * Kernel agreement, end to end: a two-node cluster simulated by the engine
 * and the same cluster rebuilt from network namespaces
 * (support/cluster-topology.ts: a kind network, each node with eth0, a cni0
 * bridge and pods behind it, a real flannel.1 VXLAN device and the tables the
 * engine holds for it, loaded with the real `iptables-restore`), so that a
 * real connection from a pod (or from a client outside the cluster) must land
 * on a pod the engine says it can reach, seen from the source the engine
 * predicts.
 *
 * The cluster (MANIFESTS below, applied through the domain API): two kind
 * nodes (172.18.0.2 and .3, pod CIDRs 10.244.0.0/24 and 10.244.1.0/24), `web`
 * (three pods over both nodes) behind a ClusterIP Service (TCP and UDP) and a
 * NodePort Service with externalTrafficPolicy Cluster, `solo` (one pod on the
 * first node) behind an externalTrafficPolicy Local NodePort, `echo` (one pod
 * on the second node, its own Service's only endpoint), a Service without
 * endpoints, and a `client` pod that is no endpoint.
 *
 * Per case (support/agreement.ts): real connections from distinct source
 * ports, enough that a missed outcome is less likely than 1e-6, each landing
 * where one of the engine's enumerated outcomes says, seen from the source
 * it predicts; every predicted outcome happening; each masquerade showing in
 * that node's conntrack; flannel.1's counters moving on exactly the nodes the
 * engine's VXLAN hops name.
 *
 * Needs root, iptables (nf_tables), iproute2 (ip, bridge), conntrack, nfacct,
 * and VXLAN in network namespaces; skipped elsewhere, and says why
 * (NSIM_KERNEL_REQUIRED=1 turns that into a failure).
 */
import { ping } from './support/ping';
import { NODE_1, NODE_2, OUTSIDE_CLIENT, agreementRun, concreteCase, kernelCluster, expectKernelViews, nodeManifests, podManifest, runAgreementCase, serviceManifest, type From, type KernelCase } from './support/agreement';
import { clusterTopologyUnavailable } from './support/cluster-topology';
import { kernelDescribe, savedRules } from './support/netns';

const describeKernel = kernelDescribe('kernel agreement suite (dataplane)', clusterTopologyUnavailable());

const pod = podManifest;
const service = serviceManifest;
const WEB_PORTS = '{containerPort: 8080}, {containerPort: 8053, protocol: UDP}';

const MANIFESTS = [
  nodeManifests(NODE_1, NODE_2),
  pod('client', NODE_1, undefined, ''),
  pod('web-1', NODE_1, 'web', WEB_PORTS),
  pod('web-2', NODE_1, 'web', WEB_PORTS),
  pod('web-3', NODE_2, 'web', WEB_PORTS),
  pod('solo-1', NODE_1, 'solo', '{containerPort: 8080}'),
  pod('echo-1', NODE_2, 'echo', '{containerPort: 9090}'),
  service('web', 'web', 'ports: [{name: http, port: 80, targetPort: 8080}, {name: dns, port: 53, targetPort: 8053, protocol: UDP}]'),
  service('web-nodeport', 'web', 'type: NodePort, externalTrafficPolicy: Cluster, ports: [{port: 80, targetPort: 8080, nodePort: 30080}]'),
  service('solo-local', 'solo', 'type: NodePort, externalTrafficPolicy: Local, ports: [{port: 80, targetPort: 8080, nodePort: 30081}]'),
  service('echo', 'echo', 'ports: [{port: 90, targetPort: 9090}]'),
  service('empty', 'nobody', 'ports: [{port: 80, targetPort: 8080}]'),
].join('');

// ---------------------------------------------------------------------------
// The cases
// ---------------------------------------------------------------------------

const client: From = { pod: 'client' };
const outside: From = { outside: OUTSIDE_CLIENT };

const CASES: readonly KernelCase[] = [
  { title: 'pod to a ClusterIP, endpoints on both nodes: DNAT, the remote one across VXLAN, source kept', from: client, to: { service: 'web', port: 80 }, protocol: 'tcp' },
  { title: 'the same over UDP', from: client, to: { service: 'web', port: 53 }, protocol: 'udp' },
  { title: "a pod to its own Service (its only endpoint): hairpin, masqueraded to cni0's address", from: { pod: 'echo-1' }, to: { service: 'echo', port: 90 }, protocol: 'tcp' },
  { title: 'an endpoint to its own Service: itself hairpinned and masqueraded, the others with the source kept', from: { pod: 'web-1' }, to: { service: 'web', port: 80 }, protocol: 'tcp' },
  { title: "outside client to an eTP Cluster NodePort on the second node: masqueraded, to the first node's pods from flannel.1's address", from: outside, to: { nodePort: 30080, node: NODE_2 }, protocol: 'tcp' },
  { title: 'outside client to an eTP Cluster NodePort on the first node', from: outside, to: { nodePort: 30080, node: NODE_1 }, protocol: 'tcp' },
  { title: 'outside client to an eTP Local NodePort on the node with its endpoint: source kept', from: outside, to: { nodePort: 30081, node: NODE_1 }, protocol: 'tcp' },
  { title: 'outside client to an eTP Local NodePort on a node without an endpoint: dropped', from: outside, to: { nodePort: 30081, node: NODE_2 }, protocol: 'tcp' },
  { title: "a pod to an eTP Local NodePort on the other node: flannel masquerades it to the node's address, then dropped", from: client, to: { nodePort: 30081, node: NODE_2 }, protocol: 'tcp' },
  { title: 'a Service without endpoints: rejected', from: client, to: { service: 'empty', port: 80 }, protocol: 'tcp' },
  { title: 'a pod to a port another node\'s pod does not open: reset, across VXLAN', from: client, to: { pod: 'echo-1', port: 8080 }, protocol: 'tcp' },
];

// ---------------------------------------------------------------------------

describeKernel('end to end: a two-node VXLAN cluster in the real kernel agrees with the engine', () => {
  const agreement = agreementRun('dataplane', CASES.length, () => kernelCluster(MANIFESTS), [OUTSIDE_CLIENT]);

  const podIP = (name: string) => agreement.sim.network.pod('default', name)!.ip!;
  const clusterIP = (service: string) => (agreement.cluster.store.get(agreement.cluster.store.resourceType('services'), 'default', service).spec as { clusterIP: string }).clusterIP;

  it('builds the nodes the engine describes: two nodes on kind addresses with flannel pod CIDRs', () => {
    expect(agreement.sim.network.nodes().map((n) => [n.name, n.internalIP, n.podCIDR])).toEqual([
      [NODE_1, '172.18.0.2', '10.244.0.0/24'],
      [NODE_2, '172.18.0.3', '10.244.1.0/24'],
    ]);
    expect(agreement.topology.nodeNames()).toEqual([NODE_1, NODE_2]);
  });

  it("each node's kernel interfaces and routes are the ones the engine lists (ip addr, ip route)", () => {
    expectKernelViews(agreement.topology, agreement.sim, ['flannel.1']);
  });

  it("each node's tables (kubelet, kube-proxy, flannel) load with iptables-restore and print as the engine prints them", () => {
    const t = agreement.topology;
    for (const node of t.nodeNames()) {
      const rules = t.rulesOf(node);
      expect(rules).toContain('KUBE-SERVICES');
      expect(rules).toContain('FLANNEL-POSTRTG');
      expect(rules).toContain('KUBE-FIREWALL');
      expect(savedRules(t.save(node))).toEqual(savedRules(rules));
    }
  });

  CASES.forEach((c, caseIndex) => {
    it(c.title, () => {
      runAgreementCase(agreement.topology, agreement.sim, concreteCase(agreement.topology, agreement.sim, c, 20000 + caseIndex * 100), agreement.counts);
    });
  });

  it('a pod pings a pod across VXLAN (answered) and a ClusterIP (not answered), as the engine says', () => {
    const t = agreement.topology;
    const ns = t.podNamespace('pod/default/client');
    const echo = agreement.sim.send({ from: 'pod/default/client', to: podIP('echo-1'), protocol: 'icmp', icmpId: 7 });
    expect(echo.outcomes.map((o) => o.result)).toEqual(['delivered']);
    expect(ping(ns, podIP('echo-1'), 3)).toBe('answered');
    const service = agreement.sim.send({ from: 'pod/default/client', to: clusterIP('web'), protocol: 'icmp', icmpId: 8 });
    expect(service.outcomes.map((o) => o.result)).toEqual(['external']);
    expect(ping(ns, clusterIP('web'), 2)).not.toBe('answered');
  });

  it("the VXLAN outer packets are UDP 8472 between the nodes' addresses, tracked by conntrack on each receiving node", () => {
    const t = agreement.topology;
    const [a, b] = agreement.sim.network.nodes();
    expect(t.conntrack(b.name, '-p', 'udp', '--dport', '8472', '-s', a.internalIP, '-d', b.internalIP).length).toBeGreaterThan(0);
    expect(t.conntrack(a.name, '-p', 'udp', '--dport', '8472', '-s', b.internalIP, '-d', a.internalIP).length).toBeGreaterThan(0);
  });
});
