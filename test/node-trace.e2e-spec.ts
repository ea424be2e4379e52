/**
 * POST /netsim/v1/nodes/{node}/trace: a packet through one node's own tables,
 * iptables or ip6tables, on a dual-stack cluster; the errors for a family the
 * cluster lacks, a packet of the other family and an unknown node.
 */
import request from 'supertest';
import type { TestApp } from './support/test-app';
import { DUAL_STACK, createDualStackWeb, startWorkerCluster } from './support/worker-cluster';

const DUAL = DUAL_STACK;

interface Outcome {
  probability: number;
  dnat?: string;
  masquerade: boolean;
  packet: { mark: number };
  verdict: string;
  steps: Array<{ chain: string; rule?: string }>;
}

describe('node-scoped traces (e2e)', () => {
  let t: TestApp;
  afterEach(() => t?.close());
  const post = (path: string, body: unknown) => request(t.http).post(path).send(body as object);

  async function cluster(env: Record<string, string>) {
    t = await startWorkerCluster(env);
  }

  const packet = (source: string, destination: string) => ({ hook: 'PREROUTING', inInterface: 'eth0', protocol: 'tcp', source, sourcePort: 40000, destination, destinationPort: 80 });

  it("traces an IPv6 ClusterIP packet through the node's ip6tables tables: each endpoint at 1/2, marked for masquerade from outside the cluster CIDR", async () => {
    await cluster(DUAL);
    const [v4, v6] = await createDualStackWeb(t);

    const six = (await post('/netsim/v1/nodes/worker/trace', { family: 'ipv6', packet: packet('2600:5200::1', v6) }).expect(200)).body;
    expect(six.family).toBe('ipv6');
    const outcomes = six.outcomes as Outcome[];
    // kube-proxy's masquerade: the node routes the packet out cni0 to its pod, and KUBE-POSTROUTING masquerades it (the mark cleared on the way).
    expect(outcomes.map((o) => [o.dnat, o.probability, o.masquerade, o.packet.mark]).sort()).toEqual([
      ['[fd00:10:244::2]:8080', 0.5, true, 0],
      ['[fd00:10:244::3]:8080', 0.5, true, 0],
    ]);
    // The rules crossed are the IPv6 proxier's, as ip6tables-save prints them.
    const rules = outcomes[0].steps.map((s) => s.rule ?? '').join('\n');
    expect(rules).toContain(`-A KUBE-SERVICES -d ${v6}/128 -p tcp -m comment --comment "default/web cluster IP" -m tcp --dport 80 -j KUBE-SVC-`);

    // From a pod of the cluster CIDR: no masquerade, but for the hairpin back to itself (KUBE-SEP's `-s` rule).
    // The family follows the packet when not given.
    const inside = (await post('/netsim/v1/nodes/worker/trace', { packet: { ...packet('fd00:10:244::2', v6), inInterface: 'cni0' } }).expect(200)).body;
    expect(inside.family).toBe('ipv6');
    expect((inside.outcomes as Outcome[]).map((o) => [o.dnat, o.masquerade]).sort()).toEqual([
      ['[fd00:10:244::2]:8080', true],
      ['[fd00:10:244::3]:8080', false],
    ]);

    // The same Service's IPv4 ClusterIP crosses the iptables tables.
    const four = (await post('/netsim/v1/nodes/worker/trace', { packet: packet('203.0.113.9', v4) }).expect(200)).body;
    expect(four.family).toBe('ipv4');
    expect((four.outcomes as Outcome[]).map((o) => [o.dnat, o.masquerade]).sort()).toEqual([
      ['10.244.0.2:8080', true],
      ['10.244.0.3:8080', true],
    ]);

    // The text form, as POST /netsim/v1/trace answers it.
    const text = (await post('/netsim/v1/nodes/worker/trace?format=text', { family: 'ipv6', packet: packet('2600:5200::1', v6) }).expect(200)).text;
    expect(text).toContain('[fd00:10:244::2]:8080');

    // ICMPv6 through the ip6tables tables: Neighbour Discovery untracked, an echo NEW (kube-proxy DNATs only tcp, udp and sctp).
    const icmp6 = (over: object) => ({ hook: 'PREROUTING', inInterface: 'eth0', protocol: 'icmpv6', source: 'fe80::1', destination: 'ff02::1:ff00:2', ...over });
    const nd = (await post('/netsim/v1/nodes/worker/trace', { family: 'ipv6', packet: icmp6({ icmpType: 'neighbour-solicitation' }) }).expect(200)).body;
    expect(nd.outcomes[0].conntrack.state).toBe('UNTRACKED');
    const echo = (await post('/netsim/v1/nodes/worker/trace?format=text', { packet: icmp6({ protocol: 'ipv6-icmp', source: '2600:5200::1', destination: v6, icmpType: 128, icmpId: 7 }) }).expect(200)).text;
    expect(echo).toMatch(new RegExp(`^icmpv6 2600:5200::1 > ${v6} echo-request id 7, entering PREROUTING on\\s+eth0\\n`));
    expect(echo).toContain(`conntrack NEW (original): icmpv6 2600:5200::1 -> ${v6} type=128`);
  });

  it('refuses a packet of the other family, ipv6 on an IPv4 cluster, and an unknown node, naming what is wrong', async () => {
    await cluster(DUAL);
    const mixed = (await post('/netsim/v1/nodes/worker/trace', { family: 'ipv6', packet: packet('203.0.113.9', 'fd00:10:96::1') }).expect(422)).body;
    expect(mixed).toMatchObject({
      kind: 'Status',
      reason: 'Invalid',
      message: 'packet.source: "203.0.113.9" is an IPv4 address, but the request\'s family is ipv6 (one request traces one family)',
      details: { causes: [{ field: 'packet.source' }] },
    });
    const unknown = (await post('/netsim/v1/nodes/nowhere/trace', { packet: packet('203.0.113.9', '10.96.0.1') }).expect(404)).body;
    expect(unknown.message).toBe('nodes "nowhere" not found');
    const badFamily = (await post('/netsim/v1/nodes/worker/trace', { family: 'inet6', packet: packet('203.0.113.9', '10.96.0.1') }).expect(422)).body;
    expect(badFamily.details.causes[0].field).toBe('family');
    await t.close();

    await cluster({});
    const none = (await post('/netsim/v1/nodes/worker/trace', { packet: packet('2600:5200::1', 'fd00:10:96::1') }).expect(400)).body;
    expect(none).toMatchObject({ reason: 'BadRequest', details: { causes: [{ field: 'family' }] } });
  });
});
