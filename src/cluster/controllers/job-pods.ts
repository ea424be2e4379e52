/**
 * What the Job controller reads from a Job's pods (upstream's `indexed_job_utils.go`,
 * `pod_failure_policy.go`, `backoff_utils.go`): completion indexes and their `"0-2,4"` form,
 * whether a pod counts as failed and how its pod failure policy takes it, when a pod finished,
 * and the exponential back-off before a failed pod is replaced.
 */
import { PodStatus } from '../resources/pod.types';
import { JOB_COMPLETION_INDEX, JOB_TRACKING_FINALIZER, JobSpec } from '../resources/job.types';
import { KubeObject } from '../store/types';
import { isPodReady, podStatusOf } from './pod-template';

/** `DefaultJobPodFailureBackOff` and `MaxJobPodFailureBackOff`: 10 s, doubled per failure since the last success, up to 10 min. */
export const POD_FAILURE_BACKOFF_MS = 10_000;
export const MAX_POD_FAILURE_BACKOFF_MS = 600_000;
/** `MaxPodCreateDeletePerSync`. */
export const MAX_POD_CREATE_DELETE_PER_SYNC = 500;

export const hasTrackingFinalizer = (pod: KubeObject) => pod.metadata.finalizers?.includes(JOB_TRACKING_FINALIZER) ?? false;
export const phaseOf = (pod: KubeObject) => podStatusOf(pod).phase;

/** The pod's completion index (its annotation), or -1 when it has none or an unreadable one. */
export function completionIndexOf(pod: KubeObject): number {
  const text = pod.metadata.annotations?.[JOB_COMPLETION_INDEX];
  if (text === undefined || !/^\d+$/.test(text)) return -1;
  const n = Number(text);
  return Number.isSafeInteger(n) ? n : -1;
}

/** `onlyReplaceFailedPods`: a replacement waits for the failed pod's phase, not its deletion. */
export function onlyReplaceFailedPods(spec: JobSpec): boolean {
  return spec.podReplacementPolicy === 'Failed' || !!spec.podFailurePolicy;
}

/** `isPodFailed`: Failed; or, unless only failed pods are replaced, being deleted before it succeeded. */
export function isPodFailed(pod: KubeObject, spec: JobSpec): boolean {
  const phase = phaseOf(pod);
  if (onlyReplaceFailedPods(spec)) return phase === 'Failed';
  if (phase === 'Failed') return true;
  return pod.metadata.deletionTimestamp !== undefined && phase !== 'Succeeded';
}

/** `CountTerminatingPods`: being deleted and not yet in a terminal phase. */
export function isTerminating(pod: KubeObject): boolean {
  const phase = phaseOf(pod);
  return pod.metadata.deletionTimestamp !== undefined && phase !== 'Failed' && phase !== 'Succeeded';
}

// ---- pod failure policy ---------------------------------------------------------

export interface PolicyMatch {
  /** A FailJob rule matched: the Job fails with this message. */
  failJob?: string;
  /** Whether the failure counts towards backoffLimit (not with Ignore). */
  counts: boolean;
  action?: string;
}

type Terminated = { exitCode?: number };
type Statuses = Array<{ name: string; state?: { terminated?: Terminated } }>;

/** `matchPodFailurePolicy`: the first rule that matches the failed pod's exit codes or conditions. */
export function matchPodFailurePolicy(spec: JobSpec, pod: KubeObject): PolicyMatch {
  const rules = spec.podFailurePolicy?.rules;
  if (!rules) return { counts: true };
  const status = podStatusOf(pod) as PodStatus & { initContainerStatuses?: Statuses };
  for (const [index, rule] of rules.entries()) {
    let what: string | undefined;
    if (rule.onExitCodes) {
      const req = rule.onExitCodes;
      const matching = (list: Statuses | undefined) =>
        (list ?? []).find((c) => {
          const code = c.state?.terminated?.exitCode;
          if (code === undefined || code === 0) return false;
          if (req.containerName != null && req.containerName !== c.name) return false;
          const listed = (req.values ?? []).includes(code);
          return req.operator === 'In' ? listed : req.operator === 'NotIn' ? !listed : false;
        });
      const c = matching(status.containerStatuses as Statuses) ?? matching(status.initContainerStatuses);
      if (!c) continue;
      what = `Container ${c.name} for pod ${pod.metadata.namespace}/${pod.metadata.name} failed with exit code ${c.state!.terminated!.exitCode} matching ${rule.action} rule at index ${index}`;
    } else if (rule.onPodConditions) {
      const condition = (status.conditions ?? []).find((k) => rule.onPodConditions!.some((p) => p.type === k.type && p.status === k.status));
      if (!condition) continue;
      what = `Pod ${pod.metadata.namespace}/${pod.metadata.name} has condition ${condition.type} matching ${rule.action} rule at index ${index}`;
    } else {
      continue;
    }
    switch (rule.action) {
      case 'Ignore':
        return { counts: false, action: 'Ignore' };
      case 'Count':
      case 'FailIndex':
        return { counts: true, action: rule.action };
      case 'FailJob':
        return { failJob: what, counts: true, action: 'FailJob' };
    }
  }
  return { counts: true };
}

// ---- when a pod finished, and the back-off --------------------------------------

