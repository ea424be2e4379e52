import { IpFamily } from '../../ipam/types';
import { NodeStatus, CONTROL_PLANE_LABEL, ZONE_LABEL, nodeInternalIPs } from '../resources/node.types';
import { ServiceSpec } from '../resources/service.types';
import { compileSelector, serviceSelector } from '../store/label-selector';
import { deepEqual, ObjectStore } from '../store/object-store';
import { resourceTypeByKey } from '../store/resource-types';
import { KubeObject, ObjectInput, StoredEvent } from '../store/types';
import { Budget, Controller, SteppedBatch, Steps, UNBOUNDED } from './controller-manager';
import { objectKey } from './pod-template';
import { EndpointGroup, ServiceEndpoints } from './service-endpoints';

const pods = resourceTypeByKey('pods')!;
const nodes = resourceTypeByKey('nodes')!;
const services = resourceTypeByKey('services')!;
const slices = resourceTypeByKey('endpointslices.discovery.k8s.io')!;
const endpointsType = resourceTypeByKey('endpoints')!;

/** Controllers build their writes themselves and hand them over. */
const OWNED = { owned: true };

export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';
export const MANAGED_BY_LABEL = 'endpointslice.kubernetes.io/managed-by';
export const MANAGED_BY = 'endpointslice-controller.k8s.io';
export const SKIP_MIRROR_LABEL = 'endpointslice.kubernetes.io/skip-mirror';
/** Upstream's default `--max-endpoints-per-slice`. */
export const MAX_ENDPOINTS_PER_SLICE = 100;
/** Pods looked at again per step of a sync. */
const REFRESH_STEP = 500;
/** The most addresses an Endpoints object carries (the Endpoints controller's `maxCapacity`); beyond, it is truncated and annotated. */
export const ENDPOINTS_MAX_CAPACITY = 1000;
export const OVER_CAPACITY_ANNOTATION = 'endpoints.kubernetes.io/over-capacity';

interface EndpointsSubset {
  addresses?: unknown[];
  notReadyAddresses?: unknown[];
  ports: unknown[];
}

/**
 * Cuts subsets down to `ENDPOINTS_MAX_CAPACITY` addresses as the Endpoints
 * controller does: ready addresses first; the room left is shared between
 * subsets in proportion to their size, rounded up, the last ones getting
 * what remains; when the ready ones alone are too many, no not-ready address
 * is kept. Returns whether it cut anything.
 */
export function truncateSubsets(subsets: EndpointsSubset[]): boolean {
  let ready = 0;
  let notReady = 0;
  for (const s of subsets) {
    ready += s.addresses?.length ?? 0;
    notReady += s.notReadyAddresses?.length ?? 0;
  }
  if (ready + notReady <= ENDPOINTS_MAX_CAPACITY) return false;
  const cutReady = ready > ENDPOINTS_MAX_CAPACITY;
  const room = cutReady ? ENDPOINTS_MAX_CAPACITY : ENDPOINTS_MAX_CAPACITY - ready;
  const total = cutReady ? ready : notReady;
  let left = room;
  for (const s of subsets) {
    const list = (cutReady ? s.addresses : s.notReadyAddresses) ?? [];
    const share = Math.min(Math.ceil((list.length / total) * room), left);
    const kept = list.slice(0, share);
    if (cutReady) {
      if (s.addresses) s.addresses = kept;
      delete s.notReadyAddresses;
    } else if (s.notReadyAddresses) {
      s.notReadyAddresses = kept;
    }
    left -= kept.length;
  }
  return true;
}

export interface SliceEndpoint {
  addresses: string[];
  /** `serving` and `terminating` are left out of the API server's own endpoints, as upstream leaves them. */
  conditions: { ready: boolean; serving?: boolean; terminating?: boolean };
  nodeName?: string;
  zone?: string;
  hostname?: string;
  targetRef?: { kind: string; namespace?: string; name: string; uid: string };
}

