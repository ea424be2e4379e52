/**
 * kube-proxy in nftables mode on one node, for one IP family: it follows
 * Services and EndpointSlices as the iptables proxier does (the same change
 * trackers and endpoint categorisation) and keeps the node's `kube-proxy`
 * table in the `ip` or `ip6` family up to date with one transaction per sync
 * (`nft-sync.ts`).
 *
 * Stale chains: a per-service or per-endpoint chain that a sync no longer
 * uses is flushed by it and deleted by the first sync that starts more than a
 * second later (the kernel may still hold a map element's reference to it
 * for a moment). Affinity sets no longer used are deleted at once.
 */
import type { Clock } from '../../common/clock';
import { elementKey, emptyRuleset, tableKey, type NftRuleset, type NftTable } from '../../nftables/model';
import { applyTransaction, transactionText, type NftCommand } from '../../nftables/transaction';
import { EndpointsChangeTracker, EndpointsMap, ServiceChangeTracker, ServicePortMap } from '../change-tracker';
import { resolveConfig, type KubeProxyConfiguration, type MarkFormat, type ResolvedConfig } from '../config';
import { localDetectorFor, NodePortAddresses, nodeInterfaces, primaryNodeIp } from '../node-facts';
import { SyncRunner } from '../sync-runner';
import { FULL_SYNC_PERIOD_MS, type EndpointSlice, type IpFamily, type NodeInfo, type Service } from '../types';
import { isAffinitySetName, isServiceChainName, KUBE_PROXY_TABLE } from './names';
import { compilePort, elementCommands, nftSync, portCommands, type NftSyncContext, type PortOutput } from './nft-sync';
import { keptEndpointChain, startUpElements } from './nft-startup';

export interface NftProxierOptions {
  node: NodeInfo;
  clock: Clock;
  config?: KubeProxyConfiguration;
  family?: IpFamily;
  /** `padded` (default): the mark as kube-proxy prints it (`%#08x`: `0x004000`); `minimal`: `0x4000`, as upstream's tests set it. */
  markFormat?: MarkFormat;
  /** How many sync records `status()` keeps. Default 50. */
  historySize?: number;
  /** The cluster's Service CIDRs (both families; each proxier takes its own). */
  serviceCIDRs?: readonly string[];
  /** The node's nftables ruleset this proxier writes its table into (one per node, shared by both families). */
  ruleset?: NftRuleset;
}

export interface NftSyncResult {
  /** The transactions this sync ran, as `nft -f` reads them: the stale-chain deletion first, if any (written when first read). */
  readonly text: string;
  commands: number;
  /** Commands of the sync's own transaction, without the stale-chain deletion before it (knftables' `NumOperations` of the last transaction). */
  operations: number;
  staleDeleted: string[];
  /** Whether this sync wrote the whole table. */
  full: boolean;
}

/** One sync, as the node's kube-proxy status reports it. */
export interface NftSyncRecord {
  /** Clock time of the sync, in ms. */
  at: number;
  full: boolean;
  /** Commands (lines) of the transactions. */
  commands: number;
  servicePorts: number;
  /** Stale chains this sync deleted. */
  chainsDeleted: number;
}

/** What `GET /netsim/v1/nodes/{node}/kube-proxy` reports of a proxier in nftables mode. */
export interface NftProxierStatus {
  nodeName: string;
  mode: 'nftables';
  family: IpFamily;
  config: ResolvedConfig;
  localDetector: string;
  mark: string;
  servicePorts: number;
  endpoints: number;
  needFullSync: boolean;
  /** Chains flushed by a sync and waiting to be deleted by one that starts more than a second later. */
  staleChains: number;
  lastSync?: NftSyncRecord;
  lastFullSyncAt?: number;
  nextSyncAt?: number;
  counters: { syncs: number; fullSyncs: number; partialSyncs: number };
  history: NftSyncRecord[];
  warnings: string[];
}

