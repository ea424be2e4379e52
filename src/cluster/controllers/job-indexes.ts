/**
 * The per-index parts of an Indexed Job (upstream's `indexed_job_utils.go` and
 * `success_policy.go`, KEP-3850 and KEP-3998): with `backoffLimitPerIndex`, how many times each
 * index has failed (the `batch.kubernetes.io/job-index-failure-count` annotation carried from a
 * failed pod to its replacement), which indexes failed for good, which failed pod is kept until
 * its replacement exists, and each index's own back-off; and whether a `successPolicy` is met.
 */
import { JOB_INDEX_FAILURE_COUNT, JOB_INDEX_IGNORED_FAILURE_COUNT, JobSpec, JobStatus } from '../resources/job.types';
import { KubeObject } from '../store/types';
import { completionIndexOf, finishedTimeOf, hasTrackingFinalizer, isPodFailed, matchPodFailurePolicy, parseIndexes, remainingBackoffMs } from './job-pods';

export const JOB_INDEX_REASONS = {
  maxFailedIndexesExceeded: ['MaxFailedIndexesExceeded', 'Job has exceeded the specified maximal number of failed indexes'],
  failedIndexes: ['FailedIndexes', 'Job has failed indexes'],
  successPolicy: 'SuccessPolicy',
} as const;

const MAX_INT32 = 2147483647;

/** `parseInt32`: an annotation's count, 0 when absent, unreadable, negative or past int32. */
function countAnnotation(pod: KubeObject, key: string): number {
  const text = pod.metadata.annotations?.[key];
  if (text === undefined || !/^[+-]?\d+$/.test(text)) return 0;
  const n = Number(text);
  return n < 0 || n > MAX_INT32 ? 0 : n;
}

export const indexFailureCount = (pod: KubeObject) => countAnnotation(pod, JOB_INDEX_FAILURE_COUNT);
const absoluteFailureCount = (pod: KubeObject) => indexFailureCount(pod) + countAnnotation(pod, JOB_INDEX_IGNORED_FAILURE_COUNT);

const validIndex = (pod: KubeObject, completions: number) => {
  const ix = completionIndexOf(pod);
  return ix >= 0 && ix < completions;
};

/** `isIndexFailed`: a failed pod whose index has used up `backoffLimitPerIndex`, or one a `FailIndex` rule matched. */
export function isIndexFailed(spec: JobSpec, pod: KubeObject): boolean {
  if (!isPodFailed(pod, spec)) return false;
  let counted = true;
  if (spec.podFailurePolicy) {
    const match = matchPodFailurePolicy(spec, pod);
    if (match.action === 'FailIndex') return true;
    counted = match.counts;
  }
  return counted && indexFailureCount(pod) >= (spec.backoffLimitPerIndex ?? 0);
}

/** `calculateFailedIndexes`: those of `status.failedIndexes` and those failed since (pods still carrying the tracking finalizer). */
export function failedIndexesOf(spec: JobSpec, status: JobStatus, pods: KubeObject[]): Set<number> {
  const completions = spec.completions ?? 0;
  const failed = parseIndexes(status.failedIndexes, completions);
  for (const p of pods) if (validIndex(p, completions) && hasTrackingFinalizer(p) && isIndexFailed(spec, p)) failed.add(completionIndexOf(p));
  return failed;
}

/**
 * `getPodsWithDelayedDeletionPerIndex`: for each index still to run that has no active pod, its
 * last failed pod, whose finalizer stays (so it is neither counted nor gone) until a replacement
 * carries its failure count on.
 */
export function delayedDeletionPerIndex(spec: JobSpec, pods: KubeObject[], active: KubeObject[], succeeded: Set<number>, failed: Set<number>): Map<number, KubeObject> {
  const completions = spec.completions ?? 0;
  const activeIndexes = new Set(active.map(completionIndexOf));
  const out = new Map<number, KubeObject>();
  for (const p of pods) {
    if (!hasTrackingFinalizer(p) || !validIndex(p, completions) || !isPodFailed(p, spec)) continue;
    const ix = completionIndexOf(p);
    if (succeeded.has(ix) || failed.has(ix) || activeIndexes.has(ix)) continue;
    const last = out.get(ix);
    if (!last || (absoluteFailureCount(last) <= absoluteFailureCount(p) && finishedTimeOf(p) >= finishedTimeOf(last))) out.set(ix, p);
  }
  return out;
}

/** `getNewIndexFailureCounts`: the annotations of the pod that replaces `replaced` (none: a first pod, 0). */
export function replacementFailureAnnotations(spec: JobSpec, replaced: KubeObject | undefined): Record<string, string> {
  let failures = 0;
  let ignored = 0;
  if (replaced) {
    failures = indexFailureCount(replaced);
    ignored = countAnnotation(replaced, JOB_INDEX_IGNORED_FAILURE_COUNT);
    if (!spec.podFailurePolicy || matchPodFailurePolicy(spec, replaced).counts) failures++;
    else ignored++;
  }
  return { [JOB_INDEX_FAILURE_COUNT]: String(failures), ...(ignored > 0 ? { [JOB_INDEX_IGNORED_FAILURE_COUNT]: String(ignored) } : {}) };
}

/** `getRemainingTimePerIndex`: how long the index's replacement still waits, from its last failed pod's failures. */
export function remainingIndexBackoffMs(lastFailed: KubeObject | undefined, now: number): number {
  if (!lastFailed) return 0;
  return remainingBackoffMs({ failuresAfterLastSuccess: absoluteFailureCount(lastFailed) + 1, lastFailureTime: finishedTimeOf(lastFailed) }, now);
}

/** `matchSuccessPolicy`: the message of the first rule the succeeded indexes meet (`Matched rules at index 0`), if any. */
export function matchSuccessPolicy(spec: JobSpec, succeeded: Set<number>): string | undefined {
  const rules = spec.successPolicy?.rules;
  if (!rules || succeeded.size === 0) return undefined;
  const completions = spec.completions ?? 0;
  for (const [index, rule] of rules.entries()) {
    if (rule.succeededIndexes != null) {
      const required = parseIndexes(rule.succeededIndexes, completions);
      if (required.size === 0) continue;
      let contains = 0;
      for (const ix of required) if (succeeded.has(ix)) contains++;
      if (contains === required.size || (rule.succeededCount != null && contains >= rule.succeededCount)) return `Matched rules at index ${index}`;
    } else if (rule.succeededCount != null && succeeded.size >= rule.succeededCount) {
      return `Matched rules at index ${index}`;
    }
  }
  return undefined;
}
