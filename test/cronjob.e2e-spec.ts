import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { DEMO, startListeningApp, TestApp } from './support/test-app';

/**
 * CronJobs with the real kubectl: `create cronjob`, the Table columns, the
 * Jobs the controller makes on the simulated clock, and `create job --from`.
 */
const run = promisify(execFile);
jest.setTimeout(60_000);

describe('CronJobs with the real kubectl (e2e)', () => {
  let t: TestApp;
  let dir: string;
  const ns = 'batch-e2e';
  const kubectl = async (...args: string[]) =>
    (await run('kubectl', ['--server', `http://127.0.0.1:${t.port}`, '--cache-dir', path.join(dir, `cache-${t.port}`), '-n', ns, ...args], { timeout: 30000 })).stdout;
  const rows = (out: string) =>
    out
      .trim()
      .split('\n')
      .map((l) => l.trim().split(/\s{2,}/));
  const advance = async (seconds: number) => {
    const res = await fetch(`http://127.0.0.1:${t.port}/netsim/v1/clock/advance`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ seconds }) });
    expect(res.status).toBe(200);
  };
  const minutes = (timestamp: string) => Date.parse(timestamp) / 60_000;

  beforeAll(async () => {
    execFileSync('kubectl', ['version', '--client'], { stdio: 'pipe' });
    dir = mkdtempSync(path.join(tmpdir(), 'kube-netsim-cronjob-'));
    t = await startListeningApp(DEMO);
    await kubectl('create', 'namespace', ns);
  });
  afterAll(() => t.close());

  it('kubectl create cronjob, then get shows upstream columns before it ever fired', async () => {
    expect(await kubectl('create', 'cronjob', 'hello', '--image=busybox:1.36', '--schedule=*/1 * * * *', '--', 'echo', 'hi')).toBe('cronjob.batch/hello created\n');
    expect(rows(await kubectl('get', 'cronjob', 'hello'))).toEqual([
      ['NAME', 'SCHEDULE', 'TIMEZONE', 'SUSPEND', 'ACTIVE', 'LAST SCHEDULE', 'AGE'],
      ['hello', '*/1 * * * *', '<none>', 'False', '0', '<none>', expect.any(String)],
    ]);
    expect(rows(await kubectl('get', 'cronjob', 'hello', '-o', 'wide'))[0]).toEqual(['NAME', 'SCHEDULE', 'TIMEZONE', 'SUSPEND', 'ACTIVE', 'LAST SCHEDULE', 'AGE', 'CONTAINERS', 'IMAGES', 'SELECTOR']);
  });

  it('refuses a CronJob whose job template a Job could not have (422, nothing stored), as the API server does', async () => {
    const file = path.join(dir, 'bad-cronjob.yaml');
    writeFileSync(
      file,
      'apiVersion: batch/v1\nkind: CronJob\nmetadata: {name: forever}\nspec:\n  schedule: "@hourly"\n  jobTemplate:\n    spec:\n      template:\n        spec:\n          containers: [{name: c, image: busybox}]\n',
    );
    const refused = await run('kubectl', ['--server', `http://127.0.0.1:${t.port}`, '--cache-dir', path.join(dir, `cache-${t.port}`), '-n', ns, 'apply', '-f', file]).catch((e: { stderr: string; code: number }) => e);
    expect(refused).toMatchObject({
      code: 1,
      stderr: expect.stringContaining('The CronJob "forever" is invalid: spec.jobTemplate.spec.template.spec.restartPolicy: Required value: valid values: "OnFailure", "Never"'),
    });
    expect(await kubectl('get', 'cronjob', 'forever', '--ignore-not-found')).toBe('');
  });

  it('at the scheduled time the controller makes a Job named after the minute, owned by the CronJob', async () => {
    await advance(60);
    const last = await kubectl('get', 'cronjob', 'hello', '-o', 'jsonpath={.status.lastScheduleTime}');
    expect(last).toMatch(/^2026-01-01T\d\d:\d\d:00Z$/);
    const name = `hello-${minutes(last)}`;
    expect(await kubectl('get', 'jobs', '-o', 'name')).toContain(`job.batch/${name}\n`);
    const job = JSON.parse(await kubectl('get', 'job', name, '-o', 'json'));
    expect(job.metadata.annotations['batch.kubernetes.io/cronjob-scheduled-timestamp']).toBe(last);
    expect(job.metadata.ownerReferences).toEqual([expect.objectContaining({ kind: 'CronJob', name: 'hello', controller: true, blockOwnerDeletion: true })]);
    const described = await kubectl('describe', 'cronjob', 'hello');
    expect(described).toMatch(new RegExp(`Normal\\s+SuccessfulCreate\\s+.*cronjob-controller\\s+Created job ${name}`));
  });

  it('kubectl create job --from=cronjob/hello posts the template with the manual annotation and a controller reference', async () => {
    expect(await kubectl('create', 'job', 'hello-manual', '--from=cronjob/hello')).toBe('job.batch/hello-manual created\n');
    const cj = JSON.parse(await kubectl('get', 'cronjob', 'hello', '-o', 'json'));
    const job = JSON.parse(await kubectl('get', 'job', 'hello-manual', '-o', 'json'));
    expect(job.metadata.annotations).toEqual({ 'cronjob.kubernetes.io/instantiate': 'manual' });
    expect(job.metadata.ownerReferences).toEqual([{ apiVersion: 'batch/v1', kind: 'CronJob', name: 'hello', uid: cj.metadata.uid, controller: true }]);
    expect(job.spec.template.spec.containers).toEqual([expect.objectContaining({ name: 'hello', image: 'busybox:1.36', command: ['echo', 'hi'] })]);
  });

  it('suspended, it makes no Job; kubectl get shows SUSPEND True', async () => {
    await kubectl('patch', 'cronjob', 'hello', '-p', '{"spec":{"suspend":true}}');
    const before = await kubectl('get', 'jobs', '-o', 'name');
    await advance(180);
    expect(await kubectl('get', 'jobs', '-o', 'name')).toBe(before);
    expect(rows(await kubectl('get', 'cronjob', 'hello', '--no-headers'))[0][3]).toBe('True');
  });

  // With the Job controller (h/job): the Jobs run their pods to completion, and the history limits apply.
  it('end to end: Jobs complete, LAST SCHEDULE moves on, 3 successful Jobs are kept', async () => {
    await kubectl('patch', 'cronjob', 'hello', '-p', '{"spec":{"suspend":false}}');
    await kubectl('delete', 'job', 'hello-manual');
    await advance(6 * 60);
    const cj = JSON.parse(await kubectl('get', 'cronjob', 'hello', '-o', 'json'));
    expect(cj.status.lastSuccessfulTime).toBeDefined();
    const jobs = rows(await kubectl('get', 'jobs', '--no-headers'));
    const complete = jobs.filter((r) => r[1] === 'Complete');
    expect(complete).toHaveLength(3);
    expect(jobs.length).toBeLessThanOrEqual(4);
  });
});
