import { DomainError } from '../../common/domain-error';
import { Container } from '../resources/pod.types';
import { JOB_COMPLETION_INDEX, JOB_COMPLETION_INDEX_ENV, JOB_TRACKING_FINALIZER, JobCondition, JobSpec, JobStatus } from '../resources/job.types';
import { compileSelector } from '../store/label-selector';
import { deepEqual, ObjectStore } from '../store/object-store';
import { resourceTypeByKey } from '../store/resource-types';
import { KubeObject, StoredEvent } from '../store/types';
import { Budget, Controller, UNBOUNDED } from './controller-manager';
import { recordEvent } from './events';
import {
  BackoffRecord,
  byDeletionPreference,
  completionIndexOf,
  formatIndexes,
  generateNameWithIndex,
  hasTrackingFinalizer,
  isPodFailed,
  isTerminating,
  matchPodFailurePolicy,
  MAX_POD_CREATE_DELETE_PER_SYNC,
  nextBackoffRecord,
  onlyReplaceFailedPods,
  parseIndexes,
  phaseOf,
  remainingBackoffMs,
} from './job-pods';
import { delayedDeletionPerIndex, failedIndexesOf, JOB_INDEX_REASONS, matchSuccessPolicy, remainingIndexBackoffMs, replacementFailureAnnotations } from './job-indexes';
import { claim, isPodActive, isPodReady, nowMs, objectKey, OWNED, OwnerWork, podFromTemplate, slowStartBatch, WakeUps, WorkloadControllerOptions } from './pod-template';

const jobs = resourceTypeByKey('jobs.batch')!;
const pods = resourceTypeByKey('pods')!;
const COMPONENT = 'job-controller';

/** The texts of upstream's conditions and events. */
export const JOB_REASONS = {
  backoffLimitExceeded: ['BackoffLimitExceeded', 'Job has reached the specified backoff limit'],
  deadlineExceeded: ['DeadlineExceeded', 'Job was active longer than specified deadline'],
  completionsReached: ['CompletionsReached', 'Reached expected number of succeeded pods'],
} as const;

const isTrue = (status: JobStatus, type: string) => status.conditions?.some((c) => c.type === type && c.status === 'True') ?? false;

/** `IsJobFinished`: Complete or Failed, True. */
export const isJobFinished = (job: KubeObject) => {
  const status = (job.status ?? {}) as JobStatus;
  return isTrue(status, 'Complete') || isTrue(status, 'Failed');
};

/** What one sync works out before it writes (upstream's `syncJobCtx`). */
interface SyncContext {
  job: KubeObject;
  spec: JobSpec;
  status: JobStatus;
  pods: KubeObject[];
  active: KubeObject[];
  ready: number;
  terminating: number;
  succeeded: number;
  failed: number;
  uncountedSucceeded: Set<string>;
  uncountedFailed: Set<string>;
  prevSucceededIndexes: Set<number>;
  succeededIndexes: Set<number>;
  /** With `backoffLimitPerIndex`: the indexes failed for good, and each index's failed pod kept until its replacement exists. */
  failedIndexes?: Set<number>;
  delayed: Map<number, KubeObject>;
  finished?: JobCondition;
  backoff: BackoffRecord;
}

/**
 * The Job controller (upstream's `pkg/controller/job`): creates pods up to `parallelism`
 * (indexed ones with their completion index), counts succeeded and failed pods through the
 * `batch.kubernetes.io/job-tracking` finalizer and `status.uncountedTerminatedPods`, replaces
 * failed pods after the exponential back-off, applies `backoffLimit`, `activeDeadlineSeconds`,
 * `podFailurePolicy` and `suspend`, and finishes the Job in two steps (SuccessCriteriaMet then
 * Complete, FailureTarget then Failed) once its pods are gone. Pods of a deleted Job are
 * collected (background propagation).
 */
export class JobController implements Controller {
  readonly name = COMPONENT;
  private readonly work: OwnerWork;
  private readonly backoffs = new Map<string, BackoffRecord>();

