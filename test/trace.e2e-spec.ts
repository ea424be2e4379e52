import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import request from 'supertest';
import { startTestApp, type TestApp } from './support/test-app';

const FIXTURES = join(__dirname, '..', 'fixtures', 'netfilter');
const fixture = (name: string, ext = 'rules'): string => readFileSync(join(FIXTURES, `${name}.${ext}`), 'utf8');

const NODE = {
  interfaces: [
    { name: 'eth0', addresses: ['192.168.0.2/24'] },
    { name: 'cni0', addresses: ['10.180.0.254/24'] },
    { name: 'lo', addresses: ['127.0.0.1/8'] },
  ],
  routes: [
    { destination: 'default', via: '192.168.0.1' },
    { destination: '10.180.1.0/24', via: '192.168.0.3', interface: 'eth0' },
  ],
};

const clientPacket = {
  hook: 'PREROUTING',
  inInterface: 'eth0',
  protocol: 'tcp',
  source: '203.0.113.2',
  sourcePort: 40000,
  destination: '172.30.0.42',
  destinationPort: 80,
};

describe('POST /netsim/v1/trace (e2e)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => {
    await t.close();
  });

  it('enumerates every path with its exact probability and steps', async () => {
    const res = await request(t.http)
      .post('/netsim/v1/trace')
      .send({ rules: fixture('clusterip-2-endpoints'), host: NODE, packet: clientPacket })
      .expect(200);
    const outcomes = res.body.outcomes;
    expect(outcomes).toHaveLength(2);
    expect(outcomes.map((o: { probability: number }) => o.probability).reduce((a: number, b: number) => a + b)).toBeCloseTo(1, 12);
    expect(outcomes[0]).toMatchObject({
      probability: 0.5,
      verdict: 'ACCEPT',
      delivery: 'forward',
      dnat: '10.180.0.2:80',
      snat: '10.180.0.254:40000',
      masquerade: true,
      outInterface: 'cni0',
      packet: { protocol: 'tcp', source: '10.180.0.254', sourcePort: 40000, destination: '10.180.0.2', destinationPort: 80 },
    });
    expect(outcomes[1]).toMatchObject({ dnat: '10.180.1.2:80', snat: '192.168.0.2:40000', outInterface: 'eth0', nextHop: '192.168.0.3' });
    const dnatStep = outcomes[0].steps.find((s: { action: string }) => s.action.startsWith('DNAT'));
    expect(dnatStep).toEqual({
      hook: 'PREROUTING',
      table: 'nat',
      chain: 'KUBE-SEP-RS4RBKLTHTF2IUXJ',
      ruleNumber: 2,
      rule: '-A KUBE-SEP-RS4RBKLTHTF2IUXJ -p tcp -m comment --comment "ns2/svc2:p80" -m tcp -j DNAT --to-destination 10.180.0.2:80',
      action: 'DNAT to 10.180.0.2:80',
    });
  });

  it('defaults to a single eth0 node, and to enumerate mode', async () => {
    const res = await request(t.http)
      .post('/netsim/v1/trace')
      .send({ rules: fixture('nodeport'), packet: { ...clientPacket, destination: '192.168.0.2', destinationPort: 30082 } })
      .expect(200);
    expect(res.body.outcomes.map((o: { dnat: string; snat: string }) => [o.dnat, o.snat])).toEqual([
      ['10.180.0.4:8082', '192.168.0.2:40000'],
      ['10.180.1.4:8082', '192.168.0.2:40000'],
    ]);
  });

  it('sample mode picks one path, repeatably with a seed', async () => {
    const pick = async (seed: number) =>
      (await request(t.http).post('/netsim/v1/trace').send({ rules: fixture('clusterip-5-endpoints'), host: NODE, packet: { ...clientPacket, destination: '172.30.0.43', destinationPort: 8080 }, mode: 'sample', seed }).expect(200)).body
        .outcomes;
    const a = await pick(11);
    expect(a).toHaveLength(1);
    expect(a[0].probability).toBeCloseTo(0.2, 8);
    expect(await pick(11)).toEqual(a);
    const seen = new Set<string>();
    for (let seed = 0; seed < 40; seed++) seen.add((await pick(seed))[0].dnat);
    expect(seen.size).toBe(5);
  });

  it('a destination with no route ends in a no-route outcome, not an error', async () => {
    const res = await request(t.http)
      .post('/netsim/v1/trace')
      .send({ rules: '*filter\nCOMMIT\n', host: { interfaces: [{ name: 'eth0', addresses: ['192.168.0.2/24'] }] }, packet: { ...clientPacket, destination: '8.8.8.8' } })
      .expect(200);
    expect(res.body.outcomes).toEqual([expect.objectContaining({ verdict: 'DROP', delivery: null, reason: 'no-route' })]);
  });

  it('a Service without endpoints is rejected', async () => {
    const rules = fixture('no-endpoints');
    const m = /-A KUBE-SERVICES .*-d (172\.30\.0\.\d+)\S* .*--dport (\d+) -j REJECT/.exec(rules)!;
    const res = await request(t.http)
      .post('/netsim/v1/trace')
      .send({ rules, packet: { ...clientPacket, destination: m[1], destinationPort: Number(m[2]) } })
      .expect(200);
    expect(res.body.outcomes).toEqual([expect.objectContaining({ verdict: 'REJECT', rejectWith: 'icmp-port-unreachable', delivery: null })]);
  });

  describe('refuses bad requests with 422 and the reason, never a 500', () => {
    const expect422 = async (body: unknown, field: string, message: RegExp) => {
      const res = await request(t.http).post('/netsim/v1/trace').send(body as object).expect(422);
      expect(res.body).toMatchObject({ kind: 'Status', status: 'Failure', reason: 'Invalid', code: 422 });
      const causes: { field: string; message: string }[] = res.body.details.causes;
      expect(causes.some((c) => c.field === field && message.test(c.message))).toBe(true);
    };

    it('malformed rules: the line and the word', async () => {
      await expect422({ rules: '*filter\n-A INPUT -m nosuch -j ACCEPT\nCOMMIT\n', packet: clientPacket }, 'rules:2', /^Invalid value: "-A INPUT -m nosuch -j ACCEPT": .*"nosuch"/);
      await expect422({ rules: '*nat\n-A PREROUTING -j KUBE-MISSING\nCOMMIT\n', packet: clientPacket }, 'rules:2', /KUBE-MISSING/);
      await expect422({ rules: '*filter\n-A INPUT -j ACCEPT\n', packet: clientPacket }, 'rules:2', /COMMIT expected/);
    });

    it('bad addresses, ports, protocols and missing fields', async () => {
      await expect422({ rules: '', packet: { ...clientPacket, source: '10.0.0.256' } }, 'packet.source', /IPv4 address/);
      await expect422({ rules: '', packet: { ...clientPacket, destination: '010.0.0.1' } }, 'packet.destination', /IPv4 address/);
      await expect422({ rules: '', packet: { ...clientPacket, destinationPort: 0 } }, 'packet.destinationPort', /not be less than 1/);
      await expect422({ rules: '', packet: { ...clientPacket, sourcePort: 70000 } }, 'packet.sourcePort', /not be greater than 65535/);
      await expect422({ rules: '', packet: { ...clientPacket, protocol: 'gre' } }, 'packet.protocol', /one of the following values: tcp, udp, sctp/);
      await expect422({ rules: '', packet: { ...clientPacket, hook: 'FORWARD' } }, 'packet.hook', /PREROUTING, OUTPUT/);
      await expect422({ packet: clientPacket }, 'rules', /Required value: give the iptables rules \(`rules`\), the nftables ruleset \(`nftables`\) or both/);
      await expect422({ rules: '' }, 'packet', /defined|object/);
      await expect422({ rules: '', packet: { ...clientPacket, extra: 1 } }, 'packet.extra', /not allowed/);
      await expect422({ rules: '', packet: clientPacket, mode: 'guess' }, 'mode', /enumerate, sample/);
    });

    it('a packet or host the engine cannot place', async () => {
      await expect422({ rules: '', packet: { ...clientPacket, inInterface: undefined } }, 'packet.inInterface', /arrives on an interface/);
      await expect422({ rules: '', packet: { ...clientPacket, inInterface: 'eth7' } }, 'packet.inInterface', /no interface "eth7"/);
      await expect422({ rules: '', host: { interfaces: [{ name: 'eth0', addresses: ['192.168.0.2/33'] }] }, packet: clientPacket }, 'host.interfaces[0].addresses', /prefix/);
      await expect422(
        { rules: '', host: { interfaces: [{ name: 'eth0', addresses: ['192.168.0.2/24'] }], routes: [{ destination: 'default', via: '10.9.9.9' }] }, packet: clientPacket },
        'host.routes[0].via',
        /not on a connected subnet/,
      );
    });
  });
});