export interface SlicePort {
  name: string;
  port: number;
  protocol: string;
}

export interface EndpointSlice extends KubeObject {
  addressType: 'IPv4' | 'IPv6' | 'FQDN';
  endpoints: SliceEndpoint[];
  ports: SlicePort[];
}

/**
 * Which Services select a pod, without looking at every Service: each
 * Service is filed under one of its selector's `key=value` pairs.
 */
class SelectorIndex {
  private readonly byPair = new Map<string, Map<string, Record<string, string>>>();
  private readonly pairOf = new Map<string, string>();

  update(service: KubeObject | undefined, previous: KubeObject | undefined): void {
    const key = (o: KubeObject) => `${o.metadata.namespace}/${o.metadata.name}`;
    if (previous) {
      const k = key(previous);
      const pair = this.pairOf.get(k);
      if (pair) this.byPair.get(pair)?.delete(k);
      this.pairOf.delete(k);
    }
    if (!service) return;
    const selector = (service.spec as ServiceSpec).selector;
    const entries = Object.entries(selector ?? {}).sort(([a], [b]) => (a < b ? -1 : 1));
    if (!entries.length) return;
    const [k0, v0] = entries[0];
    const pair = `${service.metadata.namespace}\0${k0}=${v0}`;
    let bucket = this.byPair.get(pair);
    if (!bucket) {
      bucket = new Map();
      this.byPair.set(pair, bucket);
    }
    bucket.set(key(service), selector!);
    this.pairOf.set(key(service), pair);
  }

  /** Keys (`namespace/name`) of the Services whose selector matches the pod's labels. */
  selecting(pod: KubeObject): string[] {
    const labels = pod.metadata.labels ?? {};
    const out: string[] = [];
    for (const [k, v] of Object.entries(labels)) {
      const bucket = this.byPair.get(`${pod.metadata.namespace}\0${k}=${v}`);
      if (!bucket) continue;
      for (const [serviceKey, selector] of bucket) {
        if (Object.entries(selector).every(([sk, sv]) => labels[sk] === sv)) out.push(serviceKey);
      }
    }
    return out;
  }
}

/** Whether updating `slice` with `body` would leave it as it is (what the update replaces is equal, nothing else would be dropped). */
function sliceIs(slice: EndpointSlice, body: ObjectInput): boolean {
  const meta = slice.metadata;
  return (
    meta.annotations === undefined &&
    meta.finalizers === undefined &&
    slice.addressType === body.addressType &&
    deepEqual(meta.labels, body.metadata?.labels) &&
    deepEqual(meta.ownerReferences, body.metadata?.ownerReferences) &&
    deepEqual(slice.ports, body.ports) &&
    deepEqual(slice.endpoints, body.endpoints)
  );
}

/**
 * The EndpointSlice controller: for each Service with a selector, slices of at
 * most 100 endpoints (one set of slices per distinct port mapping, as named
 * target ports may resolve differently on different pods), with each pod's
 * address, `ready`/`serving`/`terminating`, node and zone; and the legacy
 * read-only `Endpoints` object derived from the same data. The endpoints of
 * `default/kubernetes` are the control-plane nodes' addresses on 6443, as the
 * API server's own reconciler keeps them (`pkg/controlplane/reconcilers`: the
 * slice labelled with the Service name only, each endpoint only `ready`, the
 * Endpoints labelled `endpointslice.kubernetes.io/skip-mirror`).
 */
export class EndpointSliceController implements Controller {
  readonly name = 'endpointslice-controller';
  private readonly queue = new Set<string>();
  private readonly batch = new SteppedBatch();
  private readonly selectors = new SelectorIndex();
  /** Per Service key, its endpoints as last seen (see `ServiceEndpoints`). */
  private readonly caches = new Map<string, ServiceEndpoints>();
  /** Per Service key, the pods whose events concerned it since its last sync. */
  private readonly touched = new Map<string, Set<string>>();

  constructor(private readonly store: ObjectStore) {}

