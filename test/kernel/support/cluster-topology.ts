/**
 * A simulated cluster's pod network rebuilt from network namespaces, for the
 * kernel suite's end-to-end cases (dataplane.kernel-spec.ts). Everything is
 * read from the engine's own view of the cluster (src/dataplane/network.ts
 * `ClusterNetwork`), never copied by hand: each node's interfaces (`ip addr`,
 * GET /netsim/v1/nodes/{node}/interfaces), its routes (`ip route`, GET
 * .../routes), its tables (`printIptablesSave` of the ruleset the engine runs:
 * the kubelet's, kube-proxy's and flannel's rules) and its pods.
 *
 *   "kind" namespace: bridge kind0, the default gateway's address (kind's Docker network)
 *     |-- k0 -- veth -- node namespace (one per Node, ruleset loaded with iptables-restore)
 *     |                   eth0       InternalIP/16, default via the gateway
 *     |                   cni0       bridge, pod CIDR .1/24, MTU 1450
 *     |                     |-- vethN (hairpin on, as the CNI bridge plugin) -- pod namespace:
 *     |                     |        eth0 pod IP/24 MTU 1450, default via .1; a listener on its containerPorts
 *     |                   flannel.1  vxlan id 1 local InternalIP dev eth0 dstport 8472 nolearning,
 *     |                              pod CIDR .0/32; per other node, as flanneld programs them:
 *     |                              neigh <its .0> lladdr <its flannel.1 MAC>, fdb <that MAC> dst <its InternalIP>
 *     |                   routes     the engine's `ip route` lines that the kernel does not make itself
 *     |                              (default, and <its CIDR> via <its .0> dev flannel.1 onlink)
 *     |-- k1 -- veth -- node namespace ...
 *     |-- x0 -- veth -- outside namespace: eth0 with the outside clients' addresses/16
 *
 * Node namespaces get the sysctls kube-proxy and flannel expect (ip_forward,
 * route_localnet, rp_filter off, bridge-nf-call-iptables, no ICMP rate limit).
 * On an IPv4 cluster IPv6 is off everywhere, so nothing but the test's own
 * traffic crosses flannel.1 (its packet counters then tell which connections
 * used VXLAN). On a cluster whose nodes have IPv6 addresses (dual-stack), the
 * IPv6 side is built beside it from the same views: eth0's, cni0's and the
 * pods' IPv6 addresses, flannel-v6.1 with its neighbour and FDB entries
 * (towards the peers' IPv6 node addresses), the IPv6 routes, and the nodes'
 * ip6tables tables through the real `ip6tables-restore`; IPv6 forwarding and
 * `bridge-nf-call-ip6tables` on, duplicate address detection off (addresses
 * are usable at once), and multicast (MLD, router solicitations) never
 * crosses a VXLAN device, which has no default FDB entry.
 * A node whose kube-proxy runs in nftables mode gets its `kube-proxy` tables
 * as the engine runs them (`ClusterNetwork.nftHooks`), printed as `nft list
 * ruleset` prints them and loaded with the real `nft -f`, next to the
 * iptables tables kube-proxy left there (the kubelet's and flannel's).
 * Namespaces, listeners and their cleanup (also after failures, on signals,
 * and by a watchdog) are support/namespace-topology.ts's and support/netns.ts's.
 */
import type { ClusterNetwork, NodeNetwork, PodEndpoint } from '../../../src/dataplane/network';
import { printIptablesSave } from '../../../src/netfilter/iptables-save.printer';
import { printRuleset } from '../../../src/nftables/list-printer';
import { bridgePortLines, NamespaceTopology, namespaceLines } from './namespace-topology';
import { addNamespace, deleteNamespace, ip6tablesSave, iptablesSave, kernelSuiteUnavailable, missingTool, namespaceStem, run, runScript, sysctlLine } from './netns';

/** An interface as `ip addr` shows it: name, MTU, IPv4 addresses in CIDR form. */
export interface InterfaceView {
  readonly name: string;
  readonly mtu: number;
  readonly addresses: readonly string[];
}

