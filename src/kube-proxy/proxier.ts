/**
 * Stage 4: one kube-proxy (iptables mode, one IP family) for one node.
 *
 * Events (`onServiceAdd`, `onEndpointSliceUpdate`, ...) only record pending
 * changes; `sync()` applies them to the service and endpoint maps, recompiles
 * the service ports whose Service or slices changed, and hands back one
 * iptables-restore text (`--noflush` semantics) exactly as upstream's
 * `syncProxyRules` writes it (reference §5):
 *
 *   *filter   top-level chain lines, KUBE-FIREWALL rule, per-port filter rules, KUBE-FORWARD rules
 *   *nat      top-level chain lines, per-port own chain lines, stale chain lines,
 *             KUBE-POSTROUTING/KUBE-MARK-MASQ rules, per-port rules, -X stale chains,
 *             the NodePort tail rule
 *
 * The first sync (and any sync after a failed restore, a topology change or
 * `forceFullSync()`) is full: every chain is rewritten. Later syncs are
 * partial (KEP-3453): the top-level chains are rewritten as always, but a
 * service port's own KUBE-SVC/SVL/EXT/FW/SEP chains only when its Service or
 * its EndpointSlices changed; stale chains are flushed and deleted with `-X`.
 *
 * Upstream walks its service map in Go's random order; here service ports are
 * written in order of their key (`namespace/name:port/PROTOCOL`), so the text
 * is deterministic. Time comes from the injected `Clock` only.
 */
import type { Clock } from '../common/clock';
import { categorizeEndpoints } from './categorize';
import { isServiceChainName, ProbabilityCache } from './chain-names';
import { EndpointsChangeTracker, EndpointsMap, ServiceChangeTracker, ServicePortMap } from './change-tracker';
import {
  formatMark,
  resolveConfig,
  resolveEmulation,
  type KubeProxyConfiguration,
  type ProxierEmulation,
  type ResolvedConfig,
} from './config';
import {
  BUILTIN_JUMP_RULES,
  CANARY_CHAINS,
  forwardRules,
  KUBELET_FIREWALL_RULE,
  masqueradeRules,
  nodePortTailRules,
  TOP_LEVEL_NAT_CHAINS,
  topLevelFilterChains,
  type EnsureRule,
} from './fixed-rules';
import type { ParsedIp } from './ip';
import { localDetectorFor, NodePortAddresses, nodeInterfaces, primaryNodeIp, type LocalTrafficDetector } from './node-facts';
import { CompiledPorts } from './compiled-ports';
import { chainLine, compileServicePort, ownChainLines, ownChainRules, type CompiledServicePort, type RuleContext } from './service-rules';
import { TextChunks } from './text-chunks';
import { SyncRunner } from './sync-runner';
import {
  FULL_SYNC_PERIOD_MS,
  LARGE_CLUSTER_ENDPOINTS_THRESHOLD,
  type EndpointSlice,
  type IpFamily,
  type NodeInfo,
  type Service,
  type TableName,
} from './types';

export interface ProxierOptions {
  node: NodeInfo;
  clock: Clock;
  /** Upstream-shaped configuration; defaulted and validated (throws `DomainError('INVALID')`). */
  config?: KubeProxyConfiguration;
  /** The family this proxier programs (iptables vs ip6tables). Default IPv4. */
  family?: IpFamily;
  /** Node facts upstream discovers at run time, and the mark format. */
  emulation?: Partial<ProxierEmulation>;
  /** How many sync records `status()` keeps. Default 50. */
  historySize?: number;
  /**
   * Applies a restore text to the node's tables (`iptables-restore --noflush`).
   * Throwing means the restore failed: nothing was applied, and the next sync is full.
   */
  restore?: (text: string) => void;
  /**
   * Lists the chains now in the node's nat table (what upstream reads with
   * `iptables-save -t nat`). Without it the proxier remembers what it wrote.
   */
  listNatChains?: () => Iterable<string>;
}

