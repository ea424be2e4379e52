/**
 * bench/crash-loop: a 30-day clock advance on the demo cluster with one pod whose liveness probe
 * always fails, so it is killed and restarted twice every 5 min 42 s (the back-off at its 5 min
 * cap: a restart at once, then a wait): some 15,000 restarts, run as the server runs them (advance in slices, controllers
 * settling in slices). Once steady, the loop is one quiet timer (src/cluster/controllers/
 * crash-loop.ts), so the advance writes about once per simulated hour (when the Events' TTL
 * check runs), not once per restart. Prints the wall and CPU time, the restarts, the Event
 * objects left (repeats bump `count`) and the longest event-loop block.
 * Not a test: it asserts nothing.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { loadClusterFile } from '../src/cluster/apply/cluster-file';
import { newCluster } from '../test/support/cluster/cluster';
import { resourceTypeByKey } from '../src/cluster/store/resource-types';

const t = (key: string) => resourceTypeByKey(key)!;
const DAYS = Number(process.env.DAYS ?? 30);

async function advance(crashLoop: boolean): Promise<void> {
  const cluster = newCluster();
  loadClusterFile(cluster, 'fixtures/clusters/demo.yaml');
  if (crashLoop) {
    cluster.store.create(
      t('pods'),
      {
        metadata: { name: 'crashy', labels: { app: 'web' }, annotations: { 'kube-netsim.io/unhealthy': 'true' } },
        spec: { containers: [{ name: 'web', image: 'nginx:1.27', ports: [{ containerPort: 80 }], livenessProbe: { httpGet: { path: '/healthz', port: 80 } } }] },
      },
      'default',
    );
  }
  cluster.controllers.settleInSlices({ sliceMs: 50, mustFinish: () => cluster.clock.running });
  const histogram = monitorEventLoopDelay({ resolution: 10 });
  histogram.enable();
  const start = performance.now();
  const cpu = process.cpuUsage();
  await cluster.advanceSliced(DAYS * 86_400);
  const ms = performance.now() - start;
  const used = process.cpuUsage(cpu);
  histogram.disable();
  const timing = `${ms.toFixed(0)} ms (CPU ${((used.user + used.system) / 1000).toFixed(0)} ms); longest event-loop block ${(histogram.max / 1e6).toFixed(0)} ms`;
  if (!crashLoop) {
    console.log(`crash-loop: ${DAYS}-day advance, demo cluster alone: ${timing}`);
    return;
  }
  const pod = cluster.store.get(t('pods'), 'default', 'crashy');
  const restarts = (pod.status as { containerStatuses: Array<{ restartCount: number }> }).containerStatuses[0].restartCount;
  const events = cluster.store.list(t('events'), { namespace: 'default' }).items.filter((e) => (e.involvedObject as { name: string }).name === 'crashy');
  const count = events.reduce((n, e) => n + (e.count as number), 0);
  console.log(`crash-loop: ${DAYS}-day advance, demo cluster + 1 crash-looping pod: ${timing}; ${restarts} restarts; ${events.length} Event objects (counts summing to ${count})`);
}

async function main(): Promise<void> {
  await advance(false);
  await advance(true);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
