/**
 * Stage 1 and 2 of a sync: track what changed, then merge it into the maps
 * the rule compiler reads (upstream `ServiceChangeTracker` + `ServicePortMap`,
 * `EndpointsChangeTracker` + `EndpointsMap`).
 *
 * Events only record pending state; `update()` on a map applies everything
 * pending at once and answers which Services (`namespace/name`) changed since
 * the previous update. Changes are tracked per Service, as upstream does, so a
 * partial sync rewrites every port of a changed Service.
 */
import { EndpointSliceCache, type EndpointInfo, type ServiceEndpoints } from './endpoint-slice-cache';
import { servicePortFingerprint, servicePortsOf, serviceKeyOf, type ServicePortInfo } from './service-port';
import type { EndpointSlice, IpFamily, Service } from './types';

export interface UpdateResult {
  /** Services (`namespace/name`) whose ports or endpoints changed since the previous update. */
  updatedServices: Set<string>;
}

/** Pending Service changes, newest state per `namespace/name` (null: deleted). */
export class ServiceChangeTracker {
  private readonly pending = new Map<string, Service | null>();

  constructor(readonly family: IpFamily) {}

  /** Records an added or updated Service. */
  update(service: Service): void {
    this.pending.set(serviceKeyOf(service.metadata.namespace || 'default', service.metadata.name), service);
  }

  /** Records a deleted Service. */
  remove(service: Pick<Service, 'metadata'>): void {
    this.pending.set(serviceKeyOf(service.metadata.namespace || 'default', service.metadata.name), null);
  }

  get pendingCount(): number {
    return this.pending.size;
  }

  /** Hands the pending changes over and forgets them. */
  checkout(): Map<string, Service | null> {
    const out = new Map(this.pending);
    this.pending.clear();
    return out;
  }
}

/** Every service port kube-proxy programs, by `ServicePortInfo.key`. */
export class ServicePortMap {
  private readonly ports = new Map<string, ServicePortInfo>();
  /** Per Service its ports, and (once compared) a fingerprint of what kube-proxy reads of them. */
  private readonly byService = new Map<string, { ports: ServicePortInfo[]; fingerprint?: string }>();

  get size(): number {
    return this.ports.size;
  }

  get(key: string): ServicePortInfo | undefined {
    return this.ports.get(key);
  }

  values(): IterableIterator<ServicePortInfo> {
    return this.ports.values();
  }

  keys(): IterableIterator<string> {
    return this.ports.keys();
  }

  /** The ports of one Service (empty when it has none or is ignored). */
  portsOf(serviceKey: string): readonly ServicePortInfo[] {
    return this.byService.get(serviceKey)?.ports ?? [];
  }

  /** Applies the tracker's pending changes; a Service counts as updated only if its ports really changed. */
  update(tracker: ServiceChangeTracker): UpdateResult {
    const updatedServices = new Set<string>();
    for (const [serviceKey, service] of tracker.checkout()) {
      const next = service ? [...servicePortsOf(service, tracker.family).values()] : [];
      const prev = this.byService.get(serviceKey);
      // Only an existing Service needs comparing; most updates at scale are additions.
      let fingerprint: string | undefined;
      if (prev) {
        fingerprint = next.map(servicePortFingerprint).join('\n');
        prev.fingerprint ??= prev.ports.map(servicePortFingerprint).join('\n');
        if (prev.fingerprint === fingerprint) continue;
      } else if (next.length === 0) {
        continue;
      }
      for (const p of prev?.ports ?? []) this.ports.delete(p.key);
      for (const p of next) this.ports.set(p.key, p);
      if (next.length > 0) this.byService.set(serviceKey, { ports: next, fingerprint });
      else this.byService.delete(serviceKey);
      updatedServices.add(serviceKey);
    }
    return { updatedServices };
  }

  /** `namespace/name` -> healthCheckNodePort, for Services that have one (upstream `HealthCheckNodePorts`). */
  healthCheckNodePorts(): Map<string, number> {
    const out = new Map<string, number>();
    for (const p of this.ports.values()) if (p.healthCheckNodePort !== 0) out.set(p.serviceKey, p.healthCheckNodePort);
    return out;
  }
}

/** Pending EndpointSlice changes (a thin face over the slice cache). */
export class EndpointsChangeTracker {
  readonly cache: EndpointSliceCache;

  /** `iptablesChainNames: false` (nftables mode): endpoints carry no `KUBE-SEP-` chain name. */
  constructor(
    readonly nodeName: string,
    readonly family: IpFamily,
    options: { iptablesChainNames?: boolean } = {},
  ) {
    this.cache = new EndpointSliceCache(nodeName, family, options.iptablesChainNames ?? true);
  }

  /** Records an added or updated slice; false when kube-proxy ignores the change. */
  update(slice: EndpointSlice): boolean {
    return this.cache.update(slice);
  }

  /** Records a deleted slice. */
  remove(slice: EndpointSlice): boolean {
    return this.cache.remove(slice);
  }

  hasPending(): boolean {
    return this.cache.hasPending();
  }
}

/** Every service port's endpoints, sorted by `ip:port`. */
export class EndpointsMap {
  private readonly byPort = new Map<string, EndpointInfo[]>();
  private readonly byService = new Map<string, ServiceEndpoints>();

  get(servicePortKey: string): readonly EndpointInfo[] | undefined {
    return this.byPort.get(servicePortKey);
  }

  /** Service port keys that have endpoints. */
  keys(): IterableIterator<string> {
    return this.byPort.keys();
  }

  /** Applies pending slice changes; every Service whose slices changed counts as updated. */
  update(tracker: EndpointsChangeTracker): UpdateResult {
    const updatedServices = new Set<string>();
    const changes = tracker.cache.checkoutChanges((serviceKey) => this.byService.get(serviceKey));
    for (const [serviceKey, endpoints] of changes) {
      const prev = this.byService.get(serviceKey);
      for (const key of prev?.keys() ?? []) this.byPort.delete(key);
      for (const [key, list] of endpoints) this.byPort.set(key, list);
      if (endpoints.size > 0) this.byService.set(serviceKey, endpoints);
      else this.byService.delete(serviceKey);
      updatedServices.add(serviceKey);
    }
    return { updatedServices };
  }

  /** `namespace/name` -> number of local ready endpoints (upstream `LocalReadyEndpoints`), for health checks. */
  localReadyEndpoints(): Map<string, number> {
    const out = new Map<string, number>();
    for (const [serviceKey, ports] of this.byService) {
      // Distinct local ready IPs over all ports of the Service, as upstream counts them.
      const ips = new Set<string>();
      for (const list of ports.values()) for (const ep of list) if (ep.isLocal && ep.ready) ips.add(ep.ip);
      if (ips.size > 0) out.set(serviceKey, ips.size);
    }
    return out;
  }
}