/** One direction of a tracked connection. */
export interface ConntrackTuple {
  readonly src: string;
  readonly dst: string;
  readonly sport: number;
  readonly dport: number;
}

export interface ConntrackEntry {
  readonly original: ConntrackTuple;
  readonly reply: ConntrackTuple;
}

export interface ClusterTopologyOptions {
  /** Addresses of clients outside the cluster, on the node network (one namespace holds them all). */
  readonly outsideClients: readonly string[];
}

/** One node as built: its namespace and what the engine said it has. */
interface BuiltNode {
  readonly network: NodeNetwork;
  readonly ns: string;
  /** `ip route` lines, as the engine prints them. */
  readonly routes: readonly string[];
  /** The engine's `ip addr` view of the node. */
  readonly interfaces: ReturnType<ClusterNetwork['interfaces']>;
  /** The node's tables as iptables-save text. */
  readonly rules: string;
  /** Its ip6tables tables as ip6tables-save text, on a dual-stack cluster. */
  readonly rules6: string | undefined;
  /** kube-proxy's nft tables as `nft list ruleset` text, on a node in nftables mode. */
  readonly nft: string | undefined;
}

interface BuiltPod {
  readonly pod: PodEndpoint;
  readonly ns: string;
  readonly node: BuiltNode;
  readonly veth: string;
}

/** `pod/NAMESPACE/NAME`, the label listeners write and the engine's sample key. */
export const podLabel = (pod: { namespace: string; name: string }) => `pod/${pod.namespace}/${pod.name}`;

/** A node's nft tables as the engine runs them (kube-proxy's in nftables mode), as `nft list ruleset` text; undefined when it has none. */
function nftText(network: ClusterNetwork, node: string): string | undefined {
  const hooks = network.nftHooks(node);
  return hooks === undefined || hooks.ruleset.tables.size === 0 ? undefined : printRuleset(hooks.ruleset);
}

/** Why the end-to-end cases cannot run here (the kernel suite's reasons, plus VXLAN and `bridge`), or undefined. */
export function clusterTopologyUnavailable(): string | undefined {
  const base = kernelSuiteUnavailable();
  if (base !== undefined) return base;
  const missing = missingTool(['bridge', 'conntrack'], 'apt-get install -y iproute2 conntrack');
  if (missing !== undefined) return missing;
  const probe = `${namespaceStem()}-check`;
  try {
    addNamespace(probe);
    run(['ip', '-n', probe, 'link', 'add', 'vx0', 'type', 'vxlan', 'id', '1', 'dstport', '8472', 'nolearning']);
  } catch (e) {
    return `cannot create a VXLAN device in a namespace: ${(e as Error).message.trim()}`;
  } finally {
    deleteNamespace(probe);
  }
  return undefined;
}

export class ClusterTopology extends NamespaceTopology {
  readonly kind: string;
  readonly outside: string;
  private readonly nodes = new Map<string, BuiltNode>();
  private readonly pods = new Map<string, BuiltPod>();
  private readonly stem: string;
  /** The nodes have IPv6 addresses: build the IPv6 side too. */
  private readonly dualStack: boolean;

  private constructor(
    private readonly network: ClusterNetwork,
    private readonly options: ClusterTopologyOptions,
  ) {
    super('nsim-kernel-cluster-');
    this.stem = namespaceStem();
    this.dualStack = network.nodes().some((n) => n.internalIP6 !== undefined);
    this.kind = `${this.stem}-kind`;
    this.outside = `${this.stem}-ext`;
  }

  /** Builds the namespaces from the engine's view, loads every node's tables, starts the pods' listeners. */
  static create(network: ClusterNetwork, options: ClusterTopologyOptions): Promise<ClusterTopology> {
    const t = new ClusterTopology(network, options);
    return t.setUp(() => {
      t.plan();
      t.build();
      return t.startListeners();
    });
  }

