import request from 'supertest';
import { DEMO, startTestApp, TestApp } from './support/test-app';

type Slice = { endpoints: Array<{ addresses: string[]; nodeName: string; conditions: { ready: boolean; terminating: boolean } }> };

describe('control plane on the simulated clock (e2e)', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await startTestApp(DEMO);
  });
  afterEach(() => t.close());

  const get = async (path: string) => (await request(t.http).get(path).expect(200)).body;
  const advance = (seconds: number) => request(t.http).post('/netsim/v1/clock/advance').send({ seconds }).expect(200);
  const webSlice = async (): Promise<Slice> =>
    (await get('/apis/discovery.k8s.io/v1/namespaces/default/endpointslices?labelSelector=kubernetes.io/service-name%3Dweb')).items[0];
  const ready = (node: { status: { conditions: Array<{ type: string; status: string }> } }) =>
    node.status.conditions.find((c) => c.type === 'Ready')?.status;

  it('shows and advances the clock, refusing bad bodies', async () => {
    expect((await get('/netsim/v1/clock')).now).toBe('2026-01-01T00:00:00.000Z');
    const moved = (await advance(90)).body;
    expect(moved).toMatchObject({ now: '2026-01-01T00:01:30.000Z', mode: 'manual' });
    expect(moved.pendingTimers[0].name).toMatch(/node-lifecycle-controller|kubelet/);
    expect(moved.faults).toEqual({ count: 0 }); // no error of ours was caught
    const bad = await request(t.http).post('/netsim/v1/clock/advance').send({ seconds: -1 }).expect(422);
    expect(bad.body.details.causes[0]).toMatchObject({ field: 'seconds', reason: 'FieldValueInvalid' });
    await request(t.http).post('/netsim/v1/clock/advance').send({ seconds: 1, extra: true }).expect(422);
  });

  it('a worker whose kubelet stops: Unknown after 40 s with endpoints kept, pods evicted 300 s later', async () => {
    await request(t.http).post('/netsim/v1/nodes/kind-worker/kubelet/stop').expect(200);
    await advance(41);
    expect(ready(await get('/api/v1/nodes/kind-worker'))).toBe('Unknown');
    const during = await webSlice();
    expect(during.endpoints.filter((e) => e.nodeName === 'kind-worker').map((e) => e.conditions.ready)).toEqual([false, false]);
    expect(during.endpoints.filter((e) => e.nodeName === 'kind-worker2').map((e) => e.conditions.ready)).toEqual([true]);
    await advance(300);
    const pods = (await get('/api/v1/namespaces/default/pods?fieldSelector=spec.nodeName%3Dkind-worker&labelSelector=app%3Dweb')).items;
    expect(pods.map((p: { metadata: { deletionTimestamp?: string } }) => Boolean(p.metadata.deletionTimestamp))).toEqual([true, true]);
    const after = await webSlice();
    expect(after.endpoints.filter((e) => e.nodeName === 'kind-worker').every((e) => e.conditions.terminating)).toBe(true);
    const events = (await get('/api/v1/namespaces/default/events')).items.map((e: { reason: string }) => e.reason);
    expect(events).toContain('TaintManagerEviction');
    await request(t.http).post('/netsim/v1/nodes/kind-worker/kubelet/start').expect(200);
    expect(ready(await get('/api/v1/nodes/kind-worker'))).toBe('True');
  });

  const scale = (replicas: number) =>
    request(t.http)
      .patch('/apis/apps/v1/namespaces/default/deployments/web/scale')
      .set('Content-Type', 'application/merge-patch+json')
      .send({ spec: { replicas } })
      .expect(200);
  const readyEndpoints = async () => (await webSlice()).endpoints.filter((e) => e.conditions.ready).length;

  it('scales web from 3 to 5 and back, and the EndpointSlice follows', async () => {
    expect(await readyEndpoints()).toBe(3);
    await scale(5);
    expect(await readyEndpoints()).toBe(5);
    const deployment = await get('/apis/apps/v1/namespaces/default/deployments/web');
    expect(deployment.status).toMatchObject({ replicas: 5, readyReplicas: 5, availableReplicas: 5, updatedReplicas: 5 });
    await scale(3);
    expect(await readyEndpoints()).toBe(3); // the two going are terminating, no longer ready
    await advance(30);
    expect((await webSlice()).endpoints).toHaveLength(3);
  });

  it('replaces the pods of a failed node on the other worker', async () => {
    await request(t.http).post('/netsim/v1/nodes/kind-worker/kubelet/stop').expect(200);
    await advance(341);
    const pods = (await get('/api/v1/namespaces/default/pods?labelSelector=app%3Dweb')).items as Array<{
      metadata: { deletionTimestamp?: string };
      spec: { nodeName: string };
      status: { phase: string };
    }>;
    const live = pods.filter((p) => !p.metadata.deletionTimestamp);
    expect(live).toHaveLength(3);
    expect(live.every((p) => p.spec.nodeName === 'kind-worker2' && p.status.phase === 'Running')).toBe(true);
    const slice = await webSlice();
    expect(slice.endpoints.filter((e) => e.conditions.ready).map((e) => e.nodeName)).toEqual(['kind-worker2', 'kind-worker2', 'kind-worker2']);
  });

  it('rolls out a template change without going below replicas - maxUnavailable ready pods', async () => {
    await request(t.http)
      .patch('/apis/apps/v1/namespaces/default/deployments/web')
      .set('Content-Type', 'application/merge-patch+json')
      .send({ spec: { template: { spec: { containers: [{ name: 'web', image: 'nginx:1.28', ports: [{ name: 'http', containerPort: 8080 }] }] } } } })
      .expect(200);
    for (let i = 0; i < 10; i++) {
      expect(await readyEndpoints()).toBeGreaterThanOrEqual(3); // maxUnavailable: 25% of 3 rounds down to 0
      await advance(30);
    }
    const pods = (await get('/api/v1/namespaces/default/pods?labelSelector=app%3Dweb')).items as Array<{ spec: { containers: Array<{ image: string }> } }>;
    expect(pods.map((p) => p.spec.containers[0].image)).toEqual(['nginx:1.28', 'nginx:1.28', 'nginx:1.28']);
    const rs = (await get('/apis/apps/v1/namespaces/default/replicasets')).items.filter((r: { metadata: { name: string } }) => r.metadata.name.startsWith('web-'));
    expect(rs.map((r: { spec: { replicas: number } }) => r.spec.replicas).sort()).toEqual([0, 3]);
  });

  it('runs a DaemonSet pod on every eligible node, following a new node', async () => {
    await request(t.http)
      .post('/apis/apps/v1/namespaces/kube-system/daemonsets')
      .send({
        metadata: { name: 'agent' },
        spec: {
          selector: { matchLabels: { app: 'agent' } },
          template: { metadata: { labels: { app: 'agent' } }, spec: { containers: [{ name: 'agent', image: 'busybox' }] } },
        },
      })
      .expect(201);
    const nodesOf = async () =>
      ((await get('/api/v1/namespaces/kube-system/pods?labelSelector=app%3Dagent')).items as Array<{ spec: { nodeName: string } }>)
        .map((p) => p.spec.nodeName)
        .sort();
    expect(await nodesOf()).toEqual(['kind-worker', 'kind-worker2']); // the control plane's taint is not tolerated
    await request(t.http).post('/api/v1/nodes').send({ metadata: { name: 'kind-worker3' } }).expect(201);
    expect(await nodesOf()).toEqual(['kind-worker', 'kind-worker2', 'kind-worker3']);
    const ds = await get('/apis/apps/v1/namespaces/kube-system/daemonsets/agent');
    expect(ds.status).toMatchObject({ desiredNumberScheduled: 3, currentNumberScheduled: 3, numberReady: 3 });
  });

  it('takes a pod out of the ready endpoints when its readiness fails (PATCH pods/status)', async () => {
    const pod = (await get('/api/v1/namespaces/default/pods?labelSelector=app%3Dweb')).items[0];
    const name = pod.metadata.name;
    const conditions = pod.status.conditions.map((c: { type: string }) =>
      c.type === 'Ready' ? { ...c, status: 'False', reason: 'ReadinessProbeFailed' } : c,
    );
    await request(t.http)
      .patch(`/api/v1/namespaces/default/pods/${name}/status`)
      .set('Content-Type', 'application/merge-patch+json')
      .send({ status: { conditions } })
      .expect(200);
    const slice = await webSlice();
    expect(slice.endpoints.find((e) => e.addresses[0] === pod.status.podIP)?.conditions.ready).toBe(false);
    expect(slice.endpoints.filter((e) => e.conditions.ready)).toHaveLength(2);
  });

  it('explains a pod that fits nowhere', async () => {
    await request(t.http)
      .post('/api/v1/namespaces/default/pods')
      .send({ metadata: { name: 'huge' }, spec: { containers: [{ name: 'c', image: 'x', resources: { requests: { cpu: '64' } } }] } })
      .expect(201);
    const pod = await get('/api/v1/namespaces/default/pods/huge');
    expect(pod.status.conditions.find((c: { type: string }) => c.type === 'PodScheduled')).toMatchObject({
      status: 'False',
      reason: 'Unschedulable',
      message: '0/3 nodes are available: 1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }, 2 Insufficient cpu.',
    });
  });

  it('runs a static pod from a manifest, with a mirror pod that cannot be edited and comes back when deleted', async () => {
    const manifest = 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: probe\n  namespace: kube-system\nspec:\n  containers:\n  - name: probe\n    image: busybox\n';
    const put = await request(t.http)
      .put('/netsim/v1/nodes/kind-worker2/manifests/probe.yaml')
      .set('Content-Type', 'application/yaml')
      .send(manifest)
      .expect(200);
    expect(put.body.mirrorPod.metadata.name).toBe('probe-kind-worker2');
    const mirror = await get('/api/v1/namespaces/kube-system/pods/probe-kind-worker2');
    expect(mirror.status.phase).toBe('Running');
    expect(mirror.metadata.annotations['kubernetes.io/config.mirror']).toBeDefined();
    const edit = await request(t.http)
      .patch('/api/v1/namespaces/kube-system/pods/probe-kind-worker2')
      .set('Content-Type', 'application/merge-patch+json')
      .send({ metadata: { labels: { x: 'y' } } })
      .expect(403);
    expect(edit.body.message).toContain('a mirror pod may not be modified');
    await request(t.http).delete('/api/v1/namespaces/kube-system/pods/probe-kind-worker2?gracePeriodSeconds=0').expect(200);
    const back = await get('/api/v1/namespaces/kube-system/pods/probe-kind-worker2');
    expect(back.metadata.uid).not.toBe(mirror.metadata.uid);
    await request(t.http).delete('/netsim/v1/nodes/kind-worker2/manifests/probe.yaml').expect(200);
    await request(t.http).get('/api/v1/namespaces/kube-system/pods/probe-kind-worker2').expect(404);
    const bad = await request(t.http).put('/netsim/v1/nodes/kind-worker2/manifests/bad.yaml').set('Content-Type', 'application/yaml').send('apiVersion: v1\nkind: Pod\nmetadata: {name: bad}\nspec: {containers: []}\n').expect(422);
    expect(bad.body.details.causes[0].field).toBe('spec.containers');
    await request(t.http).put('/netsim/v1/nodes/nowhere/manifests/x.yaml').set('Content-Type', 'application/yaml').send(manifest).expect(404);
  });

  it('is deterministic: the same story twice with the same seed gives the same pods, IPs, nodes and events', async () => {
    const story = async () => {
      const app = await startTestApp(DEMO, 7);
      try {
        await request(app.http).post('/api/v1/namespaces/default/pods').send({ metadata: { generateName: 'job-' }, spec: { containers: [{ name: 'c', image: 'x' }] } }).expect(201);
        await request(app.http).post('/netsim/v1/nodes/kind-worker/kubelet/stop').expect(200);
        await request(app.http).post('/netsim/v1/clock/advance').send({ seconds: 400 }).expect(200);
        const pods = (await request(app.http).get('/api/v1/pods').expect(200)).body.items.map(
          (p: { metadata: { name: string; uid: string }; spec: { nodeName: string }; status: { podIP: string } }) => [p.metadata.name, p.metadata.uid, p.spec.nodeName, p.status.podIP],
        );
        const events = (await request(app.http).get('/api/v1/namespaces/default/events').expect(200)).body.items.map(
          (e: { reason: string; message: string }) => `${e.reason}: ${e.message}`,
        );
        const services = (await request(app.http).get('/api/v1/services').expect(200)).body.items.map((s: { spec: { clusterIP: string } }) => s.spec.clusterIP);
        return JSON.stringify({ pods, events, services });
      } finally {
        await app.close();
      }
    };
    expect(await story()).toBe(await story());
  }, 60_000);
});