/** `getFinishedTime`: the last container's finish, else when Ready went False, else its deletion less its grace, else its creation. */
export function finishedTimeOf(pod: KubeObject): number {
  const statuses = (podStatusOf(pod).containerStatuses ?? []) as Array<{ state?: { terminated?: { finishedAt?: string } } }>;
  if (statuses.length > 0 && statuses.every((c) => c.state?.terminated?.finishedAt)) {
    return Math.max(...statuses.map((c) => Date.parse(c.state!.terminated!.finishedAt!)));
  }
  const ready = podStatusOf(pod).conditions?.find((k) => k.type === 'Ready');
  if (ready?.status === 'False' && ready.lastTransitionTime) return Date.parse(ready.lastTransitionTime);
  if (pod.metadata.deletionTimestamp) return Date.parse(pod.metadata.deletionTimestamp) - (pod.metadata.deletionGracePeriodSeconds ?? 0) * 1000;
  return Date.parse(pod.metadata.creationTimestamp);
}

export interface BackoffRecord {
  failuresAfterLastSuccess: number;
  lastFailureTime?: number;
}

/** `newBackoffRecord`: failures since the last success, and when the last of them finished. */
export function nextBackoffRecord(old: BackoffRecord | undefined, succeeded: KubeObject[], failed: KubeObject[]): BackoffRecord {
  const record: BackoffRecord = { ...(old ?? { failuresAfterLastSuccess: 0 }) };
  const failedTimes = failed.map(finishedTimeOf).sort((a, b) => a - b);
  if (succeeded.length === 0) {
    if (failedTimes.length === 0) return record;
    return { failuresAfterLastSuccess: record.failuresAfterLastSuccess + failedTimes.length, lastFailureTime: failedTimes[failedTimes.length - 1] };
  }
  const lastSuccess = Math.max(...succeeded.map(finishedTimeOf));
  const after = failedTimes.filter((t) => t > lastSuccess);
  return after.length === 0 ? { failuresAfterLastSuccess: 0 } : { failuresAfterLastSuccess: after.length, lastFailureTime: after[after.length - 1] };
}

/** `getRemainingTime`: how long a replacement still waits (0: none). */
export function remainingBackoffMs(record: BackoffRecord, now: number): number {
  if (record.failuresAfterLastSuccess === 0 || record.lastFailureTime === undefined) return 0;
  let backoff = POD_FAILURE_BACKOFF_MS;
  for (let i = 1; i < record.failuresAfterLastSuccess && backoff < MAX_POD_FAILURE_BACKOFF_MS; i++) backoff = Math.min(backoff * 2, MAX_POD_FAILURE_BACKOFF_MS);
  const elapsed = now - record.lastFailureTime;
  return backoff < elapsed ? 0 : backoff - elapsed;
}

// ---- completion indexes -----------------------------------------------------------

/** `parseIndexesFromString`: `"0-2,4"` as a sorted set of indexes below `completions`. */
export function parseIndexes(text: string | undefined, completions: number): Set<number> {
  const out = new Set<number>();
  for (const part of (text ?? '').split(',')) {
    if (!part) continue;
    const [a, b] = part.split('-');
    const from = Number(a);
    const to = b === undefined ? from : Number(b);
    if (!Number.isInteger(from) || !Number.isInteger(to)) continue;
    for (let i = from; i <= Math.min(to, completions - 1); i++) out.add(i);
  }
  return out;
}

/** The `"0-2,4"` form of a set of indexes, as `completedIndexes` shows it (`orderedIntervals.String`: two in a row are `"0,1"`). */
export function formatIndexes(indexes: Iterable<number>): string {
  const sorted = [...new Set(indexes)].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j] + 1) j++;
    parts.push(i === j ? `${sorted[i]}` : `${sorted[i]}${j === i + 1 ? ',' : '-'}${sorted[j]}`);
    i = j + 1;
  }
  return parts.join(',');
}

/** `podGenerateNameWithIndex`: `<job>-<index>-`, the job's name cut so the whole stays within 58 characters. */
export function generateNameWithIndex(job: string, index: number): string {
  const suffix = `-${index}-`;
  const prefix = `${job}${suffix}`;
  return prefix.length > 58 ? `${job.slice(0, 58 - suffix.length)}${suffix}` : prefix;
}

/** `controller.ActivePods` order, the first to delete first: unscheduled, pending, not ready, then the newest. */
export function byDeletionPreference(a: KubeObject, b: KubeObject): number {
  const scheduled = (p: KubeObject) => ((p.spec as { nodeName?: string }).nodeName ? 1 : 0);
  const rank = { Pending: 0, Unknown: 1, Running: 2 } as Record<string, number>;
  const phase = (p: KubeObject) => rank[phaseOf(p) ?? 'Pending'] ?? 0;
  const ready = (p: KubeObject) => (isPodReady(p) ? 1 : 0);
  return (
    scheduled(a) - scheduled(b) ||
    phase(a) - phase(b) ||
    ready(a) - ready(b) ||
    Date.parse(b.metadata.creationTimestamp) - Date.parse(a.metadata.creationTimestamp) ||
    (a.metadata.name < b.metadata.name ? -1 : a.metadata.name > b.metadata.name ? 1 : 0)
  );
}
