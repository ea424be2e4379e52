import { KubeObject } from '../../cluster/store/types';
import { humanDuration } from './human-duration';
import { STORED_KIND_PRINTERS } from './stored-kinds.table';
import { age, AGE, anyOf, col, ColumnDefinition, NAME, none, Printer, selectorText } from './table-columns';

export type { ColumnDefinition } from './table-columns';

/**
 * The server-side `Table` form kubectl asks for
 * (`Accept: application/json;as=Table;v=v1;g=meta.k8s.io`), with the columns
 * the API server's printers give each kind; priority-1 columns are the extra
 * ones `-o wide` shows.
 */
export interface TableRow {
  cells: unknown[];
  object: unknown;
}

export interface Table {
  kind: 'Table';
  apiVersion: 'meta.k8s.io/v1';
  metadata: { resourceVersion?: string };
  columnDefinitions: ColumnDefinition[];
  rows: TableRow[];
}

interface Svc {
  spec: {
    type?: string;
    clusterIP?: string;
    externalIPs?: string[];
    externalName?: string;
    ports?: Array<{ port: number; nodePort?: number; protocol?: string }>;
    selector?: Record<string, string>;
  };
  status?: { loadBalancer?: { ingress?: Array<{ ip?: string; hostname?: string }> } };
}

function serviceExternalIP(o: KubeObject): string {
  const s = o as unknown as Svc;
  const type = s.spec.type ?? 'ClusterIP';
  const external = s.spec.externalIPs ?? [];
  if (type === 'ExternalName') return s.spec.externalName ?? '<none>';
  if (type === 'LoadBalancer') {
    const ingress = (s.status?.loadBalancer?.ingress ?? []).map((i) => i.ip ?? i.hostname ?? '').filter(Boolean);
    const all = [...ingress, ...external];
    return all.length ? all.join(',') : '<pending>';
  }
  return external.length ? external.join(',') : '<none>';
}

function servicePorts(o: KubeObject): string {
  const ports = (o as unknown as Svc).spec.ports ?? [];
  if (!ports.length) return '<none>';
  return ports.map((p) => `${p.port}${p.nodePort ? `:${p.nodePort}` : ''}/${p.protocol ?? 'TCP'}`).join(',');
}

interface PodContainerStatus {
  ready?: boolean;
  restartCount?: number;
  state?: { running?: unknown; waiting?: { reason?: string }; terminated?: { reason?: string; exitCode?: number; signal?: number } };
  lastState?: { terminated?: { finishedAt?: string } };
}

interface PodLike {
  spec: { nodeName?: string; containers: unknown[]; readinessGates?: unknown[] };
  status: {
    phase?: string;
    reason?: string;
    podIP?: string;
    containerStatuses?: PodContainerStatus[];
    conditions?: Array<{ type: string; status: string }>;
  };
}

/**
 * READY, STATUS and RESTARTS as kubectl's pod printer works them out: the last container with a
 * waiting or terminated reason names the status (CrashLoopBackOff, Error, ...), only running and
 * ready containers count as ready, and RESTARTS adds when the last container ended (`3 (12s ago)`).
 */
function podCells(o: KubeObject, now: number): { ready: string; status: string; restarts: string } {
  const p = o as unknown as PodLike;
  const statuses = p.status.containerStatuses ?? [];
  let reason = p.status.reason ?? p.status.phase ?? 'Unknown';
  let ready = 0;
  let restarts = 0;
  let lastRestart = 0;
  let hasRunning = false;
  for (let i = statuses.length - 1; i >= 0; i--) {
    const c = statuses[i];
    restarts += c.restartCount ?? 0;
    const finished = c.lastState?.terminated?.finishedAt ? Date.parse(c.lastState.terminated.finishedAt) : 0;
    if (finished > lastRestart) lastRestart = finished;
    const terminated = c.state?.terminated;
    if (c.state?.waiting?.reason) reason = c.state.waiting.reason;
    else if (terminated?.reason) reason = terminated.reason;
    else if (terminated) reason = terminated.signal ? `Signal:${terminated.signal}` : `ExitCode:${terminated.exitCode ?? 0}`;
    else if (c.ready && c.state?.running) {
      hasRunning = true;
      ready++;
    }
  }
  if (reason === 'Completed' && hasRunning) reason = p.status.conditions?.some((k) => k.type === 'Ready' && k.status === 'True') ? 'Running' : 'NotReady';
  const terminal = p.status.phase === 'Succeeded' || p.status.phase === 'Failed';
  if (o.metadata.deletionTimestamp) {
    if (p.status.reason === 'NodeLost') reason = 'Unknown';
    else if (!terminal) reason = 'Terminating';
  }
  return {
    ready: `${ready}/${p.spec.containers.length}`,
    status: reason,
    restarts: restarts !== 0 && lastRestart ? `${restarts} (${humanDuration(now - lastRestart)} ago)` : String(restarts),
  };
}

