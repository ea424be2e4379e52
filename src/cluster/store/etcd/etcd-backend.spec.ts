/**
 * The etcd backend against a real etcd (test/support/etcd.ts; skipped,
 * saying so, where etcd is not installed), where a write meets trouble: a
 * try whose answer is lost though etcd applied it (a member that died just
 * after), and an etcd restored from a snapshot under a running kube-netsim.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describeWithEtcd, EtcdServer, restoreSnapshot, startEtcd } from '../../../../test/support/etcd';
import { namespaces, pod, pods } from '../../../../test/support/cluster/store';
import type { EtcdBackend, EtcdConnection } from './etcd-backend';
import { storeOn, useSpecEtcd } from '../../../../test/support/cluster/spec-etcd';

describeWithEtcd('etcd backend spec')('EtcdBackend when a write meets trouble', () => {
  const spec = useSpecEtcd();
  let prefixes = 0;

  /** A store on its own prefix, its faults and replacement messages collected. */
  async function open(connection: Partial<EtcdConnection> = {}) {
    const prefix = connection.prefix ?? `/trouble${++prefixes}`;
    const backend = spec.connect({ prefix, retryMs: 10, ...connection });
    const faults: string[] = [];
    const replaced: string[] = [];
    backend.onFault((_source, e) => faults.push((e as Error).message));
    backend.onReplaced((message) => replaced.push(message));
    const store = await storeOn(backend);
    store.create(namespaces, { metadata: { name: 'default' } });
    await backend.durable();
    return { store, backend, faults, replaced, prefix };
  }

  /** The next `count` transactions reach etcd (or not, `applied`) and then fail as a lost answer does. */
  function loseAnswers(backend: EtcdBackend, count: number, applied: boolean): void {
    const kv = backend.client.kv;
    const txn = kv.txn.bind(kv);
    let left = count;
    kv.txn = (async (...args: Parameters<typeof txn>) => {
      if (left <= 0 || args[0].compare?.length === 0 && args[0].success?.every((op) => op.request_range)) return txn(...args);
      left--;
      if (applied) await txn(...args);
      throw new Error('14 UNAVAILABLE: Connection dropped');
    }) as typeof kv.txn;
  }

  async function modRevision(backend: EtcdBackend, key: string): Promise<number | undefined> {
    const kv = (await backend.client.kv.range({ key: Buffer.from(key) })).kvs[0];
    return kv ? Number(kv.mod_revision) : undefined;
  }

  const retried = (faults: string[]) => faults.filter((f) => !/^etcd write failed, retrying in \d+ ms: .*Connection dropped/.test(f));

  it('recognises a try etcd applied though its answer was lost: no refusal, the revision learned, the next update taken', async () => {
    const { store, backend, faults, prefix } = await open();
    loseAnswers(backend, 1, true);
    const a = store.create(pods, pod('a'), 'default');
    await backend.durable();
    expect(faults).toHaveLength(1);
    expect(await modRevision(backend, `${prefix}/pods/default/a`)).toBe(Number(a.metadata.resourceVersion));
    const b = store.update(pods, 'default', 'a', { ...a, metadata: { ...a.metadata, labels: { v: '2' } } });
    await backend.durable();
    expect(retried(faults)).toEqual([]);
    expect(await modRevision(backend, `${prefix}/pods/default/a`)).toBe(Number(b.metadata.resourceVersion));
  });

  it('writes once a try that did not reach etcd, and once one that did: resourceVersions stay the revisions', async () => {
    const { store, backend, faults, prefix } = await open();
    loseAnswers(backend, 2, false);
    const a = store.create(pods, pod('a'), 'default');
    await backend.durable();
    // A transaction that leaves nothing in etcd still takes its revision, once, though its answer was lost.
    loseAnswers(backend, 1, true);
    store.transaction(() => {
      store.create(pods, pod('gone'), 'default');
      store.delete(pods, 'default', 'gone');
    });
    const c = store.create(pods, pod('c'), 'default');
    await backend.durable();
    expect(faults).toHaveLength(3);
    expect(retried(faults)).toEqual([]);
    expect(await modRevision(backend, `${prefix}/pods/default/a`)).toBe(Number(a.metadata.resourceVersion));
    expect(await modRevision(backend, `${prefix}/pods/default/c`)).toBe(Number(c.metadata.resourceVersion));
  });

  // A restore with etcdctl's defaults makes a new cluster ID; one that names the member's own name and peer URL
  // (as on a kubeadm control plane) keeps the ID, and only its revision, back at the snapshot's, tells.
  it.each([
    ['with the defaults: a new cluster ID', () => [], /^etcd is a new etcd cluster \(ID [0-9a-f]+, was [0-9a-f]+\): /],
    ['as the same member: the revision went back', (own: EtcdServer) => [`--name=${own.name}`, `--initial-cluster=${own.name}=${own.peerUrl}`, `--initial-advertise-peer-urls=${own.peerUrl}`], /^etcd went back to revision (\d+) \(it was at \d+\): /],
  ])('writes nothing to an etcd restored from a snapshot under it, and says so (restored %s)', async (_case, flags, reason) => {
    const work = mkdtempSync(path.join(tmpdir(), 'netsim-etcd-replaced-'));
    const own = await startEtcd();
    let restored: EtcdServer | undefined;
    try {
      const { store, backend, replaced } = await open({ endpoints: [own.endpoint], prefix: '/registry' });
      store.create(pods, pod('before'), 'default');
      await backend.durable();
      own.etcdctl('snapshot', 'save', path.join(work, 'snap.db'));
      store.create(pods, pod('after'), 'default');
      await backend.durable();
      await own.kill();
      restoreSnapshot(path.join(work, 'snap.db'), path.join(work, 'restored'), flags(own));
      restored = await startEtcd({ dataDir: path.join(work, 'restored'), clientPort: Number(new URL(own.endpoint).port) });
      store.create(pods, pod('later'), 'default');
      store.delete(pods, 'default', 'before');
      await backend.durable();
      expect(replaced).toHaveLength(1);
      expect(replaced[0]).toMatch(reason);
      expect(replaced[0]).toMatch(/: restored from a snapshot or replaced while kube-netsim was running\. kube-netsim writes nothing to it; start kube-netsim again to serve what it holds$/);
      expect(restored.etcdctl('get', '/registry/pods', '--prefix', '--keys-only').split('\n').filter(Boolean)).toEqual(['/registry/pods/default/before']);
    } finally {
      await own.stop();
      await restored?.stop();
      rmSync(work, { recursive: true, force: true });
    }
  }, 60_000);
});

