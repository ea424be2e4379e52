/**
 * One end-to-end agreement case of the kernel suite (dataplane.kernel-spec.ts
 * over IPv4, dual-stack.kernel-spec.ts over IPv6, nftables-cluster.kernel-spec.ts
 * with nodes in nftables mode; each suite's lifecycle is `agreementRun`): the engine enumerates each
 * connection's outcomes (`TrafficSimulator.send`, with that connection's
 * source port); the real client then makes N connections from distinct
 * source ports, where N makes a missed outcome less likely than 1e-6, and:
 *   - every connection lands where one of its outcomes (probability > 0) says:
 *     the same pod and address:port, seen from the same source address (and
 *     port, where the engine says the source is kept; masquerade picks ports at
 *     random, so only the address is compared then), or refused / dropped;
 *   - every outcome the engine predicts happens;
 *   - where the engine says a node masqueraded the connection, that node's
 *     conntrack table shows the same new source address;
 *   - the VXLAN device's packet counters move on the nodes the engine's VXLAN
 *     hops name (request and reply), and on no other node.
 */
import { applyManifests } from '../../../src/cluster/apply/manifest-apply';
import { parseManifestYaml } from '../../../src/cluster/apply/manifests';
import type { Cluster } from '../../../src/cluster/cluster';
import { newCluster } from '../../support/cluster/cluster';
import { TrafficSimulator, type TrafficOutcome, type TrafficRequest } from '../../../src/dataplane/traffic';
import type { AddressPoolOptions } from '../../../src/ipam/address-pools';
import { joinHostPort } from '../../../src/kube-proxy/ip';
import { ClusterTopology, type ConntrackEntry } from './cluster-topology';
import type { ClientResult, ListenerRecord } from './netns';

/** An acceptable chance that some predicted outcome is never seen. */
const MISS_BOUND = 1e-6;

/** Connections enough that every outcome of probability p shows up: sum over outcomes of (1 - p)^n < MISS_BOUND. */
export function connectionsFor(probabilities: readonly number[]): number {
  let n = 8;
  while (probabilities.reduce((sum, p) => sum + (1 - p) ** n, 0) >= MISS_BOUND) n++;
  return n;
}

/** `10.0.0.1:80` or `[fd00::1]:80` split into its address and port. */
export function splitEndpoint(text: string): [string, string] {
  const bracketed = /^\[(.*)\]:(\d+)$/.exec(text);
  if (bracketed) return [bracketed[1], bracketed[2]];
  const colon = text.lastIndexOf(':');
  return colon < 0 || text.indexOf(':') !== colon ? [text, ''] : [text.slice(0, colon), text.slice(colon + 1)];
}

/**
 * Where a connection ends, in words both sides can say: the pod, the address
 * and port it arrived at, and the source it saw (with its port only when the
 * source is the client's own, unmasqueraded); else refused (a TCP reset or an
 * ICMP port unreachable: REJECT and a closed port look alike to the client),
 * unreachable (ICMP host unreachable: no route, no neighbour) or dropped.
 */
export function engineClass(o: TrafficOutcome, clientAddress: string): string {
  if (o.result === 'delivered' && o.destination?.pod && o.seenSource) {
    const [ip, port] = splitEndpoint(o.seenSource);
    return `${o.destination.pod} ${joinHostPort(o.destination.ip, o.destination.port)} from ${ip === clientAddress ? joinHostPort(ip, Number(port)) : ip}`;
  }
  if (o.result === 'refused' || o.result === 'rejected') return 'refused';
  if (o.result === 'dropped') return 'dropped';
  if (o.result === 'no-route') return 'unreachable';
  return `${o.result} (${o.reason ?? ''})`;
}

/** The listener's record (or the client's result) in engineClass's words. An IPv4-mapped IPv6 address is the IPv4 one. */
export function kernelClass(result: ClientResult, record: ListenerRecord | undefined, clientAddress: string): string {
  if (record) {
    const remote = record.remote.replace(/^::ffff:(\d+\.\d+\.\d+\.\d+)$/, '$1');
    const local = record.local.replace(/^::ffff:(\d+\.\d+\.\d+\.\d+)$/, '$1');
    const source = remote === clientAddress ? joinHostPort(remote, record.remotePort) : remote;
    return `${record.ns.replace(/^pod\//, '')} ${joinHostPort(local, record.localPort)} from ${source}`;
  }
  if (result.result === 'refused') return 'refused';
  if (result.result === 'unreachable') return 'unreachable';
  if (result.result === 'timeout') return 'dropped';
  return `unexplained (${result.result})`;
}

