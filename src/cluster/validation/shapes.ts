import { DomainError } from '../../common/domain-error';

/**
 * The JSON types of the fields the emulator reads, checked before any
 * strategy or controller looks at an object, so a wrong-typed field
 * (`ports: "x"`, `clusterIP: 5`) is a 422 naming the field, never a crash.
 * Fields not listed are kept as they are, as the API server keeps unknown
 * fields of a lenient decode. A mismatch is what the API server's JSON
 * decoder answers: 400 BadRequest, `Service in version "v1" cannot be handled
 * as a Service: json: cannot unmarshal string into Go struct field
 * spec.ports of type []struct` (Go names the struct type where we name the
 * field path).
 */
export type Shape =
  | 'string'
  | 'number'
  | 'integer'
  | 'boolean'
  | 'object'
  | 'any'
  /** A string or a number, as `targetPort` and resource quantities are. */
  | 'int-or-string'
  | { list: Shape }
  | { map: Shape }
  | { fields: Record<string, Shape> };

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function fits(value: unknown, shape: Shape): boolean {
  if (typeof shape === 'string') {
    switch (shape) {
      case 'any':
        return true;
      case 'string':
        return typeof value === 'string';
      case 'number':
        return typeof value === 'number' && Number.isFinite(value);
      case 'integer':
        return typeof value === 'number' && Number.isInteger(value);
      case 'boolean':
        return typeof value === 'boolean';
      case 'object':
        return isObject(value);
      case 'int-or-string':
        return typeof value === 'string' || (typeof value === 'number' && Number.isFinite(value));
    }
  }
  if ('list' in shape) return Array.isArray(value);
  return isObject(value);
}

const fields = (f: Record<string, Shape>): Shape => ({ fields: f });
const list = (s: Shape): Shape => ({ list: s });
const map = (s: Shape): Shape => ({ map: s });

const OWNER_REFERENCE = fields({ apiVersion: 'string', kind: 'string', name: 'string', uid: 'string', controller: 'boolean', blockOwnerDeletion: 'boolean' });

export const METADATA: Shape = fields({
  name: 'string',
  generateName: 'string',
  namespace: 'string',
  resourceVersion: 'string',
  labels: map('string'),
  annotations: map('string'),
  ownerReferences: list(OWNER_REFERENCE),
  finalizers: list('string'),
});

const SELECTOR_REQUIREMENT = fields({ key: 'string', operator: 'string', values: list('string') });
export const LABEL_SELECTOR: Shape = fields({ matchLabels: map('string'), matchExpressions: list(SELECTOR_REQUIREMENT) });
const NODE_SELECTOR_TERM = fields({ matchExpressions: list(SELECTOR_REQUIREMENT), matchFields: list(SELECTOR_REQUIREMENT) });

const CONTAINER = fields({
  name: 'string',
  image: 'string',
  ports: list(fields({ name: 'string', containerPort: 'integer', protocol: 'string', hostPort: 'integer', hostIP: 'string' })),
  resources: fields({ requests: map('int-or-string'), limits: map('int-or-string') }),
  readinessProbe: 'object',
  livenessProbe: 'object',
  startupProbe: 'object',
  command: list('string'),
  args: list('string'),
  env: list('object'),
});

export const POD_SPEC: Shape = fields({
  nodeName: 'string',
  hostNetwork: 'boolean',
  containers: list(CONTAINER),
  initContainers: list(CONTAINER),
  nodeSelector: map('string'),
  affinity: fields({
    nodeAffinity: fields({
      requiredDuringSchedulingIgnoredDuringExecution: fields({ nodeSelectorTerms: list(NODE_SELECTOR_TERM) }),
      preferredDuringSchedulingIgnoredDuringExecution: list('object'),
    }),
    podAffinity: 'object',
    podAntiAffinity: 'object',
  }),
  tolerations: list(fields({ key: 'string', operator: 'string', value: 'string', effect: 'string', tolerationSeconds: 'integer' })),
  restartPolicy: 'string',
  terminationGracePeriodSeconds: 'integer',
  dnsPolicy: 'string',
  schedulerName: 'string',
  serviceAccountName: 'string',
  subdomain: 'string',
  hostname: 'string',
  priority: 'integer',
  enableServiceLinks: 'boolean',
});

const POD_CONDITION = fields({ type: 'string', status: 'string', reason: 'string', message: 'string', lastTransitionTime: 'string' });

export const POD_STATUS: Shape = fields({
  phase: 'string',
  conditions: list(POD_CONDITION),
  hostIP: 'string',
  podIP: 'string',
  podIPs: list(fields({ ip: 'string' })),
  hostIPs: list(fields({ ip: 'string' })),
  containerStatuses: list('object'),
  reason: 'string',
  message: 'string',
});

