/**
 * EndpointSlices, reduced to what kube-proxy needs and grouped by Service
 * (upstream `pkg/proxy/endpointslicecache.go`).
 *
 * A Service's endpoints for one port are the union over all its slices:
 * each endpoint uses only `addresses[0]` (canonicalised), a copy of the same
 * `ip:port` in another slice replaces an earlier one unless it is
 * terminating, and the list is sorted by the `ip:port` string (so
 * `10.1.1.11:11` comes before `10.1.1.1:11`), which fixes which endpoint gets
 * which probability.
 *
 * Slices are "pending" until the proxier checks changes out at a sync, so a
 * sync sees every slice change since the previous one at once.
 */
import { endpointChainName, servicePortNameString } from './chain-names';
import { joinHostPort, parseIpSloppy } from './ip';
import { servicePortKey, serviceKeyOf } from './service-port';
import { LABEL_SERVICE_NAME, type EndpointSlice, type IpFamily, type Protocol } from './types';

/** One usable address of a service port, as the rules use it. */
export interface EndpointInfo {
  ip: string;
  port: number;
  /** `ip:port` (`[ip]:port` for IPv6): the sort key, the DNAT target and part of the SEP hash. */
  endpoint: string;
  isLocal: boolean;
  ready: boolean;
  serving: boolean;
  terminating: boolean;
  nodeName: string;
  zone: string;
  /** `hints.forZones` names, when any. */
  zoneHints?: ReadonlySet<string>;
  /** `hints.forNodes` names, when any. */
  nodeHints?: ReadonlySet<string>;
  /** `KUBE-SEP-...` */
  chainName: string;
}

interface SlicePort {
  name: string;
  port: number;
  protocol: Protocol;
}

interface SliceEndpoint {
  ip: string;
  nodeName: string;
  zone: string;
  ready: boolean;
  serving: boolean;
  terminating: boolean;
  zoneHints: string[];
  nodeHints: string[];
}

/** What kube-proxy keeps of one EndpointSlice (upstream `endpointSliceInfo`). */
interface SliceData {
  ports: SlicePort[];
  endpoints: SliceEndpoint[];
  /** Computed when first compared (most slices are only ever added). */
  fingerprint?: string;
}

interface SliceTracker {
  applied: Map<string, SliceData>;
  /** null: the slice is to be removed. */
  pending: Map<string, SliceData | null>;
}

/** Per service port key (`ns/name:port/PROTO`), its sorted endpoints. */
export type ServiceEndpoints = Map<string, EndpointInfo[]>;

function hintNames(list: { name: string }[] | undefined): string[] {
  if (!Array.isArray(list)) return [];
  return list
    .map((h) => h?.name)
    .filter((n): n is string => typeof n === 'string' && n !== '')
    .sort();
}

function sliceData(slice: EndpointSlice, family: IpFamily): SliceData {
  const ports: SlicePort[] = [];
  for (const p of slice.ports ?? []) {
    // An explicit null name is ignored upstream; an absent one is defaulted to "" by the API server.
    if (p === null || p === undefined || p.name === null) continue;
    if (p.port === null || p.port === undefined || p.port === 0) continue;
    ports.push({ name: p.name ?? '', port: p.port, protocol: p.protocol ?? 'TCP' });
  }
  ports.sort((a, b) => a.port - b.port);

  const endpoints: SliceEndpoint[] = [];
  for (const ep of slice.endpoints ?? []) {
    if (!ep || !Array.isArray(ep.addresses) || ep.addresses.length === 0) continue;
    const ip = parseIpSloppy(ep.addresses[0]);
    if (ip === undefined || ip.family !== family) continue;
    const c = ep.conditions ?? {};
    endpoints.push({
      ip: ip.text,
      nodeName: ep.nodeName ?? '',
      zone: ep.zone ?? '',
      ready: c.ready === undefined || c.ready === null || c.ready === true,
      serving: c.serving === undefined || c.serving === null || c.serving === true,
      terminating: c.terminating === true,
      zoneHints: hintNames(ep.hints?.forZones),
      nodeHints: hintNames(ep.hints?.forNodes),
    });
  }
  endpoints.sort((a, b) => (a.ip < b.ip ? -1 : a.ip > b.ip ? 1 : 0));
  return { ports, endpoints };
}

function fingerprint(d: SliceData): string {
  return (d.fingerprint ??= JSON.stringify([d.ports, d.endpoints]));
}

function sameSlice(a: SliceData | null, b: SliceData | null): boolean {
  return a === null || b === null ? a === b : fingerprint(a) === fingerprint(b);
}

/** The Service an EndpointSlice belongs to (`namespace/name`), or undefined when it has no service label. */
export function sliceServiceKey(slice: EndpointSlice): string | undefined {
  const svc = slice.metadata?.labels?.[LABEL_SERVICE_NAME];
  if (!svc || !slice.metadata?.name) return undefined;
  return serviceKeyOf(slice.metadata.namespace || 'default', svc);
}

function reusable(list: readonly EndpointInfo[] | undefined): Map<string, EndpointInfo> | undefined {
  if (!list) return undefined;
  const map = new Map<string, EndpointInfo>();
  for (const ep of list) map.set(ep.endpoint, ep);
  return map;
}

export class EndpointSliceCache {
  private readonly trackers = new Map<string, SliceTracker>();
  /** Services with pending slice changes. */
  private readonly dirty = new Set<string>();

  constructor(
    private readonly nodeName: string,
    private readonly family: IpFamily,
    /** Whether endpoints get their iptables `KUBE-SEP-` chain name (a hash each; nftables mode names its chains itself). */
    private readonly iptablesChainNames = true,
  ) {}

