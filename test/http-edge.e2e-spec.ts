import net from 'node:net';
import http from 'node:http';
import request from 'supertest';
import { DEMO, startListeningApp, TestApp } from './support/test-app';

/**
 * The HTTP edge: every refusal, the HTTP layer's own included, is a
 * Kubernetes `Status` with the API server's code, reason and message, and
 * the limits (body size, nesting, YAML, media types, timeouts, path
 * parameters) are kube-apiserver's.
 */

/** Writes `text` on a new connection and resolves with everything the server answers before it closes. */
function rawExchange(port: number, text: string, keepOpen = false): Promise<string> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1', () => socket.write(text));
    let answer = '';
    socket.on('data', (d) => (answer += d.toString()));
    socket.on('close', () => resolve(answer));
    socket.on('error', () => resolve(answer));
    if (!keepOpen) socket.on('end', () => socket.destroy());
  });
}

function statusOf(answer: string): { code: number; body: Record<string, unknown> } {
  const [head, body] = answer.split('\r\n\r\n');
  return { code: Number(head.split(' ')[1]), body: JSON.parse(body) };
}

const nested = (levels: number) => '{"a":'.repeat(levels) + '1' + '}'.repeat(levels);
const service = (name: string) => ({ apiVersion: 'v1', kind: 'Service', metadata: { name }, spec: { ports: [{ port: 80 }] } });
const UNSUPPORTED = 'the body of the request was in an unknown format - accepted media types include: application/json, application/yaml, application/vnd.kubernetes.protobuf';

