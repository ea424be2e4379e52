import request from 'supertest';
import { DEMO, startTestApp, TestApp } from './support/test-app';

interface Hop {
  node: string | null;
  where: string;
  packet: { source: string; sourcePort: number; destination: string; destinationPort: number };
  encapsulation: { type: string; vni: number; outer: { destinationPort: number } } | null;
  ttl: number | null;
}
interface Rewrite {
  node: string;
  type: string;
  by: string;
  before: string;
  after: string;
  to?: string;
}
interface Outcome {
  probability: number;
  result: string;
  destination: { pod: string | null; node: string | null; ip: string; port: number } | null;
  seenSource: string | null;
  path: { nodes: string[]; rewrites: Rewrite[] };
  replyPath: { nodes: string[]; rewrites: Rewrite[] };
  /** With detail=hops only. */
  hops: Hop[];
  reply: Hop[];
  replySource?: string | null;
}
interface Pod {
  metadata: { name: string; deletionTimestamp?: string };
  spec: { nodeName: string };
  status: { podIP: string };
}

describe('traffic through the pod network (e2e)', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await startTestApp(DEMO);
  });
  afterEach(() => t.close());

  const get = async (path: string) => (await request(t.http).get(path).expect(200)).body;
  const send = async (body: object, query = ''): Promise<{ outcomes: Outcome[]; samples?: Record<string, number> }> =>
    (await request(t.http).post(`/netsim/v1/traffic${query}`).send(body).expect(200)).body;
  const patch = (path: string, body: object) => request(t.http).patch(path).set('Content-Type', 'application/merge-patch+json').send(body).expect(200);
  const webPods = async (): Promise<Pod[]> =>
    ((await get('/api/v1/namespaces/default/pods?labelSelector=app%3Dweb')).items as Pod[]).filter((p) => !p.metadata.deletionTimestamp);
  const clusterIP = async (name: string): Promise<string> => (await get(`/api/v1/namespaces/default/services/${name}`)).spec.clusterIP;
  const total = (outcomes: Outcome[]) => outcomes.reduce((s, o) => s + o.probability, 0);

  it('a pod reaches web by ClusterIP and by name: each pod 1/3, VXLAN hops for the remote ones, the reply from the ClusterIP', async () => {
    const ip = await clusterIP('web');
    const pods = await webPods();
    for (const to of [`${ip}:80`, 'web:80', 'web.default:80', 'web.default.svc.cluster.local:80', 'service/default/web:http']) {
      const { outcomes } = await send({ from: 'pod/default/db-0', to }, '?detail=hops');
      expect(outcomes.map((o) => o.destination?.pod).sort()).toEqual(pods.map((p) => `default/${p.metadata.name}`).sort());
      for (const o of outcomes) {
        expect(o.result).toBe('delivered');
        expect(o.probability).toBeCloseTo(1 / 3, 8);
        expect(o.seenSource).toBe('10.244.2.2:40000'); // pod to pod: no masquerade
        const remote = o.destination!.node !== 'kind-worker2';
        expect(o.hops.some((h) => h.encapsulation?.type === 'vxlan' && h.encapsulation.vni === 1 && h.encapsulation.outer.destinationPort === 8472)).toBe(remote);
        expect(o.path.rewrites.some((r) => r.type === 'VXLAN' && r.after.endsWith(':8472'))).toBe(remote);
        expect(o.hops[o.hops.length - 1].ttl).toBe(remote ? 62 : 63);
        // The reply is un-NATed on the client's node: the client sees the ClusterIP answer.
        expect(o.replySource).toBe(`${ip}:80`);
        expect(o.reply[o.reply.length - 1].packet).toMatchObject({ source: ip, sourcePort: 80, destination: '10.244.2.2', destinationPort: 40000 });
      }
      expect(total(outcomes)).toBeCloseTo(1, 10);
    }
  });

  it('an outside client reaches the NodePort: Cluster masquerades to any pod, Local keeps the source and only local pods', async () => {
    const cluster = await send({ from: { external: '203.0.113.7' }, to: '172.18.0.3:30080' });
    expect(cluster.outcomes).toHaveLength(3);
    for (const o of cluster.outcomes) {
      expect(o.result).toBe('delivered');
      expect(o.seenSource).toMatch(/^10\.244\.1\.[01]:/); // masqueraded to kind-worker's cni0 or flannel.1 address
      expect(o.replySource).toBe('172.18.0.3:30080');
    }
    await patch('/api/v1/namespaces/default/services/web-nodeport', { spec: { externalTrafficPolicy: 'Local' } });
    const local = await send({ from: { external: '203.0.113.7' }, to: '172.18.0.3:30080' });
    expect(local.outcomes).toHaveLength(2);
    for (const o of local.outcomes) {
      expect(o).toMatchObject({ result: 'delivered', seenSource: '203.0.113.7:40000' });
      expect(o.destination!.node).toBe('kind-worker');
      expect(o.probability).toBeCloseTo(1 / 2, 8);
    }
    const none = await send({ from: { external: '203.0.113.7' }, to: '172.18.0.2:30080' });
    expect(none.outcomes).toEqual([expect.objectContaining({ result: 'dropped', probability: 1 })]);
    // The outside client written as GET /netsim/v1/diagnose takes it.
    expect((await send({ from: 'external/203.0.113.7', to: '172.18.0.2:30080' })).outcomes).toEqual(none.outcomes);
  });

  it('a pod reaching its own Service is masqueraded (hairpin)', async () => {
    const self = (await webPods()).find((p) => p.spec.nodeName === 'kind-worker')!;
    const { outcomes } = await send({ from: `pod/default/${self.metadata.name}`, to: 'web:80' });
    const hairpin = outcomes.find((o) => o.destination?.pod === `default/${self.metadata.name}`)!;
    expect(hairpin.result).toBe('delivered');
    expect(hairpin.seenSource).toMatch(/^10\.244\.1\.1:/);
    for (const o of outcomes.filter((x) => x !== hairpin)) expect(o.seenSource).toBe(`${self.status.podIP}:40000`);
  });

  it('session affinity keeps 100 sampled connections on one pod', async () => {
    await patch('/api/v1/namespaces/default/services/web', { spec: { sessionAffinity: 'ClientIP' } });
    const { samples } = await send({ from: 'pod/default/db-0', to: 'web:80', mode: 'sample', count: 100, seed: 7 });
    expect(Object.values(samples!)).toEqual([100]);
    // Without affinity the same sample spreads over the three pods.
    await patch('/api/v1/namespaces/default/services/web', { spec: { sessionAffinity: 'None', sessionAffinityConfig: null } });
    const spread = await send({ from: 'pod/default/db-0', to: 'web:80', mode: 'sample', count: 100, seed: 7, sourcePort: 50000 });
    expect(Object.keys(spread.samples!)).toHaveLength(3);
    expect(Object.values(spread.samples!).reduce((a, b) => a + b, 0)).toBe(100);
  });

  it('web scaled to 0 answers rejected', async () => {
    await patch('/apis/apps/v1/namespaces/default/deployments/web/scale', { spec: { replicas: 0 } });
    await request(t.http).post('/netsim/v1/clock/advance').send({ seconds: 60 }).expect(200);
    const { outcomes } = await send({ from: 'pod/default/db-0', to: 'web:80' });
    expect(outcomes).toEqual([expect.objectContaining({ result: 'rejected', probability: 1 })]);
  });

  it('after a node failure and 5 minutes, traffic reaches only the replacement pods', async () => {
    const before = new Set((await webPods()).map((p) => p.metadata.name));
    await request(t.http).post('/netsim/v1/nodes/kind-worker/kubelet/stop').expect(200);
    await request(t.http).post('/netsim/v1/clock/advance').send({ seconds: 341 }).expect(200);
    const { outcomes } = await send({ from: 'pod/default/db-0', to: 'web:80' });
    expect(outcomes).toHaveLength(3);
    for (const o of outcomes) {
      expect(o.result).toBe('delivered');
      expect(o.destination!.node).toBe('kind-worker2');
    }
    expect(outcomes.filter((o) => !before.has(o.destination!.pod!.split('/')[1]))).toHaveLength(2);
  });

  it('a name that does not exist is nxdomain; an undeclared port is refused', async () => {
    const { outcomes } = await send({ from: 'pod/default/db-0', to: 'nosuch:80' });
    expect(outcomes).toEqual([expect.objectContaining({ result: 'nxdomain', probability: 1 })]);
    const pod = (await webPods())[0];
    const refused = await send({ from: 'pod/default/db-0', to: `pod/default/${pod.metadata.name}:9999` });
    expect(refused.outcomes).toEqual([expect.objectContaining({ result: 'refused', probability: 1 })]);
    const dns = await send({ from: 'pod/default/db-0', to: 'kube-dns.kube-system:53', protocol: 'udp' });
    expect(dns.outcomes.map((o) => o.result)).toEqual(['delivered', 'delivered']);
  });

  it('sampled traffic fills conntrack; routes and interfaces read like ip route / ip addr', async () => {
    await send({ from: 'pod/default/db-0', to: 'web:80', mode: 'sample', count: 5, seed: 1 });
    const table = await get('/netsim/v1/nodes/kind-worker2/conntrack');
    expect(table.items.length).toBeGreaterThanOrEqual(5);
    const text = await request(t.http).get('/netsim/v1/nodes/kind-worker2/conntrack?format=text').expect(200);
    expect(text.text).toMatch(/^tcp\s+6 \d+ \S+ src=10\.244\.2\.2 dst=\S+ sport=40000 dport=80 /m);
    const routes = await get('/netsim/v1/nodes/kind-worker/routes');
    expect(routes.routes).toEqual(
      expect.arrayContaining(['default via 172.18.0.1 dev eth0', '10.244.0.0/24 via 10.244.0.0 dev flannel.1 onlink', '10.244.1.0/24 dev cni0 proto kernel scope link src 10.244.1.1']),
    );
    const addr = await request(t.http).get('/netsim/v1/nodes/kind-worker/interfaces?format=text').expect(200);
    expect(addr.text).toContain('inet 10.244.1.0/32 scope global flannel.1');
    await request(t.http).get('/netsim/v1/nodes/nosuch/routes').expect(404);
  });

  it('gives the same answer again while the cluster stands still, gzip-compressed when the client accepts it', async () => {
    const body = { from: 'pod/default/db-0', to: 'web:80' };
    // The hop-by-hop form (the summary is too small to be worth compressing).
    const url = '/netsim/v1/traffic?detail=hops';
    const plain = await request(t.http).post(url).set('Accept-Encoding', 'identity').send(body).expect(200);
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.headers['vary']).toBe('Accept, Accept-Encoding');
    const gzipped = await request(t.http).post(url).set('Accept-Encoding', 'gzip').send(body).expect(200);
    expect(gzipped.headers['content-encoding']).toBe('gzip');
    expect(Number(gzipped.headers['content-length'])).toBeLessThan(Number(plain.headers['content-length']) / 5);
    expect(gzipped.body).toEqual(plain.body);
    // The clock moves: the same question is worked out again, and the answer is the same.
    await request(t.http).post('/netsim/v1/clock/advance').send({ seconds: 1 }).expect(200);
    expect((await request(t.http).post(url).send(body).expect(200)).body).toEqual(plain.body);
  });

  it('refuses bad requests with 422 and unknown pods with 404, never 500', async () => {
    await request(t.http).post('/netsim/v1/traffic').send({ from: 'pod/default/db-0' }).expect(422);
    const bad = (await request(t.http).post('/netsim/v1/traffic').send({ from: 'somewhere', to: 'web:80' }).expect(422)).body;
    // The same words as GET /netsim/v1/diagnose and the simulator: one parser.
    expect(bad.details.causes).toEqual([
      { field: 'from', reason: 'FieldValueInvalid', message: 'Invalid value: "somewhere": must be pod/NAMESPACE/NAME, node/NAME, external/IP or {"external": "IP"}' },
    ]);
    await request(t.http).post('/netsim/v1/traffic').send({ from: { external: 'x' }, to: 'web:80' }).expect(422);
    await request(t.http).post('/netsim/v1/traffic').send({ from: 'pod/default/db-0', to: 'web:80', extra: 1 }).expect(422);
    await request(t.http).post('/netsim/v1/traffic').send({ from: 'pod/default/db-0', to: 'web' }).expect(422);
    await request(t.http).post('/netsim/v1/traffic').send({ from: 'pod/default/nosuch', to: 'web:80' }).expect(404);
    await request(t.http).post('/netsim/v1/traffic').send({ from: 'node/nosuch', to: 'web:80' }).expect(404);
  });
});
