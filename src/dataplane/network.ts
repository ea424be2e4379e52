/**
 * The pod network of a simulated cluster, node by node: each node's
 * interfaces and routes (kind + flannel), its connection tracking table and
 * `recent` lists on the cluster clock, and the netfilter engine that runs its
 * tables (kube-proxy's, kept up to date through `KubeProxyController.proxy`,
 * plus flannel's). Views are rebuilt lazily from the store: everything
 * derived from Nodes and Pods is cached by the store's resourceVersion,
 * while conntrack tables and recent lists live as long as the node.
 */
import type { Cluster } from '../cluster/cluster';
import type { NodeProxy } from '../cluster/controllers/kube-proxy.controller';
import type { NodeStatus } from '../cluster/resources/node.types';
import type { PodSpec, PodStatus } from '../cluster/resources/pod.types';
import type { KubeObject } from '../cluster/store/types';
import { DomainError } from '../common/domain-error';
import { formatIPv4, tryParseIPv4, tryParseIPv4Cidr } from '../common/ipv4';
import { formatIPv6, tryParseIPv6, tryParseIPv6Cidr } from '../ipam/ipv6';
import { ipInPrefix, ipv6PrefixMask, type IpAddress, type IpFamily } from '../netfilter/address';
import { nodeInternalIP } from '../cluster/resources/node.types';
import { ConnectionTracker } from '../netfilter/conntrack';
import { NetfilterEngine } from '../netfilter/engine';
import { Host, formatRoute, type HostSpec, type RouteSpec } from '../netfilter/host';
import { InMemoryRecentStore, MapMatchState } from '../netfilter/recent-store';
import { IpsetStore } from '../netfilter/ipset/ipset-store';
import type { Ruleset } from '../netfilter/ruleset';
import { ensureFlannelRules } from './flannel';
import { BRIDGE_DEVICE, VXLAN6_DEVICE, VXLAN_DEVICE, isVxlanDevice, nodeInterfaces, type NodeInterfaceSpec } from './node-interfaces';

export type Overlay = 'vxlan' | 'host-gw';

/** flannel's VXLAN: VNI 1, the Linux kernel's default UDP port 8472. */
export const VXLAN_VNI = 1;
export const VXLAN_PORT = 8472;

export interface NetworkOptions {
  /** flannel's backend (the lead wires `OVERLAY=vxlan|host-gw`); default vxlan. */
  overlay?: Overlay;
}

/** One node's network namespace, as data. */
export interface NodeNetwork {
  readonly name: string;
  readonly internalIP: string;
  readonly address: number;
  readonly podCIDR: string | undefined;
  /** The pod CIDR parsed (network, prefix). */
  readonly podNet: { network: number; prefix: number } | undefined;
  /** The node's IPv6 InternalIP, on a cluster with IPv6 (kind's nodes have one of each family). */
  readonly internalIP6: string | undefined;
  readonly address6: bigint | undefined;
  /** The IPv6 pod CIDR (`spec.podCIDRs`' IPv6 entry) and its parsed form. */
  readonly podCIDR6: string | undefined;
  readonly podNet6: { network: bigint; prefix: number } | undefined;
  readonly ready: boolean;
  readonly interfaces: readonly NodeInterfaceSpec[];
  readonly hostSpec: HostSpec;
}

/** One interface of a node, as `ip addr` shows it (`text`) and as data. */
export interface InterfaceView {
  index: number;
  name: string;
  mtu: number;
  state: string;
  addresses: string[];
  /** What `ip -d link` says it is: `vxlan id 1 dstport 8472`, `bridge`, ... */
  kind: string;
  text: string;
}