type ElementRef = PortOutput['elements'][number];

/** An element's identity: its set and key. */
function refKey(e: ElementRef): string {
  return `${e.set} ${elementKey(e.element.key)}`;
}

function sameElement(a: ElementRef, b: ElementRef): boolean {
  return a.element.comment === b.element.comment && (a.element.value ?? []).join(' ') === (b.element.value ?? []).join(' ');
}

/** `1 << bit` as nftables kube-proxy prints it: Go's `%#08x` pads the whole to 8 characters (`0x004000`). */
export function nftMark(bit: number, format: MarkFormat): string {
  const hex = (2 ** bit).toString(16);
  return format === 'padded' ? `0x${hex.padStart(6, '0')}` : `0x${hex}`;
}

export class NftProxier {
  readonly family: IpFamily;
  readonly config: ResolvedConfig;
  readonly ruleset: NftRuleset;
  private readonly clock: Clock;
  private readonly ctx: NftSyncContext;
  private readonly serviceChanges: ServiceChangeTracker;
  private readonly endpointChanges: EndpointsChangeTracker;
  private readonly servicePorts = new ServicePortMap();
  private readonly endpoints = new EndpointsMap();
  /** Each service port's part of the table, as last written. */
  private outputs = new Map<string, PortOutput>();
  /** Per Service (`namespace/name`) the keys of its ports in `outputs`. */
  private readonly portsByService = new Map<string, Set<string>>();
  /** How many ports hold each element (`set key`). */
  private readonly elementRefs = new Map<string, number>();
  private needFullSync = true;
  /** Stale chain -> the clock time it became stale. */
  private readonly staleChains = new Map<string, number>();
  readonly warnings: string[] = [];
  readonly nodeName: string;
  private readonly runner: SyncRunner;
  private readonly localDetector: string;
  private readonly historySize: number;
  private readonly history: NftSyncRecord[] = [];
  private readonly counters = { syncs: 0, fullSyncs: 0, partialSyncs: 0 };
  /** Whether this process has synced once (its first sync is the start-up one). */
  private synced = false;
  private lastFullSyncAt: number | undefined;
  private lastResult: NftSyncResult | undefined;

  constructor(options: NftProxierOptions) {
    this.family = options.family ?? 'IPv4';
    this.clock = options.clock;
    this.config = resolveConfig(options.config);
    this.ruleset = options.ruleset ?? emptyRuleset();
    const node = options.node;
    this.nodeName = node.name;
    this.historySize = options.historySize ?? 50;
    // Upstream's BoundedFrequencyRunner: minSyncPeriod between syncs, a retry after syncPeriod, at least hourly.
    this.runner = new SyncRunner(this.clock, this.config.minSyncPeriodMs, this.config.syncPeriodMs, FULL_SYNC_PERIOD_MS);
    this.serviceChanges = new ServiceChangeTracker(this.family);
    this.endpointChanges = new EndpointsChangeTracker(node.name, this.family, { iptablesChainNames: false });
    const { detector, warning } = localDetectorFor(this.config, node, this.family);
    if (warning) this.warnings.push(warning);
    this.localDetector = detector.describe;
    const nodeIp = primaryNodeIp(node, this.family);
    // In nftables mode NodePorts are accepted on the primary node IPs unless nodePortAddresses says otherwise.
    const addresses = this.config.nodePortAddresses.length > 0 ? this.config.nodePortAddresses : ['primary'];
    const nodePorts = new NodePortAddresses(this.family, addresses, nodeIp);
    const nodePortIps = nodePorts.matchAll
      ? null
      : nodePorts
          .nodeIps(nodeInterfaces(node))
          .filter((ip) => !ip.text.startsWith('127.') && ip.text !== '::1')
          .map((ip) => ip.text);
    const v6 = this.family === 'IPv6';
    this.ctx = {
      family: this.family,
      nodeName: node.name,
      mark: nftMark(this.config.masqueradeBit, options.markFormat ?? 'padded'),
      masqueradeAll: this.config.masqueradeAll,
      detector,
      nodePortIps,
      nodeIp: nodeIp?.text,
      serviceCIDRs: (options.serviceCIDRs ?? []).filter((c) => c.includes(':') === v6),
      topology: {
        nodeName: node.name,
        topologyLabels: { ...(node.labels ?? {}) },
        preferSameTrafficDistribution: this.config.preferSameTrafficDistribution,
      },
    };
  }

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

