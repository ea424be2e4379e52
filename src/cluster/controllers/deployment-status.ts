/**
 * The status the Deployment controller writes, computed from the Deployment
 * and its ReplicaSets (upstream's `calculateStatus` and progress.go): the
 * replica counts, the `Available` condition, `Progressing` (paused and
 * resumed, progress, completion, the progress deadline), `ReplicaFailure`
 * taken from a ReplicaSet, and when a rollout that makes no progress must be
 * looked at again.
 */
import { DeploymentCondition, DeploymentReason, DeploymentStatus } from '../resources/workload.types';
import { KubeObject } from '../store/types';
import {
  deploymentComplete,
  deploymentProgressing,
  getCondition,
  hasProgressDeadline,
  maxUnavailable,
  newCondition,
  num,
  removeCondition,
  replicasOf,
  rsStatusOf,
  setCondition,
  specOf,
  sum,
} from './deployment-util';

const statusOf = (d: KubeObject) => d.status as DeploymentStatus | undefined;

/**
 * `checkPausedConditions`: the status with `Progressing` telling that the
 * Deployment was paused or resumed, or undefined when that is already told
 * (or the Deployment has no progress deadline, or is past it).
 */
export function pausedStatus(d: KubeObject, now: string): DeploymentStatus | undefined {
  if (!hasProgressDeadline(d)) return undefined;
  const current = getCondition(statusOf(d), 'Progressing');
  if (current?.reason === DeploymentReason.ProgressDeadlineExceeded) return undefined;
  const paused = specOf(d).paused;
  const pausedShown = current?.reason === DeploymentReason.DeploymentPaused;
  const status = structuredClone((d.status ?? {}) as DeploymentStatus);
  if (paused && !pausedShown) {
    setCondition(status, newCondition('Progressing', 'Unknown', DeploymentReason.DeploymentPaused, 'Deployment is paused', now));
  } else if (!paused && pausedShown) {
    setCondition(status, newCondition('Progressing', 'Unknown', DeploymentReason.DeploymentResumed, 'Deployment is resumed', now));
  } else return undefined;
  return status;
}

/** `calculateStatus`: counts from the ReplicaSets, and the `Available` condition. */
export function calculateStatus(d: KubeObject, allRSs: KubeObject[], newRS: KubeObject | undefined, now: string): DeploymentStatus {
  const previous = (d.status ?? {}) as DeploymentStatus;
  const available = sum(allRSs, (rs) => num(rsStatusOf(rs).availableReplicas));
  const unavailable = Math.max(0, sum(allRSs, replicasOf) - available);
  const status: DeploymentStatus = {};
  const counts: Array<[keyof DeploymentStatus, number]> = [
    ['observedGeneration', d.metadata.generation],
    ['replicas', sum(allRSs, (rs) => num(rsStatusOf(rs).replicas))],
    ['updatedReplicas', newRS ? num(rsStatusOf(newRS).replicas) : 0],
    ['readyReplicas', sum(allRSs, (rs) => num(rsStatusOf(rs).readyReplicas))],
    ['availableReplicas', available],
    ['unavailableReplicas', unavailable],
  ];
  // Zero counts are left out, as Go's `omitempty` leaves them out.
  for (const [k, v] of counts) if (v) (status as Record<string, number>)[k] = v;
  if (previous.conditions?.length) status.conditions = previous.conditions.map((c) => ({ ...c }));
  if (previous.collisionCount !== undefined) status.collisionCount = previous.collisionCount;
  if (available >= (specOf(d).replicas ?? 1) - maxUnavailable(d)) {
    setCondition(status, newCondition('Available', 'True', DeploymentReason.MinimumReplicasAvailable, 'Deployment has minimum availability.', now));
  } else {
    setCondition(status, newCondition('Available', 'False', DeploymentReason.MinimumReplicasUnavailable, 'Deployment does not have minimum availability.', now));
  }
  return status;
}

/** `syncRolloutStatus`'s status: counts, `Available`, and `Progressing` (progress, completion, deadline) at `now` (`nowMs`). */
export function rolloutStatus(d: KubeObject, allRSs: KubeObject[], newRS: KubeObject | undefined, now: string, nowMs: number): DeploymentStatus {
  const next = calculateStatus(d, allRSs, newRS, now);
  if (!hasProgressDeadline(d)) removeCondition(next, 'Progressing');
  const current = getCondition(statusOf(d), 'Progressing');
  const complete = num(next.replicas) === num(next.updatedReplicas) && current?.reason === DeploymentReason.NewReplicaSetAvailable;
  if (hasProgressDeadline(d) && !complete) {
    const subject = newRS ? `ReplicaSet "${newRS.metadata.name}"` : `Deployment "${d.metadata.name}"`;
    if (deploymentComplete(d, next)) {
      setCondition(next, newCondition('Progressing', 'True', DeploymentReason.NewReplicaSetAvailable, `${subject} has successfully progressed.`, now));
    } else if (deploymentProgressing(d, next)) {
      const condition = newCondition('Progressing', 'True', DeploymentReason.ReplicaSetUpdated, `${subject} is progressing.`, now);
      if (current) {
        if (current.status === 'True') condition.lastTransitionTime = current.lastTransitionTime;
        removeCondition(next, 'Progressing');
      }
      setCondition(next, condition);
    } else if (timedOut(d, next, nowMs)) {
      setCondition(next, newCondition('Progressing', 'False', DeploymentReason.ProgressDeadlineExceeded, `${subject} has timed out progressing.`, now));
    }
  }
  const failures = replicaFailures(allRSs, newRS);
  if (failures) setCondition(next, failures);
  else removeCondition(next, 'ReplicaFailure');
  return next;
}

/** `DeploymentTimedOut`: no progress recorded for `progressDeadlineSeconds`. */
function timedOut(d: KubeObject, status: DeploymentStatus, nowMs: number): boolean {
  const condition = getCondition(status, 'Progressing');
  if (!condition || condition.reason === DeploymentReason.NewReplicaSetAvailable) return false;
  if (condition.reason === DeploymentReason.ProgressDeadlineExceeded) return true;
  const from = Date.parse(condition.lastUpdateTime);
  return from + specOf(d).progressDeadlineSeconds! * 1000 < nowMs;
}

/**
 * `requeueStuckDeployment`: when to look again at a rollout whose status
 * (`status`, unchanged) shows no progress: once its deadline will have
 * passed. Undefined when nothing is waiting on the deadline.
 */
export function stuckRecheckAt(d: KubeObject, status: DeploymentStatus): number | undefined {
  const current = getCondition(statusOf(d), 'Progressing');
  if (!hasProgressDeadline(d) || !current) return undefined;
  if (deploymentComplete(d, status) || current.reason === DeploymentReason.ProgressDeadlineExceeded) return undefined;
  return Date.parse(current.lastUpdateTime) + (specOf(d).progressDeadlineSeconds! + 1) * 1000;
}

/** `ReplicaFailure` of the new ReplicaSet (else of an old one), as a Deployment condition. */
function replicaFailures(allRSs: KubeObject[], newRS: KubeObject | undefined): DeploymentCondition | undefined {
  for (const rs of newRS ? [newRS, ...allRSs] : allRSs) {
    const c = rsStatusOf(rs).conditions?.find((x) => x.type === 'ReplicaFailure');
    if (c) return { type: 'ReplicaFailure', status: c.status, lastUpdateTime: c.lastTransitionTime, lastTransitionTime: c.lastTransitionTime, reason: c.reason, message: c.message };
  }
  return undefined;
}
