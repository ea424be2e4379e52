/**
 * Kernel agreement, end to end, over IPv6: a two-node dual-stack cluster
 * simulated by the engine and rebuilt from network namespaces
 * (support/cluster-topology.ts builds both families from the engine's views:
 * each node's IPv4 and IPv6 addresses, cni0 with both gateways, flannel.1 and
 * flannel-v6.1 with their neighbour and FDB entries, both families' routes,
 * and the iptables and ip6tables tables through the real restore commands).
 * Real TCP connections over IPv6 (through kube-proxy's ip6tables rules and
 * flannel-v6.1) must land where the engine's IPv6 hops say, seen from the
 * source it predicts, and move flannel-v6.1's counters on exactly the nodes
 * its VXLAN hops name (support/agreement.ts); one IPv4 case checks the other
 * family of the same cluster.
 *
 * The cluster (applied through the domain API, as `IP_FAMILY=dual` configures
 * it): two nodes (172.18.0.2 and fc00:f853:ccd:e793::2, 172.18.0.3 and ::3;
 * pod CIDRs 10.244.0.0/24 + fd00:10:244::/64 and 10.244.1.0/24 +
 * fd00:10:244:1::/64), `web` (three pods over both nodes) behind a
 * PreferDualStack ClusterIP and a PreferDualStack NodePort (externalTrafficPolicy
 * Cluster), `solo` behind a dual-stack externalTrafficPolicy Local NodePort,
 * `echo` on the second node, a dual-stack Service without endpoints, and a
 * `client` pod.
 *
 * Needs what dataplane.kernel-spec.ts needs, plus ip6tables; skipped elsewhere,
 * and says why (NSIM_KERNEL_REQUIRED=1 turns that into a failure).
 */
import { kernelDescribe, missingTool, savedRules } from './support/netns';
import { ping } from './support/ping';
import { DUAL_STACK_POOLS, NODE_1, NODE_2, OUTSIDE_CLIENT, OUTSIDE_CLIENT6, agreementRun, concreteCase, kernelCluster, expectKernelViews, nodeManifests, podManifest, runAgreementCase, serviceManifest, type From, type KernelCase } from './support/agreement';
import { clusterTopologyUnavailable } from './support/cluster-topology';

const describeKernel = kernelDescribe('kernel agreement suite (dual-stack dataplane)', clusterTopologyUnavailable() ?? missingTool(['ip6tables-restore'], 'apt-get install -y iptables'));

const pod = podManifest;
const service = (name: string, app: string, spec: string) => serviceManifest(name, app, `ipFamilyPolicy: PreferDualStack, ${spec}`);

const MANIFESTS = `${nodeManifests(NODE_1, NODE_2)}${pod('client', NODE_1, undefined, '')}${pod('web-1', NODE_1, 'web', '{containerPort: 8080}')}${pod('web-2', NODE_1, 'web', '{containerPort: 8080}')}${pod('web-3', NODE_2, 'web', '{containerPort: 8080}')}${pod('solo-1', NODE_1, 'solo', '{containerPort: 8080}')}${pod('echo-1', NODE_2, 'echo', '{containerPort: 9090}')}${service('web', 'web', 'ports: [{port: 80, targetPort: 8080}]')}${service('web-nodeport', 'web', 'type: NodePort, externalTrafficPolicy: Cluster, ports: [{port: 80, targetPort: 8080, nodePort: 30080}]')}${service('solo-local', 'solo', 'type: NodePort, externalTrafficPolicy: Local, ports: [{port: 80, targetPort: 8080, nodePort: 30081}]')}${service('echo', 'echo', 'ports: [{port: 90, targetPort: 9090}]')}${service('empty', 'nobody', 'ports: [{port: 80, targetPort: 8080}]')}`;

const client: From = { pod: 'client' };
const outside6: From = { outside: OUTSIDE_CLIENT6 };

const CASES: readonly KernelCase[] = [
  { title: 'IPv6: pod to a ClusterIP, endpoints on both nodes: DNAT, the remote one across flannel-v6.1, source kept', from: client, to: { service: 'web', port: 80 }, family: 'ipv6' },
  { title: 'IPv6: an endpoint to its own Service: itself hairpinned and masqueraded, the others with the source kept', from: { pod: 'web-1' }, to: { service: 'web', port: 80 }, family: 'ipv6' },
  { title: "IPv6: outside client to an eTP Cluster NodePort on the second node's IPv6 address: masqueraded", from: outside6, to: { nodePort: 30080, node: NODE_2 }, family: 'ipv6' },
  { title: 'IPv6: outside client to an eTP Local NodePort on the node with its endpoint: source kept', from: outside6, to: { nodePort: 30081, node: NODE_1 }, family: 'ipv6' },
  { title: 'IPv6: outside client to an eTP Local NodePort on a node without an endpoint: dropped', from: outside6, to: { nodePort: 30081, node: NODE_2 }, family: 'ipv6' },
  { title: 'IPv6: a Service without endpoints: rejected (icmp6-port-unreachable)', from: client, to: { service: 'empty', port: 80 }, family: 'ipv6' },
  { title: "IPv6: a pod to a port another node's pod does not open: reset, across flannel-v6.1", from: client, to: { pod: 'echo-1', port: 8080 }, family: 'ipv6' },
  { title: 'IPv4 on the same dual-stack cluster: pod to a ClusterIP across flannel.1', from: client, to: { service: 'web', port: 80 }, family: 'ipv4' },
];

