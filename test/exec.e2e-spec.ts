import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import request from 'supertest';
import { DEMO, startListeningApp, TestApp } from './support/test-app';

/**
 * `kubectl exec`, `logs` and `port-forward` with the real kubectl (v1.32:
 * WebSocket `v5.channel.k8s.io`) against the demo cluster, seeded: the
 * same run gives the same pods every time.
 */
const run = promisify(execFile);

interface Ran {
  stdout: string;
  stderr: string;
  code: number;
}

describe('kubectl exec, logs, port-forward (e2e)', () => {
  // Starting the app and a kubectl apply take more than Jest's 5 s on a busy machine.
  jest.setTimeout(60_000);
  let t: TestApp;
  const kubectl = async (...args: string[]): Promise<Ran> => {
    try {
      const { stdout, stderr } = await run('kubectl', ['--server', `http://127.0.0.1:${t.port}`, ...args], { timeout: 30000 });
      return { stdout, stderr, code: 0 };
    } catch (e) {
      const err = e as { stdout?: string; stderr?: string; code?: number };
      if (typeof err.code !== 'number') throw e;
      return { stdout: err.stdout ?? '', stderr: err.stderr ?? '', code: err.code };
    }
  };
  const webPods = async () =>
    (await kubectl('get', 'pods', '-l', 'app=web', '-o', 'jsonpath={.items[*].metadata.name}')).stdout.split(' ').filter(Boolean).sort();

  beforeAll(async () => {
    t = await startListeningApp(DEMO);
    const dir = mkdtempSync(path.join(tmpdir(), 'kube-netsim-exec-'));
    const file = path.join(dir, 'client.yaml');
    writeFileSync(
      file,
      `apiVersion: v1
kind: Pod
metadata: {name: client, namespace: default}
spec:
  containers: [{name: client, image: busybox, command: [sleep, '3600']}]
---
apiVersion: v1
kind: Service
metadata: {name: empty, namespace: default}
spec:
  selector: {app: nothing}
  ports: [{port: 80}]
`,
    );
    const created = await kubectl('apply', '-f', file);
    expect(created.code).toBe(0);
  }, 60_000);
  afterAll(() => t.close());

  it('loads balances 30 curls over the 3 web pods, each answering with its name', async () => {
    const r = await kubectl('exec', 'client', '--', 'sh', '-c', 'for i in $(seq 30); do curl -s web; done');
    expect(r).toMatchObject({ code: 0, stderr: '' });
    const names = r.stdout.trim().split('\n');
    expect(names).toHaveLength(30);
    expect([...new Set(names)].sort()).toEqual(await webPods());
  });

  it('resolves a Service name with nslookup, through the search path', async () => {
    const ip = (await kubectl('get', 'svc', 'web', '-o', 'jsonpath={.spec.clusterIP}')).stdout;
    const r = await kubectl('exec', 'client', '--', 'nslookup', 'web');
    expect(r.stdout).toBe(`Server:\t\t10.96.0.10\nAddress:\t10.96.0.10#53\n\nName:\tweb.default.svc.cluster.local\nAddress: ${ip}\n\n`);
    expect(r.code).toBe(0);
  });

  it("ends a curl to a Service without endpoints with curl's error and exit code 7", async () => {
    const r = await kubectl('exec', 'client', '--', 'curl', 'empty');
    expect(r.code).toBe(7);
    // curl's progress meter first (stdout is not a terminal), then its error, then kubectl's line.
    expect(r.stderr).toMatch(/^ {2}% Total {4}% Received % Xferd/);
    expect(r.stderr.endsWith("\ncurl: (7) Failed to connect to empty port 80 after 0 ms: Couldn't connect to server\ncommand terminated with exit code 7\n")).toBe(true);
  });

  it('answers an unknown command with "not found" and exit code 127', async () => {
    const r = await kubectl('exec', 'client', '--', 'sh', '-c', 'foo');
    expect(r).toMatchObject({ code: 127, stderr: 'sh: foo: not found\ncommand terminated with exit code 127\n' });
  });

  it('shows resolv.conf as the kubelet writes it, and the Service variables', async () => {
    expect((await kubectl('exec', 'client', '--', 'cat', '/etc/resolv.conf')).stdout).toBe(
      'search default.svc.cluster.local svc.cluster.local cluster.local\nnameserver 10.96.0.10\noptions ndots:5\n',
    );
    const ip = (await kubectl('get', 'svc', 'web', '-o', 'jsonpath={.spec.clusterIP}')).stdout;
    expect((await kubectl('exec', 'client', '--', 'sh', '-c', 'env | grep WEB_SERVICE_HOST')).stdout).toBe(`WEB_SERVICE_HOST=${ip}\n`);
  });

  it('reads stdin with exec -i', async () => {
    const child = execFile('kubectl', ['--server', `http://127.0.0.1:${t.port}`, 'exec', '-i', 'client', '--', 'sh']);
    let out = '';
    child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
    child.stdin!.end('echo hello; hostname\n');
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect({ code, out }).toEqual({ code: 0, out: 'hello\nclient\n' });
  });

  it('shows the requests a pod received with kubectl logs, --tail and --timestamps', async () => {
    const pod = (await kubectl('exec', 'client', '--', 'curl', '-s', 'web/from-logs-test')).stdout.trim();
    const logs = await kubectl('logs', pod);
    expect(logs.stdout).toMatch(/^10\.244\.1\.\d+ - - \[01\/Jan\/2026:00:00:00 \+0000\] "GET \/ HTTP\/1\.1" 200 \d+ "-" "curl\/8\.11\.1"$/m);
    expect(logs.stdout.trim().split('\n').pop()).toMatch(/"GET \/from-logs-test HTTP\/1\.1" 200 /);
    const tail = await kubectl('logs', pod, '--tail=1', '--timestamps');
    expect(tail.stdout).toMatch(/^2026-01-01T00:00:00\.000000000Z 10\.244\.1\.\d+ - - \[01\/Jan\/2026:00:00:00 \+0000\] "GET \/from-logs-test HTTP\/1\.1" 200 \d+ "-" "curl\/8\.11\.1"\n$/);
  });

  it('follows the log with logs -f', async () => {
    const pods = await webPods();
    const child = execFile('kubectl', ['--server', `http://127.0.0.1:${t.port}`, 'logs', '-f', '--tail=0', pods[0]]);
    let out = '';
    child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
    try {
      const deadline = Date.now() + 20000;
      while (!out.includes('/followed')) {
        if (Date.now() > deadline) throw new Error(`no followed line; got ${JSON.stringify(out)}`);
        await kubectl('exec', 'client', '--', 'sh', '-c', `for i in $(seq 6); do curl -s web/followed >/dev/null; done`);
      }
    } finally {
      child.kill();
    }
    expect(out).toMatch(/"GET \/followed HTTP\/1\.1" 200 /);
  });

  it('runs a one-off pod with kubectl run --rm -i: attach runs its command, and the pod ends with its exit code', async () => {
    const ok = await kubectl('run', 'tmp', '--rm', '-i', '--image=busybox', '--', 'wget', '-qO-', 'web');
    expect(ok.code).toBe(0);
    expect(await webPods()).toContain(ok.stdout.split('\n')[0]);
    expect(ok.stdout).toContain('pod "tmp" deleted');
    const failed = await kubectl('run', 'tmp2', '--rm', '-i', '--restart=Never', '--image=busybox', '--', 'sh', '-c', 'echo before; curl nope');
    expect(failed.code).toBe(6);
    expect(failed.stdout).toContain('before\n');
    expect(failed.stderr).toContain('\ncurl: (6) Could not resolve host: nope\n');
    expect(failed.stderr).toContain('pod default/tmp2 terminated (Error)');
  });

  it('refuses port-forward with a message naming what works instead', async () => {
    const pods = await webPods();
    const r = await kubectl('port-forward', pods[0], '18080:8080');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('port-forward is not supported by kube-netsim');
    expect(r.stderr).toContain('kubectl exec POD -- curl');
    expect(r.stderr).toContain('POST /netsim/v1/traffic');
  });

  it('lists the streaming subresources of pods in discovery', async () => {
    const names = (await request(t.http).get('/api/v1')).body.resources.map((r: { name: string }) => r.name);
    expect(names.filter((n: string) => n.startsWith('pods/'))).toEqual(['pods/attach', 'pods/eviction', 'pods/exec', 'pods/log', 'pods/portforward', 'pods/status']);
  });

  it('answers errors before the upgrade as a Status: no such pod, no such container, no command', async () => {
    const missing = await request(t.http).get('/api/v1/namespaces/default/pods/nope/exec?command=true&stdout=true');
    expect(missing.status).toBe(404);
    expect(missing.body).toMatchObject({ kind: 'Status', status: 'Failure', reason: 'NotFound', message: 'pods "nope" not found', code: 404 });
    const container = await request(t.http).get('/api/v1/namespaces/default/pods/client/exec?command=true&stdout=true&container=x');
    expect(container.body).toMatchObject({ reason: 'BadRequest', message: 'container x is not valid for pod client', code: 400 });
    const none = await request(t.http).get('/api/v1/namespaces/default/pods/client/exec?stdout=true');
    expect(none.body).toMatchObject({ reason: 'BadRequest', message: 'you must specify at least one command for the container', code: 400 });
    const plain = await request(t.http).get('/api/v1/namespaces/default/pods/client/exec?command=true&stdout=true');
    expect(plain.body).toMatchObject({ reason: 'BadRequest', message: 'Upgrade request required', code: 400 });
    const spdy = await request(t.http).post('/api/v1/namespaces/default/pods/client/exec?command=true&stdout=true');
    expect(spdy.body).toMatchObject({ reason: 'BadRequest', code: 400 });
    expect(spdy.body.message).toContain('kube-netsim streams pods/exec over WebSocket only (v5.channel.k8s.io, v4.channel.k8s.io), not SPDY');
    const kubectlMissing = await kubectl('exec', 'nope', '--', 'true');
    expect(kubectlMissing.stderr).toContain('Error from server (NotFound): pods "nope" not found');
  });
});
