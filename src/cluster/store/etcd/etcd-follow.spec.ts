/**
 * Following etcd (EtcdBackend.follow + ObjectStore.applyRemote) on a real
 * etcd: what one store writes reaches another store on the same prefix
 * through an etcd watch, with the same resourceVersions; a store's own
 * writes are not applied twice; what another writer puts becomes what the
 * store serves, and the store's next write to that key compares right.
 */
import { describeWithEtcd } from '../../../../test/support/etcd';
import { namespaces, pod, pods } from '../../../../test/support/cluster/store';
import { StoredEvent } from '../types';
import { storeOn, useSpecEtcd } from '../../../../test/support/cluster/spec-etcd';

describeWithEtcd('etcd follow')('EtcdBackend.follow: stores on one etcd see each other (etcd)', () => {
  const etcd = useSpecEtcd();

  /** A store on `prefix` following etcd; `faults` collects its backend's faults, `events` what its listeners heard. */
  async function open(prefix: string) {
    const backend = etcd.connect({ prefix });
    const faults: string[] = [];
    backend.onFault((source, e) => faults.push(`${source}: ${(e as Error).message}`));
    const store = await storeOn(backend);
    const events: StoredEvent[] = [];
    store.subscribe((e) => events.push(e));
    await backend.follow(Number(store.resourceVersion), (c) => store.applyRemote(c.resource, c.namespace, c.name, c.object, c.revision));
    return { store, backend, faults, events };
  }

  it('the writer\'s creates, updates and deletes reach the follower at the same resourceVersions, and are not applied twice to the writer', async () => {
    const writer = await open('/follow');
    const follower = await open('/follow');
    const ns = writer.store.create(namespaces, { metadata: { name: 'default' } });
    const a = writer.store.create(pods, pod('a', { v: '1' }), 'default');
    const b = writer.store.create(pods, pod('b'), 'default');
    const a2 = writer.store.update(pods, 'default', 'a', { ...a, metadata: { ...a.metadata, labels: { v: '2' } } });
    const gone = writer.store.delete(pods, 'default', 'b');
    await writer.backend.durable();
    await follower.backend.caughtUp(Number(gone.metadata.resourceVersion));

    expect(follower.store.get(pods, 'default', 'a')).toEqual(a2);
    expect(follower.store.tryGet(pods, 'default', 'b')).toBeUndefined();
    expect(follower.store.resourceVersion).toBe(writer.store.resourceVersion);
    expect(follower.events.map((e) => `${e.type} ${e.object.metadata.name} ${e.resourceVersion}`)).toEqual([
      `ADDED default ${ns.metadata.resourceVersion}`,
      `ADDED a ${a.metadata.resourceVersion}`,
      `ADDED b ${b.metadata.resourceVersion}`,
      `MODIFIED a ${a2.metadata.resourceVersion}`,
      `DELETED b ${gone.metadata.resourceVersion}`,
    ]);
    // A watch on the follower from a revision gets what came in through etcd.
    const seen: string[] = [];
    follower.store.watch(pods, { resourceVersion: a.metadata.resourceVersion }, (e) => seen.push(`${e.type} ${e.object.metadata.name}`))();
    expect(seen).toEqual(['ADDED b', 'MODIFIED a', 'DELETED b']);
    // The writer's watch saw each of its writes once: its own came back from etcd and were skipped.
    expect(writer.events).toHaveLength(5);
    expect(writer.faults).toEqual([]);
  });

  it('what the store wrote before its watch started (start-up) is its own: an older version never comes back over a newer one', async () => {
    const backend = etcd.connect({ prefix: '/early' });
    const store = await storeOn(backend);
    const from = Number(store.resourceVersion);
    store.create(namespaces, { metadata: { name: 'default' } });
    const a = store.create(pods, pod('a', { v: '1' }), 'default');
    store.update(pods, 'default', 'a', { ...a, metadata: { ...a.metadata, labels: { v: '2' } } });
    await backend.durable(); // in etcd before the watch starts
    const events: StoredEvent[] = [];
    store.subscribe((e) => events.push(e));
    await backend.follow(from, (c) => store.applyRemote(c.resource, c.namespace, c.name, c.object, c.revision));
    await backend.caughtUp(Number(store.resourceVersion));
    expect(store.get(pods, 'default', 'a').metadata.labels).toEqual({ v: '2' });
    expect(events).toEqual([]);
  });

  it('another writer\'s put becomes what the store serves, and the store\'s next write to that key is taken', async () => {
    const mine = await open('/foreign');
    mine.store.create(namespaces, { metadata: { name: 'default' } });
    const a = mine.store.create(pods, pod('a', { v: '1' }), 'default');
    await mine.backend.durable();
    // etcdctl put of a changed object, as an operator would.
    const value = JSON.stringify({ ...a, metadata: { ...a.metadata, resourceVersion: undefined, labels: { v: 'by-hand' } } });
    etcd.server.etcdctl('put', '/foreign/pods/default/a', value);
    const revision = Number(JSON.parse(etcd.server.etcdctl('get', '/foreign/pods/default/a', '-w', 'json')).kvs[0].mod_revision);
    await mine.backend.caughtUp(revision);
    const changed = mine.store.get(pods, 'default', 'a');
    expect(changed.metadata.labels).toEqual({ v: 'by-hand' });
    expect(changed.metadata.resourceVersion).toBe(String(revision));
    const next = mine.store.update(pods, 'default', 'a', { ...changed, metadata: { ...changed.metadata, labels: { v: '3' } } });
    await mine.backend.durable();
    expect(Number(JSON.parse(etcd.server.etcdctl('get', '/foreign/pods/default/a', '-w', 'json')).kvs[0].mod_revision)).toBe(Number(next.metadata.resourceVersion));
    expect(mine.faults).toEqual([]);
  });
});
