import request from 'supertest';
import { startTestApp, TestApp } from './support/test-app';

describe('the service (e2e)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  it.each(['/healthz', '/livez', '/readyz'])('%s answers ok', async (path) => {
    const res = await request(t.http).get(path).expect(200);
    expect(res.text).toBe('ok');
    expect(res.headers['content-type']).toMatch(/^text\/plain/);
  });

  it('lists checks with ?verbose, as the API server does', async () => {
    const res = await request(t.http).get('/healthz?verbose').expect(200);
    expect(res.text).toBe('[+]ping ok\nhealthz check passed\n');
  });

  it('serves the OpenAPI document and its UI', async () => {
    const json = await request(t.http).get('/docs-json').expect(200);
    expect(json.body.openapi).toMatch(/^3\./);
    expect(Object.keys(json.body.paths)).toEqual(expect.arrayContaining(['/healthz', '/netsim/v1/ipam']));
    const ui = await request(t.http).get('/docs').expect(200);
    expect(ui.text).toContain('swagger');
  });

  it('answers an unknown path with a NotFound Status', async () => {
    const res = await request(t.http).get('/no/such/path').expect(404);
    expect(res.body).toMatchObject({ kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'NotFound', code: 404 });
    expect(typeof res.body.message).toBe('string');
  });

  it('answers malformed JSON with a BadRequest Status, not a 500', async () => {
    const res = await request(t.http)
      .post('/netsim/v1/ipam')
      .set('Content-Type', 'application/json')
      .send('{"not json')
      .expect(400);
    expect(res.body).toMatchObject({ kind: 'Status', status: 'Failure', reason: 'BadRequest', code: 400 });
  });
});
