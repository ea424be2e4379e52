import { newCluster } from '../src/cluster/cluster.testing';
import { resourceTypeByKey } from '../src/cluster/store/resource-types';
const t = (key: string) => resourceTypeByKey(key)!;
const REPLICAS = Number(process.env.REPLICAS ?? 5000);
async function main() {
  const cluster = newCluster({ clusterCidr: '10.0.0.0/8' });
  const timed = new Map<string, number>();
  const count = new Map<string, number>();
  cluster.store.transaction(() => {
    for (let i = 0; i < 200; i++) cluster.store.create(t('nodes'), { metadata: { name: `node-${String(i).padStart(3, '0')}` } });
    cluster.store.create(t('services'), { metadata: { name: 'app-0' }, spec: { selector: { app: 'app-0' }, ports: [{ port: 80, targetPort: 8080 }] } }, 'default');
    cluster.store.create(t('deployments.apps'), { metadata: { name: 'app-0' }, spec: { replicas: 1, selector: { matchLabels: { app: 'app-0' } }, template: { metadata: { labels: { app: 'app-0' } }, spec: { containers: [{ name: 'c', image: 'nginx' }] } } } }, 'default');
  });
  cluster.controllers.settleInSlices({ sliceMs: 50, timed: (n, ms) => { timed.set(n, (timed.get(n) ?? 0) + ms); count.set(n, (count.get(n) ?? 0) + 1); } });
  let s = performance.now();
  cluster.store.patch(t('deployments.apps'), 'default', 'app-0', { spec: { replicas: REPLICAS } });
  await cluster.controllers.idle();
  console.log('up', (performance.now() - s).toFixed(0), JSON.stringify([...timed].map(([k, v]) => [k, Math.round(v), count.get(k)])));
  timed.clear(); count.clear();
  s = performance.now();
  cluster.store.patch(t('deployments.apps'), 'default', 'app-0', { spec: { replicas: 1 } });
  await cluster.controllers.idle();
  console.log('down', (performance.now() - s).toFixed(0), JSON.stringify([...timed].map(([k, v]) => [k, Math.round(v), count.get(k)])));
  timed.clear(); count.clear();
  s = performance.now();
  await cluster.advanceSliced(5);
  console.log('advance 5s', (performance.now() - s).toFixed(0), cluster.store.count(t('pods')));
}
void main();