  /** The node's topology labels changed: every port's endpoints recomputed by a full sync (upstream `OnNodeUpdate`). */
  onTopologyChange(labels: Record<string, string>): void {
    this.ctx.topology = { ...this.ctx.topology, topologyLabels: { ...labels } };
    this.needFullSync = true;
    this.runner.request();
  }

  /** When the next sync should run on the clock (batched by `minSyncPeriod`), if any. */
  nextSyncAt(): number | undefined {
    return this.runner.nextRunAt();
  }

  /** Runs a sync if one is due now; otherwise returns undefined. */
  syncIfDue(): NftSyncResult | undefined {
    return this.runner.due() ? this.sync() : undefined;
  }

  /** The transaction text of the last sync, as `nft -f` reads it (empty before the first). */
  lastTransactionText(): string {
    return this.lastResult?.text ?? '';
  }

  status(): NftProxierStatus {
    const last = this.history[this.history.length - 1];
    const next = this.runner.nextRunAt();
    return {
      nodeName: this.nodeName,
      mode: 'nftables',
      family: this.family,
      config: this.config,
      localDetector: this.localDetector,
      mark: this.ctx.mark,
      servicePorts: this.servicePorts.size,
      endpoints: this.endpointCount(),
      needFullSync: this.needFullSync,
      staleChains: this.staleChains.size,
      ...(last ? { lastSync: last } : {}),
      ...(this.lastFullSyncAt !== undefined ? { lastFullSyncAt: this.lastFullSyncAt } : {}),
      ...(next !== undefined ? { nextSyncAt: next } : {}),
      counters: { ...this.counters },
      history: [...this.history],
      warnings: [...this.warnings],
    };
  }

  /** Service ports programmed after the last sync. */
  servicePortCount(): number {
    return this.servicePorts.size;
  }

  /** Endpoints (over all service ports) after the last sync. */
  endpointCount(): number {
    let n = 0;
    for (const key of this.endpoints.keys()) n += this.endpoints.get(key)?.length ?? 0;
    return n;
  }

  /** The `kube-proxy` table of this family as it stands. */
  table(): NftTable | undefined {
    return this.ruleset.tables.get(tableKey(this.family === 'IPv6' ? 'ip6' : 'ip', KUBE_PROXY_TABLE));
  }

  /** Chains flushed by a sync and not yet deleted, sorted. */
  staleChainNames(): string[] {
    return [...this.staleChains.keys()].sort();
  }

  /** The next sync writes the whole table. */
  forceFullSync(): void {
    this.needFullSync = true;
  }