  /** What to build: every node with an address, every running pod on one of them. */
  private plan(): void {
    this.network.nodes().forEach((node, i) => {
      this.nodes.set(node.name, {
        network: node,
        ns: `${this.stem}-n${i}`,
        routes: this.network.routes(node.name),
        interfaces: this.network.interfaces(node.name),
        rules: printIptablesSave(this.network.ruleset(node.name)),
        rules6: node.internalIP6 === undefined ? undefined : printIptablesSave(this.network.ruleset(node.name, 'ipv6')),
        nft: nftText(this.network, node.name),
      });
    });
    const store = this.network.cluster.store;
    let i = 0;
    for (const object of store.list(store.resourceType('pods')).items) {
      const pod = this.network.pod(object.metadata.namespace ?? 'default', object.metadata.name);
      const node = pod?.node === undefined ? undefined : this.nodes.get(pod.node);
      if (!pod || !node || pod.hostNetwork || pod.ip === undefined || pod.phase !== 'Running') continue;
      this.pods.set(podLabel(pod), { pod, node, ns: `${this.stem}-p${i}`, veth: `veth${i}` });
      i++;
    }
  }

  private build(): void {
    const all = [this.kind, this.outside, ...[...this.nodes.values()].map((n) => n.ns), ...[...this.pods.values()].map((p) => p.ns)];
    this.addNamespaces(all);
    const ipv6 = this.dualStack
      ? ['net.ipv6.conf.all.disable_ipv6=0', 'net.ipv6.conf.default.disable_ipv6=0', 'net.ipv6.conf.all.accept_dad=0', 'net.ipv6.conf.default.accept_dad=0', 'net.ipv6.conf.default.accept_ra=0']
      : ['net.ipv6.conf.all.disable_ipv6=1', 'net.ipv6.conf.default.disable_ipv6=1'];
    const quiet = ['net.ipv4.conf.all.rp_filter=0', 'net.ipv4.conf.default.rp_filter=0', ...ipv6];
    // Sysctls first: conf.default applies to the interfaces created afterwards.
    const lines: string[] = [];
    for (const ns of all) lines.push(...namespaceLines(ns, ...quiet));
    // The kind network's bridge only switches: no netfilter there.
    lines.push(`ip netns exec ${this.kind} sysctl -q -w net.bridge.bridge-nf-call-iptables=0 || true`);
    for (const node of this.nodes.values()) {
      lines.push(sysctlLine(node.ns, 'net.ipv4.ip_forward=1', 'net.ipv4.conf.all.route_localnet=1', 'net.ipv4.icmp_ratelimit=0'));
      // Bridged pod-to-pod frames must meet the node's conntrack (Kubernetes requires it).
      lines.push(`ip netns exec ${node.ns} sysctl -q -w net.bridge.bridge-nf-call-iptables=1`);
      if (this.dualStack) lines.push(sysctlLine(node.ns, 'net.ipv6.conf.all.forwarding=1', 'net.bridge.bridge-nf-call-ip6tables=1'));
    }
    const prefixOf = (address: string) => (address.includes(':') ? this.network.nodeNetworkPrefix6 : this.network.nodeNetworkPrefix);
    const gateways = new Set<string>();
    for (const node of this.nodes.values()) {
      for (const route of node.routes) {
        const gateway = /^default via (\S+) dev eth0/.exec(route)?.[1];
        if (gateway) gateways.add(gateway);
      }
    }
    lines.push(`ip -n ${this.kind} link add kind0 type bridge`, `ip -n ${this.kind} link set kind0 up`);
    for (const gateway of gateways) lines.push(`ip -n ${this.kind} addr add ${gateway}/${prefixOf(gateway)} dev kind0`);
    [...this.nodes.values()].forEach((node, i) => lines.push(...this.nodeLines(node, `k${i}`)));
    for (const pod of this.pods.values()) lines.push(...this.podLines(pod));
    // The routes the kernel does not make itself (connected ones come with the addresses).
    for (const node of this.nodes.values()) {
      for (const route of node.routes) if (!/ proto kernel /.test(route)) lines.push(`ip ${route.includes(':') ? '-6 ' : ''}-n ${node.ns} route add ${route}`);
    }
    lines.push(`ip -n ${this.kind} link add x0 type veth peer name eth0 netns ${this.outside}`, `ip -n ${this.kind} link set x0 master kind0`, `ip -n ${this.kind} link set x0 up`);
    for (const address of this.options.outsideClients) lines.push(`ip -n ${this.outside} addr add ${address}/${prefixOf(address)} dev eth0`);
    lines.push(`ip -n ${this.outside} link set eth0 up`);
    runScript(lines);
    this.programVxlanPeers();
    this.loadRules();
  }

