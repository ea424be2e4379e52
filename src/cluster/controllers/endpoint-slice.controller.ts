import { NodeStatus, CONTROL_PLANE_LABEL, ZONE_LABEL } from '../resources/node.types';
import { PodSpec, PodStatus } from '../resources/pod.types';
import { ServicePort, ServiceSpec } from '../resources/service.types';
import { compileSelector, serviceSelector } from '../store/label-selector';
import { ObjectStore } from '../store/object-store';
import { resourceTypeByKey } from '../store/resource-types';
import { KubeObject, ObjectInput, StoredEvent } from '../store/types';
import { Controller } from './controller-manager';

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
/** Upstream's default `--max-endpoints-per-slice`. */
export const MAX_ENDPOINTS_PER_SLICE = 100;

export interface SliceEndpoint {
  addresses: string[];
  conditions: { ready: boolean; serving: boolean; terminating: boolean };
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

function isReady(pod: KubeObject): boolean {
  return ((pod.status as PodStatus).conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
}

/** Resolves a Service port's target on one pod: a number, or a named container port; undefined if the pod has none. */
export function resolveTargetPort(port: ServicePort, pod: KubeObject): number | undefined {
  const target = port.targetPort ?? port.port;
  if (typeof target === 'number') return target;
  if (/^[0-9]+$/.test(target)) return Number(target);
  for (const c of (pod.spec as PodSpec).containers) {
    for (const p of c.ports ?? []) {
      if (p.name === target && (p.protocol ?? 'TCP') === (port.protocol ?? 'TCP')) return p.containerPort;
    }
  }
  return undefined;
}

/**
 * The EndpointSlice controller: for each Service with a selector, slices of at
 * most 100 endpoints (one set of slices per distinct port mapping, as named
 * target ports may resolve differently on different pods), with each pod's
 * address, `ready`/`serving`/`terminating`, node and zone; and the legacy
 * read-only `Endpoints` object derived from the same data. The endpoints of
 * `default/kubernetes` are the control-plane nodes' addresses on 6443, as the
 * API server's own reconciler keeps them.
 */
export class EndpointSliceController implements Controller {
  readonly name = 'endpointslice-controller';
  private readonly queue = new Set<string>();
  private readonly selectors = new SelectorIndex();

  constructor(private readonly store: ObjectStore) {}

  observe(event: StoredEvent): void {
    const object = event.object;
    switch (event.resource) {
      case 'services':
        this.selectors.update(event.type === 'DELETED' ? undefined : object, event.previous ?? (event.type === 'DELETED' ? object : undefined));
        this.queue.add(`${object.metadata.namespace}/${object.metadata.name}`);
        break;
      case 'pods':
        // The Services that select the pod now, and those that selected it before.
        for (const key of this.selectors.selecting(object)) this.queue.add(key);
        if (event.previous) for (const key of this.selectors.selecting(event.previous)) this.queue.add(key);
        break;
      case 'nodes':
        this.queue.add('default/kubernetes');
        break;
    }
  }

  reconcile(): boolean {
    if (this.queue.size === 0) return false;
    const keys = [...this.queue].sort();
    this.queue.clear();
    for (const key of keys) {
      const [namespace, name] = key.split('/');
      this.sync(namespace, name);
    }
    return true;
  }

  private sync(namespace: string, name: string): void {
    const service = this.store.tryGet(services, namespace, name);
    const existing = this.store.list(slices, { namespace, labelSelector: compileSelector({ matchLabels: { [SERVICE_NAME_LABEL]: name } }) })
      .items as EndpointSlice[];
    if (!service) {
      for (const s of existing) this.store.delete(slices, namespace, s.metadata.name);
      if (this.store.tryGet(endpointsType, namespace, name)) this.store.delete(endpointsType, namespace, name);
      return;
    }
    const spec = service.spec as ServiceSpec;
    let groups: Array<{ ports: SlicePort[]; endpoints: SliceEndpoint[] }>;
    if (namespace === 'default' && name === 'kubernetes') groups = this.apiServerEndpoints();
    else {
      const selector = serviceSelector(spec.selector);
      if (!selector || spec.type === 'ExternalName') return; // slices of selector-less Services belong to their users
      groups = this.podEndpoints(service, spec);
    }
    this.writeSlices(service, existing, groups);
    this.writeEndpoints(service, groups);
  }

  private apiServerEndpoints(): Array<{ ports: SlicePort[]; endpoints: SliceEndpoint[] }> {
    const endpoints: SliceEndpoint[] = [];
    for (const node of this.store.list(nodes).items) {
      if (node.metadata.labels?.[CONTROL_PLANE_LABEL] === undefined) continue;
      const ip = ((node.status ?? {}) as NodeStatus).addresses?.find((a) => a.type === 'InternalIP')?.address;
      if (ip) endpoints.push({ addresses: [ip], conditions: { ready: true, serving: true, terminating: false } });
    }
    return [{ ports: [{ name: 'https', port: 6443, protocol: 'TCP' }], endpoints }];
  }

  private podEndpoints(service: KubeObject, spec: ServiceSpec): Array<{ ports: SlicePort[]; endpoints: SliceEndpoint[] }> {
    const selector = serviceSelector(spec.selector)!;
    const ports = spec.ports ?? [];
    const groups = new Map<string, { ports: SlicePort[]; endpoints: SliceEndpoint[] }>();
    const candidates = this.store
      .list(pods, { namespace: service.metadata.namespace, labelSelector: selector })
      .items.filter((p) => (p.status as PodStatus).podIP && (p.status as PodStatus).phase !== 'Succeeded' && (p.status as PodStatus).phase !== 'Failed');
    for (const pod of candidates) {
      const resolved = ports.map((p) => resolveTargetPort(p, pod));
      if (ports.length && resolved.some((p) => p === undefined)) continue;
      const slicePorts: SlicePort[] = ports.map((p, i) => ({ name: p.name ?? '', port: resolved[i]!, protocol: p.protocol ?? 'TCP' }));
      const groupKey = JSON.stringify(slicePorts);
      let group = groups.get(groupKey);
      if (!group) {
        group = { ports: slicePorts, endpoints: [] };
        groups.set(groupKey, group);
      }
      const podSpec = pod.spec as PodSpec;
      const terminating = pod.metadata.deletionTimestamp !== undefined;
      const ready = isReady(pod);
      const node = podSpec.nodeName ? this.store.tryGet(nodes, undefined, podSpec.nodeName) : undefined;
      const zone = node?.metadata.labels?.[ZONE_LABEL];
      const endpoint: SliceEndpoint = {
        addresses: [(pod.status as PodStatus).podIP!],
        conditions: { ready: (ready && !terminating) || spec.publishNotReadyAddresses === true, serving: ready, terminating },
        ...(podSpec.hostname && podSpec.subdomain === service.metadata.name ? { hostname: podSpec.hostname } : {}),
        ...(podSpec.nodeName ? { nodeName: podSpec.nodeName } : {}),
        ...(zone ? { zone } : {}),
        targetRef: { kind: 'Pod', namespace: pod.metadata.namespace, name: pod.metadata.name, uid: pod.metadata.uid },
      };
      group.endpoints.push(endpoint);
    }
    // No endpoints: one placeholder slice without ports, as upstream keeps it (PORTS <unset>).
    if (groups.size === 0) return [{ ports: [], endpoints: [] }];
    return [...groups.values()];
  }

  private writeSlices(service: KubeObject, existing: EndpointSlice[], groups: Array<{ ports: SlicePort[]; endpoints: SliceEndpoint[] }>): void {
    const namespace = service.metadata.namespace!;
    const isApiServer = namespace === 'default' && service.metadata.name === 'kubernetes';
    const desired: Array<{ ports: SlicePort[]; endpoints: SliceEndpoint[] }> = [];
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
        addressType: 'IPv4',
        endpoints: want.endpoints,
        ports: want.ports,
      };
      const reuse = remaining.shift();
      if (reuse) {
        this.store.update(slices, namespace, reuse.metadata.name, { ...body, metadata: { ...body.metadata, name: reuse.metadata.name } }, OWNED);
      } else {
        const metadata = isApiServer ? { ...body.metadata, name: 'kubernetes' } : { ...body.metadata, generateName: `${service.metadata.name}-` };
        this.store.create(slices, { ...body, metadata }, namespace, OWNED);
      }
    }
    for (const stale of remaining) this.store.delete(slices, namespace, stale.metadata.name);
  }

  private writeEndpoints(service: KubeObject, groups: Array<{ ports: SlicePort[]; endpoints: SliceEndpoint[] }>): void {
    const namespace = service.metadata.namespace!;
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
    const body: ObjectInput = {
      metadata: { name: service.metadata.name, labels: service.metadata.labels },
      ...(subsets.length ? { subsets } : {}),
    };
    if (this.store.tryGet(endpointsType, namespace, service.metadata.name)) {
      this.store.update(endpointsType, namespace, service.metadata.name, body, OWNED);
    } else {
      this.store.create(endpointsType, body, namespace, OWNED);
    }
  }
}
