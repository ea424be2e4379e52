/**
 * The bench cluster of bench/traffic: 100 nodes, 1,000 Services with 3 pods
 * each, built through the store with every controller running.
 */
import { Cluster } from '../../src/cluster/cluster';
import { SimulationClock } from '../../src/cluster/simulation-clock';
import { resourceTypeByKey } from '../../src/cluster/store/resource-types';
import { SeededRandom } from '../../src/common/random';
import { AddressPools } from '../../src/ipam/address-pools';

export const NODES = 100;
export const SERVICES = 1_000;
export const PODS_PER_SERVICE = 3;
const t = (key: string) => resourceTypeByKey(key)!;

export function buildTrafficCluster(): Cluster {
  const random = new SeededRandom(1);
  const pools = AddressPools.create(
    {
      serviceClusterIpRange: '10.96.0.0/12',
      serviceNodePortRange: '30000-32767',
      clusterCidr: '10.244.0.0/16',
      nodeCidrMaskSize: 24,
      loadBalancerIpRange: '172.18.255.200-172.18.255.250',
      nodeNetwork: '172.18.0.0/16',
    },
    random,
  );
  const cluster = Cluster.create({ pools, clock: new SimulationClock(Date.UTC(2026, 0, 1)), random });
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

