import request from 'supertest';
import { CLUSTER } from '../src/api/tokens';
import { OFF_THREAD_BYTES } from '../src/cluster/apply/yaml-thread';
import { Cluster } from '../src/cluster/cluster';
import { startTestApp, TestApp } from './support/test-app';

/** `count` Services, one document each. */
function services(count: number, prefix: string): string {
  return Array.from(
    { length: count },
    (_, i) => `---\napiVersion: v1\nkind: Service\nmetadata:\n  name: ${prefix}-${i}\n  namespace: default\nspec:\n  selector:\n    app: ${prefix}-${i}\n  ports:\n  - port: 80\n    targetPort: 8080\n`,
  ).join('');
}

/** A ConfigMap sent as YAML, over `OFF_THREAD_BYTES` long. */
function configMap(keys: number, extra = ''): string {
  return `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: big\ndata:\n${Array.from({ length: keys }, (_, i) => `  key-${i}: value-${i}\n`).join('')}${extra}`;
}

describe('large YAML bodies (e2e)', () => {
  // The first large body starts the reading thread, which compiles the reader from the TypeScript sources: seconds on a loaded machine.
  jest.setTimeout(60_000);
  let t: TestApp;
  let cluster: Cluster;
  beforeEach(async () => {
    t = await startTestApp({}, 1, {}, { settleInSlices: true });
    cluster = t.app.get<Cluster>(CLUSTER);
  });
  afterEach(() => t.close());

  it('reads a large YAML document on the Kubernetes paths in the reading thread, with the same answers as a short one', async () => {
    const body = configMap(6000);
    expect(body.length).toBeGreaterThan(OFF_THREAD_BYTES);
    const created = await request(t.http).post('/api/v1/namespaces/default/configmaps').set('Content-Type', 'application/yaml').send(body).expect(201);
    expect(Object.keys(created.body.data)).toHaveLength(6000);
    // The same refusals, word for word, long or short.
    for (const keys of [1, 6000]) {
      const duplicate = configMap(keys, '  key-0: again\n');
      const res = await request(t.http).post('/api/v1/namespaces/default/configmaps').set('Content-Type', 'application/yaml').send(duplicate).expect(400);
      expect(res.body).toMatchObject({ kind: 'Status', reason: 'BadRequest', message: `error converting YAML to JSON: yaml: document 1, line ${keys + 6}: key "key-0" already set in map` });
      const two = await request(t.http).put('/api/v1/namespaces/default/configmaps/big').set('Content-Type', 'application/yaml').send(`${configMap(keys)}---\na: 1\n`).expect(400);
      expect(two.body.message).toBe('the request body holds more than one YAML document: send one object');
    }
  });

  it('applies a large manifest as a whole while /healthz answers: a request sent meanwhile waits and sees all of it, and a write comes after it', async () => {
    // Large enough that the apply takes many slices on a quiet machine too (600 could finish before /healthz was read).
    const count = 3000;
    const manifest = services(count, 'bulk');
    expect(manifest.length).toBeGreaterThan(OFF_THREAD_BYTES);
    const finished: string[] = [];
    const applying = request(t.http)
      .post('/netsim/v1/apply')
      .set('Content-Type', 'application/yaml')
      .send(manifest)
      .then((res) => {
        finished.push('apply');
        return res;
      });
    // Once the apply holds the store (its YAML read, its transaction under way)...
    while (!cluster.store.isHeld && finished.length === 0) await new Promise((resolve) => setImmediate(resolve));
    expect(cluster.store.isHeld).toBe(true);
    const [health, list, write] = await Promise.all([
      request(t.http)
        .get('/healthz')
        .then((res) => {
          finished.push('healthz');
          return res;
        }),
      request(t.http).get('/api/v1/namespaces/default/services'),
      request(t.http).post('/api/v1/namespaces/default/services').send({ metadata: { name: 'late' }, spec: { ports: [{ port: 80 }] } }),
    ]);
    const applied = await applying;
    expect(applied.status).toBe(200);
    expect(health.status).toBe(200);
    expect(finished[0]).toBe('healthz'); // answered while the apply ran
    const names = list.body.items.map((s: { metadata: { name: string } }) => s.metadata.name);
    expect(names.filter((n: string) => n.startsWith('bulk-'))).toHaveLength(count);
    expect(write.status).toBe(201);
    const versions = list.body.items.filter((s: { metadata: { name: string } }) => s.metadata.name.startsWith('bulk-')).map((s: { metadata: { resourceVersion: string } }) => Number(s.metadata.resourceVersion));
    expect(Number(write.body.metadata.resourceVersion)).toBeGreaterThan(Math.max(...versions));
  });

  it('refuses a large manifest with a bad document as a whole: nothing of it stays', async () => {
    const manifest = `${services(400, 'half')}---\napiVersion: v1\nkind: Service\nmetadata:\n  name: Bad_Name\nspec:\n  ports:\n  - port: 80\n`;
    const res = await request(t.http).post('/netsim/v1/apply').set('Content-Type', 'application/yaml').send(manifest).expect(422);
    // 400 documents of 12 lines before it; the document names no namespace, so neither does the message.
    expect(res.body.message).toMatch(/^document 401 \(line 4802\), Service Bad_Name: Service "Bad_Name" is invalid: metadata\.name: Invalid value: "Bad_Name": /);
    const list = await request(t.http).get('/api/v1/namespaces/default/services').expect(200);
    expect(list.body.items.filter((s: { metadata: { name: string } }) => s.metadata.name.startsWith('half-'))).toHaveLength(0);
    expect(cluster.store.isHeld).toBe(false);
  });
});
