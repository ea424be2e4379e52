import { KubeObject } from '../../cluster/store/types';
import { humanDuration } from './human-duration';
import { age, AGE, anyOf, col, NAME, none, Printer, selectorText } from './table-columns';

/**
 * kubectl's columns for the kinds kube-netsim stores without a controller,
 * as the API server's printers (pkg/printers/internalversion) fill them.
 */

type Dict = Record<string, unknown>;
const obj = (v: unknown): Dict => anyOf<Dict>(v);
const str = (v: unknown): string => (typeof v === 'string' ? v : v === undefined || v === null ? '' : String(v));
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const count = (v: unknown): number => Object.keys(obj(v)).length;
const since = (time: unknown, now: number): string => (typeof time === 'string' && time ? humanDuration(now - Date.parse(time)) : '<none>');
const createdAt = col('Created At', 'CreationTimestamp is a timestamp representing the server time when this object was created.', 0, 'date');
const createdAtCell = (o: KubeObject) => o.metadata.creationTimestamp;

interface SelectorLike {
  matchLabels?: Record<string, string>;
  matchExpressions?: Array<{ key: string; operator: string; values?: string[] }>;
}

/** metav1.FormatLabelSelector: `app=web,tier in (a,b),!legacy`, `<none>` when empty. */
export function formatLabelSelector(selector: SelectorLike | undefined): string {
  const parts: string[] = [];
  for (const [k, v] of Object.entries(selector?.matchLabels ?? {}).sort(([a], [b]) => (a < b ? -1 : 1))) parts.push(`${k}=${v}`);
  for (const e of selector?.matchExpressions ?? []) {
    const values = [...(e.values ?? [])].sort().join(',');
    if (e.operator === 'In') parts.push(`${e.key} in (${values})`);
    else if (e.operator === 'NotIn') parts.push(`${e.key} notin (${values})`);
    else if (e.operator === 'Exists') parts.push(e.key);
    else if (e.operator === 'DoesNotExist') parts.push(`!${e.key}`);
  }
  return parts.length ? parts.join(',') : '<none>';
}

const ACCESS_MODES: Array<[string, string]> = [
  ['ReadWriteOnce', 'RWO'],
  ['ReadOnlyMany', 'ROX'],
  ['ReadWriteMany', 'RWX'],
  ['ReadWriteOncePod', 'RWOP'],
];

function accessModes(modes: unknown): string {
  const set = new Set(list(modes).map(str));
  return ACCESS_MODES.filter(([m]) => set.has(m))
    .map(([, short]) => short)
    .join(',');
}

/** At most three items, then `+ N more...`, as the printers shorten lists. */
function firstThree(items: string[], separator = ','): string {
  const shown = items.slice(0, 3).join(separator);
  return items.length > 3 ? `${shown} + ${items.length - 3} more...` : shown;
}

function loadBalancerAddresses(status: unknown): string {
  const ingress = list(obj(obj(status).loadBalancer).ingress).map((i) => str(obj(i).ip) || str(obj(i).hostname)).filter(Boolean);
  return ingress.join(',');
}

const template = (o: KubeObject): Dict => obj(obj(obj(o.spec).template).spec);
const containers = (o: KubeObject) => list(template(o).containers).map(obj);
const CONTAINERS = col('Containers', 'Names of each container in the template.', 1);
const IMAGES = col('Images', 'Images referenced by each container in the template.', 1);
const SELECTOR = col('Selector', 'Label selector for pods.', 1);
const containerNames = (o: KubeObject) => containers(o).map((c) => str(c.name)).join(',');
const containerImages = (o: KubeObject) => containers(o).map((c) => str(c.image)).join(',');
const replicasOr1 = (o: KubeObject) => (typeof obj(o.spec).replicas === 'number' ? (obj(o.spec).replicas as number) : 1);
const statusNumber = (o: KubeObject, field: string) => (typeof obj(o.status)[field] === 'number' ? (obj(o.status)[field] as number) : 0);

function jobStatus(o: KubeObject): string {
  const conditions = list(obj(o.status).conditions).map(obj);
  const has = (type: string) => conditions.some((c) => c.type === type && c.status === 'True');
  if (has('Complete')) return 'Complete';
  if (has('Failed')) return 'Failed';
  if (o.metadata.deletionTimestamp) return 'Terminating';
  if (has('Suspended')) return 'Suspended';
  if (has('FailureTarget')) return 'FailureTarget';
  if (has('SuccessCriteriaMet')) return 'SuccessCriteriaMet';
  return 'Running';
}

