import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { DEMO, startListeningApp, TestApp } from './support/test-app';

/** Jobs with the real kubectl: create job, get, wait --for=condition=complete, describe, an indexed Job, a refusal. */
const run = promisify(execFile);
jest.setTimeout(60_000);

const INDEXED = `apiVersion: batch/v1
kind: Job
metadata:
  name: idx
spec:
  completions: 5
  parallelism: 2
  completionMode: Indexed
  template:
    metadata:
      annotations: {kube-netsim.io/run-seconds: "10"}
    spec:
      restartPolicy: Never
      containers:
      - name: work
        image: busybox:1.36
        command: [sh, -c, 'echo $JOB_COMPLETION_INDEX']
`;

describe('Jobs with the real kubectl (e2e)', () => {
  let t: TestApp;
  let dir: string;
  const kubectl = async (...args: string[]) =>
    (await run('kubectl', ['--server', `http://127.0.0.1:${t.port}`, '--cache-dir', path.join(dir, `cache-${t.port}`), ...args], { timeout: 30000 })).stdout;
  const failing = async (...args: string[]) => {
    try {
      await kubectl(...args);
    } catch (e) {
      return (e as { stderr: string }).stderr;
    }
    throw new Error('expected kubectl to fail');
  };
  const rows = (out: string) => out.trim().split('\n').map((l) => l.trim().split(/\s{2,}/));
  const advance = (seconds: number) => fetch(`http://127.0.0.1:${t.port}/netsim/v1/clock/advance`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ seconds }) });

  beforeAll(async () => {
    execFileSync('kubectl', ['version', '--client'], { stdio: 'pipe' });
    dir = mkdtempSync(path.join(tmpdir(), 'kube-netsim-job-'));
    t = await startListeningApp(DEMO);
  });
  afterAll(() => t.close());

  it('kubectl create job runs a pod for 5 s; kubectl wait --for=condition=complete returns once it succeeded', async () => {
    expect(await kubectl('create', 'job', 'pi', '--image=busybox:1.36', '--', 'echo', 'hi')).toBe('job.batch/pi created\n');
    expect(rows(await kubectl('get', 'jobs', 'pi'))).toEqual([
      ['NAME', 'STATUS', 'COMPLETIONS', 'DURATION', 'AGE'],
      ['pi', 'Running', '0/1', '0s', expect.any(String)],
    ]);
    const waiting = kubectl('wait', '--for=condition=complete', 'job/pi', '--timeout=20s');
    await advance(5);
    expect(await waiting).toBe('job.batch/pi condition met\n');
    expect(rows(await kubectl('get', 'jobs', 'pi', '-o', 'wide'))).toEqual([
      ['NAME', 'STATUS', 'COMPLETIONS', 'DURATION', 'AGE', 'CONTAINERS', 'IMAGES', 'SELECTOR'],
      ['pi', 'Complete', '1/1', '5s', expect.any(String), 'pi', 'busybox:1.36', expect.stringMatching(/^batch\.kubernetes\.io\/controller-uid=[0-9a-f-]{36}$/)],
    ]);
    const [pod] = rows(await kubectl('get', 'pods', '-l', 'job-name=pi', '--no-headers'));
    expect(pod.slice(0, 4)).toEqual([expect.stringMatching(/^pi-[a-z0-9]{5}$/), '0/1', 'Completed', '0']);
  });

  it('kubectl describe job shows the pod counts and the job-controller events', async () => {
    const described = await kubectl('describe', 'job', 'pi');
    expect(described).toMatch(/^Completions:\s+1$/m);
    expect(described).toMatch(/^Pods Statuses:\s+0 Active \(0 Ready\) \/ 1 Succeeded \/ 0 Failed$/m);
    expect(described).toMatch(/Normal\s+SuccessfulCreate\s+.*job-controller\s+Created pod: pi-[a-z0-9]{5}/);
    expect(described).toMatch(/Normal\s+Completed\s+.*job-controller\s+Job completed/);
  });

  it('an indexed Job: two pods at a time, named by index, completedIndexes as ranges', async () => {
    const file = path.join(dir, 'idx.yaml');
    writeFileSync(file, INDEXED);
    expect(await kubectl('apply', '-f', file)).toBe('job.batch/idx created\n');
    expect((await kubectl('get', 'pods', '-l', 'job-name=idx', '-o', 'name')).trim().split('\n').sort()).toEqual([
      expect.stringMatching(/^pod\/idx-0-[a-z0-9]{5}$/),
      expect.stringMatching(/^pod\/idx-1-[a-z0-9]{5}$/),
    ]);
    await advance(10);
    expect(await kubectl('get', 'job', 'idx', '-o', 'jsonpath={.status.completedIndexes}')).toBe('0,1');
    await advance(20);
    expect(rows(await kubectl('get', 'job', 'idx', '--no-headers'))[0].slice(0, 4)).toEqual(['idx', 'Complete', '5/5', '30s']);
  });

  it('backoffLimitPerIndex: the failure count travels to the replacement; failed indexes fail the Job (kubectl get, jsonpath)', async () => {
    const file = path.join(dir, 'per-index.yaml');
    writeFileSync(file, INDEXED.replace('name: idx', 'name: per-index').replace('completions: 5\n  parallelism: 2', 'completions: 3\n  parallelism: 3\n  backoffLimitPerIndex: 1\n  maxFailedIndexes: 1').replace('kube-netsim.io/run-seconds: "10"', 'kube-netsim.io/run-seconds: "1", kube-netsim.io/exit-code: "1"'));
    expect(await kubectl('apply', '-f', file)).toBe('job.batch/per-index created\n');
    await advance(60);
    const counts = await kubectl('get', 'pods', '-l', 'job-name=per-index', '-o', "jsonpath={range .items[*]}{.metadata.annotations['batch\\.kubernetes\\.io/job-completion-index']}={.metadata.annotations['batch\\.kubernetes\\.io/job-index-failure-count']} {end}");
    expect(counts.trim().split(' ').sort()).toEqual(['0=0', '0=1', '1=0', '1=1', '2=0']);
    expect(await kubectl('get', 'job', 'per-index', '-o', 'jsonpath={.status.failedIndexes} {.status.failed} {.status.conditions[*].reason}')).toBe('0,1 6 MaxFailedIndexesExceeded MaxFailedIndexesExceeded');
    expect(rows(await kubectl('get', 'job', 'per-index', '--no-headers'))[0].slice(0, 3)).toEqual(['per-index', 'Failed', '0/3']);
  });

  it('refuses a template with restartPolicy Always, in upstream words', async () => {
    const file = path.join(dir, 'always.yaml');
    writeFileSync(file, 'apiVersion: batch/v1\nkind: Job\nmetadata: {name: bad}\nspec:\n  template:\n    spec:\n      containers: [{name: c, image: busybox}]\n');
    expect(await failing('apply', '-f', file)).toContain('The Job "bad" is invalid: spec.template.spec.restartPolicy: Required value: valid values: "OnFailure", "Never"');
  });

  it('kubectl logs job/pi finds the pod through the Job (a simulated container prints nothing)', async () => {
    expect(await kubectl('logs', 'job/pi')).toBe('');
  });

  it('deleting a Job deletes its pods', async () => {
    expect(await kubectl('delete', 'job', 'pi', '--wait=false')).toBe('job.batch "pi" deleted\n');
    await advance(5);
    expect(await kubectl('get', 'pods', '-l', 'job-name=pi', '-o', 'name')).toBe('');
  });
});