  sync(): NftSyncResult {
    const now = this.clock.now();
    const changed = this.servicePorts.update(this.serviceChanges).updatedServices;
    for (const key of this.endpoints.update(this.endpointChanges).updatedServices) changed.add(key);

    const ran: NftCommand[][] = [];
    let count = 0;
    const staleDeleted: string[] = [];
    const at = { family: this.family === 'IPv6' ? ('ip6' as const) : ('ip' as const), table: KUBE_PROXY_TABLE };
    const existing = this.table();
    if (existing && this.staleChains.size > 0) {
      const deletions: NftCommand[] = [];
      for (const [chain, since] of this.staleChains) {
        if (since < now - 1000) {
          if (existing.chains.has(chain)) deletions.push({ ...at, verb: 'delete', object: 'chain', name: chain });
          staleDeleted.push(chain);
        }
      }
      for (const chain of staleDeleted) this.staleChains.delete(chain);
      if (deletions.length > 0) {
        applyTransaction(this.ruleset, deletions);
        ran.push(deletions);
        count += deletions.length;
      }
    }

    // As upstream, a full sync at least every hour (FullSyncPeriod).
    const full = this.needFullSync || !existing || (this.lastFullSyncAt !== undefined && now - this.lastFullSyncAt > FULL_SYNC_PERIOD_MS);
    const commands = full ? this.fullSync(now) : this.partialSync(changed, now);
    applyTransaction(this.ruleset, commands);
    this.needFullSync = false;
    this.synced = true;
    ran.push(commands);
    count += commands.length;
    this.runner.ran(now, true);
    this.record({ at: now, full, commands: count, servicePorts: this.servicePorts.size, chainsDeleted: staleDeleted.length });
    // The text (10 MiB at 10,000 Services) is written only if someone reads it.
    let text: string | undefined;
    this.lastResult = {
      commands: count,
      operations: commands.length,
      staleDeleted,
      full,
      get text() {
        return (text ??= ran.map(transactionText).join(''));
      },
    };
    return this.lastResult;
  }

  private record(entry: NftSyncRecord): void {
    this.counters.syncs++;
    if (entry.full) {
      this.counters.fullSyncs++;
      this.lastFullSyncAt = entry.at;
    } else {
      this.counters.partialSyncs++;
    }
    this.history.push(entry);
    if (this.history.length > this.historySize) this.history.shift();
  }

  /** Every chain in use added and flushed, every map flushed and refilled; chains no longer in use flushed and marked stale. */
  private fullSync(now: number): NftCommand[] {
    const at = { family: this.family === 'IPv6' ? ('ip6' as const) : ('ip' as const), table: KUBE_PROXY_TABLE };
    const table = this.table();
    // The process's first sync reconciles with the table a previous kube-proxy left (nft-startup.ts).
    const startUp = this.synced
      ? undefined
      : { keptChain: (port: PortOutput, chain: string) => table !== undefined && keptEndpointChain(table, port, chain), elements: (wanted: Parameters<typeof startUpElements>[2]) => startUpElements(this.ctx, table, wanted) };
    const out = nftSync(this.ctx, { servicePorts: this.servicePorts.values(), endpointsOf: (key) => this.endpoints.get(key), startUp });
    for (const chain of table?.chains.keys() ?? []) {
      if (!isServiceChainName(chain)) continue;
      if (out.activeChains.has(chain)) {
        this.staleChains.delete(chain);
      } else {
        out.commands.push({ ...at, verb: 'flush', object: 'chain', name: chain });
        if (!this.staleChains.has(chain)) this.staleChains.set(chain, now);
      }
    }
    for (const set of table?.sets.keys() ?? []) {
      if (isAffinitySetName(set) && !out.activeAffinitySets.has(set)) out.commands.push({ ...at, verb: 'delete', object: 'set', name: set });
    }
    this.outputs = out.outputs;
    this.portsByService.clear();
    for (const sp of this.servicePorts.values()) {
      const keys = this.portsByService.get(sp.serviceKey) ?? new Set<string>();
      keys.add(sp.key);
      this.portsByService.set(sp.serviceKey, keys);
    }
    this.elementRefs.clear();
    for (const o of out.outputs.values()) for (const e of o.elements) this.countElement(e, 1);
    return out.commands;
  }