/** One sync, as the status endpoint and metrics report it. */
export interface SyncRecord {
  /** Clock time of the sync, in ms. */
  at: number;
  full: boolean;
  /** False when `restore` threw; the next sync is then full. */
  ok: boolean;
  error?: string;
  /** Lines and bytes of the restore text. */
  lines: number;
  bytes: number;
  filterChains: number;
  filterRules: number;
  natChains: number;
  /** nat `-A` rules written (without `-X` lines). */
  natRules: number;
  /** nat rules the tables hold after this sync, written or kept (upstream `sync_proxy_rules_iptables_total`). */
  natRulesTotal: number;
  servicePorts: number;
  endpoints: number;
  /** Service ports whose own chains were (re)written. */
  servicePortsWritten: number;
  /** Services (`namespace/name`) that changed since the previous sync. */
  updatedServices: number;
  chainsDeleted: number;
  largeClusterMode: boolean;
  /** Service ports whose Local policy had no local endpoint (upstream `sync_proxy_rules_no_local_endpoints_total`). */
  noLocalEndpoints: { internal: number; external: number };
}

export interface SyncResult extends SyncRecord {
  /** The iptables-restore input, `*filter` then `*nat`, each ending in `COMMIT`. */
  text: string;
  /** Services changed since the previous sync, sorted. */
  changedServices: string[];
  /** Stale chains this sync deleted, sorted. */
  deletedChains: string[];
  /** On full syncs: the jump rules to ensure in the built-in chains (empty on partial syncs). */
  ensureRules: readonly EnsureRule[];
  /** On full syncs: chains to create if missing before the restore (jump targets and canaries). */
  ensureChains: readonly { table: TableName; chain: string }[];
}

export interface ProxierStatus {
  nodeName: string;
  family: IpFamily;
  config: ResolvedConfig;
  emulation: ProxierEmulation;
  localDetector: string;
  localhostNodePorts: boolean;
  mark: string;
  servicePorts: number;
  endpoints: number;
  needFullSync: boolean;
  largeClusterMode: boolean;
  lastSync?: SyncRecord;
  lastFullSyncAt?: number;
  lastCleanupAt?: number;
  nextSyncAt?: number;
  /** Health check NodePorts by Service. */
  healthCheckNodePorts: Record<string, number>;
  counters: { syncs: number; fullSyncs: number; partialSyncs: number; restoreFailures: number; partialRestoreFailures: number };
  history: SyncRecord[];
  warnings: string[];
}

/** A compiled port, the context version it was compiled for, and its own-chain rule count once written. */
type CompiledEntry = CompiledServicePort & { version: number; ownRuleLines?: number };

export class Proxier {
  readonly family: IpFamily;
  readonly nodeName: string;
  readonly config: ResolvedConfig;
  readonly emulation: ProxierEmulation;
  readonly mark: string;

  private readonly clock: Clock;
  private readonly node: NodeInfo;
  private readonly serviceChanges: ServiceChangeTracker;
  private readonly endpointChanges: EndpointsChangeTracker;
  private readonly servicePorts = new ServicePortMap();
  private readonly endpoints = new EndpointsMap();
  private readonly detector: LocalTrafficDetector;
  private readonly localhostNodePorts: boolean;
  private readonly nodePortAddresses: NodePortAddresses;
  private readonly nodeIp: ParsedIp | undefined;
  private readonly ctx: RuleContext;
  private readonly runner: SyncRunner;
  private readonly restoreFn?: (text: string) => void;
  private readonly listNatChains?: () => Iterable<string>;
  private readonly historySize: number;
  private readonly warnings: string[] = [];

  /** Compiled service ports in write order, with cached top-level text. */
  private readonly compiled = new CompiledPorts<CompiledEntry>();
  private readonly compiledByService = new Map<string, Set<string>>();
  /** Bumped when something every compiled port depends on changes (node topology). */
  private contextVersion = 0;
  /** Endpoints per Service (counted over its service ports), and their total, for large-cluster mode. */
  private readonly endpointsByService = new Map<string, number>();
  private totalEndpoints = 0;
  /** Per service port, its own chains as last written successfully: they exist in the nat table. */
  private readonly writtenChains = new Map<string, readonly string[]>();
  /** Chains in the nat table that no port claims, held back by large-cluster mode, with the port that owned them. */
  private readonly pendingStale = new Map<string, string>();

