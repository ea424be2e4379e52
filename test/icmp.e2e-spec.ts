/**
 * ICMP over HTTP: `POST /netsim/v1/trace` with `protocol: icmp` (type by
 * name or number, id), a REJECT's ICMP error traced back as RELATED, and the
 * refusals that name the field.
 */
import request from 'supertest';
import { DEMO, startTestApp, type TestApp } from './support/test-app';

const NODE = {
  interfaces: [
    { name: 'eth0', addresses: ['192.168.0.2/24'] },
    { name: 'cni0', addresses: ['10.180.0.254/24'] },
    { name: 'lo', addresses: ['127.0.0.1/8'] },
  ],
  routes: [{ destination: 'default', via: '192.168.0.1' }],
};

const echo = { hook: 'PREROUTING', inInterface: 'eth0', protocol: 'icmp', source: '203.0.113.2', destination: '10.180.0.5', icmpType: 'echo-request', icmpId: 7 };

/** A filter table; its `-m state` rule makes the kernel track connections (no rule using conntrack: nothing is tracked). */
const FILTER = (rules: string, policy = 'ACCEPT') => `*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ${policy} [0:0]\n:OUTPUT ACCEPT [0:0]\n-A INPUT -m state --state INVALID -j DROP\n${rules}COMMIT\n`;

describe('ICMP through POST /netsim/v1/trace (e2e)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => {
    await t.close();
  });

  const trace = (body: object, query = '') => request(t.http).post(`/netsim/v1/trace${query}`).send(body);

  it('an echo to a pod is forwarded, NEW, with its type and id', async () => {
    const res = await trace({ rules: FILTER(''), host: NODE, packet: echo }).expect(200);
    expect(res.body.outcomes).toHaveLength(1);
    expect(res.body.outcomes[0]).toMatchObject({
      verdict: 'ACCEPT',
      delivery: 'forward',
      outInterface: 'cni0',
      conntrack: { state: 'NEW', direction: 'original', original: 'icmp 203.0.113.2 -> 10.180.0.5 type=8 code=0 id=7', reply: 'icmp 10.180.0.5 -> 203.0.113.2 type=0 code=0 id=7' },
      packet: { protocol: 'icmp', source: '203.0.113.2', destination: '10.180.0.5', icmpType: 8, icmpCode: 0, icmpId: 7, sourcePort: 0, destinationPort: 0 },
    });
  });

  it('-p icmp --icmp-type echo-request -j DROP drops it; an echo reply nobody asked for is INVALID', async () => {
    const rules = FILTER('-A FORWARD -p icmp -m icmp --icmp-type echo-request -j DROP\n');
    const dropped = await trace({ rules, host: NODE, packet: echo }).expect(200);
    expect(dropped.body.outcomes[0]).toMatchObject({ verdict: 'DROP' });
    expect(dropped.body.outcomes[0].steps.at(-1)).toMatchObject({ chain: 'FORWARD', ruleNumber: 1, rule: '-A FORWARD -p icmp -m icmp --icmp-type 8 -j DROP', action: 'DROP' });
    const reply = await trace({ rules, host: NODE, packet: { ...echo, icmpType: 0 } }).expect(200);
    expect(reply.body.outcomes[0]).toMatchObject({ verdict: 'ACCEPT', conntrack: { state: 'INVALID' }, packet: { icmpType: 0, icmpId: 7 } });
  });

  it("a REJECT's ICMP error is traced back to the client, RELATED to the refused packet's connection", async () => {
    const rules = FILTER('-A FORWARD -p udp -m udp --dport 53 -j REJECT --reject-with icmp-port-unreachable\n');
    const packet = { hook: 'PREROUTING', inInterface: 'cni0', protocol: 'udp', source: '10.180.0.9', sourcePort: 40000, destination: '203.0.113.53', destinationPort: 53 };
    const res = await trace({ rules, host: NODE, packet }).expect(200);
    const [rejected] = res.body.outcomes;
    expect(rejected).toMatchObject({ verdict: 'REJECT', rejectWith: 'icmp-port-unreachable' });
    expect(rejected.answer.outcomes).toHaveLength(1);
    expect(rejected.answer.outcomes[0]).toMatchObject({
      verdict: 'ACCEPT',
      delivery: 'forward',
      outInterface: 'cni0',
      conntrack: { state: 'RELATED', direction: 'reply' },
      packet: { protocol: 'icmp', source: '10.180.0.254', destination: '10.180.0.9', icmpType: 3, icmpCode: 3, embedded: 'udp 10.180.0.9:40000 > 203.0.113.53:53' },
    });
    const text = await trace({ rules, host: NODE, packet }, '?format=text').expect(200);
    expect(text.text).toContain('the ICMP error back to the client (1 outcome):');
    expect(text.text).toContain('leaves as icmp 10.180.0.254 > 10.180.0.9 port-unreachable mark 0');
    expect(text.text).toContain('carrying udp 10.180.0.9:40000 > 203.0.113.53:53');
    for (const line of text.text.split('\n')) expect(line.length).toBeLessThanOrEqual(80);
  });

  it('the text form names the ICMP type and id', async () => {
    const res = await trace({ rules: FILTER(''), host: NODE, packet: echo }, '?format=text').expect(200);
    expect(res.text.split('\n')[0]).toBe('icmp 203.0.113.2 > 10.180.0.5 echo-request id 7, entering PREROUTING on eth0');
    expect(res.text).toContain('leaves as icmp 203.0.113.2 > 10.180.0.5 echo-request id 7 mark 0');
  });

  describe('refuses bad ICMP requests with 422 naming the field', () => {
    const expect422 = async (packet: object, field: string, message: RegExp) => {
      const res = await trace({ rules: FILTER(''), host: NODE, packet }).expect(422);
      expect(res.body).toMatchObject({ kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'Invalid', code: 422 });
      const causes: { field: string; message: string }[] = res.body.details.causes;
      expect(causes).toEqual(expect.arrayContaining([expect.objectContaining({ field, message: expect.stringMatching(message) })]));
    };

    it('types, codes, ids and ports', async () => {
      await expect422({ ...echo, icmpType: 'echo-requets' }, 'packet.icmpType', /must be an ICMP type/);
      await expect422({ ...echo, icmpType: 300 }, 'packet.icmpType', /must be an ICMP type/);
      await expect422({ ...echo, icmpCode: 256 }, 'packet.icmpCode', /not be greater than 255/);
      await expect422({ ...echo, icmpId: 65536 }, 'packet.icmpId', /not be greater than 65535/);
      await expect422({ ...echo, destinationPort: 80 }, 'packet.destinationPort', /an icmp packet has no ports/);
      await expect422({ ...echo, protocol: 'tcp', sourcePort: 1, destinationPort: 80 }, 'packet.icmpType', /only an icmp or icmpv6 packet has a type/);
      await expect422({ ...echo, protocol: 'udp' }, 'packet.sourcePort', /must not be less than 1|must be an integer/);
    });
  });
});