function jobCompletions(o: KubeObject): string {
  const spec = obj(o.spec);
  const succeeded = statusNumber(o, 'succeeded');
  if (typeof spec.completions === 'number') return `${succeeded}/${spec.completions}`;
  const parallelism = typeof spec.parallelism === 'number' ? spec.parallelism : 0;
  return parallelism > 1 ? `${succeeded}/1 of ${parallelism}` : `${succeeded}/1`;
}

function jobDuration(o: KubeObject, now: number): string {
  const status = obj(o.status);
  if (typeof status.startTime !== 'string') return '';
  const end = typeof status.completionTime === 'string' ? Date.parse(status.completionTime) : now;
  return humanDuration(end - Date.parse(status.startTime));
}

function subjects(o: KubeObject, kind: string): string {
  return list(o.subjects)
    .map(obj)
    .filter((s) => s.kind === kind)
    .map((s) => (kind === 'ServiceAccount' ? `${str(s.namespace)}/${str(s.name)}` : str(s.name)))
    .join(', ');
}

function hpaTargets(o: KubeObject): string {
  const metrics = list(obj(o.spec).metrics).map(obj);
  if (!metrics.length) return '<none>';
  const current = list(obj(o.status).currentMetrics).map(obj);
  const parts = metrics.map((m, i) => {
    const now = current[i] ?? {};
    if (m.type === 'Resource' || m.type === 'ContainerResource') {
      const source = obj(m.type === 'Resource' ? m.resource : m.containerResource);
      const target = obj(source.target);
      const currentSource = obj(now.type === m.type ? (m.type === 'Resource' ? now.resource : now.containerResource) : undefined);
      const currentValue = obj(currentSource.current);
      const name = str(source.name);
      if (target.type === 'Utilization' || target.averageUtilization !== undefined) {
        const cur = currentValue.averageUtilization !== undefined ? `${str(currentValue.averageUtilization)}%` : '<unknown>';
        return `${name}: ${cur}/${str(target.averageUtilization)}%`;
      }
      const cur = currentValue.averageValue !== undefined ? str(currentValue.averageValue) : '<unknown>';
      return `${name}: ${cur}/${str(target.averageValue)}`;
    }
    const source = obj(m.type === 'Pods' ? m.pods : m.type === 'Object' ? m.object : m.external);
    const target = obj(source.target);
    return `<unknown>/${str(target.averageValue ?? target.value)}${target.type === 'AverageValue' && m.type !== 'Pods' ? ' (avg)' : ''}`;
  });
  // The printer shows two metrics, then how many more there are.
  return parts.length > 2 ? `${parts.slice(0, 2).join(', ')} + ${parts.length - 2} more...` : parts.join(', ');
}

function quotaUsage(o: KubeObject, limits: boolean): string {
  const status = obj(o.status);
  const hard = obj(status.hard);
  const used = obj(status.used);
  return Object.keys(hard)
    .filter((k) => k.startsWith('limits.') === limits)
    .sort()
    .map((k) => `${k}: ${str(used[k] ?? '0')}/${str(hard[k])}`)
    .join(', ');
}

const BINDING_COLUMNS = [
  NAME,
  col('Role', 'Role is the kind/name of the role the binding grants.'),
  AGE,
  col('Users', 'Users in the binding', 1),
  col('Groups', 'Groups in the binding', 1),
  col('ServiceAccounts', 'ServiceAccounts in the binding', 1),
];

const binding: Printer = {
  columns: BINDING_COLUMNS,
  cells: (o, now) => {
    const ref = obj(o.roleRef);
    return [o.metadata.name, `${str(ref.kind)}/${str(ref.name)}`, age(o, now), subjects(o, 'User'), subjects(o, 'Group'), subjects(o, 'ServiceAccount')];
  },
};

const role: Printer = { columns: [NAME, createdAt], cells: (o) => [o.metadata.name, createdAtCell(o)] };

