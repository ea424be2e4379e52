import request from 'supertest';
import { startTestApp, TestApp } from './support/test-app';

const MANIFEST = `apiVersion: v1
kind: Namespace
metadata:
  name: shop
---
apiVersion: v1
kind: Service
metadata:
  name: cart
  namespace: shop
spec:
  selector: {app: cart}
  ports:
  - {name: http, port: 80, targetPort: 8080}
---
# a kind stored and served without a controller
apiVersion: v1
kind: ConfigMap
metadata:
  name: cart-config
  namespace: shop
data:
  a: b
`;

describe('POST /netsim/v1/apply (e2e)', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await startTestApp();
  });
  afterEach(() => t.close());

  const apply = (body: string, type = 'application/yaml') => request(t.http).post('/netsim/v1/apply').set('Content-Type', type).send(body);

  it('creates what is new, then reports it unchanged or configured, keeping the ClusterIP', async () => {
    const first = (await apply(MANIFEST).expect(200)).body.results;
    expect(first.map((r: { message: string }) => r.message)).toEqual([
      'namespace/shop created',
      'service/cart created',
      'configmap/cart-config created',
    ]);
    expect((await request(t.http).get('/api/v1/namespaces/shop/configmaps/cart-config').expect(200)).body.data).toEqual({ a: 'b' });
    const ip = (await request(t.http).get('/api/v1/namespaces/shop/services/cart').expect(200)).body.spec.clusterIP;
    const again = (await apply(MANIFEST, 'application/apply-patch+yaml; charset=utf-8').expect(200)).body.results;
    expect(again.map((r: { action: string }) => r.action)).toEqual(['unchanged', 'unchanged', 'unchanged']);
    const changed = (await apply(MANIFEST.replace('targetPort: 8080', 'targetPort: 9090')).expect(200)).body.results;
    expect(changed[1]).toMatchObject({ kind: 'Service', namespace: 'shop', name: 'cart', action: 'configured' });
    const svc = (await request(t.http).get('/api/v1/namespaces/shop/services/cart').expect(200)).body;
    expect(svc.spec.clusterIP).toBe(ip);
    expect(svc.spec.ports[0].targetPort).toBe(9090);
  });

  it('reports a kind the API server does not serve as skipped', async () => {
    const res = (await apply('apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\n').expect(200)).body.results;
    expect(res).toEqual([
      { index: 1, apiVersion: 'example.com/v1', kind: 'Widget', name: 'w', action: 'skipped', message: 'widget/w skipped: kind Widget (example.com/v1) is not simulated by kube-netsim' },
    ]);
  });

  it('applies nothing when one document is invalid, and names the document, field and reason', async () => {
    const bad = `${MANIFEST}---
apiVersion: v1
kind: Service
metadata:
  name: broken
  namespace: shop
spec:
  ports:
  - port: 99999
`;
    const res = await apply(bad).expect(422);
    expect(res.body).toMatchObject({ kind: 'Status', reason: 'Invalid', code: 422 });
    expect(res.body.message).toBe(
      'document 4 (line 25), Service shop/broken: Service "broken" is invalid: spec.ports[0].port: Invalid value: 99999: must be between 1 and 65535, inclusive',
    );
    expect(res.body.details.causes[0].field).toBe('spec.ports[0].port');
    await request(t.http).get('/api/v1/namespaces/shop').expect(404);
    const ipam = (await request(t.http).get('/netsim/v1/ipam').expect(200)).body;
    expect(ipam.clusterIPs.used).toBe(1); // only default/kubernetes
  });

  it('answers malformed YAML with 400 and the line', async () => {
    const res = await apply('apiVersion: v1\nkind: Service\nmetadata:\n  name: [unclosed\n').expect(400);
    expect(res.body).toMatchObject({ kind: 'Status', reason: 'BadRequest' });
    expect(res.body.message).toMatch(/^error converting YAML to JSON: yaml: document 1, line \d+, column \d+: /);
  });

  it('refuses a document without a name; takes a prototype key as the unknown field it is, reaching no prototype', async () => {
    const noName = await apply('apiVersion: v1\nkind: Service\nmetadata: {}\nspec: {ports: [{port: 80}]}\n').expect(422);
    expect(noName.body.details.causes[0].field).toBe('metadata.name');
    expect(noName.body.message).toBe('document 1 (line 1): Service: metadata.name: Required value: name is required');
    const noKind = await apply('apiVersion: v1\nmetadata: {name: a}\n').expect(400);
    expect(noKind.body.message).toBe('document 1 (line 1): kind not set');
    await apply('{"apiVersion":"v1","kind":"Service","metadata":{"name":"x","__proto__":{"namespace":"kube-system"}},"spec":{"ports":[{"port":80}]}}', 'application/json').expect(200);
    const stored = (await request(t.http).get('/api/v1/namespaces/default/services/x').expect(200)).body;
    expect(stored.metadata.namespace).toBe('default');
    expect(Object.keys(stored.metadata)).not.toContain('__proto__');
    expect(({} as Record<string, unknown>).namespace).toBeUndefined();
    const yaml = await apply('apiVersion: v1\nkind: Service\nmetadata:\n  name: z\n  labels: {__proto__: x}\nspec: {ports: [{port: 80}]}\n').expect(422);
    expect(yaml.body.details.causes[0]).toMatchObject({ field: 'metadata.labels', reason: 'FieldValueInvalid' });
  });

  it('takes a JSON list, supports dryRun=All, and deletes with DELETE', async () => {
    const list = [
      { apiVersion: 'v1', kind: 'Service', metadata: { name: 'a' }, spec: { ports: [{ port: 80 }] } },
      { apiVersion: 'v1', kind: 'Service', metadata: { name: 'b' }, spec: { ports: [{ port: 81 }] } },
    ];
    const dry = (await request(t.http).post('/netsim/v1/apply?dryRun=All').send(list).expect(200)).body.results;
    expect(dry.map((r: { message: string }) => r.message)).toEqual(['service/a created (dry run)', 'service/b created (dry run)']);
    await request(t.http).get('/api/v1/namespaces/default/services/a').expect(404);
    await request(t.http).post('/netsim/v1/apply').send(list).expect(200);
    const deleted = (await request(t.http).delete('/netsim/v1/apply').send([...list, { apiVersion: 'v1', kind: 'Service', metadata: { name: 'c' } }]).expect(200)).body.results;
    expect(deleted.map((r: { action: string }) => r.action)).toEqual(['not found', 'deleted', 'deleted']);
    await request(t.http).get('/api/v1/namespaces/default/services/a').expect(404);
  });
});
