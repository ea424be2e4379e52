import request from 'supertest';
import { DEMO, startTestApp, TestApp } from './support/test-app';

/**
 * A simulated component that fails while the clock advances (here every kubelet, whose lease
 * namespace a user deleted) is what upstream's controllers make of a failed sync: logged,
 * retried, and time goes on. The request that moved the clock is answered truthfully: 200, the
 * time reached, the failures counted and named; never the failure's own code, never a 500.
 */
describe('clock advance when a simulated component fails', () => {
  let t: TestApp;
  beforeAll(async () => {
    // The failures are logged, as they should be; not into the test's output.
    jest.spyOn(console, 'error').mockImplementation(() => undefined);
    t = await startTestApp(DEMO);
  });
  afterAll(async () => {
    await t.close();
    jest.restoreAllMocks();
  });

  it('answers 200 with the time reached, counts the failures and names the last in a Warning', async () => {
    const before = await request(t.http).get('/netsim/v1/clock').expect(200);
    expect(before.body.faults).toEqual({ count: 0 });
    // kube-node-lease is the one system namespace the API server lets a user delete; the kubelets' lease renewals then fail.
    await request(t.http).delete('/api/v1/namespaces/kube-node-lease').expect(200);

    const res = await request(t.http).post('/netsim/v1/clock/advance').send({ seconds: 30 }).expect(200);
    expect(Date.parse(res.body.now) - Date.parse(before.body.now)).toBe(30_000);
    expect(res.body.faults.count).toBeGreaterThan(0);
    expect(res.body.faults.lastFault).toEqual({
      source: expect.stringMatching(/^clock timer "kubelet .+: renew lease"$/),
      message: 'namespaces "kube-node-lease" not found',
      at: expect.any(String),
    });
    expect(res.headers.warning).toMatch(/^299 - ".*failures? of simulated components during the advance \(logged and retried\); the last: clock timer \\"kubelet .+: renew lease\\": namespaces \\"kube-node-lease\\" not found"$/);

    // The clock goes on: the next advance works too, and a quiet one (no failure) carries no Warning.
    await request(t.http).post('/api/v1/namespaces').send({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'kube-node-lease' } }).expect(201);
    const after = await request(t.http).post('/netsim/v1/clock/advance').send({ seconds: 30 }).expect(200);
    expect(Date.parse(after.body.now) - Date.parse(before.body.now)).toBe(60_000);
    expect(after.headers.warning).toBeUndefined();
    // The leases are back: the kubelets' retries succeeded.
    const leases = await request(t.http).get('/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases').expect(200);
    expect(leases.body.items.length).toBeGreaterThan(0);
  });
});
