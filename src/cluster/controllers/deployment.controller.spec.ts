import { Cluster } from '../cluster';
import { newCluster } from '../../../test/support/cluster/cluster';
import { PodSpec } from '../resources/pod.types';
import { DeploymentStatus, ReplicaSetSpec } from '../resources/workload.types';
import { DeploymentStrategy, ReplicaSetStrategy } from '../resources/workload.strategy';
import { resourceTypeByKey } from '../store/resource-types';
import { KubeObject } from '../store/types';
import { DeploymentController } from './deployment.controller';
import { computeHash, isPodReady } from './pod-template';
import { ReplicaSetController } from './replicaset.controller';

const t = (key: string) => resourceTypeByKey(key)!;
const pods = t('pods');
const replicasets = t('replicasets.apps');
const deployments = t('deployments.apps');

/** A cluster with the workload strategies and controllers (ReplicaSet before Deployment), wake-ups on its clock. */
function setup(nodes: string[] = []): Cluster {
  const c = newCluster();
  c.store.registerStrategy(replicasets, new ReplicaSetStrategy());
  c.store.registerStrategy(deployments, new DeploymentStrategy());
  const wakeUp = (at: number) => c.clock.after(at - c.clock.now(), 'workload-controllers', () => c.store.commit());
  // Once Cluster wires the workload controllers itself, the specs use those.
  if (!c.controllers.names().includes('replicaset-controller')) c.controllers.add(new ReplicaSetController(c.store, { wakeUp }));
  if (!c.controllers.names().includes('deployment-controller')) c.controllers.add(new DeploymentController(c.store, { wakeUp }));
  for (const name of nodes) c.store.create(t('nodes'), { metadata: { name } });
  return c;
}

interface Options {
  image?: string;
  /** Pods no scheduler serves: the spec plays scheduler and kubelet (`markReady`). */
  manual?: boolean;
  strategy?: Record<string, unknown>;
  extra?: Record<string, unknown>;
}

function deployment(name: string, replicas: number, o: Options = {}) {
  return {
    metadata: { name },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      ...(o.strategy ? { strategy: o.strategy } : {}),
      ...o.extra,
      template: {
        metadata: { labels: { app: name } },
        spec: { ...(o.manual ? { schedulerName: 'manual' } : {}), containers: [{ name: 'app', image: o.image ?? 'nginx:1.27' }] },
      },
    },
  };
}

const setImage = (c: Cluster, name: string, image: string) =>
  c.store.patch(deployments, 'default', name, { spec: { template: { spec: { containers: [{ name: 'app', image }] } } } }, { patchType: 'strategic' });

const allPods = (c: Cluster) => c.store.list(pods, { namespace: 'default' }).items;
const live = (c: Cluster) => allPods(c).filter((p) => !p.metadata.deletionTimestamp);
const readyCount = (c: Cluster) => live(c).filter(isPodReady).length;
const sets = (c: Cluster) => c.store.list(replicasets, { namespace: 'default' }).items;
const byImage = (c: Cluster, image: string) => sets(c).find((rs) => (rs.spec as ReplicaSetSpec).template!.spec!.containers[0].image === image)!;
const sizes = (c: Cluster, ...images: string[]) => images.map((i) => (byImage(c, i)?.spec as ReplicaSetSpec | undefined)?.replicas);
const deploymentStatus = (c: Cluster, name = 'web') => c.store.get(deployments, 'default', name).status as DeploymentStatus;

function markReady(c: Cluster, pod: KubeObject): void {
  c.store.patchStatus(pods, 'default', pod.metadata.name, {
    status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True', lastProbeTime: null, lastTransitionTime: c.store.now() }] },
  });
}

/** The first live pod of the ReplicaSet that is not ready yet. */
function pendingPodOf(c: Cluster, rs: KubeObject): KubeObject | undefined {
  return live(c).find((p) => p.metadata.ownerReferences?.[0].uid === rs.metadata.uid && !isPodReady(p));
}

const condition = (type: string, status: string, reason: string, message: string, time = '2026-01-01T00:00:00Z') => ({
  type,
  status,
  lastUpdateTime: time,
  lastTransitionTime: time,
  reason,
  message,
});