/** Per node, how many packets the VXLAN device must at least have sent / received for these outcomes. */
export function vxlanPackets(outcomes: readonly TrafficOutcome[], nodeByAddress: ReadonlyMap<string, string>): Map<string, number> {
  const expected = new Map<string, number>();
  const add = (key: string) => expected.set(key, (expected.get(key) ?? 0) + 1);
  for (const o of outcomes) {
    for (const hop of [...o.hops, ...o.reply]) {
      // One crossing shows as two hops (the sender's encapsulation, the receiver's decapsulation): count the sender's.
      if (!hop.encapsulation || hop.node !== nodeByAddress.get(hop.encapsulation.outer.source)) continue;
      add(`tx ${hop.node}`);
      add(`rx ${nodeByAddress.get(hop.encapsulation.outer.destination)}`);
    }
  }
  return expected;
}

/** A pod of the kernel cases' manifests (agnhost, on a given node, with these container ports). */
export function podManifest(name: string, node: string, app: string | undefined, ports: string): string {
  return `---
apiVersion: v1
kind: Pod
metadata: {name: ${name}${app ? `, labels: {app: ${app}}` : ''}}
spec: {nodeName: ${node}, containers: [{name: main, image: registry.k8s.io/e2e-test-images/agnhost:2.53, ports: [${ports}]}]}
`;
}

/** The two nodes of the kernel cases' clusters (kind's names; kernelCluster gives them 172.18.0.2 and .3). */
export const NODE_1 = 'kind-worker';
export const NODE_2 = 'kind-worker2';
/** A client outside the cluster, on kind's network; and one on its IPv6 network. */
export const OUTSIDE_CLIENT = '172.18.0.100';
export const OUTSIDE_CLIENT6 = 'fc00:f853:ccd:e793::100';
/** The address pools of a dual-stack kernel cluster (kind's dual-stack defaults). */
export const DUAL_STACK_POOLS: Partial<AddressPoolOptions> = { serviceClusterIpRange: '10.96.0.0/16,fd00:10:96::/112', clusterCidr: '10.244.0.0/16,fd00:10:244::/56', nodeCidrMaskSize: undefined };

/** A Service of the kernel cases' manifests, selecting the pods of `app`, with these spec fields (flow YAML: `type: NodePort, ports: [...]`). */
export function serviceManifest(name: string, app: string, spec: string): string {
  return `---
apiVersion: v1
kind: Service
metadata: {name: ${name}}
spec: {selector: {app: ${app}}, ${spec}}
`;
}

/** The Nodes of the kernel cases' manifests. */
export function nodeManifests(...names: readonly string[]): string {
  return names.map((name) => `---\napiVersion: v1\nkind: Node\nmetadata: {name: ${name}}\n`).join('');
}

/** The two-node cluster of a kernel suite: its manifests applied through the domain API (seed 7), with these address pools. */
export function kernelCluster(manifests: string, pools: Partial<AddressPoolOptions> = {}): Cluster {
  const cluster = newCluster(pools, 7);
  applyManifests(cluster.store, parseManifestYaml(manifests));
  return cluster;
}

/** A suite's cluster, its engine and its kernel topology, and the counts its cases add to. */
export interface AgreementRun {
  readonly cluster: Cluster;
  readonly sim: TrafficSimulator;
  readonly topology: ClusterTopology;
  readonly counts: AgreementCounts;
}

/**
 * A suite's lifecycle, in the describe block that calls it: the cluster built
 * (`build`) and rebuilt from namespaces before the cases, torn down after them,
 * and the suite's summary line written then.
 */
export function agreementRun(suite: string, caseCount: number, build: () => Cluster, outsideClients: readonly string[]): AgreementRun {
  let built: { cluster: Cluster; sim: TrafficSimulator; topology?: ClusterTopology } | undefined;
  const counts: AgreementCounts = { connections: 0, natChecked: 0, crossed: 0 };
  let started = 0;
  beforeAll(async () => {
    started = Date.now();
    const cluster = build();
    const sim = new TrafficSimulator(cluster);
    built = { cluster, sim };
    built.topology = await ClusterTopology.create(sim.network, { outsideClients });
  });
  afterAll(() => {
    built?.topology?.destroy();
    process.stderr.write(agreementSummary(suite, caseCount, counts, started));
  });
  const get = () => {
    if (!built?.topology) throw new Error(`the ${suite} cluster was not built`);
    return built as Required<typeof built>;
  };
  return {
    get cluster() {
      return get().cluster;
    },
    get sim() {
      return get().sim;
    },
    get topology() {
      return get().topology;
    },
    counts,
  };
}

/** One case of a suite: who sends where, over which protocol (default tcp) and family (default IPv4). */
export interface KernelCase {
  readonly title: string;
  readonly from: From;
  readonly to: To;
  readonly protocol?: 'tcp' | 'udp';
  readonly family?: 'ipv4' | 'ipv6';
}

