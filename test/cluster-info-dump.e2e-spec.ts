import { execFile } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import request from 'supertest';
import { DEMO, startListeningApp, startTestApp, TestApp } from './support/test-app';

/**
 * `kubectl cluster-info dump` as an import input: what the real kubectl v1.32
 * prints for our demo cluster (recorded by this spec when missing, or with
 * UPDATE_FIXTURES=1), logs and events included, imported into an empty
 * kube-netsim.
 */
const run = promisify(execFile);
const DUMP = path.resolve(__dirname, '../fixtures/import/demo-cluster-info-dump.txt');
const NODES = ['kind-control-plane', 'kind-worker', 'kind-worker2'];

interface Pod {
  metadata: { name: string; namespace: string; annotations?: Record<string, string>; ownerReferences?: Array<{ uid: string; kind: string; name: string }> };
  status: { podIP?: string; phase?: string };
}

describe('POST /netsim/v1/import with a kubectl cluster-info dump (e2e)', () => {
  jest.setTimeout(180000);
  const apps: TestApp[] = [];
  afterEach(async () => {
    while (apps.length) await apps.pop()!.close();
  });

  it('reproduces the demo cluster from its cluster-info dump: the same iptables-save on every node, no pod doubled, traffic answers the same', async () => {
    const source = await startListeningApp(DEMO);
    apps.push(source);
    if (!existsSync(DUMP) || process.env.UPDATE_FIXTURES === '1') {
      const { stdout } = await run('kubectl', ['--server', `http://127.0.0.1:${source.port}`, 'cluster-info', 'dump', '--all-namespaces'], { timeout: 120000, maxBuffer: 64 * 1024 * 1024 });
      writeFileSync(DUMP, stdout);
    }
    const dump = readFileSync(DUMP, 'utf8');
    expect(dump).toMatch(/^==== START logs for container web of pod default\/web-/m);
    expect(dump).toMatch(/^ {4}"kind": "EventList",$/m);

    const target = await startTestApp({ CLUSTER_FILE: 'none' });
    apps.push(target);
    const answer = (await request(target.http).post('/netsim/v1/import').set('Content-Type', 'text/plain').send(dump).expect(200)).body;
    expect(answer).toMatchObject({ kind: 'ImportResult', skipped: [] });
    expect(answer.imported).toMatchObject({ Node: 3, Service: 5, Deployment: 3, ReplicaSet: 3, DaemonSet: 2 });
    // The dump holds no Namespace: those of its objects are made (or found), and no Event is imported.
    expect((answer.imported.Namespace ?? 0) + (answer.existing.Namespace ?? 0)).toBe(4); // default, kube-system, kube-flannel, local-path-storage
    expect(answer.imported.Event).toBeUndefined();
    // A dump holds no StatefulSet (kubectl dumps nodes, events, Services, ReplicationControllers, DaemonSets,
    // Deployments, ReplicaSets and pods): the demo's web-0 and web-1 are collected, as a real cluster's would be.
    const orphans = answer.warnings.filter((w: string) => w.includes('its owner StatefulSet web is not in the import'));
    expect(orphans).toEqual([
      "pod/web-0 (namespace default): its owner StatefulSet web is not in the import; the garbage collector deletes it, as a real cluster's would",
      "pod/web-1 (namespace default): its owner StatefulSet web is not in the import; the garbage collector deletes it, as a real cluster's would",
    ]);
    for (const w of answer.warnings.filter((w: string) => !orphans.includes(w))) expect(w).toMatch(/^pod\/\S+ \(namespace kube-system\) is the mirror pod of a static pod/);

    // No EndpointSlice in the dump: the EndpointSlice controller makes them from the Services and pods.
    await request(target.http).post('/netsim/v1/clock/advance').send({ seconds: 1 }).expect(200);
    const iptables = async (t: TestApp, node: string) => (await request(t.http).get(`/netsim/v1/nodes/${node}/iptables`).expect(200)).text;
    for (const node of NODES) expect(await iptables(target, node)).toBe(await iptables(source, node));
    const pods = async (t: TestApp): Promise<Pod[]> => (await request(t.http).get('/api/v1/pods').expect(200)).body.items;
    const mirror = (p: Pod) => p.metadata.annotations?.['kubernetes.io/config.mirror'] !== undefined;
    const ofStatefulSet = (p: Pod) => p.metadata.ownerReferences?.some((r) => r.kind === 'StatefulSet') === true;
    const view = (ps: Pod[]) => ps.filter((p) => !mirror(p) && !ofStatefulSet(p)).map((p) => [p.metadata.namespace, p.metadata.name, p.status.podIP, p.status.phase]).sort();
    expect(view(await pods(target))).toEqual(view(await pods(source)));
    const traffic = async (t: TestApp) => (await request(t.http).post('/netsim/v1/traffic').send({ from: 'pod/default/db-0', to: 'web:80' }).expect(200)).body;
    expect(await traffic(target)).toEqual(await traffic(source));
  });

  it('a dump cut in the middle of a document is a 400 naming the line, and nothing is imported', async () => {
    const target = await startTestApp({ CLUSTER_FILE: 'none' });
    apps.push(target);
    const dump = '{\n    "kind": "NodeList",\n    "apiVersion": "v1",\n    "items": []\n}\n{\n    "kind": "ServiceList",\n    "items": [\n';
    const status = (await request(target.http).post('/netsim/v1/import').set('Content-Type', 'text/plain').send(dump).expect(400)).body;
    expect(status).toMatchObject({
      kind: 'Status',
      apiVersion: 'v1',
      status: 'Failure',
      reason: 'BadRequest',
      code: 400,
      message: 'the body is not a kubectl cluster-info dump: the JSON document at line 6 does not end',
    });
    expect((await request(target.http).get('/api/v1/nodes').expect(200)).body.items).toEqual([]);
  });
});
