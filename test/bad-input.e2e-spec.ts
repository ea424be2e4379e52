import request from 'supertest';
import { DEMO, startTestApp, TestApp } from './support/test-app';

/**
 * A user's mistake is a 4xx Status naming what is wrong, never a 500, and it
 * leaves nothing behind. Each row is a request that once crashed a handler.
 */
const deep = (levels: number) => {
  let v: unknown = 'x';
  for (let i = 0; i < levels; i++) v = { a: v };
  return v;
};
const aliasBomb = ['a: &a ["x","x","x","x","x","x","x","x","x"]']
  .concat(Array.from({ length: 8 }, (_, i) => `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [${Array(9).fill(`*${String.fromCharCode(97 + i)}`).join(',')}]`))
  .concat(['apiVersion: v1', 'kind: Namespace', 'metadata: {name: bomb}'])
  .join('\n');

type Row = [string, string, string, unknown, string | null];
const svc = (spec: unknown) => ({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'bad' }, spec });
const pod = (spec: unknown) => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'bad' }, spec });

const ROWS: Row[] = [
  ['service clusterIP 5', 'POST', '/api/v1/namespaces/default/services', svc({ clusterIP: 5, ports: [{ port: 80 }] }), null],
  ['service clusterIPs [null]', 'POST', '/api/v1/namespaces/default/services', svc({ clusterIPs: [null], ports: [{ port: 80 }] }), null],
  ['service externalIPs string', 'POST', '/api/v1/namespaces/default/services', svc({ externalIPs: '1.2.3.4', ports: [{ port: 80 }] }), null],
  ['service source ranges string', 'POST', '/api/v1/namespaces/default/services', svc({ type: 'LoadBalancer', loadBalancerSourceRanges: 'x', ports: [{ port: 80 }] }), null],
  ['service externalName 5', 'POST', '/api/v1/namespaces/default/services', svc({ type: 'ExternalName', externalName: 5 }), null],
  ['service spec a list', 'POST', '/api/v1/namespaces/default/services', svc([]), null],
  ['pod ports string', 'POST', '/api/v1/namespaces/default/pods', pod({ containers: [{ name: 'a', image: 'x', ports: 'x' }] }), null],
  ['pod tolerations string', 'POST', '/api/v1/namespaces/default/pods', pod({ tolerations: 'x', containers: [{ name: 'a', image: 'x' }] }), null],
  ['pod cpu request 5', 'POST', '/api/v1/namespaces/default/pods', pod({ containers: [{ name: 'a', image: 'x', resources: { requests: { cpu: {} } } }] }), null],
  ['pod affinity terms string', 'POST', '/api/v1/namespaces/default/pods', pod({ affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: 'x' } } }, containers: [{ name: 'a', image: 'x' }] }), null],
  ['node taints string', 'POST', '/api/v1/nodes', { apiVersion: 'v1', kind: 'Node', metadata: { name: 'pn' }, spec: { taints: 'x' } }, null],
  ['node status string', 'POST', '/api/v1/nodes', { apiVersion: 'v1', kind: 'Node', metadata: { name: 'pn' }, status: 'x' }, null],
  ['node conditions string', 'POST', '/api/v1/nodes', { apiVersion: 'v1', kind: 'Node', metadata: { name: 'pn' }, status: { conditions: 'x' } }, null],
  ['deployment matchExpressions string', 'POST', '/apis/apps/v1/namespaces/default/deployments', { metadata: { name: 'd' }, spec: { selector: { matchExpressions: 'x' }, template: { spec: { containers: [] } } } }, null],
  ['deep nesting', 'POST', '/api/v1/namespaces/default/services', { metadata: { name: 'deep', annotations: deep(5000) }, spec: { ports: [{ port: 80 }] } }, null],
  ['LB ingress string on status', 'PATCH', '/api/v1/namespaces/default/services/web/status', { status: { loadBalancer: { ingress: 'x' } } }, 'application/merge-patch+json'],
  ['empty YAML body', 'POST', '/api/v1/namespaces/default/services', '', 'application/yaml'],
  ['YAML alias bomb to apply', 'POST', '/netsim/v1/apply', aliasBomb, 'application/yaml'],
  ['static pod with bad tolerations', 'PUT', '/netsim/v1/nodes/kind-worker/manifests/t.yaml', 'apiVersion: v1\nkind: Pod\nmetadata: {name: s3}\nspec: {tolerations: x, containers: [{name: a, image: x}]}\n', 'application/yaml'],
  ['watch timeoutSeconds abc', 'GET', '/api/v1/namespaces/default/services?watch=true&timeoutSeconds=abc', undefined, null],
];

describe('bad input is a 4xx Status and changes nothing (e2e)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp(DEMO);
  });
  afterAll(() => t.close());

  it.each(ROWS)('%s', async (_name, method, path, body, contentType) => {
    let req = request(t.http)[method.toLowerCase() as 'get' | 'post' | 'put' | 'patch'](path);
    if (contentType !== null) req = req.set('Content-Type', contentType);
    const res = await (body === undefined ? req : req.send(body as object));
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
    expect(res.body).toMatchObject({ kind: 'Status', status: 'Failure' });
    expect(typeof res.body.message).toBe('string');
  });

  it('left nothing behind, and the cluster still works', async () => {
    await request(t.http).get('/api/v1/nodes/pn').expect(404);
    await request(t.http).get('/api/v1/namespaces/default/services/bad').expect(404);
    await request(t.http).get('/api/v1/namespaces/bomb').expect(404);
    const manifests = (await request(t.http).get('/netsim/v1/nodes/kind-worker/manifests').expect(200)).body;
    expect(manifests.manifests).toEqual([]);
    await request(t.http).post('/netsim/v1/clock/advance').send({ seconds: 60 }).expect(200);
    await request(t.http).delete('/api/v1/namespaces/default/services/web').expect(200);
  });

  it('names the field of a wrong-typed value in a static pod manifest, as the decoder does for a Pod', async () => {
    const manifest = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'static' }, spec: { containers: [{ name: 'c', image: 'nginx', ports: false }] } };
    const res = await request(t.http).put('/netsim/v1/nodes/kind-worker2/manifests/static.yaml').send(manifest).expect(400);
    expect(res.body.message).toBe('Pod in version "v1" cannot be handled as a Pod: json: cannot unmarshal bool into Go struct field spec.containers[0].ports of type []struct');
    expect(res.body.details.causes[0].field).toBe('spec.containers[0].ports');
    expect((await request(t.http).get('/netsim/v1/nodes/kind-worker2/manifests').expect(200)).body.manifests).toEqual([]);
  });

  it('names the field of a wrong-typed value, as the API server decoder does', async () => {
    const res = await request(t.http).post('/api/v1/namespaces/default/services').send(svc({ ports: 'x' })).expect(400);
    expect(res.body.message).toBe('Service in version "v1" cannot be handled as a Service: json: cannot unmarshal string into Go struct field spec.ports of type []struct');
    expect(res.body.details.causes[0].field).toBe('spec.ports');
  });
});
