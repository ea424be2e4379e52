import { newCluster } from '../../../test/support/cluster/cluster';
import { resourceTypeByKey } from '../store/resource-types';
import { KubeObject } from '../store/types';

/** The scheduler with volumes: unbound and missing claims, local volumes' node affinity, WaitForFirstConsumer. */
const t = (key: string) => resourceTypeByKey(key)!;
const pods = t('pods');
const pvs = t('persistentvolumes');
const pvcs = t('persistentvolumeclaims');
const classes = t('storageclasses.storage.k8s.io');
const events = t('events');

type Conditions = Array<{ type: string; status: string; reason?: string; message?: string }>;
const scheduled = (o: KubeObject) => ((o.status as { conditions?: Conditions }).conditions ?? []).find((c) => c.type === 'PodScheduled');
const nodeOf = (o: KubeObject) => (o.spec as { nodeName?: string }).nodeName;
const phase = (o: KubeObject) => (o.status as { phase?: string }).phase;

function threeNodes() {
  const c = newCluster();
  c.store.create(t('nodes'), {
    metadata: { name: 'kind-control-plane', labels: { 'kubernetes.io/hostname': 'kind-control-plane', 'node-role.kubernetes.io/control-plane': '' } },
    spec: { taints: [{ key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' }] },
  });
  for (const name of ['kind-worker', 'kind-worker2']) c.store.create(t('nodes'), { metadata: { name, labels: { 'kubernetes.io/hostname': name } } });
  return c;
}

const podUsing = (name: string, ...claims: string[]) => ({
  metadata: { name },
  spec: {
    containers: [{ name: 'app', image: 'nginx', volumeMounts: claims.map((_, i) => ({ name: `v${i}`, mountPath: `/data${i}` })) }],
    volumes: claims.map((claimName, i) => ({ name: `v${i}`, persistentVolumeClaim: { claimName } })),
  },
});

const claim = (name: string, spec: Record<string, unknown> = {}) => ({
  metadata: { name },
  spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } }, ...spec },
});

const localPv = (name: string, node: string, extra: Record<string, unknown> = {}) => ({
  metadata: { name },
  spec: {
    capacity: { storage: '5Gi' },
    accessModes: ['ReadWriteOnce'],
    local: { path: `/mnt/${name}` },
    nodeAffinity: { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: [node] }] }] } },
    ...extra,
  },
});

const eventTexts = (c: ReturnType<typeof newCluster>, name: string) =>
  c.store
    .list(events)
    .items.filter((e) => (e.involvedObject as { name: string }).name === name)
    .map((e) => `${e.reason}: ${e.message}`);

