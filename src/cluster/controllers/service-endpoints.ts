import { ZONE_LABEL } from '../resources/node.types';
import { PodSpec, PodStatus } from '../resources/pod.types';
import { ServicePort, ServiceSpec } from '../resources/service.types';
import { serviceSelector } from '../store/label-selector';
import { ObjectStore } from '../store/object-store';
import { resourceTypeByKey } from '../store/resource-types';
import { KubeObject } from '../store/types';
import type { SliceEndpoint, SlicePort } from './endpoint-slice.controller';

const nodes = resourceTypeByKey('nodes')!;

/** Pods grouped per step of `ServiceEndpoints.groupSteps`. */
const GROUP_STEP = 2_000;

export interface EndpointGroup {
  ports: SlicePort[];
  endpoints: SliceEndpoint[];
}

/** One pod's endpoint for a Service, with the port mapping it belongs to. */
interface PodEndpoint {
  name: string;
  groupKey: string;
  ports: SlicePort[];
  endpoint: SliceEndpoint;
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

function isReady(pod: KubeObject): boolean {
  return ((pod.status as PodStatus).conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
}

/** A pod's endpoint for `service`, or undefined when it has none (no IP, finished, a named target port it lacks). */
function podEndpoint(store: ObjectStore, service: KubeObject, pod: KubeObject): PodEndpoint | undefined {
  const status = pod.status as PodStatus;
  if (!status.podIP || status.phase === 'Succeeded' || status.phase === 'Failed') return undefined;
  const spec = service.spec as ServiceSpec;
  const ports = spec.ports ?? [];
  const resolved = ports.map((p) => resolveTargetPort(p, pod));
  if (ports.length && resolved.some((p) => p === undefined)) return undefined;
  const slicePorts: SlicePort[] = ports.map((p, i) => ({ name: p.name ?? '', port: resolved[i]!, protocol: p.protocol ?? 'TCP' }));
  const podSpec = pod.spec as PodSpec;
  const terminating = pod.metadata.deletionTimestamp !== undefined;
  const ready = isReady(pod);
  const node = podSpec.nodeName ? store.tryGet(nodes, undefined, podSpec.nodeName) : undefined;
  const zone = node?.metadata.labels?.[ZONE_LABEL];
  const endpoint: SliceEndpoint = {
    // Every address of the pod, one per family; the controller keeps the one of each slice's family.
    addresses: status.podIPs?.length ? status.podIPs.map((p) => p.ip) : [status.podIP],
    conditions: { ready: (ready && !terminating) || spec.publishNotReadyAddresses === true, serving: ready, terminating },
    ...(podSpec.hostname && podSpec.subdomain === service.metadata.name ? { hostname: podSpec.hostname } : {}),
    ...(podSpec.nodeName ? { nodeName: podSpec.nodeName } : {}),
    ...(zone ? { zone } : {}),
    targetRef: { kind: 'Pod', namespace: pod.metadata.namespace, name: pod.metadata.name, uid: pod.metadata.uid },
  };
  return { name: pod.metadata.name, groupKey: JSON.stringify(slicePorts), ports: slicePorts, endpoint };
}

/**
 * The endpoints of one Service's selected pods, kept per pod as pod events
 * come, so a sync of a Service with 20,000 pods recomputes the pods that
 * changed, not all of them. Valid for one version of the Service object
 * (`fits`) and while no node's zone changes (the controller drops every cache
 * then).
 */
export class ServiceEndpoints {
  private readonly byPod = new Map<string, PodEndpoint>();
  /** Pod names of the entries, sorted: the order the endpoints are listed in (the pods are in one namespace); undefined when entries came or went since. */
  private order: string[] | undefined = [];

  constructor(readonly service: KubeObject) {}

  fits(service: KubeObject): boolean {
    return service === this.service;
  }

  /** Looks at the pod under `key` again (undefined: gone). */
  refresh(store: ObjectStore, key: string, pod: KubeObject | undefined): void {
    const selector = serviceSelector((this.service.spec as ServiceSpec).selector);
    const selected = pod && selector?.matches(pod.metadata.labels) ? podEndpoint(store, this.service, pod) : undefined;
    const had = this.byPod.has(key);
    if (selected) this.byPod.set(key, selected);
    else this.byPod.delete(key);
    // Sorted again when next asked for: once per sync, not once per pod (20,000 inserts into a sorted array cost far more).
    if (had !== (selected !== undefined)) this.order = undefined;
  }

  private sortedNames(): string[] {
    if (!this.order) {
      const names: string[] = [];
      for (const key of this.byPod.keys()) names.push(key.slice(key.indexOf('/') + 1));
      this.order = names.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    }
    return this.order;
  }

  /**
   * The endpoints grouped by port mapping, each group in pod name order,
   * groups in the order their first pod comes; yields every `GROUP_STEP`
   * pods (a Service of 20,000 pods is grouped on each of its syncs).
   */
  *groupSteps(): Generator<void, EndpointGroup[], void> {
    const groups = new Map<string, EndpointGroup>();
    const namespace = this.service.metadata.namespace;
    const names = this.sortedNames();
    for (let i = 0; i < names.length; i++) {
      if (i > 0 && i % GROUP_STEP === 0) yield;
      // Only this Service's sync refreshes its entries, and it waits for this: every name is still there.
      const e = this.byPod.get(`${namespace}/${names[i]}`)!;
      let group = groups.get(e.groupKey);
      if (!group) {
        group = { ports: e.ports, endpoints: [] };
        groups.set(e.groupKey, group);
      }
      group.endpoints.push(e.endpoint);
    }
    // No endpoints: one placeholder slice without ports, as upstream keeps it (PORTS <unset>).
    if (groups.size === 0) return [{ ports: [], endpoints: [] }];
    return [...groups.values()];
  }
}