  /** A node's interfaces, in the engine's order, made as the engine describes them. */
  private nodeLines(node: BuiltNode, uplink: string): string[] {
    const ns = node.ns;
    const lines: string[] = [];
    for (const i of node.interfaces) {
      if (i.kind === 'loopback') continue; // lo: 127.0.0.1/8 comes with the namespace
      if (i.name === 'eth0') {
        lines.push(`ip -n ${this.kind} link add ${uplink} type veth peer name eth0 netns ${ns}`, `ip -n ${this.kind} link set ${uplink} master kind0`, `ip -n ${this.kind} link set ${uplink} up`);
      } else if (i.kind === 'bridge') {
        lines.push(`ip -n ${ns} link add ${i.name} type bridge`);
      } else if (i.kind.startsWith('vxlan ')) {
        // The engine's `ip -d link` line: "vxlan id 1 local 172.18.0.2 dev eth0 srcport 0 0 dstport 8472 nolearning".
        const details = /^\s*(vxlan .*)$/m.exec(i.text)?.[1];
        if (!details) throw new Error(`${node.network.name}: ${i.name} has no vxlan details in ${JSON.stringify(i.text)}`);
        lines.push(`ip -n ${ns} link add ${i.name} type ${details}`);
      } else {
        throw new Error(`${node.network.name}: the topology cannot build ${i.name} (${i.kind})`);
      }
      lines.push(`ip -n ${ns} link set ${i.name} mtu ${i.mtu}`);
      for (const address of i.addresses) lines.push(`ip -n ${ns} addr add ${address} dev ${i.name}`);
      lines.push(`ip -n ${ns} link set ${i.name} up`);
    }
    return lines;
  }

  /** A pod: a veth from its node's cni0 (hairpin on), its address in the node's pod CIDR, default via the cni0 address. */
  private podLines({ pod, node, ns, veth }: BuiltPod): string[] {
    const bridge = node.interfaces.find((i) => i.kind === 'bridge');
    const gateway = bridge?.addresses.find((a) => !a.includes(':'));
    if (!bridge || !gateway) throw new Error(`${node.network.name} has no pod bridge for ${podLabel(pod)}`);
    const [gatewayIp, length] = gateway.split('/');
    // A dual-stack pod: its IPv6 address in the node's IPv6 pod CIDR, default via cni0's IPv6 address, as host-local and the bridge plugin set them.
    const gateway6 = bridge.addresses.find((a) => a.includes(':'));
    const ipv6 =
      pod.ip6 !== undefined && gateway6 !== undefined
        ? [`ip -n ${ns} addr add ${pod.ip6}/${gateway6.split('/')[1]} dev eth0`, `ip -6 -n ${ns} route add default via ${gateway6.split('/')[0]} dev eth0`]
        : [];
    return [
      ...bridgePortLines(node.ns, bridge.name, veth, ns, bridge.mtu),
      `ip -n ${ns} link set eth0 mtu ${bridge.mtu}`,
      `ip -n ${ns} addr add ${pod.ip}/${length} dev eth0`,
      `ip -n ${ns} link set eth0 up`,
      `ip -n ${ns} route add default via ${gatewayIp} dev eth0`,
      ...ipv6,
    ];
  }

