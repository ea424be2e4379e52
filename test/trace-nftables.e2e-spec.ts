/**
 * POST /netsim/v1/trace with `nftables`: the ruleset kube-proxy writes in
 * nftables mode (rendered by POST /netsim/v1/kube-proxy/render), traced in
 * both its forms, alone and beside iptables rules; bad input is a 422
 * naming the field.
 */
import request from 'supertest';
import { startTestApp, type TestApp } from './support/test-app';

const RENDER = {
  config: { mode: 'nftables', clusterCIDR: '10.244.0.0/16' },
  serviceCIDRs: ['10.96.0.0/12'],
  node: { name: 'node-a', addresses: ['192.168.0.2'] },
  objects: [
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'web', namespace: 'shop' },
      spec: { type: 'NodePort', clusterIP: '10.96.12.34', ports: [{ name: 'http', port: 80, targetPort: 8080, nodePort: 30080 }] },
    },
    {
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: { name: 'web-1', namespace: 'shop', labels: { 'kubernetes.io/service-name': 'web' } },
      addressType: 'IPv4',
      endpoints: [
        { addresses: ['10.244.0.5'], nodeName: 'node-a' },
        { addresses: ['10.244.1.7'], nodeName: 'node-b' },
      ],
      ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
    },
  ],
};

const toNodePort = { hook: 'PREROUTING', inInterface: 'eth0', protocol: 'tcp', source: '203.0.113.2', sourcePort: 40000, destination: '192.168.0.2', destinationPort: 30080 };

interface Step {
  hook: string;
  table: string;
  chain: string | null;
  ruleNumber: number | null;
  rule: string | null;
  action: string;
}

describe('POST /netsim/v1/trace with nftables (e2e)', () => {
  let t: TestApp;
  let transaction: string;
  let listing: string;
  beforeAll(async () => {
    t = await startTestApp();
    transaction = (await request(t.http).post('/netsim/v1/kube-proxy/render').send(RENDER).expect(200)).text;
    listing = (await request(t.http).post('/netsim/v1/kube-proxy/render').send({ ...RENDER, format: 'list' }).expect(200)).text;
  });
  afterAll(async () => {
    await t.close();
  });

  it('traces a NodePort through the transaction kube-proxy writes: both endpoints with numgen\'s probabilities, masqueraded', async () => {
    const res = await request(t.http).post('/netsim/v1/trace').send({ nftables: transaction, packet: toNodePort }).expect(200);
    const outcomes = res.body.outcomes as { probability: number; dnat: string; masquerade: boolean; verdict: string; steps: Step[] }[];
    expect(outcomes.map((o) => [o.dnat, o.probability, o.masquerade, o.verdict]).sort()).toEqual([
      ['10.244.0.5:8080', 0.5, true, 'ACCEPT'],
      ['10.244.1.7:8080', 0.5, true, 'ACCEPT'],
    ]);
    const steps = outcomes[0].steps;
    const services = steps.find((s) => s.chain === 'services' && s.action.startsWith('vmap @service-nodeports'))!;
    expect(services).toMatchObject({ hook: 'PREROUTING', table: 'ip kube-proxy', ruleNumber: 2 });
    expect(services.rule).toMatch(/^ip daddr @nodeport-ips meta l4proto \. th dport vmap @service-nodeports # handle \d+$/);
    expect(steps.some((s) => s.action.startsWith('numgen: ') && s.action.includes('2147483648/2^32'))).toBe(true);
    expect(steps.find((s) => s.action.startsWith('MASQUERADE'))).toMatchObject({ hook: 'POSTROUTING', table: 'ip kube-proxy', chain: 'masquerading', rule: expect.stringMatching(/^masquerade fully-random # handle \d+$/) });
  });

  it('reads the `nft list ruleset` form to the same outcomes', async () => {
    const a = await request(t.http).post('/netsim/v1/trace').send({ nftables: transaction, packet: toNodePort }).expect(200);
    const b = await request(t.http).post('/netsim/v1/trace').send({ nftables: listing, packet: toNodePort }).expect(200);
    const summary = (body: { outcomes: { dnat: string; probability: number; masquerade: boolean }[] }) => body.outcomes.map((o) => [o.dnat, o.probability, o.masquerade]).sort();
    expect(summary(b.body)).toEqual(summary(a.body));
  });

  it('names nft tables, chains and rule numbers in the text form', async () => {
    const res = await request(t.http).post('/netsim/v1/trace?format=text').send({ nftables: transaction, packet: toNodePort }).expect(200);
    expect(res.text.replace(/\s+/g, ' ')).toContain('PREROUTING ip kube-proxy services #2: vmap @service-nodeports: goto external-');
    expect(res.text.replace(/\s+/g, ' ')).toContain('POSTROUTING ip kube-proxy masquerading #3: MASQUERADE to 192.168.0.2:40000');
  });

  it('runs iptables rules and the nft table side by side: the iptables filter FORWARD policy drops what nft DNATed', async () => {
    const rules = '*filter\n:INPUT ACCEPT [0:0]\n:FORWARD DROP [0:0]\n:OUTPUT ACCEPT [0:0]\nCOMMIT\n';
    const res = await request(t.http).post('/netsim/v1/trace').send({ rules, nftables: transaction, packet: toNodePort }).expect(200);
    for (const o of res.body.outcomes as { verdict: string; dnat: string; steps: Step[] }[]) {
      expect(o.verdict).toBe('DROP');
      expect(o.dnat).toMatch(/^10\.244\.[01]\.\d+:8080$/);
      // Both at priority 0: the iptables filter table runs first, and its policy ends the packet before kube-proxy's filter-forward.
      expect(o.steps.at(-1)).toMatchObject({ hook: 'FORWARD', table: 'filter', action: 'policy DROP' });
      expect(o.steps.some((s) => s.table === 'ip kube-proxy' && s.chain === 'filter-forward')).toBe(false);
    }
  });

  it('refuses a request without rules or nftables, naming `rules`', async () => {
    const res = await request(t.http).post('/netsim/v1/trace').send({ packet: toNodePort }).expect(422);
    expect(res.body).toMatchObject({ kind: 'Status', code: 422, details: { causes: [{ field: 'rules', reason: 'FieldValueRequired' }] } });
  });

  it('refuses unreadable nft text line by line, and a statement the engine does not model by its rule', async () => {
    const bad = await request(t.http).post('/netsim/v1/trace').send({ nftables: 'add table ip t\nadd chain ip t\nfrobnicate\n', packet: toNodePort }).expect(422);
    expect(bad.body.details.causes.map((c: { field: string }) => c.field)).toEqual(['nftables:2', 'nftables:3']);
    const unmodelled = await request(t.http)
      .post('/netsim/v1/trace')
      .send({ nftables: 'add table ip t\nadd chain ip t c { type filter hook input priority 0 ; }\nadd rule ip t c quota over 1 mbytes drop\n', packet: toNodePort })
      .expect(422);
    expect(unmodelled.body.message).toMatch(/^nftables: chain ip t c: rule "quota over 1 mbytes drop" \(handle \d+\): "quota" is not a statement kube-netsim models/);
    expect(unmodelled.body.details.causes[0].field).toBe('nftables');
  });
});
