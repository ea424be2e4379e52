import { Cluster } from '../cluster';
import { newCluster } from '../../../test/support/cluster/cluster';
import { resourceTypeByKey } from '../store/resource-types';
import { KubeObject } from '../store/types';
import { importCluster } from '../import/cluster-import';
import { refusalOf as refusal } from '../../../test/support/common/domain-error';

/** The PersistentVolume controller: static binding, provisioning through the default class, reclaim. */
const t = (key: string) => resourceTypeByKey(key)!;
const pvs = t('persistentvolumes');
const pvcs = t('persistentvolumeclaims');
const classes = t('storageclasses.storage.k8s.io');
const events = t('events');

function pv(name: string, size: string, extra: Record<string, unknown> = {}) {
  return {
    metadata: { name, ...((extra.metadata as object) ?? {}) },
    spec: { capacity: { storage: size }, accessModes: ['ReadWriteOnce'], hostPath: { path: `/data/${name}` }, ...extra, metadata: undefined },
  };
}

function pvc(name: string, size: string, spec: Record<string, unknown> = {}, metadata: Record<string, unknown> = {}) {
  return { metadata: { name, ...metadata }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: size } }, ...spec } };
}

const claim = (c: Cluster, name: string) => c.store.get(pvcs, 'default', name);
const volume = (c: Cluster, name: string) => c.store.get(pvs, undefined, name);
const phase = (o: KubeObject) => (o.status as { phase?: string }).phase;
const eventsOf = (c: Cluster, name: string) =>
  c.store
    .list(events)
    .items.filter((e) => (e.involvedObject as { name: string }).name === name)
    .map((e) => `${e.type} ${e.reason} ${e.message}`);

