/**
 * The bench cluster of bench/traffic: 100 nodes, 1,000 Services with 3 pods
 * each, built through the store with every controller running.
 */
import type { Cluster } from '../../src/cluster/cluster';
import { newCluster } from '../../test/support/cluster/cluster';
import { resourceTypeByKey } from '../../src/cluster/store/resource-types';

export const NODES = 100;
export const SERVICES = 1_000;
export const PODS_PER_SERVICE = 3;
const t = (key: string) => resourceTypeByKey(key)!;

export function buildTrafficCluster(): Cluster {
  const cluster = newCluster();
  const { store } = cluster;
  for (let i = 0; i < NODES; i++) store.create(t('nodes'), { metadata: { name: `node-${i}` } });
  for (let i = 0; i < SERVICES; i++) {
    store.create(t('services'), { metadata: { name: `svc-${i}` }, spec: { selector: { app: `app-${i}` }, ports: [{ name: 'http', port: 80, targetPort: 8080 }] } }, 'default');
  }
  for (let i = 0; i < SERVICES * PODS_PER_SERVICE; i++) {
    const app = Math.floor(i / PODS_PER_SERVICE);
    store.create(
      t('pods'),
      {
        metadata: { name: `pod-${i}`, labels: { app: `app-${app}` } },
        spec: { nodeName: `node-${(i * 7) % NODES}`, containers: [{ name: 'c', image: 'nginx', ports: [{ containerPort: 8080 }] }] },
      },
      'default',
    );
  }
  return cluster;
}

