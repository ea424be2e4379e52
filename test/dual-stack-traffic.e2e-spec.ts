import request from 'supertest';
import { startTestApp, TestApp } from './support/test-app';

/**
 * The dataplane carries IPv6 (docs/dual-stack.md, docs/dataplane.md): nodes with an address of
 * each family, flannel's IPv6 devices and routes, and `POST /netsim/v1/traffic` from and to IPv6
 * addresses through the nodes' ip6tables tables, on the dual-stack and the IPv6-only demo.
 */
jest.setTimeout(60000);

interface Outcome {
  probability: number;
  result: string;
  destination: { pod: string | null; node: string | null; ip: string; port: number } | null;
  seenSource: string | null;
  replySource?: string | null;
  path?: { nodes: string[]; rewrites: { type: string; by: string; before: string; after: string }[] };
}

const sum = (outcomes: Outcome[]) => outcomes.reduce((s, o) => s + o.probability, 0);

describe('traffic on a dual-stack cluster (e2e)', () => {
  let t: TestApp;
  let pods: { metadata: { name: string }; spec: { nodeName: string }; status: { podIPs: { ip: string }[] } }[];
  let services: Record<string, { clusterIPs: string[] }>;
  const send = (body: object, query = '') => request(t.http).post(`/netsim/v1/traffic${query}`).send(body);

  beforeAll(async () => {
    t = await startTestApp({ IP_FAMILY: 'dual', CLUSTER_FILE: 'fixtures/clusters/dual-stack.yaml' });
    pods = (await request(t.http).get('/api/v1/namespaces/default/pods').expect(200)).body.items;
    const list = (await request(t.http).get('/api/v1/namespaces/default/services').expect(200)).body.items;
    services = Object.fromEntries(list.map((s: { metadata: { name: string }; spec: { clusterIPs: string[] } }) => [s.metadata.name, s.spec]));
  });
  afterAll(() => t?.close());

  const client = () => pods.find((p) => p.spec.nodeName === 'kind-worker2')!;

  it('gives every node an InternalIP of each family, IPv4 (the primary) first, from kind\'s networks', async () => {
    const nodes = (await request(t.http).get('/api/v1/nodes').expect(200)).body.items;
    const worker = nodes.find((n: { metadata: { name: string } }) => n.metadata.name === 'kind-worker');
    expect(worker.status.addresses).toEqual([
      { type: 'InternalIP', address: '172.18.0.3' },
      { type: 'InternalIP', address: 'fc00:f853:ccd:e793::3' },
      { type: 'Hostname', address: 'kind-worker' },
    ]);
    const ipam = (await request(t.http).get('/netsim/v1/ipam').expect(200)).body;
    expect(ipam.nodeAddressesIPv6).toMatchObject({ range: 'fc00:f853:ccd:e793::/64', used: 3 });
  });

  it('builds flannel\'s IPv6 side: cni0\'s ::1, flannel-v6.1 with the pod CIDR\'s network /128, a /64 route per peer', async () => {
    const routes = (await request(t.http).get('/netsim/v1/nodes/kind-worker/routes').expect(200)).body.routes;
    expect(routes).toEqual(
      expect.arrayContaining([
        'fd00:10:244:1::/64 dev cni0 proto kernel metric 256',
        'fd00:10:244:1:: dev flannel-v6.1 proto kernel metric 256',
        'default via fc00:f853:ccd:e793::1 dev eth0',
        'fd00:10:244::/64 via fd00:10:244:: dev flannel-v6.1 onlink',
        'fd00:10:244:2::/64 via fd00:10:244:2:: dev flannel-v6.1 onlink',
        '10.244.2.0/24 via 10.244.2.0 dev flannel.1 onlink',
      ]),
    );
    const text = (await request(t.http).get('/netsim/v1/nodes/kind-worker/interfaces?format=text').expect(200)).text;
    expect(text).toContain('    inet6 fd00:10:244:1::1/64 scope global');
    expect(text).toContain('5: flannel-v6.1: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1430 state UP\n    vxlan id 1 local fc00:f853:ccd:e793::3 dev eth0 srcport 0 0 dstport 8472 nolearning\n    inet6 fd00:10:244:1::/128 scope global');
  });

  it('sends a pod\'s IPv6 connection to a dual-stack name through the ip6tables rules and flannel-v6.1', async () => {
    const from = `pod/default/${client().metadata.name}`;
    const body = (await send({ from, to: 'web:80', family: 'ipv6' }).expect(200)).body;
    const outcomes: Outcome[] = body.outcomes;
    expect(outcomes).toHaveLength(3);
    expect(sum(outcomes)).toBe(1);
    expect(body.resolution).toMatchObject({ addresses: [services.web.clusterIPs[0]], aaaa: [services.web.clusterIPs[1]] });
    for (const o of outcomes) {
      expect(o.result).toBe('delivered');
      expect(o.destination!.ip).toMatch(/^fd00:10:244:[12]::[23]$/);
      expect(o.replySource).toBe(`[${services.web.clusterIPs[1]}]:80`);
    }
    const remote = outcomes.find((o) => o.destination!.node === 'kind-worker')!;
    expect(remote.seenSource).toBe(`[${client().status.podIPs[1].ip}]:40000`);
    expect(remote.path!.rewrites.map((r) => [r.type, r.by])).toEqual([
      ['DNAT', expect.stringMatching(/^KUBE-SEP-/)],
      ['VXLAN', 'flannel-v6.1'],
    ]);
    expect(remote.path!.rewrites[1].after).toBe('[fc00:f853:ccd:e793::3]:8472');
    // Without `family`, the same name is tried by its A record first.
    const v4 = (await send({ from, to: 'web:80' }).expect(200)).body.outcomes as Outcome[];
    for (const o of v4) expect(o.destination!.ip).toMatch(/^10\.244\./);
  });

  it('pings an IPv6 pod as ICMPv6 echo (128, answered by 129), and a closed IPv6 UDP port answers with ICMPv6 port unreachable', async () => {
    const from = `pod/default/${client().metadata.name}`;
    const target = pods.find((p) => p.spec.nodeName === 'kind-worker')!.status.podIPs[1].ip;
    type Hop = { packet: { protocol: string; icmpType?: number; icmpCode?: number } };
    const body = (await send({ from, to: target, protocol: 'icmp' }, '?detail=hops').expect(200)).body;
    expect(body.outcomes).toHaveLength(1);
    const ping = body.outcomes[0] as Outcome & { hops: Hop[]; reply: Hop[] };
    expect(ping).toMatchObject({ result: 'delivered', destination: { ip: target, node: 'kind-worker' }, seenSource: client().status.podIPs[1].ip, replySource: target });
    expect(new Set(ping.hops.map((h) => `${h.packet.protocol} ${h.packet.icmpType}`))).toEqual(new Set(['icmpv6 128']));
    expect(new Set(ping.reply.map((h) => `${h.packet.protocol} ${h.packet.icmpType}`))).toEqual(new Set(['icmpv6 129']));
    // A datagram to a closed port: the ICMPv6 error (1/4) is traced back to the client.
    const udp = (await send({ from, to: `[${target}]:9999`, protocol: 'udp' }, '?detail=hops').expect(200)).body.outcomes[0] as Outcome & { reason: string; reply: Hop[] };
    expect(udp).toMatchObject({ result: 'refused', reason: expect.stringContaining('(ICMPv6 port unreachable)') });
    expect(udp.reply.length).toBeGreaterThan(0);
    for (const h of udp.reply) expect(h.packet).toMatchObject({ protocol: 'icmpv6', icmpType: 1, icmpCode: 4 });
  });

  it('reaches the other family\'s ClusterIP of the same Service, and an AAAA-only name', async () => {
    const from = `pod/default/${client().metadata.name}`;
    const direct = (await send({ from, to: `[${services.web.clusterIPs[1]}]:80` }).expect(200)).body.outcomes as Outcome[];
    expect(direct.map((o) => o.result)).toEqual(['delivered', 'delivered', 'delivered']);
    const six = (await send({ from, to: 'web-v6:80' }).expect(200)).body;
    expect(six.resolution).toMatchObject({ addresses: [], aaaa: services['web-v6'].clusterIPs });
    expect(sum(six.outcomes)).toBe(1);
    // Asked for an A record, an IPv6-only Service has none.
    const none = (await send({ from, to: 'web-v6:80', family: 'ipv4' }).expect(200)).body.outcomes as Outcome[];
    expect(none.map((o) => o.result)).toEqual(['nxdomain']);
    // Leaving the cluster over IPv6: flannel's ip6tables rule masquerades the pod to its node's IPv6 address.
    const out = (await send({ from, to: '[2001:db8::1]:80' }).expect(200)).body.outcomes;
    expect(out.map((o: Outcome) => o.result)).toEqual(['external']);
    expect(out[0].verdict.notes).toContainEqual({
      reason: 'Masquerade',
      message: `flanneld's rule on kind-worker2 masqueraded the source to [fc00:f853:ccd:e793::4]:40000: pod traffic leaving the pod network (fd00:10:244::/56) takes the node's address ("flanneld masq").`,
    });
    const service = (await send({ from, to: 'service/default/web-dual:80', family: 'ipv6' }).expect(200)).body.outcomes as Outcome[];
    expect(service[0].replySource).toBe(`[${services['web-dual'].clusterIPs[1]}]:80`);
  });

  it('takes an outside IPv6 client to a NodePort on a node\'s IPv6 address, masqueraded to the node', async () => {
    const body = (await send({ from: 'external/fc00:f853:ccd:e793::99', to: '[fc00:f853:ccd:e793::3]:30090' }).expect(200)).body;
    const outcomes: Outcome[] = body.outcomes;
    expect(sum(outcomes)).toBe(1);
    expect(outcomes).toHaveLength(3);
    for (const o of outcomes) expect(o.result).toBe('delivered');
    const local = outcomes.filter((o) => o.destination!.node === 'kind-worker');
    expect(local.map((o) => o.seenSource)).toEqual(['[fd00:10:244:1::1]:40000', '[fd00:10:244:1::1]:40000']);
    const text = (await send({ from: 'external/fc00:f853:ccd:e793::99', to: '[fc00:f853:ccd:e793::3]:30090' }, '?format=text').expect(200)).text;
    expect(text).toContain('kind-worker: in eth0 from outside > out flannel-v6.1');
    expect(text).toContain('kind-worker2: in flannel-v6.1 > out cni0');
  });

  it('diagnoses an IPv6 Service as an IPv4 one: every check passes, the port check names the bracketed address', async () => {
    const from = `pod/default/${client().metadata.name}`;
    const diagnose = async (to: string) => (await request(t.http).get('/netsim/v1/diagnose').query({ from, to }).expect(200)).body;
    const six = services['web-v6'].clusterIPs[0];
    for (const to of ['web-v6:80', `[${six}]:80`, 'service/default/web-v6:80']) {
      const d = await diagnose(to);
      expect({ to, ok: d.ok, service: d.service, failing: d.firstFailure }).toEqual({ to, ok: true, service: 'default/web-v6', failing: null });
    }
    const wrongPort = await diagnose(`[${six}]:443`);
    expect(wrongPort.checks.find((c: { status: string }) => c.status === 'fail')).toMatchObject({ reason: 'PortNotInService', message: `${six} is default/web-v6's ClusterIP, which has no port 443 (its ports: 80/TCP).` });
  });

  it('refuses what no IPv6 packet can be, naming the field, and sends nothing', async () => {
    const from = `pod/default/${client().metadata.name}`;
    const cause = async (body: object) => (await send(body).expect(422)).body.details.causes[0];
    // Unbracketed, the last group is read as part of the address, as any IPv6 parser reads it.
    expect(await cause({ from, to: 'fd00:10:96::1:80' })).toMatchObject({ field: 'to', message: 'to: "fd00:10:96::1:80" needs a port between 1 and 65535 (HOST:PORT, [IPv6]:PORT)' });
    expect(await cause({ from, to: '[fd00::zz]:80' })).toMatchObject({ field: 'to', message: 'to: "fd00::zz" is not an IPv6 address' });
    expect(await cause({ from: 'external/203.0.113.7', to: '[fc00:f853:ccd:e793::3]:30090' })).toMatchObject({ field: 'from.external' });
    // Only echo has an ICMPv6 counterpart.
    expect(await cause({ from, to: services.web.clusterIPs[1], protocol: 'icmp', icmpType: 'timestamp-request' })).toMatchObject({ field: 'icmpType', message: expect.stringContaining('13 has no ICMPv6 counterpart') });
    expect(await cause({ from, to: 'web:80', family: 'inet6' })).toMatchObject({ field: 'family' });
    expect(await cause({ from, to: 'service/default/web-v4:80', family: 'ipv6' })).toMatchObject({
      field: 'to',
      message: 'to: service default/web-v4 has no IPv6 ClusterIP (ipFamilies: IPv4)',
    });
  });
});

