import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { DEMO, startListeningApp, TestApp } from './support/test-app';

/**
 * The real kubectl against a pod whose liveness probe fails: the Kubernetes docs' own
 * `liveness-exec` example, on the manual clock. What a learner sees in `get` and `describe`.
 */
const run = promisify(execFile);

const MANIFEST = `apiVersion: v1
kind: Pod
metadata:
  name: liveness-exec
  labels: {test: liveness}
spec:
  containers:
  - name: liveness
    image: registry.k8s.io/busybox:1.27.2
    args: [/bin/sh, -c, "touch /tmp/healthy; sleep 30; rm -f /tmp/healthy; sleep 600"]
    livenessProbe:
      exec:
        command: [cat, /tmp/healthy]
      initialDelaySeconds: 5
      periodSeconds: 5
`;

describe('liveness probes with the real kubectl (e2e)', () => {
  jest.setTimeout(60000);
  let t: TestApp;
  let dir: string;
  const kubectl = async (...args: string[]) => {
    const { stdout } = await run('kubectl', ['--server', `http://127.0.0.1:${t.port}`, ...args], { timeout: 30000 });
    return stdout;
  };
  const advance = async (seconds: number) => {
    const r = await fetch(`http://127.0.0.1:${t.port}/netsim/v1/clock/advance`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ seconds }) });
    expect(r.status).toBe(200);
  };

  beforeAll(() => {
    execFileSync('kubectl', ['version', '--client'], { stdio: 'pipe' });
    dir = mkdtempSync(path.join(tmpdir(), 'kube-netsim-liveness-'));
    writeFileSync(path.join(dir, 'liveness.yaml'), MANIFEST);
  });
  beforeEach(async () => {
    t = await startListeningApp(DEMO);
  });
  afterEach(() => t.close());

  it('restarts the container: RESTARTS counts with when, then CrashLoopBackOff; describe shows why', async () => {
    await kubectl('apply', '-f', path.join(dir, 'liveness.yaml'));
    // No /tmp/healthy: runs at 5, 10, 15 s fail; sh ignores SIGTERM, so it is killed at 45 s (137) and restarted at once.
    await advance(50);
    expect(await kubectl('get', 'pod', 'liveness-exec')).toMatch(/^liveness-exec\s+1\/1\s+Running\s+1 \(5s ago\)\s+50s$/m);
    // The second instance, gone at 90 s, is restarted at once too: the kubelet judges the back-off
    // (10 s from now on) by the instance before it, which exited 45 s ago.
    await advance(45);
    expect(await kubectl('get', 'pod', 'liveness-exec')).toMatch(/^liveness-exec\s+1\/1\s+Running\s+2 \(5s ago\)\s+95s$/m);
    // So at 135, 180 and 225 s (back-off 20 s, 40 s, 80 s); at 270 s the one before exited 45 s ago, under 80 s: it waits.
    await advance(180);
    expect(await kubectl('get', 'pod', 'liveness-exec')).toMatch(/^liveness-exec\s+0\/1\s+CrashLoopBackOff\s+5 \(5s ago\)\s+4m35s$/m);
    const status = JSON.parse(await kubectl('get', 'pod', 'liveness-exec', '-o', 'jsonpath={.status.containerStatuses[0]}'));
    expect(status).toMatchObject({
      restartCount: 5,
      ready: false,
      started: false,
      state: { waiting: { reason: 'CrashLoopBackOff', message: expect.stringMatching(/^back-off 1m20s restarting failed container=liveness pod=liveness-exec_default\([0-9a-f-]{36}\)$/) } },
      lastState: { terminated: { exitCode: 137, reason: 'Error' } },
    });
    const described = await kubectl('describe', 'pod', 'liveness-exec');
    expect(described).toMatch(/Warning\s+Unhealthy\s+.*kubelet\s+Liveness probe failed: cat: can't open '\/tmp\/healthy': No such file or directory\n/);
    expect(described).toMatch(/Normal\s+Killing\s+.*kubelet\s+Container liveness failed liveness probe, will be restarted\n/);
    expect(described).toMatch(/Warning\s+BackOff\s+.*kubelet\s+Back-off restarting failed container liveness in pod liveness-exec_default\(/);
    expect(described).toMatch(/Normal\s+Pulled\s+.*kubelet\s+Container image "registry.k8s.io\/busybox:1.27.2" already present on machine\n/);
    expect(described).toMatch(/Last State:\s+Terminated\n\s+Reason:\s+Error\n\s+Exit Code:\s+137\n/);
    expect(described).toMatch(/Restart Count:\s+5\n/);
    // The back-off over (80 s from the exit), it runs again.
    await advance(80);
    expect(await kubectl('get', 'pod', 'liveness-exec')).toMatch(/^liveness-exec\s+1\/1\s+Running\s+6 \(85s ago\)\s+5m55s$/m);
  });
});
