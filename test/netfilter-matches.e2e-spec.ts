/**
 * The newer matches over HTTP: `packet.socket` for `-m owner`, a bad socket
 * as a 422 naming the field, and the rate and connection-count matches
 * traced without spending their state.
 */
import request from 'supertest';
import { startTestApp, type TestApp } from './support/test-app';

const MAIL = '*filter\n-A OUTPUT -p tcp -m tcp --dport 25 -m owner --uid-owner 1000 -j REJECT --reject-with tcp-reset\nCOMMIT\n';
const mailFrom = (socket?: object) => ({
  hook: 'OUTPUT',
  protocol: 'tcp',
  sourcePort: 40000,
  destination: '203.0.113.9',
  destinationPort: 25,
  ...(socket ? { socket } : {}),
});

describe('netfilter matches (e2e)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => {
    await t.close();
  });

  it('-m owner reads packet.socket; without it the socket is root\'s', async () => {
    const asUser = await request(t.http).post('/netsim/v1/trace').send({ rules: MAIL, packet: mailFrom({ uid: 1000, gid: 1000 }) }).expect(200);
    expect(asUser.body.outcomes.map((o: { verdict: string }) => o.verdict)).toEqual(['REJECT']);
    const asRoot = await request(t.http).post('/netsim/v1/trace').send({ rules: MAIL, packet: mailFrom() }).expect(200);
    expect(asRoot.body.outcomes.map((o: { verdict: string }) => o.verdict)).toEqual(['ACCEPT']);
  });

  it('a socket on a packet from outside, or a bad uid, is a 422 naming the field', async () => {
    const arriving = { hook: 'PREROUTING', inInterface: 'eth0', protocol: 'tcp', source: '203.0.113.2', sourcePort: 40000, destination: '192.168.0.2', destinationPort: 25 };
    const outside = await request(t.http).post('/netsim/v1/trace').send({ rules: MAIL, packet: { ...arriving, socket: { uid: 1 } } }).expect(422);
    expect(outside.body).toMatchObject({ kind: 'Status', status: 'Failure', reason: 'Invalid' });
    expect(outside.body.details.causes).toEqual([expect.objectContaining({ field: 'packet.socket' })]);
    const bad = await request(t.http).post('/netsim/v1/trace').send({ rules: MAIL, packet: mailFrom({ uid: -1 }) }).expect(422);
    expect(bad.body.details.causes).toEqual([expect.objectContaining({ field: 'packet.socket.uid' })]);
  });

  it('-m owner outside OUTPUT and POSTROUTING is refused as the kernel refuses it', async () => {
    const res = await request(t.http)
      .post('/netsim/v1/iptables/save')
      .send({ rules: '*filter\n-A INPUT -m owner --uid-owner 0 -j DROP\nCOMMIT\n' })
      .expect(422);
    expect(res.body.message).toContain('-m owner in chain "INPUT" is reachable from INPUT, but only allowed in OUTPUT, POSTROUTING');
  });

  it('a trace of a hashlimit rule reads the bucket and prints the rule as iptables-save does', async () => {
    const rules =
      '*filter\n-A INPUT -p tcp --dport 22 -m conntrack --ctstate NEW -m hashlimit --hashlimit-upto 3/min --hashlimit-burst 3 --hashlimit-mode srcip --hashlimit-name ssh -j ACCEPT\n-A INPUT -p tcp --dport 22 -m conntrack --ctstate NEW -j DROP\nCOMMIT\n';
    const packet = { hook: 'PREROUTING', inInterface: 'eth0', protocol: 'tcp', source: '203.0.113.2', sourcePort: 40000, destination: '192.168.0.2', destinationPort: 22 };
    for (let i = 0; i < 5; i++) {
      const res = await request(t.http).post('/netsim/v1/trace').send({ rules, packet }).expect(200);
      expect(res.body.outcomes.map((o: { verdict: string }) => o.verdict)).toEqual(['ACCEPT']);
    }
    const saved = await request(t.http).post('/netsim/v1/iptables/save').send({ rules }).expect(200);
    expect(saved.text).toContain(
      '-A INPUT -p tcp -m tcp --dport 22 -m conntrack --ctstate NEW -m hashlimit --hashlimit-upto 3/min --hashlimit-burst 3 --hashlimit-mode srcip --hashlimit-name ssh -j ACCEPT\n',
    );
  });
});