  private needFullSync = true;
  private largeClusterMode = false;
  private lastFullSyncAt: number | undefined;
  private lastCleanupAt: number | undefined;
  private lastSyncRecord: SyncRecord | undefined;
  private lastText = '';
  private readonly history: SyncRecord[] = [];
  private readonly counters = { syncs: 0, fullSyncs: 0, partialSyncs: 0, restoreFailures: 0, partialRestoreFailures: 0 };

  constructor(options: ProxierOptions) {
    this.clock = options.clock;
    this.node = options.node;
    this.nodeName = options.node.name;
    this.family = options.family ?? 'IPv4';
    this.config = resolveConfig(options.config);
    this.emulation = resolveEmulation(options.emulation);
    this.mark = formatMark(this.config.masqueradeBit, this.emulation.markFormat);
    this.historySize = options.historySize ?? 50;
    this.restoreFn = options.restore;
    this.listNatChains = options.listNatChains;

    this.serviceChanges = new ServiceChangeTracker(this.family);
    this.endpointChanges = new EndpointsChangeTracker(this.nodeName, this.family);

    const { detector, warning } = localDetectorFor(this.config, this.node, this.family);
    this.detector = detector;
    if (warning) this.warnings.push(warning);
    this.nodeIp = primaryNodeIp(this.node, this.family);
    this.nodePortAddresses = new NodePortAddresses(this.family, this.config.nodePortAddresses, this.nodeIp);
    // localhost NodePorts need an IPv4 loopback among nodePortAddresses (upstream NewProxier).
    this.localhostNodePorts = this.config.localhostNodePorts && this.nodePortAddresses.containsIPv4Loopback;

    this.ctx = {
      family: this.family,
      masqueradeAll: this.config.masqueradeAll,
      detector: this.detector,
      localhostNodePorts: this.localhostNodePorts,
      nfacctLocalhostNodePorts: this.emulation.nfacctLocalhostNodePorts,
      nodeIp: this.nodeIp,
      topology: {
        nodeName: this.nodeName,
        topologyLabels: { ...(this.node.labels ?? {}) },
        preferSameTrafficDistribution: this.config.preferSameTrafficDistribution,
      },
      probabilities: new ProbabilityCache(),
      largeClusterMode: false,
    };
    this.runner = new SyncRunner(this.clock, this.config.minSyncPeriodMs, this.config.syncPeriodMs, FULL_SYNC_PERIOD_MS);
  }

  // -------------------------------------------------------------------------
  // Events
  // -------------------------------------------------------------------------

  onServiceAdd(service: Service): void {
    this.serviceChanges.update(service);
    this.runner.request();
  }

  onServiceUpdate(_old: Service | undefined, service: Service): void {
    this.onServiceAdd(service);
  }

  onServiceDelete(service: Pick<Service, 'metadata'>): void {
    this.serviceChanges.remove(service);
    this.runner.request();
  }

  onEndpointSliceAdd(slice: EndpointSlice): void {
    if (this.endpointChanges.update(slice)) this.runner.request();
  }

  onEndpointSliceUpdate(_old: EndpointSlice | undefined, slice: EndpointSlice): void {
    this.onEndpointSliceAdd(slice);
  }

  onEndpointSliceDelete(slice: EndpointSlice): void {
    if (this.endpointChanges.remove(slice)) this.runner.request();
  }

  /** The node's topology labels changed: recompute every port's endpoints with a full sync. */
  onTopologyChange(labels: Record<string, string>): void {
    this.ctx.topology = { ...this.ctx.topology, topologyLabels: { ...labels } };
    this.contextVersion++;
    this.needFullSync = true;
    this.runner.request();
  }

  /** The rules were flushed behind kube-proxy's back (the canary vanished): rewrite everything. */
  forceFullSync(): void {
    this.needFullSync = true;
    this.runner.request();
  }

  /** When the next sync should run on the clock (batched by `minSyncPeriod`), if any. */
  nextSyncAt(): number | undefined {
    return this.runner.nextRunAt();
  }

  /** Runs a sync if one is due now; otherwise returns undefined. */
  syncIfDue(): SyncResult | undefined {
    return this.runner.due() ? this.sync() : undefined;
  }

