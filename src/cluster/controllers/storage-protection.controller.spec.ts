import { Cluster } from '../cluster';
import { newCluster } from '../../../test/support/cluster/cluster';
import { resourceTypeByKey } from '../store/resource-types';

/** pvc-protection and pv-protection: a claim in use, and a Bound volume, stay Terminating until nothing holds them. */
const t = (key: string) => resourceTypeByKey(key)!;
const pods = t('pods');
const pvs = t('persistentvolumes');
const pvcs = t('persistentvolumeclaims');

function cluster(): Cluster {
  const c = newCluster();
  c.store.create(t('nodes'), { metadata: { name: 'w1' } });
  return c;
}
const claimSpec = { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } };
const podUsing = (name: string, claimName: string, extra: Record<string, unknown> = {}) => ({
  metadata: { name },
  spec: { containers: [{ name: 'app', image: 'busybox' }], volumes: [{ name: 'data', persistentVolumeClaim: { claimName } }], ...extra },
});
const claim = (c: Cluster, name: string) => c.store.tryGet(pvcs, 'default', name);

describe('StorageProtectionController', () => {
  it('puts kubernetes.io/pvc-protection on every new claim and kubernetes.io/pv-protection on every new volume', () => {
    const c = cluster();
    const made = c.store.create(pvcs, { metadata: { name: 'data', finalizers: ['example.com/keep'] }, spec: claimSpec }, 'default');
    expect(made.metadata.finalizers).toEqual(['example.com/keep', 'kubernetes.io/pvc-protection']);
    const pv = c.store.create(pvs, { metadata: { name: 'disk' }, spec: { capacity: { storage: '1Gi' }, accessModes: ['ReadWriteOnce'], hostPath: { path: '/data/disk' } } });
    expect(pv.metadata.finalizers).toEqual(['kubernetes.io/pv-protection']);
  });

  it('keeps a claim a running pod uses Terminating until the pod is gone, then it and its volume (reclaimed by Delete) go', () => {
    const c = cluster();
    c.store.create(pvcs, { metadata: { name: 'data' }, spec: claimSpec }, 'default');
    c.store.create(pods, podUsing('writer', 'data'), 'default');
    const volumeName = (claim(c, 'data')!.spec as { volumeName: string }).volumeName;
    expect(c.store.get(pvs, undefined, volumeName).status).toMatchObject({ phase: 'Bound' });
    const deleted = c.store.delete(pvcs, 'default', 'data');
    expect(deleted.metadata).toMatchObject({ deletionTimestamp: '2026-01-01T00:00:00Z', deletionGracePeriodSeconds: 0, finalizers: ['kubernetes.io/pvc-protection'] });
    c.advance(3600);
    expect(claim(c, 'data')?.metadata.deletionTimestamp).toBe('2026-01-01T00:00:00Z'); // still in use
    expect(c.store.get(pvs, undefined, volumeName).status).toMatchObject({ phase: 'Bound' });
    c.store.delete(pods, 'default', 'writer');
    expect(claim(c, 'data')).toBeDefined(); // the pod terminates first: it still uses the claim
    c.advance(31);
    expect(c.store.tryGet(pods, 'default', 'writer')).toBeUndefined();
    expect(claim(c, 'data')).toBeUndefined();
    expect(c.store.tryGet(pvs, undefined, volumeName)).toBeUndefined(); // Released, deleted, its pv-protection finalizer off
  });

  it('a pod never scheduled does not hold the claim; one that finished holds it until it is gone (podUsesPVC ignores the phase)', () => {
    const c = cluster();
    c.store.create(pvcs, { metadata: { name: 'done' }, spec: { ...claimSpec, storageClassName: '' } }, 'default');
    c.store.create(pods, podUsing('unscheduled', 'done', { nodeSelector: { nowhere: 'true' } }), 'default');
    c.store.delete(pvcs, 'default', 'done');
    expect(claim(c, 'done')).toBeUndefined();

    c.store.create(pvcs, { metadata: { name: 'once' }, spec: claimSpec }, 'default');
    c.store.create(pods, podUsing('task', 'once', { restartPolicy: 'Never' }), 'default');
    c.store.patch(pods, 'default', 'task', { metadata: { annotations: { 'kube-netsim.io/run-seconds': '2' } } });
    c.store.delete(pvcs, 'default', 'once');
    expect(claim(c, 'once')).toBeDefined();
    c.advance(60);
    expect((c.store.get(pods, 'default', 'task').status as { phase: string }).phase).toBe('Succeeded');
    expect(claim(c, 'once')?.metadata.deletionTimestamp).toBeDefined(); // a Completed pod still holds it
    c.store.delete(pods, 'default', 'task');
    c.advance(1);
    expect(c.store.tryGet(pods, 'default', 'task')).toBeUndefined();
    expect(claim(c, 'once')).toBeUndefined();
  });

  it('a pod holds its ephemeral volume\'s claim until it is shut down (deleted with no grace left)', () => {
    const c = cluster();
    c.store.create(pvcs, { metadata: { name: 'eph-scratch' }, spec: claimSpec }, 'default');
    c.store.create(pods, { metadata: { name: 'eph' }, spec: { containers: [{ name: 'app', image: 'busybox' }], nodeName: 'w1', volumes: [{ name: 'scratch', ephemeral: { volumeClaimTemplate: { spec: claimSpec } } }] } }, 'default');
    c.store.delete(pvcs, 'default', 'eph-scratch');
    c.advance(5);
    expect(claim(c, 'eph-scratch')?.metadata.deletionTimestamp).toBeDefined();
    c.store.delete(pods, 'default', 'eph', { gracePeriodSeconds: 0 });
    c.advance(1);
    expect(claim(c, 'eph-scratch')).toBeUndefined();
  });

  it('refuses a new finalizer on a claim being deleted (ValidateNoNewFinalizers), and takes one off', () => {
    const c = cluster();
    c.store.create(pvcs, { metadata: { name: 'data' }, spec: claimSpec }, 'default');
    c.store.create(pods, podUsing('writer', 'data'), 'default');
    c.store.delete(pvcs, 'default', 'data');
    const before = claim(c, 'data')!;
    let error: unknown;
    try {
      c.store.patch(pvcs, 'default', 'data', { metadata: { finalizers: ['kubernetes.io/pvc-protection', 'example.com/b', 'example.com/a'] } });
    } catch (e) {
      error = e;
    }
    expect((error as Error).message).toBe(
      'PersistentVolumeClaim "data" is invalid: metadata.finalizers: Forbidden: no new finalizers can be added if the object is being deleted, found new finalizers []string{"example.com/a", "example.com/b"}',
    );
    expect(claim(c, 'data')).toBe(before); // nothing changed
    c.store.patch(pvcs, 'default', 'data', { metadata: { finalizers: null } });
    expect(claim(c, 'data')).toBeUndefined();
  });

  it('puts the finalizer back on a live claim or volume without it (stored before the admission plugin, or taken off)', () => {
    const c = cluster();
    c.store.create(pvcs, { metadata: { name: 'data' }, spec: claimSpec }, 'default');
    c.store.create(pvs, { metadata: { name: 'disk' }, spec: { capacity: { storage: '1Gi' }, accessModes: ['ReadWriteOnce'], hostPath: { path: '/data/disk' } } });
    c.store.patch(pvcs, 'default', 'data', { metadata: { finalizers: null } });
    c.store.patch(pvs, undefined, 'disk', { metadata: { finalizers: ['example.com/keep'] } });
    c.advance(1);
    expect(claim(c, 'data')!.metadata.finalizers).toEqual(['kubernetes.io/pvc-protection']);
    expect(c.store.get(pvs, undefined, 'disk').metadata.finalizers).toEqual(['example.com/keep', 'kubernetes.io/pv-protection']);
  });

  it('keeps a Bound volume Terminating; once it is not Bound its finalizer comes off and it goes', () => {
    const c = cluster();
    c.store.create(pvs, { metadata: { name: 'disk' }, spec: { capacity: { storage: '1Gi' }, accessModes: ['ReadWriteOnce'], persistentVolumeReclaimPolicy: 'Retain', hostPath: { path: '/data/disk' } } });
    c.store.create(pvcs, { metadata: { name: 'static' }, spec: { ...claimSpec, storageClassName: '' } }, 'default');
    expect(c.store.get(pvs, undefined, 'disk').status).toMatchObject({ phase: 'Bound' });
    c.store.delete(pvs, undefined, 'disk');
    c.advance(60);
    expect(c.store.get(pvs, undefined, 'disk').metadata.deletionTimestamp).toBeDefined();
    c.store.delete(pvcs, 'default', 'static'); // no pod: the claim goes, the volume is Released (Retain), so not in use
    expect(claim(c, 'static')).toBeUndefined();
    expect(c.store.tryGet(pvs, undefined, 'disk')).toBeUndefined();
  });
});
