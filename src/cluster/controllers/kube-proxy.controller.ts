import { ManualClock } from '../../common/clock';
import { DomainError } from '../../common/domain-error';
import { tryParseCidr } from '../../ipam/ip-address';
import { IpFamily } from '../../ipam/types';
import { iptablesCleanupTexts, nftablesCleanup } from '../../kube-proxy/cleanup';
import { KubeProxyConfiguration, ProxyMode, resolveConfig } from '../../kube-proxy/config';
import { NftProxier } from '../../kube-proxy/nftables/nft-proxier';
import { Proxier } from '../../kube-proxy/proxier';
import { emptyRuleset, NftRuleset } from '../../nftables/model';
import { EndpointSlice as ProxyEndpointSlice, NodeInfo, Service as ProxyService } from '../../kube-proxy/types';
import { restoreRuleset } from '../../netfilter/iptables-text.parser';
import { applyEnsureRules, hasEnsureRule, loadSync } from '../../kube-proxy/ruleset-loader';
import { Ruleset } from '../../netfilter/ruleset';
import { nodeInterfaces } from '../../dataplane/node-interfaces';
import { NodeStatus, nodeInternalIP, nodeInternalIPs } from '../resources/node.types';
import { SimulationClock, Timer } from '../simulation-clock';
import { ObjectStore } from '../store/object-store';
import { KubeObject, StoredEvent } from '../store/types';
import { Controller } from './controller-manager';
import { EnsureRule } from '../../kube-proxy/fixed-rules';
import { TableName } from '../../kube-proxy/types';
import { KUBELET_IP6TABLES, KUBELET_IPTABLES } from './kubelet-iptables';

/** One node's kube-proxy and the tables it programs. */
export interface NodeProxy {
  node: string;
  /** `KubeProxyConfiguration.mode`: which proxier runs, and which tables it writes. */
  mode: ProxyMode;
  /** iptables mode: the `Proxier`, writing `ruleset`; nftables mode: the `NftProxier`, writing `nftables`. */
  proxier: Proxier | NftProxier;
  /** The node's iptables tables: the kubelet's chains (and kube-proxy's in iptables mode). */
  ruleset: Ruleset;
  /** The node's nftables ruleset: the `ip`/`ip6` `kube-proxy` tables in nftables mode, empty in iptables mode. */
  nftables: NftRuleset;
  config: KubeProxyConfiguration;
  timer?: Timer;
  /** The last change (see `KubeProxyController.changes`) this proxier has been told about. */
  seenChange: number;
  /**
   * Set while the node runs rules put there by `PUT /netsim/v1/nodes/{node}/iptables`
   * (`ruleset` is then those rules): its kube-proxy writes nothing until they are taken back.
   */
  imported?: ImportedRules;
  /**
   * The node's IPv6 proxier and its ip6tables tables (`Ruleset('ipv6')`), on a cluster with IPv6
   * (kube-proxy runs one proxier per family).
   */
  ipv6?: { proxier: Proxier | NftProxier; ruleset: Ruleset };
}

/** Rules put on a node in place of what its kube-proxy writes. */
export interface ImportedRules {
  /** When they were put there (simulated clock, ms since the epoch). */
  at: number;
  /** Rules loaded, and how many of them were kept as given (not modelled, `unsupported=keep`). */
  rules: number;
  kept: number;
}

export interface KubeProxyDefaults {
  /** The cluster CIDR (`CLUSTER_CIDR`), for `clusterCIDR`. */
  clusterCidr: string;
  /** Prefix length of the node network, for the nodes' `eth0` addresses. */
  nodeNetworkPrefix: number;
  /** The cluster's IP families (Services and pods); with IPv6, each node runs an IPv6 proxier too. */
  families?: readonly IpFamily[];
  /** The Service CIDRs (`--service-cluster-ip-range`), which nftables mode's `cluster-ips-check` drops unallocated addresses of. */
  serviceCidrs?: readonly string[];
}

/**
 * One kube-proxy per node, in iptables mode. Each watches Services and
 * EndpointSlices (through the store's events) and programs its node's
 * netfilter tables with one atomic `iptables-restore --noflush` per sync,
 * after making sure the jump rules from the built-in chains are there, as
 * upstream does on full syncs. Syncs are batched by `minSyncPeriod` on the
 * simulated clock, and the tables are brought up to date before anyone reads
 * them.
 *
 * Configuration is a `KubeProxyConfiguration`, cluster-wide, or per node
 * where given. kube-netsim's cluster-wide default differs from upstream's in
 * one field: `iptables.minSyncPeriod` is `0s` rather than `1s`, because the
 * simulated clock stands still between requests (set `1s` to watch batching).
 */