  observe(event: StoredEvent): void {
    const object = event.object;
    switch (event.resource) {
      case 'services':
        this.selectors.update(event.type === 'DELETED' ? undefined : object, event.previous ?? (event.type === 'DELETED' ? object : undefined));
        this.queue.add(`${object.metadata.namespace}/${object.metadata.name}`);
        break;
      case 'pods': {
        // The Services that select the pod now, and those that selected it before.
        const podKey = objectKey(object);
        for (const key of this.selectors.selecting(object)) this.touch(key, podKey);
        if (event.previous) for (const key of this.selectors.selecting(event.previous)) this.touch(key, podKey);
        break;
      }
      case 'nodes': {
        this.queue.add('default/kubernetes');
        // An endpoint names its node's zone: a node coming, going or changing zone makes every cache stale.
        const zone = (o: KubeObject | undefined) => o?.metadata.labels?.[ZONE_LABEL];
        if (event.type !== 'MODIFIED' || zone(event.previous) !== zone(object)) this.caches.clear();
        break;
      }
    }
  }

  private touch(serviceKey: string, podKey: string): void {
    this.queue.add(serviceKey);
    let keys = this.touched.get(serviceKey);
    if (!keys) {
      keys = new Set();
      this.touched.set(serviceKey, keys);
    }
    keys.add(podKey);
  }

  reconcile(budget: Budget = UNBOUNDED): boolean {
    return this.batch.run(budget, () => (this.queue.size === 0 ? undefined : this.steps()));
  }

  unfinished(): boolean {
    return this.batch.unfinished;
  }

  /** The queued Services in key order; one slice written per step. */
  private *steps(): Steps {
    const keys = [...this.queue].sort();
    this.queue.clear();
    for (let i = 0; i < keys.length; i++) {
      const [namespace, name] = keys[i].split('/');
      try {
        yield* this.sync(namespace, name);
      } catch (e) {
        // Reported by the controller manager; the other Services wait for the next round.
        for (const key of keys.slice(i + 1)) this.queue.add(key);
        throw e;
      }
      yield;
    }
  }

  private *sync(namespace: string, name: string): Steps {
    const service = this.store.tryGet(services, namespace, name);
    const existing = this.store.list(slices, { namespace, labelSelector: compileSelector({ matchLabels: { [SERVICE_NAME_LABEL]: name } }) })
      .items as EndpointSlice[];
    if (!service) {
      this.caches.delete(`${namespace}/${name}`);
      this.touched.delete(`${namespace}/${name}`);
      for (const s of existing) this.store.delete(slices, namespace, s.metadata.name);
      if (this.store.tryGet(endpointsType, namespace, name)) this.store.delete(endpointsType, namespace, name);
      return;
    }
    const spec = service.spec as ServiceSpec;
    let groups: EndpointGroup[];
    if (namespace === 'default' && name === 'kubernetes') groups = this.apiServerEndpoints();
    else {
      const selector = serviceSelector(spec.selector);
      if (!selector || spec.type === 'ExternalName') return; // slices of selector-less Services belong to their users
      groups = yield* this.podEndpoints(service, `${namespace}/${name}`);
    }
    yield* this.writeSlices(service, existing, groups);
    this.writeEndpoints(service, groups);
  }

  private apiServerEndpoints(): EndpointGroup[] {
    const endpoints: SliceEndpoint[] = [];
    for (const node of this.store.list(nodes).items) {
      if (node.metadata.labels?.[CONTROL_PLANE_LABEL] === undefined) continue;
      // One address per family (the slice of each family takes its own): an IPv6-primary cluster's `kubernetes` gets the IPv6 one.
      const ips = nodeInternalIPs((node.status ?? {}) as NodeStatus);
      if (ips.length) endpoints.push({ addresses: ips, conditions: { ready: true } });
    }
    return [{ ports: [{ name: 'https', port: 6443, protocol: 'TCP' }], endpoints }];
  }

