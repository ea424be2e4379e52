/**
 * The Deployment controller's small rules, as upstream keeps them in its
 * deployment util package: the readers of Deployments and ReplicaSets, the
 * orderings, the rolling-update fenceposts, the new ReplicaSet's annotations
 * (revision and its history) and size, the template comparison, and the
 * status conditions with their progress checks.
 */
import {
  DeploymentCondition,
  DeploymentSpec,
  DeploymentStatus,
  DESIRED_REPLICAS_ANNOTATION,
  LAST_APPLIED_ANNOTATION,
  MAX_REPLICAS_ANNOTATION,
  POD_TEMPLATE_HASH_LABEL,
  PodTemplateSpec,
  ReplicaSetSpec,
  ReplicaSetStatus,
  REVISION_ANNOTATION,
  REVISION_HISTORY_ANNOTATION,
} from '../resources/workload.types';
import { deepEqual } from '../store/object-store';
import { KubeObject } from '../store/types';
import { byCreation, scaledValue } from './pod-template';

/** `math.MaxInt32` as `progressDeadlineSeconds` means "no deadline". */
export const NO_DEADLINE = 2147483647;
/** Upstream's limit on the length of the revision-history annotation. */
const MAX_REVISION_HISTORY_CHARS = 2000;
const ANNOTATIONS_NOT_COPIED = new Set([
  LAST_APPLIED_ANNOTATION,
  REVISION_ANNOTATION,
  REVISION_HISTORY_ANNOTATION,
  DESIRED_REPLICAS_ANNOTATION,
  MAX_REPLICAS_ANNOTATION,
  'deprecated.deployment.rollback.to',
]);

// ---- small readers -------------------------------------------------------------

export const specOf = (d: KubeObject) => d.spec as DeploymentSpec;
export const rsSpecOf = (rs: KubeObject) => rs.spec as ReplicaSetSpec;
export const rsStatusOf = (rs: KubeObject) => (rs.status ?? {}) as Partial<ReplicaSetStatus>;
export const replicasOf = (rs: KubeObject) => rsSpecOf(rs).replicas ?? 0;
export const sum = (list: KubeObject[], f: (rs: KubeObject) => number) => list.reduce((n, rs) => n + f(rs), 0);
export const activeSets = (list: Array<KubeObject | undefined>) => list.filter((rs): rs is KubeObject => rs !== undefined && replicasOf(rs) > 0);

export function intAnnotation(object: KubeObject, key: string): number | undefined {
  const text = object.metadata.annotations?.[key];
  if (text === undefined || !/^-?[0-9]+$/.test(text)) return undefined;
  return Number(text);
}

export const revisionOf = (rs: KubeObject) => intAnnotation(rs, REVISION_ANNOTATION) ?? 0;

/** Bigger first; equal sizes newer first (scaling up) or older first (scaling down). */
export const bySizeNewer = (a: KubeObject, b: KubeObject) => (replicasOf(a) === replicasOf(b) ? byCreation(b, a) : replicasOf(b) - replicasOf(a));
export const bySizeOlder = (a: KubeObject, b: KubeObject) => (replicasOf(a) === replicasOf(b) ? byCreation(a, b) : replicasOf(b) - replicasOf(a));
export const byRevision = (a: KubeObject, b: KubeObject) => (revisionOf(a) === revisionOf(b) ? byCreation(a, b) : revisionOf(a) - revisionOf(b));

/** Go's `math.Round`: halves away from zero. */
export const roundHalfAway = (x: number) => Math.sign(x) * Math.round(Math.abs(x));

export function isRollingUpdate(d: KubeObject): boolean {
  return (specOf(d).strategy?.type ?? 'RollingUpdate') === 'RollingUpdate';
}

/**
 * `ResolveFenceposts`: `maxSurge` as a count (percentages round up) and
 * `maxUnavailable` as a count (percentages round down); both 0 would make no
 * progress, so unavailable becomes 1.
 */
export function resolveFenceposts(d: KubeObject): { surge: number; unavailable: number } {
  const spec = specOf(d);
  const desired = spec.replicas ?? 1;
  const ru = spec.strategy?.rollingUpdate ?? {};
  const surge = scaledValue(ru.maxSurge ?? 0, desired, true);
  let unavailable = scaledValue(ru.maxUnavailable ?? 0, desired, false);
  if (surge === 0 && unavailable === 0) unavailable = 1;
  return { surge, unavailable };
}

export function maxSurge(d: KubeObject): number {
  return isRollingUpdate(d) ? resolveFenceposts(d).surge : 0;
}

export function maxUnavailable(d: KubeObject): number {
  const replicas = specOf(d).replicas ?? 1;
  if (!isRollingUpdate(d) || replicas === 0) return 0;
  return Math.min(resolveFenceposts(d).unavailable, replicas);
}