  /**
   * What flanneld writes for each other node once it learns of it (from the
   * Node's annotations in a real cluster): the other node's VTEP address ->
   * its flannel.1 MAC (neighbour), and that MAC -> its InternalIP (FDB).
   */
  private programVxlanPeers(): void {
    // flannel.1 over the nodes' IPv4 addresses, flannel-v6.1 over their IPv6 ones.
    const vteps = [...this.nodes.values()].flatMap((node) =>
      node.interfaces
        .filter((i) => i.kind.startsWith('vxlan '))
        .map((vxlan) => {
          const mac = (JSON.parse(run(['ip', '-n', node.ns, '-j', 'link', 'show', 'dev', vxlan.name])) as { address: string }[])[0].address;
          const v6 = vxlan.addresses[0].includes(':');
          return { node, device: vxlan.name, address: vxlan.addresses[0].split('/')[0], mac, underlay: v6 ? node.network.internalIP6! : node.network.internalIP };
        }),
    );
    const lines: string[] = [];
    for (const local of vteps) {
      for (const remote of vteps) {
        if (remote.node === local.node || remote.device !== local.device) continue;
        lines.push(
          `ip -n ${local.node.ns} neigh replace ${remote.address} lladdr ${remote.mac} dev ${local.device} nud permanent`,
          `bridge -n ${local.node.ns} fdb append ${remote.mac} dev ${local.device} dst ${remote.underlay} self permanent`,
        );
      }
    }
    if (lines.length > 0) runScript(lines);
  }

