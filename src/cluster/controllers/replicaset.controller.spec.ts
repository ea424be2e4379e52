import { DomainError } from '../../common/domain-error';
import { Cluster } from '../cluster';
import { newCluster } from '../../../test/support/cluster/cluster';
import { PodStatus } from '../resources/pod.types';
import { ReplicaSetStrategy } from '../resources/workload.strategy';
import { resourceTypeByKey } from '../store/resource-types';
import { KubeObject } from '../store/types';
import { ReplicaSetController } from './replicaset.controller';
import { WorkloadControllerOptions } from './pod-template';

const t = (key: string) => resourceTypeByKey(key)!;
const pods = t('pods');
const replicasets = t('replicasets.apps');

function setup(seed = 1, options?: WorkloadControllerOptions): Cluster {
  const cluster = newCluster({}, seed);
  cluster.store.registerStrategy(replicasets, new ReplicaSetStrategy());
  // Once Cluster wires the workload controllers itself, the specs use those (unless they need their own options).
  if (options || !cluster.controllers.names().includes('replicaset-controller')) cluster.controllers.add(new ReplicaSetController(cluster.store, options));
  return cluster;
}

function replicaSet(name: string, replicas: number, extra: { labels?: Record<string, string>; nodeName?: string; minReadySeconds?: number } = {}) {
  const labels = extra.labels ?? { app: name };
  return {
    metadata: { name },
    spec: {
      replicas,
      ...(extra.minReadySeconds ? { minReadySeconds: extra.minReadySeconds } : {}),
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels },
        // Without a node, no scheduler serves `manual`: the specs play scheduler and kubelet with `markRunning`.
        spec: { ...(extra.nodeName ? { nodeName: extra.nodeName } : { schedulerName: 'manual' }), containers: [{ name: 'app', image: 'nginx:1.27' }] },
      },
    },
  };
}

const podNames = (c: Cluster) => c.store.list(pods, { namespace: 'default' }).items.map((p) => p.metadata.name);
const rsStatus = (c: Cluster, name: string) => c.store.get(replicasets, 'default', name).status;

/** What a kubelet reports for a running pod, ready or not, as of now. */
function markRunning(c: Cluster, name: string, ready: boolean): KubeObject {
  const now = c.store.now();
  return c.store.patchStatus(pods, 'default', name, {
    status: { phase: 'Running', conditions: [{ type: 'Ready', status: ready ? 'True' : 'False', lastProbeTime: null, lastTransitionTime: now }] },
  });
}