describe('POST /netsim/v1/iptables/save (e2e)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => {
    await t.close();
  });

  it('answers text/plain, exactly what iptables-save printed for every fixture', async () => {
    for (const name of ['clusterip-2-endpoints', 'firewall', 'marks', 'session-affinity']) {
      const res = await request(t.http).post('/netsim/v1/iptables/save').send({ rules: fixture(name) }).expect(200);
      expect(res.headers['content-type']).toMatch(/^text\/plain/);
      const withoutComments = res.text
        .split('\n')
        .filter((l) => !l.startsWith('#'))
        .join('\n');
      expect(withoutComments).toBe(fixture(name, 'save'));
    }
  });

  it('prints counters with counters: true', async () => {
    const res = await request(t.http).post('/netsim/v1/iptables/save').send({ rules: fixture('save-form'), counters: true }).expect(200);
    expect(res.text).toContain('[5:300] -A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES');
  });

  it('malformed rules: 422 with the line', async () => {
    const res = await request(t.http).post('/netsim/v1/iptables/save').send({ rules: '*filter\n-A INPUT --bogus\nCOMMIT\n' }).expect(422);
    expect(res.body.message).toMatch(/^line 2: /);
    expect(res.body.details.causes[0]).toMatchObject({ field: 'rules:2', message: expect.stringMatching(/^Invalid value: "-A INPUT --bogus": /) });
  });
});