  constructor(
    private readonly store: ObjectStore,
    options: WorkloadControllerOptions = {},
  ) {
    this.work = new OwnerWork(store, jobs, pods, (job) => compileSelector((job.spec as JobSpec).selector), new WakeUps(options.wakeUp), { onFault: options.onFault, name: COMPONENT });
    this.work.scan();
  }

  observe(event: StoredEvent): void {
    if (event.resource === 'jobs.batch') {
      this.work.ownerEvent(event);
      if (event.type === 'DELETED') this.backoffs.delete(objectKey(event.object));
    } else if (event.resource === 'pods') {
      this.work.dependentEvent(event);
    }
  }

  reconcile(budget: Budget = UNBOUNDED): boolean {
    return this.work.run(budget, (job) => this.sync(job));
  }

  unfinished(): boolean {
    return this.work.unfinished;
  }

  private event(job: KubeObject, type: 'Normal' | 'Warning', reason: string, message: string): void {
    recordEvent(this.store, job, type, reason, message, { component: COMPONENT });
  }

  private condition(type: string, reason: string, message: string): JobCondition {
    const now = this.store.now();
    return { type, status: 'True', lastProbeTime: now, lastTransitionTime: now, reason, message };
  }

  /** `syncJob`. */
  private sync(job: KubeObject): void {
    const key = objectKey(job);
    if (isJobFinished(job)) {
      this.backoffs.delete(key);
      return;
    }
    const spec = job.spec as JobSpec;
    if (spec.managedBy !== undefined && spec.managedBy !== 'kubernetes.io/job-controller') return;
    const status = structuredClone((job.status ?? {}) as JobStatus);
    const uncounted = status.uncountedTerminatedPods ?? {};
    const selector = compileSelector(spec.selector);
    const candidates = [...this.store.list(pods, { namespace: job.metadata.namespace, labelSelector: selector }).items, ...this.work.dependentsOf(job)];
    const all = claim({ store: this.store, type: pods, owner: job, selector }, candidates);
    const indexed = spec.completionMode === 'Indexed';
    const completions = spec.completions ?? 0;
    const validIndex = (p: KubeObject) => !indexed || (completionIndexOf(p) >= 0 && completionIndexOf(p) < completions);
    const ctx: SyncContext = {
      job,
      spec,
      status,
      pods: all,
      active: all.filter(isPodActive),
      ready: 0,
      terminating: all.filter(isTerminating).length,
      succeeded: 0,
      failed: 0,
      uncountedSucceeded: new Set(uncounted.succeeded ?? []),
      uncountedFailed: new Set(uncounted.failed ?? []),
      prevSucceededIndexes: new Set(),
      succeededIndexes: new Set(),
      delayed: new Map(),
      backoff: { failuresAfterLastSuccess: 0 },
    };
    ctx.ready = ctx.active.filter(isPodReady).length;
    const tracked = (p: KubeObject, seen: Set<string>) => hasTrackingFinalizer(p) && !seen.has(p.metadata.uid) && validIndex(p);
    const newSucceeded = all.filter((p) => tracked(p, ctx.uncountedSucceeded) && phaseOf(p) === 'Succeeded');
    const newFailed = all.filter((p) => tracked(p, ctx.uncountedFailed) && isPodFailed(p, spec));
    ctx.succeeded = (status.succeeded ?? 0) + newSucceeded.length + ctx.uncountedSucceeded.size;
    ctx.failed = (status.failed ?? 0) + newFailed.filter((p) => matchPodFailurePolicy(spec, p).counts).length + ctx.uncountedFailed.size;
    const now = nowMs(this.store);
    if (status.startTime === undefined && !spec.suspend) status.startTime = this.store.now();
    ctx.backoff = nextBackoffRecord(this.backoffs.get(key), newSucceeded, newFailed);

    ctx.finished = this.finishedBefore(ctx, key, now);
    if (indexed) {
      ctx.prevSucceededIndexes = parseIndexes(status.completedIndexes, completions);
      ctx.succeededIndexes = new Set(ctx.prevSucceededIndexes);
      for (const p of all) if (phaseOf(p) === 'Succeeded' && hasTrackingFinalizer(p) && validIndex(p)) ctx.succeededIndexes.add(completionIndexOf(p));
      ctx.succeeded = ctx.succeededIndexes.size;
      this.indexedFinish(ctx);
    }
    let suspendChanged = false;
    let active = ctx.active.length;
    if (ctx.finished) {
      // A failed Job's pods go (their finalizers stay until they are counted below).
      const { deleted, deletedReady } = this.deletePods(job, ctx.active, false);
      active -= deleted;
      ctx.terminating += deleted;
      ctx.ready -= deletedReady;
    } else {
      if (job.metadata.deletionTimestamp === undefined) active = this.manageJob(ctx, key, now);
      const complete = spec.completions == null ? ctx.succeeded > 0 && active === 0 : ctx.succeeded >= spec.completions && active === 0;
      if (complete) {
        ctx.finished = this.condition('SuccessCriteriaMet', ...JOB_REASONS.completionsReached);
      } else if (job.metadata.deletionTimestamp === undefined) {
        suspendChanged = this.suspendCondition(ctx);
      }
    }
    status.active = active;
    status.ready = ctx.ready;
    status.terminating = ctx.terminating;
    this.trackStatus(ctx, key, suspendChanged);
  }

