/**
 * bench/cronjob: the CronJob controller over long clock advances, run as the server runs them
 * (advance in slices, controllers settling in slices). The controller looks at a CronJob at
 * each of its scheduled times only, so an advance costs one sync per scheduled time, never one
 * per minute. Prints wall and CPU time, the Jobs made and the longest event-loop block of:
 * - 10 CronJobs every 5 minutes, `Forbid`, whose first Job never ends, over 30 days
 *   (86,400 scheduled times: each one a sync and a `JobAlreadyActive` Event);
 * - 100 daily CronJobs over 30 days (3,000 Jobs);
 * - one CronJob every minute, `Allow`, whose Jobs never end, over one day (1,440 Jobs, all active).
 * Jobs here run no pods (`schedulerName: manual`). Not a test: it asserts nothing.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { newCluster } from '../test/support/cluster/cluster';
import { resourceTypeByKey } from '../src/cluster/store/resource-types';

const t = (key: string) => resourceTypeByKey(key)!;
const jobTemplate = { spec: { template: { spec: { schedulerName: 'manual', restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox' }] } } } };

async function scenario(label: string, count: number, spec: Record<string, unknown>, seconds: number): Promise<void> {
  const cluster = newCluster();
  for (let i = 0; i < count; i++) cluster.store.create(t('cronjobs.batch'), { metadata: { name: `cj-${i}` }, spec: { jobTemplate, ...spec } }, 'default');
  cluster.settleInSlices(50);
  const histogram = monitorEventLoopDelay({ resolution: 10 });
  histogram.enable();
  const start = performance.now();
  const cpu = process.cpuUsage();
  await cluster.advanceSliced(seconds);
  const ms = performance.now() - start;
  const used = process.cpuUsage(cpu);
  histogram.disable();
  const jobs = cluster.store.count(t('jobs.batch'));
  console.log(
    `cronjob: ${label}: ${ms.toFixed(0)} ms (CPU ${((used.user + used.system) / 1000).toFixed(0)} ms); ${jobs} Jobs; longest event-loop block ${(histogram.max / 1e6).toFixed(0)} ms`,
  );
}

async function main(): Promise<void> {
  await scenario('10 CronJobs */5, Forbid, first Job never ends, 30-day advance', 10, { schedule: '*/5 * * * *', concurrencyPolicy: 'Forbid' }, 30 * 86_400);
  await scenario('100 daily CronJobs, 30-day advance', 100, { schedule: '@daily' }, 30 * 86_400);
  await scenario('1 CronJob every minute, Allow, Jobs never end, 1-day advance', 1, { schedule: '* * * * *' }, 86_400);
}

void main();
