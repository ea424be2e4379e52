/**
 * The kubelets' manifest directories on a real etcd (test/support/etcd.ts;
 * skipped, saying so, where etcd is not installed): kept beside the objects
 * under `/kube-netsim<prefix>/manifests/`, written in the store's next
 * transaction (no revision of their own), read back at start-up.
 */
import { describeWithEtcd } from '../../../../test/support/etcd';
import { namespaces, pod, pods } from '../../../../test/support/cluster/store';
import { storeOn, useSpecEtcd } from '../../../../test/support/cluster/spec-etcd';

const manifest = (name: string) => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'kube-system' }, spec: { containers: [{ name, image: name }] } });

describeWithEtcd('etcd manifests spec')('EtcdBackend: the kubelets\' manifest directories', () => {
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
    backend.manifests.write('cp', 'etcd.yaml', manifest('etcd'));
    backend.manifests.write('cp', 'kube-apiserver.yaml', manifest('kube-apiserver'));
    await backend.durable();
    expect(keys('/kube-netsim/m1/')).toEqual([]);
    const a = store.create(pods, pod('a'), 'default');
    await backend.durable();
    expect(keys('/kube-netsim/m1/')).toEqual(['/kube-netsim/m1/manifests/cp/etcd.yaml', '/kube-netsim/m1/manifests/cp/kube-apiserver.yaml']);
    // One etcd transaction: the pod and the files share its revision, which is the pod's resourceVersion.
    expect(modRevision('/kube-netsim/m1/manifests/cp/etcd.yaml')).toBe(Number(a.metadata.resourceVersion));
    expect(modRevision('/m1/pods/default/a')).toBe(Number(a.metadata.resourceVersion));
    backend.manifests.write('cp', 'kube-apiserver.yaml', undefined);
    const b = store.create(pods, pod('b'), 'default');
    await backend.durable();
    expect(modRevision('/m1/pods/default/b')).toBe(Number(b.metadata.resourceVersion));

    const again = await spec.connect({ prefix: '/m1' }).load();
    expect(again.manifests).toEqual([{ node: 'cp', file: 'etcd.yaml', pod: manifest('etcd') }]);
    expect(again.revision).toBe(Number(b.metadata.resourceVersion));
    expect(again.foreignKeys).toBe(0);
  });

  it('replaces every directory (a snapshot restored), files written but not yet in etcd among them', async () => {
    const { store, backend } = await open('/m2');
    backend.manifests.write('cp', 'etcd.yaml', manifest('etcd'));
    store.create(pods, pod('a'), 'default');
    backend.manifests.write('w1', 'probe.yaml', manifest('probe'));
    backend.manifests.replaceAll([{ node: 'w2', file: 'x.yaml', pod: manifest('x') }]);
    store.create(pods, pod('b'), 'default');
    await backend.durable();
    expect(keys('/kube-netsim/m2/')).toEqual(['/kube-netsim/m2/manifests/w2/x.yaml']);
    expect((await spec.connect({ prefix: '/m2' }).load()).manifests).toEqual([{ node: 'w2', file: 'x.yaml', pod: manifest('x') }]);
  });
});
