/**
 * The store's contract, run against both backends: the memory store alone,
 * and the same store writing through to a real etcd (Debian's etcd-server,
 * started by test/support/etcd.ts; skipped, saying so, where it is absent).
 * On etcd each case also checks what etcd holds once the writes are durable.
 */
import { DomainError } from '../../common/domain-error';
import { describeWithEtcd } from '../../../test/support/etcd';
import type { EtcdBackend } from './etcd/etcd-backend';
import { storeOn, useSpecEtcd } from '../../../test/support/cluster/spec-etcd';
import { parseFieldSelector } from './field-selector';
import { parseLabelSelector } from './label-selector';
import { ObjectStore } from './object-store';
import { refusalOf } from '../../../test/support/common/domain-error';
import { deployments, names, namespaces, newMemoryStore, nodes, pod, pods, services } from '../../../test/support/cluster/store';
import { WatchEvent } from './types';

interface Harness {
  newStore(historyEvents?: number): Promise<ObjectStore>;
  /** What etcd holds under /registry once every write is durable (key -> mod revision and value), or undefined for memory. */
  etcdState(store: ObjectStore): Promise<Map<string, { modRevision: number; value: Record<string, unknown> }> | undefined>;
}

function contract(harness: Harness): void {
  it('creates, reads, updates and deletes', async () => {
    const store = await harness.newStore();
    const created = store.create(pods, pod('web-1', { app: 'web' }), 'default');
    expect(store.get(pods, 'default', 'web-1')).toBe(created);
    const updated = store.update(pods, 'default', 'web-1', { ...created, metadata: { ...created.metadata, labels: { app: 'web', tier: 'front' } } });
    expect(Number(updated.metadata.resourceVersion)).toBeGreaterThan(Number(created.metadata.resourceVersion));
    store.delete(pods, 'default', 'web-1');
    expect(refusalOf(() => store.get(pods, 'default', 'web-1')).code).toBe('NOT_FOUND');
    const etcd = await harness.etcdState(store);
    if (etcd) {
      expect(etcd.has('/registry/pods/default/web-1')).toBe(false);
      expect([...etcd.keys()]).toContain('/registry/namespaces/default');
    }
  });

  it('refuses a stale resourceVersion (409) and a taken name (409), changing nothing', async () => {
    const store = await harness.newStore();
    const first = store.create(services, { metadata: { name: 'db' }, spec: { ports: [{ port: 5432 }] } }, 'default');
    store.update(services, 'default', 'db', { ...first, metadata: { ...first.metadata, labels: { a: 'b' } } });
    const stale = refusalOf(() => store.update(services, 'default', 'db', { ...first, metadata: { ...first.metadata, labels: { a: 'c' } } }));
    expect(stale.code).toBe('CONFLICT');
    expect(stale.message).toBe('Operation cannot be fulfilled on services "db": the object has been modified; please apply your changes to the latest version and try again');
    expect(refusalOf(() => store.create(services, { metadata: { name: 'db' }, spec: { ports: [{ port: 1 }] } }, 'default')).code).toBe('ALREADY_EXISTS');
    const current = store.get(services, 'default', 'db');
    expect(current.metadata.labels).toEqual({ a: 'b' });
    const etcd = await harness.etcdState(store);
    if (etcd) {
      const stored = etcd.get('/registry/services/specs/default/db')!;
      expect(stored.modRevision).toBe(Number(current.metadata.resourceVersion));
      expect((stored.value.metadata as Record<string, unknown>).labels).toEqual({ a: 'b' });
    }
  });

  it('lists by namespace, label selector and field selector, in name order', async () => {
    const store = await harness.newStore();
    store.create(namespaces, { metadata: { name: 'other' } });
    store.create(pods, pod('b', { app: 'web', tier: 'front' }, 'node-1'), 'default');
    store.create(pods, pod('a', { app: 'web', tier: 'back' }, 'node-2'), 'default');
    store.create(pods, pod('c', { app: 'db' }, 'node-1'), 'other');
    expect(names(store.list(pods).items)).toEqual(['a', 'b', 'c']);
    expect(names(store.list(pods, { namespace: 'other' }).items)).toEqual(['c']);
    expect(names(store.list(pods, { labelSelector: parseLabelSelector('app=web,tier!=back') }).items)).toEqual(['b']);
    expect(names(store.list(pods, { fieldSelector: parseFieldSelector('spec.nodeName=node-1', 'Pod') }).items)).toEqual(['b', 'c']);
    expect(names(store.list(pods, { labelSelector: parseLabelSelector('app in (db)'), fieldSelector: parseFieldSelector('metadata.namespace=other', 'Pod') }).items)).toEqual(['c']);
    expect(store.list(pods).resourceVersion).toBe(store.resourceVersion);
  });

  it('watches from a revision: the events after it, then the later ones', async () => {
    const store = await harness.newStore();
    const a = store.create(pods, pod('a'), 'default');
    store.create(pods, pod('b'), 'default');
    const seen: WatchEvent[] = [];
    const stop = store.watch(pods, { resourceVersion: a.metadata.resourceVersion }, (e) => seen.push(e));
    store.delete(pods, 'default', 'a');
    stop();
    store.create(pods, pod('c'), 'default');
    expect(seen.map((e) => `${e.type} ${e.object.metadata.name}`)).toEqual(['ADDED b', 'DELETED a']);
  });

  it('answers a watch from a revision older than the kept history with 410 Expired', async () => {
    const store = await harness.newStore(3);
    const first = store.create(pods, pod('p0'), 'default');
    for (let i = 1; i < 6; i++) store.create(pods, pod(`p${i}`), 'default');
    const expired = refusalOf(() => store.watch(pods, { resourceVersion: first.metadata.resourceVersion }, () => undefined));
    expect(expired.code).toBe('EXPIRED');
    expect(expired.message).toMatch(/^too old resource version: \d+ \(\d+\)$/);
  });

  it('undoes a transaction together: no object, no event, nothing in etcd; a committed one is one revision', async () => {
    const store = await harness.newStore();
    const events: string[] = [];
    store.subscribe((e) => events.push(e.object.metadata.name));
    expect(() =>
      store.transaction(() => {
        store.create(pods, pod('x'), 'default');
        store.create(nodes, { metadata: { name: 'n1' } });
        throw new DomainError('INVALID', 'refused');
      }),
    ).toThrow('refused');
    expect(store.tryGet(pods, 'default', 'x')).toBeUndefined();
    expect(store.tryGet(nodes, undefined, 'n1')).toBeUndefined();
    expect(events).toEqual([]);
    const [y, d] = store.transaction(() => [
      store.create(pods, pod('y'), 'default'),
      store.create(deployments, { metadata: { name: 'web' }, spec: { selector: { matchLabels: { a: 'b' } }, template: { metadata: { labels: { a: 'b' } }, spec: { containers: [{ name: 'c', image: 'i' }] } } } }, 'default'),
    ]);
    expect(events).toEqual(['y', 'web']);
    const etcd = await harness.etcdState(store);
    if (etcd) {
      expect(etcd.has('/registry/pods/default/x')).toBe(false);
      expect(etcd.has('/registry/minions/n1')).toBe(false);
      // One store transaction, one etcd transaction: both keys carry its revision, which is their resourceVersion.
      expect(etcd.get('/registry/pods/default/y')!.modRevision).toBe(Number(y.metadata.resourceVersion));
      expect(etcd.get('/registry/deployments/default/web')!.modRevision).toBe(Number(y.metadata.resourceVersion));
      expect(d.metadata.resourceVersion).toBe(y.metadata.resourceVersion);
    }
  });
}