/** `SetNewReplicaSetAnnotations`: copied Deployment annotations, the revision (and its history on a rollback), replica annotations for a new one. */
export function setNewReplicaSetAnnotations(d: KubeObject, annotations: Record<string, string>, newRevision: string, exists: boolean): boolean {
  const replicas = specOf(d).replicas ?? 1;
  let changed = false;
  for (const [k, v] of Object.entries(d.metadata.annotations ?? {})) {
    if (ANNOTATIONS_NOT_COPIED.has(k) || annotations[k] === v) continue;
    annotations[k] = v;
    changed = true;
  }
  const oldRevision = annotations[REVISION_ANNOTATION];
  let oldInt = 0;
  if (oldRevision !== undefined && oldRevision !== '') {
    if (!/^-?[0-9]+$/.test(oldRevision)) return false;
    oldInt = Number(oldRevision);
  }
  const newInt = Number(newRevision);
  if (oldInt < newInt) {
    annotations[REVISION_ANNOTATION] = newRevision;
    changed = true;
  }
  if (oldRevision !== undefined && oldInt < newInt) {
    const history = annotations[REVISION_HISTORY_ANNOTATION] ?? '';
    if (history === '') {
      annotations[REVISION_HISTORY_ANNOTATION] = oldRevision;
    } else {
      let revisions = history.split(',');
      let total = history.length + oldRevision.length + 1;
      let start = 0;
      while (total > MAX_REVISION_HISTORY_CHARS && start < revisions.length) {
        total -= revisions[start].length + 1;
        start++;
      }
      if (total <= MAX_REVISION_HISTORY_CHARS) {
        revisions = [...revisions.slice(start), oldRevision];
        annotations[REVISION_HISTORY_ANNOTATION] = revisions.join(',');
      }
    }
  }
  if (!exists) {
    annotations[DESIRED_REPLICAS_ANNOTATION] = String(replicas);
    annotations[MAX_REPLICAS_ANNOTATION] = String(replicas + maxSurge(d));
    changed = true;
  }
  return changed;
}

/** `NewRSNewReplicas`: how big the new ReplicaSet may be now. */
export function newRSNewReplicas(d: KubeObject, allRSs: KubeObject[], newRS: KubeObject): number {
  const replicas = specOf(d).replicas ?? 1;
  if (!isRollingUpdate(d)) return replicas;
  const surge = maxSurge(d);
  const current = sum(allRSs, replicasOf);
  const maxTotal = replicas + surge;
  if (current >= maxTotal) return replicasOf(newRS);
  const scaleUp = Math.min(maxTotal - current, replicas - replicasOf(newRS));
  return replicasOf(newRS) + scaleUp;
}

/** Templates equal once the `pod-template-hash` label is left out of both (`EqualIgnoreHash`). */
export function equalIgnoreHash(a: PodTemplateSpec | undefined, b: PodTemplateSpec | undefined): boolean {
  const strip = (t: PodTemplateSpec | undefined) => {
    if (!t) return t;
    const labels = { ...t.metadata?.labels };
    delete labels[POD_TEMPLATE_HASH_LABEL];
    return { ...t, metadata: { ...t.metadata, labels: Object.keys(labels).length ? labels : undefined } };
  };
  return deepEqual(strip(a), strip(b));
}

// ---- conditions ------------------------------------------------------------------

export function getCondition(status: DeploymentStatus | undefined, type: DeploymentCondition['type']): DeploymentCondition | undefined {
  return status?.conditions?.find((c) => c.type === type);
}

/** `SetDeploymentCondition`: same status and reason is no change; same status keeps the transition time. */
export function setCondition(status: DeploymentStatus, condition: DeploymentCondition): void {
  const current = getCondition(status, condition.type);
  if (current && current.status === condition.status && current.reason === condition.reason) return;
  const next = current && current.status === condition.status ? { ...condition, lastTransitionTime: current.lastTransitionTime } : condition;
  status.conditions = [...(status.conditions ?? []).filter((c) => c.type !== condition.type), next];
}

export function removeCondition(status: DeploymentStatus, type: DeploymentCondition['type']): void {
  const rest = (status.conditions ?? []).filter((c) => c.type !== type);
  if (rest.length) status.conditions = rest;
  else delete status.conditions;
}

export function newCondition(type: DeploymentCondition['type'], status: DeploymentCondition['status'], reason: string, message: string, now: string): DeploymentCondition {
  return { type, status, lastUpdateTime: now, lastTransitionTime: now, reason, message };
}

export const num = (n: number | undefined) => n ?? 0;

/** `DeploymentComplete`: every replica updated and available, and the latest spec observed. */
export function deploymentComplete(d: KubeObject, status: DeploymentStatus): boolean {
  const replicas = specOf(d).replicas ?? 1;
  return (
    num(status.updatedReplicas) === replicas &&
    num(status.replicas) === replicas &&
    num(status.availableReplicas) === replicas &&
    num(status.observedGeneration) >= d.metadata.generation
  );
}

/** `DeploymentProgressing`: more updated, fewer old, more ready or more available than before. */
export function deploymentProgressing(d: KubeObject, next: DeploymentStatus): boolean {
  const old = (d.status ?? {}) as DeploymentStatus;
  const oldOld = num(old.replicas) - num(old.updatedReplicas);
  const newOld = num(next.replicas) - num(next.updatedReplicas);
  return (
    num(next.updatedReplicas) > num(old.updatedReplicas) ||
    newOld < oldOld ||
    num(next.readyReplicas) > num(old.readyReplicas) ||
    num(next.availableReplicas) > num(old.availableReplicas)
  );
}

export function hasProgressDeadline(d: KubeObject): boolean {
  const deadline = specOf(d).progressDeadlineSeconds;
  return deadline !== undefined && deadline !== NO_DEADLINE;
}
