import { SeededRandom } from '../../common/random';
import { AddressPools } from '../../ipam/address-pools';
import { Cluster } from '../cluster';
import { TEST_POOL_OPTIONS } from '../../../test/support/cluster/cluster';
import { kubeadmInit } from '../kubeadm/init';
import { SimulationClock } from '../simulation-clock';
import { snapshotEntries } from '../snapshot/snapshot-document';
import { resourceTypeByKey } from '../store/resource-types';
import { KubeletState, KubeletStateKeeper, MEMORY_BACKEND, StoreBackend } from '../store/store-backend';
import { KubeObject, ObjectInput } from '../store/types';
import { MIRROR_ANNOTATION } from './kubelet-static-pods';

const t = (key: string) => resourceTypeByKey(key)!;

/** The kubelets' state as a durable backend keeps it (etcd's, in the process: see etcd-backend.ts). */
class Disk implements KubeletStateKeeper {
  readonly files = new Map<string, ObjectInput>();
  readonly stopped = new Set<string>();
  writeManifest(node: string, file: string, pod: ObjectInput | undefined): void {
    if (pod === undefined) this.files.delete(`${node}/${file}`);
    else this.files.set(`${node}/${file}`, structuredClone(pod));
  }
  writeStopped(node: string, stopped: boolean): void {
    if (stopped) this.stopped.add(node);
    else this.stopped.delete(node);
  }
  replaceAll(state: KubeletState): void {
    this.files.clear();
    this.stopped.clear();
    for (const { node, file, pod } of state.manifests) this.writeManifest(node, file, pod);
    for (const node of state.stopped) this.writeStopped(node, true);
  }
  read(): KubeletState {
    return {
      manifests: [...this.files].map(([key, pod]) => ({ node: key.split('/')[0], file: key.split('/')[1], pod: structuredClone(pod) })),
      stopped: [...this.stopped],
    };
  }
}

function cluster(backend: StoreBackend, restored?: { from: Cluster; kubelets?: KubeletState }): Cluster {
  const random = new SeededRandom(1);
  return Cluster.create({
    pools: AddressPools.create(TEST_POOL_OPTIONS, random),
    clock: new SimulationClock(Date.UTC(2026, 0, 1)),
    random,
    backend,
    ...(restored
      ? { restored: { revision: Number(restored.from.store.resourceVersion), entries: structuredClone(snapshotEntries(restored.from)), kubelets: restored.kubelets } }
      : {}),
  });
}

/** What kubeadm init leaves on `cp`, with a worker beside it. */
function controlPlane(disk: Disk): Cluster {
  const c = cluster({ ...MEMORY_BACKEND, kubelets: disk });
  c.store.create(t('nodes'), { metadata: { name: 'cp' }, status: { addresses: [{ type: 'InternalIP', address: '172.18.0.2' }] } });
  c.store.create(t('nodes'), { metadata: { name: 'w1' } });
  kubeadmInit(c, { apiVersion: 'kubeadm.k8s.io/v1beta4', kind: 'InitConfiguration', nodeRegistration: { name: 'cp' } });
  c.store.commit();
  return c;
}

const mirrors = (c: Cluster): KubeObject[] => c.store.list(t('pods')).items.filter((p) => p.metadata.annotations?.[MIRROR_ANNOTATION]);
const identity = (p: KubeObject) => `${p.metadata.namespace}/${p.metadata.name} ${p.metadata.uid} ${p.metadata.resourceVersion}`;