export const STORED_KIND_PRINTERS: Record<string, Printer> = {
  ConfigMap: {
    columns: [NAME, col('Data', 'Data contains the configuration data.'), AGE],
    cells: (o, now) => [o.metadata.name, count(o.data) + count(o.binaryData), age(o, now)],
  },
  Secret: {
    columns: [NAME, col('Type', 'The type of the secret'), col('Data', 'The number of entries in the secret'), AGE],
    cells: (o, now) => [o.metadata.name, str(o.type), count(o.data), age(o, now)],
  },
  ServiceAccount: {
    columns: [NAME, col('Secrets', 'Secrets is a list of the secrets in the same namespace that pods running using this ServiceAccount are allowed to use.'), AGE],
    cells: (o, now) => [o.metadata.name, list(o.secrets).length, age(o, now)],
  },
  NetworkPolicy: {
    columns: [NAME, col('Pod-Selector', 'Selects the pods to which this NetworkPolicy object applies.'), AGE],
    cells: (o, now) => [o.metadata.name, formatLabelSelector(obj(o.spec).podSelector as SelectorLike), age(o, now)],
  },
  Ingress: {
    columns: [
      NAME,
      col('Class', 'The name of the IngressClass resource.'),
      col('Hosts', 'Hosts that incoming requests are matched against before the ingress rule'),
      col('Address', 'Address is a list containing ingress points for the load-balancer'),
      col('Ports', 'Ports of TLS configurations that open'),
      AGE,
    ],
    cells: (o, now) => {
      const spec = obj(o.spec);
      const hosts = list(spec.rules)
        .map((r) => str(obj(r).host))
        .filter(Boolean);
      return [
        o.metadata.name,
        none(str(spec.ingressClassName)),
        hosts.length ? firstThree(hosts) : '*',
        loadBalancerAddresses(o.status),
        list(spec.tls).length ? '80, 443' : '80',
        age(o, now),
      ];
    },
  },
  IngressClass: {
    columns: [NAME, col('Controller', 'Controller that is responsible for handling this class'), col('Parameters', 'A reference to a resource with additional parameters'), AGE],
    cells: (o, now) => {
      const spec = obj(o.spec);
      const p = spec.parameters === undefined ? undefined : obj(spec.parameters);
      const parameters = p ? `${str(p.kind)}${p.apiGroup ? `.${str(p.apiGroup)}` : ''}/${str(p.name)}` : '<none>';
      return [o.metadata.name, str(spec.controller), parameters, age(o, now)];
    },
  },
  PersistentVolume: {
    columns: [
      NAME,
      col('Capacity', 'capacity is the description of the persistent volume\'s resources and capacity.'),
      col('Access Modes', 'accessModes contains all ways the volume can be mounted.'),
      col('Reclaim Policy', 'persistentVolumeReclaimPolicy defines what happens to a persistent volume when released from its claim.'),
      col('Status', 'phase indicates if a volume is available, bound to a claim, or released by a claim.'),
      col('Claim', 'claimRef is part of a bi-directional binding between PersistentVolume and PersistentVolumeClaim.'),
      col('StorageClass', 'storageClassName is the name of StorageClass to which this persistent volume belongs.'),
      col('VolumeAttributesClass', 'Name of VolumeAttributesClass to which this persistent volume belongs.'),
      col('Reason', 'reason is a brief CamelCase string that describes any failure and is meant for machine parsing and tidy display in the CLI.'),
      AGE,
      col('VolumeMode', 'volumeMode defines if a volume is intended to be used with a formatted filesystem or to remain in raw block state.', 1),
    ],
    cells: (o, now) => {
      const spec = obj(o.spec);
      const claim = spec.claimRef === undefined ? undefined : obj(spec.claimRef);
      return [
        o.metadata.name,
        str(obj(spec.capacity).storage),
        accessModes(spec.accessModes),
        str(spec.persistentVolumeReclaimPolicy) || 'Retain',
        o.metadata.deletionTimestamp ? 'Terminating' : str(obj(o.status).phase),
        claim ? `${str(claim.namespace)}/${str(claim.name)}` : '',
        str(spec.storageClassName),
        none(str(spec.volumeAttributesClassName)).replace('<none>', '<unset>'),
        str(obj(o.status).reason),
        age(o, now),
        str(spec.volumeMode) || 'Filesystem',
      ];
    },
  },
  PersistentVolumeClaim: {
    columns: [
      NAME,
      col('Status', 'phase represents the current phase of PersistentVolumeClaim.'),
      col('Volume', 'volumeName is the binding reference to the PersistentVolume backing this claim.'),
      col('Capacity', 'capacity represents the actual resources of the underlying volume.'),
      col('Access Modes', 'accessModes contains the desired access modes the volume should have.'),
      col('StorageClass', 'storageClassName is the name of the StorageClass required by the claim.'),
      col('VolumeAttributesClass', 'volumeAttributesClassName may be used to set the VolumeAttributesClass used by this claim.'),
      AGE,
      col('VolumeMode', 'volumeMode defines what type of volume is required by the claim.', 1),
    ],
    cells: (o, now) => {
      const spec = obj(o.spec);
      const status = obj(o.status);
      const bound = Boolean(spec.volumeName);
      return [
        o.metadata.name,
        o.metadata.deletionTimestamp ? 'Terminating' : str(status.phase),
        str(spec.volumeName),
        bound ? str(obj(status.capacity).storage) : '',
        bound ? accessModes(status.accessModes) : '',
        str(spec.storageClassName),
        none(str(spec.volumeAttributesClassName)).replace('<none>', '<unset>'),
        age(o, now),
        str(spec.volumeMode) || 'Filesystem',
      ];
    },
  },
  StorageClass: {
    columns: [
      NAME,
      col('Provisioner', 'provisioner indicates the type of the provisioner.'),
      col('ReclaimPolicy', 'reclaimPolicy controls the reclaimPolicy for dynamically provisioned PersistentVolumes of this storage class.'),
      col('VolumeBindingMode', 'volumeBindingMode indicates how PersistentVolumeClaims should be provisioned and bound.'),
      col('AllowVolumeExpansion', 'allowVolumeExpansion shows whether the storage class allow volume expand.'),
      AGE,
    ],
    cells: (o, now) => {
      const annotations = o.metadata.annotations ?? {};
      const isDefault =
        annotations['storageclass.kubernetes.io/is-default-class'] === 'true' || annotations['storageclass.beta.kubernetes.io/is-default-class'] === 'true';
      return [
        isDefault ? `${o.metadata.name} (default)` : o.metadata.name,
        str(o.provisioner),
        str(o.reclaimPolicy) || 'Delete',
        str(o.volumeBindingMode) || 'Immediate',
        o.allowVolumeExpansion === true,
        age(o, now),
      ];
    },
  },
  Role: role,
  ClusterRole: role,
  RoleBinding: binding,
  ClusterRoleBinding: binding,
  Job: {
    columns: [
      NAME,
      col('Status', 'Status of the job.'),
      col('Completions', 'The completion status of the job.'),
      col('Duration', 'Time required to complete the job.'),
      AGE,
      CONTAINERS,
      IMAGES,
      SELECTOR,
    ],
    cells: (o, now) => [
      o.metadata.name,
      jobStatus(o),
      jobCompletions(o),
      jobDuration(o, now),
      age(o, now),
      containerNames(o),
      containerImages(o),
      formatLabelSelector(obj(o.spec).selector as SelectorLike),
    ],
  },
  CronJob: {
    columns: [
      NAME,
      col('Schedule', 'The schedule in Cron format.'),
      col('Timezone', 'The time zone name for the given schedule.'),
      col('Suspend', 'Whether the job is suspended.', 0, 'boolean'),
      col('Active', 'Number of running jobs.', 0, 'integer'),
      col('Last Schedule', 'Information when was the last time the job was successfully scheduled.'),
      AGE,
      CONTAINERS,
      IMAGES,
      SELECTOR,
    ],
    cells: (o, now) => {
      const spec = obj(o.spec);
      const jobTemplate = obj(obj(obj(spec.jobTemplate).spec).template);
      const cs = list(obj(jobTemplate.spec).containers).map(obj);
      return [
        o.metadata.name,
        str(spec.schedule),
        none(str(spec.timeZone)),
        spec.suspend === true ? 'True' : 'False',
        list(obj(o.status).active).length,
        since(obj(o.status).lastScheduleTime, now),
        age(o, now),
        cs.map((c) => str(c.name)).join(','),
        cs.map((c) => str(c.image)).join(','),
        formatLabelSelector(obj(obj(spec.jobTemplate).spec).selector as SelectorLike),
      ];
    },
  },
  StatefulSet: {
    columns: [NAME, col('Ready', 'Number of the pod with ready state'), AGE, CONTAINERS, IMAGES],
    cells: (o, now) => [o.metadata.name, `${statusNumber(o, 'readyReplicas')}/${replicasOr1(o)}`, age(o, now), containerNames(o), containerImages(o)],
  },
  ControllerRevision: {
    columns: [NAME, col('Controller', 'Controller of the object'), col('Revision', 'Revision of the ControllerRevision', 0, 'number'), AGE],
    cells: (o, now) => {
      const ref = o.metadata.ownerReferences?.find((r) => r.controller === true);
      const group = ref && ref.apiVersion.includes('/') ? `.${ref.apiVersion.slice(0, ref.apiVersion.indexOf('/'))}` : '';
      return [o.metadata.name, ref ? `${`${ref.kind}${group}`.toLowerCase()}/${ref.name}` : '<none>', typeof o.revision === 'number' ? o.revision : 0, age(o, now)];
    },
  },
  ReplicationController: {
    columns: [
      NAME,
      col('Desired', 'Number of desired pods.', 0, 'integer'),
      col('Current', 'Number of actual pods.', 0, 'integer'),
      col('Ready', 'The number of ready pods.', 0, 'integer'),
      AGE,
      CONTAINERS,
      IMAGES,
      SELECTOR,
    ],
    cells: (o, now) => [
      o.metadata.name,
      replicasOr1(o),
      statusNumber(o, 'replicas'),
      statusNumber(o, 'readyReplicas'),
      age(o, now),
      containerNames(o),
      containerImages(o),
      selectorText(obj(o.spec).selector as Record<string, string>),
    ],
  },
  PodDisruptionBudget: {
    columns: [
      NAME,
      col('Min Available', 'The minimum number of pods that must be available.'),
      col('Max Unavailable', 'The maximum number of pods that may be unavailable.'),
      col('Allowed Disruptions', 'Calculated number of pods that may be disrupted at this time.', 0, 'integer'),
      AGE,
    ],
    cells: (o, now) => {
      const spec = obj(o.spec);
      return [
        o.metadata.name,
        spec.minAvailable === undefined ? 'N/A' : str(spec.minAvailable),
        spec.maxUnavailable === undefined ? 'N/A' : str(spec.maxUnavailable),
        statusNumber(o, 'disruptionsAllowed'),
        age(o, now),
      ];
    },
  },
  HorizontalPodAutoscaler: {
    columns: [
      NAME,
      col('Reference', 'The reference to the target of scaling.'),
      col('Targets', 'The current and target metrics.'),
      col('MinPods', 'The minimum number of replicas.'),
      col('MaxPods', 'The maximum number of replicas.'),
      col('Replicas', 'The current number of replicas.'),
      AGE,
    ],
    cells: (o, now) => {
      const spec = obj(o.spec);
      const ref = obj(spec.scaleTargetRef);
      return [
        o.metadata.name,
        `${str(ref.kind)}/${str(ref.name)}`,
        hpaTargets(o),
        typeof spec.minReplicas === 'number' ? String(spec.minReplicas) : '<unset>',
        typeof spec.maxReplicas === 'number' ? spec.maxReplicas : 0,
        statusNumber(o, 'currentReplicas'),
        age(o, now),
      ];
    },
  },
  LimitRange: { columns: [NAME, createdAt], cells: (o) => [o.metadata.name, createdAtCell(o)] },
  ResourceQuota: {
    columns: [NAME, AGE, col('Request', 'Request represents a minimum amount of cpu/memory that a container may consume.'), col('Limit', 'Limits control the maximum amount of cpu/memory that a container may use independent of contention on the node.')],
    cells: (o, now) => [o.metadata.name, age(o, now), quotaUsage(o, false), quotaUsage(o, true)],
  },
  PriorityClass: {
    columns: [
      NAME,
      col('Value', "Value is the integer value of this priority class.", 0, 'integer'),
      col('Global-Default', 'globalDefault specifies whether this PriorityClass should be considered as the default priority.', 0, 'boolean'),
      AGE,
      col('PreemptionPolicy', 'PreemptionPolicy is the Policy for preempting pods with lower priority.'),
    ],
    cells: (o, now) => [o.metadata.name, o.value, o.globalDefault === true, age(o, now), str(o.preemptionPolicy) || 'PreemptLowerPriority'],
  },
};
