import { DomainError } from '../../common/domain-error';
import { ResourceStrategy, WriteContext } from '../store/object-store';
import { resourceTypeByKey } from '../store/resource-types';
import { KubeObject } from '../store/types';
import { FieldErrors } from '../validation/field-errors';
import { dns1123LabelErrors, dns1123SubdomainErrors } from '../validation/names';
import { defaultPodSpec } from './pod-defaults';
import { PodSpec, PodStatus, Toleration } from './pod.types';
import { validatePodVolumes, validateVolumeMounts } from './pod-volumes';

const PROTOCOLS = ['SCTP', 'TCP', 'UDP'];
const IANA_SVC_NAME = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/;

/** The tolerations the DefaultTolerationSeconds admission plugin adds to every pod. */
export const DEFAULT_TOLERATIONS: readonly Toleration[] = [
  { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
  { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
];

export function validatePodSpec(spec: PodSpec | undefined, field: string, errors: FieldErrors): void {
  if (!spec || typeof spec !== 'object') {
    errors.required(field);
    return;
  }
  const volumes = validatePodVolumes((spec as { volumes?: unknown }).volumes, `${field}.volumes`, errors);
  if (!Array.isArray(spec.containers) || spec.containers.length === 0) {
    errors.required(`${field}.containers`);
    return;
  }
  const containerNames = new Set<string>();
  const portNames = new Set<string>();
  spec.containers.forEach((c, i) => {
    const at = `${field}.containers[${i}]`;
    if (!c || typeof c !== 'object') {
      errors.invalid(at, c, 'must be an object');
      return;
    }
    if (!c.name) errors.required(`${at}.name`);
    else {
      for (const e of dns1123LabelErrors(c.name)) errors.invalid(`${at}.name`, c.name, e);
      if (containerNames.has(c.name)) errors.duplicate(`${at}.name`, c.name);
      containerNames.add(c.name);
    }
    if (!c.image) errors.required(`${at}.image`);
    (c.ports ?? []).forEach((p, j) => {
      const pat = `${at}.ports[${j}]`;
      if (!Number.isInteger(p.containerPort) || p.containerPort < 1 || p.containerPort > 65535) {
        errors.invalid(`${pat}.containerPort`, p.containerPort, 'must be between 1 and 65535, inclusive');
      }
      // JSON null is Go's zero value: as if the field were absent.
      if (p.protocol !== undefined && p.protocol !== null && !PROTOCOLS.includes(p.protocol)) errors.notSupported(`${pat}.protocol`, p.protocol, PROTOCOLS);
      if (p.name !== undefined && p.name !== null) {
        if (p.name.length > 15 || !IANA_SVC_NAME.test(p.name) || !/[a-z]/.test(p.name) || p.name.includes('--')) {
          errors.invalid(`${pat}.name`, p.name, 'must be no more than 15 characters, contain only lower case alphanumerics and hyphens, and contain at least one letter');
        } else if (portNames.has(p.name)) errors.duplicate(`${pat}.name`, p.name);
        portNames.add(p.name);
      }
    });
    validateVolumeMounts((c as { volumeMounts?: unknown }).volumeMounts, `${at}.volumeMounts`, volumes, errors);
  });
  if (spec.nodeName !== undefined && spec.nodeName !== '') {
    for (const e of dns1123SubdomainErrors(spec.nodeName)) errors.invalid(`${field}.nodeName`, spec.nodeName, e);
  }
  if (spec.terminationGracePeriodSeconds !== undefined && (!Number.isInteger(spec.terminationGracePeriodSeconds) || spec.terminationGracePeriodSeconds < 0)) {
    errors.invalid(`${field}.terminationGracePeriodSeconds`, spec.terminationGracePeriodSeconds, 'must be greater than or equal to 0');
  }
}

/** A stored spec, or a shallow copy of one whose volumes are still the stored (frozen) ones. */
function isFrozenSpec(spec: object): boolean {
  const volumes = (spec as { volumes?: unknown }).volumes;
  return Object.isFrozen(spec) || (Array.isArray(volumes) && Object.isFrozen(volumes));
}

/**
 * What a pod gets beyond its template's defaults: `SetDefaults_Pod` (requests
 * from limits, `enableServiceLinks`), the `serviceAccount` copy the v1
 * conversion writes, and what admission adds (the `default` service account,
 * priority 0 and its preemption policy, the `not-ready`/`unreachable`
 * tolerations for 300 s).
 */
export function defaultPod(draft: KubeObject): void {
  // Stored objects are frozen and drafts may share their parts: default a copy.
  // Volumes too: defaulting drops a hostPath's `type: ""` and writes it again, on a shallow copy of a stored spec (a bind) as well.
  if (draft.spec !== null && typeof draft.spec === 'object' && isFrozenSpec(draft.spec)) {
    draft.spec = structuredClone(draft.spec);
  }
  defaultPodSpec(draft.spec);
  const spec = draft.spec as PodSpec | undefined;
  if (!spec || typeof spec !== 'object') return;
  for (const c of [...(Array.isArray(spec.initContainers) ? spec.initContainers : []), ...(Array.isArray(spec.containers) ? spec.containers : [])]) {
    const resources = c?.resources;
    if (!resources?.limits) continue;
    const requests = { ...resources.limits, ...resources.requests };
    resources.requests = requests;
  }
  spec.enableServiceLinks ??= true;
  // The ServiceAccount admission plugin leaves mirror pods (a kubelet's static pods) without one.
  if (draft.metadata.annotations?.['kubernetes.io/config.mirror'] === undefined) {
    spec.serviceAccountName ??= 'default';
    spec.serviceAccount ??= spec.serviceAccountName;
  }
  spec.priority ??= 0;
  spec.preemptionPolicy ??= 'PreemptLowerPriority';
  const tolerations = Array.isArray(spec.tolerations) ? spec.tolerations : [];
  // DefaultTolerationSeconds adds a toleration only where none tolerates the taint already.
  const tolerates = (x: Toleration | undefined, t: Toleration) => x !== undefined && x !== null && (!x.key || x.key === t.key) && (!x.effect || x.effect === t.effect);
  for (const t of DEFAULT_TOLERATIONS) {
    if (!tolerations.some((x) => tolerates(x, t))) tolerations.push({ ...t });
  }
  spec.tolerations = tolerations;
}

const priorityClasses = resourceTypeByKey('priorityclasses.scheduling.k8s.io')!;

/**
 * The Priority admission plugin, for a pod naming a PriorityClass that exists:
 * its `value` becomes the pod's `priority`, and its `preemptionPolicy` the pod's
 * (so the control-plane pods show `priority: 2000001000`). A pod naming a class
 * that does not exist is let through with priority 0 (upstream refuses it).
 */
function admitPriority(draft: KubeObject, ctx: WriteContext): void {
  const spec = draft.spec as PodSpec | undefined;
  const name = spec && typeof spec === 'object' ? spec.priorityClassName : undefined;
  if (typeof name !== 'string' || !name) return;
  const found = ctx.store.tryGet(priorityClasses, undefined, name) as (KubeObject & { value?: number; preemptionPolicy?: string }) | undefined;
  if (!found || typeof found.value !== 'number') return;
  if (Object.isFrozen(draft.spec)) draft.spec = structuredClone(draft.spec);
  const draftSpec = draft.spec as PodSpec;
  draftSpec.priority = found.value;
  draftSpec.preemptionPolicy = found.preemptionPolicy ?? 'PreemptLowerPriority';
}

function qosClass(spec: PodSpec): string {
  const all = spec.containers.map((c) => c.resources ?? {});
  if (all.every((r) => !r.requests && !r.limits)) return 'BestEffort';
  const guaranteed = all.every(
    (r) => r.limits?.cpu && r.limits?.memory && (!r.requests || (r.requests.cpu === r.limits.cpu && r.requests.memory === r.limits.memory)),
  );
  return guaranteed ? 'Guaranteed' : 'Burstable';
}

/**
 * Pods: validation and defaulting. A new pod is `Pending`; the kubelet of
 * the node it is bound to starts it (see `KubeletController`).
 */
export class PodStrategy implements ResourceStrategy {
  prepareCreate(draft: KubeObject, ctx: WriteContext): void {
    admitPriority(draft, ctx);
    defaultPod(draft);
    const spec = draft.spec as PodSpec;
    const errors = new FieldErrors();
    validatePodSpec(spec, 'spec', errors);
    errors.throwIfAny('Pod', draft.metadata.name);
    const status: PodStatus = { phase: 'Pending', qosClass: qosClass(spec) };
    draft.status = status;
  }

  /**
   * A bound pod that is still running terminates gracefully: it stays, with
   * `deletionTimestamp`, for `gracePeriodSeconds` (the request's, or the pod's
   * `terminationGracePeriodSeconds`) until its kubelet removes it. Zero, an
   * unbound pod or a finished one goes at once.
   */
  prepareDelete(object: KubeObject, _ctx: WriteContext, gracePeriodSeconds: number | undefined): number {
    const spec = object.spec as PodSpec;
    const phase = (object.status as PodStatus | undefined)?.phase;
    if (!spec.nodeName || phase === 'Succeeded' || phase === 'Failed') return 0;
    return gracePeriodSeconds ?? spec.terminationGracePeriodSeconds ?? 30;
  }

  prepareUpdate(draft: KubeObject, previous: KubeObject): void {
    if (previous.metadata.annotations?.['kubernetes.io/config.mirror'] !== undefined) {
      throw new DomainError('FORBIDDEN', `pods "${previous.metadata.name}" is forbidden: a mirror pod may not be modified; edit the static pod manifest on node ${(previous.spec as PodSpec).nodeName} instead`, {
        kind: 'pods',
        name: previous.metadata.name,
      });
    }
    defaultPod(draft);
    const spec = draft.spec as PodSpec;
    const old = previous.spec as PodSpec;
    const errors = new FieldErrors();
    validatePodSpec(spec, 'spec', errors);
    if (old.nodeName && spec?.nodeName !== old.nodeName) {
      errors.forbidden('spec.nodeName', 'pod updates may not change fields other than `spec.containers[*].image`, `spec.initContainers[*].image`, `spec.activeDeadlineSeconds`, `spec.tolerations` (only additions to existing tolerations) or `spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)');
    }
    errors.throwIfAny('Pod', draft.metadata.name);
  }
}
