import { Cluster } from '../cluster';
import { newCluster } from '../../../test/support/cluster/cluster';
import { PodSpec } from '../resources/pod.types';
import { StatefulSetStatus } from '../resources/statefulset.types';
import { resourceTypeByKey } from '../store/resource-types';
import { KubeObject } from '../store/types';
import { refusalOf as refusal } from '../../../test/support/common/domain-error';
import { StatefulSetPods } from './statefulset-pods';

/** StatefulSets on the manual clock: identity, order, updates, claims and a failed node. */
const t = (key: string) => resourceTypeByKey(key)!;
const pods = t('pods');
const sets = t('statefulsets.apps');
const revisions = t('controllerrevisions.apps');
const pvcs = t('persistentvolumeclaims');
const events = t('events');

interface Options {
  replicas?: number;
  /** Pods no scheduler serves: the spec plays scheduler and kubelet (`markReady`). */
  manual?: boolean;
  extra?: Record<string, unknown>;
  image?: string;
}

function statefulSet(name: string, o: Options = {}) {
  return {
    metadata: { name },
    spec: {
      replicas: o.replicas ?? 3,
      serviceName: 'nginx',
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: { ...(o.manual === false ? {} : { schedulerName: 'manual' }), containers: [{ name: 'nginx', image: o.image ?? 'nginx:1.27', ports: [{ name: 'web', containerPort: 80 }] }] },
      },
      ...o.extra,
    },
  };
}

const live = (c: Cluster) => c.store.list(pods, { namespace: 'default' }).items.filter((p) => !p.metadata.deletionTimestamp);
const names = (c: Cluster) => live(c).map((p) => p.metadata.name).sort();
const pod = (c: Cluster, name: string) => c.store.get(pods, 'default', name);
const status = (c: Cluster, name = 'web') => c.store.get(sets, 'default', name).status as StatefulSetStatus;
const image = (p: KubeObject) => (p.spec as PodSpec).containers[0].image;
const messages = (c: Cluster) => c.store.list(events, { namespace: 'default' }).items.filter((e) => e.source && (e.source as { component: string }).component === 'statefulset-controller').map((e) => e.message);

function markReady(c: Cluster, name: string): void {
  c.store.patchStatus(pods, 'default', name, {
    status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True', lastProbeTime: null, lastTransitionTime: c.store.now() }] },
  });
}

function readyAll(c: Cluster): void {
  for (let n = 0; n < 100; n++) {
    const waiting = live(c).filter((p) => (p.status as { phase?: string }).phase !== 'Running');
    if (!waiting.length) return;
    for (const p of waiting) markReady(c, p.metadata.name);
  }
}

describe('StatefulSet API', () => {
  it('is defaulted as apps/v1 defaults it', () => {
    const c = newCluster();
    const made = c.store.create(sets, { ...statefulSet('web'), spec: { ...statefulSet('web').spec, replicas: undefined } }, 'default');
    expect(made.spec).toMatchObject({
      replicas: 1,
      podManagementPolicy: 'OrderedReady',
      updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 0 } },
      revisionHistoryLimit: 10,
      persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Retain', whenScaled: 'Retain' },
    });
    expect((made.spec as { minReadySeconds?: number }).minReadySeconds).toBeUndefined();
  });

  it("refuses a selector that does not match the template, and spec changes outside the mutable fields, in the API server's words", () => {
    const c = newCluster();
    const bad = statefulSet('web');
    bad.spec.selector = { matchLabels: { app: 'other' } };
    expect(refusal(() => c.store.create(sets, bad, 'default')).message).toBe(
      'StatefulSet.apps "web" is invalid: spec.template.metadata.labels: Invalid value: map[string]string{"app":"web"}: `selector` does not match template `labels`',
    );
    c.store.create(sets, statefulSet('web', { replicas: 0 }), 'default');
    const e = refusal(() => c.store.patch(sets, 'default', 'web', { spec: { serviceName: 'other' } }));
    expect(e.message).toBe(
      "StatefulSet.apps \"web\" is invalid: spec: Forbidden: updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden",
    );
    expect(e.causes).toEqual([expect.objectContaining({ field: 'spec', reason: 'FieldValueForbidden' })]);
    expect(c.store.patch(sets, 'default', 'web', { spec: { replicas: 2, minReadySeconds: 5 } }).spec).toMatchObject({ replicas: 2, minReadySeconds: 5 });
    expect(refusal(() => c.store.patch(sets, 'default', 'web', { spec: { podManagementPolicy: 'Sometimes' } })).message).toContain(
      `spec.podManagementPolicy: Invalid value: "Sometimes": must be 'OrderedReady' or 'Parallel'`,
    );
  });
});

