/**
 * POST /netsim/v1/trace and /iptables/save with ip6tables rules: the family
 * is the request's, else the rules', else the packet's; IPv6 hosts and
 * packets; one family per request.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import request from 'supertest';
import { startTestApp, type TestApp } from './support/test-app';

const IPV6 = join(__dirname, '..', 'fixtures', 'netfilter', 'ipv6');
const fixture = (name: string, ext = 'rules'): string => readFileSync(join(IPV6, `${name}.${ext}`), 'utf8');

/** The kube-proxy fixture's node: eth0 2001:db8::1/64, pods of other nodes behind 2001:db8::3. */
const NODE6 = {
  interfaces: [
    { name: 'lo', addresses: ['127.0.0.1/8', '::1/128'] },
    { name: 'eth0', addresses: ['2001:db8::1/64', '2001:db8:1::2/64'] },
  ],
  routes: [
    { destination: 'default', via: '2001:db8::ffff' },
    { destination: 'fd00:10:180::/64', via: '2001:db8::3' },
  ],
};

const external = {
  hook: 'PREROUTING',
  inInterface: 'eth0',
  protocol: 'tcp',
  source: '2600:5200::1',
  sourcePort: 40000,
  destination: '2001:db8::1',
  destinationPort: 3001,
};

describe('IPv6 traces (e2e)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => {
    await t.close();
  });

  it('traces an IPv6 NodePort packet through kube-proxy\'s ip6tables rules: both endpoints, masqueraded', async () => {
    const res = await request(t.http).post('/netsim/v1/trace').send({ rules: fixture('kube-proxy-nodeport'), host: NODE6, packet: external }).expect(200);
    const outcomes = res.body.outcomes as Array<{ probability: number; dnat: string; masquerade: boolean; snat: string; outInterface: string; nextHop: string }>;
    expect(outcomes.map((o) => o.dnat).sort()).toEqual(['[fd00:10:180::1]:80', '[fd00:10:180::2:1]:80']);
    for (const o of outcomes) {
      expect(o.probability).toBe(0.5);
      expect(o.masquerade).toBe(true);
      expect(o.snat).toBe('[2001:db8::1]:40000');
      expect(o.outInterface).toBe('eth0');
      expect(o.nextHop).toBe('2001:db8::3');
    }
  });

  it('says family: ipv6 explicitly, and takes the IPv6 default host when none is given', async () => {
    const rules = '*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -p tcp -m hl --hl-lt 10 -j REJECT --reject-with tcp-reset\nCOMMIT\n';
    const packet = { hook: 'PREROUTING', inInterface: 'eth0', protocol: 'tcp', source: '2001:db8::9', sourcePort: 40000, destination: '2001:db8::2', destinationPort: 22 };
    const res = await request(t.http).post('/netsim/v1/trace').send({ rules, family: 'ipv6', packet }).expect(200);
    expect(res.body.outcomes[0]).toMatchObject({ verdict: 'ACCEPT', delivery: 'local' });
  });

  it('answers an ip6tables REJECT with its ICMPv6 error, traced back to the client RELATED to the refused packet', async () => {
    // The conntrack rule makes the kernel track connections: the error is RELATED to the refused packet's.
    const rules = '*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -m conntrack --ctstate INVALID -j DROP\n-A INPUT -p udp -j REJECT --reject-with icmp6-adm-prohibited\nCOMMIT\n';
    const packet = { hook: 'PREROUTING', inInterface: 'eth0', protocol: 'udp', source: '2001:db8::9', sourcePort: 40000, destination: '2001:db8::2', destinationPort: 53 };
    const res = await request(t.http).post('/netsim/v1/trace').send({ rules, packet }).expect(200);
    expect(res.body.outcomes).toHaveLength(1);
    expect(res.body.outcomes[0]).toMatchObject({ verdict: 'REJECT', rejectWith: 'icmp6-adm-prohibited' });
    const [back] = res.body.outcomes[0].answer.outcomes;
    expect(back.conntrack).toMatchObject({ state: 'RELATED', direction: 'reply' });
    expect(back.packet).toMatchObject({
      protocol: 'icmpv6',
      source: '2001:db8::2',
      destination: '2001:db8::9',
      icmpType: 1,
      icmpCode: 1,
      embedded: 'udp [2001:db8::9]:40000 > [2001:db8::2]:53',
    });
  });

  it('traces ICMPv6: ping by name through -m icmp6 (protocol ipv6-icmp or icmpv6), Neighbour Discovery UNTRACKED, text form', async () => {
    const rules =
      '*filter\n:INPUT DROP [0:0]\n' +
      '-A INPUT -m conntrack --ctstate UNTRACKED -j ACCEPT\n' +
      '-A INPUT -p ipv6-icmp -m icmp6 --icmpv6-type 128 -j ACCEPT\nCOMMIT\n';
    const ping = { hook: 'PREROUTING', inInterface: 'eth0', protocol: 'ipv6-icmp', source: '2001:db8::9', destination: '2001:db8::1', icmpType: 'ping', icmpId: 7 };
    const res = await request(t.http).post('/netsim/v1/trace').send({ rules, host: NODE6, packet: ping }).expect(200);
    expect(res.body.outcomes[0]).toMatchObject({ verdict: 'ACCEPT', delivery: 'local', conntrack: { state: 'NEW', original: 'icmpv6 2001:db8::9 -> 2001:db8::1 type=128 code=0 id=7' } });
    expect(res.body.outcomes[0].packet).toMatchObject({ protocol: 'icmpv6', icmpType: 128, icmpCode: 0, icmpId: 7 });
    const ns = { ...ping, protocol: 'icmpv6', source: 'fe80::9', icmpType: 'neighbour-solicitation', icmpId: undefined };
    const nd = await request(t.http).post('/netsim/v1/trace').send({ rules, host: NODE6, packet: ns }).expect(200);
    expect(nd.body.outcomes[0]).toMatchObject({ verdict: 'ACCEPT', conntrack: { state: 'UNTRACKED' } });
    const reply = await request(t.http).post('/netsim/v1/trace').send({ rules, host: NODE6, packet: { ...ping, icmpType: 'echo-reply' } }).expect(200);
    expect(reply.body.outcomes[0]).toMatchObject({ verdict: 'DROP', conntrack: { state: 'INVALID' } });
    const text = await request(t.http).post('/netsim/v1/trace?format=text').send({ rules, host: NODE6, packet: ping }).expect(200);
    expect(text.text.split('\n')[0]).toBe('icmpv6 2001:db8::9 > 2001:db8::1 ping id 7, entering PREROUTING on eth0');
  });

  it.each([
    ['icmp for IPv6', { protocol: 'icmp', destination: '2001:db8::1' }, 'packet.protocol', 'icmp is an IPv4 protocol'],
    ['icmpv6 for IPv4', { protocol: 'icmpv6', destination: '192.168.0.2' }, 'packet.protocol', 'icmpv6 is an IPv6 protocol'],
    ['an IPv4-only type name', { protocol: 'icmpv6', destination: '2001:db8::1', icmpType: 'source-quench' }, 'packet.icmpType', '"source-quench" is not an ICMPv6 type'],
    ['a port on an icmpv6 packet', { protocol: 'ipv6-icmp', destination: '2001:db8::1', destinationPort: 80 }, 'packet.destinationPort', 'an icmpv6 packet has no ports'],
  ])('refuses %s (422 naming the field)', async (_what, over, field, message) => {
    const res = await request(t.http)
      .post('/netsim/v1/trace')
      .send({ rules: '*filter\nCOMMIT\n', packet: { hook: 'OUTPUT', ...over } })
      .expect(422);
    expect(res.body).toMatchObject({ kind: 'Status', status: 'Failure', code: 422 });
    expect(res.body.message).toContain(message);
    expect(res.body.details.causes[0].field).toBe(field);
  });

  it('refuses an IPv4 packet with ip6tables rules, naming the field (422, Status)', async () => {
    const res = await request(t.http)
      .post('/netsim/v1/trace')
      .send({ rules: fixture('kube-proxy-nodeport'), host: NODE6, packet: { ...external, destination: '192.168.0.2' } })
      .expect(422);
    expect(res.body).toMatchObject({ kind: 'Status', apiVersion: 'v1', status: 'Failure', code: 422 });
    expect(res.body.message).toContain('packet.destination: "192.168.0.2" is an IPv4 address, but the family of the rules is ipv6');
    expect(res.body.details.causes[0].field).toBe('packet.destination');
  });

  it('refuses a packet mixing families, naming the field', async () => {
    const res = await request(t.http)
      .post('/netsim/v1/trace')
      .send({ rules: '*filter\nCOMMIT\n', family: 'ipv6', host: NODE6, packet: { ...external, source: '203.0.113.9' } })
      .expect(422);
    expect(res.body.details.causes[0].field).toBe('packet.source');
    expect(res.body.message).toContain("but the request's family is ipv6");
  });

  it('refuses an IPv4 address in ip6tables rules as ip6tables does, naming the line', async () => {
    const res = await request(t.http)
      .post('/netsim/v1/trace')
      .send({ rules: '*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -s fd00::1 -j ACCEPT\n-A INPUT -s 10.0.0.1 -j DROP\nCOMMIT\n', host: NODE6, packet: external })
      .expect(422);
    expect(res.body.message).toContain("line 4: host/network `10.0.0.1' not found");
    expect(res.body.details.causes[0].field).toBe('rules:4');
  });

  it('prints ip6tables rules back as ip6tables-save does', async () => {
    const res = await request(t.http).post('/netsim/v1/iptables/save').send({ rules: fixture('matches') }).expect(200);
    const lines = (text: string) => text.split('\n').filter((l) => !l.startsWith('#'));
    expect(lines(res.text)).toEqual(lines(fixture('matches', 'save')));
  });

  it('reads a dump without addresses as ip6tables by what only ip6tables has; family: ipv4 overrides that', async () => {
    const rules = '*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -m mark --mark 0x1 -j REJECT --reject-with icmp6-adm-prohibited\nCOMMIT\n';
    await request(t.http).post('/netsim/v1/iptables/save').send({ rules }).expect(200);
    const v4 = await request(t.http).post('/netsim/v1/iptables/save').send({ rules, family: 'ipv4' }).expect(422);
    expect(v4.body.message).toContain('unknown reject type "icmp6-adm-prohibited"');
  });

  it('traces ip6tables rules that test inet6 ipsets, and prints the sets back; a set of the other family is refused as ip6tables refuses it', async () => {
    const ipsets = 'create blocked6 hash:net family inet6 hashsize 1024 maxelem 65536 bucketsize 12 initval 0x00000001\nadd blocked6 2600:5200::/64\nadd blocked6 2600:5200::2 nomatch\ncreate v4 hash:ip family inet hashsize 1024 maxelem 65536 bucketsize 12 initval 0x00000002\n';
    const rules = '*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -m set --match-set blocked6 src -j DROP\nCOMMIT\n';
    const from = (source: string) => ({ hook: 'PREROUTING', inInterface: 'eth0', protocol: 'tcp', source, sourcePort: 40000, destination: '2001:db8::2', destinationPort: 22 });
    const blocked = await request(t.http).post('/netsim/v1/trace').send({ rules, ipsets, packet: from('2600:5200::1') }).expect(200);
    expect(blocked.body.outcomes.map((o: { verdict: string }) => o.verdict)).toEqual(['DROP']);
    const exempt = await request(t.http).post('/netsim/v1/trace').send({ rules, ipsets, packet: from('2600:5200::2') }).expect(200);
    expect(exempt.body.outcomes.map((o: { verdict: string }) => o.verdict)).toEqual(['ACCEPT']);
    const saved = await request(t.http).post('/netsim/v1/ipset/save').send({ ipsets }).expect(200);
    expect(saved.text).toContain('create blocked6 hash:net family inet6 hashsize 1024 maxelem 65536 bucketsize 12 initval 0x00000001\n');
    expect(saved.text).toContain('add blocked6 2600:5200::2 nomatch\n');
    const mixed = await request(t.http)
      .post('/netsim/v1/trace')
      .send({ rules: '*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -m set --match-set v4 src -j DROP\nCOMMIT\n', family: 'ipv6', ipsets, packet: from('2600:5200::1') })
      .expect(422);
    expect(mixed.body.message).toBe('line 3: The protocol family of set v4 is IPv4, which is not applicable.');
    expect(mixed.body.details.causes[0].field).toBe('rules:3');
  });

  it('refuses an unknown family (422 naming the field)', async () => {
    const res = await request(t.http).post('/netsim/v1/trace').send({ rules: '', family: 'inet6', packet: external }).expect(422);
    expect(JSON.stringify(res.body)).toContain('family');
  });
});