  /** The Service's endpoints: from its cache, refreshed for the pods touched since (built in full the first time), 500 pods per step. */
  private *podEndpoints(service: KubeObject, key: string): Generator<void, EndpointGroup[], void> {
    const touched = this.touched.get(key);
    this.touched.delete(key);
    let cache = this.caches.get(key);
    if (!cache || !cache.fits(service)) {
      cache = new ServiceEndpoints(service);
      this.caches.set(key, cache);
      const selector = serviceSelector((service.spec as ServiceSpec).selector)!;
      let n = 0;
      for (const pod of this.store.list(pods, { namespace: service.metadata.namespace, labelSelector: selector }).items) {
        cache.refresh(this.store, objectKey(pod), pod);
        if (++n % REFRESH_STEP === 0) yield;
      }
    } else {
      let n = 0;
      for (const podKey of touched ?? []) {
        const slash = podKey.indexOf('/');
        cache.refresh(this.store, podKey, this.store.tryGet(pods, podKey.slice(0, slash), podKey.slice(slash + 1)));
        if (++n % REFRESH_STEP === 0) yield;
      }
    }
    // A step may have let a write in: the Service may have changed or gone meanwhile.
    const current = this.store.tryGet(services, service.metadata.namespace, service.metadata.name);
    if (current !== service) this.queue.add(key);
    return yield* cache.groupSteps();
  }

  /**
   * Writes the slices one per step (a slice removed by someone else meanwhile is made again): one set
   * per IP family of the Service (`addressType` IPv4 or IPv6, in `ipFamilies` order), each endpoint
   * with the pod's address of that family.
   */
  private *writeSlices(service: KubeObject, existing: EndpointSlice[], groups: EndpointGroup[]): Steps {
    const families = addressTypes(service);
    const otherFamilies = existing.filter((s) => !families.includes(s.addressType as IpFamily));
    for (const family of families) {
      yield* this.writeSlicesOf(service, family, existing.filter((s) => s.addressType === family), groupsOf(groups, family));
    }
    // Slices of a family the Service no longer has.
    for (const stale of otherFamilies) {
      if (this.store.tryGet(slices, service.metadata.namespace, stale.metadata.name)) this.store.delete(slices, service.metadata.namespace, stale.metadata.name);
      yield;
    }
  }

  private *writeSlicesOf(service: KubeObject, addressType: IpFamily, existing: EndpointSlice[], groups: EndpointGroup[]): Steps {
    const namespace = service.metadata.namespace!;
    const isApiServer = namespace === 'default' && service.metadata.name === 'kubernetes';
    const desired: EndpointGroup[] = [];
    for (const group of groups) {
      if (group.endpoints.length === 0) desired.push(group);
      for (let i = 0; i < group.endpoints.length; i += MAX_ENDPOINTS_PER_SLICE) {
        desired.push({ ports: group.ports, endpoints: group.endpoints.slice(i, i + MAX_ENDPOINTS_PER_SLICE) });
      }
    }
    const remaining = [...existing].sort((a, b) => (a.metadata.name < b.metadata.name ? -1 : 1));
    for (const want of desired) {
      const body: ObjectInput = {
        metadata: {
          labels: {
            ...(isApiServer ? {} : { [MANAGED_BY_LABEL]: MANAGED_BY }),
            [SERVICE_NAME_LABEL]: service.metadata.name,
          },
          ownerReferences: isApiServer
            ? undefined
            : [{ apiVersion: 'v1', kind: 'Service', name: service.metadata.name, uid: service.metadata.uid, controller: true, blockOwnerDeletion: true }],
        },
        addressType,
        endpoints: want.endpoints,
        ports: want.ports,
      };
      const next = remaining.shift();
      const reuse = next && this.store.tryGet(slices, namespace, next.metadata.name);
      if (reuse && sliceIs(reuse as EndpointSlice, body)) continue; // unchanged: no write, as an update would change nothing
      if (reuse) {
        this.store.update(slices, namespace, reuse.metadata.name, { ...body, metadata: { ...body.metadata, name: reuse.metadata.name } }, OWNED);
      } else {
        const metadata = isApiServer ? { ...body.metadata, name: 'kubernetes' } : { ...body.metadata, generateName: `${service.metadata.name}-` };
        this.store.create(slices, { ...body, metadata }, namespace, OWNED);
      }
      yield;
    }
    for (const stale of remaining) {
      if (this.store.tryGet(slices, namespace, stale.metadata.name)) this.store.delete(slices, namespace, stale.metadata.name);
      yield;
    }
  }

