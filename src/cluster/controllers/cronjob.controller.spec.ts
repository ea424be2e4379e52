import { Cluster } from '../cluster';
import { newCluster } from '../../../test/support/cluster/cluster';
import { resourceTypeByKey } from '../store/resource-types';
import { KubeObject } from '../store/types';
import { rfc1123z } from './cronjob.controller';

/**
 * The CronJob controller on the manual clock. Jobs here run pods nobody
 * schedules (`schedulerName: manual`), so a Job finishes only when a spec
 * sets its `Complete` or `Failed` condition, as the Job controller would.
 */
const t = (key: string) => resourceTypeByKey(key)!;
const cronjobs = t('cronjobs.batch');
const jobs = t('jobs.batch');
const events = t('events');

const START = Date.UTC(2026, 0, 1);
const MINUTE = 60_000;
/** The name of the Job made for a time `m` minutes after the start. */
const jobAt = (name: string, m: number) => `${name}-${(START + m * MINUTE) / MINUTE}`;

const jobTemplate = {
  metadata: { labels: { app: 'report' }, annotations: { team: 'ops' } },
  spec: { template: { spec: { schedulerName: 'manual', restartPolicy: 'Never', containers: [{ name: 'report', image: 'busybox:1.36' }] } } },
};

function cronJob(c: Cluster, name: string, spec: Record<string, unknown> = {}): KubeObject {
  return c.store.create(cronjobs, { metadata: { name }, spec: { schedule: '*/5 * * * *', jobTemplate, ...spec } }, 'default');
}

const jobNames = (c: Cluster) =>
  c.store
    .list(jobs, { namespace: 'default' })
    .items.map((j) => j.metadata.name)
    .sort();
const statusOf = (c: Cluster, name = 'report') => c.store.get(cronjobs, 'default', name).status as Record<string, unknown>;
const eventsOf = (c: Cluster, reason?: string) =>
  c.store
    .list(events, { namespace: 'default' })
    .items.filter((e) => (e as unknown as { involvedObject: { kind: string } }).involvedObject.kind === 'CronJob' && (reason === undefined || e.reason === reason))
    .map((e) => e as unknown as { type: string; reason: string; message: string; count: number; source: { component: string } });

/** Sets a Job's finished condition, as the Job controller does when it ends. */
function finish(c: Cluster, name: string, type: 'Complete' | 'Failed', startedMinutesAgo = 1): void {
  const now = c.clock.now();
  const at = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
  c.store.updateStatus(jobs, 'default', name, {
    status: {
      conditions: [{ type, status: 'True', lastProbeTime: at(now), lastTransitionTime: at(now) }],
      startTime: at(now - startedMinutesAgo * MINUTE),
      ...(type === 'Complete' ? { completionTime: at(now), succeeded: 1 } : { failed: 1 }),
    },
  });
}