  /**
   * Records an added or updated slice as pending. Returns whether anything
   * kube-proxy cares about changed (false for slices of another address
   * family, FQDN slices, slices without the service-name label, and no-op updates).
   */
  update(slice: EndpointSlice): boolean {
    return this.record(slice, false);
  }

  /** Records a slice deletion as pending. */
  remove(slice: EndpointSlice): boolean {
    return this.record(slice, true);
  }

  private record(slice: EndpointSlice, remove: boolean): boolean {
    if (slice.addressType !== this.family) return false;
    const serviceKey = sliceServiceKey(slice);
    if (serviceKey === undefined) return false;
    const sliceName = slice.metadata.name;
    let tracker = this.trackers.get(serviceKey);
    if (!tracker) {
      tracker = { applied: new Map(), pending: new Map() };
      this.trackers.set(serviceKey, tracker);
    }
    const data = remove ? null : sliceData(slice, this.family);
    const applied = tracker.applied.get(sliceName) ?? null;
    const current = tracker.pending.has(sliceName) ? tracker.pending.get(sliceName)! : applied;
    if (sameSlice(data, current)) return false;
    if (sameSlice(data, applied)) tracker.pending.delete(sliceName);
    else tracker.pending.set(sliceName, data);
    this.dirty.add(serviceKey);
    return true;
  }

  /** Whether any slice change is waiting for a sync. */
  hasPending(): boolean {
    for (const key of this.dirty) if ((this.trackers.get(key)?.pending.size ?? 0) > 0) return true;
    return false;
  }

  /**
   * Applies every pending slice change and returns, per Service that had
   * pending changes, its new endpoints. `previous` (the endpoints currently
   * in use) lets unchanged endpoints keep their already-hashed chain names.
   */
  checkoutChanges(previous: (serviceKey: string) => ServiceEndpoints | undefined): Map<string, ServiceEndpoints> {
    const changes = new Map<string, ServiceEndpoints>();
    const dirty = [...this.dirty];
    this.dirty.clear();
    for (const serviceKey of dirty) {
      const tracker = this.trackers.get(serviceKey);
      if (!tracker || tracker.pending.size === 0) continue;
      for (const [name, data] of tracker.pending) {
        if (data === null) tracker.applied.delete(name);
        else tracker.applied.set(name, data);
      }
      tracker.pending.clear();
      changes.set(serviceKey, this.endpointsOf(serviceKey, tracker.applied, previous(serviceKey)));
      if (tracker.applied.size === 0) this.trackers.delete(serviceKey);
    }
    return changes;
  }

  private endpointsOf(serviceKey: string, slices: Map<string, SliceData>, previous: ServiceEndpoints | undefined): ServiceEndpoints {
    const slash = serviceKey.indexOf('/');
    const namespace = serviceKey.slice(0, slash);
    const name = serviceKey.slice(slash + 1);
    const byPort = new Map<string, { nameString: string; proto: string; list: EndpointInfo[] }>();
    // Slices in name order, so duplicate resolution does not depend on arrival order.
    const names = slices.size === 1 ? [...slices.keys()] : [...slices.keys()].sort();
    for (const sliceName of names) {
      const slice = slices.get(sliceName)!;
      for (const port of slice.ports) {
        const key = servicePortKey(namespace, name, port.name, port.protocol);
        let group = byPort.get(key);
        if (!group) {
          group = { nameString: servicePortNameString(namespace, name, port.name), proto: port.protocol.toLowerCase(), list: [] };
          byPort.set(key, group);
        }
        for (const ep of slice.endpoints) {
          group.list.push({
            ip: ep.ip,
            port: port.port,
            endpoint: joinHostPort(ep.ip, port.port),
            isLocal: this.nodeName !== '' && ep.nodeName === this.nodeName,
            ready: ep.ready,
            serving: ep.serving,
            terminating: ep.terminating,
            nodeName: ep.nodeName,
            zone: ep.zone,
            zoneHints: ep.zoneHints.length > 0 ? new Set(ep.zoneHints) : undefined,
            nodeHints: ep.nodeHints.length > 0 ? new Set(ep.nodeHints) : undefined,
            chainName: '',
          });
        }
      }
    }
    const result: ServiceEndpoints = new Map();
    for (const [key, group] of byPort) {
      if (group.list.length === 0) continue;
      const list = dedupe(group.list);
      const old = reusable(previous?.get(key));
      if (!this.iptablesChainNames) {
        result.set(key, list);
        continue;
      }
      for (const ep of list) {
        ep.chainName = old?.get(ep.endpoint)?.chainName ?? endpointChainName(group.nameString, group.proto, ep.endpoint);
      }
      result.set(key, list);
    }
    return result;
  }
}

/**
 * Sorts by `ip:port` and collapses copies of one endpoint listed in several
 * slices: as upstream, a later copy replaces an earlier one unless it is
 * terminating (prefer the running pod over a terminating one with the same IP).
 */
function dedupe(list: EndpointInfo[]): EndpointInfo[] {
  // Stable, so copies stay in slice order.
  list.sort((a, b) => (a.endpoint < b.endpoint ? -1 : a.endpoint > b.endpoint ? 1 : 0));
  let out = 0;
  for (let i = 0; i < list.length; i++) {
    const ep = list[i];
    if (out > 0 && list[out - 1].endpoint === ep.endpoint) {
      if (!ep.terminating) list[out - 1] = ep;
    } else {
      list[out++] = ep;
    }
  }
  list.length = out;
  return list;
}