describe('PersistentVolume controller', () => {
  it('starts with kind\'s default StorageClass "standard"', () => {
    const c = newCluster();
    expect(c.store.get(classes, undefined, 'standard')).toMatchObject({
      metadata: { annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' } },
      provisioner: 'rancher.io/local-path',
      reclaimPolicy: 'Delete',
      volumeBindingMode: 'WaitForFirstConsumer',
    });
  });

  it('binds a claim without a class to the smallest Available volume that fits, both sides annotated', () => {
    const c = newCluster();
    c.store.create(pvs, pv('big', '10Gi'));
    c.store.create(pvs, pv('small', '1Gi'));
    c.store.create(pvs, pv('fits', '2Gi'));
    expect(phase(volume(c, 'fits'))).toBe('Available');
    const made = c.store.create(pvcs, pvc('data', '1500Mi', { storageClassName: '' }), 'default');
    const bound = claim(c, 'data');
    expect(bound.spec).toMatchObject({ volumeName: 'fits', storageClassName: '', volumeMode: 'Filesystem' });
    expect(bound.metadata.annotations).toEqual({ 'pv.kubernetes.io/bind-completed': 'yes', 'pv.kubernetes.io/bound-by-controller': 'yes' });
    expect(bound.status).toEqual({ phase: 'Bound', accessModes: ['ReadWriteOnce'], capacity: { storage: '2Gi' } });
    const fits = volume(c, 'fits');
    expect(phase(fits)).toBe('Bound');
    expect(fits.metadata.annotations).toEqual({ 'pv.kubernetes.io/bound-by-controller': 'yes' });
    expect((fits.spec as { claimRef: unknown }).claimRef).toMatchObject({ kind: 'PersistentVolumeClaim', namespace: 'default', name: 'data', uid: made.metadata.uid });
    expect(phase(volume(c, 'small'))).toBe('Available');
  });

  it('prefers the volume with the fewest access modes, and honours selector and class', () => {
    const c = newCluster();
    c.store.create(pvs, pv('many-modes', '1Gi', { accessModes: ['ReadWriteOnce', 'ReadOnlyMany'] }));
    c.store.create(pvs, pv('one-mode', '5Gi'));
    c.store.create(pvs, { ...pv('fast', '1Gi', { storageClassName: 'fast' }), metadata: { name: 'fast', labels: { tier: 'gold' } } });
    c.store.create(pvcs, pvc('a', '1Gi', { storageClassName: '' }), 'default');
    expect(claim(c, 'a').spec).toMatchObject({ volumeName: 'one-mode' });
    c.store.create(pvcs, pvc('b', '1Gi', { storageClassName: 'fast', selector: { matchLabels: { tier: 'silver' } } }), 'default');
    expect(phase(claim(c, 'b'))).toBe('Pending');
    c.store.create(pvcs, pvc('c', '1Gi', { storageClassName: 'fast', selector: { matchLabels: { tier: 'gold' } } }), 'default');
    expect(claim(c, 'c').spec).toMatchObject({ volumeName: 'fast' });
  });

  it('says why a claim without a class stays Pending', () => {
    const c = newCluster();
    c.store.create(pvcs, pvc('data', '1Gi', { storageClassName: '' }), 'default');
    expect(phase(claim(c, 'data'))).toBe('Pending');
    expect(eventsOf(c, 'data')).toEqual(['Normal FailedBinding no persistent volumes available for this claim and no storage class is set']);
    c.store.create(pvs, pv('late', '1Gi'));
    expect(phase(claim(c, 'data'))).toBe('Bound');
  });

  it('binds a claim that names its volume, and refuses one too small with VolumeMismatch', () => {
    const c = newCluster();
    c.store.create(pvs, pv('mine', '1Gi'));
    c.store.create(pvs, pv('tiny', '100Mi'));
    c.store.create(pvcs, pvc('named', '1Gi', { storageClassName: '', volumeName: 'mine' }), 'default');
    expect(claim(c, 'named').metadata.annotations).toEqual({ 'pv.kubernetes.io/bind-completed': 'yes' });
    expect(volume(c, 'mine').metadata.annotations).toEqual({ 'pv.kubernetes.io/bound-by-controller': 'yes' });
    c.store.create(pvcs, pvc('big', '1Gi', { storageClassName: '', volumeName: 'tiny' }), 'default');
    expect(phase(claim(c, 'big'))).toBe('Pending');
    expect(eventsOf(c, 'big')).toEqual(['Warning VolumeMismatch Cannot bind to requested volume "tiny": requested PV is too small']);
  });

  it('binds a volume pre-bound with claimRef to its claim, not to another', () => {
    const c = newCluster();
    c.store.create(pvs, pv('reserved', '1Gi', { claimRef: { namespace: 'default', name: 'owner' } }));
    c.store.create(pvcs, pvc('other', '1Gi', { storageClassName: '' }), 'default');
    expect(phase(claim(c, 'other'))).toBe('Pending');
    c.store.create(pvcs, pvc('owner', '1Gi', { storageClassName: '' }), 'default');
    expect(claim(c, 'owner').spec).toMatchObject({ volumeName: 'reserved' });
    expect(volume(c, 'reserved').metadata.annotations).toBeUndefined();
  });

  it('Retain: a deleted claim leaves its volume Released, kept with its claimRef', () => {
    const c = newCluster();
    c.store.create(pvs, pv('keep', '1Gi'));
    c.store.create(pvcs, pvc('data', '1Gi', { storageClassName: '' }), 'default');
    c.store.delete(pvcs, 'default', 'data');
    const kept = volume(c, 'keep');
    expect(phase(kept)).toBe('Released');
    expect((kept.spec as { claimRef: { name: string } }).claimRef.name).toBe('data');
    // A new claim of the same name does not get it back (another uid).
    c.store.create(pvcs, pvc('data', '1Gi', { storageClassName: '' }), 'default');
    expect(phase(claim(c, 'data'))).toBe('Pending');
  });

  it('Delete: a hostPath volume outside /tmp fails as the in-tree deleter does; under /tmp it goes', () => {
    const c = newCluster();
    c.store.create(pvs, pv('data-pv', '1Gi', { persistentVolumeReclaimPolicy: 'Delete' }));
    c.store.create(pvcs, pvc('data', '1Gi', { storageClassName: '' }), 'default');
    c.store.delete(pvcs, 'default', 'data');
    expect(volume(c, 'data-pv').status).toMatchObject({ phase: 'Failed', message: 'host_path deleter only supports /tmp/.+ but received provided /data/data-pv' });
    expect(eventsOf(c, 'data-pv')).toEqual(['Warning VolumeFailedDelete host_path deleter only supports /tmp/.+ but received provided /data/data-pv']);
    c.store.create(pvs, pv('scratch', '1Gi', { persistentVolumeReclaimPolicy: 'Delete', hostPath: { path: '/tmp/scratch' } }));
    c.store.create(pvcs, pvc('tmp', '1Gi', { storageClassName: '' }), 'default');
    c.store.delete(pvcs, 'default', 'tmp');
    expect(c.store.tryGet(pvs, undefined, 'scratch')).toBeUndefined();
  });

  it('a bound claim whose volume is deleted is Lost (once the volume is gone: pv-protection holds a Bound one)', () => {
    const c = newCluster();
    c.store.create(pvs, pv('gone', '1Gi'));
    c.store.create(pvcs, pvc('data', '1Gi', { storageClassName: '' }), 'default');
    c.store.delete(pvs, undefined, 'gone');
    expect(c.store.get(pvs, undefined, 'gone').metadata).toMatchObject({ deletionTimestamp: expect.any(String), finalizers: ['kubernetes.io/pv-protection'] });
    expect(phase(claim(c, 'data'))).toBe('Bound');
    // Its finalizer taken off by hand (as `kubectl patch pv gone -p '{"metadata":{"finalizers":null}}'`): it goes.
    c.store.patch(pvs, undefined, 'gone', { metadata: { finalizers: null } });
    expect(c.store.tryGet(pvs, undefined, 'gone')).toBeUndefined();
    expect(phase(claim(c, 'data'))).toBe('Lost');
    expect(eventsOf(c, 'data')).toEqual(['Warning ClaimLost Bound claim has lost its PersistentVolume. Data on the volume is lost!']);
  });

  it('gives a claim without storageClassName the default class, and waits for its first consumer', () => {
    const c = newCluster();
    c.store.create(pvcs, pvc('data', '1Gi'), 'default');
    const waiting = claim(c, 'data');
    expect(waiting.spec).toMatchObject({ storageClassName: 'standard' });
    expect(phase(waiting)).toBe('Pending');
    expect(eventsOf(c, 'data')).toEqual(['Normal WaitForFirstConsumer waiting for first consumer to be created before binding']);
    expect(c.store.list(pvs).items).toEqual([]);
  });

  it('gives a claim made while no class was default the default class once one is (retroactive default)', () => {
    const c = newCluster();
    c.store.delete(classes, undefined, 'standard');
    c.store.create(pvcs, pvc('early', '1Gi'), 'default');
    expect((claim(c, 'early').spec as { storageClassName?: string }).storageClassName).toBeUndefined();
    c.store.create(classes, { metadata: { name: 'fast', annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' } }, provisioner: 'example.com/fast' });
    expect(claim(c, 'early').spec).toMatchObject({ storageClassName: 'fast' });
    expect(claim(c, 'early').metadata.annotations).toMatchObject({ 'volume.kubernetes.io/storage-provisioner': 'example.com/fast' });
  });

  it('provisions an Immediate claim through an external provisioner it does not run: the claim waits, annotated', () => {
    const c = newCluster();
    c.store.create(classes, { metadata: { name: 'ebs' }, provisioner: 'ebs.csi.aws.com' });
    c.store.create(pvcs, pvc('data', '1Gi', { storageClassName: 'ebs' }), 'default');
    expect(claim(c, 'data').metadata.annotations).toEqual({
      'volume.beta.kubernetes.io/storage-provisioner': 'ebs.csi.aws.com',
      'volume.kubernetes.io/storage-provisioner': 'ebs.csi.aws.com',
    });
    expect(eventsOf(c, 'data')).toEqual([
      "Normal ExternalProvisioning Waiting for a volume to be created either by the external provisioner 'ebs.csi.aws.com' or manually by the system administrator. If volume creation is delayed, please verify that the provisioner is running and correctly registered.",
    ]);
    c.store.create(pvcs, pvc('lost', '1Gi', { storageClassName: 'nope' }), 'default');
    expect(eventsOf(c, 'lost')).toEqual(['Warning ProvisioningFailed storageclass.storage.k8s.io "nope" not found']);
  });

  it('provisions a local-path volume on the selected node, and deletes it with its claim (Delete)', () => {
    const c = newCluster();
    const made = c.store.create(pvcs, pvc('data', '2Gi', {}, { annotations: { 'volume.kubernetes.io/selected-node': 'kind-worker' } }), 'default');
    const name = `pvc-${made.metadata.uid}`;
    const provisioned = volume(c, name);
    expect(provisioned.metadata.annotations).toEqual({ 'local.path.provisioner/selected-node': 'kind-worker', 'pv.kubernetes.io/provisioned-by': 'rancher.io/local-path' });
    expect(provisioned.spec).toMatchObject({
      capacity: { storage: '2Gi' },
      hostPath: { path: `/var/local-path-provisioner/${name}_default_data`, type: 'DirectoryOrCreate' },
      nodeAffinity: { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: ['kind-worker'] }] }] } },
      persistentVolumeReclaimPolicy: 'Delete',
      storageClassName: 'standard',
    });
    expect(phase(provisioned)).toBe('Bound');
    const bound = claim(c, 'data');
    expect(bound.spec).toMatchObject({ volumeName: name });
    expect(bound.metadata.annotations).toMatchObject({
      'pv.kubernetes.io/bind-completed': 'yes',
      'pv.kubernetes.io/bound-by-controller': 'yes',
      'volume.kubernetes.io/storage-provisioner': 'rancher.io/local-path',
    });
    expect(eventsOf(c, 'data').map((e) => e.split(' ')[1])).toEqual(['ExternalProvisioning', 'Provisioning', 'ProvisioningSucceeded']);
    c.store.delete(pvcs, 'default', 'data');
    expect(c.store.tryGet(pvs, undefined, name)).toBeUndefined();
  });
});