/** Who sends: a pod, or a client outside the cluster (its address). */
export type From = { pod: string } | { outside: string };
/** Where to: a Service's ClusterIP, a NodePort on a node's address, or a pod's address. */
export type To = { service: string; port: number } | { nodePort: number; node: string } | { pod: string; port: number };

/**
 * A case in the cluster's terms made concrete: the addresses of its family
 * (a pod's, a Service's ClusterIP, a node's InternalIP), the client's
 * namespace, and the VXLAN device of that family.
 */
export function concreteCase(t: ClusterTopology, sim: TrafficSimulator, c: KernelCase, basePort: number): AgreementCase {
  const { from, to } = c;
  const v6 = c.family === 'ipv6';
  const podIP = (name: string) => {
    const pod = sim.network.pod('default', name)!;
    return (v6 ? pod.ip6 : pod.ip)!;
  };
  const store = sim.cluster.store;
  const clusterIP = (name: string) => {
    const spec = store.get(store.resourceType('services'), 'default', name).spec as { clusterIP: string; clusterIPs?: string[] };
    return (spec.clusterIPs ?? [spec.clusterIP]).find((ip) => ip.includes(':') === v6)!;
  };
  const nodeIP = (name: string) => (v6 ? sim.network.node(name).internalIP6! : sim.network.node(name).internalIP);
  const [destination, port] = 'service' in to ? [clusterIP(to.service), to.port] : 'nodePort' in to ? [nodeIP(to.node), to.nodePort] : [podIP(to.pod), to.port];
  return {
    from: 'pod' in from ? `pod/default/${from.pod}` : { external: from.outside },
    ns: 'pod' in from ? t.podNamespace(`pod/default/${from.pod}`) : t.outside,
    clientAddress: 'pod' in from ? podIP(from.pod) : from.outside,
    destination,
    port,
    protocol: c.protocol ?? 'tcp',
    source: 'outside' in from ? from.outside : undefined,
    basePort,
    device: v6 ? 'flannel-v6.1' : 'flannel.1',
  };
}

/** Each node's kernel interfaces, routes and VXLAN devices are the ones the engine lists (`ip addr`, `ip route`, `ip -d link`). */
export function expectKernelViews(t: ClusterTopology, sim: TrafficSimulator, vxlanDevices: readonly string[]): void {
  const byName = (a: { name: string }, b: { name: string }) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
  for (const node of t.nodeNames()) {
    const engine = sim.network.interfaces(node);
    expect({ node, interfaces: t.kernelInterfaces(node).sort(byName) }).toEqual({
      node,
      interfaces: engine.map((i) => ({ name: i.name, mtu: i.mtu, addresses: i.addresses })).sort(byName),
    });
    expect({ node, routes: t.kernelRoutes(node).sort() }).toEqual({ node, routes: [...sim.network.routes(node)].sort() });
    for (const device of vxlanDevices) {
      const details = /^\s*(vxlan .*)$/m.exec(engine.find((i) => i.name === device)!.text)![1];
      expect(t.kernelLinkDetails(node, device).startsWith(details)).toBe(true);
    }
  }
}

/** The suite's closing line: cases, connections, VXLAN crossings, NAT rewrites checked, time. */
export function agreementSummary(suite: string, cases: number, counts: AgreementCounts, started: number): string {
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  return `kernel agreement (${suite}): ${cases} cases, ${counts.connections} connections (${counts.crossed} across VXLAN), ${counts.natChecked} source NAT rewrites checked against conntrack, ${seconds} s\n`;
}

export interface AgreementCase {
  readonly from: TrafficRequest['from'];
  /** The namespace the client runs in (a pod's, or the outside one). */
  readonly ns: string;
  /** The client's own address (a pod's of the destination's family, or the outside client's). */
  readonly clientAddress: string;
  readonly destination: string;
  readonly port: number;
  readonly protocol: 'tcp' | 'udp';
  /** An outside client binds its own address. */
  readonly source?: string;
  /** The first source port; each connection takes the next. */
  readonly basePort: number;
  /** The VXLAN device whose counters the crossings move: `flannel.1`, or `flannel-v6.1` for IPv6. */
  readonly device: string;
}

export interface AgreementCounts {
  connections: number;
  natChecked: number;
  crossed: number;
}

