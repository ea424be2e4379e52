/**
 * What the store knows about a Service and the pods behind it, read for an
 * explanation: which Service an address and port belong to, which pods its
 * selector matches, and for each pod why it is not a ready endpoint
 * (terminating, its node NotReady, a failing readiness probe, ...).
 *
 * Everything here is read from the store at the moment of the answer, so it
 * is named by the store's resourceVersion (the answer cache's key).
 */
import type { Cluster } from '../../cluster/cluster';
import { probeOf } from '../../cluster/controllers/probe';
import { resolveTargetPort } from '../../cluster/controllers/service-endpoints';
import type { NodeStatus } from '../../cluster/resources/node.types';
import type { PodSpec, PodStatus } from '../../cluster/resources/pod.types';
import type { ServicePort, ServiceSpec } from '../../cluster/resources/service.types';
import { serviceSelector } from '../../cluster/store/label-selector';
import type { KubeObject } from '../../cluster/store/types';

const READINESS_FAILED = 'Readiness probe failed: ';

export interface ServiceRef {
  namespace: string;
  name: string;
  object: KubeObject;
  spec: ServiceSpec;
}

/** Why a selected pod is not a ready endpoint, most telling first. */
export type NotReadyCause =
  /** Being deleted; `notServing` says why it no longer serves (absent: it still does, and kube-proxy may fall back to it). */
  | { kind: 'terminating'; since: string; notServing?: NotReadyCause }
  | { kind: 'node-not-ready'; node: string; detail: string }
  /** `output`: the kubelet's words after "Readiness probe failed: " (empty for an exec probe that exited non-zero silently). */
  | { kind: 'readiness-probe'; container: string; output: string; exec: boolean }
  | { kind: 'not-scheduled' }
  | { kind: 'no-ip' }
  | { kind: 'finished'; phase: string }
  | { kind: 'containers-not-ready'; detail: string };

export interface SelectedPod {
  namespace: string;
  name: string;
  node: string | undefined;
  ip: string | undefined;
  ready: boolean;
  /** Set when the pod is not ready (terminating pods have it even when still Ready: they are not ready endpoints). */
  cause?: NotReadyCause;
  object: KubeObject;
}

/**
 * Why a Service port has no endpoint kube-proxy may use, with its reason
 * code: worked out once here, worded by the verdict (explain.ts) and by the
 * diagnosis's checks (diagnose.ts).
 */
export type NoEndpointsCause =
  /** No selector: its EndpointSlices are written by hand, and none lists a ready endpoint. */
  | { reason: 'NoEndpoints'; kind: 'no-selector' }
  /** The selector matches no pod; `scaled`: the workloads behind it that ask for 0 replicas. */
  | { reason: 'NoEndpoints' | 'ScaledToZero'; kind: 'no-pods'; scaled: Workload[] }
  /** A named targetPort that none of the matched pods declares. */
  | { reason: 'TargetPortNotServed'; kind: 'target-port'; pods: SelectedPod[] }
  /** Every matched pod is terminating and no longer serving, and a workload behind the selector asks for 0 replicas. */
  | { reason: 'ScaledToZero'; kind: 'winding-down'; scaled: Workload[]; pods: SelectedPod[] }
  /** Ready pods that serve the port, yet kube-proxy's rules say there is no endpoint: the rules lag behind the store. */
  | { reason: 'NoEndpoints'; kind: 'rules-out-of-date'; pods: SelectedPod[]; ready: SelectedPod[] }
  /** Pods, none a ready endpoint: one reason when every pod has the same kind of cause, NoReadyEndpoints otherwise. */
  | { reason: 'ReadinessProbeFailing' | 'NodeNotReady' | 'EndpointsTerminating' | 'NoReadyEndpoints'; kind: 'not-ready'; pods: SelectedPod[]; unready: SelectedPod[] };

/** A workload whose pods the Service's selector would match, and how many replicas it asks for. */
export interface Workload {
  kind: 'Deployment' | 'ReplicaSet' | 'StatefulSet';
  namespace: string;
  name: string;
  replicas: number;
}

/** One endpoint of an EndpointSlice, for one Service port. */
export interface SliceEndpointView {
  address: string;
  port: number;
  node: string | undefined;
  pod: string | undefined;
  ready: boolean;
  serving: boolean;
  terminating: boolean;
}

const WORKLOAD_TYPES: readonly [Workload['kind'], string][] = [
  ['Deployment', 'deployments.apps'],
  ['StatefulSet', 'statefulsets.apps'],
  ['ReplicaSet', 'replicasets.apps'],
];

