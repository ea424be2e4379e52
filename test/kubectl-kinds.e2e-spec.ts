import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import request from 'supertest';
import { DEMO, MIXED_MANIFEST, startListeningApp, TestApp } from './support/test-app';

/**
 * The real kubectl against the kinds kube-netsim stores without a
 * controller (ConfigMaps, Secrets, ServiceAccounts, NetworkPolicies, ...),
 * `kubectl explain` from the served OpenAPI, and field validation.
 */
const run = promisify(execFile);

// Each test runs kubectl several times, a second or more each on a busy machine.
jest.setTimeout(60_000);

const MIXED = `${MIXED_MANIFEST}---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: data}
spec:
  accessModes: [ReadWriteOnce]
  resources: {requests: {storage: 1Gi}}
`;

describe('kubectl with the stored kinds, explain and field validation (e2e)', () => {
  let t: TestApp;
  let dir: string;
  // A cache of our own: kubectl keeps discovery per host:port for hours, and another server may have had this port.
  const exec = (args: string[]) =>
    run('kubectl', ['--server', `http://127.0.0.1:${t.port}`, '--cache-dir', path.join(dir, `cache-${t.port}`), ...args], { timeout: 30000 });
  const kubectl = async (...args: string[]) => {
    try {
      return (await exec(args)).stdout;
    } catch (e) {
      const err = e as { stdout?: string; stderr?: string; code?: number };
      throw new Error(`kubectl ${args.join(' ')} failed (${err.code}): ${err.stderr ?? ''}${err.stdout ?? ''}`);
    }
  };
  const kubectlFails = async (...args: string[]) => {
    try {
      await exec(args);
    } catch (e) {
      return (e as { stderr: string }).stderr;
    }
    throw new Error(`kubectl ${args.join(' ')} succeeded, expected it to fail`);
  };
  const file = (name: string, text: string) => {
    const p = path.join(dir, name);
    writeFileSync(p, text);
    return p;
  };
  /** The table's lines, columns split on runs of spaces. */
  const rows = (out: string) => out.trim().split('\n').map((l) => l.trim().split(/\s{2,}/));

  beforeAll(() => {
    execFileSync('kubectl', ['version', '--client'], { stdio: 'pipe' });
    dir = mkdtempSync(path.join(tmpdir(), 'kube-netsim-kinds-'));
  });
  beforeEach(async () => {
    t = await startListeningApp(DEMO);
  });
  afterEach(() => t.close());

  it('applies a mixed manifest with a ConfigMap, Secret, ServiceAccount, NetworkPolicy and PVC', async () => {
    const out = await kubectl('apply', '-f', file('mixed.yaml', MIXED));
    expect(out.trim().split('\n')).toEqual([
      'configmap/app-config created',
      'secret/app-secret created',
      'serviceaccount/app created',
      'networkpolicy.networking.k8s.io/web-allow created',
      'persistentvolumeclaim/data created',
    ]);
    expect(await kubectl('apply', '-f', path.join(dir, 'mixed.yaml'))).toContain('configmap/app-config unchanged');
    expect(await kubectl('get', 'secret', 'app-secret', '-o', 'jsonpath={.type} {.data.password}')).toBe(`Opaque ${Buffer.from('s3cret').toString('base64')}`);
  });

  it('gets sa,netpol,pvc,cm with the columns a real cluster prints', async () => {
    await kubectl('apply', '-f', file('mixed.yaml', MIXED));
    const out = await kubectl('get', 'sa,netpol,pvc,cm');
    expect(out).toMatch(/^NAME\s+SECRETS\s+AGE\n/);
    expect(out).toMatch(/serviceaccount\/default\s+0\s+\S+\n/);
    expect(out).toMatch(/serviceaccount\/app\s+0\s+\S+\n/);
    expect(out).toMatch(/NAME\s+POD-SELECTOR\s+AGE\nnetworkpolicy\.networking\.k8s\.io\/web-allow\s+app=web\s+\S+\n/);
    expect(out).toMatch(/NAME\s+STATUS\s+VOLUME\s+CAPACITY\s+ACCESS MODES\s+STORAGECLASS\s+VOLUMEATTRIBUTESCLASS\s+AGE\npersistentvolumeclaim\/data\s+Pending\s+standard\s+<unset>\s+\S+\n/); // the default class, as on kind
    expect(out).toMatch(/NAME\s+DATA\s+AGE\nconfigmap\/app-config\s+2\s+\S+\n/);
    expect(rows(await kubectl('get', 'secrets'))).toEqual([['NAME', 'TYPE', 'DATA', 'AGE'], ['app-secret', 'Opaque', '1', expect.any(String)]]);
  });

  it('gives a new namespace its default ServiceAccount', async () => {
    expect(await kubectl('apply', '-f', file('ns.yaml', 'apiVersion: v1\nkind: Namespace\nmetadata: {name: team-a}\n'))).toBe('namespace/team-a created\n');
    expect(rows(await kubectl('get', 'sa', '-n', 'team-a'))).toEqual([['NAME', 'SECRETS', 'AGE'], ['default', '0', expect.any(String)]]);
    expect(await kubectl('get', 'sa', 'default', '-n', 'kube-system', '-o', 'name')).toBe('serviceaccount/default\n');
  });

  it('lists the workloads of the all category', async () => {
    await kubectl('apply', '-f', file('job.yaml', 'apiVersion: batch/v1\nkind: Job\nmetadata: {name: once}\nspec:\n  template:\n    spec:\n      restartPolicy: Never\n      containers: [{name: c, image: busybox}]\n'));
    const out = await kubectl('get', 'all');
    for (const name of ['pod/', 'service/kubernetes', 'deployment.apps/', 'replicaset.apps/', 'job.batch/once']) expect(out).toContain(name);
    expect(out).toMatch(/NAME\s+STATUS\s+COMPLETIONS\s+DURATION\s+AGE\njob\.batch\/once\s+Running\s+0\/1\s+/);
    expect(out).not.toContain('configmap');
  });

  it('explains a field to any depth from the served OpenAPI', async () => {
    const out = await kubectl('explain', 'svc.spec.ports.targetPort');
    expect(out).toContain('KIND:       Service');
    expect(out).toContain('VERSION:    v1');
    expect(out).toMatch(/FIELD: +targetPort <IntOrString>/);
    expect(out.match(/IntOrString is a type/g)).toHaveLength(1);
    const deep = await kubectl('explain', 'deployment.spec.template.spec.containers.readinessProbe.httpGet.port');
    expect(deep).toContain('GROUP:      apps');
    expect(await kubectl('explain', 'cm')).toContain('ConfigMap holds configuration data for pods to consume.');
  });

  it('refuses an unknown field with --validate=strict, naming it', async () => {
    const bad = file('bad.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: bad}\ndata: {a: b}\nspec: {foo: 1}\n');
    const err = await kubectlFails('apply', '--validate=strict', '-f', bad);
    expect(err).toContain('Error from server (BadRequest)');
    expect(err).toContain('strict decoding error: unknown field "spec"');
    await kubectlFails('get', 'cm', 'bad');
    const svc = file('svc.yaml', 'apiVersion: v1\nkind: Service\nmetadata: {name: s}\nspec:\n  ports: [{port: 80, tagetPort: 8080}]\n');
    expect(await kubectlFails('create', '--validate=strict', '-f', svc)).toContain('unknown field "spec.ports[0].tagetPort"');
    // --validate=warn: stored without the unknown field, with a warning.
    const { stdout, stderr } = await exec(['create', '--validate=warn', '-f', svc]);
    expect(stdout).toBe('service/s created\n');
    expect(stderr).toContain('unknown field "spec.ports[0].tagetPort"');
  });
});