describe('PersistentVolume and PersistentVolumeClaim validation', () => {
  it('defaults a volume to Retain and Filesystem, Pending until the controller sees it', () => {
    const c = newCluster();
    const made = c.store.create(pvs, pv('p', '1Gi'), undefined, { dryRun: true });
    expect(made.spec).toMatchObject({ persistentVolumeReclaimPolicy: 'Retain', volumeMode: 'Filesystem', hostPath: { type: '' } });
    expect(phase(made)).toBe('Pending');
  });

  it('refuses a volume without capacity, access modes or a source, with upstream\'s texts', () => {
    const c = newCluster();
    expect(refusal(() => c.store.create(pvs, { metadata: { name: 'p' }, spec: {} })).message).toBe(
      'PersistentVolume "p" is invalid: [spec.accessModes: Required value, spec.capacity: Required value, spec: Required value: must specify a volume type]',
    );
    expect(refusal(() => c.store.create(pvs, pv('two', '1Gi', { nfs: { server: 'x', path: '/y' } }))).message).toBe(
      'PersistentVolume "two" is invalid: spec.nfs: Forbidden: may not specify more than 1 volume type',
    );
    expect(refusal(() => c.store.create(pvs, { metadata: { name: 'l' }, spec: { capacity: { storage: '1Gi' }, accessModes: ['ReadWriteOnce'], local: { path: '/mnt' } } })).message).toBe(
      'PersistentVolume "l" is invalid: spec.nodeAffinity: Required value: Local volume requires node affinity',
    );
  });

  it('refuses a claim without access modes or storage, and one with an unknown quantity (400)', () => {
    const c = newCluster();
    const e = refusal(() => c.store.create(pvcs, { metadata: { name: 'x' }, spec: {} }, 'default'));
    expect(e.message).toBe('PersistentVolumeClaim "x" is invalid: [spec.accessModes: Required value: at least 1 access mode is required, spec.resources[storage]: Required value]');
    expect(e.causes?.map((x) => x.field)).toEqual(['spec.accessModes', 'spec.resources[storage]']);
    const bad = refusal(() => c.store.create(pvcs, pvc('y', 'lots'), 'default'));
    expect(bad.code).toBe('BAD_REQUEST');
    expect(bad.message).toBe(
      "PersistentVolumeClaim in version \"v1\" cannot be handled as a PersistentVolumeClaim: quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'",
    );
    expect(c.store.tryGet(pvcs, 'default', 'y')).toBeUndefined();
  });

  it('keeps a claim\'s spec immutable except the storage request of a bound claim', () => {
    const c = newCluster();
    c.store.create(pvs, pv('p', '5Gi'));
    const made = c.store.create(pvcs, pvc('data', '1Gi', { storageClassName: '' }), 'default');
    const current = claim(c, 'data');
    const e = refusal(() => c.store.update(pvcs, 'default', 'data', { ...current, spec: { ...(current.spec as object), accessModes: ['ReadWriteMany'] } }));
    expect(e.message).toBe(
      'PersistentVolumeClaim "data" is invalid: spec: Forbidden: spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims\n' +
        '  core.PersistentVolumeClaimSpec{\n- \tAccessModes: {"ReadWriteOnce"},\n+ \tAccessModes: {"ReadWriteMany"},\n  \t... // 8 identical fields\n  }',
    );
    const grown = c.store.update(pvcs, 'default', 'data', { ...current, spec: { ...(current.spec as object), resources: { requests: { storage: '2Gi' } } } });
    expect(grown.metadata.uid).toBe(made.metadata.uid);
    const latest = claim(c, 'data');
    expect(refusal(() => c.store.update(pvcs, 'default', 'data', { ...latest, spec: { ...(latest.spec as object), resources: { requests: { storage: '1Gi' } } } })).message).toBe(
      'PersistentVolumeClaim "data" is invalid: spec.resources.requests.storage: Forbidden: field can not be less than previous value',
    );
  });

  it('defaults and validates a StorageClass, whose provisioner and policies cannot change', () => {
    const c = newCluster();
    const made = c.store.create(classes, { metadata: { name: 'fast' }, provisioner: 'example.com/fast' });
    expect(made).toMatchObject({ reclaimPolicy: 'Delete', volumeBindingMode: 'Immediate' });
    expect(refusal(() => c.store.create(classes, { metadata: { name: 'bad' }, provisioner: '', volumeBindingMode: 'Later' })).message).toBe(
      'StorageClass.storage.k8s.io "bad" is invalid: [provisioner: Required value, volumeBindingMode: Unsupported value: "Later": supported values: "Immediate", "WaitForFirstConsumer"]',
    );
    expect(refusal(() => c.store.update(classes, undefined, 'fast', { ...made, provisioner: 'example.com/slow', volumeBindingMode: 'WaitForFirstConsumer' })).message).toBe(
      'StorageClass.storage.k8s.io "fast" is invalid: [provisioner: Forbidden: updates to provisioner are forbidden., volumeBindingMode: Invalid value: "WaitForFirstConsumer": field is immutable]',
    );
  });
});

