import { Clock, timestamp } from '../../common/clock';
import { DomainError } from '../../common/domain-error';
import { FaultHandler } from '../faults';
import { CronSchedule, parseCronSchedule } from '../cron/cron-schedule';
import { mostRecentScheduleTime, NEXT_SCHEDULE_DELTA_MS, nextScheduleDelay, ScheduleState, scheduledJobName } from '../cron/schedule-times';
import { Zone } from '../cron/zoned-time';
import { CronJobSpec } from '../resources/cronjob.strategy';
import { TIMER_RETRY_FIRST_MS, TIMER_RETRY_MAX_MS } from '../simulation-clock';
import { ObjectStore } from '../store/object-store';
import { resourceKey, resourceTypeByKey } from '../store/resource-types';
import { KubeObject, StoredEvent } from '../store/types';
import { Budget, Controller, SteppedBatch, Steps, UNBOUNDED } from './controller-manager';
import { recordEvent } from './events';
import { controllerRefOf, objectKey, OWNED, splitKey, WakeUps } from './pod-template';

const cronJobs = resourceTypeByKey('cronjobs.batch')!;
const jobs = resourceTypeByKey('jobs.batch')!;
const CRONJOBS = resourceKey(cronJobs);
const JOBS = resourceKey(jobs);

const COMPONENT = 'cronjob-controller';
/** The annotation with the time a Job was scheduled for, RFC 3339 in the CronJob's zone. */
export const SCHEDULED_TIMESTAMP_ANNOTATION = 'batch.kubernetes.io/cronjob-scheduled-timestamp';

/** A `status.active` entry: an ObjectReference to a Job, in the order of its JSON fields. */
export interface JobReference {
  kind: string;
  namespace?: string;
  name: string;
  uid?: string;
  apiVersion?: string;
  resourceVersion?: string;
}

export interface CronJobStatus {
  active?: JobReference[];
  lastScheduleTime?: string;
  lastSuccessfulTime?: string;
}

interface JobStatus {
  conditions?: Array<{ type: string; status: string }>;
  startTime?: string;
  completionTime?: string;
}

/** `Complete` or `Failed` when a condition of that type is True, as the controller reads a Job (`getFinishedStatus`). */
export function jobFinishedAs(job: KubeObject): 'Complete' | 'Failed' | undefined {
  for (const c of (job.status as JobStatus | undefined)?.conditions ?? []) {
    if ((c.type === 'Complete' || c.type === 'Failed') && c.status === 'True') return c.type;
  }
  return undefined;
}

/** Go's `time.RFC1123Z` of an instant in UTC: `Thu, 01 Jan 2026 00:05:00 +0000`. */
export function rfc1123z(ms: number): string {
  const d = new Date(ms);
  const pad = (n: number) => String(n).padStart(2, '0');
  const day = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'][d.getUTCDay()];
  const month = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'][d.getUTCMonth()];
  return `${day}, ${pad(d.getUTCDate())} ${month} ${d.getUTCFullYear()} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} +0000`;
}


/** Oldest start first, Jobs not started last, ties by name (upstream's `byJobStartTime`). */
function byJobStartTime(a: KubeObject, b: KubeObject): number {
  const sa = (a.status as JobStatus | undefined)?.startTime;
  const sb = (b.status as JobStatus | undefined)?.startTime;
  if (sb === undefined) return sa !== undefined ? -1 : 0;
  if (sa === undefined) return 1;
  const ta = Date.parse(sa);
  const tb = Date.parse(sb);
  if (ta === tb) return a.metadata.name < b.metadata.name ? -1 : a.metadata.name > b.metadata.name ? 1 : 0;
  return ta - tb;
}

export interface CronJobControllerOptions {
  /** Asks for the controllers to run again at an instant of the simulated clock (see `WorkloadControllerOptions.wakeUp`). */
  wakeUp?: (atMs: number) => void;
  /** Where a failed sync goes; the CronJob is synced again after a backoff. Without it the error is thrown. */
  onFault?: FaultHandler;
}