  /** Each node's tables, as the engine holds them, through the real iptables-restore. */
  private loadRules(): void {
    for (const node of this.nodes.values()) {
      const nfacct = new Set([...node.rules.matchAll(/--nfacct-name\s+("?)([^\s"]+)\1/g)].map((m) => m[2]));
      for (const name of nfacct) run(['ip', 'netns', 'exec', node.ns, 'nfacct', 'add', name]);
      run(['ip', 'netns', 'exec', node.ns, 'iptables-restore'], node.rules);
      if (node.rules6 !== undefined) {
        for (const name of new Set([...node.rules6.matchAll(/--nfacct-name\s+("?)([^\s"]+)\1/g)].map((m) => m[2]))) {
          if (!nfacct.has(name)) run(['ip', 'netns', 'exec', node.ns, 'nfacct', 'add', name]);
        }
        run(['ip', 'netns', 'exec', node.ns, 'ip6tables-restore'], node.rules6);
      }
      if (node.nft !== undefined) run(['ip', 'netns', 'exec', node.ns, 'nft', '-f', '-'], node.nft);
    }
  }

  /** A listener in every pod with TCP or UDP containerPorts, on those ports. */
  private startListeners(): Promise<void> {
    return this.listen(
      [...this.pods.values()].flatMap(({ pod, ns }) => {
        const ports = [...new Set(pod.ports.filter((p) => p.protocol === 'tcp' || p.protocol === 'udp').map((p) => p.port))].sort((a, b) => a - b);
        return ports.length === 0 ? [] : [{ ns, label: podLabel(pod), ports }];
      }),
    );
  }

  // ---- what the test asks ---------------------------------------------------------

  /** Node names, as the engine lists them. */
  nodeNames(): string[] {
    return [...this.nodes.keys()];
  }

  private built(node: string): BuiltNode {
    const built = this.nodes.get(node);
    if (!built) throw new Error(`no node ${node} in the topology`);
    return built;
  }

  /** The ruleset text loaded into a node. */
  rulesOf(node: string): string {
    return this.built(node).rules;
  }

  /** The namespace a pod (`pod/NS/NAME`) sends from. */
  podNamespace(label: string): string {
    const pod = this.pods.get(label);
    if (!pod) throw new Error(`no pod namespace for ${label} (pods: ${[...this.pods.keys()].join(', ')})`);
    return pod.ns;
  }

  /**
   * The kernel's `ip route` of a node, one line a route; on a dual-stack cluster `ip -6 route`'s
   * too, as the engine writes them: without link-local routes, `pref medium`, and the metric 1024
   * the kernel gives a route added without one.
   */
  kernelRoutes(node: string): string[] {
    const lines = (text: string) =>
      text
        .split('\n')
        .map((l) => l.trim())
        .filter((l) => l.length > 0);
    const routes = lines(run(['ip', '-n', this.built(node).ns, 'route', 'show']));
    if (!this.dualStack) return routes;
    const routes6 = lines(run(['ip', '-6', '-n', this.built(node).ns, 'route', 'show']))
      .filter((l) => !l.startsWith('fe80::/64 '))
      .map((l) => l.replace(/ pref medium$/, '').replace(/ metric 1024\b/, ''));
    return [...routes, ...routes6];
  }

  /** The kernel's interfaces of a node that hold an IPv4 or (not link-local) IPv6 address (pods' veths have none). */
  kernelInterfaces(node: string): InterfaceView[] {
    const links = JSON.parse(run(['ip', '-n', this.built(node).ns, '-j', 'addr', 'show'])) as { ifname: string; mtu: number; addr_info?: { family: string; local: string; prefixlen: number; scope: string }[] }[];
    const shown = (a: { family: string; scope: string }) => a.family === 'inet' || (a.family === 'inet6' && a.scope !== 'link');
    return links
      .map((l) => ({ name: l.ifname, mtu: l.mtu, addresses: (l.addr_info ?? []).filter(shown).map((a) => `${a.local}/${a.prefixlen}`) }))
      .filter((l) => l.addresses.length > 0);
  }

  /** The kernel's `ip -d link` details line of a node's device (`vxlan id 1 local ... nolearning ttl auto ...`). */
  kernelLinkDetails(node: string, device: string): string {
    const text = run(['ip', '-n', this.built(node).ns, '-d', 'link', 'show', 'dev', device]);
    return text.split('\n')[2]?.trim() ?? '';
  }

  /** Packet counters of a node's device. */
  linkPackets(node: string, device: string): { tx: number; rx: number } {
    const [link] = JSON.parse(run(['ip', '-n', this.built(node).ns, '-s', '-j', 'link', 'show', 'dev', device])) as { stats64: { tx: { packets: number }; rx: { packets: number } } }[];
    return { tx: link.stats64.tx.packets, rx: link.stats64.rx.packets };
  }

  /** A node's conntrack table (`conntrack -L -p PROTOCOL`, of one family), each entry's original and reply tuples. */
  connections(node: string, protocol: 'tcp' | 'udp', family: 'ipv4' | 'ipv6' = 'ipv4'): ConntrackEntry[] {
    return this.conntrack(node, '-f', family, '-p', protocol).flatMap((line) => {
      const tuples = [...line.matchAll(/src=(\S+) dst=(\S+) sport=(\d+) dport=(\d+)/g)].map((m) => ({ src: m[1], dst: m[2], sport: Number(m[3]), dport: Number(m[4]) }));
      return tuples.length === 2 ? [{ original: tuples[0], reply: tuples[1] }] : [];
    });
  }

  /** `conntrack -L` in a node's namespace, with extra filter arguments (e.g. `-p udp --dport 8472`). */
  conntrack(node: string, ...filter: string[]): string[] {
    return run(['ip', 'netns', 'exec', this.built(node).ns, 'conntrack', '-L', ...filter])
      .split('\n')
      .filter((l) => l.length > 0);
  }

  /** The kernel's iptables-save of a node, `#` lines dropped. */
  save(node: string): string {
    return iptablesSave(this.built(node).ns);
  }

  /** The nft text loaded into a node in nftables mode (kube-proxy's tables), else undefined. */
  nftOf(node: string): string | undefined {
    return this.built(node).nft;
  }

  /** The kernel's `nft list table FAMILY NAME` of a node. */
  nftList(node: string, family: string, table: string): string {
    return run(['ip', 'netns', 'exec', this.built(node).ns, 'nft', 'list', 'table', family, table]);
  }

  /** The ip6tables tables loaded into a node, on a dual-stack cluster. */
  rules6Of(node: string): string | undefined {
    return this.built(node).rules6;
  }

  /** The kernel's ip6tables-save of a node, `#` lines dropped. */
  save6(node: string): string {
    return ip6tablesSave(this.built(node).ns);
  }
}
