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
import { cidrContains, formatIPv4, tryParseIPv4, tryParseIPv4Cidr } from '../common/ipv4';
import { ConnectionTracker } from '../netfilter/conntrack';
import { NetfilterEngine } from '../netfilter/engine';
import { Host, formatRoute, type HostSpec, type RouteSpec } from '../netfilter/host';
import { InMemoryRecentStore, MapMatchState } from '../netfilter/recent-store';
import { IpsetStore } from '../netfilter/ipset/ipset-store';
import type { Ruleset } from '../netfilter/ruleset';
import { ensureFlannelRules } from './flannel';
import { BRIDGE_DEVICE, VXLAN_DEVICE, nodeInterfaces, type NodeInterfaceSpec } from './node-interfaces';

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
}

interface Snapshot {
  version: string;
  nodes: Map<string, NodeNetwork>;
  nodesByAddress: Map<number, NodeNetwork>;
  /** Keyed by the pod CIDR's network address (the remote flannel.1 address). */
  nodesByPodNetwork: Map<number, NodeNetwork>;
  pods: Map<string, PodEndpoint>;
  /** Non-hostNetwork pods by IP (running first, when addresses are reused). */
  podsByAddress: Map<number, PodEndpoint>;
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
  readonly clusterCidr: string;
  readonly nodeNetworkPrefix: number;
  private snapshot: Snapshot | undefined;
  private readonly states = new Map<string, NodeState>();

  constructor(
    readonly cluster: Cluster,
    options: NetworkOptions = {},
  ) {
    this.overlay = options.overlay ?? 'vxlan';
    // The dataplane carries IPv4: the IPv4 pod network (an IPv6-only cluster's has no flannel IPv4 rules).
    this.clusterCidr = (cluster.pools.podCidrsByFamily.get('IPv4') ?? cluster.pools.podCidrs).clusterCidr;
    this.nodeNetworkPrefix = Number(/\/(\d+)$/.exec(cluster.pools.nodeAddresses.range)?.[1] ?? 24);
  }

  // ---- views ---------------------------------------------------------------