describe('traffic on an IPv6-only cluster (e2e)', () => {
  let t: TestApp;
  afterEach(() => t?.close());

  it('carries pods\' connections, NodePorts and the kubernetes Service\'s endpoints in IPv6', async () => {
    t = await startTestApp({ IP_FAMILY: 'ipv6', CLUSTER_FILE: 'fixtures/clusters/ipv6.yaml' });
    const slices = (await request(t.http).get('/apis/discovery.k8s.io/v1/namespaces/default/endpointslices?labelSelector=kubernetes.io/service-name=kubernetes').expect(200)).body.items;
    expect(slices.map((s: { addressType: string; endpoints: { addresses: string[] }[] }) => [s.addressType, s.endpoints.map((e) => e.addresses)])).toEqual([
      ['IPv6', [['fc00:f853:ccd:e793::2']]],
    ]);
    const pods = (await request(t.http).get('/api/v1/namespaces/default/pods').expect(200)).body.items;
    const traffic = (await request(t.http).post('/netsim/v1/traffic').send({ from: `pod/default/${pods[0].metadata.name}`, to: 'web:80' }).expect(200)).body;
    expect(traffic.resolution).toMatchObject({ addresses: [], aaaa: [expect.stringMatching(/^fd00:10:96::/)] });
    expect(sum(traffic.outcomes)).toBe(1);
    for (const o of traffic.outcomes as Outcome[]) expect(o.result).toBe('delivered');
    const nodePort = (await request(t.http).post('/netsim/v1/traffic').send({ from: 'external/fc00:f853:ccd:e793::99', to: '[fc00:f853:ccd:e793::4]:30080' }).expect(200)).body;
    expect((nodePort.outcomes as Outcome[]).map((o) => o.result)).toEqual(['delivered', 'delivered', 'delivered']);
    // A pod without an IPv4 address has no route to one.
    const v4 = (await request(t.http).post('/netsim/v1/traffic').send({ from: `pod/default/${pods[0].metadata.name}`, to: '172.18.0.3:10250' }).expect(200)).body.outcomes;
    expect(v4.map((o: Outcome) => o.result)).toEqual(['no-route']);
  });

  it('refuses an IPv6 destination on an IPv4 cluster', async () => {
    t = await startTestApp({ CLUSTER_FILE: 'fixtures/clusters/demo.yaml' });
    const bad = (await request(t.http).post('/netsim/v1/traffic').send({ from: 'pod/default/db-0', to: '[fd00::1]:80' }).expect(422)).body;
    expect(bad.details.causes[0]).toMatchObject({ field: 'to', message: 'to: "[fd00::1]:80": fd00::1 is IPv6, and this cluster has no IPv6 pod network' });
  });
});
