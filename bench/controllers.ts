/**
 * bench/controllers: a cluster of 1,000 nodes and 30,000 pods in 1,000
 * Deployments settles (every pod Running, every EndpointSlice complete);
 * then one node fails and its pods are evicted and recreated elsewhere.
 * Prints the time and memory of each phase. Not a test: it asserts nothing.
 */
import { resourceTypeByKey } from '../src/cluster/store/resource-types';
import { benchCluster } from './support/bench-cluster';
import { phase as timedPhase } from './support/timing';

const NODES = Number(process.env.NODES ?? 1000);
const DEPLOYMENTS = Number(process.env.DEPLOYMENTS ?? 1000);
const REPLICAS = 30;

const phase = <T>(name: string, work: () => T): T => timedPhase('controllers', name, work);
const t = (key: string) => resourceTypeByKey(key)!;
const mib = (bytes: number) => (bytes / 1048576).toFixed(0);

const cluster = benchCluster();
const { store } = cluster;
global.gc?.();
const before = process.memoryUsage();

phase(`register ${NODES} nodes`, () => {
  store.transaction(() => {
    for (let i = 0; i < NODES; i++) store.create(t('nodes'), { metadata: { name: `node-${String(i).padStart(4, '0')}` } });
  });
});
phase(`create ${DEPLOYMENTS} Deployments of ${REPLICAS} pods with their Services, and settle`, () => {
  store.transaction(() => {
    for (let i = 0; i < DEPLOYMENTS; i++) {
      const app = `app-${i}`;
      store.create(t('services'), { metadata: { name: app }, spec: { selector: { app }, ports: [{ name: 'http', port: 80, targetPort: 8080 }] } }, 'default');
      store.create(
        t('deployments.apps'),
        {
          metadata: { name: app },
          spec: {
            replicas: REPLICAS,
            selector: { matchLabels: { app } },
            template: { metadata: { labels: { app } }, spec: { containers: [{ name: 'c', image: 'nginx', ports: [{ containerPort: 8080 }] }] } },
          },
        },
        'default',
      );
    }
  });
});
const pods = store.list(t('pods')).items;
const running = pods.filter((p) => (p.status as { phase?: string }).phase === 'Running').length;
const endpoints = store.list(t('endpointslices.discovery.k8s.io')).items.reduce((n, s) => n + ((s.endpoints as unknown[]) ?? []).length, 0);
console.log(`controllers: settled: ${pods.length} pods, ${running} Running, ${endpoints} endpoints in EndpointSlices`);
global.gc?.();
const settled = process.memoryUsage();
console.log(`controllers: heap used: ${mib(settled.heapUsed - before.heapUsed)} MiB more; rss ${mib(settled.rss)} MiB`);

const victim = 'node-0000';
const onVictim = store.list(t('pods')).items.filter((p) => (p.spec as { nodeName?: string }).nodeName === victim).length;
cluster.kubelets.stop(victim);
phase(`node ${victim} fails (${onVictim} pods): 40 s to NotReady`, () => cluster.advance(40));
phase('300 s more: pods evicted, recreated and Running elsewhere, slices updated', () => cluster.advance(300));
const live = store.list(t('pods')).items.filter((p) => !p.metadata.deletionTimestamp);
const liveRunning = live.filter((p) => (p.status as { phase?: string }).phase === 'Running' && (p.spec as { nodeName?: string }).nodeName !== victim);
console.log(`controllers: after the failure: ${live.length} live pods, ${liveRunning.length} Running on healthy nodes`);
