import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import request from 'supertest';
import { parse } from 'yaml';
import { DEMO, startListeningApp, startTestApp, TestApp } from './support/test-app';

const run = promisify(execFile);
const FIXTURES = path.resolve(__dirname, '../fixtures/import');
/** What the real kubectl prints for our demo cluster (recorded by this spec when missing, or with UPDATE_FIXTURES=1). */
const DEMO_EXPORT = path.join(FIXTURES, 'demo-export.yaml');
/** The kinds `kubectl get` is asked for, as docs/import.md tells users to. */
const KINDS = 'nodes,namespaces,pods,services,endpointslices,deployments,replicasets,daemonsets,statefulsets';
const NODES = ['kind-control-plane', 'kind-worker', 'kind-worker2'];

interface Pod {
  metadata: { name: string; namespace: string; uid: string; deletionTimestamp?: string; ownerReferences?: Array<{ uid: string; kind: string; name: string }> };
  status: { podIP?: string; phase?: string };
}

describe('POST /netsim/v1/import (e2e)', () => {
  jest.setTimeout(120000);
  let dir: string;
  const apps: TestApp[] = [];
  const start = async (env: Record<string, string> = {}, listening = false) => {
    const app = listening ? await startListeningApp(env) : await startTestApp(env);
    apps.push(app);
    return app;
  };
  const kubectl = async (t: TestApp, ...args: string[]) => {
    const { stdout } = await run('kubectl', ['--server', `http://127.0.0.1:${t.port}`, '--cache-dir', path.join(dir, 'cache'), ...args], { timeout: 60000, maxBuffer: 64 * 1024 * 1024 });
    return stdout;
  };
  const iptables = async (t: TestApp, node: string) => (await request(t.http).get(`/netsim/v1/nodes/${node}/iptables`).expect(200)).text;
  const pods = async (t: TestApp): Promise<Pod[]> => (await request(t.http).get('/api/v1/pods').expect(200)).body.items;
  const importYaml = (t: TestApp, yaml: string) => request(t.http).post('/netsim/v1/import').set('Content-Type', 'application/yaml').send(yaml);

  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'kube-netsim-import-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  afterEach(async () => {
    while (apps.length) await apps.pop()!.close();
  });

  /** The demo cluster, and its export as the real kubectl prints it. */
  async function demoAndExport(): Promise<{ source: TestApp; exported: string }> {
    const source = await start(DEMO, true);
    if (!existsSync(DEMO_EXPORT) || process.env.UPDATE_FIXTURES === '1') {
      writeFileSync(DEMO_EXPORT, await kubectl(source, 'get', KINDS, '-A', '-o', 'yaml'));
    }
    return { source, exported: readFileSync(DEMO_EXPORT, 'utf8') };
  }

  it('reproduces the demo cluster from its kubectl export: every node prints the same iptables-save, no pod doubled, traffic answers the same', async () => {
    const { source, exported } = await demoAndExport();
    const target = await start({ CLUSTER_FILE: 'none' });
    const answer = (await importYaml(target, exported).expect(200)).body;
    // Every exported object is either made or (what every cluster has) found: none skipped.
    const exportedKinds: Record<string, number> = {};
    for (const item of (parse(exported) as { items: Array<{ kind: string }> }).items) exportedKinds[item.kind] = (exportedKinds[item.kind] ?? 0) + 1;
    const answered: Record<string, number> = { ...answer.imported };
    for (const [kind, n] of Object.entries(answer.existing as Record<string, number>)) answered[kind] = (answered[kind] ?? 0) + n;
    expect(answered).toEqual(exportedKinds);
    expect(answer).toMatchObject({ kind: 'ImportResult', existing: { Namespace: 4, Service: 1, EndpointSlice: 1 }, skipped: [] });
    // Static pods come as mirror pods, which the kubelet removes (no manifest on the imported node): said in the answer.
    for (const w of answer.warnings) expect(w).toMatch(/^pod\/\S+ \(namespace kube-system\) is the mirror pod of a static pod/);
    expect(answer.imported).toMatchObject({ Node: 3, Deployment: 3, ReplicaSet: 3, DaemonSet: 2 });
    for (const node of NODES) expect(await iptables(target, node)).toBe(await iptables(source, node));
    const mirror = (p: Pod) => (p.metadata as { annotations?: Record<string, string> }).annotations?.['kubernetes.io/config.mirror'] !== undefined;
    const before = (await pods(source)).filter((p) => !mirror(p)).map((p) => [p.metadata.namespace, p.metadata.name, p.status.podIP, p.status.phase]).sort();
    const after = (await pods(target)).map((p) => [p.metadata.namespace, p.metadata.name, p.status.podIP, p.status.phase]).sort();
    expect(after).toEqual(before);
    // Owners and dependents kept together, with this cluster's uids.
    const rs = (await request(target.http).get('/apis/apps/v1/replicasets').expect(200)).body.items as Array<{ metadata: { name: string; uid: string } }>;
    for (const p of (await pods(target)).filter((x) => x.metadata.ownerReferences?.[0]?.kind === 'ReplicaSet')) {
      const ref = p.metadata.ownerReferences![0];
      expect(rs.find((r) => r.metadata.name === ref.name)?.metadata.uid).toBe(ref.uid);
    }
    const traffic = async (t: TestApp) => (await request(t.http).post('/netsim/v1/traffic').send({ from: 'pod/default/db-0', to: 'web:80' }).expect(200)).body;
    expect(await traffic(target)).toEqual(await traffic(source));
  });

  it('kubectl apply -f of the same export into an empty kube-netsim doubles no pod: the garbage collector removes the exported ones, as on a real cluster', async () => {
    const { source, exported } = await demoAndExport();
    const target = await start({ CLUSTER_FILE: 'none' }, true);
    const file = path.join(dir, 'export.yaml');
    writeFileSync(file, exported);
    // --validate=false: kubectl validates a `kind: List` against /openapi/v2 in protobuf, which kube-netsim serves as JSON only.
    // The ReplicaSets are refused as on a real cluster: the Deployment made its own under the same name
    // (same template, same hash), and the file's resourceVersion, as the API server's own `kubernetes` EndpointSlice, makes kubectl's patch a stale precondition.
    const failed = await run('kubectl', ['--server', `http://127.0.0.1:${target.port}`, '--cache-dir', path.join(dir, 'cache'), '--validate=false', 'apply', '-f', file]).then(
      () => undefined,
      (e: { stdout: string; stderr: string }) => e,
    );
    expect(failed?.stdout).toContain('deployment.apps/web created');
    expect(failed?.stdout).toContain('pod/db-0 created');
    const errors = failed!.stderr.split('\n').filter((l) => l.startsWith('for: '));
    const refused = errors.map((e) => /Operation cannot be fulfilled on (\S+ "[^"]+"): the object has been modified/.exec(e)?.[1]);
    expect(refused[0]).toBe('endpointslices.discovery.k8s.io "kubernetes"'); // the API server's own, kept up to date by it
    expect(refused.slice(1)).toEqual(expect.arrayContaining([expect.stringMatching(/^replicasets.apps "web-[a-z0-9]+"$/), expect.stringMatching(/^replicasets.apps "coredns-[a-z0-9]+"$/)]));
    for (const r of refused.slice(1)) expect(r).toMatch(/^replicasets.apps "/);
    await request(target.http).post('/netsim/v1/clock/advance').send({ seconds: 5 }).expect(200);
    const live = (ps: Pod[]) => ps.filter((p) => !p.metadata.deletionTimestamp);
    const count = (ps: Pod[]) => {
      const byOwner: Record<string, number> = {};
      for (const p of live(ps)) {
        const ref = p.metadata.ownerReferences?.[0];
        const key = `${p.metadata.namespace}/${ref ? ref.kind : 'none'}`;
        byOwner[key] = (byOwner[key] ?? 0) + 1;
      }
      return byOwner;
    };
    expect(count(await pods(target))).toEqual(count(await pods(source)));
    expect(live(await pods(target))).toHaveLength(live(await pods(source)).length);
  });

  it('a conflict is a 422 Status naming the item, the object and the field, and nothing is imported (JSON body)', async () => {
    const target = await start({ CLUSTER_FILE: 'none' });
    const list = parse(readFileSync(path.join(FIXTURES, 'owned-export.yaml'), 'utf8')) as { items: Array<{ kind: string; metadata: { name: string }; status?: { podIP?: string } }> };
    list.items.find((i) => i.kind === 'Pod' && i.metadata.name === 'debug')!.status!.podIP = '10.244.1.7';
    const before = (await request(target.http).get('/api/v1/pods').expect(200)).body.metadata.resourceVersion;
    const status = (await request(target.http).post('/netsim/v1/import').send(list).expect(422)).body;
    expect(status).toMatchObject({
      kind: 'Status',
      apiVersion: 'v1',
      status: 'Failure',
      reason: 'Invalid',
      code: 422,
      message: 'items[9] (Pod default/debug): Pod "debug" is invalid: status.podIP: Duplicate value: "10.244.1.7": the IP of pod shop/api-6d4cf56db6-4xkqz too',
      details: { kind: 'Pod', name: 'debug', causes: [{ field: 'status.podIP', reason: 'FieldValueDuplicate' }] },
    });
    const after = (await request(target.http).get('/api/v1/pods').expect(200)).body;
    expect(after.metadata.resourceVersion).toBe(before);
    expect(after.items).toEqual([]);
    expect((await request(target.http).get('/api/v1/nodes').expect(200)).body.items).toEqual([]);
    // The same export, fixed, goes in.
    list.items.find((i) => i.kind === 'Pod' && i.metadata.name === 'debug')!.status!.podIP = '10.244.1.3';
    expect((await request(target.http).post('/netsim/v1/import').send(list).expect(200)).body.imported).toMatchObject({ Node: 2, Pod: 6 });
  });
});