describe('the HTTP edge (e2e)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startListeningApp(DEMO);
  });
  afterAll(() => t.close());

  describe('body size', () => {
    it('refuses a body over 3 MiB with 413 RequestEntityTooLarge, as kube-apiserver does, and creates nothing', async () => {
      const body = { ...service('big'), metadata: { name: 'big', annotations: { a: 'x'.repeat(3 * 1024 * 1024) } } };
      const res = await request(t.http).post('/api/v1/namespaces/default/services').send(body).expect(413);
      expect(res.body).toEqual({
        kind: 'Status',
        apiVersion: 'v1',
        metadata: {},
        status: 'Failure',
        message: 'Request entity too large: limit is 3145728',
        reason: 'RequestEntityTooLarge',
        code: 413,
      });
      await request(t.http).get('/api/v1/namespaces/default/services/big').expect(404);
    });

    it('refuses by Content-Length alone, before the body is read', async () => {
      const answer = await rawExchange(
        t.port!,
        `POST /netsim/v1/apply HTTP/1.1\r\nHost: x\r\nContent-Type: application/yaml\r\nContent-Length: ${4 * 1024 * 1024}\r\n\r\napiVersion: v1\n`,
      );
      const { code, body } = statusOf(answer);
      expect(code).toBe(413);
      expect(body).toMatchObject({ kind: 'Status', reason: 'RequestEntityTooLarge', message: 'Request entity too large: limit is 3145728' });
    });

    it('takes larger iptables dumps on the dump endpoints (64 MiB)', async () => {
      const rules = `*filter\n:INPUT ACCEPT [0:0]\n${'-A INPUT -s 10.0.0.1/32 -j ACCEPT\n'.repeat(120_000)}COMMIT\n`;
      expect(rules.length).toBeGreaterThan(3 * 1024 * 1024);
      const res = await request(t.http).post('/netsim/v1/iptables/save').send({ rules });
      expect(res.status).toBe(200);
    }, 60_000); // 120,000 rules parsed and printed: seconds on a loaded machine
  });

  describe('nesting', () => {
    it.each([
      ['POST', '/netsim/v1/trace', (d: string) => `{"from": ${d}}`],
      ['POST', '/netsim/v1/traffic', (d: string) => `{"from": ${d}}`],
      ['PUT', '/netsim/v1/kube-proxy/config', (d: string) => `{"iptables": ${d}}`],
      ['POST', '/api/v1/namespaces/default/services', (d: string) => `{"metadata": {"name": "deep", "annotations": ${d}}}`],
    ])('refuses JSON nested 10,000 levels deep with 400 naming the limit (%s %s)', async (method, path, wrap) => {
      const res = await request(t.http)[method === 'PUT' ? 'put' : 'post'](path).set('Content-Type', 'application/json').send(wrap(nested(10_000))).expect(400);
      expect(res.body).toMatchObject({ kind: 'Status', reason: 'BadRequest', code: 400 });
      expect(res.body.message).toMatch(/^the request body nests deeper than 100 levels \(at offset \d+\): the nesting limit is 100$/);
    });

    it('refuses YAML nested too deep, flow or block', async () => {
      const flow = `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\ndata: ${'['.repeat(2000)}${']'.repeat(2000)}\n`;
      const block = `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\ndata:\n${Array.from({ length: 120 }, (_, i) => `${' '.repeat(i + 1)}- `).join('\n')}x\n`;
      for (const yaml of [flow, block]) {
        const res = await request(t.http).post('/netsim/v1/apply').set('Content-Type', 'application/yaml').send(yaml).expect(400);
        expect(res.body.message).toMatch(/^the request body nests deeper than 100 levels \(at line \d+\): the nesting limit is 100$/);
      }
    });
  });

  describe('YAML limits', () => {
    it('refuses more than 10,000 documents', async () => {
      const res = await request(t.http).post('/netsim/v1/apply').set('Content-Type', 'application/yaml').send('---\n{}\n'.repeat(10_001)).expect(400);
      expect(res.body).toMatchObject({ reason: 'BadRequest', message: 'the YAML stream has more than 10000 documents: the limit is 10000' });
    });

    it('refuses more than 250,000 mapping keys', async () => {
      const yaml = `apiVersion: v1\nkind: Namespace\nmetadata:\n  name: keys\n  annotations: [${'{a: b}, '.repeat(250_000)}]\n`;
      const res = await request(t.http).post('/netsim/v1/apply').set('Content-Type', 'application/yaml').send(yaml).expect(400);
      expect(res.body).toMatchObject({ reason: 'BadRequest', message: 'the YAML has more than 250000 mapping keys: the limit is 250000' });
      await request(t.http).get('/api/v1/namespaces/keys').expect(404);
    }, 60_000);

    it('refuses a key given twice in one mapping, as the API server\'s YAML decoder does', async () => {
      const yaml = 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: twice\n  name: again\n';
      const res = await request(t.http).post('/netsim/v1/apply').set('Content-Type', 'application/yaml').send(yaml).expect(400);
      expect(res.body.message).toBe('error converting YAML to JSON: yaml: document 1, line 5: key "name" already set in map');
    });

    it('still applies a many-key object within the limits, and a YAML body on the Kubernetes paths', async () => {
      const labels = Array.from({ length: 50 }, (_, i) => `    k${i}: v${i}`).join('\n');
      await request(t.http).post('/netsim/v1/apply').set('Content-Type', 'application/yaml').send(`apiVersion: v1\nkind: Namespace\nmetadata:\n  name: many\n  labels:\n${labels}\n`).expect(200);
      const ns = (await request(t.http).get('/api/v1/namespaces/many').expect(200)).body;
      expect(Object.keys(ns.metadata.labels)).toHaveLength(51);
      await request(t.http).post('/api/v1/namespaces/default/services').set('Content-Type', 'application/yaml').send('apiVersion: v1\nkind: Service\nmetadata: {name: from-yaml}\nspec: {ports: [{port: 80}]}\n').expect(201);
    });
  });

  describe('media types', () => {
    it('answers a Service sent as text/plain 415 with the API server\'s text, and creates nothing', async () => {
      const res = await request(t.http)
        .post('/api/v1/namespaces/default/services')
        .set('Content-Type', 'text/plain')
        .send('apiVersion: v1\nkind: Service\nmetadata: {name: plain}\nspec: {ports: [{port: 80}]}\n')
        .expect(415);
      expect(res.body).toEqual({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: UNSUPPORTED, reason: 'UnsupportedMediaType', code: 415 });
      await request(t.http).get('/api/v1/namespaces/default/services/plain').expect(404);
    });

    it('answers the media type before the namespace: text/plain into a namespace that does not exist is 415, as the API server negotiates its input first', async () => {
      await request(t.http).post('/api/v1/namespaces/nowhere/services').set('Content-Type', 'text/plain').send('x').expect(415);
      await request(t.http).patch('/api/v1/namespaces/nowhere/services/web').set('Content-Type', 'application/json').send({}).expect(415);
      const missing = await request(t.http).post('/api/v1/namespaces/nowhere/services').send({ metadata: { name: 'a' }, spec: { ports: [{ port: 80 }] } }).expect(404);
      expect(missing.body.message).toBe('namespaces "nowhere" not found');
    });

    it('answers an unknown media type 415, on kube-netsim\'s own paths too', async () => {
      const res = await request(t.http).post('/netsim/v1/trace').set('Content-Type', 'application/xml').send('<trace/>').expect(415);
      expect(res.body).toMatchObject({ reason: 'UnsupportedMediaType', message: UNSUPPORTED });
    });

    it('answers a PATCH with a type that is not a patch type 415, naming the patch types', async () => {
      const res = await request(t.http).patch('/api/v1/namespaces/default/services/web').set('Content-Type', 'application/json').send({ metadata: { labels: { a: 'b' } } }).expect(415);
      expect(res.body).toMatchObject({
        reason: 'UnsupportedMediaType',
        message:
          'the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/strategic-merge-patch+json, application/apply-patch+yaml',
      });
    });

    it('reads a body without a Content-Type as JSON, as the API server does', async () => {
      const body = JSON.stringify(service('untyped'));
      const answer = await rawExchange(t.port!, `POST /api/v1/namespaces/default/services HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: ${body.length}\r\n\r\n${body}`);
      expect(answer.split(' ')[1]).toBe('201');
      await request(t.http).get('/api/v1/namespaces/default/services/untyped').expect(200);
    });
  });

  describe('the HTTP layer\'s own answers', () => {
    it('answers headers over 16 KiB 431 as a Status', async () => {
      const { code, body } = statusOf(await rawExchange(t.port!, `GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`));
      expect(code).toBe(431);
      expect(body).toMatchObject({ kind: 'Status', status: 'Failure', code: 431, message: 'the request headers are larger than the limit of 16 KiB' });
    });

    it('answers a malformed Content-Length 400 as a Status', async () => {
      const { code, body } = statusOf(
        await rawExchange(t.port!, 'POST /api/v1/namespaces/default/services HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: abc\r\n\r\n{}'),
      );
      expect(code).toBe(400);
      expect(body).toMatchObject({ kind: 'Status', reason: 'BadRequest', code: 400, message: 'the request has an invalid Content-Length header' });
    });

    it('answers a raw non-ASCII byte in a path 400 as a Status', async () => {
      const { code, body } = statusOf(await rawExchange(t.port!, 'GET /api/v1/namespaces/\u00e9t\u00e9/services HTTP/1.1\r\nHost: x\r\n\r\n'));
      expect(code).toBe(400);
      expect(body).toMatchObject({ kind: 'Status', reason: 'BadRequest', message: 'the request is not valid HTTP: Parse Error: Invalid char in url path' });
    });

    it('answers a non-ASCII namespace, percent-encoded, as any unknown namespace', async () => {
      const res = await request(t.http).post('/api/v1/namespaces/%C3%A9t%C3%A9/services').send(service('x')).expect(404);
      expect(res.body).toMatchObject({ kind: 'Status', reason: 'NotFound', message: 'namespaces "été" not found' });
    });

    it('answers a path whose escapes decode to bytes that are not UTF-8 as Go-parsed paths are answered: as any other name', async () => {
      const res = await request(t.http).get('/api/v1/namespaces/%C0%AF').expect(404);
      expect(res.body).toMatchObject({ kind: 'Status', reason: 'NotFound', message: 'namespaces "\uFFFD\uFFFD" not found' });
      // A write in a type the API server does not read is 415 before the name is looked at, as for any path.
      await request(t.http).put('/api/v1/namespaces/default/services/%C0%AF').set('Content-Type', 'text/plain').send('x').expect(415);
    });

    it('answers a bad percent-encoding in a path 400 as a Status', async () => {
      for (const path of ['/api/v1/namespaces/%zz/services', '/netsim/v1/nodes/%E0%A4%A/kube-proxy']) {
        const res = await request(t.http).get(path).expect(400);
        expect(res.body).toMatchObject({ kind: 'Status', reason: 'BadRequest', code: 400 });
        expect(res.body.message).toBe(`the request path is not a valid URL: '${path}' is malformed (bad percent-encoding)`);
      }
    });

    it('answers malformed JSON 400 as a Status', async () => {
      const res = await request(t.http).post('/api/v1/namespaces/default/services').set('Content-Type', 'application/json').send('{"a":').expect(400);
      expect(res.body).toMatchObject({ kind: 'Status', reason: 'BadRequest', code: 400 });
    });
  });

  describe('path parameters', () => {
    it('accept a valid node name of 253 characters', async () => {
      const name = `${'a'.repeat(61)}.${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(63)}`;
      expect(name).toHaveLength(253);
      await request(t.http).post('/api/v1/nodes').send({ apiVersion: 'v1', kind: 'Node', metadata: { name } }).expect(201);
      const res = await request(t.http).get(`/netsim/v1/nodes/${name}/kube-proxy`).expect(200);
      expect(res.body.configuration).toBeDefined();
    });

    it('answer a longer one 414 as a Status', async () => {
      const res = await request(t.http).get(`/netsim/v1/nodes/${'a'.repeat(254)}/kube-proxy`).expect(414);
      expect(res.body).toMatchObject({ kind: 'Status', code: 414 });
      expect(res.body.message).toMatch(/^a path segment is longer than 253 characters/);
    });
  });

  describe('watch', () => {
    it('answers a watch from a future resourceVersion as the API server does, at once', async () => {
      const current = (await request(t.http).get('/api/v1/namespaces/default/services').expect(200)).body.metadata.resourceVersion;
      const res = await request(t.http).get('/api/v1/namespaces/default/services?watch=true&resourceVersion=999999').expect(504);
      expect(res.body).toEqual({
        kind: 'Status',
        apiVersion: 'v1',
        metadata: {},
        status: 'Failure',
        message: `Timeout: Too large resource version: 999999, current: ${current}`,
        reason: 'Timeout',
        details: { causes: [{ reason: 'ResourceVersionTooLarge', message: 'Too large resource version' }], retryAfterSeconds: 1 },
        code: 504,
      });
    });
  });
});