/** A pod's place in the network. */
export interface PodEndpoint {
  readonly namespace: string;
  readonly name: string;
  readonly node: string | undefined;
  readonly ip: string | undefined;
  readonly address: number | undefined;
  /** The pod's IPv6 address (`status.podIPs`' IPv6 entry), on a cluster with IPv6. */
  readonly ip6: string | undefined;
  readonly address6: bigint | undefined;
  readonly hostNetwork: boolean;
  readonly phase: string | undefined;
  readonly ports: readonly { port: number; protocol: 'tcp' | 'udp' | 'sctp'; name?: string }[];
  readonly dnsPolicy: string;
  readonly object: KubeObject;
}

interface NodeState {
  conntrack: ConnectionTracker;
  recent: InMemoryRecentStore;
  matchState: MapMatchState;
  /** The node's ipsets: they outlive rule reloads, as the kernel's do. */
  ipsets: IpsetStore;
  host?: Host;
  engine?: NetfilterEngine;
  /** The engine over the node's ip6tables tables, on a cluster with IPv6. */
  engine6?: NetfilterEngine;
}

interface Snapshot {
  version: string;
  nodes: Map<string, NodeNetwork>;
  /** By each InternalIP (IPv4 numbers and IPv6 bigints). */
  nodesByAddress: Map<IpAddress, NodeNetwork>;
  /** Keyed by the pod CIDRs' network addresses (the remote flannel.1 and flannel-v6.1 addresses). */
  nodesByPodNetwork: Map<IpAddress, NodeNetwork>;
  pods: Map<string, PodEndpoint>;
  /** Non-hostNetwork pods by each IP (running first, when addresses are reused). */
  podsByAddress: Map<IpAddress, PodEndpoint>;
  hostNetworkPods: Map<string, PodEndpoint[]>;
}

/**
 * A node whose kube-proxy runs in nftables mode has its Service rules in nft
 * rules, which the engine does not trace yet: tracing through it is refused
 * (409), never done with its iptables alone. Imported rules are traced as given.
 */
export function refuseNftablesNode(proxy: Pick<NodeProxy, 'node' | 'mode' | 'imported'>): void {
  if (proxy.mode !== 'nftables' || proxy.imported) return;
  const node = proxy.node;
  throw new DomainError(
    'CONFLICT',
    `node ${node} runs kube-proxy in nftables mode; packets cannot be traced through nft rules yet: read them with GET /netsim/v1/nodes/${node}/nftables, or put the node back in iptables mode (PUT /netsim/v1/nodes/${node}/kube-proxy/config)`,
    { kind: 'nodes', name: node },
  );
}

export class ClusterNetwork {
  readonly overlay: Overlay;
  /** The IPv4 pod network (empty on an IPv6-only cluster). */
  readonly clusterCidr: string;
  /** The IPv6 pod network, on a cluster with IPv6 pods. */
  readonly clusterCidr6: string | undefined;
  readonly nodeNetworkPrefix: number;
  readonly nodeNetworkPrefix6: number;
  private snapshot: Snapshot | undefined;
  private readonly states = new Map<string, NodeState>();

  constructor(
    readonly cluster: Cluster,
    options: NetworkOptions = {},
  ) {
    this.overlay = options.overlay ?? 'vxlan';
    // One pod network per family (flannel's `Network` and `IPv6Network`); an IPv6-only cluster's has no IPv4 one.
    this.clusterCidr = cluster.pools.podCidrsByFamily.get('IPv4')?.clusterCidr ?? '';
    this.clusterCidr6 = cluster.pools.podCidrsByFamily.get('IPv6')?.clusterCidr;
    this.nodeNetworkPrefix = Number(/\/(\d+)$/.exec(cluster.pools.nodeAddresses.range)?.[1] ?? 24);
    this.nodeNetworkPrefix6 = Number(/\/(\d+)$/.exec(cluster.pools.nodeAddressesIPv6?.range ?? '')?.[1] ?? 64);
  }

  // ---- views ---------------------------------------------------------------