describe('StatefulSet controller', () => {
  it('creates pods in ordinal order, each once the one before is Running and Ready, with their stable identity', () => {
    const c = newCluster();
    const made = c.store.create(sets, statefulSet('web'), 'default');
    expect(names(c)).toEqual(['web-0']);
    markReady(c, 'web-0');
    expect(names(c)).toEqual(['web-0', 'web-1']);
    markReady(c, 'web-1');
    markReady(c, 'web-2');
    expect(names(c)).toEqual(['web-0', 'web-1', 'web-2']);
    const web1 = pod(c, 'web-1');
    const revision = status(c).updateRevision!;
    expect(revision).toMatch(/^web-[bcdfghjklmnpqrstvwxz2456789]+$/);
    expect(web1.metadata.labels).toEqual({ app: 'web', 'statefulset.kubernetes.io/pod-name': 'web-1', 'apps.kubernetes.io/pod-index': '1', 'controller-revision-hash': revision });
    expect(web1.spec).toMatchObject({ hostname: 'web-1', subdomain: 'nginx' });
    expect(web1.metadata.ownerReferences).toEqual([{ apiVersion: 'apps/v1', kind: 'StatefulSet', name: 'web', uid: made.metadata.uid, controller: true, blockOwnerDeletion: true }]);
    expect(status(c)).toMatchObject({ replicas: 3, readyReplicas: 3, currentReplicas: 3, updatedReplicas: 3, currentRevision: revision, updateRevision: revision, availableReplicas: 3, observedGeneration: 1, collisionCount: 0 });
    expect(messages(c)).toEqual(['create Pod web-0 in StatefulSet web successful', 'create Pod web-1 in StatefulSet web successful', 'create Pod web-2 in StatefulSet web successful']);
    const revs = c.store.list(revisions, { namespace: 'default' }).items;
    expect(revs.map((r) => [r.metadata.name, r.revision])).toEqual([[revision, 1]]);
    expect(revs[0].metadata.labels).toEqual({ app: 'web', 'controller.kubernetes.io/hash': revision.slice(4) });
  });

  it('deletes in reverse order on scale-down, one at a time, waiting for the rest to be ready', () => {
    const c = newCluster();
    c.store.create(sets, statefulSet('web'), 'default');
    readyAll(c);
    c.store.patch(sets, 'default', 'web', { spec: { replicas: 1 } });
    // The unscheduled pods go at once: web-2 first; web-1 only after it.
    expect(names(c)).toEqual(['web-0']);
    expect(messages(c).slice(-2)).toEqual(['delete Pod web-2 in StatefulSet web successful', 'delete Pod web-1 in StatefulSet web successful']);
  });

  it('under OrderedReady does not scale down while a replica is not ready', () => {
    const c = newCluster();
    c.store.create(sets, statefulSet('web'), 'default');
    readyAll(c);
    c.store.patchStatus(pods, 'default', 'web-0', { status: { conditions: [{ type: 'Ready', status: 'False' }] } });
    c.store.patch(sets, 'default', 'web', { spec: { replicas: 1 } });
    expect(names(c)).toEqual(['web-0', 'web-1', 'web-2']);
    markReady(c, 'web-0');
    expect(names(c)).toEqual(['web-0']);
  });

  it('creates every pod at once under Parallel', () => {
    const c = newCluster();
    c.store.create(sets, statefulSet('web', { extra: { podManagementPolicy: 'Parallel' } }), 'default');
    expect(names(c)).toEqual(['web-0', 'web-1', 'web-2']);
  });

  it('numbers pods from spec.ordinals.start', () => {
    const c = newCluster();
    c.store.create(sets, statefulSet('web', { replicas: 2, extra: { ordinals: { start: 5 }, podManagementPolicy: 'Parallel' } }), 'default');
    expect(names(c)).toEqual(['web-5', 'web-6']);
  });

  it('rolls an update out from the highest ordinal down to the partition, then the rest when the partition drops', () => {
    const c = newCluster();
    c.store.create(sets, statefulSet('web', { extra: { updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 1 } } } }), 'default');
    readyAll(c);
    const first = status(c).currentRevision;
    c.store.patch(sets, 'default', 'web', { spec: { template: { spec: { containers: [{ name: 'nginx', image: 'nginx:1.28' }] } } } }, { patchType: 'strategic' });
    const second = status(c).updateRevision!;
    expect(second).not.toBe(first);
    // web-2 went first and came back at the new revision; web-1 waits for it to be ready.
    expect(names(c)).toEqual(['web-0', 'web-1', 'web-2']);
    expect(live(c).map(image)).toEqual(['nginx:1.27', 'nginx:1.27', 'nginx:1.28']);
    markReady(c, 'web-2');
    expect(live(c).map(image)).toEqual(['nginx:1.27', 'nginx:1.28', 'nginx:1.28']);
    markReady(c, 'web-1');
    // web-0 is below the partition: kept at the old revision.
    expect(live(c).map(image)).toEqual(['nginx:1.27', 'nginx:1.28', 'nginx:1.28']);
    expect(status(c)).toMatchObject({ currentRevision: first, updateRevision: second, currentReplicas: 1, updatedReplicas: 2 });
    c.store.patch(sets, 'default', 'web', { spec: { updateStrategy: { rollingUpdate: { partition: 0 } } } });
    markReady(c, 'web-0');
    expect(live(c).map(image)).toEqual(['nginx:1.28', 'nginx:1.28', 'nginx:1.28']);
    expect(status(c)).toMatchObject({ currentRevision: second, updateRevision: second, currentReplicas: 3, updatedReplicas: 3 });
    expect(messages(c)).toContain('delete Pod web-2 in StatefulSet web successful');
  });

  it('takes down up to maxUnavailable pods at a time', () => {
    const c = newCluster();
    c.store.create(sets, statefulSet('web', { replicas: 4, extra: { updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 2 } } } }), 'default');
    readyAll(c);
    c.store.patch(sets, 'default', 'web', { spec: { template: { spec: { containers: [{ name: 'nginx', image: 'v2' }] } } } }, { patchType: 'strategic' });
    // web-3 and web-2 went together; web-2 comes back first (OrderedReady), web-3 once it is ready.
    expect(names(c)).toEqual(['web-0', 'web-1', 'web-2']);
    expect(live(c).map(image)).toEqual(['nginx:1.27', 'nginx:1.27', 'v2']);
    markReady(c, 'web-2');
    expect(live(c).map(image)).toEqual(['nginx:1.27', 'nginx:1.27', 'v2', 'v2']);
  });

  it('leaves pods alone under OnDelete until they are deleted, then makes them at the new revision', () => {
    const c = newCluster();
    c.store.create(sets, statefulSet('web', { replicas: 2, extra: { updateStrategy: { type: 'OnDelete' } } }), 'default');
    readyAll(c);
    c.store.patch(sets, 'default', 'web', { spec: { template: { spec: { containers: [{ name: 'nginx', image: 'v2' }] } } } }, { patchType: 'strategic' });
    expect(live(c).map(image)).toEqual(['nginx:1.27', 'nginx:1.27']);
    c.store.delete(pods, 'default', 'web-1');
    expect(live(c).map(image)).toEqual(['nginx:1.27', 'v2']);
  });

  it('goes back to an earlier template by renumbering its revision, not by making another', () => {
    const c = newCluster();
    c.store.create(sets, statefulSet('web', { replicas: 1 }), 'default');
    readyAll(c);
    const setImage = (i: string) => c.store.patch(sets, 'default', 'web', { spec: { template: { spec: { containers: [{ name: 'nginx', image: i }] } } } }, { patchType: 'strategic' });
    setImage('v2');
    readyAll(c);
    setImage('nginx:1.27');
    readyAll(c);
    const revs = c.store.list(revisions, { namespace: 'default' }).items.map((r) => r.revision).sort();
    expect(revs).toEqual([2, 3]);
  });

  it('makes one claim per template and ordinal before the pod, mounted by the pod, and keeps it when scaled down (Retain)', () => {
    const c = newCluster();
    const claimTemplate = { metadata: { name: 'www' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } };
    c.store.create(sets, statefulSet('web', { replicas: 2, extra: { volumeClaimTemplates: [claimTemplate] } }), 'default');
    readyAll(c);
    const claim = c.store.get(pvcs, 'default', 'www-web-0');
    expect(claim.metadata.labels).toEqual({ app: 'web' });
    expect(claim.metadata.ownerReferences).toBeUndefined();
    expect((pod(c, 'web-1').spec as { volumes?: unknown[] }).volumes).toEqual([{ name: 'www', persistentVolumeClaim: { claimName: 'www-web-1' } }]);
    expect(messages(c).slice(0, 2)).toEqual(['create Claim www-web-0 Pod web-0 in StatefulSet web success', 'create Pod web-0 in StatefulSet web successful']);
    c.store.patch(sets, 'default', 'web', { spec: { replicas: 1 } });
    expect(names(c)).toEqual(['web-0']);
    expect(c.store.tryGet(pvcs, 'default', 'www-web-1')).toBeDefined();
    c.store.patch(sets, 'default', 'web', { spec: { replicas: 2 } });
    expect((pod(c, 'web-1').spec as { volumes?: unknown[] }).volumes).toEqual([{ name: 'www', persistentVolumeClaim: { claimName: 'www-web-1' } }]);
  });

  it('deletes the claims of scaled-away ordinals, and all claims with the set, under whenScaled/whenDeleted: Delete', () => {
    const c = newCluster();
    const claimTemplate = { metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } };
    const made = c.store.create(
      sets,
      statefulSet('web', { replicas: 2, extra: { volumeClaimTemplates: [claimTemplate], persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Delete', whenScaled: 'Delete' } } }),
      'default',
    );
    readyAll(c);
    expect(c.store.get(pvcs, 'default', 'data-web-0').metadata.ownerReferences).toEqual([{ apiVersion: 'apps/v1', kind: 'StatefulSet', name: 'web', uid: made.metadata.uid }]);
    c.store.patch(sets, 'default', 'web', { spec: { replicas: 1 } });
    expect(c.store.tryGet(pvcs, 'default', 'data-web-1')).toBeUndefined();
    c.store.delete(sets, 'default', 'web');
    expect(live(c)).toEqual([]);
    expect(c.store.tryGet(pvcs, 'default', 'data-web-0')).toBeUndefined();
  });

  it('gives the claims of ready pods the owner a changed retention policy asks for, and takes it back', () => {
    const c = newCluster();
    const claimTemplate = { metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } };
    const made = c.store.create(sets, statefulSet('web', { replicas: 2, extra: { volumeClaimTemplates: [claimTemplate], persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Retain' } } }), 'default');
    readyAll(c);
    const owners = () => ['data-web-0', 'data-web-1'].map((name) => c.store.get(pvcs, 'default', name).metadata.ownerReferences);
    expect(owners()).toEqual([undefined, undefined]);
    const owner = [{ apiVersion: 'apps/v1', kind: 'StatefulSet', name: 'web', uid: made.metadata.uid }];
    c.store.patch(sets, 'default', 'web', { spec: { persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Delete' } } });
    expect(owners()).toEqual([owner, owner]);
    // Back to Retain: deleting the set must keep the claims, so the owner goes.
    c.store.patch(sets, 'default', 'web', { spec: { persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Retain' } } });
    expect(owners()).toEqual([undefined, undefined]);
  });

  it("mends a ready pod's claim owners at the set's next sync after the claim changed (storageMatches)", () => {
    const c = newCluster();
    const claimTemplate = { metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } };
    const made = c.store.create(sets, statefulSet('web', { replicas: 2, extra: { volumeClaimTemplates: [claimTemplate], persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Delete' } } }), 'default');
    readyAll(c);
    const owner = [{ apiVersion: 'apps/v1', kind: 'StatefulSet', name: 'web', uid: made.metadata.uid }];
    c.store.patch(pvcs, 'default', 'data-web-0', { metadata: { ownerReferences: null } });
    expect(c.store.get(pvcs, 'default', 'data-web-0').metadata.ownerReferences).toBeUndefined();
    // A claim's event does not queue the set; its next sync (here: an annotation) puts the owner back.
    c.store.patch(sets, 'default', 'web', { metadata: { annotations: { touched: 'yes' } } });
    expect(c.store.get(pvcs, 'default', 'data-web-0').metadata.ownerReferences).toEqual(owner);
    expect(c.store.get(pvcs, 'default', 'data-web-1').metadata.ownerReferences).toEqual(owner);
  });

  it('under minReadySeconds makes the next pod once the one before has been ready that long, and counts it available then', () => {
    const c = newCluster();
    c.store.create(sets, statefulSet('web', { replicas: 2, extra: { minReadySeconds: 10 } }), 'default');
    expect(names(c)).toEqual(['web-0']);
    markReady(c, 'web-0');
    expect(names(c)).toEqual(['web-0']);
    expect(status(c)).toMatchObject({ replicas: 1, readyReplicas: 1, availableReplicas: 0 });
    c.advance(11); // no event of the pod: the controller wakes up when web-0 becomes available
    expect(names(c)).toEqual(['web-0', 'web-1']);
    expect(status(c)).toMatchObject({ replicas: 2, readyReplicas: 1, availableReplicas: 1 });
    markReady(c, 'web-1');
    expect(status(c)).toMatchObject({ readyReplicas: 2, availableReplicas: 1 });
    c.advance(11);
    expect(status(c)).toMatchObject({ readyReplicas: 2, availableReplicas: 2 });
  });

  it('brings back a pod evicted from a failed node under the same name, with the same claim and a new IP', () => {
    const c = newCluster();
    for (const name of ['w1', 'w2']) c.store.create(t('nodes'), { metadata: { name } });
    const claimTemplate = { metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } };
    c.store.create(sets, statefulSet('web', { replicas: 1, manual: false, extra: { volumeClaimTemplates: [claimTemplate] } }), 'default');
    const before = pod(c, 'web-0');
    const node = (before.spec as PodSpec).nodeName!;
    const ip = (before.status as { podIP?: string }).podIP;
    expect(ip).toBeDefined();
    c.kubelets.stop(node);
    c.advance(6 * 60);
    // Evicted: terminating on a node that cannot confirm it; a StatefulSet never runs two web-0.
    expect(pod(c, 'web-0').metadata.deletionTimestamp).toBeDefined();
    expect(c.store.list(pods, { namespace: 'default' }).items).toHaveLength(1);
    // As on a real cluster, the operator force-deletes it: the set makes web-0 again, elsewhere.
    c.store.delete(pods, 'default', 'web-0', { gracePeriodSeconds: 0 });
    const after = pod(c, 'web-0');
    expect(after.metadata.uid).not.toBe(before.metadata.uid);
    expect((after.spec as PodSpec).nodeName).not.toBe(node);
    expect((after.status as { podIP?: string }).podIP).not.toBe(ip);
    expect((after.spec as { volumes?: unknown[] }).volumes).toEqual([{ name: 'data', persistentVolumeClaim: { claimName: 'data-web-0' } }]);
    expect(c.store.list(pvcs, { namespace: 'default' }).items.map((p) => p.metadata.name)).toEqual(['data-web-0']);
  });
});

describe('StatefulSet controller: claiming pods', () => {
  it('adopts an orphan with its name and labels, and leaves a pod of another name alone', () => {
    const c = newCluster();
    const orphan = { metadata: { name: 'web-0', labels: { app: 'web' } }, spec: { schedulerName: 'manual', containers: [{ name: 'nginx', image: 'nginx:1.27' }] } };
    c.store.create(pods, orphan, 'default');
    c.store.create(pods, { ...orphan, metadata: { name: 'stray', labels: { app: 'web' } } }, 'default');
    c.store.create(sets, statefulSet('web', { replicas: 1 }), 'default');
    expect(pod(c, 'web-0').metadata.ownerReferences?.[0]).toMatchObject({ kind: 'StatefulSet', name: 'web' });
    expect(names(c)).toEqual(['stray', 'web-0']);
    expect(pod(c, 'stray').metadata.ownerReferences).toBeUndefined();
    expect(messages(c)).toEqual([]);
  });
});

describe('StatefulSet controller: an imported set', () => {
  it("names its first revision after the revision its pods carry, so they are not replaced", () => {
    const c = newCluster();
    const labels = { app: 'web', 'controller-revision-hash': 'web-6d4d7c8b9f', 'statefulset.kubernetes.io/pod-name': 'web-0' };
    c.store.create(pods, { metadata: { name: 'web-0', labels }, spec: { schedulerName: 'manual', containers: [{ name: 'nginx', image: 'nginx:1.27' }] } }, 'default');
    markReady(c, 'web-0');
    const before = pod(c, 'web-0').metadata.uid;
    c.store.create(sets, statefulSet('web', { replicas: 1 }), 'default');
    expect(pod(c, 'web-0').metadata.uid).toBe(before);
    expect(status(c)).toMatchObject({ currentRevision: 'web-6d4d7c8b9f', updateRevision: 'web-6d4d7c8b9f', currentReplicas: 1, updatedReplicas: 1 });
  });
});

describe('StatefulSet controller: the cost of a sync', () => {
  it('looks at the replicas that changed, not at every replica: a create and a rolling update of n pods look at O(n) replicas in all', () => {
    const n = 60;
    const c = newCluster();
    const looked = jest.spyOn(StatefulSetPods.prototype, 'replicaAt');
    try {
      c.store.create(sets, statefulSet('web', { replicas: n }), 'default');
      readyAll(c);
      expect(status(c)).toMatchObject({ replicas: n, readyReplicas: n });
      const created = looked.mock.calls.length;
      // Each of the n syncs looking at every replica up to the newest would be n * n / 2 = 1,800.
      expect(created).toBeLessThan(6 * n);
      looked.mockClear();
      c.store.patch(sets, 'default', 'web', { spec: { template: { spec: { containers: [{ name: 'nginx', image: 'nginx:1.28' }] } } } }, { patchType: 'strategic' });
      readyAll(c);
      expect(live(c).map(image)).toEqual(Array(n).fill('nginx:1.28'));
      expect(status(c)).toMatchObject({ replicas: n, readyReplicas: n, updatedReplicas: n, currentReplicas: n });
      // About four syncs per pod replaced, each looking at every replica, would be 4 * n * n = 14,400.
      expect(looked.mock.calls.length).toBeLessThan(12 * n);
    } finally {
      looked.mockRestore();
    }
  });
});
