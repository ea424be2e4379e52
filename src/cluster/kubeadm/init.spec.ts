import { loadClusterFile } from '../apply/cluster-file';
import { newCluster } from '../../../test/support/cluster/cluster';
import { PodSpec, PodStatus } from '../resources/pod.types';
import { kubeadmInit } from './init';
import { refusalOf as thrown } from '../../../test/support/common/domain-error';

const DEMO = 'fixtures/clusters/demo.yaml';

function demo() {
  const cluster = newCluster();
  loadClusterFile(cluster, DEMO, process.cwd());
  const pods = (namespace?: string) => cluster.store.list(cluster.store.resourceType('pods'), { namespace }).items;
  return { cluster, pods };
}

describe('the demo cluster, as a fresh kind cluster', () => {
  const d = demo();
  // Generated suffixes (a ReplicaSet's hash, a pod's five characters) as `*`; mirror pods keep their names.
  const names = (namespace: string) =>
    d.pods(namespace).map((p) => (p.metadata.generateName ? p.metadata.name.replace(/-[a-z0-9]{5}$/, '-*').replace(/-[a-z0-9]{8,10}-\*$/, '-*-*') : p.metadata.name));

  it('runs the control plane as static pods of kind-control-plane, with their mirror pods', () => {
    const mirrors = d.pods('kube-system').filter((p) => p.metadata.annotations?.['kubernetes.io/config.mirror']);
    expect(mirrors.map((p) => p.metadata.name).sort()).toEqual([
      'etcd-kind-control-plane',
      'kube-apiserver-kind-control-plane',
      'kube-controller-manager-kind-control-plane',
      'kube-scheduler-kind-control-plane',
    ]);
    for (const pod of mirrors) {
      const spec = pod.spec as PodSpec & { hostNetwork?: boolean };
      expect(spec.nodeName).toBe('kind-control-plane');
      expect(spec.hostNetwork).toBe(true);
      expect(spec.priorityClassName).toBe('system-node-critical');
      expect(spec.priority).toBe(2000001000);
      expect(pod.metadata.labels).toEqual({ component: pod.metadata.name.replace(/-kind-control-plane$/, ''), tier: 'control-plane' });
      expect(pod.metadata.annotations?.['kubernetes.io/config.source']).toBe('file');
      const status = pod.status as PodStatus;
      expect(status.phase).toBe('Running');
      expect(status.podIP).toBe('172.18.0.2');
    }
  });

  it('advertises the API server on the node address, and each component listens where kubeadm binds it', () => {
    const get = (name: string) => d.cluster.store.get(d.cluster.store.resourceType('pods'), 'kube-system', `${name}-kind-control-plane`);
    const apiserver = get('kube-apiserver');
    expect(apiserver.metadata.annotations?.['kubeadm.kubernetes.io/kube-apiserver.advertise-address.endpoint']).toBe('172.18.0.2:6443');
    expect(get('etcd').metadata.annotations?.['kubeadm.kubernetes.io/etcd.advertise-client-urls']).toBe('https://172.18.0.2:2379');
    const command = ((apiserver.spec as PodSpec).containers[0] as { command?: string[] }).command;
    expect(command).toEqual(expect.arrayContaining(['--advertise-address=172.18.0.2', '--secure-port=6443', '--service-cluster-ip-range=10.96.0.0/12']));
    const ports = (name: string) => (get(name).spec as PodSpec).containers[0].ports!.map((p) => p.containerPort);
    expect(ports('etcd')).toEqual([2379, 2380, 2381]);
    expect(ports('kube-apiserver')).toEqual([6443]);
    expect(ports('kube-controller-manager')).toEqual([10257]);
    expect(ports('kube-scheduler')).toEqual([10259]);
  });

  it('runs kube-proxy and flannel as DaemonSets with one host-network pod per node, control plane included', () => {
    for (const [namespace, prefix] of [
      ['kube-system', 'kube-proxy-'],
      ['kube-flannel', 'kube-flannel-ds-'],
    ]) {
      const daemons = d.pods(namespace).filter((p) => p.metadata.name.startsWith(prefix));
      expect(daemons.map((p) => (p.spec as PodSpec).nodeName).sort()).toEqual(['kind-control-plane', 'kind-worker', 'kind-worker2']);
      for (const pod of daemons) {
        expect((pod.spec as PodSpec & { hostNetwork?: boolean }).hostNetwork).toBe(true);
        expect((pod.spec as PodSpec).priority).toBe(2000001000);
        expect((pod.status as PodStatus).phase).toBe('Running');
      }
    }
  });

  it('has kind-shaped namespaces: kube-system, kube-flannel and local-path-storage', () => {
    expect(names('kube-system').sort()).toEqual([
      'coredns-*-*',
      'coredns-*-*',
      'etcd-kind-control-plane',
      'kube-apiserver-kind-control-plane',
      'kube-controller-manager-kind-control-plane',
      'kube-proxy-*',
      'kube-proxy-*',
      'kube-proxy-*',
      'kube-scheduler-kind-control-plane',
    ]);
    expect(names('kube-flannel')).toEqual(['kube-flannel-ds-*', 'kube-flannel-ds-*', 'kube-flannel-ds-*']);
    expect(names('local-path-storage')).toEqual(['local-path-provisioner-*-*']);
    const standard = d.cluster.store.get(d.cluster.store.resourceType('storageclasses.storage.k8s.io'), undefined, 'standard');
    expect(standard.metadata.annotations?.['storageclass.kubernetes.io/is-default-class']).toBe('true');
  });

  it("points the kubernetes Service at the API server's socket, as its reconciler writes the endpoints", () => {
    const slice = d.cluster.store.get(d.cluster.store.resourceType('endpointslices.discovery.k8s.io'), 'default', 'kubernetes') as never as {
      metadata: { labels: Record<string, string> };
      endpoints: unknown;
      ports: unknown;
    };
    expect(slice.metadata.labels).toEqual({ 'kubernetes.io/service-name': 'kubernetes' });
    expect(slice.endpoints).toEqual([{ addresses: ['172.18.0.2'], conditions: { ready: true } }]);
    expect(slice.ports).toEqual([{ name: 'https', port: 6443, protocol: 'TCP' }]);
    const endpoints = d.cluster.store.get(d.cluster.store.resourceType('endpoints'), 'default', 'kubernetes');
    expect(endpoints.metadata.labels).toEqual({ 'endpointslice.kubernetes.io/skip-mirror': 'true' });
    expect((endpoints as never as { subsets: unknown }).subsets).toEqual([{ addresses: [{ ip: '172.18.0.2' }], ports: [{ name: 'https', port: 6443, protocol: 'TCP' }] }]);
  });
});

