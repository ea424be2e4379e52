import request from 'supertest';
import { DEMO, startTestApp, TestApp } from '../support/test-app';

/** Defects the fuzz suite found outside issue #18's lists, each kept fixed here. */
describe('fuzz regressions (e2e)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp(DEMO);
  });
  afterAll(() => t.close());

  // Once a 500 in Fastify's own shape for every body the parsers refused: the exec routes registered @fastify/websocket
  // while Nest was still starting, which built the routes before Nest's error handler was set.
  it.each([
    ['malformed JSON', 'POST', '/api/v1/namespaces', 'application/json', '{bad', 400],
    ['malformed JSON to a netsim path', 'POST', '/netsim/v1/traffic', 'application/json', '{bad', 400],
    ['an unknown type on a subresource', 'PATCH', '/api/v1/namespaces/default/services/web/bogus', 'text/csv', 'a,b', 415],
  ])('%s is a 4xx Status', async (_name, method, path, type, body, code) => {
    const res = await request(t.http)[method.toLowerCase() as 'post' | 'patch'](path).set('Content-Type', type).send(body).expect(code);
    expect(res.body).toMatchObject({ kind: 'Status', apiVersion: 'v1', status: 'Failure', code });
  });

  // Once a 500 "Cannot convert undefined or null to object": the ReplicaSet controller matched selectors against null labels.
  it.each([
    ['pods', '/api/v1/namespaces/default/pods', { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'nolabels', labels: null }, spec: { containers: [{ name: 'c', image: 'nginx' }] } }],
    [
      'replicasets',
      '/apis/apps/v1/namespaces/default/replicasets',
      { apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { name: 'nolabels', labels: null }, spec: { replicas: 1, selector: { matchLabels: { app: 'nl' } }, template: { metadata: { labels: { app: 'nl' } }, spec: { containers: [{ name: 'c', image: 'nginx' }] } } } },
    ],
  ])('a %s with `metadata.labels: null` is created, as with no labels, and lists by selector', async (_plural, path, body) => {
    await request(t.http).post(path).send(body).expect(201);
    const list = await request(t.http).get(`${path}?labelSelector=app%3Dweb`).expect(200);
    expect(list.body.items.map((o: { metadata: { name: string } }) => o.metadata.name)).not.toContain('nolabels');
  });

  // Seed 931252826 found it: a static pod manifest is validated before defaulting, where `name: null` reached `.length`.
  it('a static pod manifest whose container port has `name: null` is taken as one without a name (Go reads null as the zero value)', async () => {
    const body = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'nullport' }, spec: { containers: [{ name: 'c', image: 'nginx', ports: [{ name: null, protocol: null, containerPort: 80 }] }] } };
    const res = await request(t.http).put('/netsim/v1/nodes/kind-worker/manifests/nullport.yaml').send(body).expect(200);
    expect(res.body.mirrorPod.metadata.name).toBe('nullport-kind-worker');
  });

  // Seed 932913008 found it: `gracePeriodSeconds=1e99` read as a number put the deletion timestamp past any date.
  it('a DELETE whose gracePeriodSeconds is no int64 is a 400; a huge one ends at the latest timestamp', async () => {
    const bad = await request(t.http).delete('/api/v1/namespaces/default/pods/db-0?gracePeriodSeconds=1e99').expect(400);
    expect(bad.body).toMatchObject({ kind: 'Status', reason: 'BadRequest' });
    const huge = await request(t.http).delete('/api/v1/namespaces/default/pods/db-0?gracePeriodSeconds=999999999999999').expect(200);
    expect(huge.body.metadata.deletionTimestamp).toBe('9999-12-31T23:59:59Z');
  });

  // Once the failed batch restored the Service but not its addresses: its ClusterIP and NodePort were free to be handed out again.
  it('a DELETE /netsim/v1/apply batch that fails leaves the Services it had deleted holding their addresses', async () => {
    const ipam = async () => (await request(t.http).get('/netsim/v1/ipam').expect(200)).body;
    const before = await ipam();
    const web = (await request(t.http).get('/api/v1/namespaces/default/services/web-nodeport').expect(200)).body;
    await request(t.http)
      .delete('/netsim/v1/apply')
      .send([{ apiVersion: 'v1', metadata: { name: 'no-kind' } }, { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web-nodeport' } }])
      .expect(400);
    expect(await ipam()).toEqual(before);
    const taken = await request(t.http)
      .post('/api/v1/namespaces/default/services')
      .send({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'same-port' }, spec: { type: 'NodePort', clusterIP: web.spec.clusterIP, ports: [{ port: 80, nodePort: web.spec.ports[0].nodePort }] } })
      .expect(422);
    expect(taken.body.message).toContain('provided IP is already allocated');
  });

  it('a DELETE /netsim/v1/apply batch that fails leaves the Nodes it had deleted holding their pod CIDR and address', async () => {
    const ipam = async () => (await request(t.http).get('/netsim/v1/ipam').expect(200)).body;
    await request(t.http).post('/api/v1/nodes').send({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'undo-node' } }).expect(201);
    const before = await ipam();
    await request(t.http)
      .delete('/netsim/v1/apply')
      .send([{ apiVersion: 'v1', metadata: { name: 'no-kind' } }, { apiVersion: 'v1', kind: 'Node', metadata: { name: 'undo-node' } }])
      .expect(400);
    expect(await ipam()).toEqual(before);
    await request(t.http).get('/api/v1/nodes/undo-node').expect(200);
  });
});
