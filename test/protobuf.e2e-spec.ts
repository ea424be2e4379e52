import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import request from 'supertest';
import { DEMO, startListeningApp, startTestApp, TestApp } from './support/test-app';

const PROTOBUF = 'application/vnd.kubernetes.protobuf';
const fixture = (name: string) => readFileSync(path.resolve(__dirname, '../fixtures/protobuf', name));
const run = promisify(execFile);

/**
 * Protobuf request bodies, as kubectl's typed commands (`create deployment`,
 * `create service`, `create namespace`...) send them: decoded into the JSON
 * shape, then validated and stored as JSON is. Answers stay JSON.
 */
describe('protobuf request bodies over HTTP (e2e)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp(DEMO);
  });
  afterAll(() => t.close());

  const post = (url: string, body: Buffer) => request(t.http).post(url).set('Content-Type', PROTOBUF).set('Accept', `${PROTOBUF},application/json`).send(body);

  it('creates the Deployment kubectl 1.32 sent, answering JSON', async () => {
    const res = await post('/apis/apps/v1/namespaces/default/deployments?fieldManager=kubectl-create&fieldValidation=Strict', fixture('deployment-web2-replicas-2.bin')).expect(201);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.body).toMatchObject({
      kind: 'Deployment',
      apiVersion: 'apps/v1',
      metadata: { name: 'web2', namespace: 'default', labels: { app: 'web2' } },
      spec: { replicas: 2, selector: { matchLabels: { app: 'web2' } }, template: { spec: { containers: [{ name: 'nginx', image: 'nginx' }] } } },
    });
  });

  it('creates a NodePort Service with the node port asked for', async () => {
    const res = await post('/api/v1/namespaces/default/services', fixture('service-nodeport-np-30090.bin')).expect(201);
    expect(res.body.spec).toMatchObject({ type: 'NodePort', ports: [{ name: '80-8080', protocol: 'TCP', port: 80, targetPort: 8080, nodePort: 30090 }] });
    expect(res.body.spec.clusterIP).toMatch(/^10\.(9[6-9]|10[0-9]|11[01])\./); // 10.96.0.0/12
  });

  it('creates a Namespace', async () => {
    await post('/api/v1/namespaces', fixture('namespace-ns1.bin')).expect(201);
    await request(t.http).get('/api/v1/namespaces/ns1').expect(200);
  });

  it('deletes a pod with the protobuf DeleteOptions kubectl drain sends', async () => {
    const pod = (await request(t.http).get('/api/v1/namespaces/default/pods').expect(200)).body.items[0].metadata.name;
    await request(t.http).delete(`/api/v1/namespaces/default/pods/${pod}`).set('Content-Type', PROTOBUF).send(fixture('deleteoptions-drain.bin')).expect(200);
  });

  it('refuses a body whose kind is not the kind of the path, as a JSON body is refused', async () => {
    const res = await post('/api/v1/namespaces/default/services', fixture('configmap-cm.bin')).expect(400);
    expect(res.body.message).toBe('the kind in the data (ConfigMap) does not match the expected kind (Service)');
  });

  it('refuses a body without the k8s\\0 prefix with 400, as the API server words it', async () => {
    const res = await post('/api/v1/namespaces', Buffer.from('{"kind":"Namespace"}')).expect(400);
    expect(res.body).toMatchObject({ kind: 'Status', status: 'Failure', reason: 'BadRequest', message: 'provided data does not appear to be a protobuf message, expected prefix [107 56 115 0]' });
  });

  it('refuses a PATCH in protobuf with 415 naming the patch types, whatever the body, and changes nothing', async () => {
    for (const body of [Buffer.from('{"metadata":{"labels":{"a":"b"}}}'), fixture('namespace-ns1.bin')]) {
      const res = await request(t.http).patch('/api/v1/namespaces/default/services/web').set('Content-Type', PROTOBUF).send(body).expect(415);
      expect(res.body).toMatchObject({ kind: 'Status', status: 'Failure', reason: 'UnsupportedMediaType', code: 415 });
      expect(res.body.message).toContain('application/merge-patch+json');
    }
    const web = (await request(t.http).get('/api/v1/namespaces/default/services/web').expect(200)).body;
    expect(web.metadata.labels?.a).toBeUndefined();
  });

  it('refuses a kind without a schema with 415 naming the kind, and stores nothing', async () => {
    const body = fixture('namespace-ns1.bin');
    // The Namespace body with its envelope's typeMeta (15 bytes: v1, Namespace) made to say v1, Lease.
    expect(body.subarray(4, 6)).toEqual(Buffer.from([0x0a, 0x0f]));
    const lease = Buffer.concat([body.subarray(0, 4), Buffer.from([0x0a, 0x0b, 0x0a, 0x02]), Buffer.from('v1'), Buffer.from([0x12, 0x05]), Buffer.from('Lease'), body.subarray(21)]);
    const res = await post('/api/v1/namespaces', lease).expect(415);
    expect(res.body).toMatchObject({ kind: 'Status', reason: 'UnsupportedMediaType', details: { kind: 'Lease' } });
    expect(res.body.message).toContain('kube-netsim does not decode protobuf bodies of kind "Lease"');
  });

  it('refuses a truncated body with 400', async () => {
    const body = fixture('deployment-web2-replicas-2.bin');
    const res = await post('/apis/apps/v1/namespaces/default/deployments', body.subarray(0, body.length - 40)).expect(400);
    expect(res.body).toMatchObject({ kind: 'Status', reason: 'BadRequest', message: 'the object provided is unrecognized: unexpected EOF' });
    await request(t.http).get('/apis/apps/v1/namespaces/default/deployments/web2').expect(200); // the one created above, untouched
  });
});