  /** The restore text of the last sync (empty before the first). */
  lastRestoreText(): string {
    return this.lastText;
  }

  // -------------------------------------------------------------------------
  // The sync
  // -------------------------------------------------------------------------

  sync(): SyncResult {
    const now = this.clock.now();
    // Upstream skips the hourly forced full sync in large-cluster mode (PR #138571).
    const full =
      this.needFullSync ||
      (!this.largeClusterMode && this.lastFullSyncAt !== undefined && now - this.lastFullSyncAt > FULL_SYNC_PERIOD_MS);

    // Stages 1-2: merge pending changes into the maps.
    const changed = this.servicePorts.update(this.serviceChanges).updatedServices;
    for (const key of this.endpoints.update(this.endpointChanges).updatedServices) changed.add(key);

    // Large-cluster mode counts every endpoint of every service port.
    for (const serviceKey of changed) {
      let n = 0;
      for (const sp of this.servicePorts.portsOf(serviceKey)) n += this.endpoints.get(sp.key)?.length ?? 0;
      this.totalEndpoints += n - (this.endpointsByService.get(serviceKey) ?? 0);
      if (n > 0) this.endpointsByService.set(serviceKey, n);
      else this.endpointsByService.delete(serviceKey);
    }
    const large = this.totalEndpoints > LARGE_CLUSTER_ENDPOINTS_THRESHOLD;
    this.largeClusterMode = large;
    this.ctx.largeClusterMode = large;

    // Stage 3: compile the ports of changed Services; forget ports that went away.
    const written = new Set<string>();
    const forgotten: string[] = [];
    for (const serviceKey of changed) {
      const ports = this.servicePorts.portsOf(serviceKey);
      const keys = this.compiledByService.get(serviceKey);
      for (const key of keys ? [...keys] : []) {
        if (!ports.some((sp) => sp.key === key)) {
          this.forget(key);
          forgotten.push(key);
        }
      }
      for (const sp of ports) {
        this.adopt(this.compile(sp.key));
        written.add(sp.key);
      }
    }
    // A full sync rewrites every chain; recompile what was compiled for another node context.
    if (full) {
      for (const e of [...this.compiled.values()]) {
        if (e.version !== this.contextVersion) this.adopt(this.compile(e.key));
      }
    }

    // Stale chains: chains in the table that no port claims any more.
    const stale = this.staleChains(full, full ? this.writtenChains.keys() : [...written, ...forgotten]);
    const cleanup = !large || this.lastCleanupAt === undefined || now - this.lastCleanupAt > this.config.syncPeriodMs;
    let deleted: string[] = [];
    if (cleanup) {
      for (const [chain, key] of this.pendingStale) if (!this.claims(key, chain)) stale.set(chain, key);
      deleted = [...stale.keys()].sort();
      this.lastCleanupAt = now;
    }

    // Stage 4: assemble the restore text (upstream's write order, reference §5).
    const withKubeletFirewall = this.family === 'IPv4' && this.localhostNodePorts;
    const filterChains = topLevelFilterChains(withKubeletFirewall);
    const filterRules = new TextChunks();
    if (withKubeletFirewall) filterRules.pushLines([KUBELET_FIREWALL_RULE]);
    for (const b of this.compiled.fresh()) filterRules.push({ text: b.filterText, lines: b.filterLines });
    filterRules.pushLines(forwardRules(this.mark, this.emulation.conntrackTcpBeLiberal, this.emulation.nfacctInvalidDropped));

    const natChains = new TextChunks();
    natChains.pushLines(TOP_LEVEL_NAT_CHAINS.map(chainLine));
    const writtenEntries: CompiledEntry[] = [];
    if (full) {
      for (const e of this.compiled.values()) writtenEntries.push(e);
    } else {
      for (const key of [...written].sort()) writtenEntries.push(this.compiled.get(key)!);
    }
    for (const e of writtenEntries) natChains.push(ownChainLines(e));
    natChains.pushLines(deleted.map(chainLine));

    const natRules = new TextChunks();
    natRules.pushLines(masqueradeRules(this.mark, this.emulation.randomFully));
    // Each port's top-level rules, followed by its own chains' rules when they are written.
    // Buckets without written ports contribute their cached text.
    const touched = new Set<object>();
    if (!full) for (const key of written) touched.add(this.compiled.bucketOf(key)!);
    let ownWritten = 0;
    for (const b of this.compiled.fresh()) {
      if (!full && !touched.has(b)) {
        natRules.push({ text: b.natText, lines: b.natLines });
        continue;
      }
      for (const e of b.entries) {
        natRules.push(e.natRules);
        if (full || written.has(e.key)) {
          const own = ownChainRules(e, this.ctx);
          natRules.pushLines(own);
          ownWritten += own.length;
          this.compiled.recordOwnRuleLines(e, own.length);
        }
      }
    }
    // Rules the nat table holds after this sync: those written plus the own chains left as they were.
    const natRulesTotal = natRules.lines + this.compiled.ownRuleLines - ownWritten;
    const tail = nodePortTailRules(this.family, this.localhostNodePorts, this.nodePortAddresses, () =>
      this.nodePortAddresses.nodeIps(nodeInterfaces(this.node)),
    );
    for (const msg of tail.skipped) if (!this.warnings.includes(msg)) this.warnings.push(msg);
    const natRuleLines = natRules.lines + tail.rules.length;

    // The text is concatenated from large flat chunks without copying them again; a
    // consumer that needs it flat (or its byte length) flattens it once.
    const pieces: string[] = [['*filter', ...filterChains.map(chainLine)].join('\n')];
    pieces.push(...filterRules.done(), 'COMMIT\n*nat', ...natChains.done(), ...natRules.done());
    const trailer = [...deleted.map((chain) => `-X ${chain}`), ...tail.rules, 'COMMIT'];
    pieces.push(trailer.join('\n'));
    let text = '';
    let bytes = 0;
    for (const piece of pieces) {
      text += piece + '\n';
      bytes += Buffer.byteLength(piece) + 1;
    }
    const lines = 4 + filterChains.length + filterRules.lines + natChains.lines + natRuleLines + deleted.length;

    // Hand it over.
    let ok = true;
    let error: string | undefined;
    if (this.restoreFn) {
      try {
        this.restoreFn(text);
      } catch (e) {
        ok = false;
        error = e instanceof Error ? e.message : String(e);
      }
    }
    this.counters.syncs++;
    if (full) this.counters.fullSyncs++;
    else this.counters.partialSyncs++;
    if (ok) {
      this.needFullSync = false;
      if (full) this.lastFullSyncAt = now;
      for (const e of writtenEntries) this.writtenChains.set(e.key, e.chains);
      for (const key of forgotten) this.writtenChains.delete(key);
      if (cleanup) this.pendingStale.clear();
      else for (const [chain, key] of stale) this.pendingStale.set(chain, key);
    } else {
      // The pending changes were consumed, so only a full sync can get back in step.
      this.needFullSync = true;
      this.counters.restoreFailures++;
      if (!full) this.counters.partialRestoreFailures++;
    }
    this.runner.ran(now, ok);

    const record: SyncRecord = {
      at: now,
      full,
      ok,
      ...(error !== undefined ? { error } : {}),
      lines,
      bytes,
      filterChains: filterChains.length,
      filterRules: filterRules.lines,
      natChains: natChains.lines,
      natRules: natRuleLines,
      natRulesTotal: natRulesTotal + tail.rules.length,
      servicePorts: this.servicePorts.size,
      endpoints: this.totalEndpoints,
      servicePortsWritten: writtenEntries.length,
      updatedServices: changed.size,
      chainsDeleted: deleted.length,
      largeClusterMode: large,
      noLocalEndpoints: this.compiled.noLocalEndpoints,
    };
    this.lastSyncRecord = record;
    this.lastText = text;
    this.history.push(record);
    if (this.history.length > this.historySize) this.history.splice(0, this.history.length - this.historySize);

    return {
      ...record,
      text,
      changedServices: [...changed].sort(),
      deletedChains: deleted,
      ensureRules: full ? BUILTIN_JUMP_RULES : [],
      ensureChains: full ? ensureChains() : [],
    };
  }

