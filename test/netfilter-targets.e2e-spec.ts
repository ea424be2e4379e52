/**
 * The netfilter targets and tables of issue #13 over HTTP: the worked
 * examples of docs/netfilter.md ("Targets: what each one does"), and the
 * refusals a user meets (422 Status naming the line).
 */
import request from 'supertest';
import { startTestApp, type TestApp } from './support/test-app';

const fromOutside = (port: number) => ({
  hook: 'PREROUTING',
  inInterface: 'eth0',
  protocol: 'tcp',
  source: '203.0.113.2',
  sourcePort: 40000,
  destination: '192.168.0.2',
  destinationPort: port,
});

describe('netfilter targets and tables (e2e)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => {
    await t.close();
  });

  it('REDIRECT: the worked example of the docs', async () => {
    const rules = '*nat\n:PREROUTING ACCEPT [0:0]\n-A PREROUTING -p tcp --dport 8080 -j REDIRECT --to-ports 80\nCOMMIT\n';
    const res = await request(t.http).post('/netsim/v1/trace').send({ rules, packet: fromOutside(8080) }).expect(200);
    expect(res.body.outcomes).toHaveLength(1);
    expect(res.body.outcomes[0]).toMatchObject({ verdict: 'ACCEPT', delivery: 'local', dnat: '192.168.0.2:80' });
    expect(res.body.outcomes[0].steps.map((s: { action: string }) => s.action)).toContain('REDIRECT to 192.168.0.2:80');
  });

  it('a nat table that only marks does not run without a conntrack user', async () => {
    const rules = '*nat\n:PREROUTING ACCEPT [0:0]\n-A PREROUTING -p tcp -j MARK --set-xmark 0x1/0xffffffff\nCOMMIT\n*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -m mark --mark 0x1 -j DROP\nCOMMIT\n';
    const off = await request(t.http).post('/netsim/v1/trace').send({ rules, packet: fromOutside(80) }).expect(200);
    expect(off.body.outcomes[0]).toMatchObject({ verdict: 'ACCEPT', conntrack: { state: 'INVALID', original: null } });
    const on = await request(t.http)
      .post('/netsim/v1/trace')
      .send({ rules: rules.replace('COMMIT\n*filter', '-A PREROUTING -p sctp -j DNAT --to-destination 10.0.0.1\nCOMMIT\n*filter'), packet: fromOutside(80) })
      .expect(200);
    expect(on.body.outcomes[0].verdict).toBe('DROP');
  });

  it('the security table runs after filter and prints in iptables-save order', async () => {
    const rules = '*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -j ACCEPT\nCOMMIT\n*security\n:INPUT ACCEPT [0:0]\n-A INPUT -p tcp --dport 23 -j DROP\nCOMMIT\n*mangle\n:INPUT ACCEPT [0:0]\nCOMMIT\n';
    const res = await request(t.http).post('/netsim/v1/trace').send({ rules, packet: fromOutside(23) }).expect(200);
    expect(res.body.outcomes[0].verdict).toBe('DROP');
    const saved = await request(t.http).post('/netsim/v1/iptables/save').send({ rules }).expect(200);
    expect(saved.text.split('\n').filter((l: string) => l.startsWith('*'))).toEqual(['*mangle', '*security', '*filter']);
  });

  it('NFQUEUE: dropped, or accepted with --queue-bypass; the step says why', async () => {
    const rules = '*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -p tcp --dport 1 -j NFQUEUE --queue-num 3\n-A INPUT -p tcp --dport 2 -j NFQUEUE --queue-bypass\nCOMMIT\n';
    const dropped = await request(t.http).post('/netsim/v1/trace').send({ rules, packet: fromOutside(1) }).expect(200);
    expect(dropped.body.outcomes[0].verdict).toBe('DROP');
    expect(dropped.body.outcomes[0].steps.at(-1).action).toMatch(/^DROP: no program reads queue 3/);
    const bypassed = await request(t.http).post('/netsim/v1/trace').send({ rules, packet: fromOutside(2) }).expect(200);
    expect(bypassed.body.outcomes[0].verdict).toBe('ACCEPT');
  });

  it('refuses ULOG and an impossible MTU with a 422 Status naming the field', async () => {
    const ulog = await request(t.http)
      .post('/netsim/v1/trace')
      .send({ rules: '*filter\n-A INPUT -j ULOG\nCOMMIT\n', packet: fromOutside(22) })
      .expect(422);
    expect(ulog.body).toMatchObject({ kind: 'Status', apiVersion: 'v1', status: 'Failure', code: 422 });
    expect(ulog.body.details.causes[0].field).toBe('rules:2');
    expect(ulog.body.message).toMatch(/ULOG: Linux has no ULOG target since 3\.17/);
    const mtu = await request(t.http)
      .post('/netsim/v1/trace')
      .send({ rules: '*filter\nCOMMIT\n', host: { interfaces: [{ name: 'eth0', addresses: ['192.168.0.2/24'], mtu: 20 }] }, packet: fromOutside(22) });
    expect(mtu.status).toBeGreaterThanOrEqual(400);
    expect(mtu.status).toBeLessThan(500);
    expect(mtu.body).toMatchObject({ kind: 'Status', status: 'Failure' });
    expect(JSON.stringify(mtu.body.details.causes)).toContain('mtu');
  });
});
