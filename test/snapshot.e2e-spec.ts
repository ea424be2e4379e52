/**
 * Snapshots and reset (docs/snapshots.md), as a user and a CI job use them:
 * a snapshot of the demo cluster, changes, the restore, and a snapshot
 * byte for byte the first; kubectl agrees. Reset returns to the start
 * without a restart; a bad document changes nothing.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import request from 'supertest';
import { parse } from 'yaml';
import { describeWithEtcd, EtcdServer, startEtcd } from './support/etcd';
import { MainProcess, startMain } from './support/main-process';
import { startListeningApp, TestApp } from './support/test-app';

const run = promisify(execFile);

interface Obj {
  apiVersion: string;
  kind: string;
  metadata: { name?: string; namespace?: string; uid?: string; generateName?: string; resourceVersion?: string };
  spec: Record<string, unknown>;
}
interface Doc {
  apiVersion: string;
  kind: string;
  time: string;
  configuration: Record<string, unknown>;
  objects: Obj[];
}
interface Cause {
  field: string;
  message: string;
}

describe('snapshots and reset (e2e)', () => {
  jest.setTimeout(60000);
  let t: TestApp;
  beforeAll(async () => {
    t = await startListeningApp({ CLUSTER_FILE: 'fixtures/clusters/demo.yaml', CLOCK: 'manual' });
  });
  afterAll(() => t.close());

  const kubectl = async (...args: string[]) => (await run('kubectl', ['--server', `http://127.0.0.1:${t.port}`, ...args], { timeout: 30000 })).stdout;
  const snapshot = async (accept = 'application/yaml') => {
    const res = await request(t.http).get('/netsim/v1/snapshot').set('Accept', accept).expect(200);
    return res.text;
  };

  it('round trip: snapshot, change things, restore; the next snapshot is byte for byte the first', async () => {
    const first = await snapshot();
    const doc = parse(first);
    expect(doc).toMatchObject({ apiVersion: 'netsim.kube-netsim.io/v1', kind: 'Snapshot', time: '2026-01-01T00:00:00.000Z' });
    expect(doc.configuration).toMatchObject({ serviceClusterIpRange: '10.96.0.0/12', clusterCidr: '10.244.0.0/16', clock: 'manual' });
    expect(await snapshot()).toBe(first);
    const pods = await kubectl('get', 'pods', '-A', '-o', 'wide');
    const services = await kubectl('get', 'services', '-A');
    const versionBefore = JSON.parse(await kubectl('get', 'namespaces', '-o', 'json')).metadata.resourceVersion;

    await kubectl('create', 'deployment', 'extra', '--image=nginx', '--replicas=3');
    await kubectl('expose', 'deployment', 'extra', '--port=80');
    await kubectl('delete', 'service', '-n', 'default', 'web', '--ignore-not-found');
    await request(t.http).post('/netsim/v1/clock/advance').send({ seconds: 90 }).expect(200);
    expect(await snapshot()).not.toBe(first);

    const restored = await request(t.http).post('/netsim/v1/snapshot').set('Content-Type', 'application/yaml').send(first).expect(200);
    expect(restored.body.objects).toBe(doc.objects.length);
    expect(restored.body.time).toBe('2026-01-01T00:00:00.000Z');
    expect(Number(restored.body.resourceVersion)).toBeGreaterThan(Number(versionBefore));
    expect(await snapshot()).toBe(first);
    expect(await kubectl('get', 'pods', '-A', '-o', 'wide')).toBe(pods);
    expect(await kubectl('get', 'services', '-A')).toBe(services);
    expect((await request(t.http).get('/netsim/v1/clock').expect(200)).body.now).toBe('2026-01-01T00:00:00.000Z');
  });
});

describe('snapshot restore: all or nothing (e2e)', () => {
  jest.setTimeout(60000);
  let t: TestApp;
  let first: Doc;
  beforeAll(async () => {
    t = await startListeningApp({ CLUSTER_FILE: 'fixtures/clusters/demo.yaml', CLOCK: 'manual' });
    first = (await request(t.http).get('/netsim/v1/snapshot').expect(200)).body;
  });
  afterAll(() => t.close());

  const current = async () => (await request(t.http).get('/netsim/v1/snapshot').expect(200)).text;
  const refused = async (document: unknown, status: number) => {
    const before = await current();
    const res = await request(t.http).post('/netsim/v1/snapshot').send(document as object).expect(status);
    expect(res.body).toMatchObject({ kind: 'Status', apiVersion: 'v1', status: 'Failure', code: status });
    expect(await current()).toBe(before);
    return res.body;
  };
  const edited = (edit: (doc: Doc) => void) => {
    const doc = structuredClone(first);
    edit(doc);
    return doc;
  };
  const indexOf = (kind: string, name: string) => first.objects.findIndex((o: Obj) => o.kind === kind && o.metadata.name === name);

  it('the JSON form is the same document, in the same order', async () => {
    const yaml = parse((await request(t.http).get('/netsim/v1/snapshot').set('Accept', 'application/yaml').expect(200)).text);
    expect(yaml).toEqual(first);
    const kinds = first.objects.map((o: Obj) => o.kind);
    expect(kinds[0]).toBe('Namespace');
    expect(first.objects.every((o: Obj) => o.metadata.resourceVersion === undefined)).toBe(true);
  });

  it('refuses a document of another kind, naming the field', async () => {
    const body = await refused(edited((d) => (d.kind = 'List')), 422);
    expect(body.details.causes).toEqual([expect.objectContaining({ field: 'kind', reason: 'FieldValueNotSupported' })]);
  });

  it('refuses an object kube-netsim does not serve, or one with no name', async () => {
    const body = await refused(
      edited((d) => {
        d.objects.push({ apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w', uid: 'u' }, spec: {} });
        d.objects[indexOf('Deployment', 'web')].metadata.name = undefined;
      }),
      422,
    );
    const fields = body.details.causes.map((c: Cause) => c.field);
    expect(fields).toEqual([`objects[${indexOf('Deployment', 'web')}].metadata.name`, `objects[${first.objects.length}].kind`]);
  });

  it('refuses a field of the wrong type with the decoder\'s 400, naming the object', async () => {
    const i = indexOf('Service', 'kubernetes');
    const body = await refused(edited((d) => (d.objects[i].spec.ports = 'https')), 400);
    expect(body.message).toContain(`objects[${i}]:`);
    expect(body.details.causes[0].field).toBe(`objects[${i}].spec.ports`);
  });

  it('refuses two Services on one ClusterIP, and nothing changes', async () => {
    const services = first.objects.filter((o: Obj) => o.kind === 'Service' && o.spec.clusterIP && o.spec.clusterIP !== 'None');
    const [a, b] = [services[0], services[1]];
    const body = await refused(
      edited((d) => {
        const target = d.objects.find((o: Obj) => o.kind === 'Service' && o.metadata.name === b.metadata.name && o.metadata.namespace === b.metadata.namespace);
        target!.spec.clusterIP = a.spec.clusterIP;
        target!.spec.clusterIPs = [a.spec.clusterIP];
      }),
      422,
    );
    expect(body.details.causes[0]).toMatchObject({ field: 'objects' });
    expect(body.message).toContain(`Cluster IP ${a.spec.clusterIP}`);
    expect(body.message).toContain('was assigned to multiple services');
  });

  it('refuses a configuration this process cannot take, naming the setting', async () => {
    const body = await refused(edited((d) => (d.configuration.serviceClusterIpRange = '10.0.0.0/16')), 422);
    expect(body.details.causes[0].field).toBe('configuration.serviceClusterIpRange');
    expect(body.details.causes[0].message).toContain('SERVICE_CLUSTER_IP_RANGE');
  });

  it('refuses an object in a namespace the snapshot lacks, and a duplicate', async () => {
    const pod = first.objects.find((o: Obj) => o.kind === 'Pod')!;
    const body = await refused(
      edited((d) => {
        d.objects.push(structuredClone(pod));
        d.objects.push({ ...structuredClone(pod), metadata: { ...pod.metadata, name: 'elsewhere', namespace: 'nowhere' } });
      }),
      422,
    );
    const fields = body.details.causes.map((c: Cause) => c.field);
    expect(fields).toEqual([`objects[${first.objects.length}].metadata.name`, `objects[${first.objects.length + 1}].metadata.namespace`]);
  });

  it('refuses an empty body and YAML that is not one document', async () => {
    await refused(undefined, 400);
    const res = await request(t.http).post('/netsim/v1/snapshot').set('Content-Type', 'application/yaml').send('a: 1\n---\nb: 2\n').expect(400);
    expect(res.body.message).toContain('one YAML document');
  });
});

describe('reset and watches (e2e)', () => {
  jest.setTimeout(60000);
  let t: TestApp;
  beforeAll(async () => {
    t = await startListeningApp({ CLUSTER_FILE: 'fixtures/clusters/demo.yaml', CLOCK: 'manual' });
  });
  afterAll(() => t.close());

  it('reset returns to the configured start, in a new history', async () => {
    const start = parse((await request(t.http).get('/netsim/v1/snapshot').set('Accept', 'application/yaml')).text);
    await request(t.http).post('/api/v1/namespaces').send({ metadata: { name: 'scratch' } }).expect(201);
    await request(t.http).post('/netsim/v1/clock/advance').send({ seconds: 30 }).expect(200);
    const before = (await request(t.http).get('/api/v1/namespaces').expect(200)).body.metadata.resourceVersion;
    const reset = await request(t.http).post('/netsim/v1/reset').expect(200);
    expect(reset.body.time).toBe('2026-01-01T00:00:00.000Z');
    expect(Number(reset.body.resourceVersion)).toBeGreaterThan(Number(before));
    const after = parse((await request(t.http).get('/netsim/v1/snapshot').set('Accept', 'application/yaml')).text);
    // The same cluster as at the start, made again as a restart makes it: new uids, and new names where the controllers draw them
    // (generated pod names, and the provisioner's volumes, named after their claim's uid: pvc-<uid>).
    const drawn = (o: Obj) => o.metadata.generateName || o.kind === 'Event' || (o.kind === 'PersistentVolume' && (o.metadata.name ?? '').startsWith('pvc-'));
    const named = (doc: Doc) => doc.objects.filter((o: Obj) => !drawn(o)).map((o: Obj) => `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`);
    const kinds = (doc: Doc) => doc.objects.map((o: Obj) => o.kind);
    expect(named(after)).toEqual(named(start));
    expect(kinds(after)).toEqual(kinds(start));
    expect(named(after)).not.toContain('Namespace//scratch');
    expect(reset.body.objects).toBe(start.objects.length);
    await request(t.http).get('/api/v1/namespaces/scratch').expect(404);
  });

  it('an open watch ends with 410 Expired when the cluster is restored', async () => {
    const version = (await request(t.http).get('/api/v1/namespaces').expect(200)).body.metadata.resourceVersion;
    const response = await fetch(`http://127.0.0.1:${t.port}/api/v1/namespaces?watch=1&resourceVersion=${version}`);
    const reading = response.text();
    await request(t.http).post('/netsim/v1/reset').expect(200);
    const lines = (await reading).trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.at(-1)).toEqual({
      type: 'ERROR',
      object: expect.objectContaining({ kind: 'Status', status: 'Failure', reason: 'Expired', code: 410 }),
    });
    // A watch from a version before the reset is too old now, as after an etcd restore.
    const old = await request(t.http).get(`/api/v1/namespaces?watch=1&resourceVersion=${version}`).expect(410);
    expect(old.body).toMatchObject({ kind: 'Status', reason: 'Expired', code: 410 });
  });
});

describe('a snapshot as CLUSTER_FILE (e2e, the real entry point)', () => {
  jest.setTimeout(120000);
  let dir: string;
  let main: MainProcess | undefined;
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'netsim-snapshot-'));
  });
  afterAll(() => {
    main?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('starts as the snapshot was, and serves it back byte for byte', async () => {
    const t = await startListeningApp({ CLUSTER_FILE: 'fixtures/clusters/demo.yaml', CLOCK: 'manual' });
    await request(t.http).post('/api/v1/namespaces').send({ metadata: { name: 'saved' } }).expect(201);
    await request(t.http).post('/netsim/v1/clock/advance').send({ seconds: 600 }).expect(200);
    const yaml = (await request(t.http).get('/netsim/v1/snapshot?format=yaml').expect(200)).text;
    const json = (await request(t.http).get('/netsim/v1/snapshot').expect(200)).text;
    await t.close();
    const file = path.join(dir, 'snapshot.yaml');
    writeFileSync(file, yaml);

    main = await startMain({ CLUSTER_FILE: file, CLOCK: 'manual', DATA_DIR: 'none' });
    expect(main.line).toContain(`with ${file} (${parse(yaml).objects.length} objects)`);
    const served = await fetch(`http://127.0.0.1:${main.port}/netsim/v1/snapshot`);
    expect(await served.text()).toBe(json);
    const clock = (await (await fetch(`http://127.0.0.1:${main.port}/netsim/v1/clock`)).json()) as { now: string };
    expect(clock.now).toBe('2026-01-01T00:10:00.000Z');
    // Its configured start is the snapshot: a reset comes back to it exactly.
    await fetch(`http://127.0.0.1:${main.port}/api/v1/namespaces`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ metadata: { name: 'later' } }) });
    expect((await fetch(`http://127.0.0.1:${main.port}/netsim/v1/reset`, { method: 'POST' })).status).toBe(200);
    expect(await (await fetch(`http://127.0.0.1:${main.port}/netsim/v1/snapshot`)).text()).toBe(json);
  });

  it('refuses to start on a snapshot taken with other ranges, naming the variable', async () => {
    const file = path.join(dir, 'other.json');
    writeFileSync(file, JSON.stringify({ apiVersion: 'netsim.kube-netsim.io/v1', kind: 'Snapshot', time: '2026-01-01T00:00:00.000Z', configuration: { serviceClusterIpRange: '10.0.0.0/16' }, objects: [] }));
    await expect(startMain({ CLUSTER_FILE: file, CLOCK: 'manual', DATA_DIR: 'none' })).rejects.toThrow(/CLUSTER_FILE=.*configuration\.serviceClusterIpRange.*SERVICE_CLUSTER_IP_RANGE/);
  });
});

describeWithEtcd('snapshots on the etcd store (e2e, the real entry point)')('snapshots on the etcd store (e2e, the real entry point)', () => {
  jest.setTimeout(180000);
  let etcd: EtcdServer;
  let main: MainProcess | undefined;
  beforeAll(async () => {
    etcd = await startEtcd();
  });
  afterAll(async () => {
    main?.stop();
    await etcd?.stop();
  });
  const env = () => ({ STORE: 'etcd', ETCD_ENDPOINTS: etcd.endpoint, CLUSTER_FILE: 'fixtures/clusters/demo.yaml', CLOCK: 'manual', DATA_DIR: 'none' });
  const url = (p: string) => `http://127.0.0.1:${main!.port}${p}`;
  const keys = () => etcd.etcdctl('get', '/registry', '--prefix', '--keys-only').split('\n').filter(Boolean);

  it('a restore replaces what etcd holds, and a restart comes back to it', async () => {
    main = await startMain(env());
    const first = await (await fetch(url('/netsim/v1/snapshot'))).text();
    const created = await fetch(url('/api/v1/namespaces'), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ metadata: { name: 'extra' } }) });
    // Answered once every write so far is durable (the demo's too).
    expect(created.status).toBe(201);
    const keysBefore = keys().filter((k) => !/\/extra(\/|$)/.test(k));
    expect(keysBefore).toContain('/registry/services/specs/default/web');
    expect(keys()).toContain('/registry/namespaces/extra');

    const restored = await fetch(url('/netsim/v1/snapshot'), { method: 'POST', headers: { 'content-type': 'application/json' }, body: first });
    expect(restored.status).toBe(200);
    const { resourceVersion } = (await restored.json()) as { resourceVersion: string };
    expect(await (await fetch(url('/netsim/v1/snapshot'))).text()).toBe(first);
    // etcd holds the snapshot's objects, at revisions past the ones before: the namespace made since is gone.
    expect(keys()).toEqual(keysBefore);
    const revision = Number(JSON.parse(etcd.etcdctl('get', '/registry/namespaces/default', '-w', 'json')).kvs[0].mod_revision);
    const served = (await (await fetch(url('/api/v1/namespaces/default'))).json()) as { metadata: { resourceVersion: string } };
    expect(Number(served.metadata.resourceVersion)).toBe(revision);
    expect(revision).toBeLessThanOrEqual(Number(resourceVersion));

    // kill -9 and start again on the same etcd: the restored cluster is what comes back.
    main.stop();
    main = await startMain(env());
    expect(main.line).toMatch(/with \d+ objects from etcd/);
    // Every object as restored (the kubelet's static pods live on its node, not in etcd: their mirrors go, as on any etcd restart, docs/etcd.md).
    const notMirror = (o: Obj & { metadata: { annotations?: Record<string, string> } }) => !o.metadata.annotations?.['kubernetes.io/config.mirror'];
    const after = JSON.parse(await (await fetch(url('/netsim/v1/snapshot'))).text()) as Doc;
    expect(after.objects.filter(notMirror)).toEqual((JSON.parse(first) as Doc).objects.filter(notMirror));
  });
});