  /**
   * Only the ports of changed Services: all their chains written again (as
   * upstream: added, flushed and filled), chains they no longer use flushed
   * (and deleted later), and map and set elements added and deleted one by one.
   */
  private partialSync(changed: Set<string>, now: number): NftCommand[] {
    const at = { family: this.family === 'IPv6' ? ('ip6' as const) : ('ip' as const), table: KUBE_PROXY_TABLE };
    const head: NftCommand[] = [];
    const body: NftCommand[] = [];
    const deletes: ElementRef[] = [];
    const adds: ElementRef[] = [];
    const tail: NftCommand[] = [];
    for (const serviceKey of [...changed].sort()) {
      const keys = new Set([...this.servicePorts.portsOf(serviceKey).map((sp) => sp.key), ...(this.portsByService.get(serviceKey) ?? [])]);
      const nowKeys = new Set<string>();
      for (const key of keys) {
        const sp = this.servicePorts.get(key);
        const before = this.outputs.get(key);
        const after = sp ? compilePort(this.ctx, sp, this.endpoints.get(key)) : undefined;
        if (after) {
          this.outputs.set(key, after);
          nowKeys.add(key);
        } else {
          this.outputs.delete(key);
        }
        const beforeChains = new Map((before?.chains ?? []).map((c) => [c.name, c]));
        const afterChains = new Set((after?.chains ?? []).map((c) => c.name));
        // As upstream, every chain and affinity set of a changed port is written again (added, flushed, filled): sets and chains first, then rules.
        const beforeSets = new Set((before?.affinitySets ?? []).map((a) => a.name));
        if (after) {
          for (const c of portCommands(this.ctx, after)) {
            (c.object === 'set' || c.verb === 'flush' || (c.object === 'chain' && c.verb === 'add') ? head : body).push(c);
          }
          for (const c of after.chains) this.staleChains.delete(c.name);
        }
        for (const name of beforeChains.keys()) {
          if (afterChains.has(name)) continue;
          tail.push({ ...at, verb: 'flush', object: 'chain', name });
          if (!this.staleChains.has(name)) this.staleChains.set(name, now);
        }
        const afterSets = new Set((after?.affinitySets ?? []).map((a) => a.name));
        for (const name of beforeSets) if (!afterSets.has(name)) tail.push({ ...at, verb: 'delete', object: 'set', name });
        // Elements: what went away, what is new or changed.
        const afterElements = new Map((after?.elements ?? []).map((e) => [refKey(e), e]));
        for (const e of before?.elements ?? []) {
          const next = afterElements.get(refKey(e));
          if (next && sameElement(next, e)) continue;
          deletes.push(e);
        }
        const beforeElements = new Map((before?.elements ?? []).map((e) => [refKey(e), e]));
        for (const e of after?.elements ?? []) {
          const prev = beforeElements.get(refKey(e));
          if (prev && sameElement(prev, e)) continue;
          adds.push(e);
        }
      }
      if (nowKeys.size > 0) this.portsByService.set(serviceKey, nowKeys);
      else this.portsByService.delete(serviceKey);
    }
    // Element counts: an element shared by several ports (a ClusterIP in cluster-ips) stays until the last one goes.
    const elementDeletes: ElementRef[] = [];
    const elementAdds: ElementRef[] = [];
    for (const e of deletes) if (this.countElement(e, -1) === 0) elementDeletes.push(e);
    for (const e of adds) if (this.countElement(e, 1) === 1 || this.mapValueChanged(e, elementDeletes)) elementAdds.push(e);
    return [
      ...elementCommands(this.ctx, elementDeletes, 'delete'),
      ...head,
      ...body,
      ...elementCommands(this.ctx, elementAdds),
      ...tail,
    ];
  }

  /** Adds `delta` to the element's count; answers the new count. */
  private countElement(e: ElementRef, delta: number): number {
    const key = refKey(e);
    const n = (this.elementRefs.get(key) ?? 0) + delta;
    if (n > 0) this.elementRefs.set(key, n);
    else this.elementRefs.delete(key);
    return n;
  }

  /** A map element whose value or comment changed is deleted and added again even though its key is still counted. */
  private mapValueChanged(e: ElementRef, deleted: readonly ElementRef[]): boolean {
    return deleted.some((d) => refKey(d) === refKey(e));
  }
}