export class KubeProxyController implements Controller {
  readonly name = 'kube-proxy';
  private readonly proxies = new Map<string, NodeProxy>();
  private clusterConfig: KubeProxyConfiguration;
  private readonly nodeConfigs = new Map<string, KubeProxyConfiguration>();
  private readonly services = new Map<string, KubeObject>();
  private readonly slices = new Map<string, KubeObject>();
  /**
   * Which Service or EndpointSlice changed last, and when (a sequence number):
   * a node's proxier is told about changes only when its tables are needed,
   * once per object however often it changed, so a thousand nodes do not each
   * digest every event. `gone` keeps the last version of deleted objects.
   */
  private readonly changes = new Map<string, number>();
  private readonly gone = new Map<string, KubeObject>();
  private changeSeq = 0;
  private readonly pendingNodes = new Set<string>();
  private rebuilds = 0;

  constructor(
    private readonly store: ObjectStore,
    private readonly clock: SimulationClock,
    private readonly defaults: KubeProxyDefaults,
  ) {
    this.clusterConfig = this.defaultConfig();
  }

  defaultConfig(): KubeProxyConfiguration {
    return {
      apiVersion: 'kubeproxy.config.k8s.io/v1alpha1',
      kind: 'KubeProxyConfiguration',
      mode: 'iptables',
      clusterCIDR: this.defaults.clusterCidr,
      detectLocalMode: 'ClusterCIDR',
      iptables: { masqueradeAll: false, masqueradeBit: 14, localhostNodePorts: true, minSyncPeriod: '0s', syncPeriod: '30s' },
    } as KubeProxyConfiguration;
  }

  // ---- what the REST API drives ------------------------------------------------

  nodeNames(): string[] {
    return [...this.proxies.keys()].sort();
  }

  /** Nodes whose kube-proxy runs in nftables mode and writes their rules (not replaced by imported rules), sorted. */
  nftablesNodes(): string[] {
    return [...this.proxies.values()].filter((p) => p.mode === 'nftables' && !p.imported).map((p) => p.node).sort();
  }

  /** The node's kube-proxy, its tables up to date with every change due by now. */
  proxy(node: string): NodeProxy {
    const proxy = this.proxies.get(node);
    if (!proxy) throw new DomainError('NOT_FOUND', `nodes "${node}" not found`, { kind: 'nodes', name: node });
    this.syncIfDue(proxy);
    return proxy;
  }

  /** Replaces the cluster-wide configuration (null: back to the default); every node without its own re-syncs. */
  setClusterConfig(config: KubeProxyConfiguration | null): void {
    const next = config ?? this.defaultConfig();
    this.validate(next);
    this.clusterConfig = next;
    for (const node of this.proxies.keys()) if (!this.nodeConfigs.has(node)) this.rebuild(node);
  }

  /** Gives one node its own configuration (null: back to the cluster-wide one). */
  setNodeConfig(node: string, config: KubeProxyConfiguration | null): void {
    this.proxy(node);
    if (config) {
      this.validate(config);
      this.nodeConfigs.set(node, config);
    } else {
      this.nodeConfigs.delete(node);
    }
    this.rebuild(node);
  }

  /**
   * Grows whenever a node's kube-proxy is replaced (a new configuration, new
   * node addresses). Everything else its tables hold follows from the
   * store's objects and the clock.
   */
  get revision(): number {
    return this.rebuilds;
  }

  clusterConfiguration(): KubeProxyConfiguration {
    return this.clusterConfig;
  }

  /**
   * Puts `ruleset` on the node in place of kube-proxy's tables, as if its
   * kube-proxy were replaced: it writes nothing there until `releaseRules`.
   * Traffic crosses these rules from now on.
   */
  importRules(node: string, ruleset: Ruleset, facts: Omit<ImportedRules, 'at'>): ImportedRules {
    const proxy = this.proxy(node);
    this.clock.cancel(proxy.timer);
    proxy.timer = undefined;
    proxy.ruleset = ruleset;
    proxy.imported = { ...facts, at: this.clock.now() };
    this.rebuilds++;
    return proxy.imported;
  }

