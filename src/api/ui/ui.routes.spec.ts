import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import Fastify, { type FastifyInstance } from 'fastify';
import { loadUiAssets } from './ui-assets';
import { registerUiRoutes } from './ui.routes';

describe('the browser UI routes', () => {
  let dir: string;
  let app: FastifyInstance;

  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'kube-netsim-ui-'));
    writeFileSync(path.join(dir, 'index.html'), '<!doctype html><title>kube-netsim</title>');
    writeFileSync(path.join(dir, 'app.js'), 'console.log("app");'.repeat(100));
    writeFileSync(path.join(dir, 'style.css'), 'body{}');
    writeFileSync(path.join(dir, 'secret.txt'), 'not served');
  });

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  afterEach(() => app?.close());

  async function start(directory: string): Promise<FastifyInstance> {
    app = Fastify();
    registerUiRoutes(app, loadUiAssets(directory));
    await app.ready();
    return app;
  }

  it('serves the page at / and its script and style sheet under /ui/, with their media types', async () => {
    await start(dir);
    const page = await app.inject({ method: 'GET', url: '/' });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(page.body).toBe('<!doctype html><title>kube-netsim</title>');
    const script = await app.inject({ method: 'GET', url: '/ui/app.js' });
    expect(script.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect((await app.inject({ method: 'GET', url: '/ui/style.css' })).headers['content-type']).toBe('text/css; charset=utf-8');
  });

  it('sends the gzip encoding, made once at start-up, to a client that accepts it', async () => {
    await start(dir);
    const script = await app.inject({ method: 'GET', url: '/ui/app.js', headers: { 'accept-encoding': 'gzip, br' } });
    expect(script.headers['content-encoding']).toBe('gzip');
    expect(script.headers.vary).toBe('Accept-Encoding');
    expect(gunzipSync(script.rawPayload).toString()).toBe('console.log("app");'.repeat(100));
  });

  it('serves only the built files it knows: any other name is the API server’s 404, never a file read', async () => {
    await start(dir);
    for (const url of ['/ui/secret.txt', '/ui/index.html', '/ui/..%2Fsecret.txt', '/ui/%2e%2e%2fsecret.txt']) {
      const res = await app.inject({ method: 'GET', url });
      expect(res.statusCode).toBe(404);
      expect(res.json()).toMatchObject({ kind: 'Status', status: 'Failure', reason: 'NotFound', code: 404 });
    }
  });

  it('answers / with a 404 Status naming the build when the UI is not built', async () => {
    const empty = mkdtempSync(path.join(tmpdir(), 'kube-netsim-ui-empty-'));
    try {
      await start(empty);
      const res = await app.inject({ method: 'GET', url: '/' });
      expect(res.statusCode).toBe(404);
      expect(res.json()).toEqual({
        kind: 'Status',
        apiVersion: 'v1',
        metadata: {},
        status: 'Failure',
        message: 'the browser UI is not built: run `npm run build` (or `npm start`, which builds it)',
        reason: 'NotFound',
        code: 404,
      });
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });
});