  private view(): Snapshot {
    const version = this.cluster.store.resourceVersion;
    if (this.snapshot?.version === version) return this.snapshot;
    const store = this.cluster.store;
    const nodes = new Map<string, NodeNetwork>();
    const nodesByAddress = new Map<number, NodeNetwork>();
    const nodesByPodNetwork = new Map<number, NodeNetwork>();
    const raw = store.list(store.resourceType('nodes')).items;
    const basics = raw.flatMap((n) => {
      const status = (n.status ?? {}) as NodeStatus;
      const internalIP = status.addresses?.find((a) => a.type === 'InternalIP')?.address;
      const address = internalIP === undefined ? undefined : tryParseIPv4(internalIP);
      if (internalIP === undefined || address === undefined) return [];
      const podCIDR = (n.spec as { podCIDR?: string } | undefined)?.podCIDR;
      const podNet = podCIDR ? tryParseIPv4Cidr(podCIDR) : undefined;
      const ready = (status.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
      return [{ name: n.metadata.name, internalIP, address, podCIDR: podNet ? podCIDR : undefined, podNet, ready }];
    });
    const gateway = (address: number) => {
      const mask = this.nodeNetworkPrefix === 0 ? 0 : (0xffffffff << (32 - this.nodeNetworkPrefix)) >>> 0;
      return formatIPv4((((address & mask) >>> 0) + 1) >>> 0);
    };
    for (const b of basics) {
      const interfaces = nodeInterfaces({ name: b.name, internalIP: b.internalIP, nodeNetworkPrefix: this.nodeNetworkPrefix, podCIDR: b.podCIDR }, this.overlay);
      const routes: RouteSpec[] = [{ destination: 'default', via: gateway(b.address), interface: 'eth0' }];
      for (const other of basics) {
        if (other === b || !other.podNet || !other.podCIDR) continue;
        routes.push(
          this.overlay === 'vxlan'
            ? { destination: other.podCIDR, via: formatIPv4(other.podNet.network), interface: VXLAN_DEVICE, onlink: true }
            : { destination: other.podCIDR, via: other.internalIP, interface: 'eth0' },
        );
      }
      const hostSpec: HostSpec = { interfaces: interfaces.map((i) => ({ name: i.name, addresses: i.addresses })), routes };
      const node: NodeNetwork = { ...b, interfaces, hostSpec };
      nodes.set(b.name, node);
      nodesByAddress.set(b.address, node);
      if (b.podNet) nodesByPodNetwork.set(b.podNet.network, node);
    }
    const pods = new Map<string, PodEndpoint>();
    const podsByAddress = new Map<number, PodEndpoint>();
    const hostNetworkPods = new Map<string, PodEndpoint[]>();
    for (const p of store.list(store.resourceType('pods')).items) {
      const spec = (p.spec ?? {}) as PodSpec;
      const status = (p.status ?? {}) as PodStatus;
      const ip = status.podIP;
      const address = ip ? tryParseIPv4(ip) : undefined;
      const ports = (spec.containers ?? []).flatMap((c) =>
        (c.ports ?? []).map((port) => ({ port: port.containerPort, protocol: (port.protocol ?? 'TCP').toLowerCase() as 'tcp' | 'udp' | 'sctp', name: port.name })),
      );
      const pod: PodEndpoint = {
        namespace: p.metadata.namespace ?? 'default',
        name: p.metadata.name,
        node: spec.nodeName,
        ip,
        address,
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
      } else if (address !== undefined && live) {
        const existing = podsByAddress.get(address);
        if (!existing || (existing.phase !== 'Running' && pod.phase === 'Running')) podsByAddress.set(address, pod);
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

  nodeByAddress(address: number): NodeNetwork | undefined {
    return this.view().nodesByAddress.get(address >>> 0);
  }

  /** The node whose flannel.1 holds this address (its pod CIDR's network address). */
  nodeByPodNetwork(address: number): NodeNetwork | undefined {
    return this.view().nodesByPodNetwork.get(address >>> 0);
  }

  /** The node whose pod CIDR holds an address. */
  nodeForPodAddress(address: number): NodeNetwork | undefined {
    for (const node of this.view().nodes.values()) if (node.podNet && cidrContains(node.podNet, address)) return node;
    return undefined;
  }

  pod(namespace: string, name: string): PodEndpoint | undefined {
    return this.view().pods.get(`${namespace}/${name}`);
  }

  podByAddress(address: number): PodEndpoint | undefined {
    return this.view().podsByAddress.get(address >>> 0);
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
  }

  /** The node's ipsets (empty unless a node's `ipset save` text was loaded into them). */
  ipsets(node: string): IpsetStore {
    this.node(node);
    return this.state(node).ipsets;
  }

  /**
   * The node's tables: kube-proxy's, synced now, with flannel's rules loaded
   * once; or the rules imported on the node (PUT .../iptables), as they were
   * given (a real node's dump has its CNI's rules already).
   */
  ruleset(node: string): Ruleset {
    const network = this.node(node);
    const { ruleset, imported } = this.cluster.kubeProxies.proxy(node);
    if (!imported && !this.clusterCidr.includes(':')) ensureFlannelRules(ruleset, this.clusterCidr, network.podCIDR);
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
   * The node's netfilter engine (state kept: conntrack, recent lists, counters).
   * A node whose kube-proxy runs in nftables mode is refused (409): its Service
   * rules are nft rules, which the engine does not trace yet.
   */
  engine(node: string): NetfilterEngine {
    refuseNftablesNode(this.cluster.kubeProxies.proxy(node));
    const ruleset = this.ruleset(node);
    const host = this.host(node);
    const state = this.state(node);
    if (!state.engine || state.engine.ruleset !== ruleset || state.engine.host !== host) {
      state.engine = new NetfilterEngine({
        ruleset,
        host,
        clock: this.cluster.clock,
        random: this.cluster.random,
        conntrack: state.conntrack,
        recent: state.recent,
        matchState: state.matchState,
        ipsets: state.ipsets,
      });
    }
    return state.engine;
  }

  // ---- `ip route`, `ip addr`, `conntrack -L` -------------------------------------

  routes(node: string): string[] {
    return this.host(node).routes.map((r) => (r.interface === VXLAN_DEVICE && r.via !== undefined ? `${formatRoute(r)} onlink` : formatRoute(r)));
  }

  /** `ip addr`, as data and text. */
  interfaces(node: string): InterfaceView[] {
    const network = this.node(node);
    return network.interfaces.map((i, k) => {
      const kind = i.name === 'lo' ? 'loopback' : i.name === BRIDGE_DEVICE ? 'bridge' : i.name === VXLAN_DEVICE ? `vxlan id ${VXLAN_VNI} dstport ${VXLAN_PORT}` : 'ether';
      const flags = i.name === 'lo' ? 'LOOPBACK,UP,LOWER_UP' : i.name === VXLAN_DEVICE ? 'BROADCAST,MULTICAST,UP,LOWER_UP' : 'BROADCAST,MULTICAST,UP,LOWER_UP';
      const lines = [`${k + 1}: ${i.name}: <${flags}> mtu ${i.mtu} state ${i.name === 'lo' ? 'UNKNOWN' : 'UP'}`];
      if (i.name === VXLAN_DEVICE) lines.push(`    vxlan id ${VXLAN_VNI} local ${network.internalIP} dev eth0 srcport 0 0 dstport ${VXLAN_PORT} nolearning`);
      for (const a of i.addresses) {
        const scope = i.name === 'lo' ? 'host' : 'global';
        lines.push(`    inet ${a} scope ${scope} ${i.name}`);
      }
      return { index: k + 1, name: i.name, mtu: i.mtu, state: i.name === 'lo' ? 'UNKNOWN' : 'UP', addresses: [...i.addresses], kind, text: lines.join('\n') };
    });
  }
}