describe('static pods on a durable store (the nodes\' manifest directories)', () => {
  it('writes each manifest put, removed or gone with its node to the disk the backend keeps', () => {
    const disk = new Disk();
    const c = controlPlane(disk);
    expect([...disk.files.keys()].sort()).toEqual(['cp/etcd.yaml', 'cp/kube-apiserver.yaml', 'cp/kube-controller-manager.yaml', 'cp/kube-scheduler.yaml']);
    expect(disk.files.get('cp/etcd.yaml')).toEqual(c.kubelets.staticPods.manifests('cp').find((m) => m.file === 'etcd.yaml')!.pod);
    c.kubelets.staticPods.deleteManifest('cp', 'kube-scheduler.yaml');
    const extra = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'probe', namespace: 'default' }, spec: { containers: [{ name: 'c', image: 'busybox' }] } };
    c.kubelets.staticPods.putManifest('w1', 'probe.yaml', extra);
    expect([...disk.files.keys()].sort()).toEqual(['cp/etcd.yaml', 'cp/kube-apiserver.yaml', 'cp/kube-controller-manager.yaml', 'w1/probe.yaml']);
    expect(disk.files.get('w1/probe.yaml')).toEqual(extra);
    c.store.delete(t('nodes'), undefined, 'w1');
    expect([...disk.files.keys()].sort()).toEqual(['cp/etcd.yaml', 'cp/kube-apiserver.yaml', 'cp/kube-controller-manager.yaml']);
  });

  it('a restart finds its static pods: the same mirror pods, none made again, none twice', () => {
    const disk = new Disk();
    const before = controlPlane(disk);
    const extra = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'probe', namespace: 'default' }, spec: { containers: [{ name: 'c', image: 'busybox' }] } };
    before.kubelets.staticPods.putManifest('w1', 'probe.yaml', extra);
    before.advance(60); // started and Ready: nothing more to change
    const was = mirrors(before).map(identity).sort();
    expect(was).toHaveLength(5);
    const revision = before.store.resourceVersion;
    before.retire('restarted');

    const after = cluster({ ...MEMORY_BACKEND, kubelets: disk }, { from: before, kubelets: disk.read() });
    after.store.commit();
    expect(mirrors(after).map(identity).sort()).toEqual(was);
    expect(mirrors(after)).toEqual(mirrors(before));
    expect(after.kubelets.staticPods.manifests('cp')).toEqual(before.kubelets.staticPods.manifests('cp'));
    expect(after.kubelets.staticPods.manifests('w1')).toEqual([{ file: 'probe.yaml', pod: extra }]);
    // A mirror pod deleted after the restart comes back, as before it.
    after.store.delete(t('pods'), 'kube-system', 'etcd-cp', { gracePeriodSeconds: 0 });
    expect(after.store.get(t('pods'), 'kube-system', 'etcd-cp').metadata.annotations?.[MIRROR_ANNOTATION]).toBeDefined();
    expect(Number(after.store.resourceVersion)).toBeGreaterThan(Number(revision));
  });

  it('without the manifests a restart removes the mirror pods, as a kubelet with an empty manifest directory does', () => {
    const disk = new Disk();
    const before = controlPlane(disk);
    before.retire('restarted');
    const after = cluster({ ...MEMORY_BACKEND, kubelets: disk }, { from: before });
    after.store.commit();
    expect(mirrors(after)).toEqual([]);
  });

  it('a stopped kubelet stays stopped across a restart: no lease renewed, no mirror pod made, until it is started', () => {
    const disk = new Disk();
    const before = controlPlane(disk);
    before.kubelets.stop('w1');
    expect([...disk.stopped]).toEqual(['w1']);
    const extra = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'probe', namespace: 'default' }, spec: { containers: [{ name: 'c', image: 'busybox' }] } };
    before.kubelets.staticPods.putManifest('w1', 'probe.yaml', extra);
    expect(before.store.tryGet(t('pods'), 'default', 'probe-w1')).toBeUndefined();
    before.retire('restarted');

    const after = cluster({ ...MEMORY_BACKEND, kubelets: disk }, { from: before, kubelets: disk.read() });
    after.store.commit();
    expect(after.kubelets.isRunning('w1')).toBe(false);
    expect(after.kubelets.isRunning('cp')).toBe(true);
    expect(after.kubelets.nextLeaseRenewal('w1')).toBeUndefined();
    expect(after.kubelets.staticPods.manifests('w1')).toEqual([{ file: 'probe.yaml', pod: extra }]);
    after.advance(60);
    expect(after.store.tryGet(t('pods'), 'default', 'probe-w1')).toBeUndefined();
    // Started again: it runs its static pod, and the disk forgets it was stopped.
    after.kubelets.start('w1');
    expect(disk.stopped.size).toBe(0);
    expect(after.store.get(t('pods'), 'default', 'probe-w1').metadata.annotations?.[MIRROR_ANNOTATION]).toBeDefined();
    // A node deleted takes its kubelet's state with it.
    after.kubelets.stop('w1');
    after.store.delete(t('nodes'), undefined, 'w1');
    expect(disk.stopped.size).toBe(0);
  });

  it('a takeover reads the state again: a kubelet started meanwhile runs, one stopped meanwhile stops', () => {
    const disk = new Disk();
    const c = controlPlane(disk);
    c.kubelets.stop('w1');
    c.kubelets.loadState({ manifests: disk.read().manifests, stopped: ['cp'] });
    expect(c.kubelets.isRunning('w1')).toBe(true);
    expect(c.kubelets.isRunning('cp')).toBe(false);
    // Nothing written back: the disk says what it said.
    expect([...disk.stopped]).toEqual(['w1']);
  });
});