describe('scheduler and volumes', () => {
  it('binds a WaitForFirstConsumer claim when its first pod is scheduled: selected node, provisioning, binding', () => {
    const c = threeNodes();
    const made = c.store.create(pvcs, claim('data'), 'default');
    expect(phase(c.store.get(pvcs, 'default', 'data'))).toBe('Pending');
    expect(eventTexts(c, 'data')).toEqual(['WaitForFirstConsumer: waiting for first consumer to be created before binding']);

    c.store.create(pods, podUsing('app', 'data'), 'default');
    const bound = c.store.get(pvcs, 'default', 'data');
    expect(phase(bound)).toBe('Bound');
    expect(bound.metadata.annotations?.['volume.kubernetes.io/selected-node']).toBe('kind-worker');
    expect(bound.spec).toMatchObject({ volumeName: `pvc-${made.metadata.uid}`, storageClassName: 'standard' });
    const pod = c.store.get(pods, 'default', 'app');
    expect(nodeOf(pod)).toBe('kind-worker');
    expect(phase(pod)).toBe('Running');
    expect(eventTexts(c, 'app')).toEqual(['Scheduled: Successfully assigned default/app to kind-worker']);
    expect(eventTexts(c, 'data').map((e) => e.split(':')[0])).toEqual(['WaitForFirstConsumer', 'ExternalProvisioning', 'Provisioning', 'ProvisioningSucceeded']);

    // The volume lives on kind-worker: a second pod with the claim goes there too, even where the other node is emptier.
    c.store.create(pods, podUsing('second', 'data'), 'default');
    expect(nodeOf(c.store.get(pods, 'default', 'second'))).toBe('kind-worker');
  });

  it('keeps a pod whose claim is unbound and Immediate Pending, with upstream\'s full message', () => {
    const c = threeNodes();
    c.store.create(pvcs, claim('data', { storageClassName: '' }), 'default');
    c.store.create(pods, podUsing('app', 'data'), 'default');
    const pod = c.store.get(pods, 'default', 'app');
    const message =
      '0/3 nodes are available: pod has unbound immediate PersistentVolumeClaims. preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.';
    expect(scheduled(pod)).toMatchObject({ status: 'False', reason: 'Unschedulable', message });
    expect(eventTexts(c, 'app')).toEqual([`FailedScheduling: ${message}`]);
    // A volume appears: the claim binds, and the pod is scheduled.
    c.store.create(pvs, { metadata: { name: 'disk' }, spec: { capacity: { storage: '1Gi' }, accessModes: ['ReadWriteOnce'], hostPath: { path: '/data' } } });
    expect(phase(c.store.get(pvcs, 'default', 'data'))).toBe('Bound');
    expect(nodeOf(c.store.get(pods, 'default', 'app'))).toBeDefined();
  });

  it('names a missing claim, and schedules the pod once it exists', () => {
    const c = threeNodes();
    c.store.create(pods, podUsing('app', 'nope'), 'default');
    expect(scheduled(c.store.get(pods, 'default', 'app'))?.message).toBe(
      '0/3 nodes are available: persistentvolumeclaim "nope" not found. preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.',
    );
    c.store.create(pvcs, claim('nope'), 'default');
    expect(nodeOf(c.store.get(pods, 'default', 'app'))).toBe('kind-worker');
  });

  it('binds a WaitForFirstConsumer claim to a local volume on a node that can take the pod', () => {
    const c = threeNodes();
    c.store.create(classes, { metadata: { name: 'local' }, provisioner: 'kubernetes.io/no-provisioner', volumeBindingMode: 'WaitForFirstConsumer' });
    c.store.create(pvs, localPv('on-worker2', 'kind-worker2', { storageClassName: 'local' }));
    c.store.create(pvcs, claim('data', { storageClassName: 'local' }), 'default');
    expect(phase(c.store.get(pvcs, 'default', 'data'))).toBe('Pending');
    c.store.create(pods, podUsing('app', 'data'), 'default');
    expect(nodeOf(c.store.get(pods, 'default', 'app'))).toBe('kind-worker2');
    const bound = c.store.get(pvcs, 'default', 'data');
    expect(bound.spec).toMatchObject({ volumeName: 'on-worker2' });
    expect(c.store.get(pvs, undefined, 'on-worker2').metadata.annotations).toEqual({ 'pv.kubernetes.io/bound-by-controller': 'yes' });

    // A second claim of the class finds no volume anywhere: no node fits.
    c.store.create(pvcs, claim('more', { storageClassName: 'local' }), 'default');
    c.store.create(pods, podUsing('more', 'more'), 'default');
    expect(scheduled(c.store.get(pods, 'default', 'more'))?.message).toBe(
      "0/3 nodes are available: 1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }, 2 node(s) didn't find available persistent volumes to bind.",
    );
    // A volume made for it on kind-worker: the pod is tried again, and goes there.
    c.store.create(pvs, localPv('on-worker', 'kind-worker', { storageClassName: 'local' }));
    expect(nodeOf(c.store.get(pods, 'default', 'more'))).toBe('kind-worker');
    expect(c.store.get(pvcs, 'default', 'more').spec).toMatchObject({ volumeName: 'on-worker' });
  });

  it('keeps a pod off nodes its bound local volume does not reach', () => {
    const c = threeNodes();
    c.store.create(pvs, localPv('here', 'kind-control-plane'));
    c.store.create(pvcs, claim('data', { storageClassName: '' }), 'default');
    expect(phase(c.store.get(pvcs, 'default', 'data'))).toBe('Bound');
    c.store.create(pods, podUsing('app', 'data'), 'default');
    expect(scheduled(c.store.get(pods, 'default', 'app'))?.message).toBe(
      '0/3 nodes are available: 1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }, 2 node(s) had volume node affinity conflict.',
    );
  });
});