describe('DeploymentController', () => {
  it('creates a ReplicaSet named by the pod-template hash, labelled and selected by it, revision 1', () => {
    const c = setup();
    const d = c.store.create(deployments, deployment('web', 3, { manual: true }), 'default');
    const hash = computeHash((d.spec as { template: unknown }).template);
    expect(hash).toBe('db7679944');
    const [rs] = sets(c);
    expect(rs.metadata.name).toBe(`web-${hash}`);
    expect(rs.metadata.labels).toEqual({ app: 'web', 'pod-template-hash': hash });
    expect(rs.metadata.annotations).toEqual({
      'deployment.kubernetes.io/desired-replicas': '3',
      'deployment.kubernetes.io/max-replicas': '4',
      'deployment.kubernetes.io/revision': '1',
    });
    expect(rs.metadata.ownerReferences).toEqual([
      { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', uid: d.metadata.uid, controller: true, blockOwnerDeletion: true },
    ]);
    const spec = rs.spec as ReplicaSetSpec;
    expect(spec.replicas).toBe(3);
    expect(spec.selector).toEqual({ matchLabels: { app: 'web', 'pod-template-hash': hash } });
    expect(spec.template!.metadata!.labels).toEqual({ app: 'web', 'pod-template-hash': hash });
    expect(allPods(c).map((p) => p.metadata.name)).toEqual([`web-${hash}-5l7sp`, `web-${hash}-6l76w`, `web-${hash}-mvb7s`]);
    expect(c.store.get(deployments, 'default', 'web').metadata.annotations).toEqual({ 'deployment.kubernetes.io/revision': '1' });
    expect(deploymentStatus(c)).toEqual({
      observedGeneration: 1,
      replicas: 3,
      updatedReplicas: 3,
      unavailableReplicas: 3,
      conditions: [
        condition('Available', 'False', 'MinimumReplicasUnavailable', 'Deployment does not have minimum availability.'),
        condition('Progressing', 'True', 'ReplicaSetUpdated', `ReplicaSet "web-${hash}" is progressing.`),
      ],
    });
    for (const p of allPods(c)) markReady(c, p);
    expect(deploymentStatus(c)).toEqual({
      observedGeneration: 1,
      replicas: 3,
      updatedReplicas: 3,
      readyReplicas: 3,
      availableReplicas: 3,
      conditions: [
        condition('Available', 'True', 'MinimumReplicasAvailable', 'Deployment has minimum availability.'),
        condition('Progressing', 'True', 'NewReplicaSetAvailable', `ReplicaSet "web-${hash}" has successfully progressed.`),
      ],
    });
    const events = c.store.list(t('events'), { namespace: 'default' }).items.filter((e) => e.reason === 'ScalingReplicaSet');
    expect(events.map((e) => e.message)).toEqual([`Scaled up replica set web-${hash} from 0 to 3`]);
  });

  it('rolls out step by step as pods become ready, never below replicas - maxUnavailable ready pods', () => {
    const c = setup();
    c.store.create(deployments, deployment('web', 4, { manual: true, image: 'v1' }), 'default');
    for (const p of allPods(c)) markReady(c, p);
    expect(readyCount(c)).toBe(4);

    // 25% of 4: maxSurge 1 (rounded up), maxUnavailable 1 (rounded down): 3 ready pods at least, 5 pods at most.
    let lowest = Infinity;
    let most = 0;
    const stop = c.store.subscribe(() => {
      lowest = Math.min(lowest, readyCount(c));
      most = Math.max(most, live(c).length);
    });
    setImage(c, 'web', 'v2');
    const trace: Array<[number | undefined, number | undefined, number]> = [[...sizes(c, 'v1', 'v2'), readyCount(c)] as [number, number, number]];
    for (;;) {
      const next = pendingPodOf(c, byImage(c, 'v2'));
      if (!next) break;
      markReady(c, next);
      trace.push([...sizes(c, 'v1', 'v2'), readyCount(c)] as [number, number, number]);
    }
    stop();
    // [old ReplicaSet size, new ReplicaSet size, ready pods] after the change and after each pod turns ready.
    expect(trace).toEqual([
      [3, 2, 3],
      [2, 3, 3],
      [1, 4, 3],
      [0, 4, 3],
      [0, 4, 4],
    ]);
    expect(lowest).toBe(3);
    expect(most).toBe(5);
    const v2 = byImage(c, 'v2').metadata.name;
    expect(deploymentStatus(c)).toEqual({
      observedGeneration: 2,
      replicas: 4,
      updatedReplicas: 4,
      readyReplicas: 4,
      availableReplicas: 4,
      conditions: [
        condition('Available', 'True', 'MinimumReplicasAvailable', 'Deployment has minimum availability.'),
        condition('Progressing', 'True', 'NewReplicaSetAvailable', `ReplicaSet "${v2}" has successfully progressed.`),
      ],
    });
    expect(c.store.get(deployments, 'default', 'web').metadata.annotations).toEqual({ 'deployment.kubernetes.io/revision': '2' });
    expect(byImage(c, 'v1').metadata.annotations?.['deployment.kubernetes.io/revision']).toBe('1');
    expect(byImage(c, 'v2').metadata.annotations?.['deployment.kubernetes.io/revision']).toBe('2');
  });

  it('with kubelet-started pods, completes a rollout at once and stays at or above replicas - maxUnavailable at every event', () => {
    const c = setup(['n1', 'n2']);
    c.store.create(deployments, deployment('web', 4, { image: 'v1', strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 1 } } }), 'default');
    expect(readyCount(c)).toBe(4);
    let lowest = Infinity;
    const stop = c.store.subscribe(() => {
      lowest = Math.min(lowest, readyCount(c));
    });
    setImage(c, 'web', 'v2');
    stop();
    expect(lowest).toBe(3);
    expect(sizes(c, 'v1', 'v2')).toEqual([0, 4]);
    // The old pods terminate gracefully (30 s) while the new ones serve.
    expect(allPods(c).filter((p) => p.metadata.deletionTimestamp)).toHaveLength(4);
    expect(live(c).every((p) => (p.spec as PodSpec).containers[0].image === 'v2' && isPodReady(p))).toBe(true);
    expect(deploymentStatus(c)).toMatchObject({ replicas: 4, updatedReplicas: 4, readyReplicas: 4, availableReplicas: 4 });
    c.advance(30);
    expect(allPods(c)).toHaveLength(4);
  });

  it('Recreate: old pods are gone before the new ReplicaSet starts any', () => {
    const c = setup(['n1']);
    c.store.create(deployments, deployment('web', 3, { image: 'v1', strategy: { type: 'Recreate' } }), 'default');
    expect(readyCount(c)).toBe(3);
    let overlap = false;
    const stop = c.store.subscribe(() => {
      const images = new Set(allPods(c).map((p) => (p.spec as PodSpec).containers[0].image));
      if (images.has('v1') && images.has('v2')) overlap = true;
    });
    setImage(c, 'web', 'v2');
    expect(sizes(c, 'v1')).toEqual([0]);
    expect(sets(c)).toHaveLength(1); // no new ReplicaSet while old pods terminate
    expect(allPods(c).every((p) => p.metadata.deletionTimestamp)).toBe(true);
    const waiting = deploymentStatus(c);
    expect([waiting.observedGeneration, waiting.replicas, waiting.availableReplicas]).toEqual([2, undefined, undefined]);
    c.advance(30);
    stop();
    expect(overlap).toBe(false);
    expect(sizes(c, 'v1', 'v2')).toEqual([0, 3]);
    expect(readyCount(c)).toBe(3);
    expect(deploymentStatus(c)).toMatchObject({ replicas: 3, updatedReplicas: 3, readyReplicas: 3, availableReplicas: 3 });
  });

  it('scales: the only active ReplicaSet takes spec.replicas; mid-rollout, every active one in proportion', () => {
    const c = setup();
    c.store.create(deployments, deployment('web', 4, { manual: true, image: 'v1' }), 'default');
    c.store.patch(deployments, 'default', 'web', { spec: { replicas: 6 } });
    expect(sizes(c, 'v1')).toEqual([6]);
    c.store.patch(deployments, 'default', 'web', { spec: { replicas: 4 } });
    expect(sizes(c, 'v1')).toEqual([4]);
    for (const p of live(c)) markReady(c, p);
    setImage(c, 'web', 'v2');
    expect(sizes(c, 'v1', 'v2')).toEqual([3, 2]);
    // 8 replicas may have 10 pods (maxSurge 25% of 8 = 2): 5 more, shared 3:2 as the sizes are.
    c.store.patch(deployments, 'default', 'web', { spec: { replicas: 8 } });
    expect(sizes(c, 'v1', 'v2')).toEqual([6, 4]);
    expect(byImage(c, 'v2').metadata.annotations).toMatchObject({
      'deployment.kubernetes.io/desired-replicas': '8',
      'deployment.kubernetes.io/max-replicas': '10',
    });
    // One Event per message (events.ts): eight different scalings, under the aggregator's ten.
    const [v1, v2] = [byImage(c, 'v1').metadata.name, byImage(c, 'v2').metadata.name];
    const events = c.store.list(t('events'), { namespace: 'default' }).items.filter((e) => e.reason === 'ScalingReplicaSet');
    expect(events.map((e) => `${e.message as string} x${e.count as number}`)).toEqual([
      `Scaled up replica set ${v1} from 0 to 4 x1`,
      `Scaled up replica set ${v1} from 4 to 6 x1`,
      `Scaled down replica set ${v1} from 6 to 4 x1`,
      `Scaled up replica set ${v2} from 0 to 1 x1`,
      `Scaled down replica set ${v1} from 4 to 3 x1`,
      `Scaled up replica set ${v2} from 1 to 2 x1`,
      `Scaled up replica set ${v1} from 3 to 6 x1`,
      `Scaled up replica set ${v2} from 2 to 4 x1`,
    ]);
  });

  it('keeps revisionHistoryLimit old ReplicaSets, and a rollback revives the old one with a new revision', () => {
    const c = setup(['n1']);
    c.store.create(deployments, deployment('web', 2, { image: 'v1', extra: { revisionHistoryLimit: 1 } }), 'default');
    setImage(c, 'web', 'v2');
    setImage(c, 'web', 'v3');
    const revisions = () => Object.fromEntries(sets(c).map((rs) => [(rs.spec as ReplicaSetSpec).template!.spec!.containers[0].image, rs.metadata.annotations?.['deployment.kubernetes.io/revision']]));
    expect(revisions()).toEqual({ v2: '2', v3: '3' });
    setImage(c, 'web', 'v2');
    expect(revisions()).toEqual({ v2: '4', v3: '3' });
    expect(byImage(c, 'v2').metadata.annotations?.['deployment.kubernetes.io/revision-history']).toBe('2');
    expect(sizes(c, 'v2', 'v3')).toEqual([2, 0]);
    expect(c.store.get(deployments, 'default', 'web').metadata.annotations?.['deployment.kubernetes.io/revision']).toBe('4');
  });

  it('copies its annotations to the new ReplicaSet, but not the revision or kubectl ones', () => {
    const c = setup();
    const d = deployment('web', 1, { manual: true });
    c.store.create(
      deployments,
      { ...d, metadata: { ...d.metadata, annotations: { 'kubernetes.io/change-cause': 'first', 'kubectl.kubernetes.io/last-applied-configuration': '{}' } } },
      'default',
    );
    expect(sets(c)[0].metadata.annotations).toEqual({
      'kubernetes.io/change-cause': 'first',
      'deployment.kubernetes.io/desired-replicas': '1',
      'deployment.kubernetes.io/max-replicas': '2',
      'deployment.kubernetes.io/revision': '1',
    });
  });

  it('a paused Deployment scales but does not roll out until resumed', () => {
    const c = setup();
    c.store.create(deployments, deployment('web', 2, { manual: true, image: 'v1' }), 'default');
    c.store.patch(deployments, 'default', 'web', { spec: { paused: true } });
    setImage(c, 'web', 'v2');
    expect(sets(c)).toHaveLength(1);
    expect(deploymentStatus(c).conditions?.find((x) => x.type === 'Progressing')).toMatchObject({ status: 'Unknown', reason: 'DeploymentPaused', message: 'Deployment is paused' });
    c.store.patch(deployments, 'default', 'web', { spec: { replicas: 3 } });
    expect(sizes(c, 'v1')).toEqual([3]);
    c.store.patch(deployments, 'default', 'web', { spec: { paused: null } });
    expect(sizes(c, 'v1', 'v2')).toEqual([3, 1]);
  });

  it('reports ProgressDeadlineExceeded when pods do not become ready in time', () => {
    const c = setup();
    c.store.create(deployments, deployment('web', 1, { manual: true, extra: { progressDeadlineSeconds: 30 } }), 'default');
    const name = sets(c)[0].metadata.name;
    c.advance(30);
    expect(deploymentStatus(c).conditions?.find((x) => x.type === 'Progressing')?.reason).toBe('ReplicaSetUpdated');
    c.advance(1);
    expect(deploymentStatus(c).conditions?.find((x) => x.type === 'Progressing')).toEqual({
      type: 'Progressing',
      status: 'False',
      lastUpdateTime: '2026-01-01T00:00:31Z',
      lastTransitionTime: '2026-01-01T00:00:31Z',
      reason: 'ProgressDeadlineExceeded',
      message: `ReplicaSet "${name}" has timed out progressing.`,
    });
    // Progress made later turns it back.
    markReady(c, allPods(c)[0]);
    expect(deploymentStatus(c).conditions?.find((x) => x.type === 'Progressing')).toMatchObject({ status: 'True', reason: 'NewReplicaSetAvailable' });
  });

  it('deletes its ReplicaSets when deleted, and they their pods', () => {
    const c = setup();
    c.store.create(deployments, deployment('web', 3, { manual: true, image: 'v1' }), 'default');
    setImage(c, 'web', 'v2');
    c.store.create(deployments, deployment('api', 1, { manual: true }), 'default');
    expect(sets(c)).toHaveLength(3);
    c.store.delete(deployments, 'default', 'web');
    expect(sets(c).map((rs) => rs.metadata.name)).toEqual([expect.stringMatching(/^api-/)]);
    expect(allPods(c).map((p) => p.metadata.name)).toEqual([expect.stringMatching(/^api-/)]);
  });

  it('gives the same ReplicaSets, pods and events when the same story runs twice with the same seed', () => {
    const story = () => {
      const c = setup(['n1', 'n2']);
      c.store.create(deployments, deployment('web', 3, { image: 'v1' }), 'default');
      setImage(c, 'web', 'v2');
      c.store.patch(deployments, 'default', 'web', { spec: { replicas: 5 } });
      c.advance(30);
      return {
        sets: sets(c).map((rs) => [rs.metadata.name, (rs.spec as ReplicaSetSpec).replicas]),
        pods: allPods(c).map((p) => [p.metadata.name, (p.spec as PodSpec).nodeName, (p.status as { podIP?: string }).podIP]),
        events: c.store.list(t('events'), { namespace: 'default' }).items.map((e) => [e.metadata.name, e.reason, e.message, e.count]),
      };
    };
    const first = story();
    expect(first.pods).toHaveLength(5);
    expect(story()).toEqual(first);
  });

  it('counts a hash collision in status.collisionCount and names its ReplicaSet with the next hash', () => {
    const c = setup();
    const d = deployment('web', 1, { manual: true });
    const probe = new DeploymentStrategy();
    const draft = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', uid: '', resourceVersion: '', generation: 1, creationTimestamp: '' }, spec: structuredClone(d.spec) };
    probe.prepareCreate(draft);
    const taken = `web-${computeHash((draft.spec as { template: unknown }).template)}`;
    // Someone else's ReplicaSet already has the name the Deployment would give its own.
    c.store.create(replicasets, { metadata: { name: taken }, spec: { replicas: 0, selector: { matchLabels: { app: 'other' } }, template: { metadata: { labels: { app: 'other' } }, spec: d.spec.template.spec } } }, 'default');
    c.store.create(deployments, d, 'default');
    expect(deploymentStatus(c).collisionCount).toBe(1);
    const own = sets(c).filter((rs) => rs.metadata.name !== taken);
    expect(own.map((rs) => rs.metadata.name)).toEqual([`web-${computeHash((draft.spec as { template: unknown }).template, 1)}`]);
    expect((own[0].spec as ReplicaSetSpec).replicas).toBe(1);
  });

  it('adopts an orphan ReplicaSet whose template is its own instead of creating one', () => {
    const c = setup();
    const d = deployment('web', 2, { manual: true });
    const orphan = c.store.create(replicasets, { metadata: { name: 'web-by-hand', labels: { app: 'web' } }, spec: { replicas: 1, selector: d.spec.selector, template: d.spec.template } }, 'default');
    const created = c.store.create(deployments, d, 'default');
    expect(sets(c).map((rs) => rs.metadata.name)).toEqual(['web-by-hand']);
    const rs = c.store.get(replicasets, 'default', 'web-by-hand');
    expect(rs.metadata.uid).toBe(orphan.metadata.uid);
    expect(rs.metadata.ownerReferences?.[0]).toMatchObject({ kind: 'Deployment', uid: created.metadata.uid, controller: true });
    expect((rs.spec as ReplicaSetSpec).replicas).toBe(2);
  });
});
