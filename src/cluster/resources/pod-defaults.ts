/**
 * The API server's defaulting of pod specs (`pkg/apis/core/v1/defaults.go`),
 * the one place it is done: for pods, and for the pod templates of
 * Deployments, ReplicaSets and DaemonSets, before they are validated, stored
 * or hashed.
 *
 * The API server decodes every body into Go structs before it defaults it, so
 * a value Go leaves out on the way back (`omitempty`: an empty string, list or
 * map, a `false`) is gone, and a struct that is always written (`resources`,
 * a template's `metadata.creationTimestamp`) is always there. We do the same,
 * so that a template kubectl sends back (as `rollout undo` does, after its
 * own decode and encode) is equal to the one we stored, and hashes the same.
 *
 * Every function here takes what a client sent, however malformed: it
 * defaults what has the right shape and leaves the rest to validation.
 */

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const objects = (v: unknown): Json[] => (Array.isArray(v) ? v.filter(isObject) : []);

/** `PodSpec` and `Container` fields that are plain Go bools (`omitempty`): `false` is not written. */
const PLAIN_BOOLS = new Set(['hostNetwork', 'hostPID', 'hostIPC', 'stdin', 'stdinOnce', 'tty', 'readOnly']);
/** Go maps (`omitempty`) in a pod spec: an empty one is not written. */
const MAPS = new Set(['labels', 'annotations', 'nodeSelector', 'limits', 'requests', 'matchLabels']);

/**
 * What a decode and encode through Go's types drops from a pod spec or
 * template: nulls, empty strings and lists, empty maps, plain `false`s. Walks the
 * whole tree; objects meant to be empty (`emptyDir: {}`, `securityContext: {}`)
 * stay.
 */
export function dropGoZeroValues(value: Json): void {
  for (const [key, v] of Object.entries(value)) {
    if (v === null || v === '' || (Array.isArray(v) && v.length === 0) || (v === false && PLAIN_BOOLS.has(key))) {
      delete value[key];
    } else if (MAPS.has(key) && isObject(v) && Object.keys(v).length === 0) {
      delete value[key];
    } else if (Array.isArray(v)) {
      for (const item of v) if (isObject(item)) dropGoZeroValues(item);
    } else if (isObject(v) && !MAPS.has(key)) {
      dropGoZeroValues(v);
    }
  }
}

/**
 * The tag kubelet would pull (`parsers.ParseImageName`): the text after the
 * last `:` of the last path segment; `latest` when there is neither a tag nor
 * a digest.
 */
export function imageTag(image: string): string | undefined {
  const at = image.indexOf('@');
  const name = at >= 0 ? image.slice(0, at) : image;
  const lastSegment = name.slice(name.lastIndexOf('/') + 1);
  const colon = lastSegment.lastIndexOf(':');
  if (colon >= 0) return lastSegment.slice(colon + 1);
  return at >= 0 ? undefined : 'latest';
}

/** `SetDefaults_Probe` and its handlers' defaults. */
function defaultProbe(probe: unknown): void {
  if (!isObject(probe)) return;
  probe.timeoutSeconds ??= 1;
  probe.periodSeconds ??= 10;
  probe.successThreshold ??= 1;
  probe.failureThreshold ??= 3;
  if (isObject(probe.httpGet)) {
    probe.httpGet.path ??= '/';
    probe.httpGet.scheme ??= 'HTTP';
  }
}

/** `SetDefaults_Container` and what hangs from a container (ports, probes, env). */
function defaultContainer(c: Json, hostNetwork: boolean): void {
  if (c.imagePullPolicy === undefined && typeof c.image === 'string') {
    c.imagePullPolicy = imageTag(c.image) === 'latest' ? 'Always' : 'IfNotPresent';
  }
  c.terminationMessagePath ??= '/dev/termination-log';
  c.terminationMessagePolicy ??= 'File';
  if (c.resources === undefined || c.resources === null) c.resources = {};
  for (const p of objects(c.ports)) {
    p.protocol ??= 'TCP';
    // A host-network pod listens on the node: its ports are host ports too.
    if (hostNetwork && p.hostPort === undefined && p.containerPort !== undefined) p.hostPort = p.containerPort;
  }
  for (const key of ['readinessProbe', 'livenessProbe', 'startupProbe']) defaultProbe(c[key]);
  for (const env of objects(c.env)) {
    const fieldRef = isObject(env.valueFrom) ? env.valueFrom.fieldRef : undefined;
    if (isObject(fieldRef)) fieldRef.apiVersion ??= 'v1';
  }
}

/** `SetDefaults_Volume` and the modes of the projected sources. */
function defaultVolume(v: Json): void {
  const SOURCES = ['secret', 'configMap', 'projected', 'downwardAPI'];
  const hasSource = Object.keys(v).some((k) => k !== 'name');
  if (!hasSource) v.emptyDir = {};
  for (const key of SOURCES) {
    if (isObject(v[key])) (v[key] as Json).defaultMode ??= 420;
  }
  if (isObject(v.hostPath)) v.hostPath.type ??= '';
}

/**
 * `SetDefaults_PodSpec` with its containers, ports, probes and volumes: what a
 * pod template gets. Pods get more (see `defaultPodOnly` in the pod strategy).
 */
export function defaultPodSpec(spec: unknown): void {
  if (!isObject(spec)) return;
  dropGoZeroValues(spec);
  spec.dnsPolicy ??= 'ClusterFirst';
  spec.restartPolicy ??= 'Always';
  if (spec.securityContext === undefined || spec.securityContext === null) spec.securityContext = {};
  spec.terminationGracePeriodSeconds ??= 30;
  spec.schedulerName ??= 'default-scheduler';
  // v1 keeps the deprecated `serviceAccount` as a copy of `serviceAccountName` (and reads it when that is missing).
  if (spec.serviceAccountName === undefined && typeof spec.serviceAccount === 'string') spec.serviceAccountName = spec.serviceAccount;
  if (spec.serviceAccountName !== undefined) spec.serviceAccount = spec.serviceAccountName;
  const hostNetwork = spec.hostNetwork === true;
  for (const key of ['initContainers', 'containers', 'ephemeralContainers']) {
    for (const c of objects(spec[key])) defaultContainer(c, hostNetwork);
  }
  for (const v of objects(spec.volumes)) defaultVolume(v);
}

/**
 * A pod template as the API server stores it: its spec defaulted, and its
 * metadata as Go writes an `ObjectMeta` that was never stored
 * (`creationTimestamp: null`, on Kubernetes 1.32).
 */
export function defaultPodTemplate(template: unknown): void {
  if (!isObject(template)) return;
  if (template.metadata === undefined || template.metadata === null) template.metadata = {};
  if (isObject(template.metadata)) {
    dropGoZeroValues(template.metadata);
    template.metadata.creationTimestamp ??= null;
  }
  defaultPodSpec(template.spec);
}