  /** The finishing condition the Job already has, or one its failures or deadline call for (`FailureTarget`). */
  private finishedBefore(ctx: SyncContext, key: string, now: number): JobCondition | undefined {
    const { status, spec } = ctx;
    const met = status.conditions?.find((c) => c.type === 'SuccessCriteriaMet' && c.status === 'True');
    if (met) return met;
    const target = status.conditions?.find((c) => c.type === 'FailureTarget' && c.status === 'True');
    if (target) return this.condition('Failed', target.reason ?? '', target.message ?? '');
    for (const p of ctx.pods) {
      if (!isPodFailed(p, spec)) continue;
      const message = matchPodFailurePolicy(spec, p).failJob;
      if (message) return this.condition('FailureTarget', 'PodFailurePolicy', message);
    }
    if (ctx.failed > (spec.backoffLimit ?? 6) || this.pastBackoffLimitOnFailure(ctx)) return this.condition('FailureTarget', ...JOB_REASONS.backoffLimitExceeded);
    if (spec.activeDeadlineSeconds !== undefined && status.startTime !== undefined && !spec.suspend) {
      const deadline = Date.parse(status.startTime) + spec.activeDeadlineSeconds * 1000;
      if (now >= deadline) return this.condition('FailureTarget', ...JOB_REASONS.deadlineExceeded);
      this.work.wakeUps.at(key, deadline, now);
    }
    return undefined;
  }

  /** The failed indexes (`MaxFailedIndexesExceeded`, `FailedIndexes`), then the success policy (`SuccessPolicy`), for an Indexed Job not finished yet. */
  private indexedFinish(ctx: SyncContext): void {
    const { spec, status } = ctx;
    if (spec.backoffLimitPerIndex != null) {
      const failed = (ctx.failedIndexes = failedIndexesOf(spec, status, ctx.pods));
      if (!ctx.finished) {
        if (spec.maxFailedIndexes != null && failed.size > spec.maxFailedIndexes) ctx.finished = this.condition('FailureTarget', ...JOB_INDEX_REASONS.maxFailedIndexesExceeded);
        else if (failed.size > 0 && failed.size + ctx.succeededIndexes.size >= (spec.completions ?? 0)) ctx.finished = this.condition('FailureTarget', ...JOB_INDEX_REASONS.failedIndexes);
      }
      ctx.delayed = delayedDeletionPerIndex(spec, ctx.pods, ctx.active, ctx.succeededIndexes, failed);
    }
    if (ctx.finished) return;
    const matched = matchSuccessPolicy(spec, ctx.succeededIndexes);
    if (matched) ctx.finished = this.condition('SuccessCriteriaMet', JOB_INDEX_REASONS.successPolicy, matched);
  }