/** `app=web,tier=front`, as kubectl prints a selector. */
export function selectorText(selector: Record<string, string> | undefined): string {
  return Object.entries(selector ?? {})
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
}

/** `80/TCP`. */
export function portText(port: ServicePort): string {
  return `${port.port}/${port.protocol ?? 'TCP'}`;
}

export class ClusterFacts {
  constructor(private readonly cluster: Cluster) {}

  private type(key: string) {
    return this.cluster.store.resourceType(key);
  }

  service(namespace: string, name: string): ServiceRef | undefined {
    const object = this.cluster.store.tryGet(this.type('services'), namespace, name);
    return object ? { namespace, name, object, spec: (object.spec ?? {}) as ServiceSpec } : undefined;
  }

  services(): ServiceRef[] {
    return this.cluster.store.list(this.type('services')).items.map((object) => ({
      namespace: object.metadata.namespace ?? 'default',
      name: object.metadata.name,
      object,
      spec: (object.spec ?? {}) as ServiceSpec,
    }));
  }

  /** The Service whose ClusterIP this is. */
  serviceByClusterIP(ip: string): ServiceRef | undefined {
    return this.services().find((s) => s.spec.clusterIP === ip || (s.spec.clusterIPs ?? []).includes(ip));
  }

  /** The Service one of whose external IPs or load-balancer ingress addresses this is. */
  serviceByExternalAddress(ip: string): { service: ServiceRef; kind: 'externalIP' | 'loadBalancer' } | undefined {
    for (const s of this.services()) {
      if ((s.spec.externalIPs ?? []).includes(ip)) return { service: s, kind: 'externalIP' };
      const ingress = ((s.object.status ?? {}) as { loadBalancer?: { ingress?: { ip?: string }[] } }).loadBalancer?.ingress ?? [];
      if (ingress.some((i) => i.ip === ip)) return { service: s, kind: 'loadBalancer' };
    }
    return undefined;
  }

  /** The Service port that owns this NodePort. */
  serviceByNodePort(nodePort: number, protocol: string): { service: ServiceRef; port: ServicePort } | undefined {
    for (const s of this.services()) {
      const port = (s.spec.ports ?? []).find((p) => p.nodePort === nodePort && (p.protocol ?? 'TCP').toLowerCase() === protocol);
      if (port) return { service: s, port };
    }
    return undefined;
  }

  /** The Service port named as kube-proxy's comments name it (`ns/name:portName`). */
  servicePort(service: ServiceRef, portName: string): ServicePort | undefined {
    const ports = service.spec.ports ?? [];
    return ports.find((p) => (p.name ?? '') === portName) ?? (ports.length === 1 ? ports[0] : undefined);
  }