interface NodeLike {
  spec?: { unschedulable?: boolean };
  status?: {
    conditions?: Array<{ type: string; status: string }>;
    addresses?: Array<{ type: string; address: string }>;
    nodeInfo?: Record<string, string>;
  };
}

function nodeStatus(o: KubeObject): string {
  const n = o as unknown as NodeLike;
  const ready = n.status?.conditions?.find((c) => c.type === 'Ready');
  let text = !ready ? 'Unknown' : ready.status === 'True' ? 'Ready' : 'NotReady';
  if (n.spec?.unschedulable) text += ',SchedulingDisabled';
  return text;
}

function nodeRoles(o: KubeObject): string {
  const roles = Object.keys(o.metadata.labels ?? {})
    .filter((k) => k.startsWith('node-role.kubernetes.io/'))
    .map((k) => k.slice('node-role.kubernetes.io/'.length))
    .filter(Boolean)
    .sort();
  return roles.length ? roles.join(',') : '<none>';
}

interface SliceLike {
  addressType: string;
  endpoints?: Array<{ addresses: string[] }>;
  ports?: Array<{ port?: number }> | null;
}

function sliceEndpoints(o: KubeObject): string {
  const addresses = ((o as unknown as SliceLike).endpoints ?? []).flatMap((e) => e.addresses);
  if (!addresses.length) return '<unset>';
  const shown = addresses.slice(0, 3).join(',');
  return addresses.length > 3 ? `${shown} + ${addresses.length - 3} more...` : shown;
}

function endpointsList(o: KubeObject): string {
  const subsets = (o.subsets ?? []) as Array<{ addresses?: Array<{ ip: string }>; ports?: Array<{ port: number }> }>;
  const pairs: string[] = [];
  for (const s of subsets) {
    for (const a of s.addresses ?? []) {
      if (!s.ports?.length) pairs.push(a.ip);
      for (const p of s.ports ?? []) pairs.push(`${a.ip}:${p.port}`);
    }
  }
  if (!pairs.length) return '<none>';
  const shown = pairs.slice(0, 3).join(',');
  return pairs.length > 3 ? `${shown} + ${pairs.length - 3} more...` : shown;
}

interface Workload {
  spec?: { replicas?: number; selector?: { matchLabels?: Record<string, string> }; template?: { spec?: { containers?: Array<{ name: string; image: string }>; nodeSelector?: Record<string, string> } } };
  status?: Record<string, number | undefined>;
}

const containersOf = (o: KubeObject) => (o as unknown as Workload).spec?.template?.spec?.containers ?? [];
const workloadSelector = (o: KubeObject) => selectorText((o as unknown as Workload).spec?.selector?.matchLabels);
const num = (o: KubeObject, field: string) => (o as unknown as Workload).status?.[field] ?? 0;