  /** `pastBackoffLimitOnFailure`: under OnFailure, the restarts of running and pending pods' containers reach backoffLimit. */
  private pastBackoffLimitOnFailure(ctx: SyncContext): boolean {
    if (ctx.spec.template?.spec?.restartPolicy !== 'OnFailure') return false;
    let restarts = 0;
    for (const p of ctx.pods) {
      const phase = phaseOf(p);
      if (phase !== 'Running' && phase !== 'Pending') continue;
      const status = (p.status ?? {}) as { containerStatuses?: Array<{ restartCount?: number }>; initContainerStatuses?: Array<{ restartCount?: number }> };
      for (const c of [...(status.initContainerStatuses ?? []), ...(status.containerStatuses ?? [])]) restarts += c.restartCount ?? 0;
    }
    const limit = ctx.spec.backoffLimit ?? 6;
    return limit === 0 ? restarts > 0 : restarts >= limit;
  }

  /** `manageJob`: deletes pods of a suspended Job or beyond what is wanted, or creates the missing ones after the back-off. Returns the active count. */
  private manageJob(ctx: SyncContext, key: string, now: number): number {
    const { spec, job } = ctx;
    const active = ctx.active.length;
    if (spec.suspend) {
      const { deleted, deletedReady } = this.deletePods(job, [...ctx.active].sort(byDeletionPreference), true);
      ctx.terminating += deleted;
      ctx.ready -= deletedReady;
      return active - deleted;
    }
    const parallelism = spec.parallelism ?? 1;
    let wantActive: number;
    if (spec.completions == null) wantActive = ctx.succeeded > 0 ? active : parallelism;
    else wantActive = Math.max(0, Math.min(spec.completions - ctx.succeeded, parallelism));
    const toDelete = this.podsForRemoval(ctx, Math.max(0, active - wantActive)).slice(0, MAX_POD_CREATE_DELETE_PER_SYNC);
    if (toDelete.length > 0) {
      const { deleted, deletedReady } = this.deletePods(job, toDelete, true);
      ctx.terminating += deleted;
      ctx.ready -= deletedReady;
      return active - deleted;
    }
    const terminating = onlyReplaceFailedPods(spec) ? ctx.terminating : 0;
    let diff = wantActive - terminating - active;
    if (diff <= 0) return active;
    // With backoffLimitPerIndex each index waits on its own failures, not the Job's.
    const remaining = spec.backoffLimitPerIndex == null ? remainingBackoffMs(ctx.backoff, now) : 0;
    if (remaining > 0) {
      this.work.wakeUps.at(key, now + remaining, now);
      return active;
    }
    diff = Math.min(diff, MAX_POD_CREATE_DELETE_PER_SYNC);
    let indexes = spec.completionMode === 'Indexed' ? this.firstPendingIndexes(ctx, diff) : [];
    if (spec.completionMode === 'Indexed' && spec.backoffLimitPerIndex != null) {
      // `getPodCreationInfoForIndependentIndexes`: the indexes whose own back-off is over; if none, wake at the first.
      const waits = indexes.map((ix) => remainingIndexBackoffMs(ctx.delayed.get(ix), now));
      const ready = indexes.filter((_, i) => waits[i] === 0);
      if (ready.length === 0 && indexes.length > 0) {
        this.work.wakeUps.at(key, now + Math.min(...waits), now);
        return active;
      }
      indexes = ready;
    }
    if (spec.completionMode === 'Indexed') diff = indexes.length;
    const created = slowStartBatch(diff, (i) => this.createPod(job, spec, spec.completionMode === 'Indexed' ? indexes[i] : undefined, ctx.delayed));
    return active + created;
  }

  /** `firstPendingIndexes`: the lowest indexes neither succeeded, failed for good, nor held by an active pod (or, when only failed pods are replaced, a terminating one). */
  private firstPendingIndexes(ctx: SyncContext, count: number): number[] {
    const taken = new Set([...ctx.succeededIndexes, ...(ctx.failedIndexes ?? [])]);
    for (const p of ctx.active) taken.add(completionIndexOf(p));
    if (onlyReplaceFailedPods(ctx.spec)) for (const p of ctx.pods) if (isTerminating(p)) taken.add(completionIndexOf(p));
    const out: number[] = [];
    for (let i = 0; i < (ctx.spec.completions ?? 0) && out.length < count; i++) if (!taken.has(i)) out.push(i);
    return out;
  }

