import request from 'supertest';
import { DEMO, startTestApp, TestApp } from './support/test-app';

/**
 * `POST .../pods/{name}/eviction` (policy/v1 Eviction), what `kubectl drain`
 * sends: the pod is deleted with the eviction's options (the table spec,
 * test/kubectl-table.e2e-spec.ts, drains a node with the real kubectl).
 */
describe('pods/eviction (e2e)', () => {
  jest.setTimeout(30_000);
  let t: TestApp;
  beforeEach(async () => {
    t = await startTestApp(DEMO);
  });
  afterEach(() => t.close());

  const evict = (pod: string, body: object) => request(t.http).post(`/api/v1/namespaces/default/pods/${pod}/eviction`).send(body);

  it('is listed in discovery as policy/v1 Eviction, create only', async () => {
    const resources = (await request(t.http).get('/api/v1').expect(200)).body.resources;
    expect(resources.find((r: { name: string }) => r.name === 'pods/eviction')).toEqual({
      name: 'pods/eviction',
      singularName: '',
      namespaced: true,
      group: 'policy',
      version: 'v1',
      kind: 'Eviction',
      verbs: ['create'],
    });
  });

  it('deletes the pod with the eviction\'s grace period and answers a Success Status', async () => {
    const res = await evict('db-0', { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name: 'db-0' }, deleteOptions: { gracePeriodSeconds: 7 } }).expect(201);
    expect(res.body).toEqual({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201 });
    const pod = (await request(t.http).get('/api/v1/namespaces/default/pods/db-0').expect(200)).body;
    expect(pod.metadata.deletionGracePeriodSeconds).toBe(7);
  });

  it('refuses what the API server refuses, and deletes nothing', async () => {
    const other = await evict('db-0', { kind: 'Eviction', metadata: { name: 'web' } }).expect(400);
    expect(other.body).toMatchObject({ kind: 'Status', status: 'Failure', reason: 'BadRequest', message: 'name in URL does not match name in Eviction object' });
    const kind = await evict('db-0', { kind: 'Pod', metadata: { name: 'db-0' } }).expect(400);
    expect(kind.body.message).toBe('the kind in the data (Pod) does not match the expected kind (Eviction)');
    const grace = await evict('db-0', { kind: 'Eviction', deleteOptions: { gracePeriodSeconds: -1 } }).expect(400);
    expect(grace.body.message).toBe('gracePeriodSeconds must be a whole number of seconds, 0 or more, not -1');
    await request(t.http).get('/api/v1/namespaces/default/pods/db-0/eviction').expect(405);
    expect((await request(t.http).get('/api/v1/namespaces/default/pods/db-0').expect(200)).body.metadata.deletionTimestamp).toBeUndefined();
    const missing = await evict('nope', { kind: 'Eviction', metadata: { name: 'nope' } }).expect(404);
    expect(missing.body.message).toBe('pods "nope" not found');
    const service = await request(t.http).post('/api/v1/namespaces/default/services/web/eviction').send({}).expect(404);
    expect(service.body.details).toEqual({});
  });
});