const POD_TEMPLATE = fields({ metadata: METADATA, spec: POD_SPEC });

/**
 * A batch/v1 JobSpec's fields other than its integers (a Job's are checked by `checkInt32`, which
 * names the Go struct as upstream does; a CronJob's job template adds them below).
 */
const JOB_SPEC_FIELDS: Record<string, Shape> = {
  completionMode: 'string',
  suspend: 'boolean',
  manualSelector: 'boolean',
  podReplacementPolicy: 'string',
  managedBy: 'string',
  selector: LABEL_SELECTOR,
  template: POD_TEMPLATE,
  podFailurePolicy: fields({
    rules: list(fields({ action: 'string', onExitCodes: fields({ containerName: 'string', operator: 'string', values: list('integer') }), onPodConditions: list(fields({ type: 'string', status: 'string' })) })),
  }),
  successPolicy: fields({ rules: list(fields({ succeededIndexes: 'string', succeededCount: 'integer' })) }),
};
const JOB_SPEC_INTEGERS = ['parallelism', 'completions', 'activeDeadlineSeconds', 'backoffLimit', 'backoffLimitPerIndex', 'maxFailedIndexes', 'ttlSecondsAfterFinished'];

export const SHAPES: Record<string, Shape> = {
  Pod: fields({ metadata: METADATA, spec: POD_SPEC, status: POD_STATUS }),
  Service: fields({
    metadata: METADATA,
    spec: fields({
      type: 'string',
      selector: map('string'),
      ports: list(
        fields({ name: 'string', protocol: 'string', port: 'integer', targetPort: 'int-or-string', nodePort: 'integer', appProtocol: 'string' }),
      ),
      clusterIP: 'string',
      clusterIPs: list('string'),
      externalName: 'string',
      externalIPs: list('string'),
      sessionAffinity: 'string',
      sessionAffinityConfig: fields({ clientIP: fields({ timeoutSeconds: 'integer' }) }),
      externalTrafficPolicy: 'string',
      internalTrafficPolicy: 'string',
      healthCheckNodePort: 'integer',
      loadBalancerIP: 'string',
      loadBalancerSourceRanges: list('string'),
      loadBalancerClass: 'string',
      allocateLoadBalancerNodePorts: 'boolean',
      publishNotReadyAddresses: 'boolean',
      ipFamilies: list('string'),
      ipFamilyPolicy: 'string',
      trafficDistribution: 'string',
    }),
    status: fields({ loadBalancer: fields({ ingress: list(fields({ ip: 'string', hostname: 'string', ipMode: 'string' })) }) }),
  }),
  Node: fields({
    metadata: METADATA,
    spec: fields({
      podCIDR: 'string',
      podCIDRs: list('string'),
      unschedulable: 'boolean',
      taints: list(fields({ key: 'string', value: 'string', effect: 'string', timeAdded: 'string' })),
      providerID: 'string',
    }),
    status: fields({
      capacity: map('int-or-string'),
      allocatable: map('int-or-string'),
      conditions: list(fields({ type: 'string', status: 'string', reason: 'string', message: 'string', lastHeartbeatTime: 'string', lastTransitionTime: 'string' })),
      addresses: list(fields({ type: 'string', address: 'string' })),
      nodeInfo: map('string'),
      daemonEndpoints: 'object',
    }),
  }),
  Namespace: fields({ metadata: METADATA, spec: 'object', status: 'object' }),
  Deployment: fields({
    metadata: METADATA,
    spec: fields({
      replicas: 'integer',
      selector: LABEL_SELECTOR,
      template: POD_TEMPLATE,
      strategy: fields({ type: 'string', rollingUpdate: fields({ maxSurge: 'int-or-string', maxUnavailable: 'int-or-string' }) }),
      minReadySeconds: 'integer',
      revisionHistoryLimit: 'integer',
      progressDeadlineSeconds: 'integer',
      paused: 'boolean',
    }),
    status: 'object',
  }),
  ReplicaSet: fields({
    metadata: METADATA,
    spec: fields({ replicas: 'integer', selector: LABEL_SELECTOR, template: POD_TEMPLATE, minReadySeconds: 'integer' }),
    status: 'object',
  }),
  DaemonSet: fields({
    metadata: METADATA,
    spec: fields({
      selector: LABEL_SELECTOR,
      template: POD_TEMPLATE,
      updateStrategy: fields({ type: 'string', rollingUpdate: fields({ maxSurge: 'int-or-string', maxUnavailable: 'int-or-string' }) }),
      minReadySeconds: 'integer',
      revisionHistoryLimit: 'integer',
    }),
    status: 'object',
  }),
  ReplicationController: fields({
    metadata: METADATA,
    spec: fields({ replicas: 'integer', selector: map('string'), template: POD_TEMPLATE, minReadySeconds: 'integer' }),
    status: 'object',
  }),
  CronJob: fields({
    metadata: METADATA,
    spec: fields({
      schedule: 'string',
      timeZone: 'string',
      startingDeadlineSeconds: 'integer',
      concurrencyPolicy: 'string',
      suspend: 'boolean',
      successfulJobsHistoryLimit: 'integer',
      failedJobsHistoryLimit: 'integer',
      jobTemplate: fields({ metadata: METADATA, spec: fields({ ...JOB_SPEC_FIELDS, ...Object.fromEntries(JOB_SPEC_INTEGERS.map((f) => [f, 'integer' as const])) }) }),
    }),
    status: 'object',
  }),
  Job: fields({ metadata: METADATA, spec: fields(JOB_SPEC_FIELDS), status: 'object' }),
  EndpointSlice: fields({
    metadata: METADATA,
    addressType: 'string',
    endpoints: list(
      fields({
        addresses: list('string'),
        conditions: fields({ ready: 'boolean', serving: 'boolean', terminating: 'boolean' }),
        nodeName: 'string',
        zone: 'string',
        hostname: 'string',
        targetRef: 'object',
      }),
    ),
    ports: list(fields({ name: 'string', port: 'integer', protocol: 'string', appProtocol: 'string' })),
  }),
  Lease: fields({
    metadata: METADATA,
    spec: fields({ holderIdentity: 'string', leaseDurationSeconds: 'integer', renewTime: 'string', acquireTime: 'string' }),
  }),
  Event: fields({ metadata: METADATA, involvedObject: 'object', reason: 'string', message: 'string', type: 'string', count: 'integer' }),
  Endpoints: fields({ metadata: METADATA, subsets: list('object') }),
};