  /** Gives the node back to its kube-proxy: fresh tables (the kubelet's chains) and a full sync. */
  releaseRules(node: string): void {
    const proxy = this.proxies.get(node);
    if (!proxy) throw new DomainError('NOT_FOUND', `nodes "${node}" not found`, { kind: 'nodes', name: node });
    if (!proxy.imported) {
      throw new DomainError('NOT_FOUND', `node "${node}" has no imported rules: its tables are kube-proxy's`, { kind: 'nodes', name: node });
    }
    this.rebuild(node, true);
  }

  /** The imported rules on the node, if any (undefined: kube-proxy's own). */
  importedRules(node: string): ImportedRules | undefined {
    return this.proxies.get(node)?.imported;
  }

  /**
   * The tables kube-proxy would leave on the node now, from the cluster's
   * Services and EndpointSlices and the node's configuration: the kubelet's
   * chains, then one full sync, as on a node whose kube-proxy just started.
   * Nothing on the node changes.
   */
  wouldWrite(nodeName: string): Ruleset {
    const proxy = this.proxy(nodeName);
    if (proxy.mode === 'nftables') {
      throw new DomainError(
        'CONFLICT',
        `node ${nodeName} runs kube-proxy in nftables mode: it writes no iptables rules to compare; read its nft rules with GET /netsim/v1/nodes/${nodeName}/nftables`,
        { kind: 'nodes', name: nodeName },
      );
    }
    const node = this.store.get(this.store.resourceType('nodes'), undefined, nodeName);
    const proxier = new Proxier({
      node: this.nodeInfo(nodeName, node),
      clock: new ManualClock(this.clock.now()),
      config: this.nodeConfigs.get(nodeName) ?? this.clusterConfig,
      historySize: 1,
    });
    for (const s of this.services.values()) proxier.onServiceAdd(s as unknown as ProxyService);
    for (const s of this.slices.values()) proxier.onEndpointSliceAdd(s as unknown as ProxyEndpointSlice);
    const ruleset = this.freshNodeTables();
    loadSync(ruleset, proxier.sync());
    return ruleset;
  }

  // ---- controller --------------------------------------------------------------

  observe(event: StoredEvent): void {
    const o = event.object;
    switch (event.resource) {
      case 'nodes':
        if (event.type === 'DELETED') this.remove(o.metadata.name);
        else if (!this.proxies.has(o.metadata.name) || this.addressesChanged(o, event.previous)) this.pendingNodes.add(o.metadata.name);
        else if (JSON.stringify(o.metadata.labels ?? {}) !== JSON.stringify(event.previous?.metadata.labels ?? {})) {
          this.proxies.get(o.metadata.name)!.proxier.onTopologyChange(o.metadata.labels ?? {});
        }
        break;
      case 'services':
      case 'endpointslices.discovery.k8s.io': {
        const key = `${event.resource === 'services' ? 's' : 'e'}:${o.metadata.namespace}/${o.metadata.name}`;
        const map = event.resource === 'services' ? this.services : this.slices;
        if (event.type === 'DELETED') {
          map.delete(key);
          this.gone.set(key, o);
        } else {
          map.set(key, o);
          this.gone.delete(key);
        }
        this.changes.set(key, ++this.changeSeq);
        // Proxiers that batch by minSyncPeriod hear at once, so their timers start from the change.
        for (const proxy of this.proxies.values()) if (proxy.proxier.config.minSyncPeriodMs > 0) this.feed(proxy);
        break;
      }
    }
  }

  reconcile(): boolean {
    if (this.pendingNodes.size) {
      const nodes = [...this.pendingNodes].sort();
      this.pendingNodes.clear();
      for (const node of nodes) this.rebuild(node);
    }
    for (const proxy of this.proxies.values()) this.arm(proxy);
    return false;
  }

  // ---- internals ---------------------------------------------------------------

  private validate(config: KubeProxyConfiguration): void {
    // Resolving validates the configuration with upstream's rules (a DomainError naming the field).
    resolveConfig(config);
  }

  private addressesChanged(node: KubeObject, previous: KubeObject | undefined): boolean {
    const facts = (n: KubeObject | undefined) =>
      JSON.stringify([((n?.status ?? {}) as NodeStatus).addresses, (n?.spec as { podCIDR?: string; podCIDRs?: string[] } | undefined)?.podCIDRs ?? (n?.spec as { podCIDR?: string } | undefined)?.podCIDR]);
    return facts(node) !== facts(previous);
  }

