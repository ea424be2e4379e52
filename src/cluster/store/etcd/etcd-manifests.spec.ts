/**
 * The kubelets' state on a real etcd (test/support/etcd.ts; skipped, saying
 * so, where etcd is not installed): manifest directories and stopped kubelets
 * kept beside the objects under `/kube-netsim<prefix>/`, written in the
 * store's next transaction, or on their own once the commit hooks ran when
 * none carried them (a revision no object takes), read back at start-up.
 */
import { describeWithEtcd } from '../../../../test/support/etcd';
import { namespaces, pod, pods } from '../../../../test/support/cluster/store';
import { storeOn, useSpecEtcd } from '../../../../test/support/cluster/spec-etcd';

const manifest = (name: string) => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'kube-system' }, spec: { containers: [{ name, image: name }] } });

describeWithEtcd('etcd manifests spec')('EtcdBackend: the kubelets\' state (manifest directories, stopped kubelets)', () => {
  const spec = useSpecEtcd();

  async function open(prefix: string) {
    const backend = spec.connect({ prefix });
    const store = await storeOn(backend);
    store.create(namespaces, { metadata: { name: 'default' } });
    await backend.durable();
    return { store, backend };
  }

  const keys = (prefix: string) => spec.server.etcdctl('get', prefix, '--prefix', '--keys-only').split('\n').filter(Boolean);
  const modRevision = (key: string) => (JSON.parse(spec.server.etcdctl('get', key, '-w', 'json')) as { kvs?: Array<{ mod_revision: number }> }).kvs?.[0]?.mod_revision;

  it('writes a manifest with the next store transaction, at its revision, and reads it back at start-up', async () => {
    const { store, backend } = await open('/m1');
    backend.kubelets.writeManifest('cp', 'etcd.yaml', manifest('etcd'));
    backend.kubelets.writeManifest('cp', 'kube-apiserver.yaml', manifest('kube-apiserver'));
    await backend.durable();
    expect(keys('/kube-netsim/m1/')).toEqual([]);
    const a = store.create(pods, pod('a'), 'default');
    await backend.durable();
    expect(keys('/kube-netsim/m1/')).toEqual(['/kube-netsim/m1/manifests/cp/etcd.yaml', '/kube-netsim/m1/manifests/cp/kube-apiserver.yaml']);
    // One etcd transaction: the pod and the files share its revision, which is the pod's resourceVersion.
    expect(modRevision('/kube-netsim/m1/manifests/cp/etcd.yaml')).toBe(Number(a.metadata.resourceVersion));
    expect(modRevision('/m1/pods/default/a')).toBe(Number(a.metadata.resourceVersion));
    backend.kubelets.writeManifest('cp', 'kube-apiserver.yaml', undefined);
    const b = store.create(pods, pod('b'), 'default');
    await backend.durable();
    expect(modRevision('/m1/pods/default/b')).toBe(Number(b.metadata.resourceVersion));

    const again = await spec.connect({ prefix: '/m1' }).load();
    expect(again.kubelets).toEqual({ manifests: [{ node: 'cp', file: 'etcd.yaml', pod: manifest('etcd') }], stopped: [] });
    expect(again.revision).toBe(Number(b.metadata.resourceVersion));
    expect(again.foreignKeys).toBe(0);
  });

  it('replaces every directory (a snapshot restored), files written but not yet in etcd among them', async () => {
    const { store, backend } = await open('/m2');
    backend.kubelets.writeManifest('cp', 'etcd.yaml', manifest('etcd'));
    store.create(pods, pod('a'), 'default');
    backend.kubelets.writeManifest('w1', 'probe.yaml', manifest('probe'));
    backend.kubelets.writeStopped('w1', true);
    backend.kubelets.replaceAll({ manifests: [{ node: 'w2', file: 'x.yaml', pod: manifest('x') }], stopped: ['w3'] });
    store.create(pods, pod('b'), 'default');
    await backend.durable();
    expect(keys('/kube-netsim/m2/')).toEqual(['/kube-netsim/m2/kubelets/w3', '/kube-netsim/m2/manifests/w2/x.yaml']);
    expect((await spec.connect({ prefix: '/m2' }).load()).kubelets).toEqual({ manifests: [{ node: 'w2', file: 'x.yaml', pod: manifest('x') }], stopped: ['w3'] });
  });

  it('writes a change no transaction carried on its own once the commit hooks ran: durable, at a revision no object takes', async () => {
    const { store, backend } = await open('/m3');
    const a = store.create(pods, pod('a'), 'default');
    await backend.durable();
    const listed = store.resourceVersion;
    // A manifest put for a stopped kubelet: no mirror pod is written, so no store transaction follows.
    backend.kubelets.writeManifest('w1', 'probe.yaml', manifest('probe'));
    backend.kubelets.writeStopped('w1', true);
    store.commit();
    expect(backend.pending).toBe(true); // the server's answer waits for it (store-gate.ts)
    await backend.durable();
    expect(keys('/kube-netsim/m3/')).toEqual(['/kube-netsim/m3/kubelets/w1', '/kube-netsim/m3/manifests/w1/probe.yaml']);
    expect(spec.server.etcdctl('get', '/kube-netsim/m3/kubelets/w1', '--print-value-only').trim()).toBe('{"running":false}');
    const aside = modRevision('/kube-netsim/m3/manifests/w1/probe.yaml')!;
    expect(aside).toBe(Number(a.metadata.resourceVersion) + 1);
    expect(modRevision('/kube-netsim/m3/kubelets/w1')).toBe(aside);
    // What clients see does not move: the last object written is still the list's resourceVersion.
    expect(store.resourceVersion).toBe(listed);
    // A transaction undone after it gives back no revision etcd took: the next write's resourceVersion is its key's mod revision.
    expect(() =>
      store.transaction(() => {
        store.create(pods, pod('undone'), 'default');
        throw new Error('undone');
      }),
    ).toThrow('undone');
    const b = store.create(pods, pod('b'), 'default');
    await backend.durable();
    expect(Number(b.metadata.resourceVersion)).toBe(aside + 1);
    expect(modRevision('/m3/pods/default/b')).toBe(aside + 1);
    // The kubelet started again: its key goes, on its own too.
    backend.kubelets.writeStopped('w1', false);
    store.commit();
    await backend.durable();
    expect(keys('/kube-netsim/m3/')).toEqual(['/kube-netsim/m3/manifests/w1/probe.yaml']);
    const c = store.create(pods, pod('c'), 'default');
    await backend.durable();
    expect(modRevision('/m3/pods/default/c')).toBe(Number(c.metadata.resourceVersion));

    const again = await spec.connect({ prefix: '/m3' }).load();
    expect(again.kubelets).toEqual({ manifests: [{ node: 'w1', file: 'probe.yaml', pod: manifest('probe') }], stopped: [] });
    expect(again.revision).toBe(Number(c.metadata.resourceVersion));
  });

  it('a change made and undone before it is written (a delete of a key etcd never held) still takes the revision the store counts', async () => {
    const { store, backend } = await open('/m5');
    backend.kubelets.writeStopped('w1', true);
    backend.kubelets.writeStopped('w1', false);
    store.commit();
    await backend.durable();
    expect(keys('/kube-netsim/m5/')).toEqual([]);
    const a = store.create(pods, pod('a'), 'default');
    await backend.durable();
    expect(modRevision('/m5/pods/default/a')).toBe(Number(a.metadata.resourceVersion));
  });

  it('writes nothing when nothing waits, and removes only what it holds', async () => {
    const { store, backend } = await open('/m4');
    const before = spec.server.etcdctl('endpoint', 'status', '-w', 'json');
    backend.kubelets.writeStopped('w1', false); // never stopped: nothing to remove
    store.commit();
    expect(backend.pending).toBe(false);
    expect(JSON.parse(spec.server.etcdctl('endpoint', 'status', '-w', 'json'))[0].Status.header.revision).toBe(JSON.parse(before)[0].Status.header.revision);
  });
});
