import { resourceTypeByKey } from '../resource-types';
import { EtcdKeyReader, etcdKey, kubeletStateKey, kubeletStatePrefix, normalizePrefix, readKubeletState, STOPPED_KUBELET } from './etcd-keys';

const type = (key: string) => resourceTypeByKey(key)!;

describe('etcd keys as kube-apiserver lays them out', () => {
  it.each([
    ['services', 'default', 'web', '/registry/services/specs/default/web'],
    ['endpoints', 'default', 'web', '/registry/services/endpoints/default/web'],
    ['nodes', undefined, 'node-1', '/registry/minions/node-1'],
    ['replicationcontrollers', 'default', 'rc', '/registry/controllers/default/rc'],
    ['ingresses.networking.k8s.io', 'default', 'ing', '/registry/ingress/default/ing'],
    ['pods', 'kube-system', 'coredns-1', '/registry/pods/kube-system/coredns-1'],
    ['deployments.apps', 'default', 'web', '/registry/deployments/default/web'],
    ['endpointslices.discovery.k8s.io', 'default', 'web-abcde', '/registry/endpointslices/default/web-abcde'],
    ['leases.coordination.k8s.io', 'kube-node-lease', 'node-1', '/registry/leases/kube-node-lease/node-1'],
    ['namespaces', undefined, 'default', '/registry/namespaces/default'],
    ['clusterroles.rbac.authorization.k8s.io', undefined, 'admin', '/registry/clusterroles/admin'],
    ['events', 'default', 'web.1', '/registry/events/default/web.1'],
  ])('%s %s/%s is %s, and reads back', (resource, namespace, name, key) => {
    expect(etcdKey('/registry', type(resource), namespace, name)).toBe(key);
    const back = new EtcdKeyReader('/registry').resourceOf(key)!;
    expect([back.type, back.namespace, back.name]).toEqual([type(resource), namespace, name]);
  });

  it('takes a custom prefix as --etcd-prefix does, and leaves keys that are not objects alone', () => {
    expect(normalizePrefix('kubernetes.io/')).toBe('/kubernetes.io');
    expect(etcdKey(normalizePrefix('/kubernetes.io'), type('nodes'), undefined, 'n1')).toBe('/kubernetes.io/minions/n1');
    const reader = new EtcdKeyReader('/registry');
    expect(reader.resourceOf('/registry/ranges/serviceips')).toBeUndefined();
    expect(reader.resourceOf('/registry/pods/default')).toBeUndefined();
    expect(reader.resourceOf('/registry/apiregistration.k8s.io/apiservices/v1.')).toBeUndefined();
  });
});

describe('the kubelets\' state beside the objects', () => {
  const under = kubeletStatePrefix('/registry');
  const value = (v: unknown) => Buffer.from(JSON.stringify(v));
  const read = (...kvs: Array<[string, Buffer]>) => readKubeletState(under, kvs.map(([key, v]) => ({ key: Buffer.from(key), value: v })));

  it('lives under /kube-netsim<prefix>/: manifests/<node>/<file> and kubelets/<node>, outside the prefix', () => {
    expect(under).toBe('/kube-netsim/registry/');
    expect(kubeletStatePrefix('/cluster-a')).toBe('/kube-netsim/cluster-a/');
    expect(kubeletStateKey(under, 'cp', 'etcd.yaml')).toBe('/kube-netsim/registry/manifests/cp/etcd.yaml');
    expect(kubeletStateKey(under, 'w1')).toBe('/kube-netsim/registry/kubelets/w1');
    expect(new EtcdKeyReader('/registry').resourceOf(kubeletStateKey(under, 'cp', 'etcd.yaml'))).toBeUndefined();
    expect(new EtcdKeyReader('/registry').resourceOf(kubeletStateKey(under, 'w1'))).toBeUndefined();
  });

  it('is read back by node and file, and by stopped node; other keys and values are neither', () => {
    const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'etcd' } };
    expect(read([`${under}manifests/cp/etcd.yaml`, value(pod)], [`${under}kubelets/w1`, Buffer.from(STOPPED_KUBELET)])).toEqual({
      manifests: [{ node: 'cp', file: 'etcd.yaml', pod }],
      stopped: ['w1'],
    });
    const none = { manifests: [], stopped: [] };
    expect(read([`${under}manifests/cp/etcd.yaml`, Buffer.from('{not json')])).toEqual(none);
    expect(read([`${under}manifests/cp/etcd.yaml`, value([pod])])).toEqual(none);
    expect(read([`${under}manifests/cp/etcd.yaml`, value(null)])).toEqual(none);
    expect(read([`${under}manifests/cp`, value(pod)])).toEqual(none);
    expect(read([`${under}manifests/cp/a/etcd.yaml`, value(pod)])).toEqual(none);
    expect(read(['/kube-netsim/other/manifests/cp/etcd.yaml', value(pod)])).toEqual(none);
    expect(read([`${under}kubelets/w1`, value({ running: true })])).toEqual(none);
    expect(read([`${under}kubelets/w1/x`, value({ running: false })])).toEqual(none);
    expect(read([`${under}revision`, Buffer.from('')])).toEqual(none);
  });
});
