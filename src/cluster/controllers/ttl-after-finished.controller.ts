import { DomainError } from '../../common/domain-error';
import { JobSpec, JobStatus } from '../resources/job.types';
import { ObjectStore } from '../store/object-store';
import { resourceTypeByKey } from '../store/resource-types';
import { KubeObject, StoredEvent } from '../store/types';
import { Controller } from './controller-manager';
import { isJobFinished } from './job.controller';
import { nowMs, objectKey, splitKey, WakeUps } from './pod-template';

const jobs = resourceTypeByKey('jobs.batch')!;

/** When a finished Job finished: its completionTime, or when it became Complete or Failed (`getFinishAndExpireTime`). */
export function finishTimeOf(job: KubeObject): number | undefined {
  const status = (job.status ?? {}) as JobStatus;
  if (!isJobFinished(job)) return undefined;
  const condition = status.conditions?.find((c) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True');
  const at = status.completionTime ?? condition?.lastTransitionTime;
  return at === undefined ? undefined : Date.parse(at);
}

/**
 * The TTL-after-finished controller (upstream's `pkg/controller/ttlafterfinished`): a finished
 * Job with `ttlSecondsAfterFinished` is deleted that many seconds after it finished, with
 * background propagation (the Job controller then collects its pods). It writes no events.
 */
export class TtlAfterFinishedController implements Controller {
  readonly name = 'ttl-after-finished-controller';
  private readonly queue = new Set<string>();
  private readonly wakeUps: WakeUps;

  constructor(
    private readonly store: ObjectStore,
    wakeUp?: (atMs: number) => void,
  ) {
    this.wakeUps = new WakeUps(wakeUp);
    for (const job of store.list(jobs).items) this.queue.add(objectKey(job));
  }

  observe(event: StoredEvent): void {
    if (event.resource !== 'jobs.batch') return;
    if (event.type === 'DELETED') this.queue.delete(objectKey(event.object));
    else if ((event.object.spec as JobSpec | undefined)?.ttlSecondsAfterFinished !== undefined && isJobFinished(event.object)) this.queue.add(objectKey(event.object));
  }

  reconcile(): boolean {
    const now = nowMs(this.store);
    for (const key of this.wakeUps.take(now)) this.queue.add(key);
    if (this.queue.size === 0) return false;
    const keys = [...this.queue].sort();
    this.queue.clear();
    for (const key of keys) {
      const [namespace, name] = splitKey(key);
      const job = this.store.tryGet(jobs, namespace, name);
      const ttl = (job?.spec as JobSpec | undefined)?.ttlSecondsAfterFinished;
      if (!job || ttl === undefined || job.metadata.deletionTimestamp) continue;
      const finished = finishTimeOf(job);
      if (finished === undefined) continue;
      const expireAt = finished + ttl * 1000;
      if (expireAt > now) {
        this.wakeUps.at(key, expireAt, now);
        continue;
      }
      try {
        this.store.delete(jobs, namespace, name);
      } catch (e) {
        if (!(e instanceof DomainError) || e.code !== 'NOT_FOUND') throw e;
      }
    }
    return true;
  }
}