describe('kubectl create, run and expose send protobuf and work as printed (e2e)', () => {
  let t: TestApp;
  const kubectl = async (...args: string[]) => {
    try {
      const { stdout } = await run('kubectl', ['--server', `http://127.0.0.1:${t.port}`, ...args], { timeout: 30000 });
      return stdout;
    } catch (e) {
      const err = e as { stdout?: string; stderr?: string; code?: number };
      throw new Error(`kubectl ${args.join(' ')} failed (${err.code}): ${err.stderr ?? ''}${err.stdout ?? ''}`);
    }
  };
  beforeAll(async () => {
    t = await startListeningApp(DEMO);
  });
  afterAll(() => t.close());

  it('create deployment: its pods come up', async () => {
    expect(await kubectl('create', 'deployment', 'web2', '--image=nginx', '--replicas=2')).toBe('deployment.apps/web2 created\n');
    await request(t.http).post('/netsim/v1/clock/advance').send({ seconds: 30 }).expect(200);
    const pods = await kubectl('get', 'pods', '-l', 'app=web2', '--no-headers');
    expect(pods.trim().split('\n')).toHaveLength(2);
    expect(pods).toMatch(/^web2-[a-z0-9]+-[a-z0-9]{5}\s+1\/1\s+Running\s+0\s+\S+$/m);
    expect(await kubectl('get', 'deployment', 'web2', '-o', 'jsonpath={.spec.replicas} {.spec.template.spec.containers[0].image}')).toBe('2 nginx');
  });

  it('create deployment --replicas=0 keeps the zero (a pointer field sent as 0)', async () => {
    expect(await kubectl('create', 'deployment', 'zero', '--image=nginx', '--replicas=0')).toBe('deployment.apps/zero created\n');
    expect(await kubectl('get', 'deployment', 'zero', '-o', 'jsonpath={.spec.replicas}')).toBe('0');
  });

  it('create service clusterip and nodeport', async () => {
    expect(await kubectl('create', 'service', 'clusterip', 's', '--tcp=80:8080')).toBe('service/s created\n');
    expect(await kubectl('get', 'svc', 's', '-o', 'jsonpath={.spec.type} {.spec.ports[0].port} {.spec.ports[0].targetPort}')).toBe('ClusterIP 80 8080');
    expect(await kubectl('create', 'service', 'nodeport', 'np', '--tcp=80:8080')).toBe('service/np created\n');
    expect(await kubectl('get', 'svc', 'np', '-o', 'jsonpath={.spec.type} {.spec.ports[0].nodePort}')).toMatch(/^NodePort 3\d{4}$/);
  });

  it('create service loadbalancer and externalname', async () => {
    expect(await kubectl('create', 'service', 'loadbalancer', 'lb', '--tcp=80:8080')).toBe('service/lb created\n');
    expect(await kubectl('create', 'service', 'externalname', 'ex', '--external-name=example.com')).toBe('service/ex created\n');
    expect(await kubectl('get', 'svc', 'ex', '-o', 'jsonpath={.spec.type} {.spec.externalName}')).toBe('ExternalName example.com');
  });

  it('create namespace', async () => {
    expect(await kubectl('create', 'namespace', 'ns1')).toBe('namespace/ns1 created\n');
    expect(await kubectl('get', 'namespace', 'ns1', '--no-headers')).toMatch(/^ns1\s+Active\s+\S+\n$/);
  });

  it('run and expose', async () => {
    expect(await kubectl('run', 'tmp', '--image=busybox')).toBe('pod/tmp created\n');
    expect(await kubectl('expose', 'deployment', 'web', '--port=80', '--name=web-exposed')).toBe('service/web-exposed exposed\n');
    expect(await kubectl('get', 'svc', 'web-exposed', '-o', 'jsonpath={.spec.selector.app} {.spec.ports[0].port}')).toBe('web 80');
  });
});