/** Runs one case against the real kernel and checks it against the engine (see the file's comment); adds to `counts`. */
export function runAgreementCase(t: ClusterTopology, sim: TrafficSimulator, c: AgreementCase, counts: AgreementCounts): void {
  const { clientAddress, destination, port } = c;
  const family = destination.includes(':') ? 'ipv6' : 'ipv4';
  const predict = (sourcePort: number) =>
    sim.send({ from: c.from, to: joinHostPort(destination, port), protocol: c.protocol, sourcePort, mode: 'enumerate' }).outcomes.filter((o) => o.probability > 0);
  // A class with the client's own port in it, for any port: `10.244.0.5:*`, `[fd00:10:244::5]:*`.
  const anyPort = (text: string, p: number) => text.replace(joinHostPort(clientAddress, p), `${joinHostPort(clientAddress, 0).slice(0, -1)}*`);

  // How many connections: enough that each predicted place shows up (miss chance < 1e-6).
  const byClass = new Map<string, number>();
  for (const o of predict(c.basePort)) {
    const key = anyPort(engineClass(o, clientAddress), c.basePort);
    byClass.set(key, (byClass.get(key) ?? 0) + o.probability);
  }
  const onlyDropped = byClass.size === 1 && byClass.has('dropped');
  const count = onlyDropped ? 3 : connectionsFor([...byClass.values()]);
  expect(count).toBeLessThan(100);
  const localPorts = Array.from({ length: count }, (_, i) => c.basePort + i);
  const ids = localPorts.map((p) => `${family}-${c.basePort}-${p}`);

  const nodeByAddress = new Map(sim.network.nodes().flatMap((n) => [[n.internalIP, n.name] as const, ...(n.internalIP6 ? [[n.internalIP6, n.name] as const] : [])]));
  const counters = () => new Map(t.nodeNames().map((n) => [n, t.linkPackets(n, c.device)]));
  const before = counters();
  const results = t.client(c.ns, { protocol: c.protocol, destination, port, source: c.source, ids, localPorts, concurrency: 64, timeoutMs: onlyDropped ? 1000 : 3000 });
  const after = counters();
  counts.connections += results.length;
  const records = new Map(t.records().map((r) => [r.id, r]));

  // Each connection: one of its own predicted outcomes, with the source the engine predicts.
  const wrong: string[] = [];
  const seen = new Set<string>();
  const taken: (TrafficOutcome | undefined)[] = [];
  results.forEach((r, i) => {
    const outcomes = predict(localPorts[i]);
    const kernel = kernelClass(r, records.get(r.id), clientAddress);
    const match = outcomes.find((o) => engineClass(o, clientAddress) === kernel);
    if (!match) {
      wrong.push(`source port ${localPorts[i]}: kernel ${kernel}; engine ${outcomes.map((o) => `${engineClass(o, clientAddress)} (p ${o.probability.toFixed(4)})`).join(' | ')}`);
      return;
    }
    taken[i] = match;
    seen.add(anyPort(kernel, localPorts[i]));
    // A delivered connection was answered from the address the client sent to (conntrack undid the NAT), as the engine's reply says.
    if (match.result === 'delivered' && (r.result !== 'answered' || splitEndpoint(match.replySource ?? '')[0] !== destination)) {
      wrong.push(`source port ${localPorts[i]}: client saw ${r.result}, engine's reply comes from ${match.replySource}`);
    }
  });
  expect(wrong).toEqual([]);
  // Every predicted place happened.
  expect([...seen].sort()).toEqual([...byClass.keys()].sort());

  // Where the engine says a node rewrote the source (masquerade), that node's conntrack holds the same rewrite
  // (the client's packet reaches that node first in these cases: its original tuple is the client's own).
  const nat: string[] = [];
  const tables = new Map<string, ConntrackEntry[]>();
  taken.forEach((o, i) => {
    for (const hop of o?.hops ?? []) {
      if (hop.node === null || !hop.nat?.snat) continue;
      if (!tables.has(hop.node)) tables.set(hop.node, t.connections(hop.node, c.protocol, family));
      const entry = tables.get(hop.node)!.find((e) => e.original.src === clientAddress && e.original.sport === localPorts[i] && e.original.dst === destination && e.original.dport === port);
      const engine = splitEndpoint(hop.nat.snat)[0];
      counts.natChecked++;
      if (entry?.reply.dst !== engine) nat.push(`source port ${localPorts[i]} on ${hop.node}: engine's source NAT to ${engine}, kernel's conntrack ${entry ? `replies to ${entry.reply.dst}` : 'has no entry'}`);
    }
  });
  expect(nat).toEqual([]);

  // The VXLAN device carried packets exactly on the nodes whose VXLAN hops the taken outcomes name.
  const landed = taken.filter((o): o is TrafficOutcome => o !== undefined);
  counts.crossed += landed.filter((o) => o.hops.some((h) => h.encapsulation)).length;
  const expected = vxlanPackets(landed, nodeByAddress);
  const vxlan: string[] = [];
  for (const node of t.nodeNames()) {
    for (const way of ['tx', 'rx'] as const) {
      const moved = after.get(node)![way] - before.get(node)![way];
      const least = expected.get(`${way} ${node}`) ?? 0;
      if (least === 0 ? moved !== 0 : moved < least) vxlan.push(`${node} ${c.device} ${way}: ${moved} packets; the engine's VXLAN hops need ${least === 0 ? 'none' : `at least ${least}`}`);
    }
  }
  expect(vxlan).toEqual([]);
}