/**
 * The CronJob controller (kube-controller-manager's `cronjob` v2): at each
 * scheduled time it makes a Job from `spec.jobTemplate`, named after the
 * CronJob and the scheduled time in minutes since the epoch, and keeps
 * `status.active`, `lastScheduleTime` and `lastSuccessfulTime`. It follows
 * upstream's sync: finished Jobs beyond the history limits are deleted
 * first (oldest start first); then only the most recent scheduled time not
 * yet run is considered (`mostRecentScheduleTime`: missed times are never
 * run one by one, and more than 100 missed is a warning), within
 * `startingDeadlineSeconds`, as `concurrencyPolicy` allows. A CronJob is
 * looked at again at its next scheduled time, on the simulated clock: a
 * long clock advance costs one sync per scheduled time, never one per minute. Its Events are upstream's (`source.component` cronjob-controller).
 */
export class CronJobController implements Controller {
  readonly name = COMPONENT;
  private readonly queue = new Set<string>();
  private readonly wakeUps: WakeUps;
  private readonly batch = new SteppedBatch();
  /** Job keys by the `namespace/name` their controller reference names (upstream lists a namespace's Jobs by that name). */
  private readonly jobsByController = new Map<string, Set<string>>();
  /** Per CronJob key, how many syncs in a row failed (for the backoff). */
  private readonly failures = new Map<string, number>();
  /** Per CronJob key, its schedule as last parsed, and the text it was parsed from. */
  private readonly schedules = new Map<string, { text: string; schedule: CronSchedule }>();

  constructor(
    private readonly store: ObjectStore,
    private readonly clock: Clock,
    private readonly options: CronJobControllerOptions = {},
  ) {
    this.wakeUps = new WakeUps(options.wakeUp);
    for (const job of store.list(jobs).items) this.index(job);
    for (const cj of store.list(cronJobs).items) this.queue.add(objectKey(cj));
  }

  observe(event: StoredEvent): void {
    if (event.resource === CRONJOBS) this.cronJobEvent(event);
    else if (event.resource === JOBS) this.jobEvent(event);
  }

  reconcile(budget: Budget = UNBOUNDED): boolean {
    return this.batch.run(budget, () => {
      for (const key of this.wakeUps.take(this.clock.now())) this.queue.add(key);
      return this.queue.size === 0 ? undefined : this.steps();
    });
  }

  unfinished(): boolean {
    return this.batch.unfinished;
  }

  private *steps(): Steps {
    const keys = [...this.queue].sort();
    this.queue.clear();
    for (const key of keys) {
      try {
        this.sync(key);
        this.failures.delete(key);
      } catch (e) {
        if (e instanceof Refused) this.retryLater(key);
        else if (!this.options.onFault) throw e;
        else this.retryLater(key, e);
      }
      yield;
    }
  }

  // ---- what to look at ---------------------------------------------------------

  private cronJobEvent(event: StoredEvent): void {
    const key = objectKey(event.object);
    if (event.type !== 'MODIFIED' || !event.previous) {
      if (event.type === 'DELETED') this.schedules.delete(key);
      this.queue.add(key);
      return;
    }
    const before = (event.previous.spec ?? {}) as CronJobSpec;
    const now = (event.object.spec ?? {}) as CronJobSpec;
    if (before.schedule === now.schedule && (before.timeZone ?? null) === (now.timeZone ?? null)) {
      this.queue.add(key);
      return;
    }
    // A new schedule: looked at again at its next time (upstream's `updateCronJob`), not now.
    const schedule = this.scheduleOf(event.object);
    if (!schedule) {
      this.event(event.object, 'Warning', 'UnParseableCronJobSchedule', `unparseable schedule for cronjob: ${now.schedule}`);
      return;
    }
    const at = this.clock.now();
    this.wakeUps.at(key, at + untilNext(this.stateOf(event.object), at, schedule), at);
  }

