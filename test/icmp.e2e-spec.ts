/**
 * ICMP over HTTP: `POST /netsim/v1/trace` with `protocol: icmp` (type by
 * name or number, id), a REJECT's ICMP error traced back as RELATED, and the
 * refusals that name the field.
 */
import request from 'supertest';
import { startTestApp, type TestApp } from './support/test-app';

const NODE = {
  interfaces: [
    { name: 'eth0', addresses: ['192.168.0.2/24'] },
    { name: 'cni0', addresses: ['10.180.0.254/24'] },
    { name: 'lo', addresses: ['127.0.0.1/8'] },
  ],
  routes: [{ destination: 'default', via: '192.168.0.1' }],
};

const echo = { hook: 'PREROUTING', inInterface: 'eth0', protocol: 'icmp', source: '203.0.113.2', destination: '10.180.0.5', icmpType: 'echo-request', icmpId: 7 };

const FILTER = (rules: string, policy = 'ACCEPT') => `*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ${policy} [0:0]\n:OUTPUT ACCEPT [0:0]\n${rules}COMMIT\n`;

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
      await expect422({ ...echo, protocol: 'tcp', sourcePort: 1, destinationPort: 80 }, 'packet.icmpType', /only an icmp packet has a type/);
      await expect422({ ...echo, protocol: 'udp' }, 'packet.sourcePort', /must not be less than 1|must be an integer/);
    });
  });
});