  private compile(key: string): CompiledEntry {
    const sp = this.servicePorts.get(key)!;
    const compiled = compileServicePort(sp, this.endpoints.get(key), this.ctx) as CompiledEntry;
    compiled.version = this.contextVersion;
    return compiled;
  }

  /**
   * Chains that exist in the nat table but that no port claims any more, with
   * the port that owned them. A chain's name embeds its service port, so only
   * that port can claim it: comparing each port's chains as last written with
   * its chains now is the same as upstream's comparison of `iptables-save`
   * with the active chains. With `listNatChains`, a full sync compares what
   * the table really holds with every port's chains.
   */
  private staleChains(full: boolean, ports: Iterable<string>): Map<string, string> {
    const stale = new Map<string, string>();
    for (const key of ports) {
      const before = this.writtenChains.get(key);
      if (!before) continue;
      const now = this.compiled.get(key)?.chains;
      if (now === before) continue;
      const keep = new Set(now ?? []);
      for (const c of before) if (!keep.has(c)) stale.set(c, key);
    }
    if (full && this.listNatChains) {
      const active = new Set<string>();
      for (const e of this.compiled.values()) for (const c of e.chains) active.add(c);
      for (const chain of this.listNatChains()) {
        if (isServiceChainName(chain) && !active.has(chain) && !stale.has(chain)) stale.set(chain, '');
      }
    }
    return stale;
  }

