import { ChildProcess, execFile, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { DEMO, startListeningApp, TestApp } from './support/test-app';

/**
 * The StatefulSet example of the Kubernetes docs (fixtures/manifests/statefulset-web.yaml)
 * with the real kubectl: apply, `get pods -w` in order, stable names through DNS, scale,
 * and `rollout status|history|undo` on ControllerRevisions. The demo cluster runs a StatefulSet
 * `web` of its own in `default`, so the example goes to a namespace of its own, `docs`.
 */
const run = promisify(execFile);
jest.setTimeout(120_000);

const EXAMPLE = path.join(__dirname, '..', 'fixtures', 'manifests', 'statefulset-web.yaml');

/** The class the example names, made as kind's `standard` is, so that the example's claims can be provisioned where a provisioner runs. */
const STORAGE_CLASS = `apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata:
  name: my-storage-class
provisioner: rancher.io/local-path
volumeBindingMode: WaitForFirstConsumer
reclaimPolicy: Delete
`;

describe('a StatefulSet with the real kubectl (e2e)', () => {
  let t: TestApp;
  let dir: string;
  let watch: ChildProcess | undefined;
  const args = () => ['--server', `http://127.0.0.1:${t.port}`, '--cache-dir', path.join(dir, `cache-${t.port}`), '--namespace', 'docs'];
  const kubectl = async (...a: string[]) => (await run('kubectl', [...args(), ...a], { timeout: 30000 })).stdout;
  const rows = (out: string) => out.trim().split('\n').map((l) => l.trim().split(/\s{2,}/));
  const advance = (seconds: number) =>
    fetch(`http://127.0.0.1:${t.port}/netsim/v1/clock/advance`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ seconds }) });
  const post = async (url: string, body: unknown) =>
    (await (await fetch(`http://127.0.0.1:${t.port}${url}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })).json()) as { outcomes: Array<Record<string, unknown>> };

  beforeAll(async () => {
    execFileSync('kubectl', ['version', '--client'], { stdio: 'pipe' });
    dir = mkdtempSync(path.join(tmpdir(), 'kube-netsim-sts-'));
    t = await startListeningApp(DEMO);
    await kubectl('create', 'namespace', 'docs');
  });
  afterAll(async () => {
    watch?.kill();
    await t.close();
  });

  it('applies the docs example; `kubectl get pods -w` shows web-0, then web-1, then web-2', async () => {
    const file = path.join(dir, 'sc.yaml');
    writeFileSync(file, STORAGE_CLASS);
    await kubectl('apply', '-f', file);
    let seen = '';
    watch = spawn('kubectl', [...args(), 'get', 'pods', '-w', '-l', 'app=nginx', '--no-headers']);
    watch.stdout!.on('data', (d: Buffer) => (seen += d.toString()));
    // The watch is open once its first answer (no pods yet) came back: give it a moment on the wall clock.
    await new Promise((r) => setTimeout(r, 1500));
    expect(await kubectl('apply', '-f', EXAMPLE)).toBe('service/nginx created\nstatefulset.apps/web created\n');
    for (let i = 0; i < 8; i++) await advance(10);
    for (let i = 0; i < 50 && !seen.includes('web-2'); i++) await new Promise((r) => setTimeout(r, 100));
    await new Promise((r) => setTimeout(r, 500));
    watch.kill();
    const firstSeen = ['web-0', 'web-1', 'web-2'].map((name) => seen.indexOf(name));
    expect(firstSeen.every((i) => i >= 0)).toBe(true);
    expect([...firstSeen].sort((a, b) => a - b)).toEqual(firstSeen);
    // web-1 appears only once web-0 is Running (and Ready for minReadySeconds).
    const beforeWeb1 = seen.slice(0, firstSeen[1]);
    expect(beforeWeb1).toMatch(/^web-0\s+1\/1\s+Running/m);
    expect(rows(await kubectl('get', 'sts', 'web'))).toEqual([
      ['NAME', 'READY', 'AGE'],
      ['web', '3/3', expect.any(String)],
    ]);
    expect(rows(await kubectl('get', 'pvc', '-o', 'name'))).toEqual([['persistentvolumeclaim/www-web-0'], ['persistentvolumeclaim/www-web-1'], ['persistentvolumeclaim/www-web-2']]);
    const described = await kubectl('describe', 'sts', 'web');
    expect(described).toMatch(/Normal\s+SuccessfulCreate\s+.*statefulset-controller\s+create Claim www-web-0 Pod web-0 in StatefulSet web success/);
    expect(described).toMatch(/Normal\s+SuccessfulCreate\s+.*statefulset-controller\s+create Pod web-2 in StatefulSet web successful/);
  });

  it('gives each pod its stable name: /traffic resolves web-1.nginx from a pod, and kubectl exec nslookup web-0.nginx', async () => {
    const web0 = await kubectl('get', 'pod', 'web-0', '-o', 'jsonpath={.status.podIP}');
    const web1 = await kubectl('get', 'pod', 'web-1', '-o', 'jsonpath={.status.podIP}');
    const answer = await post('/netsim/v1/traffic', { from: 'pod/docs/web-0', to: 'web-1.nginx:80' });
    expect(answer.outcomes).toHaveLength(1);
    expect(answer.outcomes[0]).toMatchObject({ result: 'delivered', destination: { pod: 'docs/web-1' } });
    const lookup = await kubectl('exec', 'web-1', '--', 'nslookup', 'web-0.nginx');
    expect(lookup).toContain(`Name:\tweb-0.nginx.docs.svc.cluster.local\nAddress: ${web0}\n`);
    expect(await kubectl('exec', 'web-0', '--', 'curl', '-s', 'web-1.nginx')).toBe('web-1\n');
    expect(web1).not.toBe('');
  });

  it('scales with kubectl scale, removing the highest ordinal and keeping its claim', async () => {
    expect(await kubectl('scale', 'sts', 'web', '--replicas=2')).toBe('statefulset.apps/web scaled\n');
    await advance(30);
    expect(rows(await kubectl('get', 'pods', '-l', 'app=nginx', '-o', 'name'))).toEqual([['pod/web-0'], ['pod/web-1']]);
    expect(await kubectl('get', 'pvc', 'www-web-2', '-o', 'name')).toBe('persistentvolumeclaim/www-web-2\n');
  });

  it('rolls out a new image: rollout status, history and undo with ControllerRevisions', async () => {
    await kubectl('set', 'image', 'sts/web', 'nginx=registry.k8s.io/nginx-slim:0.27');
    for (let i = 0; i < 8; i++) await advance(15);
    expect(await kubectl('rollout', 'status', 'sts/web', '--timeout=10s')).toMatch(/^partitioned roll out complete: 2 new pods have been updated...\n$|statefulset rolling update complete 2 pods at revision web-[a-z0-9]+...\n$/);
    const history = await kubectl('rollout', 'history', 'sts/web');
    expect(history).toMatch(/^statefulset.apps\/web \nREVISION\s+CHANGE-CAUSE\n1\s+<none>\n2\s+<none>\n\n$/);
    expect(rows(await kubectl('get', 'controllerrevisions', '--no-headers')).map((r) => [r[1], r[2]])).toEqual([
      ['statefulset.apps/web', '1'],
      ['statefulset.apps/web', '2'],
    ]);
    expect(await kubectl('rollout', 'undo', 'sts/web')).toBe('statefulset.apps/web rolled back\n');
    for (let i = 0; i < 8; i++) await advance(15);
    expect(await kubectl('get', 'pods', '-l', 'app=nginx', '-o', 'jsonpath={.items[*].spec.containers[0].image}')).toBe('registry.k8s.io/nginx-slim:0.24 registry.k8s.io/nginx-slim:0.24');
    expect(await kubectl('get', 'controllerrevisions', '-o', 'jsonpath={.items[*].revision}')).toBe('3 2');
  });
});