  private jobEvent(event: StoredEvent): void {
    const job = event.object;
    if (event.type === 'DELETED') this.unindex(job);
    else {
      if (event.previous) this.unindex(event.previous);
      this.index(job);
    }
    const now = controllerRefOf(event.type === 'DELETED' ? undefined : job);
    const before = event.type === 'MODIFIED' ? controllerRefOf(event.previous) : event.type === 'DELETED' ? controllerRefOf(job) : undefined;
    for (const ref of [before, now]) {
      if (ref?.kind !== 'CronJob') continue;
      const cj = this.store.tryGet(cronJobs, job.metadata.namespace, ref.name);
      if (cj?.metadata.uid === ref.uid) this.queue.add(objectKey(cj));
    }
  }

  private index(job: KubeObject): void {
    const ref = controllerRefOf(job);
    if (!ref) return;
    const owner = `${job.metadata.namespace ?? ''}/${ref.name}`;
    let set = this.jobsByController.get(owner);
    if (!set) {
      set = new Set();
      this.jobsByController.set(owner, set);
    }
    set.add(objectKey(job));
  }

  private unindex(job: KubeObject): void {
    const ref = controllerRefOf(job);
    if (!ref) return;
    const owner = `${job.metadata.namespace ?? ''}/${ref.name}`;
    const set = this.jobsByController.get(owner);
    set?.delete(objectKey(job));
    if (set?.size === 0) this.jobsByController.delete(owner);
  }

  /** The Jobs whose controller reference names the CronJob (`getJobsToBeReconciled`), by name. */
  private jobsOf(cj: KubeObject): KubeObject[] {
    const out: KubeObject[] = [];
    for (const key of [...(this.jobsByController.get(objectKey(cj)) ?? [])].sort()) {
      const [namespace, name] = splitKey(key);
      const job = this.store.tryGet(jobs, namespace, name);
      if (job) out.push(job);
    }
    return out;
  }

  /** Syncs `key` again after a backoff (1 s, doubling up to 1,000 s); an error of ours is reported. */
  private retryLater(key: string, error?: unknown): void {
    const failures = (this.failures.get(key) ?? 0) + 1;
    this.failures.set(key, failures);
    if (error !== undefined) this.options.onFault!(`${COMPONENT} sync of ${key}`, error);
    const now = this.clock.now();
    this.wakeUps.at(key, now + Math.min(TIMER_RETRY_FIRST_MS * 2 ** (failures - 1), TIMER_RETRY_MAX_MS), now);
  }

  // ---- the sync ------------------------------------------------------------------

  private sync(key: string): void {
    const [namespace, name] = splitKey(key);
    const cj = this.store.tryGet(cronJobs, namespace, name);
    if (!cj) return;
    const children = this.jobsOf(cj);
    const status = { ...((cj.status ?? {}) as CronJobStatus) };
    const before = signature(status);
    this.cleanupFinishedJobs(cj, status, children);
    let failure: unknown;
    let requeueAfter: number | undefined;
    try {
      requeueAfter = this.syncCronJob(cj, status, children);
    } catch (e) {
      failure = e;
    }
    if (signature(status) !== before) {
      if (status.active?.length === 0) delete status.active;
      // Built here from frozen parts of the stored status: handed over, not copied (a list of thousands of active Jobs).
      this.store.updateStatus(cronJobs, namespace, name, { status }, OWNED);
    }
    if (failure !== undefined) throw failure;
    if (requeueAfter !== undefined) {
      const now = this.clock.now();
      this.wakeUps.at(key, now + requeueAfter, now);
    }
  }