describe('imported storage', () => {
  it('keeps a bound pair bound: the volume\'s claimRef is pointed at the claim\'s new uid, whatever the order', () => {
    const c = newCluster();
    const volumeDoc = {
      apiVersion: 'v1',
      kind: 'PersistentVolume',
      metadata: { name: 'pvc-old', uid: 'aaaaaaaa-0000-4000-8000-000000000001', annotations: { 'pv.kubernetes.io/provisioned-by': 'rancher.io/local-path' } },
      spec: {
        capacity: { storage: '1Gi' },
        accessModes: ['ReadWriteOnce'],
        hostPath: { path: '/var/local-path-provisioner/pvc-old_default_data', type: 'DirectoryOrCreate' },
        persistentVolumeReclaimPolicy: 'Delete',
        storageClassName: 'standard',
        claimRef: { apiVersion: 'v1', kind: 'PersistentVolumeClaim', namespace: 'default', name: 'data', uid: 'aaaaaaaa-0000-4000-8000-000000000002' },
      },
      status: { phase: 'Bound' },
    };
    const claimDoc = {
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: { name: 'data', namespace: 'default', uid: 'aaaaaaaa-0000-4000-8000-000000000002', annotations: { 'pv.kubernetes.io/bind-completed': 'yes' } },
      spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } }, storageClassName: 'standard', volumeName: 'pvc-old' },
      status: { phase: 'Bound', accessModes: ['ReadWriteOnce'], capacity: { storage: '1Gi' } },
    };
    importCluster(c.store, c.pools, [volumeDoc, claimDoc].map((object, i) => ({ index: i + 1, object })));
    const data = claim(c, 'data');
    expect(phase(data)).toBe('Bound');
    const imported = volume(c, 'pvc-old');
    expect(phase(imported)).toBe('Bound');
    expect((imported.spec as { claimRef: { uid: string } }).claimRef.uid).toBe(data.metadata.uid);
  });
});
