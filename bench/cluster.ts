/**
 * bench/cluster: 10,000 Services and 100,000 pods on 100 nodes, created through
 * the store with every controller running (kubelet IPs, EndpointSlices), as a
 * large cluster would be built. Prints the time of each phase and the process
 * memory. Not a test: it asserts nothing.
 */
import { parseLabelSelector } from '../src/cluster/store/label-selector';
import { resourceTypeByKey } from '../src/cluster/store/resource-types';
import { benchCluster } from './support/bench-cluster';
import { phase as timedPhase } from './support/timing';

const NODES = 100;
const SERVICES = 10_000;
const PODS = 100_000;
const PODS_PER_SERVICE = PODS / SERVICES;

const phase = <T>(name: string, work: () => T): T => timedPhase('cluster', name, work);
const t = (key: string) => resourceTypeByKey(key)!;
const mib = (bytes: number) => (bytes / 1048576).toFixed(1);

global.gc?.();
const before = process.memoryUsage();
// 1,000 pods a node need more than a /24: /20 blocks of 10.0.0.0/8.
const cluster = benchCluster({ nodeCidrMaskSize: 20 });
const { store } = cluster;

phase(`create ${NODES} nodes`, () => {
  for (let i = 0; i < NODES; i++) store.create(t('nodes'), { metadata: { name: `node-${i}` }, status: { capacity: { pods: '1100' } } });
});
phase(`create ${SERVICES} Services`, () => {
  for (let i = 0; i < SERVICES; i++) {
    store.create(t('services'), { metadata: { name: `svc-${i}` }, spec: { selector: { app: `app-${i}` }, ports: [{ name: 'http', port: 80, targetPort: 8080 }] } }, 'default');
  }
});
phase(`create ${PODS} pods (IPs, EndpointSlices and Endpoints follow)`, () => {
  for (let i = 0; i < PODS; i++) {
    const app = Math.floor(i / PODS_PER_SERVICE);
    store.create(
      t('pods'),
      {
        metadata: { name: `pod-${i}`, labels: { app: `app-${app}` } },
        spec: { nodeName: `node-${i % NODES}`, containers: [{ name: 'c', image: 'nginx', ports: [{ containerPort: 8080 }] }] },
      },
      'default',
    );
  }
});
phase('list every pod', () => store.list(t('pods')).items.length);
phase('list the pods of one Service by label (1,000 times)', () => {
  const selector = parseLabelSelector('app=app-5000');
  for (let i = 0; i < 1000; i++) store.list(t('pods'), { namespace: 'default', labelSelector: selector });
});
global.gc?.();
const after = process.memoryUsage();
console.log(`cluster: objects: ${store.count(t('pods'))} pods, ${store.count(t('services'))} Services, ${store.count(t('endpointslices.discovery.k8s.io'))} EndpointSlices, resourceVersion ${store.resourceVersion}`);
console.log(`cluster: heap used: ${mib(after.heapUsed - before.heapUsed)} MiB more; rss ${mib(after.rss)} MiB`);