  /** Deletes the oldest finished Jobs beyond `successfulJobsHistoryLimit` and `failedJobsHistoryLimit`. */
  private cleanupFinishedJobs(cj: KubeObject, status: CronJobStatus, children: KubeObject[]): void {
    const spec = cj.spec as CronJobSpec;
    if (spec.successfulJobsHistoryLimit == null && spec.failedJobsHistoryLimit == null) return;
    const succeeded = children.filter((j) => jobFinishedAs(j) === 'Complete');
    const failed = children.filter((j) => jobFinishedAs(j) === 'Failed');
    if (spec.successfulJobsHistoryLimit != null) this.removeOldestJobs(cj, status, succeeded, spec.successfulJobsHistoryLimit);
    if (spec.failedJobsHistoryLimit != null) this.removeOldestJobs(cj, status, failed, spec.failedJobsHistoryLimit);
  }

  private removeOldestJobs(cj: KubeObject, status: CronJobStatus, finished: KubeObject[], limit: number): void {
    const surplus = finished.length - limit;
    if (surplus <= 0) return;
    const oldestFirst = [...finished].sort(byJobStartTime);
    for (let i = 0; i < surplus; i++) this.deleteJob(cj, status, oldestFirst[i]);
  }

  /** Deletes a Job (background propagation: the garbage collector takes its pods) and its `status.active` entry. */
  private deleteJob(cj: KubeObject, status: CronJobStatus, job: KubeObject): boolean {
    try {
      if (!job.metadata.deletionTimestamp) this.store.delete(jobs, job.metadata.namespace, job.metadata.name);
    } catch (e) {
      if (!(e instanceof DomainError)) throw e;
      this.event(cj, 'Warning', 'FailedDelete', `Deleted job: ${e.message}`);
      return false;
    }
    removeActive(status, job.metadata.uid);
    this.event(cj, 'Normal', 'SuccessfulDelete', `Deleted job ${job.metadata.name}`);
    return true;
  }