  /** The pods the Service's selector matches (none without a selector), sorted by name. */
  selectedPods(service: ServiceRef): SelectedPod[] {
    const selector = serviceSelector(service.spec.selector);
    if (!selector) return [];
    const pods = this.cluster.store.list(this.type('pods'), { namespace: service.namespace }).items.filter((p) => selector.matches(p.metadata.labels));
    return pods.map((p) => this.describePod(p)).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  pod(namespace: string, name: string): SelectedPod | undefined {
    const object = this.cluster.store.tryGet(this.type('pods'), namespace, name);
    return object ? this.describePod(object) : undefined;
  }

  private describePod(pod: KubeObject): SelectedPod {
    const spec = (pod.spec ?? {}) as PodSpec;
    const status = (pod.status ?? {}) as PodStatus;
    const ready = (status.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
    const base = { namespace: pod.metadata.namespace ?? 'default', name: pod.metadata.name, node: spec.nodeName, ip: status.podIP, ready, object: pod };
    const cause = this.notReadyCause(pod, spec, status, ready);
    return cause ? { ...base, cause } : base;
  }

  private notReadyCause(pod: KubeObject, spec: PodSpec, status: PodStatus, ready: boolean): NotReadyCause | undefined {
    const since = pod.metadata.deletionTimestamp;
    if (since === undefined) return this.whyNotReady(pod, spec, status, ready);
    // Terminating: never a ready endpoint; and why it stopped serving, when it has.
    const notServing = this.whyNotReady(pod, spec, status, ready);
    return notServing ? { kind: 'terminating', since, notServing } : { kind: 'terminating', since };
  }

  private whyNotReady(pod: KubeObject, spec: PodSpec, status: PodStatus, ready: boolean): NotReadyCause | undefined {
    if (status.phase === 'Succeeded' || status.phase === 'Failed') return { kind: 'finished', phase: status.phase };
    if (ready) return undefined;
    if (!spec.nodeName) return { kind: 'not-scheduled' };
    const node = this.nodeReadiness(spec.nodeName);
    if (!node.ready) return { kind: 'node-not-ready', node: spec.nodeName, detail: node.detail };
    const failed = this.lastReadinessFailure(pod);
    if (failed !== undefined) {
      // The kubelet's own record: the containers it marked not ready, and its last Unhealthy event (the probe is not run again here).
      const statuses = (status.containerStatuses ?? []) as { name: string; ready?: boolean }[];
      const container = (spec.containers ?? []).find((c) => probeOf(c, 'readiness') && statuses.find((s) => s.name === c.name)?.ready === false);
      if (container) return { kind: 'readiness-probe', container: container.name, output: failed, exec: probeOf(container, 'readiness')?.exec !== undefined };
    }
    if (!status.podIP) return { kind: 'no-ip' };
    const condition = (status.conditions ?? []).find((c) => c.type === 'Ready');
    return { kind: 'containers-not-ready', detail: condition?.message ?? 'not Ready' };
  }

  /** Why `service`'s `port` (undefined: not known) has no endpoint kube-proxy may use. */
  whyNoEndpoints(service: ServiceRef, port: ServicePort | undefined): NoEndpointsCause {
    if (!selectorText(service.spec.selector)) return { reason: 'NoEndpoints', kind: 'no-selector' };
    const pods = this.selectedPods(service);
    if (pods.length === 0) {
      const scaled = this.workloadsFor(service).filter((w) => w.replicas === 0);
      return { reason: scaled.length > 0 ? 'ScaledToZero' : 'NoEndpoints', kind: 'no-pods', scaled };
    }
    if (port && pods.every((p) => this.targetPortOn(port, p.object) === undefined)) return { reason: 'TargetPortNotServed', kind: 'target-port', pods };
    const unready = pods.filter((p) => p.cause !== undefined);
    const ready = pods.filter((p) => p.cause === undefined && (!port || this.targetPortOn(port, p.object) !== undefined));
    if (ready.length > 0) return { reason: 'NoEndpoints', kind: 'rules-out-of-date', pods, ready };
    if (unready.length === pods.length && pods.every((p) => p.cause?.kind === 'terminating')) {
      // Scaled to 0 while the old pods wind down: the scaling is the cause, the pods its aftermath.
      const scaled = this.workloadsFor(service).filter((w) => w.replicas === 0);
      if (scaled.length > 0) return { reason: 'ScaledToZero', kind: 'winding-down', scaled, pods };
    }
    const kinds = new Set(unready.map((p) => p.cause?.kind));
    const only = unready.length === pods.length && kinds.size === 1 ? [...kinds][0] : undefined;
    const reason = only === 'readiness-probe' ? 'ReadinessProbeFailing' : only === 'node-not-ready' ? 'NodeNotReady' : only === 'terminating' ? 'EndpointsTerminating' : 'NoReadyEndpoints';
    return { reason, kind: 'not-ready', pods, unready };
  }

  /** What the kubelet's last `Unhealthy` event for the pod says after "Readiness probe failed: ", when it was a readiness failure. */
  private lastReadinessFailure(pod: KubeObject): string | undefined {
    // The kubelet's Unhealthy events about this pod's readiness (one per message, the correlator's key): the latest written.
    let latest: { at: string; output: string } | undefined;
    for (const event of this.cluster.store.list(this.type('events'), { namespace: pod.metadata.namespace ?? 'default' }).items) {
      const involved = event.involvedObject as { uid?: string } | undefined;
      if (involved?.uid !== pod.metadata.uid || event.reason !== 'Unhealthy' || typeof event.message !== 'string' || !event.message.startsWith(READINESS_FAILED)) continue;
      const at = typeof event.lastTimestamp === 'string' ? event.lastTimestamp : '';
      if (!latest || at >= latest.at) latest = { at, output: event.message.slice(READINESS_FAILED.length) };
    }
    return latest?.output;
  }

  /** Whether a node posts Ready, and if not, what its Ready condition says. */
  nodeReadiness(name: string): { exists: boolean; ready: boolean; detail: string } {
    const node = this.cluster.store.tryGet(this.type('nodes'), undefined, name);
    if (!node) return { exists: false, ready: false, detail: `node ${name} does not exist` };
    const condition = ((node.status ?? {}) as NodeStatus).conditions?.find((c) => c.type === 'Ready');
    if (condition?.status === 'True') return { exists: true, ready: true, detail: '' };
    const status = condition ? `Ready=${condition.status}` : 'no Ready condition';
    return { exists: true, ready: false, detail: condition?.message ? `${status}: ${condition.message}` : status };
  }

  /** The port number a Service port targets on a pod; undefined when the pod has no container port of that name. */
  targetPortOn(port: ServicePort, pod: KubeObject): number | undefined {
    return resolveTargetPort(port, pod);
  }

  /** Whether one of the pod's containers declares this port and protocol. */
  podServes(pod: KubeObject, port: number, protocol: string): boolean {
    return ((pod.spec ?? {}) as PodSpec).containers.some((c) => (c.ports ?? []).some((p) => p.containerPort === port && (p.protocol ?? 'TCP').toLowerCase() === protocol.toLowerCase()));
  }

  /** Workloads in the Service's namespace whose pod template the selector matches. */
  workloadsFor(service: ServiceRef): Workload[] {
    const selector = serviceSelector(service.spec.selector);
    if (!selector) return [];
    const out: Workload[] = [];
    const owned = new Set<string>();
    for (const [kind, key] of WORKLOAD_TYPES) {
      for (const w of this.cluster.store.list(this.type(key), { namespace: service.namespace }).items) {
        const spec = (w.spec ?? {}) as { replicas?: number; template?: { metadata?: { labels?: Record<string, string> } } };
        if (!selector.matches(spec.template?.metadata?.labels)) continue;
        // A ReplicaSet a Deployment owns is told by its Deployment.
        if (kind === 'ReplicaSet' && (w.metadata.ownerReferences ?? []).some((o) => owned.has(`${o.kind}/${o.name}`))) continue;
        owned.add(`${kind}/${w.metadata.name}`);
        out.push({ kind, namespace: service.namespace, name: w.metadata.name, replicas: spec.replicas ?? 1 });
      }
    }
    return out;
  }

  /**
   * The endpoints the Service's EndpointSlices list for one of its ports
   * (by the port's name), with their conditions, as kube-proxy reads them.
   */
  sliceEndpoints(service: ServiceRef, port: ServicePort): SliceEndpointView[] {
    const out: SliceEndpointView[] = [];
    const slices = this.cluster.store.list(this.type('endpointslices.discovery.k8s.io'), { namespace: service.namespace }).items;
    for (const slice of slices) {
      if (slice.metadata.labels?.['kubernetes.io/service-name'] !== service.name) continue;
      const body = slice as unknown as {
        ports?: { name?: string; port?: number; protocol?: string }[];
        endpoints?: { addresses: string[]; nodeName?: string; conditions?: { ready?: boolean | null; serving?: boolean | null; terminating?: boolean | null }; targetRef?: { name?: string } }[];
      };
      const slicePort = (body.ports ?? []).find((p) => (p.name ?? '') === (port.name ?? '') && (p.protocol ?? 'TCP') === (port.protocol ?? 'TCP'));
      if (!slicePort || slicePort.port === undefined) continue;
      for (const e of body.endpoints ?? []) {
        for (const address of e.addresses) {
          out.push({
            address,
            port: slicePort.port,
            node: e.nodeName,
            pod: e.targetRef?.name,
            ready: e.conditions?.ready !== false,
            serving: e.conditions?.serving ?? e.conditions?.ready !== false,
            terminating: e.conditions?.terminating === true,
          });
        }
      }
    }
    return out;
  }

  /** kube-proxy's configuration on a node, as it runs (defaults applied). */
  kubeProxyConfig(node: string) {
    return this.cluster.kubeProxies.proxy(node).proxier.config;
  }

  /** The pod CIDR of the cluster, of the family of `address` (IPv4 when none is given). */
  clusterCidr(address?: string): string {
    const family = address?.includes(':') ? 'IPv6' : 'IPv4';
    return (this.cluster.pools.podCidrsByFamily.get(family) ?? this.cluster.pools.podCidrs).clusterCidr;
  }
}

/** `terminating (deleted at 2026-01-01T00:00:05Z)`, `node kind-worker is NotReady (...)`, ... */
export function causeText(cause: NotReadyCause): string {
  switch (cause.kind) {
    case 'terminating':
      return `terminating since ${cause.since}${cause.notServing ? ` and no longer serving: ${causeText(cause.notServing)}` : ''}`;
    case 'node-not-ready':
      return `its node ${cause.node} is NotReady (${cause.detail})`;
    case 'readiness-probe':
      return `readiness probe of container ${cause.container} failing${cause.output ? `: ${cause.output}` : cause.exec ? ' (exit code 1, no output)' : ''}`;
    case 'not-scheduled':
      return 'not scheduled to a node';
    case 'no-ip':
      return 'no IP address yet';
    case 'finished':
      return `finished (${cause.phase})`;
    case 'containers-not-ready':
      return cause.detail;
  }
}
