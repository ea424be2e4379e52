/**
 * bench/jobs: 1,000 Jobs of 10 completions each (parallelism 2, pods of the default 5 s), on a
 * cluster of 20 worker nodes and the manual clock: all created in one transaction, then the clock
 * advanced 5 s at a time until every Job is Complete. Prints the simulated time it took (5 waves
 * of 5 s: 25 s expected), the wall and CPU time of the creation and of the run, the pods made and
 * the store writes. Not a test: it asserts nothing.
 */
import { newCluster } from '../test/support/cluster/cluster';
import { resourceTypeByKey } from '../src/cluster/store/resource-types';

const t = (key: string) => resourceTypeByKey(key)!;
const JOBS = Number(process.env.JOBS ?? 1000);
const COMPLETIONS = Number(process.env.COMPLETIONS ?? 10);
const NODES = 20;

function main(): void {
  const cluster = newCluster();
  cluster.store.transaction(() => {
    for (let i = 0; i < NODES; i++) cluster.store.create(t('nodes'), { metadata: { name: `worker-${i}` } });
  });
  const jobs = t('jobs.batch');
  const version = () => Number(cluster.store.list(t('namespaces')).resourceVersion);
  const firstVersion = version();
  let start = performance.now();
  let cpu = process.cpuUsage();
  cluster.store.transaction(() => {
    for (let i = 0; i < JOBS; i++) {
      cluster.store.create(
        jobs,
        {
          metadata: { name: `batch-${i}` },
          spec: { completions: COMPLETIONS, parallelism: 2, template: { spec: { restartPolicy: 'Never', containers: [{ name: 'work', image: 'busybox' }] } } },
        },
        'default',
      );
    }
  });
  const createMs = performance.now() - start;
  const createCpu = process.cpuUsage(cpu);
  const complete = () => cluster.store.list(jobs).items.filter((j) => ((j.status as { conditions?: Array<{ type: string }> }).conditions ?? []).some((c) => c.type === 'Complete')).length;
  start = performance.now();
  cpu = process.cpuUsage();
  let simulated = 0;
  while (complete() < JOBS && simulated < 3600) {
    cluster.advance(5);
    simulated += 5;
  }
  const runMs = performance.now() - start;
  const runCpu = process.cpuUsage(cpu);
  const pods = cluster.store.count(t('pods'));
  const cpuMs = (u: NodeJS.CpuUsage) => ((u.user + u.system) / 1000).toFixed(0);
  console.log(`jobs: ${JOBS} Jobs x ${COMPLETIONS} completions (parallelism 2, 5 s pods) on ${NODES} nodes`);
  console.log(`  create (one transaction, first pods made): ${createMs.toFixed(0)} ms wall (CPU ${cpuMs(createCpu)} ms)`);
  console.log(`  run to completion: ${simulated} s simulated, ${runMs.toFixed(0)} ms wall (CPU ${cpuMs(runCpu)} ms); ${complete()}/${JOBS} Complete; ${pods} pods; ${version() - firstVersion} store writes`);
}

main();