  /**
   * Upstream's `syncCronJob`: brings `status` up to date with the Jobs, then
   * starts the Job due, if any. Returns when to look again (ms), or
   * undefined for never (until the CronJob changes).
   */
  private syncCronJob(cj: KubeObject, status: CronJobStatus, children: KubeObject[]): number | undefined {
    const now = this.clock.now();
    const seen = new Set<string>();
    // Looked up once per Job: a CronJob whose Jobs never end may list thousands.
    const activeUids = new Set((status.active ?? []).map((r) => r.uid));
    for (const job of children) {
      seen.add(job.metadata.uid);
      const active = activeUids.has(job.metadata.uid);
      const finished = jobFinishedAs(job);
      if (!active && finished === undefined) {
        this.event(cj, 'Warning', 'UnexpectedJob', `Saw a job that the controller did not create or forgot: ${job.metadata.name}`);
      } else if (finished !== undefined) {
        if (active) {
          removeActive(status, job.metadata.uid);
          this.event(cj, 'Normal', 'SawCompletedJob', `Saw completed job: ${job.metadata.name}, condition: ${finished}`);
        }
        const completed = (job.status as JobStatus | undefined)?.completionTime;
        if (finished === 'Complete') {
          if (status.lastSuccessfulTime === undefined) {
            if (completed !== undefined) status.lastSuccessfulTime = completed;
          } else if (completed !== undefined && Date.parse(completed) > Date.parse(status.lastSuccessfulTime)) {
            status.lastSuccessfulTime = completed;
          }
        }
      }
    }
    // An active Job that is gone for good leaves the list (else the CronJob could stay active forever).
    for (const ref of [...(status.active ?? [])]) {
      if (ref.uid !== undefined && seen.has(ref.uid)) continue;
      if (this.store.tryGet(jobs, ref.namespace ?? cj.metadata.namespace, ref.name)) continue;
      this.event(cj, 'Normal', 'MissingJob', `Active job went missing: ${ref.name}`);
      removeActive(status, ref.uid);
    }

    if (cj.metadata.deletionTimestamp) return undefined;
    const spec = cj.spec as CronJobSpec;
    let zone = Zone.UTC;
    if (spec.timeZone != null) {
      try {
        zone = Zone.load(spec.timeZone);
      } catch (e) {
        this.event(cj, 'Warning', 'UnknownTimeZone', `invalid timeZone: ${JSON.stringify(spec.timeZone)}: ${(e as Error).message}`);
        return undefined;
      }
    }
    if (spec.suspend === true) return undefined;
    const scheduleText = spec.schedule ?? '';
    if (scheduleText.includes('TZ')) {
      this.event(
        cj,
        'Warning',
        'UnsupportedSchedule',
        `CRON_TZ or TZ used in schedule ${JSON.stringify(scheduleText)} is not officially supported, see https://kubernetes.io/docs/concepts/workloads/controllers/cron-jobs/ for more details`,
      );
    }
    let schedule: CronSchedule;
    try {
      schedule = this.parse(cj);
    } catch (e) {
      this.event(cj, 'Warning', 'UnparseableSchedule', `unparseable schedule: ${JSON.stringify(scheduleText)} : ${(e as Error).message}`);
      return undefined;
    }

    const state = this.stateOf(cj, status);
    const recent = mostRecentScheduleTime(state, now, schedule, true);
    if (recent.error !== undefined) {
      this.event(cj, 'Warning', 'InvalidSchedule', `invalid schedule: ${scheduleText} : ${recent.error}`);
      return undefined;
    }
    const scheduled = recent.mostRecent;
    if (scheduled !== undefined && recent.missed === 'many') {
      this.event(cj, 'Warning', 'TooManyMissedTimes', 'too many missed start times. Set or decrease .spec.startingDeadlineSeconds or check clock skew');
    }
    const next = () => untilNext(this.stateOf(cj, status), now, schedule);
    if (scheduled === undefined) return next();

    if (spec.startingDeadlineSeconds != null && scheduled + spec.startingDeadlineSeconds * 1000 < now) {
      this.event(cj, 'Warning', 'MissSchedule', `Missed scheduled time to start a job: ${rfc1123z(scheduled)}`);
      return next();
    }
    const jobName = scheduledJobName(cj.metadata.name, scheduled);
    if ((status.active ?? []).some((r) => r.name === jobName) || (status.lastScheduleTime !== undefined && Date.parse(status.lastScheduleTime) === scheduled)) {
      return next();
    }
    if (spec.concurrencyPolicy === 'Forbid' && (status.active?.length ?? 0) > 0) {
      this.event(cj, 'Normal', 'JobAlreadyActive', 'Not starting job because prior execution is running and concurrency policy is Forbid');
      return next();
    }
    if (spec.concurrencyPolicy === 'Replace') {
      for (const ref of [...(status.active ?? [])]) {
        const job = this.store.tryGet(jobs, ref.namespace ?? cj.metadata.namespace, ref.name);
        if (!job) {
          const message = `jobs.batch "${ref.name}" not found`;
          this.event(cj, 'Warning', 'FailedGet', `Get job: ${message}`);
          throw new Error(message);
        }
        if (!this.deleteJob(cj, status, job)) throw new Error(`could not replace job ${job.metadata.namespace}/${job.metadata.name}`);
      }
    }

    let job: KubeObject;
    let created = true;
    try {
      job = this.store.create(jobs, this.jobFromTemplate(cj, spec, scheduled, jobName, zone), cj.metadata.namespace);
    } catch (e) {
      if (!(e instanceof DomainError)) throw e;
      if (e.code !== 'ALREADY_EXISTS') {
        this.event(cj, 'Warning', 'FailedCreate', `Error creating job: ${e.message}`);
        throw new Refused(e.message);
      }
      // Made before (the status update after it was lost), or by someone else: then that one keeps the status.
      created = false;
      job = this.store.get(jobs, cj.metadata.namespace, jobName);
      const ref = controllerRefOf(job);
      if (ref?.uid !== cj.metadata.uid) return undefined;
      if (isActive(status, job.metadata.uid)) return undefined;
    }
    if (created) this.event(cj, 'Normal', 'SuccessfulCreate', `Created job ${job.metadata.name}`);
    status.active = [
      ...(status.active ?? []),
      { kind: 'Job', namespace: job.metadata.namespace, name: job.metadata.name, uid: job.metadata.uid, apiVersion: 'batch/v1', resourceVersion: job.metadata.resourceVersion },
    ];
    status.lastScheduleTime = timestamp(scheduled);
    return next();
  }