describe('kubeadmInit', () => {
  it('names the field when the node is missing or not in the cluster', () => {
    const cluster = newCluster();
    const config = { apiVersion: 'kubeadm.k8s.io/v1beta4', kind: 'InitConfiguration' };
    expect(thrown(() => kubeadmInit(cluster, config)).message).toBe('InitConfiguration: nodeRegistration.name: Required value: the control-plane node');
    const e = thrown(() => kubeadmInit(cluster, { ...config, nodeRegistration: { name: 'cp' } }));
    expect(e.code).toBe('INVALID');
    expect(e.causes[0].field).toBe('nodeRegistration.name');
    expect(e.message).toBe('InitConfiguration: nodeRegistration.name: Not found: "cp": no such node in the cluster file');
  });

  it('stops a cluster file naming the document, its line and the field', () => {
    const e = thrown(() => loadClusterFile(newCluster(), 'fixtures/clusters/kubeadm-missing-node.yaml', process.cwd()));
    expect(e.message).toBe('document 2 (line 8), InitConfiguration: nodeRegistration.name: Not found: "cp": no such node in the cluster file');
    expect(e.causes).toEqual([expect.objectContaining({ field: 'nodeRegistration.name' })]);
  });

  it('writes the four manifests to that node, advertised on its InternalIP (or the address given)', () => {
    const cluster = newCluster();
    cluster.store.create(cluster.store.resourceType('nodes'), { metadata: { name: 'cp' } });
    expect(kubeadmInit(cluster, { apiVersion: 'kubeadm.k8s.io/v1beta4', kind: 'InitConfiguration', nodeRegistration: { name: 'cp' } })).toEqual([
      'etcd.yaml',
      'kube-apiserver.yaml',
      'kube-controller-manager.yaml',
      'kube-scheduler.yaml',
    ]);
    expect(cluster.kubelets.staticPods.manifests('cp').map((m) => m.file)).toEqual(['etcd.yaml', 'kube-apiserver.yaml', 'kube-controller-manager.yaml', 'kube-scheduler.yaml']);
    const apiserver = cluster.store.get(cluster.store.resourceType('pods'), 'kube-system', 'kube-apiserver-cp');
    expect(apiserver.metadata.annotations?.['kubeadm.kubernetes.io/kube-apiserver.advertise-address.endpoint']).toBe('172.18.0.2:6443');
  });
});
