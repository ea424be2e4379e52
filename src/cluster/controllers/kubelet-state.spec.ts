/**
 * The kubelets' state kept in a durable store (store-backend.ts), as a start
 * on it or a follower meets it: what the kubelets write back, and when. The
 * keeper is etcd's (etcd-manifests.ts), whose changes are read here instead
 * of being sent to an etcd.
 */
import { SeededRandom } from '../../common/random';
import { AddressPools } from '../../ipam/address-pools';
import { newCluster, TEST_POOL_OPTIONS } from '../../../test/support/cluster/cluster';
import { Cluster } from '../cluster';
import { SimulationClock } from '../simulation-clock';
import { snapshotEntries } from '../snapshot/snapshot-document';
import { kubeletStateKey, STOPPED_KUBELET } from '../store/etcd/etcd-keys';
import { EtcdKubeletState } from '../store/etcd/etcd-manifests';
import { resourceTypeByKey } from '../store/resource-types';
import { KubeletState, MEMORY_BACKEND } from '../store/store-backend';

const nodes = resourceTypeByKey('nodes')!;
const PROBE = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'probe', namespace: 'default' }, spec: { containers: [{ name: 'c', image: 'busybox' }] } };

/** A keeper holding what etcd holds: these kubelets stopped, and node-a's probe.yaml. */
function diskHolding(stopped: string[]): { disk: EtcdKubeletState; state: KubeletState } {
  const disk = new EtcdKubeletState('/registry');
  const kv = (key: string, value: string) => ({ key: Buffer.from(key), value: Buffer.from(value) });
  const state = disk.read([
    kv(kubeletStateKey(disk.prefix, 'node-a', 'probe.yaml'), JSON.stringify(PROBE)),
    ...stopped.map((node) => kv(kubeletStateKey(disk.prefix, node), STOPPED_KUBELET)),
  ]);
  return { disk, state };
}

/** The changes waiting to be written, as `put|delete <key under the prefix>`. */
function changes(disk: EtcdKubeletState): string[] {
  return disk.take().map((c) => `${c.value === null ? 'delete' : 'put'} ${c.key.slice(disk.prefix.length)}`);
}

/** A process started on what `leader` holds and `disk`'s state (a follower, or not). */
function startedOn(leader: Cluster, disk: EtcdKubeletState, state: KubeletState, follower = false): Cluster {
  const random = new SeededRandom(2);
  return Cluster.create({
    pools: AddressPools.create(TEST_POOL_OPTIONS, random),
    clock: new SimulationClock(Date.UTC(2026, 0, 1)),
    random,
    backend: { ...MEMORY_BACKEND, name: 'spec', kubelets: disk },
    restored: { revision: Number(leader.store.resourceVersion), entries: structuredClone(snapshotEntries(leader)), kubelets: state },
    follower,
  });
}

function leaderWithNodeA(): Cluster {
  const leader = newCluster();
  leader.store.create(nodes, { metadata: { name: 'node-a' } });
  leader.store.commit();
  return leader;
}

describe("the kubelets' state in a durable store", () => {
  it('a start keeps a stopped kubelet stopped, writing nothing; a stopped key of a node the store lacks is dropped once a node of that name is made', () => {
    const leader = leaderWithNodeA();
    const { disk, state } = diskHolding(['node-a', 'gone']);
    const cluster = startedOn(leader, disk, state);
    cluster.store.commit();
    expect(cluster.kubelets.isRunning('node-a')).toBe(false);
    expect(cluster.kubelets.isRunning('gone')).toBe(false);
    expect(changes(disk)).toEqual([]);

    // A node made under the name of one deleted while its kubelet was stopped: its kubelet runs, and no restart stops it.
    cluster.store.create(nodes, { metadata: { name: 'gone' } });
    cluster.store.commit();
    expect(cluster.kubelets.isRunning('gone')).toBe(true);
    expect(changes(disk)).toEqual(['delete kubelets/gone']);
    const again = startedOn(cluster, disk, { ...state, stopped: ['node-a'] });
    again.store.commit();
    expect(again.kubelets.isRunning('gone')).toBe(true);
    expect(again.kubelets.isRunning('node-a')).toBe(false);
    expect(changes(disk)).toEqual([]);
  });

  it('a follower writes none of it (a node the leader deleted, a stopped kubelet with it); once it leads, it does', () => {
    const leader = leaderWithNodeA();
    const { disk, state } = diskHolding(['node-a']);
    const follower = startedOn(leader, disk, state, true);
    follower.store.applyRemote('nodes', undefined, 'node-a', undefined, Number(leader.store.resourceVersion) + 1);
    follower.store.commit();
    expect(follower.kubelets.isRunning('node-a')).toBe(false);
    expect(changes(disk)).toEqual([]);

    follower.lead();
    follower.store.create(nodes, { metadata: { name: 'node-b' } });
    follower.kubelets.stop('node-b');
    expect(changes(disk)).toEqual(['put kubelets/node-b']);
  });
});