describe('ReplicaSetController', () => {
  it('creates spec.replicas pods from the template, named by the seeded random source', () => {
    const c = setup();
    const rs = c.store.create(replicasets, replicaSet('web', 3), 'default');
    expect(podNames(c)).toEqual(['web-b9lz6', 'web-xjnlh', 'web-xmjs2']);
    const pod = c.store.get(pods, 'default', 'web-b9lz6');
    expect(pod.metadata.generateName).toBe('web-');
    expect(pod.metadata.labels).toEqual({ app: 'web' });
    expect(pod.metadata.ownerReferences).toEqual([
      { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web', uid: rs.metadata.uid, controller: true, blockOwnerDeletion: true },
    ]);
    expect((pod.status as PodStatus).phase).toBe('Pending');
    expect(rsStatus(c, 'web')).toEqual({ replicas: 3, fullyLabeledReplicas: 3, observedGeneration: 1 });
    // One Event per message, as client-go's correlator keys them (see events.ts).
    const events = c.store.list(t('events'), { namespace: 'default' }).items.filter((e) => e.reason === 'SuccessfulCreate');
    expect(events.map((e) => [e.message, e.count, e.source]).sort()).toEqual(podNames(c).map((n) => [`Created pod: ${n}`, 1, { component: 'replicaset-controller' }]));
  });

  it('gives the same names for the same seed, and others for another seed', () => {
    const names = (seed: number) => {
      const c = setup(seed);
      c.store.create(replicasets, replicaSet('web', 4), 'default');
      return podNames(c);
    };
    expect(names(7)).toEqual(names(7));
    expect(names(7)).not.toEqual(names(8));
  });

  it('scales up and down, deleting pending before not ready before recently ready pods', () => {
    const c = setup();
    c.store.create(replicasets, replicaSet('web', 4), 'default');
    const [a, b, d] = podNames(c); // the fourth stays Pending
    markRunning(c, a, true);
    c.advance(100);
    markRunning(c, b, true);
    markRunning(c, d, false);
    expect(rsStatus(c, 'web')).toEqual({ replicas: 4, fullyLabeledReplicas: 4, readyReplicas: 2, availableReplicas: 2, observedGeneration: 1 });

    c.store.patch(replicasets, 'default', 'web', { spec: { replicas: 3 } });
    expect(podNames(c)).toEqual([a, b, d].sort());
    c.store.patch(replicasets, 'default', 'web', { spec: { replicas: 2 } });
    expect(podNames(c)).toEqual([a, b].sort());
    c.store.patch(replicasets, 'default', 'web', { spec: { replicas: 1 } });
    expect(podNames(c)).toEqual([a]); // b became ready more recently
    expect(rsStatus(c, 'web')).toEqual({ replicas: 1, fullyLabeledReplicas: 1, readyReplicas: 1, availableReplicas: 1, observedGeneration: 4 });

    c.store.patch(replicasets, 'default', 'web', { spec: { replicas: 3 } });
    expect(podNames(c)).toHaveLength(3);
    expect(rsStatus(c, 'web')).toEqual({ replicas: 3, fullyLabeledReplicas: 3, readyReplicas: 1, availableReplicas: 1, observedGeneration: 5 });
    c.store.patch(replicasets, 'default', 'web', { spec: { replicas: 0 } });
    expect(podNames(c)).toEqual([]);
    expect(rsStatus(c, 'web')).toEqual({ replicas: 0, observedGeneration: 6 });
  });

  it('replaces a pod that is deleted', () => {
    const c = setup();
    c.store.create(replicasets, replicaSet('web', 2), 'default');
    const [first] = podNames(c);
    c.store.delete(pods, 'default', first);
    expect(podNames(c)).toHaveLength(2);
    expect(podNames(c)).not.toContain(first);
  });

  it('adopts an orphan the selector matches and counts it; fullyLabeledReplicas counts template labels', () => {
    const c = setup();
    c.store.create(pods, { metadata: { name: 'orphan', labels: { app: 'web' } }, spec: { containers: [{ name: 'app', image: 'nginx' }] } }, 'default');
    c.store.create(pods, { metadata: { name: 'other', labels: { app: 'db' } }, spec: { containers: [{ name: 'app', image: 'nginx' }] } }, 'default');
    const rs = c.store.create(replicasets, replicaSet('web', 2, { labels: { app: 'web', tier: 'frontend' } }), 'default');
    const orphan = c.store.get(pods, 'default', 'orphan');
    expect(orphan.metadata.ownerReferences).toEqual([
      { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web', uid: rs.metadata.uid, controller: true, blockOwnerDeletion: true },
    ]);
    expect(c.store.get(pods, 'default', 'other').metadata.ownerReferences).toBeUndefined();
    expect(podNames(c)).toHaveLength(3); // orphan, other, and one new pod
    expect(rsStatus(c, 'web')).toEqual({ replicas: 2, fullyLabeledReplicas: 1, observedGeneration: 1 });
  });

  it('adopts a matching pod created later and scales down to stay at spec.replicas', () => {
    const c = setup();
    c.store.create(replicasets, replicaSet('web', 2), 'default');
    c.store.create(pods, { metadata: { name: 'late', labels: { app: 'web' } }, spec: { containers: [{ name: 'app', image: 'nginx' }] } }, 'default');
    expect(podNames(c)).toHaveLength(2);
    expect(rsStatus(c, 'web')).toMatchObject({ replicas: 2 });
  });

  it('releases a pod whose labels no longer match and replaces it', () => {
    const c = setup();
    c.store.create(replicasets, replicaSet('web', 2), 'default');
    const [first] = podNames(c);
    c.store.patch(pods, 'default', first, { metadata: { labels: { app: 'debug' } } });
    const released = c.store.get(pods, 'default', first);
    expect(released.metadata.ownerReferences).toBeUndefined();
    const owned = c.store.list(pods, { namespace: 'default' }).items.filter((p) => p.metadata.ownerReferences?.length);
    expect(owned).toHaveLength(2);
    expect(owned.map((p) => p.metadata.name)).not.toContain(first);
  });

  it('keeps its counts as single pods change: ready, not ready, failed, relabelled', () => {
    const c = setup();
    c.store.create(replicasets, replicaSet('web', 3), 'default');
    const [a, b, third] = podNames(c);
    markRunning(c, a, true);
    markRunning(c, b, true);
    expect(rsStatus(c, 'web')).toEqual({ replicas: 3, fullyLabeledReplicas: 3, readyReplicas: 2, availableReplicas: 2, observedGeneration: 1 });
    markRunning(c, a, false);
    expect(rsStatus(c, 'web')).toEqual({ replicas: 3, fullyLabeledReplicas: 3, readyReplicas: 1, availableReplicas: 1, observedGeneration: 1 });
    // A failed pod is not active: it stops counting and is replaced.
    c.store.patchStatus(pods, 'default', b, { status: { phase: 'Failed' } });
    expect(rsStatus(c, 'web')).toEqual({ replicas: 3, fullyLabeledReplicas: 3, observedGeneration: 1 });
    expect(podNames(c)).toHaveLength(4);
    // Still selected but missing a template label: counted, not fully labelled.
    c.store.patch(pods, 'default', third, { metadata: { labels: { app: 'web', extra: 'x' } } });
    expect(rsStatus(c, 'web')).toEqual({ replicas: 3, fullyLabeledReplicas: 3, observedGeneration: 1 });
    c.store.patch(replicasets, 'default', 'web', { spec: { template: { metadata: { labels: { app: 'web', extra: 'x' } } } } });
    expect(rsStatus(c, 'web')).toEqual({ replicas: 3, fullyLabeledReplicas: 1, observedGeneration: 2 });
  });

  it('adopts an orphan it was refused once when it syncs again', () => {
    const c = setup();
    c.store.create(replicasets, replicaSet('web', 1), 'default');
    const [own] = podNames(c);
    // The orphan cannot be adopted while its patch is refused.
    const patch = c.store.patch.bind(c.store);
    let refuse = true;
    jest.spyOn(c.store, 'patch').mockImplementation((type, namespace, name, body, options) => {
      if (refuse && name === 'orphan') throw new DomainError('CONFLICT', 'the object has been modified');
      return patch(type, namespace, name, body, options);
    });
    c.store.create(pods, { metadata: { name: 'orphan', labels: { app: 'web' } }, spec: { containers: [{ name: 'app', image: 'nginx' }] } }, 'default');
    expect(c.store.get(pods, 'default', 'orphan').metadata.ownerReferences).toBeUndefined();
    refuse = false;
    c.store.patch(replicasets, 'default', 'web', { spec: { replicas: 2 } });
    expect(c.store.get(pods, 'default', 'orphan').metadata.ownerReferences?.[0]).toMatchObject({ kind: 'ReplicaSet', name: 'web' });
    expect(podNames(c).sort()).toEqual([own, 'orphan'].sort());
    expect(rsStatus(c, 'web')).toMatchObject({ replicas: 2 });
  });

  it('deletes its pods when it is deleted; a pod with another live owner keeps it', () => {
    const c = setup();
    c.store.create(replicasets, replicaSet('web', 3), 'default');
    c.store.create(replicasets, replicaSet('api', 1), 'default');
    const [keep] = podNames(c).filter((n) => n.startsWith('web-'));
    const svc = c.store.get(t('services'), 'default', 'kubernetes');
    const pod = c.store.get(pods, 'default', keep);
    c.store.patch(pods, 'default', keep, {
      metadata: { ownerReferences: [...pod.metadata.ownerReferences!, { apiVersion: 'v1', kind: 'Service', name: 'kubernetes', uid: svc.metadata.uid }] },
    });
    c.store.delete(replicasets, 'default', 'web');
    expect(podNames(c).filter((n) => n.startsWith('web-'))).toEqual([keep]);
    expect(c.store.get(pods, 'default', keep).metadata.ownerReferences).toEqual([
      { apiVersion: 'v1', kind: 'Service', name: 'kubernetes', uid: svc.metadata.uid },
    ]);
    expect(podNames(c).filter((n) => n.startsWith('api-'))).toHaveLength(1);
  });

  it('counts pods started by the kubelet as ready and available', () => {
    const c = setup();
    c.store.create(t('nodes'), { metadata: { name: 'n0' } });
    c.store.create(replicasets, replicaSet('web', 2, { nodeName: 'n0' }), 'default');
    expect(c.store.list(pods, { namespace: 'default' }).items.map((p) => (p.status as PodStatus).podIP)).toEqual(['10.244.0.3', '10.244.0.2']);
    expect(rsStatus(c, 'web')).toEqual({ replicas: 2, fullyLabeledReplicas: 2, readyReplicas: 2, availableReplicas: 2, observedGeneration: 1 });
  });

  it('does not count terminating pods: scaled-down running pods terminate for their grace period', () => {
    const c = setup();
    c.store.create(t('nodes'), { metadata: { name: 'n0' } });
    c.store.create(replicasets, replicaSet('web', 3, { nodeName: 'n0' }), 'default');
    c.store.patch(replicasets, 'default', 'web', { spec: { replicas: 1 } });
    const terminating = () => c.store.list(pods, { namespace: 'default' }).items.filter((p) => p.metadata.deletionTimestamp);
    expect(terminating().map((p) => p.metadata.deletionTimestamp)).toEqual(['2026-01-01T00:00:30Z', '2026-01-01T00:00:30Z']);
    expect(rsStatus(c, 'web')).toEqual({ replicas: 1, fullyLabeledReplicas: 1, readyReplicas: 1, availableReplicas: 1, observedGeneration: 2 });
    // Scaling up again makes new pods; terminating ones are not brought back.
    c.store.patch(replicasets, 'default', 'web', { spec: { replicas: 2 } });
    expect(podNames(c)).toHaveLength(4);
    expect(rsStatus(c, 'web')).toMatchObject({ replicas: 2, readyReplicas: 2 });
    c.advance(30);
    expect(podNames(c)).toHaveLength(2);
    expect(terminating()).toEqual([]);
  });

  it('counts a ready pod as available only after minReadySeconds, waking up on the clock', () => {
    const wakeUps: number[] = [];
    let c: Cluster | undefined = undefined;
    c = setup(1, {
      wakeUp: (at) => {
        wakeUps.push(at);
        c!.clock.after(at - c!.clock.now(), 'replicaset-controller', () => c!.store.commit());
      },
    });
    c.store.create(replicasets, replicaSet('web', 1, { minReadySeconds: 10 }), 'default');
    const [name] = podNames(c);
    markRunning(c, name, true);
    expect(rsStatus(c, 'web')).toEqual({ replicas: 1, fullyLabeledReplicas: 1, readyReplicas: 1, observedGeneration: 1 });
    expect(wakeUps).toEqual([Date.UTC(2026, 0, 1, 0, 0, 11)]);
    c.advance(10);
    expect(rsStatus(c, 'web')).toMatchObject({ readyReplicas: 1 });
    expect((rsStatus(c, 'web') as { availableReplicas?: number }).availableReplicas).toBeUndefined();
    c.advance(1);
    expect(rsStatus(c, 'web')).toEqual({ replicas: 1, fullyLabeledReplicas: 1, readyReplicas: 1, availableReplicas: 1, observedGeneration: 1 });
  });

  it('creates at most 500 pods a sync (upstream burst), coming back for the rest', () => {
    const c = newCluster();
    c.store.transaction(() => {
      for (let i = 0; i < 12; i++) c.store.create(t('nodes'), { metadata: { name: `n${i}` } });
    });
    const sizes: number[] = [];
    c.store.subscribe((e) => {
      if (e.resource === 'replicasets.apps' && e.type === 'MODIFIED') sizes.push((e.object.status as { replicas?: number }).replicas ?? 0);
    });
    c.store.create(
      t('replicasets.apps'),
      { metadata: { name: 'big' }, spec: { replicas: 1200, selector: { matchLabels: { app: 'big' } }, template: { metadata: { labels: { app: 'big' } }, spec: { containers: [{ name: 'c', image: 'nginx' }] } } } },
      'default',
    );
    expect(c.store.count(t('pods'))).toBe(1200);
    const steps = [...new Set(sizes)];
    expect(steps[0]).toBe(500);
    expect(steps.at(-1)).toBe(1200);
    expect(steps.length).toBeGreaterThanOrEqual(3);
    for (let i = 1; i < steps.length; i++) expect(steps[i] - steps[i - 1]).toBeLessThanOrEqual(500);
  });

  it('reports a refused pod creation as ReplicaFailure and a FailedCreate event, and recovers', () => {
    const c = setup();
    const refuse = { prepareCreate: () => { throw new DomainError('FORBIDDEN', 'pods "web-" is forbidden: exceeded quota: compute'); } };
    c.store.registerStrategy(pods, refuse);
    c.store.create(replicasets, replicaSet('web', 2), 'default');
    expect(podNames(c)).toEqual([]);
    expect(rsStatus(c, 'web')).toEqual({
      replicas: 0,
      observedGeneration: 1,
      conditions: [
        { type: 'ReplicaFailure', status: 'True', lastTransitionTime: '2026-01-01T00:00:00Z', reason: 'FailedCreate', message: 'pods "web-" is forbidden: exceeded quota: compute' },
      ],
    });
    const failed = c.store.list(t('events'), { namespace: 'default' }).items.filter((e) => e.reason === 'FailedCreate');
    expect(failed).toHaveLength(1);
    expect(failed[0]).toMatchObject({ type: 'Warning', message: 'Error creating: pods "web-" is forbidden: exceeded quota: compute' });

    c.store.registerStrategy(pods, {});
    c.store.patch(replicasets, 'default', 'web', { metadata: { labels: { retry: 'now' } } });
    expect(podNames(c)).toHaveLength(2);
    expect(rsStatus(c, 'web')).toEqual({ replicas: 2, fullyLabeledReplicas: 2, observedGeneration: 1 });
  });

  it('a scale-down sync is cut into steps between slices: the same pods deleted as at once', async () => {
    const run = (stepped: boolean) => {
      const c = newCluster();
      c.store.create(t('nodes'), { metadata: { name: 'n0' } });
      c.store.create(t('replicasets.apps'), replicaSet('web', 30), 'default');
      if (stepped) c.controllers.settleInSlices({ sliceMs: 0 });
      c.store.patch(t('replicasets.apps'), 'default', 'web', { spec: { replicas: 3 } });
      return c;
    };
    const atOnce = run(false);
    const stepped = run(true);
    expect(stepped.controllers.isIdle).toBe(false);
    await stepped.controllers.idle();
    const live = (c: Cluster) => c.store.list(t('pods')).items.filter((p) => !p.metadata.deletionTimestamp).map((p) => p.metadata.name);
    expect(live(stepped)).toEqual(live(atOnce));
    expect(live(atOnce)).toHaveLength(3);
  });
});
