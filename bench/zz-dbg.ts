import { loadClusterFile } from '../src/cluster/apply/cluster-file';
import { newCluster } from '../src/cluster/cluster.testing';
import { resourceTypeByKey } from '../src/cluster/store/resource-types';
const t = (key: string) => resourceTypeByKey(key)!;
const cluster = newCluster();
loadClusterFile(cluster, 'fixtures/clusters/demo.yaml');
cluster.store.create(t('pods'), { metadata: { name: 'crashy', annotations: { 'kube-netsim.io/unhealthy': 'true' } }, spec: { containers: [{ name: 'web', image: 'nginx:1.27', ports: [{ containerPort: 80 }], livenessProbe: { httpGet: { path: '/healthz', port: 80 } } }] } }, 'default');
for (let i = 0; i < 12; i++) {
  cluster.advance(600);
  const pod = cluster.store.get(t('pods'), 'default', 'crashy');
  const cs = (pod.status as any).containerStatuses[0];
  const started = cluster.store.list(t('events'), { namespace: 'default' }).items.find((e) => e.reason === 'Started' && (e.involvedObject as any).name === 'crashy');
  console.log((i + 1) * 600, cs.restartCount, started?.count, JSON.stringify(cs.state), JSON.stringify(cs.lastState));
}