  /** Whether the port's current chains include this one. */
  private claims(key: string, chain: string): boolean {
    return this.compiled.get(key)?.chains.includes(chain) ?? false;
  }

  /** Records a freshly compiled port. */
  private adopt(next: CompiledEntry): void {
    this.compiled.set(next);
    let keys = this.compiledByService.get(next.serviceKey);
    if (!keys) {
      keys = new Set();
      this.compiledByService.set(next.serviceKey, keys);
    }
    keys.add(next.key);
  }

  /** Drops a service port that no longer exists. */
  private forget(key: string): void {
    const entry = this.compiled.delete(key);
    if (!entry) return;
    const keys = this.compiledByService.get(entry.serviceKey);
    keys?.delete(key);
    if (keys && keys.size === 0) this.compiledByService.delete(entry.serviceKey);
  }

  // -------------------------------------------------------------------------
  // Introspection
  // -------------------------------------------------------------------------

  status(): ProxierStatus {
    return {
      nodeName: this.nodeName,
      family: this.family,
      config: this.config,
      emulation: this.emulation,
      localDetector: this.detector.describe,
      localhostNodePorts: this.localhostNodePorts,
      mark: this.mark,
      servicePorts: this.servicePorts.size,
      endpoints: this.lastSyncRecord?.endpoints ?? 0,
      needFullSync: this.needFullSync,
      largeClusterMode: this.largeClusterMode,
      ...(this.lastSyncRecord ? { lastSync: this.lastSyncRecord } : {}),
      ...(this.lastFullSyncAt !== undefined ? { lastFullSyncAt: this.lastFullSyncAt } : {}),
      ...(this.lastCleanupAt !== undefined ? { lastCleanupAt: this.lastCleanupAt } : {}),
      ...(this.runner.nextRunAt() !== undefined ? { nextSyncAt: this.runner.nextRunAt() } : {}),
      healthCheckNodePorts: Object.fromEntries(this.servicePorts.healthCheckNodePorts()),
      counters: { ...this.counters },
      history: [...this.history],
      warnings: [...this.warnings],
    };
  }

  /** How one service port is categorized right now (for explanations and tests). */
  explain(servicePortKey: string): ReturnType<typeof categorizeEndpoints> | undefined {
    const sp = this.servicePorts.get(servicePortKey);
    return sp ? categorizeEndpoints(this.endpoints.get(servicePortKey), sp, this.ctx.topology) : undefined;
  }
}

/** The chains a full sync makes sure exist before restoring: jump targets, then the canaries. */
export function ensureChains(): { table: TableName; chain: string }[] {
  const out: { table: TableName; chain: string }[] = [];
  const seen = new Set<string>();
  for (const r of BUILTIN_JUMP_RULES) {
    const k = `${r.table}/${r.target}`;
    if (!seen.has(k)) {
      seen.add(k);
      out.push({ table: r.table, chain: r.target });
    }
  }
  return [...out, ...CANARY_CHAINS];
}