describe('ICMP through POST /netsim/v1/traffic (e2e)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp(DEMO);
  });
  afterAll(async () => {
    await t.close();
  });

  const get = async (path: string) => (await request(t.http).get(path).expect(200)).body;
  const send = (body: object, query = '') => request(t.http).post(`/netsim/v1/traffic${query}`).send(body);

  it('a pod pings another pod: delivered, the echo reply comes back with the same id', async () => {
    const pods = (await get('/api/v1/namespaces/default/pods?labelSelector=app%3Dweb')).items as { metadata: { name: string }; status: { podIP: string } }[];
    const target = pods[0];
    const res = await send({ from: 'pod/default/db-0', to: target.status.podIP, protocol: 'icmp', icmpId: 42 }, '?detail=hops').expect(200);
    expect(res.body.outcomes).toHaveLength(1);
    const [o] = res.body.outcomes;
    expect(o).toMatchObject({ probability: 1, result: 'delivered', destination: { pod: `default/${target.metadata.name}`, ip: target.status.podIP }, replySource: target.status.podIP });
    expect(o.verdict).toMatchObject({ reason: 'Delivered', client: 'connected' });
    expect(o.hops.at(-1).packet).toMatchObject({ protocol: 'icmp', icmpType: 8, icmpId: 42 });
    expect(o.reply.at(-1).packet).toMatchObject({ protocol: 'icmp', icmpType: 0, icmpId: 42, destination: o.hops[0].packet.source });
    const replyStates = o.reply.flatMap((h: { rules: { table: string; action: string }[] }) => h.rules.filter((r) => r.table === 'conntrack').map((r) => r.action));
    expect(replyStates.some((a: string) => a.startsWith('ESTABLISHED: reply direction'))).toBe(true);
  });

  it('a ping to a ClusterIP is not answered, and the verdict says why in words', async () => {
    const ip = (await get('/api/v1/namespaces/default/services/web')).spec.clusterIP;
    for (const to of [ip, 'web', 'service/default/web']) {
      const res = await send({ from: 'pod/default/db-0', to, protocol: 'icmp' }).expect(200);
      expect(res.body.outcomes).toHaveLength(1);
      const [o] = res.body.outcomes;
      expect(o.result).toBe('external');
      expect(o.verdict).toMatchObject({ reason: 'LeftCluster', client: 'timed-out' });
      expect(o.verdict.message).toContain(`${ip} is default/web's ClusterIP. A ClusterIP does not answer ping in iptables mode: kube-proxy's rules match only the Service's tcp, udp and sctp ports`);
    }
  });

  it('sample mode: each echo takes the next id, and conntrack -L lists them as the real tool prints them', async () => {
    const node = (await get('/api/v1/namespaces/default/pods/db-0')).spec.nodeName;
    const pods = (await get('/api/v1/namespaces/default/pods?labelSelector=app%3Dweb')).items as { spec: { nodeName: string }; status: { podIP: string } }[];
    const remote = pods.find((p) => p.spec.nodeName !== node)!;
    const db = (await get('/api/v1/namespaces/default/pods/db-0')).status.podIP;
    const res = await send({ from: 'pod/default/db-0', to: remote.status.podIP, protocol: 'icmp', icmpId: 100, mode: 'sample', count: 2, seed: 1 }).expect(200);
    expect(res.body.samples).toEqual({ [`pod/default/${(await get('/api/v1/namespaces/default/pods?labelSelector=app%3Dweb')).items.find((p: { status: { podIP: string } }) => p.status.podIP === remote.status.podIP).metadata.name}`]: 2 });
    const text: string = (await request(t.http).get(`/netsim/v1/nodes/${node}/conntrack?format=text`).expect(200)).text;
    for (const id of [100, 101]) {
      expect(text).toMatch(new RegExp(`^icmp +1 30 src=${db} dst=${remote.status.podIP} type=8 code=0 id=${id} src=${remote.status.podIP} dst=${db} type=0 code=0 id=${id} mark=0 use=1$`, 'm'));
    }
  });

  it("a pod's port unreachable comes back RELATED, its embedded header rewritten to the Service address the client sent to", async () => {
    const service = { apiVersion: 'v1', kind: 'Service', metadata: { name: 'udp-closed' }, spec: { selector: { app: 'web' }, ports: [{ protocol: 'UDP', port: 9000, targetPort: 9000 }] } };
    const created = (await request(t.http).post('/api/v1/namespaces/default/services').send(service).expect(201)).body;
    const ip = created.spec.clusterIP;
    const db = (await get('/api/v1/namespaces/default/pods/db-0')).status.podIP;
    const res = await send({ from: 'pod/default/db-0', to: `${ip}:9000`, protocol: 'udp' }, '?detail=hops').expect(200);
    expect(res.body.outcomes.length).toBeGreaterThan(0);
    for (const o of res.body.outcomes) {
      expect(o.result).toBe('refused');
      const last = o.reply.at(-1).packet;
      expect(last).toMatchObject({ protocol: 'icmp', icmpType: 3, icmpCode: 3, source: ip, destination: db, embedded: `udp ${db}:40000 > ${ip}:9000` });
      const related = o.reply.flatMap((h: { rules: { action: string }[] }) => h.rules.map((r) => r.action)).filter((a: string) => a.startsWith('RELATED'));
      expect(related.length).toBeGreaterThan(0);
    }
  });

  it('refuses what a ping cannot be, naming the field', async () => {
    const expect422 = async (body: object, field: string, message: RegExp) => {
      const res = await send(body).expect(422);
      expect(res.body).toMatchObject({ kind: 'Status', status: 'Failure', reason: 'Invalid', code: 422 });
      expect(res.body.details.causes).toEqual(expect.arrayContaining([expect.objectContaining({ field, message: expect.stringMatching(message) })]));
    };
    await expect422({ from: 'pod/default/db-0', to: '10.96.0.10:80', protocol: 'icmp' }, 'to', /an icmp echo has no port/);
    await expect422({ from: 'pod/default/db-0', to: '10.96.0.10', protocol: 'icmp', sourcePort: 5 }, 'sourcePort', /a ping has no ports/);
    await expect422({ from: 'pod/default/db-0', to: '10.96.0.10:80', icmpId: 5 }, 'icmpId', /only a ping/);
    await expect422({ from: 'pod/default/db-0', to: '10.96.0.10', protocol: 'icmp', icmpType: 'port-unreachable' }, 'icmpType', /not a query a host answers/);
    await expect422({ from: 'pod/default/db-0', to: '10.96.0.10', protocol: 'icmp', icmpType: 'pingg' }, 'icmpType', /must be an ICMP type/);
  });
});