  /** `activePodsForRemoval`: for an indexed Job, pods with a repeated or invalid index first; then in `ActivePods` order. */
  private podsForRemoval(ctx: SyncContext, atLeast: number): KubeObject[] {
    const remove: KubeObject[] = [];
    let left = ctx.active;
    if (ctx.spec.completionMode === 'Indexed') {
      const seen = new Set<number>();
      left = [];
      for (const p of [...ctx.active].sort((a, b) => completionIndexOf(a) - completionIndexOf(b))) {
        const ix = completionIndexOf(p);
        if (ix < 0 || ix >= (ctx.spec.completions ?? 0) || seen.has(ix) || ctx.succeededIndexes.has(ix)) remove.push(p);
        else {
          seen.add(ix);
          left.push(p);
        }
      }
    }
    if (remove.length < atLeast) remove.push(...[...left].sort(byDeletionPreference).slice(0, atLeast - remove.length));
    return remove;
  }

  /** A pod from the template: the tracking finalizer, and for an indexed Job its index (annotation, label, hostname, env). */
  private createPod(job: KubeObject, spec: JobSpec, index: number | undefined, delayed: Map<number, KubeObject>): boolean {
    const body = podFromTemplate(spec.template ?? {}, job);
    body.metadata!.finalizers = [...(body.metadata!.finalizers ?? []).filter((f) => f !== JOB_TRACKING_FINALIZER), JOB_TRACKING_FINALIZER];
    if (index !== undefined) {
      body.metadata!.generateName = generateNameWithIndex(job.metadata.name, index);
      body.metadata!.annotations = { ...(body.metadata!.annotations ?? {}), [JOB_COMPLETION_INDEX]: String(index) };
      if (spec.backoffLimitPerIndex != null) Object.assign(body.metadata!.annotations, replacementFailureAnnotations(spec, delayed.get(index)));
      body.metadata!.labels = { ...(body.metadata!.labels ?? {}), [JOB_COMPLETION_INDEX]: String(index) };
      body.spec.hostname = `${job.metadata.name}-${index}`;
      const withEnv = (c: Container & { env?: Array<{ name: string }> }) =>
        c.env?.some((e) => e.name === JOB_COMPLETION_INDEX_ENV)
          ? c
          : { ...c, env: [...(c.env ?? []), { name: JOB_COMPLETION_INDEX_ENV, valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: `metadata.annotations['${JOB_COMPLETION_INDEX}']` } } }] };
      body.spec.containers = body.spec.containers.map(withEnv);
      if (body.spec.initContainers) body.spec.initContainers = body.spec.initContainers.map(withEnv);
    }
    try {
      const pod = this.store.create(pods, body, job.metadata.namespace, OWNED);
      this.event(job, 'Normal', 'SuccessfulCreate', `Created pod: ${pod.metadata.name}`);
      return true;
    } catch (e) {
      if (!(e instanceof DomainError)) throw e;
      this.event(job, 'Warning', 'FailedCreate', `Error creating: ${e.message}`);
      return false;
    }
  }

  /** Deletes pods (`deleteJobPods` takes their finalizer off first: they are not counted; `deleteActivePods` keeps it). */
  private deletePods(job: KubeObject, victims: KubeObject[], dropFinalizer: boolean): { deleted: number; deletedReady: number } {
    let deleted = 0;
    let deletedReady = 0;
    for (const pod of victims) {
      try {
        if (dropFinalizer) this.removeFinalizer(pod);
        this.store.delete(pods, pod.metadata.namespace, pod.metadata.name);
        this.event(job, 'Normal', 'SuccessfulDelete', `Deleted pod: ${pod.metadata.name}`);
      } catch (e) {
        if (!(e instanceof DomainError)) throw e;
        if (e.code !== 'NOT_FOUND') {
          this.event(job, 'Warning', 'FailedDelete', `Error deleting: ${e.message}`);
          continue;
        }
      }
      deleted++;
      if (isPodReady(pod)) deletedReady++;
    }
    return { deleted, deletedReady };
  }

  private removeFinalizer(pod: KubeObject): boolean {
    if (!hasTrackingFinalizer(pod)) return true;
    const rest = (pod.metadata.finalizers ?? []).filter((f) => f !== JOB_TRACKING_FINALIZER);
    try {
      this.store.patch(pods, pod.metadata.namespace, pod.metadata.name, { metadata: { finalizers: rest.length ? rest : null } });
      return true;
    } catch (e) {
      if (!(e instanceof DomainError)) throw e;
      return e.code === 'NOT_FOUND';
    }
  }

  /** The Suspended condition (`ensureJobConditionStatus`), its event, and a resumed Job's new startTime. */
  private suspendCondition(ctx: SyncContext): boolean {
    const { status, spec, job } = ctx;
    const current = status.conditions?.find((c) => c.type === 'Suspended');
    const want = spec.suspend ? 'True' : 'False';
    if (current ? current.status === want : want === 'False') return false;
    const now = this.store.now();
    const [reason, message] = spec.suspend ? ['JobSuspended', 'Job suspended'] : ['JobResumed', 'Job resumed'];
    const condition: JobCondition = { type: 'Suspended', status: want, lastProbeTime: now, lastTransitionTime: now, reason, message };
    status.conditions = current ? status.conditions!.map((c) => (c === current ? condition : c)) : [...(status.conditions ?? []), condition];
    this.event(job, 'Normal', spec.suspend ? 'Suspended' : 'Resumed', message);
    // The active deadline counts from the resume.
    if (!spec.suspend) status.startTime = now;
    return true;
  }

  /**
   * `trackJobStatusAndRemoveFinalizers`: finished pods go into `uncountedTerminatedPods` (one
   * status write), their finalizers come off, they move into the counters, and the Job is
   * finished once nothing is uncounted or terminating (a second write).
   */
  private trackStatus(ctx: SyncContext, key: string, suspendChanged: boolean): void {
    const { spec, status, job } = ctx;
    const indexed = spec.completionMode === 'Indexed';
    const completions = spec.completions ?? 0;
    const uncounted = { succeeded: [...(status.uncountedTerminatedPods?.succeeded ?? [])], failed: [...(status.uncountedTerminatedPods?.failed ?? [])] };
    status.uncountedTerminatedPods = uncounted;
    const withFinalizer = new Set(ctx.pods.filter(hasTrackingFinalizer).map((p) => p.metadata.uid));
    cleanUncounted(status, withFinalizer);
    const toRemove: KubeObject[] = [];
    const order = indexed ? [...ctx.pods].sort((a, b) => completionIndexOf(a) - completionIndexOf(b)) : ctx.pods;
    for (const pod of order) {
      if (!hasTrackingFinalizer(pod)) continue;
      const failed = isPodFailed(pod, spec);
      if (!ctx.finished && phaseOf(pod) !== 'Succeeded' && !failed) continue;
      const uid = pod.metadata.uid;
      const ix = completionIndexOf(pod);
      // `canRemoveFinalizer`: an index's last failed pod stays until its replacement carries the failure count on.
      if (!ctx.finished && job.metadata.deletionTimestamp === undefined && phaseOf(pod) !== 'Succeeded' && ctx.delayed.get(ix)?.metadata.uid === uid) continue;
      toRemove.push(pod);
      if (phaseOf(pod) === 'Succeeded' && !uncounted.failed.includes(uid)) {
        if (!indexed && !uncounted.succeeded.includes(uid)) uncounted.succeeded.push(uid);
      } else if (failed || (ctx.finished && ctx.finished.type !== 'SuccessCriteriaMet')) {
        if (!uncounted.failed.includes(uid) && (!indexed || (ix >= 0 && ix < completions)) && matchPodFailurePolicy(spec, pod).counts) uncounted.failed.push(uid);
      }
    }
    if (indexed) {
      status.succeeded = ctx.succeededIndexes.size;
      status.completedIndexes = formatIndexes(ctx.succeededIndexes);
      if (ctx.failedIndexes) status.failedIndexes = formatIndexes(ctx.failedIndexes);
    }
    let finished = ctx.finished;
    if (finished?.type === 'FailureTarget') {
      status.conditions = [...(status.conditions ?? []), finished];
      finished = this.condition('Failed', finished.reason ?? '', finished.message ?? '');
    } else if (finished?.type === 'SuccessCriteriaMet') {
      if (!status.conditions?.some((c) => c.type === 'SuccessCriteriaMet')) status.conditions = [...(status.conditions ?? []), finished];
      finished = this.condition('Complete', finished.reason ?? '', finished.message ?? '');
    }
    let current = this.write(job, status, suspendChanged);
    this.backoffs.set(key, ctx.backoff);
    for (const pod of toRemove) if (this.removeFinalizer(pod)) withFinalizer.delete(pod.metadata.uid);
    cleanUncounted(status, withFinalizer);
    let done = false;
    if (finished && uncounted.succeeded.length + uncounted.failed.length === 0 && ctx.terminating === 0) {
      status.conditions = [...(status.conditions ?? []).filter((c) => c.type !== finished!.type), finished];
      if (finished.type === 'Complete') status.completionTime = finished.lastTransitionTime;
      done = true;
    }
    current = this.write(current, status, false);
    if (!done) return;
    this.backoffs.delete(key);
    if (finished!.type === 'Complete') {
      if (spec.completions != null && (status.succeeded ?? 0) > spec.completions) this.event(current, 'Warning', 'TooManySucceededPods', 'Too many succeeded pods running after completion count reached');
      this.event(current, 'Normal', 'Completed', 'Job completed');
    } else {
      this.event(current, 'Warning', finished!.reason ?? 'Failed', finished!.message ?? '');
    }
  }

  /** Writes the status if it changed (zero counters left out, as Go's `omitempty`; `ready` and `terminating` always shown). */
  private write(job: KubeObject, status: JobStatus, force: boolean): KubeObject {
    const out: JobStatus = { ...status };
    for (const k of ['active', 'succeeded', 'failed'] as const) if (!out[k]) delete out[k];
    const uncounted = out.uncountedTerminatedPods ?? {};
    out.uncountedTerminatedPods = {
      ...(uncounted.succeeded?.length ? { succeeded: [...uncounted.succeeded] } : {}),
      ...(uncounted.failed?.length ? { failed: [...uncounted.failed] } : {}),
    };
    if (out.completedIndexes === undefined || (out.completedIndexes === '' && (job.spec as JobSpec).completionMode !== 'Indexed')) delete out.completedIndexes;
    if (!force && deepEqual(out, job.status)) return job;
    try {
      return this.store.updateStatus(jobs, job.metadata.namespace, job.metadata.name, { ...job, status: out }, OWNED);
    } catch (e) {
      if (!(e instanceof DomainError) || e.code !== 'NOT_FOUND') throw e;
      return job;
    }
  }
}

/** `cleanUncountedPodsWithoutFinalizers`: pods whose finalizer is off move from the uncounted lists into the counters. */
function cleanUncounted(status: JobStatus, withFinalizer: Set<string>): void {
  const uncounted = status.uncountedTerminatedPods!;
  const keepSucceeded = (uncounted.succeeded ?? []).filter((uid) => withFinalizer.has(uid));
  status.succeeded = (status.succeeded ?? 0) + (uncounted.succeeded ?? []).length - keepSucceeded.length;
  const keepFailed = (uncounted.failed ?? []).filter((uid) => withFinalizer.has(uid));
  status.failed = (status.failed ?? 0) + (uncounted.failed ?? []).length - keepFailed.length;
  uncounted.succeeded = keepSucceeded;
  uncounted.failed = keepFailed;
}