describe('store contract: memory backend', () => {
  contract({
    newStore: async (historyEvents) => newMemoryStore(historyEvents).store,
    etcdState: async () => undefined,
  });
});

describeWithEtcd('store contract: etcd backend')('store contract: etcd backend', () => {
  const spec = useSpecEtcd();
  let prefixes = 0;

  /** A fresh store on its own prefix of the one etcd (so the cases do not see each other). */
  async function connect(prefix: string): Promise<{ store: ObjectStore; backend: EtcdBackend }> {
    await spec.settled();
    const backend = spec.connect({ prefix });
    backend.onFault((source, e) => {
      throw new Error(`${source}: ${(e as Error).message}`);
    });
    return { store: await storeOn(backend), backend };
  }

  async function read(prefix: string) {
    await spec.settled();
    const response = await spec.backends[0].client.kv.range({ key: Buffer.from(`${prefix}/`), range_end: Buffer.from(`${prefix}0`) });
    return new Map(response.kvs.map((kv) => [kv.key.toString().replace(prefix, '/registry'), { modRevision: Number(kv.mod_revision), value: JSON.parse(kv.value.toString()) }]));
  }

  const stores = new Map<ObjectStore, string>();
  contract({
    newStore: async (historyEvents) => {
      const prefix = `/case${++prefixes}`;
      // One etcd, one revision counter: the cases before must be done writing for versions to be revisions.
      await spec.settled();
      const store = await storeOn(spec.connect({ prefix }), historyEvents);
      store.create(namespaces, { metadata: { name: 'default' } });
      stores.set(store, prefix);
      return store;
    },
    etcdState: (store) => read(stores.get(store)!),
  });

  it('keeps the values as JSON without resourceVersion, the resourceVersion being the mod revision', async () => {
    const prefix = '/layout';
    const { store } = await connect(prefix);
    store.create(namespaces, { metadata: { name: 'default' } });
    const svc = store.create(services, { metadata: { name: 'web' }, spec: { ports: [{ port: 80 }] } }, 'default');
    const state = await read(prefix);
    const stored = state.get('/registry/services/specs/default/web')!;
    expect(stored.modRevision).toBe(Number(svc.metadata.resourceVersion));
    expect(stored.value.kind).toBe('Service');
    expect((stored.value.metadata as Record<string, unknown>).resourceVersion).toBeUndefined();
    expect((stored.value.metadata as Record<string, unknown>).uid).toBe(svc.metadata.uid);
  });

  it('reads back after a restart what was written: same objects, same resourceVersions, versions going on from the revision', async () => {
    const prefix = '/restart';
    const { store, backend } = await connect(prefix);
    store.create(namespaces, { metadata: { name: 'default' } });
    const a = store.create(pods, pod('a', { app: 'web' }), 'default');
    const n = store.create(nodes, { metadata: { name: 'node-1' } });
    store.delete(pods, 'default', 'a');
    const b = store.create(pods, pod('b', { app: 'web' }), 'default');
    await backend.durable();
    const again = await connect(prefix);
    expect(again.store.get(pods, 'default', 'b')).toEqual(b);
    expect(again.store.get(nodes, undefined, 'node-1')).toEqual(n);
    expect(again.store.tryGet(pods, 'default', 'a')).toBeUndefined();
    expect(a.metadata.uid).not.toBe(b.metadata.uid);
    expect(names(again.store.list(pods, { labelSelector: parseLabelSelector('app=web') }).items)).toEqual(['b']);
    const c = again.store.create(pods, pod('c'), 'default');
    await again.backend.durable();
    const stored = (await read(prefix)).get('/registry/pods/default/c')!;
    expect(stored.modRevision).toBe(Number(c.metadata.resourceVersion));
    expect(Number(c.metadata.resourceVersion)).toBeGreaterThan(Number(b.metadata.resourceVersion));
  });

  it('compacts etcd as kube-apiserver does: up to the revision of the tick before', async () => {
    const prefix = '/compaction';
    const { store, backend } = await connect(prefix);
    store.create(namespaces, { metadata: { name: 'default' } });
    const old = store.create(pods, pod('a'), 'default');
    await backend.durable();
    await backend.compactionTick();
    store.update(pods, 'default', 'a', { ...old, metadata: { ...old.metadata, labels: { v: '2' } } });
    await backend.durable();
    const readAt = (revision: number) => backend.client.kv.range({ key: Buffer.from(`${prefix}/pods/default/a`), revision });
    const tick = Number(old.metadata.resourceVersion);
    expect((await readAt(tick - 1)).kvs).toHaveLength(0);
    await backend.compactionTick();
    // The history since the tick before stays; what is older is gone.
    expect((await readAt(tick)).kvs).toHaveLength(1);
    await expect(readAt(tick - 1)).rejects.toThrow(/compacted/);
    // The store still answers watches from its own history, as the API server's watch cache does.
    const seen: string[] = [];
    store.watch(pods, { resourceVersion: old.metadata.resourceVersion }, (e) => seen.push(`${e.type} ${e.object.metadata.labels?.v}`))();
    expect(seen).toEqual(['MODIFIED 2']);
  });

  it('writes a transaction too large for one etcd transaction in several, versions following the revisions', async () => {
    const prefix = '/large';
    const store = await storeOn(spec.connect({ prefix, maxTxnOps: 4 }));
    store.create(namespaces, { metadata: { name: 'default' } });
    store.transaction(() => {
      for (let i = 0; i < 10; i++) store.create(pods, pod(`p${i}`), 'default');
    });
    const next = store.create(pods, pod('after'), 'default');
    const held = await read(prefix);
    expect([...held.keys()].filter((k) => k.startsWith('/registry/pods/'))).toHaveLength(11);
    expect(held.get('/registry/pods/default/after')!.modRevision).toBe(Number(next.metadata.resourceVersion));
  });
});
