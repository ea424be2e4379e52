/**
 * A restore on a real etcd (test/support/etcd.ts; skipped, saying so, where
 * etcd is not installed): the restored cluster's versions go on past every
 * revision the old one took, the kubelets' own included, so each object's
 * resourceVersion stays its key's mod revision.
 */
import { describeWithEtcd } from '../../../test/support/etcd';
import { useSpecEtcd } from '../../../test/support/cluster/spec-etcd';
import { SeededRandom } from '../../common/random';
import { buildAddressPools, readConfig } from '../../config/app-config';
import { Cluster } from '../cluster';
import { SimulationClock } from '../simulation-clock';
import { resourceTypeByKey } from '../store/resource-types';
import { clusterOfSnapshot } from './restore-snapshot';
import { readSnapshot, takeSnapshot } from './snapshot-document';

const config = readConfig({ CLUSTER_FILE: 'none', CLOCK: 'manual' });
const nodes = resourceTypeByKey('nodes')!;
const services = resourceTypeByKey('services')!;

describeWithEtcd('snapshot etcd spec')('a restore on etcd', () => {
  const spec = useSpecEtcd();

  it('after a kubelet stopped (a revision no object takes), every object written after the restore has its mod revision as resourceVersion', async () => {
    const backend = spec.connect({ prefix: '/r1' });
    const loaded = await backend.load();
    const random = new SeededRandom(3);
    const before = Cluster.create({ pools: buildAddressPools(config, random), clock: new SimulationClock(), random, backend, restored: loaded });
    before.store.create(nodes, { metadata: { name: 'node-a' } });
    before.store.commit();
    await backend.durable();
    before.kubelets.stop('node-a');
    await backend.durable();
    expect(before.store.lastRevision).toBe(Number(before.store.resourceVersion) + 1);
    const snapshot = readSnapshot(JSON.parse(JSON.stringify(takeSnapshot(before, config))), config);
    const restored = clusterOfSnapshot({ config, random, backend }, snapshot, before);
    before.retire('restored');
    await backend.durable();
    const made = restored.store.create(services, { metadata: { name: 'web' }, spec: { ports: [{ port: 80 }] } }, 'default');
    await backend.durable();
    const modRevision = (key: string) => (JSON.parse(spec.server.etcdctl('get', key, '-w', 'json')) as { kvs: Array<{ mod_revision: number }> }).kvs[0].mod_revision;
    expect(modRevision('/r1/services/specs/default/web')).toBe(Number(made.metadata.resourceVersion));
    expect(modRevision('/r1/minions/node-a')).toBe(Number(restored.store.get(nodes, '', 'node-a').metadata.resourceVersion));
    restored.retire('done');
  });
});
