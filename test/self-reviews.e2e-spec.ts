import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import request from 'supertest';
import { DEMO, startListeningApp, TestApp } from './support/test-app';

/**
 * `kubectl auth can-i` (SelfSubjectAccessReview), `kubectl auth can-i --list`
 * (SelfSubjectRulesReview) and `kubectl auth whoami` (SelfSubjectReview):
 * create-only reviews answered from the body, nothing stored.
 */
const run = promisify(execFile);
jest.setTimeout(60_000);
const TOKENS = 'fixtures/auth/tokens.csv';
const ALICE = '31ada4fd-adec-460c-809a-9e56ceb75269';

describe('self reviews: kubectl auth can-i and whoami (e2e)', () => {
  let t: TestApp;
  let dir: string;
  const kubectl = async (...args: string[]) => {
    try {
      return (await run('kubectl', ['--server', `http://127.0.0.1:${t.port}`, '--cache-dir', path.join(dir, `cache-${t.port}`), ...args], { timeout: 30000 })).stdout;
    } catch (e) {
      const err = e as { stdout?: string; stderr?: string; code?: number };
      throw new Error(`kubectl ${args.join(' ')} failed (${err.code}): ${err.stderr ?? ''}${err.stdout ?? ''}`);
    }
  };
  const rows = (out: string) => out.trim().split('\n').map((l) => l.trim().split(/\s{2,}/));

  beforeAll(() => {
    execFileSync('kubectl', ['version', '--client'], { stdio: 'pipe' });
    dir = mkdtempSync(path.join(tmpdir(), 'kube-netsim-reviews-'));
  });

  describe('without tokens', () => {
    beforeAll(async () => {
      t = await startListeningApp(DEMO);
    });
    afterAll(() => t.close());

    it('kubectl auth can-i answers yes', async () => {
      expect(await kubectl('auth', 'can-i', 'create', 'pods')).toBe('yes\n');
      expect(await kubectl('auth', 'can-i', 'delete', 'services', '-n', 'kube-system')).toBe('yes\n');
      expect(await kubectl('auth', 'can-i', 'get', '/healthz')).toBe('yes\n');
    });

    it('kubectl auth can-i --list shows * on everything', async () => {
      expect(rows(await kubectl('auth', 'can-i', '--list'))).toEqual([
        ['Resources', 'Non-Resource URLs', 'Resource Names', 'Verbs'],
        ['*.*', '[]', '[]', '[*]'],
        ['[*]', '[]', '[*]'],
      ]);
    });

    it('kubectl auth whoami is system:anonymous', async () => {
      expect(rows(await kubectl('auth', 'whoami'))).toEqual([
        ['ATTRIBUTE', 'VALUE'],
        ['Username', 'system:anonymous'],
        ['Groups', '[system:unauthenticated]'],
      ]);
    });

    it('kubectl cluster-info names the server and kube-dns; the proxy URL it prints answers 404 (docs/cluster.md)', async () => {
      const server = `http://127.0.0.1:${t.port}`;
      const dns = `${server}/api/v1/namespaces/kube-system/services/kube-dns:dns/proxy`;
      const out = await kubectl('cluster-info');
      expect(out.split('\n').slice(0, 2)).toEqual([`Kubernetes control plane is running at ${server}`, `CoreDNS is running at ${dns}`]);
      await request(t.http).get('/api/v1/namespaces/kube-system/services/kube-dns:dns/proxy').expect(404);
    });

    it('discovery lists the reviews as create-only', async () => {
      const res = await request(t.http).get('/apis/authorization.k8s.io/v1').expect(200);
      expect(res.body.resources).toEqual([
        { name: 'selfsubjectaccessreviews', singularName: 'selfsubjectaccessreview', namespaced: false, kind: 'SelfSubjectAccessReview', verbs: ['create'] },
        { name: 'selfsubjectrulesreviews', singularName: 'selfsubjectrulesreview', namespaced: false, kind: 'SelfSubjectRulesReview', verbs: ['create'] },
      ]);
      const groups = (await request(t.http).get('/apis').expect(200)).body.groups.map((g: { name: string }) => g.name);
      expect(groups).toEqual(expect.arrayContaining(['authentication.k8s.io', 'authorization.k8s.io']));
    });

    it('answers an access review with allowed and a reason, and stores nothing', async () => {
      const review = { kind: 'SelfSubjectAccessReview', apiVersion: 'authorization.k8s.io/v1', spec: { resourceAttributes: { verb: 'create', resource: 'pods', namespace: 'default' } } };
      const res = await request(t.http).post('/apis/authorization.k8s.io/v1/selfsubjectaccessreviews').send(review).expect(201);
      expect(res.body).toEqual({ ...review, metadata: { creationTimestamp: null }, status: { allowed: true, reason: 'kube-netsim has no authorization: every request is allowed' } });
      await request(t.http).get('/apis/authorization.k8s.io/v1/selfsubjectaccessreviews').expect(405);
    });

    it('refuses a review without attributes (422 naming the field) and a rules review without a namespace (400)', async () => {
      const bad = await request(t.http).post('/apis/authorization.k8s.io/v1/selfsubjectaccessreviews').send({ spec: {} }).expect(422);
      expect(bad.body).toMatchObject({ kind: 'Status', status: 'Failure', reason: 'Invalid', details: { causes: [{ field: 'spec.resourceAttributes' }] } });
      const both = await request(t.http)
        .post('/apis/authorization.k8s.io/v1/selfsubjectaccessreviews')
        .send({ spec: { resourceAttributes: { verb: 'get' }, nonResourceAttributes: { verb: 'get', path: '/' } } })
        .expect(422);
      expect(both.body.details.causes[0].field).toBe('spec.nonResourceAttributes');
      const rules = await request(t.http).post('/apis/authorization.k8s.io/v1/selfsubjectrulesreviews').send({ spec: {} }).expect(400);
      expect(rules.body).toMatchObject({ reason: 'BadRequest', message: 'no namespace on request' });
    });
  });

  describe('with TOKEN_AUTH_FILE', () => {
    beforeAll(async () => {
      t = await startListeningApp({ ...DEMO, TOKEN_AUTH_FILE: TOKENS });
    });
    afterAll(() => t.close());

    // kubectl sends no token over plain HTTP; test/security.e2e-spec.ts runs kubectl over HTTPS.
    it("answers a SelfSubjectReview with the token's user", async () => {
      const res = await request(t.http)
        .post('/apis/authentication.k8s.io/v1/selfsubjectreviews')
        .set('Authorization', `Bearer ${ALICE}`)
        .send({ kind: 'SelfSubjectReview', apiVersion: 'authentication.k8s.io/v1' })
        .expect(201);
      expect(res.body).toEqual({
        kind: 'SelfSubjectReview',
        apiVersion: 'authentication.k8s.io/v1',
        metadata: { creationTimestamp: null },
        status: { userInfo: { username: 'alice', uid: '1001', groups: ['system:masters', 'developers', 'system:authenticated'] } },
      });
    });
  });
});