describe('request timeouts (e2e)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startListeningApp(DEMO, 1, { requestTimeoutMs: 500 });
  });
  afterAll(() => t.close());

  it('a body that arrives too slowly is answered 408 as a Status and its connection closed', async () => {
    const answer = await rawExchange(
      t.port!,
      'POST /api/v1/namespaces/default/services HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"kind":',
      true,
    );
    const { code, body } = statusOf(answer);
    expect(code).toBe(408);
    expect(body).toMatchObject({ kind: 'Status', status: 'Failure', code: 408 });
  });

  it('a watch outlives the request timeout: only receiving the request is timed', async () => {
    const events: string[] = [];
    const req = http.get(`http://127.0.0.1:${t.port}/api/v1/namespaces/default/services?watch=true&resourceVersion=0&timeoutSeconds=30`);
    const res = await new Promise<http.IncomingMessage>((resolve) => req.on('response', resolve));
    res.on('data', (d: Buffer) => events.push(...d.toString().trim().split('\n')));
    await new Promise((resolve) => setTimeout(resolve, 1500));
    await request(t.http).post('/api/v1/namespaces/default/services').send(service('late')).expect(201);
    await new Promise((resolve) => setTimeout(resolve, 200));
    req.destroy();
    expect(events.map((e) => JSON.parse(e)).some((e) => e.type === 'ADDED' && e.object.metadata.name === 'late')).toBe(true);
  });
});
