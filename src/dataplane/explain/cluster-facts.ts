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
import { runProbe } from '../../cluster/controllers/probe';
import { probeOf } from '../../cluster/controllers/probe';
import { resolveTargetPort } from '../../cluster/controllers/service-endpoints';
import type { NodeStatus } from '../../cluster/resources/node.types';
import type { PodSpec, PodStatus } from '../../cluster/resources/pod.types';
import type { ServicePort, ServiceSpec } from '../../cluster/resources/service.types';
import { serviceSelector } from '../../cluster/store/label-selector';
import type { KubeObject } from '../../cluster/store/types';

export interface ServiceRef {
  namespace: string;
  name: string;
  object: KubeObject;
  spec: ServiceSpec;
}

/** Why a selected pod is not a ready endpoint, most telling first. */
export type NotReadyCause =
  | { kind: 'terminating'; since: string }
  | { kind: 'node-not-ready'; node: string; detail: string }
  | { kind: 'readiness-probe'; container: string; output: string }
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
    if (pod.metadata.deletionTimestamp) return { kind: 'terminating', since: pod.metadata.deletionTimestamp };
    if (status.phase === 'Succeeded' || status.phase === 'Failed') return { kind: 'finished', phase: status.phase };
    if (ready) return undefined;
    if (!spec.nodeName) return { kind: 'not-scheduled' };
    const node = this.nodeReadiness(spec.nodeName);
    if (!node.ready) return { kind: 'node-not-ready', node: spec.nodeName, detail: node.detail };
    for (const container of spec.containers ?? []) {
      const probe = probeOf(container, 'readiness');
      if (!probe) continue;
      const result = runProbe(pod, container, probe);
      if (!result.ok) return { kind: 'readiness-probe', container: container.name, output: result.output };
    }
    if (!status.podIP) return { kind: 'no-ip' };
    const condition = (status.conditions ?? []).find((c) => c.type === 'Ready');
    return { kind: 'containers-not-ready', detail: condition?.message ?? 'not Ready' };
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

  /** The pod CIDR of the cluster. */
  clusterCidr(): string {
    return this.cluster.pools.podCidrs.clusterCidr;
  }
}

/** `terminating (deleted at 2026-01-01T00:00:05Z)`, `node kind-worker is NotReady (...)`, ... */
export function causeText(cause: NotReadyCause): string {
  switch (cause.kind) {
    case 'terminating':
      return `terminating since ${cause.since}`;
    case 'node-not-ready':
      return `its node ${cause.node} is NotReady (${cause.detail})`;
    case 'readiness-probe':
      return `readiness probe of container ${cause.container} failing: ${cause.output}`;
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