  private writeEndpoints(service: KubeObject, allGroups: EndpointGroup[]): void {
    const namespace = service.metadata.namespace!;
    // Endpoints carry the addresses of the Service's primary family only.
    const groups = groupsOf(allGroups, addressTypes(service)[0]);
    const subsets = groups
      .filter((g) => g.endpoints.length > 0)
      .map((g) => {
        const address = (e: SliceEndpoint) => ({
          ip: e.addresses[0],
          ...(e.hostname ? { hostname: e.hostname } : {}),
          ...(e.nodeName ? { nodeName: e.nodeName } : {}),
          ...(e.targetRef ? { targetRef: e.targetRef } : {}),
        });
        const ready = g.endpoints.filter((e) => e.conditions.ready).map(address);
        const notReady = g.endpoints.filter((e) => !e.conditions.ready && !e.conditions.terminating).map(address);
        return {
          ...(ready.length ? { addresses: ready } : {}),
          ...(notReady.length ? { notReadyAddresses: notReady } : {}),
          ports: g.ports.map((p) => ({ ...(p.name ? { name: p.name } : {}), port: p.port, protocol: p.protocol })),
        };
      })
      .filter((s) => s.addresses || s.notReadyAddresses);
    // The API server labels its own Endpoints so that the mirroring controller leaves them alone.
    const isApiServer = namespace === 'default' && service.metadata.name === 'kubernetes';
    const labels = isApiServer ? { [SKIP_MIRROR_LABEL]: 'true' } : service.metadata.labels;
    const truncated = truncateSubsets(subsets);
    const body: ObjectInput = {
      metadata: { name: service.metadata.name, labels, ...(truncated ? { annotations: { [OVER_CAPACITY_ANNOTATION]: 'truncated' } } : {}) },
      ...(subsets.length ? { subsets } : {}),
    };
    if (this.store.tryGet(endpointsType, namespace, service.metadata.name)) {
      this.store.update(endpointsType, namespace, service.metadata.name, body, OWNED);
    } else {
      this.store.create(endpointsType, body, namespace, OWNED);
    }
  }
}

/**
 * The address types of a Service's slices: its `ipFamilies` in order; without
 * them (an object written before defaulting), the family of its ClusterIP.
 */
function addressTypes(service: KubeObject): IpFamily[] {
  const spec = service.spec as ServiceSpec;
  const families = (spec.ipFamilies ?? []).filter((f): f is IpFamily => f === 'IPv4' || f === 'IPv6');
  if (families.length) return families;
  return [spec.clusterIP?.includes(':') ? 'IPv6' : 'IPv4'];
}

/** The groups with each endpoint's address of `family` alone; endpoints without one are left out. */
function groupsOf(groups: EndpointGroup[], family: IpFamily): EndpointGroup[] {
  const isFamily = (ip: string) => ip.includes(':') === (family === 'IPv6');
  const kept = groups
    .map((group) => ({
      ports: group.ports,
      endpoints: group.endpoints.flatMap((e) => {
        const address = e.addresses.find(isFamily);
        return address === undefined ? [] : [e.addresses.length === 1 ? e : { ...e, addresses: [address] }];
      }),
    }))
    .filter((group) => group.endpoints.length > 0);
  // No endpoints of this family: one placeholder slice without ports, as for no endpoints at all.
  return kept.length ? kept : [{ ports: [], endpoints: [] }];
}