  /** What kube-proxy knows of its node: name, InternalIP, interfaces, pod CIDR, labels. */
  private nodeInfo(nodeName: string, node: KubeObject): NodeInfo {
    const status = (node.status ?? {}) as NodeStatus;
    const internalIP = nodeInternalIP(status, 'IPv4');
    const internalIP6 = nodeInternalIP(status, 'IPv6');
    const spec = (node.spec ?? {}) as { podCIDR?: string; podCIDRs?: string[] };
    const podCIDR = spec.podCIDR;
    const podCIDRs = (spec.podCIDRs ?? (podCIDR ? [podCIDR] : [])).filter((c) => {
      const cidr = typeof c === 'string' ? tryParseCidr(c) : undefined;
      return cidr !== undefined && cidr !== 'host-bits-set';
    });
    const interfaces = internalIP
      ? nodeInterfaces({ name: nodeName, internalIP, nodeNetworkPrefix: this.defaults.nodeNetworkPrefix, podCIDR: podCIDRs.find((c) => !c.includes(':')), internalIP6, podCIDR6: podCIDRs.find((c) => c.includes(':')) }).map((i) => ({
          name: i.name,
          addresses: i.addresses,
        }))
      : undefined;
    return {
      name: nodeName,
      addresses: nodeInternalIPs(status),
      interfaces,
      podCIDRs,
      labels: node.metadata.labels ?? {},
    };
  }

  /**
   * A new kube-proxy for the node (first registration, new addresses, new configuration): a full sync into fresh tables.
   * While the node runs imported rules they stay, and the new kube-proxy waits; `release` takes them back.
   */
  private rebuild(nodeName: string, release = false): void {
    const node = this.store.tryGet(this.store.resourceType('nodes'), undefined, nodeName);
    if (!node) return;
    this.rebuilds++;
    const old = this.proxies.get(nodeName);
    this.clock.cancel(old?.timer);
    const imported = release ? undefined : old?.imported;
    // kube-proxy's own tables: kept across rebuilds, fresh when it takes the node back from imported rules.
    const ruleset = old && !old.imported ? old.ruleset : this.freshNodeTables();
    const nftables = old?.nftables ?? emptyRuleset();
    const config = this.nodeConfigs.get(nodeName) ?? this.clusterConfig;
    const mode = resolveConfig(config).mode;
    const dualStack = this.defaults.families?.includes('IPv6') ?? false;
    const ruleset6 = dualStack ? (old?.ipv6?.ruleset ?? this.freshNodeTables('ipv6')) : undefined;
    const info = this.nodeInfo(nodeName, node);
    const proxiers: (Proxier | NftProxier)[] = [];
    for (const family of dualStack ? (['IPv4', 'IPv6'] as const) : (['IPv4'] as const)) {
      if (mode === 'nftables') {
        proxiers.push(new NftProxier({ node: info, clock: this.clock, config, family, ruleset: nftables, serviceCIDRs: this.defaults.serviceCidrs }));
      } else if (family === 'IPv4') {
        proxiers.push(
          new Proxier({
            node: info,
            clock: this.clock,
            config,
            restore: (text) => restoreRuleset(ruleset, text, { noflush: true }),
            listNatChains: () => ruleset.table('nat')?.userChainNames() ?? [],
          }),
        );
      } else {
        proxiers.push(
          new Proxier({
            node: info,
            clock: this.clock,
            config,
            family,
            restore: (text) => restoreRuleset(ruleset6!, text, { noflush: true }),
            listNatChains: () => ruleset6!.table('nat')?.userChainNames() ?? [],
          }),
        );
      }
    }
    for (const proxier of proxiers) {
      for (const s of this.services.values()) proxier.onServiceAdd(s as unknown as ProxyService);
      for (const s of this.slices.values()) proxier.onEndpointSliceAdd(s as unknown as ProxyEndpointSlice);
    }
    const [proxier, ipv6] = proxiers;
    const proxy: NodeProxy = imported
      ? { node: nodeName, mode, proxier, ruleset: old!.ruleset, nftables, config, seenChange: this.changeSeq, imported }
      : { node: nodeName, mode, proxier, ruleset, nftables, config, seenChange: this.changeSeq };
    if (ipv6) proxy.ipv6 = { proxier: ipv6, ruleset: ruleset6! };
    // On start-up kube-proxy removes what the other mode left on the node (upstream `platformCleanup`).
    if (!imported) this.cleanupOtherMode(proxy);
    this.proxies.set(nodeName, proxy);
    this.syncIfDue(proxy);
  }