describe('the stored kinds over HTTP (e2e)', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await startListeningApp(DEMO);
  });
  afterEach(() => t.close());

  it('refuses a Secret whose data is not base64, as the decoder does', async () => {
    const res = await request(t.http)
      .post('/api/v1/namespaces/default/secrets')
      .send({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 's' }, data: { k: 'not base64!' } })
      .expect(400);
    expect(res.body).toMatchObject({ kind: 'Status', reason: 'BadRequest', message: 'Secret in version "v1" cannot be handled as a Secret: illegal base64 data at input byte 3' });
  });

  it('checks names by each kind\'s rule', async () => {
    const res = await request(t.http)
      .post('/apis/apps/v1/namespaces/default/statefulsets')
      .send({ metadata: { name: 'db.v1' }, spec: { selector: { matchLabels: { a: 'b' } }, template: { metadata: { labels: { a: 'b' } } } } })
      .expect(422);
    expect(res.body.details.causes[0]).toMatchObject({ field: 'metadata.name', reason: 'FieldValueInvalid' });
    await request(t.http)
      .post('/apis/rbac.authorization.k8s.io/v1/clusterroles')
      .send({ metadata: { name: 'system:reader' }, rules: [] })
      .expect(201);
  });

  it('scales a ReplicationController through its scale subresource, selector from its label map', async () => {
    await request(t.http)
      .post('/api/v1/namespaces/default/replicationcontrollers')
      .send({ metadata: { name: 'old' }, spec: { replicas: 1, selector: { app: 'old' }, template: { metadata: { labels: { app: 'old' } }, spec: { containers: [{ name: 'app', image: 'nginx' }] } } } })
      .expect(201);
    const scale = await request(t.http).get('/api/v1/namespaces/default/replicationcontrollers/old/scale').expect(200);
    expect(scale.body).toMatchObject({ kind: 'Scale', spec: { replicas: 1 }, status: { selector: 'app=old' } });
    await request(t.http)
      .patch('/api/v1/namespaces/default/replicationcontrollers/old/scale')
      .set('Content-Type', 'application/merge-patch+json')
      .send({ spec: { replicas: 3 } })
      .expect(200);
    expect((await request(t.http).get('/api/v1/namespaces/default/replicationcontrollers/old').expect(200)).body.spec.replicas).toBe(3);
    const pods = await request(t.http).get('/api/v1/namespaces/default/pods?labelSelector=app%3Dold').expect(200);
    expect(pods.body.items).toHaveLength(3);
  });

  it('serves OpenAPI v3 per group-version and v2 whole, with the kinds\' schemas', async () => {
    const index = await request(t.http).get('/openapi/v3').expect(200);
    expect(Object.keys(index.body.paths)).toEqual(expect.arrayContaining(['api/v1', 'apis/batch/v1', 'apis/networking.k8s.io/v1', 'apis/autoscaling/v2']));
    const batch = await request(t.http).get('/openapi/v3/apis/batch/v1').expect(200);
    expect(batch.body.components.schemas['io.k8s.api.batch.v1.CronJob']['x-kubernetes-group-version-kind']).toEqual([{ group: 'batch', version: 'v1', kind: 'CronJob' }]);
    expect(batch.body.components.schemas['io.k8s.api.batch.v1.CronJobSpec'].properties.jobTemplate.allOf).toEqual([{ $ref: '#/components/schemas/io.k8s.api.batch.v1.JobTemplateSpec' }]);
    const v2 = await request(t.http).get('/openapi/v2').expect(200);
    expect(v2.body.swagger).toBe('2.0');
    expect(v2.body.definitions['io.k8s.api.core.v1.ServicePort'].required).toEqual(['port']);
  });

  it('warns about unknown fields by default and drops them', async () => {
    const res = await request(t.http)
      .post('/api/v1/namespaces/default/configmaps')
      .send({ metadata: { name: 'c' }, data: { a: 'b' }, extra: true })
      .expect(201);
    expect(res.headers.warning).toBe('299 - "unknown field \\"extra\\""');
    expect(res.body.extra).toBeUndefined();
  });
});
