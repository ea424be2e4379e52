import request from 'supertest';
import { CLUSTER } from '../src/api/tokens';
import { Cluster } from '../src/cluster/cluster';
import { DEFAULT_HISTORY_LIMITS } from '../src/cluster/store/watch-history';
import { startTestApp, TestApp } from './support/test-app';

/**
 * Two of issue #18's defects, as a client sees them: the watch history is
 * bounded (a client that fell behind it gets 410 Expired, as from the API
 * server's watch cache, and relists), and Events expire an hour after they
 * were last written (kube-apiserver's --event-ttl default).
 */
describe('bounded history (e2e)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => {
    await t?.close();
  });

  it('answers a watch from a resourceVersion the history no longer holds 410 Expired, with the API server\'s text', async () => {
    const created = await request(t.http)
      .post('/api/v1/namespaces/default/configmaps')
      .send({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'counter' }, data: { n: '0' } })
      .expect(201);
    const from = Number(created.body.metadata.resourceVersion);
    // Past the history's event bound (the byte bound drops the oldest the same way: src/cluster/store/watch-history.spec.ts).
    const cluster = t.app.get<Cluster>(CLUSTER);
    const configmaps = cluster.store.resourceType('configmaps');
    for (let n = 1; n <= DEFAULT_HISTORY_LIMITS.events + 1; n++) cluster.store.patch(configmaps, 'default', 'counter', { data: { n: String(n) } });

    const res = await request(t.http).get(`/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=${from}`).expect(410);
    expect(res.body).toMatchObject({ kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'Expired', code: 410 });
    expect(res.body.message).toMatch(new RegExp(`^too old resource version: ${from} \\(\\d+\\)$`));
    // A relist gives a version to watch from, as client-go's reflector does after a 410.
    const list = await request(t.http).get('/api/v1/namespaces/default/configmaps').expect(200);
    const watch = await request(t.http).get(`/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=${list.body.metadata.resourceVersion}&timeoutSeconds=1`).expect(200);
    expect(watch.text).toBe('');
  }, 60_000);

  it('expires an Event one hour after it was last written, as kube-apiserver --event-ttl=1h', async () => {
    await request(t.http)
      .post('/apis/apps/v1/namespaces/default/deployments')
      .send({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web' }, spec: { replicas: 1, selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'nginx' }] } } } })
      .expect(201);
    const events = async () => (await request(t.http).get('/api/v1/namespaces/default/events').expect(200)).body.items as { reason: string }[];
    expect((await events()).map((e) => e.reason)).toContain('ScalingReplicaSet');
    await request(t.http).post('/netsim/v1/clock/advance').send({ seconds: 3599 }).expect(200);
    expect((await events()).map((e) => e.reason)).toContain('ScalingReplicaSet');
    await request(t.http).post('/netsim/v1/clock/advance').send({ seconds: 2 }).expect(200);
    expect((await events()).map((e) => e.reason)).not.toContain('ScalingReplicaSet');
  });
});