const PRINTERS: Record<string, Printer> = {
  Pod: {
    columns: [
      NAME,
      col('Ready', 'The aggregate readiness state of this pod for accepting traffic.'),
      col('Status', 'The aggregate status of the containers in this pod.'),
      col('Restarts', 'The number of times the containers in this pod have been restarted and when the last container in this pod has restarted.'),
      AGE,
      col('IP', 'IP address allocated to the pod. Routable at least within the cluster. Empty if not yet allocated.', 1),
      col('Node', 'NodeName is a request to schedule this pod onto a specific node.', 1),
      col('Nominated Node', 'nominatedNodeName is set when this pod preempts other pods on the node.', 1),
      col('Readiness Gates', 'If specified, all readiness gates will be evaluated for pod readiness.', 1),
    ],
    cells: (o, now) => {
      const p = o as unknown as PodLike;
      const { ready, status, restarts } = podCells(o, now);
      return [
        o.metadata.name,
        ready,
        status,
        restarts,
        age(o, now),
        none(p.status.podIP),
        none(p.spec.nodeName),
        '<none>',
        '<none>',
      ];
    },
  },
  Service: {
    columns: [
      NAME,
      col('Type', 'type determines how the Service is exposed.'),
      col('Cluster-IP', 'clusterIP is the IP address of the service and is usually assigned randomly.'),
      col('External-IP', 'externalIPs is a list of IP addresses for which nodes in the cluster will also accept traffic for this service.'),
      col('Port(s)', 'The list of ports that are exposed by this service.'),
      AGE,
      col('Selector', 'Route service traffic to pods with label keys and values matching this selector.', 1),
    ],
    cells: (o, now) => {
      const s = o as unknown as Svc;
      return [
        o.metadata.name,
        s.spec.type ?? 'ClusterIP',
        s.spec.type === 'ExternalName' ? '<none>' : none(s.spec.clusterIP),
        serviceExternalIP(o),
        servicePorts(o),
        age(o, now),
        selectorText(s.spec.selector),
      ];
    },
  },
  Node: {
    columns: [
      NAME,
      col('Status', 'The status of the node'),
      col('Roles', 'The roles of the node'),
      AGE,
      col('Version', 'Kubelet Version reported by the node.'),
      col('Internal-IP', 'List of addresses reachable to the node.', 1),
      col('External-IP', 'List of addresses reachable to the node.', 1),
      col('OS-Image', 'OS Image reported by the node from /etc/os-release (e.g. Debian GNU/Linux 7 (wheezy)).', 1),
      col('Kernel-Version', "Kernel Version reported by the node from 'uname -r' (e.g. 3.16.0-0.bpo.4-amd64).", 1),
      col('Container-Runtime', 'Container Runtime Version reported by the node through runtime remote API (e.g. containerd://1.4.2).', 1),
    ],
    cells: (o, now) => {
      const n = o as unknown as NodeLike;
      const address = (type: string) => none(n.status?.addresses?.find((a) => a.type === type)?.address);
      const info = n.status?.nodeInfo ?? {};
      return [
        o.metadata.name,
        nodeStatus(o),
        nodeRoles(o),
        age(o, now),
        info.kubeletVersion ?? '',
        address('InternalIP'),
        address('ExternalIP'),
        none(info.osImage),
        none(info.kernelVersion),
        none(info.containerRuntimeVersion),
      ];
    },
  },
  Namespace: {
    columns: [NAME, col('Status', 'The status of the namespace'), AGE],
    cells: (o, now) => [o.metadata.name, anyOf<{ phase?: string }>(o.status).phase ?? 'Active', age(o, now)],
  },
  EndpointSlice: {
    columns: [
      NAME,
      col('AddressType', 'addressType specifies the type of address carried by this EndpointSlice.'),
      col('Ports', 'ports specifies the list of network ports exposed by each endpoint in this slice.'),
      col('Endpoints', 'endpoints is a list of unique endpoints in this slice.'),
      AGE,
    ],
    cells: (o, now) => {
      const s = o as unknown as SliceLike;
      const ports = (s.ports ?? []).map((p) => p.port).filter((p) => p !== undefined);
      return [o.metadata.name, s.addressType, ports.length ? ports.join(',') : '<unset>', sliceEndpoints(o), age(o, now)];
    },
  },
  Endpoints: {
    columns: [NAME, col('Endpoints', 'Endpoints of the service'), AGE],
    cells: (o, now) => [o.metadata.name, endpointsList(o), age(o, now)],
  },
  Deployment: {
    columns: [
      NAME,
      col('Ready', 'Number of the pod with ready state'),
      col('Up-to-date', 'Total number of non-terminated pods targeted by this deployment that have the desired template spec.', 0, 'integer'),
      col('Available', 'Total number of available pods (ready for at least minReadySeconds) targeted by this deployment.', 0, 'integer'),
      AGE,
      col('Containers', 'Names of each container in the template.', 1),
      col('Images', 'Images referenced by each container in the template.', 1),
      col('Selector', 'Label selector for pods. Existing ReplicaSets whose pods are selected by this will be the ones affected by this deployment.', 1),
    ],
    cells: (o, now) => [
      o.metadata.name,
      `${num(o, 'readyReplicas')}/${(o as unknown as Workload).spec?.replicas ?? 1}`,
      num(o, 'updatedReplicas'),
      num(o, 'availableReplicas'),
      age(o, now),
      containersOf(o).map((c) => c.name).join(','),
      containersOf(o).map((c) => c.image).join(','),
      workloadSelector(o),
    ],
  },
  ReplicaSet: {
    columns: [
      NAME,
      col('Desired', 'Number of desired pods.', 0, 'integer'),
      col('Current', 'Number of actual pods.', 0, 'integer'),
      col('Ready', 'The number of ready pods.', 0, 'integer'),
      AGE,
      col('Containers', 'Names of each container in the template.', 1),
      col('Images', 'Images referenced by each container in the template.', 1),
      col('Selector', 'Label selector for pods.', 1),
    ],
    cells: (o, now) => [
      o.metadata.name,
      (o as unknown as Workload).spec?.replicas ?? 1,
      num(o, 'replicas'),
      num(o, 'readyReplicas'),
      age(o, now),
      containersOf(o).map((c) => c.name).join(','),
      containersOf(o).map((c) => c.image).join(','),
      workloadSelector(o),
    ],
  },
  DaemonSet: {
    columns: [
      NAME,
      col('Desired', 'The desired number of nodes that should be running the daemon pod.', 0, 'integer'),
      col('Current', 'The number of nodes that are running at least one daemon pod.', 0, 'integer'),
      col('Ready', 'The number of nodes that should be running the daemon pod and have one or more of the daemon pod running and ready.', 0, 'integer'),
      col('Up-to-date', 'The total number of nodes that are running updated daemon pod', 0, 'integer'),
      col('Available', 'The number of nodes that should be running the daemon pod and have one or more of the daemon pod running and available.', 0, 'integer'),
      col('Node Selector', 'NodeSelector is a selector which must be true for the pod to fit on a node.'),
      AGE,
      col('Containers', 'Names of each container in the template.', 1),
      col('Images', 'Images referenced by each container in the template.', 1),
      col('Selector', 'A label query over pods that are managed by the daemon set.', 1),
    ],
    cells: (o, now) => [
      o.metadata.name,
      num(o, 'desiredNumberScheduled'),
      num(o, 'currentNumberScheduled'),
      num(o, 'numberReady'),
      num(o, 'updatedNumberScheduled'),
      num(o, 'numberAvailable'),
      selectorText((o as unknown as Workload).spec?.template?.spec?.nodeSelector),
      age(o, now),
      containersOf(o).map((c) => c.name).join(','),
      containersOf(o).map((c) => c.image).join(','),
      workloadSelector(o),
    ],
  },
  Event: {
    columns: [
      col('Last Seen', 'Time since the last occurrence of the event.'),
      col('Type', 'Type of this event (Normal, Warning).'),
      col('Reason', 'This should be a short, machine understandable string that gives the reason for this event.'),
      col('Object', 'The object that this event is about.'),
      col('Message', 'A human-readable description of the status of this operation.'),
    ],
    cells: (o, now) => {
      const e = o as unknown as { lastTimestamp?: string; type?: string; reason?: string; message?: string; involvedObject?: { kind?: string; name?: string } };
      const last = e.lastTimestamp ? humanDuration(now - Date.parse(e.lastTimestamp)) : age(o, now);
      return [last, e.type ?? '', e.reason ?? '', `${(e.involvedObject?.kind ?? '').toLowerCase()}/${e.involvedObject?.name ?? ''}`, e.message ?? ''];
    },
  },
  Lease: {
    columns: [NAME, col('Holder', 'The holder of the lease.'), AGE],
    cells: (o, now) => [o.metadata.name, anyOf<{ holderIdentity?: string }>(o.spec).holderIdentity ?? '', age(o, now)],
  },
};

const DEFAULT_PRINTER: Printer = { columns: [NAME, AGE], cells: (o, now) => [o.metadata.name, age(o, now)] };

/** What each row's `object` carries: `PartialObjectMetadata` unless `includeObject=Object`. */
export type IncludeObject = 'None' | 'Object' | 'Metadata';

function rowObject(o: KubeObject, include: IncludeObject): unknown {
  if (include === 'Object') return o;
  if (include === 'None') return undefined;
  return { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: o.metadata };
}

export function toTable(kind: string, objects: KubeObject[], now: number, resourceVersion: string | undefined, include: IncludeObject = 'Metadata'): Table {
  const printer = PRINTERS[kind] ?? STORED_KIND_PRINTERS[kind] ?? DEFAULT_PRINTER;
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: resourceVersion === undefined ? {} : { resourceVersion },
    columnDefinitions: printer.columns,
    rows: objects.map((o) => ({ cells: printer.cells(o, now), object: rowObject(o, include) })),
  };
}
