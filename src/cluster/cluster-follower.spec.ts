import { SeededRandom } from '../common/random';
import { AddressPools } from '../ipam/address-pools';
import { Cluster } from './cluster';
import { newCluster, TEST_POOL_OPTIONS } from '../../test/support/cluster/cluster';
import { SimulationClock } from './simulation-clock';
import { resourceTypeByKey } from './store/resource-types';
import { KubeObject } from './store/types';

const t = (key: string) => resourceTypeByKey(key)!;

/** A follower's cluster: what `leader` holds read back at its revision, controllers waiting. */
function followerOf(leader: Cluster | undefined, seed = 2): Cluster {
  const random = new SeededRandom(seed);
  const entries: Array<{ resource: string; object: KubeObject }> = [];
  for (const key of ['namespaces', 'services', 'nodes', 'pods', 'endpointslices.discovery.k8s.io']) {
    for (const object of leader?.store.list(t(key)).items ?? []) entries.push({ resource: key, object: structuredClone(object) });
  }
  return Cluster.create({
    pools: AddressPools.create(TEST_POOL_OPTIONS, random),
    clock: new SimulationClock(Date.UTC(2026, 0, 1)),
    random,
    restored: { revision: Number(leader?.store.resourceVersion ?? 0), entries },
    follower: true,
  });
}

/** What the leader wrote after the follower read, as the follower's etcd watch hands it on. */
function follow(follower: Cluster, leader: Cluster, from: number): void {
  const history: Array<{ resource: string; object: KubeObject; type: string; version: number }> = [];
  leader.store.watch(t('services'), { resourceVersion: String(from) }, (e) => history.push({ resource: 'services', object: e.object, type: e.type, version: Number(e.object.metadata.resourceVersion) }))();
  leader.store.watch(t('pods'), { resourceVersion: String(from) }, (e) => history.push({ resource: 'pods', object: e.object, type: e.type, version: Number(e.object.metadata.resourceVersion) }))();
  history.sort((a, b) => a.version - b.version);
  for (const e of history) {
    const meta = e.object.metadata;
    follower.store.applyRemote(e.resource, meta.namespace, meta.name, e.type === 'DELETED' ? undefined : structuredClone(e.object), e.version);
  }
}

describe('Cluster as a follower (another process leads, see docs/etcd.md)', () => {
  it('makes nothing and runs no controller until it leads; then repairs from what it holds and settles', () => {
    const leader = newCluster();
    leader.store.create(t('nodes'), { metadata: { name: 'n0' } });
    const from = Number(leader.store.resourceVersion);
    const follower = followerOf(leader);
    // The leader goes on: a Service and a pod the follower learns of through the watch.
    const svc = leader.store.create(t('services'), { metadata: { name: 'web' }, spec: { selector: { app: 'web' }, ports: [{ port: 80 }] } }, 'default');
    follow(follower, leader, from);
    // A pod the leader wrote just before it died, before its scheduler saw it.
    leader.controllers.pause();
    const made = leader.store.create(t('pods'), { metadata: { name: 'p', labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'nginx' }] } }, 'default');
    const revision = Number(made.metadata.resourceVersion);
    follower.store.applyRemote('pods', 'default', 'p', structuredClone(made), revision);
    expect(follower.store.get(t('pods'), 'default', 'p').metadata.resourceVersion).toBe(String(revision));
    expect(follower.store.get(t('services'), 'default', 'web').spec).toEqual(svc.spec);
    // A commit while following: no controller runs (the pod stays unscheduled, no slice is made for the Service).
    follower.store.commit();
    expect(follower.store.get(t('pods'), 'default', 'p').spec).not.toHaveProperty('nodeName');
    expect(follower.store.list(t('endpointslices.discovery.k8s.io'), { namespace: 'default' }).items.map((s) => s.metadata.labels?.['kubernetes.io/service-name'])).not.toContain('web');

    follower.lead();
    follower.store.commit();
    // The controllers ran: the pod was scheduled and started with an IP, and the Service has its slice.
    const pod = follower.store.get(t('pods'), 'default', 'p');
    expect((pod.spec as { nodeName?: string }).nodeName).toBe('n0');
    expect((pod.status as { podIP?: string }).podIP).toMatch(/^10\.244\.0\./);
    expect(follower.store.list(t('endpointslices.discovery.k8s.io'), { namespace: 'default' }).items.map((s) => s.metadata.labels?.['kubernetes.io/service-name'])).toContain('web');
    // The repair marked what the leader handed out: a new Service does not get its address.
    expect(follower.repaired?.clusterIPs).toBe(2);
    const next = follower.store.create(t('services'), { metadata: { name: 'other' }, spec: { ports: [{ port: 80 }] } }, 'default');
    expect((next.spec as { clusterIP: string }).clusterIP).not.toBe((svc.spec as { clusterIP: string }).clusterIP);
  });

  it('makes the cluster when it takes over a store that holds none (the leader died before making it)', () => {
    const follower = followerOf(undefined);
    expect(follower.store.count(t('namespaces'))).toBe(0);
    follower.lead();
    expect(follower.store.list(t('namespaces')).items.map((n) => n.metadata.name)).toEqual(['default', 'kube-node-lease', 'kube-public', 'kube-system']);
    expect(follower.store.tryGet(t('services'), 'default', 'kubernetes')).toBeDefined();
  });
});