describeKernel('end to end: a dual-stack two-node VXLAN cluster in the real kernel agrees with the engine over IPv6', () => {
  const agreement = agreementRun('dual-stack dataplane', CASES.length, () => kernelCluster(MANIFESTS, DUAL_STACK_POOLS), [OUTSIDE_CLIENT, OUTSIDE_CLIENT6]);

  it('builds the nodes the engine describes: an address and a pod CIDR of each family', () => {
    expect(agreement.sim.network.nodes().map((n) => [n.name, n.internalIP, n.internalIP6, n.podCIDR, n.podCIDR6])).toEqual([
      [NODE_1, '172.18.0.2', 'fc00:f853:ccd:e793::2', '10.244.0.0/24', 'fd00:10:244::/64'],
      [NODE_2, '172.18.0.3', 'fc00:f853:ccd:e793::3', '10.244.1.0/24', 'fd00:10:244:1::/64'],
    ]);
  });

  it("each node's kernel interfaces and routes of both families are the ones the engine lists (ip addr, ip route, ip -6 route)", () => {
    expectKernelViews(agreement.topology, agreement.sim, ['flannel.1', 'flannel-v6.1']);
  });

  it("each node's ip6tables tables (kubelet, kube-proxy's IPv6 proxier, flannel) load with ip6tables-restore and print as the engine prints them", () => {
    const t = agreement.topology;
    for (const node of t.nodeNames()) {
      const rules = t.rules6Of(node)!;
      expect(rules).toContain('KUBE-SERVICES');
      expect(rules).toContain('-A FLANNEL-POSTRTG -s fd00:10:244::/56 ! -d ff00::/8 -m comment --comment "flanneld masq" -j MASQUERADE --random-fully');
      expect(savedRules(t.save6(node))).toEqual(savedRules(rules));
    }
  });

  CASES.forEach((c, caseIndex) => {
    it(c.title, () => {
      runAgreementCase(agreement.topology, agreement.sim, concreteCase(agreement.topology, agreement.sim, c, 30000 + caseIndex * 100), agreement.counts);
    });
  });

  it('a pod pings a pod across flannel-v6.1 with ICMPv6 echo (answered) and an IPv6 ClusterIP (not answered), as the engine says', () => {
    const ns = agreement.topology.podNamespace('pod/default/client');
    const echo6 = agreement.sim.network.pod('default', 'echo-1')!.ip6!;
    const web6 = (agreement.cluster.store.get(agreement.cluster.store.resourceType('services'), 'default', 'web').spec as { clusterIPs: string[] }).clusterIPs[1];
    const answered = agreement.sim.send({ from: 'pod/default/client', to: echo6, protocol: 'icmp', icmpId: 7 });
    expect(answered.outcomes.map((o) => o.result)).toEqual(['delivered']);
    expect(answered.outcomes[0].reply.at(-1)?.packet).toMatchObject({ protocol: 'icmpv6', icmpType: 129 });
    expect(ping(ns, echo6, 3)).toBe('answered');
    const service = agreement.sim.send({ from: 'pod/default/client', to: web6, protocol: 'icmp', icmpId: 8 });
    expect(service.outcomes.map((o) => o.result)).not.toContain('delivered');
    expect(ping(ns, web6, 2)).not.toBe('answered');
  });

  it("the IPv6 VXLAN outer packets are UDP 8472 between the nodes' IPv6 addresses, tracked by conntrack on each receiving node", () => {
    const t = agreement.topology;
    const [a, b] = agreement.sim.network.nodes();
    expect(t.conntrack(b.name, '-f', 'ipv6', '-p', 'udp', '--dport', '8472', '-s', a.internalIP6!, '-d', b.internalIP6!).length).toBeGreaterThan(0);
    expect(t.conntrack(a.name, '-f', 'ipv6', '-p', 'udp', '--dport', '8472', '-s', b.internalIP6!, '-d', a.internalIP6!).length).toBeGreaterThan(0);
  });
});