  /** `getJobFromTemplate2`: the template's labels and annotations, the scheduled-time annotation, the controller reference. */
  private jobFromTemplate(cj: KubeObject, spec: CronJobSpec, scheduled: number, name: string, zone: Zone) {
    const template = (spec.jobTemplate ?? {}) as { metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> }; spec?: Record<string, unknown> };
    const labels = { ...(template.metadata?.labels ?? {}) };
    const annotations = { ...(template.metadata?.annotations ?? {}), [SCHEDULED_TIMESTAMP_ANNOTATION]: zone.rfc3339(scheduled) };
    return {
      metadata: {
        name,
        ...(Object.keys(labels).length ? { labels } : {}),
        annotations,
        ownerReferences: [{ apiVersion: 'batch/v1', kind: 'CronJob', name: cj.metadata.name, uid: cj.metadata.uid, controller: true, blockOwnerDeletion: true }],
      },
      spec: structuredClone(template.spec ?? {}),
    };
  }

  /** The schedule as the controller parses it (`formatSchedule`: the time zone as a `TZ=` prefix). */
  private parse(cj: KubeObject): CronSchedule {
    const spec = cj.spec as CronJobSpec;
    const text = spec.schedule ?? '';
    const formatted = !text.includes('TZ') && spec.timeZone != null && spec.timeZone !== '' ? `TZ=${spec.timeZone} ${text}` : text;
    const key = objectKey(cj);
    const cached = this.schedules.get(key);
    if (cached?.text === formatted) return cached.schedule;
    const schedule = parseCronSchedule(formatted);
    this.schedules.set(key, { text: formatted, schedule });
    return schedule;
  }

  private scheduleOf(cj: KubeObject): CronSchedule | undefined {
    try {
      return this.parse(cj);
    } catch {
      return undefined;
    }
  }

  private stateOf(cj: KubeObject, status = (cj.status ?? {}) as CronJobStatus): ScheduleState {
    const spec = cj.spec as CronJobSpec;
    return {
      created: Date.parse(cj.metadata.creationTimestamp),
      ...(status.lastScheduleTime !== undefined ? { lastScheduled: Date.parse(status.lastScheduleTime) } : {}),
      ...(spec.startingDeadlineSeconds != null ? { startingDeadlineSeconds: spec.startingDeadlineSeconds } : {}),
    };
  }

  private event(cj: KubeObject, type: 'Normal' | 'Warning', reason: string, message: string): void {
    recordEvent(this.store, cj, type, reason, message, { component: COMPONENT });
  }
}

/**
 * How long until the next scheduled time. Upstream looks 100 ms after it, for
 * clock skew between its machines; the simulated clock has none, so the
 * CronJob is looked at on the time itself: an advance of exactly one
 * interval shows the Job.
 */
function untilNext(state: ScheduleState, now: number, schedule: CronSchedule): number {
  return nextScheduleDelay(state, now, schedule) - NEXT_SCHEDULE_DELTA_MS;
}

/** The API refused a write of the sync (a Job template the Job's validation refuses): said in an Event, tried again later, not a fault of ours. */
class Refused extends Error {}

/** What a sync may change in a status: the active Jobs and the two times (the references' other fields never change). */
function signature(status: CronJobStatus): string {
  return `${(status.active ?? []).map((r) => r.uid).join(',')}|${status.lastScheduleTime ?? ''}|${status.lastSuccessfulTime ?? ''}`;
}

function isActive(status: CronJobStatus, uid: string): boolean {
  return (status.active ?? []).some((r) => r.uid === uid);
}

function removeActive(status: CronJobStatus, uid: string | undefined): void {
  if (status.active) status.active = status.active.filter((r) => r.uid !== uid);
}