describe('CronJob controller', () => {
  it('makes a Job at the scheduled time, named after the time in minutes, owned by the CronJob', () => {
    const c = newCluster();
    const cj = cronJob(c, 'report');
    c.advance(299);
    expect(jobNames(c)).toEqual([]);
    c.advance(1);
    expect(jobNames(c)).toEqual([jobAt('report', 5)]);
    const job = c.store.get(jobs, 'default', jobAt('report', 5));
    expect(job.metadata.labels).toEqual({ app: 'report' });
    expect(job.metadata.annotations).toEqual({ team: 'ops', 'batch.kubernetes.io/cronjob-scheduled-timestamp': '2026-01-01T00:05:00Z' });
    expect(job.metadata.ownerReferences).toEqual([{ apiVersion: 'batch/v1', kind: 'CronJob', name: 'report', uid: cj.metadata.uid, controller: true, blockOwnerDeletion: true }]);
    expect(job.metadata.creationTimestamp).toBe('2026-01-01T00:05:00Z');
    expect(job.spec).toMatchObject(jobTemplate.spec);
    expect(statusOf(c)).toEqual({
      active: [{ kind: 'Job', namespace: 'default', name: job.metadata.name, uid: job.metadata.uid, apiVersion: 'batch/v1', resourceVersion: expect.any(String) }],
      lastScheduleTime: '2026-01-01T00:05:00Z',
    });
    expect(eventsOf(c)).toEqual([
      expect.objectContaining({ type: 'Normal', reason: 'SuccessfulCreate', message: `Created job ${job.metadata.name}`, source: { component: 'cronjob-controller' } }),
    ]);
  });

  it('notes a finished Job, keeps the last success time, and keeps 3 successful and 1 failed Job', () => {
    const c = newCluster();
    cronJob(c, 'report');
    for (let m = 5; m <= 25; m += 5) {
      c.advance(300);
      finish(c, jobAt('report', m), m === 10 || m === 15 ? 'Failed' : 'Complete');
    }
    // Complete: 5, 20, 25 (3 kept); Failed: 10, 15 (only 15 kept).
    expect(jobNames(c)).toEqual([5, 15, 20, 25].map((m) => jobAt('report', m)));
    expect(statusOf(c)).toEqual({ lastScheduleTime: '2026-01-01T00:25:00Z', lastSuccessfulTime: '2026-01-01T00:25:00Z' });
    expect(eventsOf(c, 'SawCompletedJob').map((e) => e.message)).toEqual([
      `Saw completed job: ${jobAt('report', 5)}, condition: Complete`,
      `Saw completed job: ${jobAt('report', 10)}, condition: Failed`,
      `Saw completed job: ${jobAt('report', 15)}, condition: Failed`,
      `Saw completed job: ${jobAt('report', 20)}, condition: Complete`,
      `Saw completed job: ${jobAt('report', 25)}, condition: Complete`,
    ]);
    expect(eventsOf(c, 'SuccessfulDelete').map((e) => e.message)).toEqual([`Deleted job ${jobAt('report', 10)}`]);
    // A fourth success: the oldest success goes.
    c.advance(300);
    finish(c, jobAt('report', 30), 'Complete');
    expect(jobNames(c)).toEqual([15, 20, 25, 30].map((m) => jobAt('report', m)));
    expect(eventsOf(c, 'SuccessfulDelete').map((e) => e.message)).toEqual([`Deleted job ${jobAt('report', 10)}`, `Deleted job ${jobAt('report', 5)}`]);
  });

  it('catches up after a one-day advance: only the most recent missed time runs, with the too-many-missed warning', () => {
    const c = newCluster();
    cronJob(c, 'report', { concurrencyPolicy: 'Forbid' });
    c.advance(300);
    expect(jobNames(c)).toEqual([jobAt('report', 5)]);
    // The first Job runs for a day: every later time finds it active.
    c.advance(86_400 - 300 + 120);
    expect(jobNames(c)).toEqual([jobAt('report', 5)]);
    const refused = eventsOf(c, 'JobAlreadyActive');
    expect(refused).toEqual([
      expect.objectContaining({ type: 'Normal', message: 'Not starting job because prior execution is running and concurrency policy is Forbid', count: 287 }),
    ]);
    finish(c, jobAt('report', 5), 'Complete');
    // 287 times missed since 00:05: the most recent (00:00 the next day) runs, the others never.
    expect(jobNames(c)).toEqual([jobAt('report', 5), jobAt('report', 24 * 60)]);
    expect(eventsOf(c, 'TooManyMissedTimes')).toEqual([
      expect.objectContaining({ type: 'Warning', message: 'too many missed start times. Set or decrease .spec.startingDeadlineSeconds or check clock skew' }),
    ]);
    expect(statusOf(c)).toMatchObject({ lastScheduleTime: '2026-01-02T00:00:00Z', active: [expect.objectContaining({ name: jobAt('report', 24 * 60) })] });
    expect(c.store.get(jobs, 'default', jobAt('report', 24 * 60)).metadata.creationTimestamp).toBe('2026-01-02T00:02:00Z');
  });

  it('with startingDeadlineSeconds, a day of missed times is not too many: only the times within the deadline count', () => {
    const c = newCluster();
    cronJob(c, 'report', { concurrencyPolicy: 'Forbid', startingDeadlineSeconds: 600 });
    c.advance(300);
    c.advance(86_400 - 300 + 120);
    finish(c, jobAt('report', 5), 'Complete');
    expect(jobNames(c)).toEqual([jobAt('report', 5), jobAt('report', 24 * 60)]);
    expect(eventsOf(c, 'TooManyMissedTimes')).toEqual([]);
  });

  it('a CronJob suspended for a day runs only the most recent time when resumed', () => {
    const c = newCluster();
    cronJob(c, 'report', { suspend: true });
    c.advance(86_400 + 60);
    expect(jobNames(c)).toEqual([]);
    c.store.patch(cronjobs, 'default', 'report', { spec: { suspend: false } });
    expect(jobNames(c)).toEqual([jobAt('report', 24 * 60)]);
    expect(eventsOf(c, 'TooManyMissedTimes')).toHaveLength(1);
    // From there on, on time again.
    c.advance(240);
    expect(jobNames(c)).toEqual([jobAt('report', 24 * 60), jobAt('report', 24 * 60 + 5)]);
  });

  it('runs every scheduled time while it is running: a one-day advance makes one Job per time (Allow)', () => {
    const c = newCluster();
    cronJob(c, 'report', { schedule: '0 * * * *' });
    c.advance(86_400);
    expect(jobNames(c)).toHaveLength(24);
    expect(statusOf(c).active).toHaveLength(24);
    expect(statusOf(c).lastScheduleTime).toBe('2026-01-02T00:00:00Z');
    expect(eventsOf(c, 'TooManyMissedTimes')).toEqual([]);
  });

  it('Replace deletes the Job still running at the next time, then starts the new one', () => {
    const c = newCluster();
    cronJob(c, 'report', { concurrencyPolicy: 'Replace' });
    c.advance(600);
    expect(jobNames(c)).toEqual([jobAt('report', 10)]);
    expect(eventsOf(c, 'SuccessfulDelete').map((e) => e.message)).toEqual([`Deleted job ${jobAt('report', 5)}`]);
    expect(statusOf(c).active).toEqual([expect.objectContaining({ name: jobAt('report', 10) })]);
  });

  it('in a time zone: fires at the zone wall clock, and the annotation carries its offset', () => {
    const c = newCluster();
    cronJob(c, 'report', { schedule: '30 9 * * *', timeZone: 'Asia/Tokyo' });
    c.advance(30 * 60);
    const name = jobAt('report', 30);
    expect(jobNames(c)).toEqual([name]);
    expect(c.store.get(jobs, 'default', name).metadata.annotations!['batch.kubernetes.io/cronjob-scheduled-timestamp']).toBe('2026-01-01T09:30:00+09:00');
  });

  it('a changed schedule is followed from its own next time', () => {
    const c = newCluster();
    cronJob(c, 'report', { schedule: '0 12 * * *' });
    c.advance(60);
    c.store.patch(cronjobs, 'default', 'report', { spec: { schedule: '*/2 * * * *' } });
    c.advance(60);
    expect(jobNames(c)).toEqual([jobAt('report', 2)]);
  });

  it('warns about a Job it controls but did not make, and forgets an active Job that went missing', () => {
    const c = newCluster();
    const cj = cronJob(c, 'report');
    c.store.create(
      jobs,
      {
        metadata: { name: 'manual-run', annotations: { 'cronjob.kubernetes.io/instantiate': 'manual' }, ownerReferences: [{ apiVersion: 'batch/v1', kind: 'CronJob', name: 'report', uid: cj.metadata.uid, controller: true }] },
        spec: jobTemplate.spec,
      },
      'default',
    );
    expect(eventsOf(c, 'UnexpectedJob').map((e) => [e.type, e.message])).toEqual([['Warning', 'Saw a job that the controller did not create or forgot: manual-run']]);
    c.advance(300);
    c.store.delete(jobs, 'default', jobAt('report', 5));
    expect(eventsOf(c, 'MissingJob').map((e) => e.message)).toEqual([`Active job went missing: ${jobAt('report', 5)}`]);
    expect(statusOf(c).active).toBeUndefined();
  });

  it('a Job the API refuses is a FailedCreate Event, tried again after a back-off, and no fault of ours', () => {
    const c = newCluster();
    cronJob(c, 'report', { jobTemplate: { ...jobTemplate, metadata: { labels: { 'not a key!': 'x' } } } });
    c.advance(300);
    expect(jobNames(c)).toEqual([]);
    const failed = eventsOf(c, 'FailedCreate');
    expect(failed).toEqual([expect.objectContaining({ type: 'Warning', count: 1 })]);
    expect(failed[0].message).toMatch(/^Error creating job: Job(\.batch)? "report-29453765" is invalid: metadata\.labels: Invalid value: "not a key!"/);
    c.advance(1);
    expect(eventsOf(c, 'FailedCreate')).toEqual([expect.objectContaining({ count: 2 })]);
    expect(c.faults.count).toBe(0);
  });

  it('deleting the CronJob takes its Jobs (the garbage collector)', () => {
    const c = newCluster();
    cronJob(c, 'report');
    c.advance(600);
    expect(jobNames(c)).toHaveLength(2);
    c.store.delete(cronjobs, 'default', 'report');
    expect(jobNames(c)).toEqual([]);
  });

  it('a 30-day advance of a daily CronJob makes 30 Jobs and keeps the history limits', () => {
    const c = newCluster();
    cronJob(c, 'nightly', { schedule: '@daily', successfulJobsHistoryLimit: 2 });
    for (let day = 1; day <= 30; day++) {
      c.advance(86_400);
      finish(c, jobAt('nightly', day * 24 * 60), 'Complete');
    }
    expect(jobNames(c)).toEqual([jobAt('nightly', 29 * 24 * 60), jobAt('nightly', 30 * 24 * 60)]);
    expect(statusOf(c, 'nightly')).toEqual({ lastScheduleTime: '2026-01-31T00:00:00Z', lastSuccessfulTime: '2026-01-31T00:00:00Z' });
  });

  it('one 30-day advance: a Job at each of the 30 times, none in between', () => {
    const c = newCluster();
    cronJob(c, 'nightly', { schedule: '0 3 * * *' });
    c.advance(30 * 86_400);
    const names = jobNames(c);
    expect(names).toHaveLength(30);
    for (const name of names) expect((Number(name.split('-')[1]) * MINUTE - START) % 86_400_000).toBe(3 * 3_600_000);
  });

  it('writes MissSchedule times as Go writes RFC 1123 with a numeric zone', () => {
    expect(rfc1123z(Date.UTC(2026, 0, 1, 0, 5))).toBe('Thu, 01 Jan 2026 00:05:00 +0000');
  });
});