  /**
   * Starting in nftables mode, kube-proxy removes iptables mode's chains and
   * jumps (both families; the kubelet's chains stay); starting in iptables
   * mode, it deletes nftables mode's `kube-proxy` tables.
   */
  private cleanupOtherMode(proxy: NodeProxy): void {
    if (proxy.mode === 'iptables') {
      nftablesCleanup(proxy.nftables);
      return;
    }
    for (const ruleset of proxy.ipv6 ? [proxy.ruleset, proxy.ipv6.ruleset] : [proxy.ruleset]) {
      const view = { userChainNames: (t: TableName) => ruleset.table(t)?.userChainNames() ?? [], hasRule: (r: EnsureRule) => hasEnsureRule(ruleset, r) };
      for (const text of iptablesCleanupTexts(view)) restoreRuleset(ruleset, text, { noflush: true });
    }
  }

  /** A new node's tables of one family, as its kubelet leaves them before kube-proxy starts. */
  private freshNodeTables(family: 'ipv4' | 'ipv6' = 'ipv4'): Ruleset {
    const ruleset = new Ruleset(family);
    restoreRuleset(ruleset, family === 'ipv6' ? KUBELET_IP6TABLES : KUBELET_IPTABLES, { noflush: true });
    return ruleset;
  }

  private remove(node: string): void {
    const proxy = this.proxies.get(node);
    this.clock.cancel(proxy?.timer);
    this.proxies.delete(node);
    this.nodeConfigs.delete(node);
  }

  /** Tells a proxier about every Service and EndpointSlice that changed since it last heard. */
  private feed(proxy: NodeProxy): void {
    if (proxy.seenChange === this.changeSeq) return;
    const proxiers = proxy.ipv6 ? [proxy.proxier, proxy.ipv6.proxier] : [proxy.proxier];
    for (const [key, seq] of this.changes) {
      if (seq <= proxy.seenChange) continue;
      const isService = key.startsWith('s:');
      const current = (isService ? this.services : this.slices).get(key);
      const object = current ?? this.gone.get(key)!;
      for (const proxier of proxiers) {
        if (isService) {
          if (current) proxier.onServiceAdd(object as unknown as ProxyService);
          else proxier.onServiceDelete(object as unknown as ProxyService);
        } else if (current) {
          proxier.onEndpointSliceAdd(object as unknown as ProxyEndpointSlice);
        } else {
          proxier.onEndpointSliceDelete(object as unknown as ProxyEndpointSlice);
        }
      }
    }
    proxy.seenChange = this.changeSeq;
  }

  /**
   * Syncs if a sync is due, and sets the timer for the next one at once: a
   * proxier made or synced outside a settle (a new configuration, tables read
   * by a request) must not wait for the next unrelated write to be armed.
   */
  private syncIfDue(proxy: NodeProxy): void {
    // Imported rules: this kube-proxy is not running on the node.
    if (proxy.imported) return;
    this.feed(proxy);
    if (proxy.proxier instanceof NftProxier) {
      // nftables mode: each transaction is the whole story (no jump rules outside the table to ensure).
      proxy.proxier.syncIfDue();
      proxy.ipv6?.proxier.syncIfDue();
    } else {
      const result = proxy.proxier.syncIfDue();
      if (result?.ok && result.full) applyEnsureRules(proxy.ruleset, result.ensureChains, result.ensureRules);
      const v6 = proxy.ipv6?.proxier.syncIfDue();
      if (v6 && 'ok' in v6 && v6.ok && v6.full) applyEnsureRules(proxy.ipv6!.ruleset, v6.ensureChains, v6.ensureRules);
    }
    this.arm(proxy);
  }

  /**
   * A timer for the next batched sync, so that with `minSyncPeriod` set the sync
   * history carries the times a real kube-proxy would sync at.
   */
  private arm(proxy: NodeProxy): void {
    // With no batching asked for, syncing when the tables are read gives the same tables, for less work.
    if (proxy.proxier.config.minSyncPeriodMs === 0 || proxy.imported) return;
    const next = [proxy.proxier.nextSyncAt(), proxy.ipv6?.proxier.nextSyncAt()].filter((t): t is number => t !== undefined);
    const at = next.length ? Math.min(...next) : undefined;
    if (at === undefined || (proxy.timer && proxy.timer.at === at)) return;
    this.clock.cancel(proxy.timer);
    proxy.timer = this.clock.after(Math.max(0, at - this.clock.now()), `kube-proxy ${proxy.node}: sync`, () => {
      proxy.timer = undefined;
      this.syncIfDue(proxy);
    });
  }
}
