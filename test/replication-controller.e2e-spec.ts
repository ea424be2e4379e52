import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { DEMO, startListeningApp, TestApp } from './support/test-app';

/**
 * The real kubectl with a ReplicationController: apply, get, scale, describe, delete. The demo's
 * StatefulSet pods are labelled app=nginx too, so the example runs in a namespace of its own.
 */
const run = promisify(execFile);
jest.setTimeout(60_000);

const RC = `apiVersion: v1
kind: ReplicationController
metadata:
  name: nginx
spec:
  replicas: 3
  template:
    metadata:
      labels: {app: nginx}
    spec:
      containers:
      - name: nginx
        image: nginx
        ports: [{containerPort: 80}]
`;

describe('a ReplicationController with the real kubectl (e2e)', () => {
  let t: TestApp;
  let dir: string;
  const kubectl = async (...args: string[]) =>
    (await run('kubectl', ['--server', `http://127.0.0.1:${t.port}`, '--cache-dir', path.join(dir, `cache-${t.port}`), '--namespace', 'rc', ...args], { timeout: 30000 })).stdout;
  const rows = (out: string) => out.trim().split('\n').map((l) => l.trim().split(/\s{2,}/));
  const advance = (seconds: number) => fetch(`http://127.0.0.1:${t.port}/netsim/v1/clock/advance`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ seconds }) });

  beforeAll(async () => {
    execFileSync('kubectl', ['version', '--client'], { stdio: 'pipe' });
    dir = mkdtempSync(path.join(tmpdir(), 'kube-netsim-rc-'));
    t = await startListeningApp(DEMO);
    await kubectl('create', 'namespace', 'rc');
  });
  afterAll(() => t.close());

  it('applies the upstream docs example and keeps three pods, defaulting the selector from the template', async () => {
    const file = path.join(dir, 'rc.yaml');
    writeFileSync(file, RC);
    expect(await kubectl('apply', '-f', file)).toBe('replicationcontroller/nginx created\n');
    await advance(10);
    expect(rows(await kubectl('get', 'rc', 'nginx'))).toEqual([
      ['NAME', 'DESIRED', 'CURRENT', 'READY', 'AGE'],
      ['nginx', '3', '3', '3', expect.any(String)],
    ]);
    expect(await kubectl('get', 'rc', 'nginx', '-o', 'jsonpath={.spec.selector}')).toBe('{"app":"nginx"}');
    const pods = rows(await kubectl('get', 'pods', '-l', 'app=nginx', '--no-headers'));
    expect(pods).toHaveLength(3);
    for (const [name, ready, status] of pods) {
      expect(name).toMatch(/^nginx-[a-z0-9]{5}$/);
      expect([ready, status]).toEqual(['1/1', 'Running']);
    }
  });

  it('scales with kubectl scale and describes the pods and events', async () => {
    expect(await kubectl('scale', 'rc', 'nginx', '--replicas=1')).toBe('replicationcontroller/nginx scaled\n');
    await advance(40);
    expect(rows(await kubectl('get', 'pods', '-l', 'app=nginx', '--no-headers'))).toHaveLength(1);
    const described = await kubectl('describe', 'rc', 'nginx');
    expect(described).toMatch(/^Name:\s+nginx$/m);
    expect(described).toMatch(/^Selector:\s+app=nginx$/m);
    expect(described).toMatch(/^Replicas:\s+1 current \/ 1 desired$/m);
    expect(described).toMatch(/^Pods Status:\s+1 Running \/ 0 Waiting \/ 0 Succeeded \/ 0 Failed$/m);
    expect(described).toMatch(/Normal\s+SuccessfulCreate\s+.*replication-controller\s+Created pod: nginx-[a-z0-9]{5}/);
    expect(described).toMatch(/Normal\s+SuccessfulDelete\s+.*replication-controller\s+Deleted pod: nginx-[a-z0-9]{5}/);
  });

  it('deletes its pods with it', async () => {
    expect(await kubectl('delete', 'rc', 'nginx', '--wait=false')).toBe('replicationcontroller "nginx" deleted\n');
    await advance(40);
    expect(await kubectl('get', 'pods', '-l', 'app=nginx', '-o', 'name')).toBe('');
  });
});
