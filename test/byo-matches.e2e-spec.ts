/**
 * `-m mac` and `-m socket` over HTTP: `packet.sourceMac` and
 * `packet.localSocket` on /trace (a bad one is a 422 naming the field), and
 * the traffic simulator giving each frame its previous hop's MAC, so a node's
 * real rules that test `--mac-source` see the pod that sent it.
 */
import request from 'supertest';
import { tryParseIPv4 } from '../src/common/ipv4';
import { hardwareAddressOf } from '../src/netfilter/matches/mac.match';
import { DEMO, startTestApp, type TestApp } from './support/test-app';

const SSH = { hook: 'PREROUTING', inInterface: 'eth0', protocol: 'tcp', source: '203.0.113.2', sourcePort: 40000, destination: '192.168.0.2', destinationPort: 22 };
const verdicts = (body: { outcomes: { verdict: string }[] }) => body.outcomes.map((o) => o.verdict);

describe('-m mac and -m socket (e2e)', () => {
  jest.setTimeout(60_000);
  let t: TestApp;
  afterEach(() => t.close());

  it('/trace reads packet.sourceMac and packet.localSocket, and refuses bad ones naming the field', async () => {
    t = await startTestApp();
    const mac = '*filter\n-A INPUT -p tcp -m tcp --dport 22 -m mac ! --mac-source 58:94:6b:17:41:7c -j DROP\nCOMMIT\n';
    const trace = (rules: string, packet: object) => request(t.http).post('/netsim/v1/trace').send({ rules, packet });
    expect(verdicts((await trace(mac, { ...SSH, sourceMac: '58:94:6B:17:41:7C' }).expect(200)).body)).toEqual(['ACCEPT']);
    expect(verdicts((await trace(mac, { ...SSH, sourceMac: '0a:58:cb:00:71:02' }).expect(200)).body)).toEqual(['DROP']);
    // No Ethernet source: neither --mac-source X nor its negation matches, as in the kernel.
    expect(verdicts((await trace(mac, SSH).expect(200)).body)).toEqual(['ACCEPT']);
    const bad = (await trace(mac, { ...SSH, sourceMac: 'zz:zz' }).expect(422)).body;
    expect(bad).toMatchObject({ kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'Invalid', code: 422 });
    expect(bad.details.causes).toEqual([expect.objectContaining({ field: 'packet.sourceMac' })]);

    const socket = '*mangle\n-A PREROUTING -p tcp -m socket --nowildcard -j MARK --set-xmark 0x1/0xffffffff\nCOMMIT\n*filter\n-A INPUT -m mark --mark 0x1 -j DROP\nCOMMIT\n';
    expect(verdicts((await trace(socket, { ...SSH, localSocket: { wildcard: true } }).expect(200)).body)).toEqual(['DROP']);
    expect(verdicts((await trace(socket, SSH).expect(200)).body)).toEqual(['ACCEPT']);
    const outgoing = { hook: 'OUTPUT', protocol: 'tcp', sourcePort: 40000, destination: '203.0.113.2', destinationPort: 22, localSocket: {} };
    const refused = (await trace(socket, outgoing).expect(422)).body;
    expect(refused.details.causes).toEqual([expect.objectContaining({ field: 'packet.localSocket' })]);
  });

  it("traffic from a pod carries its eth0's MAC: a node rule on that --mac-source drops it, one on another MAC does not", async () => {
    t = await startTestApp(DEMO);
    const pod = (await request(t.http).get('/api/v1/namespaces/default/pods/db-0').expect(200)).body;
    const node = pod.spec.nodeName as string;
    const podMac = hardwareAddressOf(tryParseIPv4(pod.status.podIP)!);
    const rules = (await request(t.http).get(`/netsim/v1/nodes/${node}/iptables`).expect(200)).text;
    const withRule = (mac: string) => rules.replace(/^-A FORWARD /m, `-A FORWARD -m mac --mac-source ${mac} -j DROP\n-A FORWARD `);
    const traffic = async () => (await request(t.http).post('/netsim/v1/traffic').send({ from: 'pod/default/db-0', to: 'web:80' }).expect(200)).body;

    await request(t.http).put(`/netsim/v1/nodes/${node}/iptables`).set('Content-Type', 'text/plain').send(withRule('02:00:00:00:00:01')).expect(200);
    const other = await traffic();
    expect(other.outcomes.length).toBeGreaterThan(0);
    expect(other.outcomes.every((o: { result: string }) => o.result === 'delivered')).toBe(true);

    await request(t.http).put(`/netsim/v1/nodes/${node}/iptables`).set('Content-Type', 'text/plain').send(withRule(podMac)).expect(200);
    const own = await traffic();
    expect(own.outcomes.length).toBeGreaterThan(0);
    expect(own.outcomes.map((o: { result: string }) => o.result)).toEqual(own.outcomes.map(() => 'dropped'));
  });
});