  private view(): Snapshot {
    const version = this.cluster.store.resourceVersion;
    if (this.snapshot?.version === version) return this.snapshot;
    const store = this.cluster.store;
    const nodes = new Map<string, NodeNetwork>();
    const nodesByAddress = new Map<IpAddress, NodeNetwork>();
    const nodesByPodNetwork = new Map<IpAddress, NodeNetwork>();
    const raw = store.list(store.resourceType('nodes')).items;
    const basics = raw.flatMap((n) => {
      const status = (n.status ?? {}) as NodeStatus;
      const internalIP = nodeInternalIP(status, 'IPv4');
      const address = internalIP === undefined ? undefined : tryParseIPv4(internalIP);
      if (internalIP === undefined || address === undefined) return [];
      const internalIP6 = nodeInternalIP(status, 'IPv6');
      const address6 = internalIP6 === undefined ? undefined : tryParseIPv6(internalIP6);
      const spec = (n.spec ?? {}) as { podCIDR?: string; podCIDRs?: string[] };
      const cidrs = (spec.podCIDRs ?? (spec.podCIDR ? [spec.podCIDR] : [])).filter((c) => typeof c === 'string');
      const podCIDR = cidrs.find((c) => !c.includes(':'));
      const podNet = podCIDR ? tryParseIPv4Cidr(podCIDR) : undefined;
      const podCIDR6 = address6 === undefined ? undefined : cidrs.find((c) => c.includes(':'));
      const podNet6 = podCIDR6 ? tryParseIPv6Cidr(podCIDR6) : undefined;
      const ready = (status.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
      return [
        {
          name: n.metadata.name,
          internalIP,
          address,
          podCIDR: podNet ? podCIDR : undefined,
          podNet,
          internalIP6: address6 === undefined ? undefined : internalIP6,
          address6,
          podCIDR6: podNet6 ? podCIDR6 : undefined,
          podNet6,
          ready,
        },
      ];
    });
    // The node network's first address is the gateway (kind's Docker bridge), in each family.
    const gateway = (address: number) => {
      const mask = this.nodeNetworkPrefix === 0 ? 0 : (0xffffffff << (32 - this.nodeNetworkPrefix)) >>> 0;
      return formatIPv4((((address & mask) >>> 0) + 1) >>> 0);
    };
    const gateway6 = (address: bigint) => formatIPv6((address & ipv6PrefixMask(this.nodeNetworkPrefix6)) + 1n);
    for (const b of basics) {
      const interfaces = nodeInterfaces(
        { name: b.name, internalIP: b.internalIP, nodeNetworkPrefix: this.nodeNetworkPrefix, podCIDR: b.podCIDR, internalIP6: b.internalIP6, nodeNetworkPrefix6: this.nodeNetworkPrefix6, podCIDR6: b.podCIDR6 },
        this.overlay,
      );
      const routes: RouteSpec[] = [{ destination: 'default', via: gateway(b.address), interface: 'eth0' }];
      if (b.address6 !== undefined) routes.push({ destination: '::/0', via: gateway6(b.address6), interface: 'eth0' });
      for (const other of basics) {
        if (other === b || !other.podNet || !other.podCIDR) continue;
        routes.push(
          this.overlay === 'vxlan'
            ? { destination: other.podCIDR, via: formatIPv4(other.podNet.network), interface: VXLAN_DEVICE, onlink: true }
            : { destination: other.podCIDR, via: other.internalIP, interface: 'eth0' },
        );
      }
      // flannel's IPv6 routes: each peer's /64 via its flannel-v6.1 address (vxlan) or its IPv6 node address (host-gw).
      for (const other of b.address6 === undefined ? [] : basics) {
        if (other === b || !other.podNet6 || !other.podCIDR6 || other.internalIP6 === undefined) continue;
        routes.push(
          this.overlay === 'vxlan'
            ? { destination: other.podCIDR6, via: formatIPv6(other.podNet6.network), interface: VXLAN6_DEVICE, onlink: true }
            : { destination: other.podCIDR6, via: other.internalIP6, interface: 'eth0' },
        );
      }
      const hostSpec: HostSpec = { interfaces: interfaces.map((i) => ({ name: i.name, addresses: i.addresses })), routes };
      const node: NodeNetwork = { ...b, interfaces, hostSpec };
      nodes.set(b.name, node);
      nodesByAddress.set(b.address, node);
      if (b.address6 !== undefined) nodesByAddress.set(b.address6, node);
      if (b.podNet) nodesByPodNetwork.set(b.podNet.network, node);
      if (b.podNet6) nodesByPodNetwork.set(b.podNet6.network, node);
    }
    const pods = new Map<string, PodEndpoint>();
    const podsByAddress = new Map<IpAddress, PodEndpoint>();
    const hostNetworkPods = new Map<string, PodEndpoint[]>();
    for (const p of store.list(store.resourceType('pods')).items) {
      const spec = (p.spec ?? {}) as PodSpec;
      const status = (p.status ?? {}) as PodStatus;
      // The IPv4 address and the IPv6 one (`podIPs`, one per family; `podIP` is the primary family's).
      const ips = (status.podIPs ?? []).map((p) => p.ip).filter((a): a is string => typeof a === 'string');
      if (status.podIP && !ips.includes(status.podIP)) ips.unshift(status.podIP);
      const ip = ips.find((a) => !a.includes(':'));
      const address = ip ? tryParseIPv4(ip) : undefined;
      const ip6 = ips.find((a) => a.includes(':'));
      const address6 = ip6 ? tryParseIPv6(ip6) : undefined;
      const ports = (spec.containers ?? []).flatMap((c) =>
        (c.ports ?? []).map((port) => ({ port: port.containerPort, protocol: (port.protocol ?? 'TCP').toLowerCase() as 'tcp' | 'udp' | 'sctp', name: port.name })),
      );
      const pod: PodEndpoint = {
        namespace: p.metadata.namespace ?? 'default',
        name: p.metadata.name,
        node: spec.nodeName,
        ip,
        address,
        ip6: address6 === undefined ? undefined : ip6,
        address6,
        hostNetwork: spec.hostNetwork === true,
        phase: status.phase,
        ports,
        dnsPolicy: spec.dnsPolicy ?? 'ClusterFirst',
        object: p,
      };
      pods.set(`${pod.namespace}/${pod.name}`, pod);
      const live = pod.phase === 'Running' || pod.phase === 'Pending';
      if (pod.hostNetwork) {
        if (pod.node && live) hostNetworkPods.set(pod.node, [...(hostNetworkPods.get(pod.node) ?? []), pod]);
      } else if (live) {
        for (const a of [address, address6]) {
          if (a === undefined) continue;
          const existing = podsByAddress.get(a);
          if (!existing || (existing.phase !== 'Running' && pod.phase === 'Running')) podsByAddress.set(a, pod);
        }
      }
    }
    for (const name of [...this.states.keys()]) if (!nodes.has(name)) this.states.delete(name);
    for (const state of this.states.values()) state.host = undefined;
    this.snapshot = { version, nodes, nodesByAddress, nodesByPodNetwork, pods, podsByAddress, hostNetworkPods };
    return this.snapshot;
  }

  nodes(): NodeNetwork[] {
    return [...this.view().nodes.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /** The node's network; 404 for an unknown node (or one without an address yet). */
  node(name: string, field?: string): NodeNetwork {
    const node = this.view().nodes.get(name);
    if (!node) {
      throw new DomainError('NOT_FOUND', `nodes "${name}" not found`, { kind: 'nodes', name, ...(field ? { field } : {}) });
    }
    return node;
  }

  tryNode(name: string): NodeNetwork | undefined {
    return this.view().nodes.get(name);
  }

  nodeByAddress(address: IpAddress): NodeNetwork | undefined {
    return this.view().nodesByAddress.get(typeof address === 'number' ? address >>> 0 : address);
  }

  /** The node whose flannel.1 (or flannel-v6.1) holds this address (its pod CIDR's network address). */
  nodeByPodNetwork(address: IpAddress): NodeNetwork | undefined {
    return this.view().nodesByPodNetwork.get(typeof address === 'number' ? address >>> 0 : address);
  }

  /** The node whose pod CIDR (of the address's family) holds an address. */
  nodeForPodAddress(address: IpAddress): NodeNetwork | undefined {
    for (const node of this.view().nodes.values()) {
      const net = typeof address === 'bigint' ? node.podNet6 : node.podNet;
      if (net && ipInPrefix(net.network, net.prefix, address)) return node;
    }
    return undefined;
  }

  pod(namespace: string, name: string): PodEndpoint | undefined {
    return this.view().pods.get(`${namespace}/${name}`);
  }

  podByAddress(address: IpAddress): PodEndpoint | undefined {
    return this.view().podsByAddress.get(typeof address === 'number' ? address >>> 0 : address);
  }

  hostNetworkPods(node: string): readonly PodEndpoint[] {
    return this.view().hostNetworkPods.get(node) ?? [];
  }

  // ---- per-node machinery ----------------------------------------------------

  /**
   * Names everything a trace reads: the cluster's objects (resourceVersion),
   * the time, the kube-proxies' configurations, and every node's conntrack
   * table, recent lists and nth counters. Two equal keys mean that the same
   * packet takes the same paths. (Within one resourceVersion no node's state
   * is dropped, so the sum of the nodes' revisions only grows.) It also names
   * everything a verdict reads (src/dataplane/explain): selectors, pods'
   * readiness and why, replicas, nodes' conditions are objects of the store,
   * kube-proxy's configuration is its revision, a conntrack entry a table's.
   */
  stateKey(): string {
    const version = this.view().version;
    let changes = 0;
    for (const state of this.states.values()) changes += state.conntrack.revision + state.recent.revision + state.matchState.revision + state.ipsets.revision;
    return `${version}/${this.cluster.clock.now()}/${this.cluster.kubeProxies.revision}/${changes}`;
  }

  private state(node: string): NodeState {
    this.view();
    let state = this.states.get(node);
    if (!state) {
      state = { conntrack: new ConnectionTracker({ clock: this.cluster.clock }), recent: new InMemoryRecentStore(), matchState: new MapMatchState(), ipsets: new IpsetStore() };
      this.states.set(node, state);
    }
    return state;
  }

  host(node: string): Host {
    const network = this.node(node);
    const state = this.state(node);
    state.host ??= Host.create(network.hostSpec);
    return state.host;
  }

  conntrack(node: string): ConnectionTracker {
    this.node(node);
    return this.state(node).conntrack;
  }

  recent(node: string): InMemoryRecentStore {
    this.node(node);
    return this.state(node).recent;
  }

  /** Puts these sets on the node in place of its own (imported with a real node's rules, or emptied when they go). */
  replaceIpsets(node: string, ipsets: IpsetStore): void {
    const state = this.state(node);
    state.ipsets = ipsets;
    state.engine = undefined;
    state.engine6 = undefined;
  }

  /** The node's ipsets (empty unless a node's `ipset save` text was loaded into them). */
  ipsets(node: string): IpsetStore {
    this.node(node);
    return this.state(node).ipsets;
  }

  /**
   * The node's tables: kube-proxy's, synced now, with flannel's rules loaded
   * once; or the rules imported on the node (PUT .../iptables), as they were
   * given (a real node's dump has its CNI's rules already). `ipv6`: the
   * ip6tables side (kube-proxy's IPv6 proxier and the kubelet's, with
   * flannel's IPv6 rules), on a node with an IPv6 address.
   */
  ruleset(node: string, family: IpFamily = 'ipv4'): Ruleset {
    const network = this.node(node);
    const proxy = this.cluster.kubeProxies.proxy(node);
    if (family === 'ipv6') {
      const ruleset6 = proxy.ipv6?.ruleset;
      if (!ruleset6) throw new DomainError('INVALID', `node ${node} has no ip6tables tables: the cluster has no IPv6 range`, { field: 'family' });
      // flannel writes its IPv6 rules where it runs an IPv6 network (a node with an IPv6 address and pod CIDR).
      if (this.clusterCidr6 && network.internalIP6 !== undefined) ensureFlannelRules(ruleset6, this.clusterCidr6, network.podCIDR6);
      return ruleset6;
    }
    const { ruleset, imported } = proxy;
    if (!imported && this.clusterCidr) ensureFlannelRules(ruleset, this.clusterCidr, network.podCIDR);
    return ruleset;
  }

  /**
   * Refuses (409) before anything is traced when any node runs kube-proxy in
   * nftables mode: a walk that reached it midway would leave the nodes before
   * it changed (conntrack, counters) by a refused request.
   */
  refuseNftablesNodes(): void {
    for (const node of this.cluster.kubeProxies.nftablesNodes()) refuseNftablesNode(this.cluster.kubeProxies.proxy(node));
  }

  /**
   * The node's netfilter engine of a family (state kept: conntrack, recent lists, counters; one conntrack table for both, as the kernel's).
   * A node whose kube-proxy runs in nftables mode is refused (409): its Service
   * rules are nft rules, which the engine does not trace yet.
   */
  engine(node: string, family: IpFamily = 'ipv4'): NetfilterEngine {
    refuseNftablesNode(this.cluster.kubeProxies.proxy(node));
    const ruleset = this.ruleset(node, family);
    const host = this.host(node);
    const state = this.state(node);
    const kept = family === 'ipv6' ? state.engine6 : state.engine;
    if (kept && kept.ruleset === ruleset && kept.host === host) return kept;
    const engine = new NetfilterEngine({
      ruleset,
      host,
      clock: this.cluster.clock,
      random: this.cluster.random,
      conntrack: state.conntrack,
      recent: state.recent,
      matchState: state.matchState,
      ipsets: state.ipsets,
    });
    if (family === 'ipv6') state.engine6 = engine;
    else state.engine = engine;
    return engine;
  }

  // ---- `ip route`, `ip addr`, `conntrack -L` -------------------------------------

  routes(node: string): string[] {
    return this.host(node).routes.map((r) => (isVxlanDevice(r.interface) && r.via !== undefined ? `${formatRoute(r)} onlink` : formatRoute(r)));
  }

  /** `ip addr`, as data and text. */
  interfaces(node: string): InterfaceView[] {
    const network = this.node(node);
    return network.interfaces.map((i, k) => {
      const vxlan = isVxlanDevice(i.name);
      const kind = i.name === 'lo' ? 'loopback' : i.name === BRIDGE_DEVICE ? 'bridge' : vxlan ? `vxlan id ${VXLAN_VNI} dstport ${VXLAN_PORT}` : 'ether';
      const flags = i.name === 'lo' ? 'LOOPBACK,UP,LOWER_UP' : 'BROADCAST,MULTICAST,UP,LOWER_UP';
      const lines = [`${k + 1}: ${i.name}: <${flags}> mtu ${i.mtu} state ${i.name === 'lo' ? 'UNKNOWN' : 'UP'}`];
      if (vxlan) {
        const local = i.name === VXLAN6_DEVICE ? network.internalIP6 : network.internalIP;
        lines.push(`    vxlan id ${VXLAN_VNI} local ${local} dev eth0 srcport 0 0 dstport ${VXLAN_PORT} nolearning`);
      }
      for (const a of i.addresses) {
        const scope = i.name === 'lo' ? 'host' : 'global';
        lines.push(a.includes(':') ? `    inet6 ${a} scope ${scope}` : `    inet ${a} scope ${scope} ${i.name}`);
      }
      return { index: k + 1, name: i.name, mtu: i.mtu, state: i.name === 'lo' ? 'UNKNOWN' : 'UP', addresses: [...i.addresses], kind, text: lines.join('\n') };
    });
  }
}