function goType(shape: Shape): string {
  if (typeof shape === 'string') {
    switch (shape) {
      case 'integer':
        return 'int32';
      case 'number':
        return 'float64';
      case 'boolean':
        return 'bool';
      case 'int-or-string':
        return 'intstr.IntOrString';
      case 'object':
      case 'any':
        return 'struct';
      default:
        return shape;
    }
  }
  if ('list' in shape) return `[]${goType(shape.list)}`;
  if ('map' in shape) return `map[string]${goType(shape.map)}`;
  return 'struct';
}

function jsonType(value: unknown): string {
  if (Array.isArray(value)) return 'array';
  if (value === null) return 'null';
  if (typeof value === 'boolean') return 'bool';
  if (typeof value === 'number') return `number ${value}`;
  return typeof value;
}

/**
 * Throws the decoder's 400 for the first field whose JSON type does not fit
 * the kind's shape, naming the field.
 */
export function assertDecodable(kind: string, apiVersion: string, object: unknown): void {
  const shape = SHAPES[kind];
  if (!shape) return;
  const found = firstMismatch(object, shape, '');
  if (!found) return;
  const version = apiVersion.includes('/') ? apiVersion.split('/')[1] : apiVersion;
  throw new DomainError(
    'BAD_REQUEST',
    `${kind} in version "${version}" cannot be handled as a ${kind}: json: cannot unmarshal ${jsonType(found.value)} into Go struct field ${found.field} of type ${goType(found.shape)}`,
    { field: found.field, causeReason: 'FieldValueInvalid', kind, name: (object as { metadata?: { name?: string } })?.metadata?.name },
  );
}

function firstMismatch(value: unknown, shape: Shape, field: string): { field: string; value: unknown; shape: Shape } | undefined {
  if (value === undefined || value === null) return undefined;
  if (!fits(value, shape)) return { field, value, shape };
  if (typeof shape === 'string') return undefined;
  if ('list' in shape) {
    const items = value as unknown[];
    for (let i = 0; i < items.length; i++) {
      if (items[i] === null || items[i] === undefined) return { field: `${field}[${i}]`, value: null, shape: shape.list };
      const found = firstMismatch(items[i], shape.list, `${field}[${i}]`);
      if (found) return found;
    }
    return undefined;
  }
  if ('map' in shape) {
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      const found = firstMismatch(v, shape.map, `${field}[${k}]`);
      if (found) return found;
    }
    return undefined;
  }
  for (const [k, s] of Object.entries(shape.fields)) {
    const found = firstMismatch((value as Record<string, unknown>)[k], s, field ? `${field}.${k}` : k);
    if (found) return found;
  }
  return undefined;
}
