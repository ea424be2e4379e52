/**
 * The forms of kube-netsim's answers over HTTP (docs/dataplane.md, "Reading
 * an answer" and "The text form"): the summary answer of
 * POST /netsim/v1/traffic and its `detail=hops`, the text form of traffic
 * and trace chosen by `format` or `Accept`, and the refusals of what is not
 * offered.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import request from 'supertest';
import type { DetailedOutcome, SummaryOutcome } from '../src/dataplane/answer-detail';
import { DEMO, startTestApp, type TestApp } from './support/test-app';

/** An outcome as it comes over HTTP: the summary, its hops with detail=hops. */
type Outcome = SummaryOutcome & Partial<Pick<DetailedOutcome, 'hops' | 'reply'>>;

const FIXTURES = join(__dirname, '..', 'fixtures', 'netfilter');

describe('answer forms (e2e)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp(DEMO);
  });
  afterAll(() => t.close());

  const post = (query = '') => request(t.http).post(`/netsim/v1/traffic${query}`);
  const clusterIP = async (name: string): Promise<string> => (await request(t.http).get(`/api/v1/namespaces/default/services/${name}`).expect(200)).body.spec.clusterIP;

  it('answers a summary by default: the nodes crossed and each rewrite, before and after, no hops', async () => {
    const ip = await clusterIP('web');
    const res = await post().send({ from: 'pod/default/db-0', to: 'web:80' }).expect(200);
    const outcomes = res.body.outcomes as Outcome[];
    expect(outcomes).toHaveLength(3);
    for (const o of outcomes) {
      expect(Object.keys(o)).not.toContain('hops');
      expect(Object.keys(o)).not.toContain('reply');
      const pod = `${o.destination!.ip}:${o.destination!.port}`;
      const remote = o.destination!.node !== 'kind-worker2';
      expect(o.path.nodes).toEqual(remote ? ['kind-worker2', o.destination!.node] : ['kind-worker2']);
      expect(o.path.rewrites[0]).toEqual({ node: 'kind-worker2', type: 'DNAT', by: expect.stringMatching(/^KUBE-SEP-[A-Z2-7]{16}$/), before: `${ip}:80`, after: pod });
      if (remote) {
        const nodeIP = o.destination!.node === 'kind-worker' ? '172.18.0.3' : '172.18.0.2';
        expect(o.path.rewrites[1]).toEqual({ node: 'kind-worker2', type: 'VXLAN', by: 'flannel.1', to: o.destination!.node, before: pod, after: `${nodeIP}:8472` });
      }
      // The reply: conntrack undoes the DNAT on the client's node, so the answer comes from the ClusterIP.
      expect(o.replyPath.nodes[o.replyPath.nodes.length - 1]).toBe('kind-worker2');
      expect(o.replyPath.rewrites[o.replyPath.rewrites.length - 1]).toEqual({ node: 'kind-worker2', type: 'SNAT', by: 'conntrack', before: pod, after: `${ip}:80` });
    }
    // One outcome is well under 4 KB.
    expect(res.text.length / 3).toBeLessThan(4096);
  });

  it('shows the masquerade of an outside client reaching a NodePort, by the chain that did it', async () => {
    const { outcomes } = (await post().send({ from: { external: '203.0.113.7' }, to: '172.18.0.4:30080' }).expect(200)).body as { outcomes: Outcome[] };
    for (const o of outcomes) {
      expect(o.path.rewrites).toContainEqual({ node: 'kind-worker2', type: 'MASQUERADE', by: 'KUBE-POSTROUTING', before: '203.0.113.7:40000', after: o.seenSource });
    }
  });

  it('gives every hop and its rules with detail=hops, the summary too', async () => {
    const body = { from: 'pod/default/db-0', to: 'web:80' };
    const summary = (await post().send(body).expect(200)).body as { outcomes: Outcome[] };
    const detailed = (await post('?detail=hops').send(body).expect(200)).body as { outcomes: Outcome[] };
    expect(detailed.outcomes.map(({ hops: _h, reply: _r, ...rest }) => rest)).toEqual(summary.outcomes);
    const steps = detailed.outcomes[0].hops!.flatMap((h) => h.rules);
    expect(steps.some((s) => s.chain === 'KUBE-SERVICES' && s.action.startsWith('jump KUBE-SVC-'))).toBe(true);
    expect(detailed.outcomes[0].reply!.length).toBeGreaterThan(0);
    expect((await post('?detail=summary').send(body).expect(200)).body).toEqual(summary);
  });

  it('keeps each form of a kept answer: the same bytes again, the large one gzip-compressed', async () => {
    const body = { from: 'pod/default/db-0', to: 'web:80' };
    const first = await post('?detail=hops').set('Accept-Encoding', 'identity').send(body).expect(200);
    const again = await post('?detail=hops').set('Accept-Encoding', 'gzip').send(body).expect(200);
    expect(again.headers['content-encoding']).toBe('gzip');
    expect(again.body).toEqual(first.body);
    const text1 = await post('?format=text').send(body).expect(200);
    const text2 = await post('?format=text').send(body).expect(200);
    expect(text2.text).toBe(text1.text);
    // The text form is kept too, and a large one goes out compressed the second time.
    const hopsText = await post('?format=text&detail=hops').set('Accept-Encoding', 'identity').send(body).expect(200);
    expect(hopsText.text.length).toBeGreaterThan(4096);
    const hopsAgain = await post('?format=text&detail=hops').set('Accept-Encoding', 'gzip').send(body).expect(200);
    expect(hopsAgain.headers['content-encoding']).toBe('gzip');
    expect(hopsAgain.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(hopsAgain.text).toBe(hopsText.text);
    // The form depends on Accept: a cache must key on it.
    for (const res of [first, again, text1, hopsAgain]) expect(res.headers.vary).toBe('Accept, Accept-Encoding');
  });

  it('refuses an unknown detail with a 422 Status naming the field, changing nothing', async () => {
    const res = await post('?detail=rules').send({ from: 'pod/default/db-0', to: 'web:80', mode: 'sample', count: 3, seed: 1, sourcePort: 41000 }).expect(422);
    expect(res.body).toMatchObject({
      kind: 'Status',
      apiVersion: 'v1',
      status: 'Failure',
      reason: 'Invalid',
      code: 422,
      message: 'detail: Unsupported value: "rules": supported values: "summary", "hops"',
      details: { causes: [{ field: 'detail', reason: 'FieldValueNotSupported' }] },
    });
    // The sample was not sent: no connection from port 41000 on the client's node.
    const conntrack = (await request(t.http).get('/netsim/v1/nodes/kind-worker2/conntrack?format=text').expect(200)).text;
    expect(conntrack).not.toContain('sport=41000');
  });

  describe('the text form', () => {
    const body = { from: 'pod/default/db-0', to: 'web:80' };

    it('answers text/plain for ?format=text and for Accept: text/plain, lines within 80 columns', async () => {
      const byParam = await post('?format=text').send(body).expect(200);
      expect(byParam.headers['content-type']).toBe('text/plain; charset=utf-8');
      expect(byParam.text.split('\n').slice(0, 4)).toEqual([
        'from pod/default/db-0 (10.244.2.2, on kind-worker2)',
        'to web:80 tcp',
        `   web: web.default.svc.cluster.local is ${await clusterIP('web')} (Service default/web)`,
        '3 outcomes',
      ]);
      for (const line of byParam.text.split('\n')) expect([...line].length).toBeLessThanOrEqual(80);
      const byAccept = await post().set('Accept', 'text/plain').send(body).expect(200);
      expect(byAccept.text).toBe(byParam.text);
      // q-values: text preferred to JSON.
      expect((await post().set('Accept', 'application/json;q=0.5, text/*').send(body).expect(200)).headers['content-type']).toMatch(/^text\/plain/);
      // JSON when both are as welcome, or for anything (browsers' */*).
      expect((await post().set('Accept', 'text/plain, application/json').send(body).expect(200)).headers['content-type']).toMatch(/^application\/json/);
      expect((await post().set('Accept', '*/*').send(body).expect(200)).headers['content-type']).toMatch(/^application\/json/);
    });

    it('lets ?format win over Accept, and shows every step with detail=hops', async () => {
      const json = await post('?format=json').set('Accept', 'text/plain').send(body).expect(200);
      expect(json.headers['content-type']).toMatch(/^application\/json/);
      const hops = await post('?format=text&detail=hops').set('Accept', 'application/json').send(body).expect(200);
      expect(hops.text).toMatch(/^ +\| PREROUTING nat KUBE-SERVICES #\d+: jump KUBE-SVC-/m);
    });

    it('refuses a media type it does not offer with 406, and an unknown format with 422', async () => {
      const res = await post().set('Accept', 'application/yaml').send(body).expect(406);
      expect(res.body).toEqual({
        kind: 'Status',
        apiVersion: 'v1',
        metadata: {},
        status: 'Failure',
        message: 'only the following media types are accepted: application/json, text/plain',
        reason: 'NotAcceptable',
        code: 406,
      });
      await post().set('Accept', 'text/plain;q=0, application/json;q=0').send(body).expect(406);
      const bad = await post('?format=yaml').send(body).expect(422);
      expect(bad.body.details.causes).toEqual([{ field: 'format', reason: 'FieldValueNotSupported', message: 'format: Unsupported value: "yaml": supported values: "json", "text"' }]);
    });

    it('gives POST /netsim/v1/trace a text form too', async () => {
      const rules = readFileSync(join(FIXTURES, 'clusterip-2-endpoints.rules'), 'utf8');
      const packet = { hook: 'PREROUTING', inInterface: 'eth0', protocol: 'tcp', source: '203.0.113.2', sourcePort: 40000, destination: '172.30.0.42', destinationPort: 80 };
      const host = { interfaces: [{ name: 'eth0', addresses: ['192.168.0.2/24'] }, { name: 'cni0', addresses: ['10.180.0.254/24'] }], routes: [{ destination: 'default', via: '192.168.0.1' }] };
      const text = await request(t.http).post('/netsim/v1/trace').set('Accept', 'text/plain').send({ rules, host, packet }).expect(200);
      const lines = text.text.trimEnd().split('\n');
      expect(lines.slice(0, 4)).toEqual(['tcp 203.0.113.2:40000 > 172.30.0.42:80, entering PREROUTING on eth0', '2 outcomes', '', '1. 50.00% ACCEPT, out cni0']);
      expect(lines).toContain('   DNAT to 10.180.0.2:80, MASQUERADE to 10.180.0.254:40000 (random port)');
      for (const line of lines) expect([...line].length).toBeLessThanOrEqual(80);
      await request(t.http).post('/netsim/v1/trace?format=text').send({ rules, host, packet }).expect(200);
      await request(t.http).post('/netsim/v1/trace').set('Accept', 'application/xml').send({ rules, host, packet }).expect(406);
      const json = await request(t.http).post('/netsim/v1/trace').send({ rules, host, packet }).expect(200);
      expect(json.body.outcomes).toHaveLength(2);
      expect([text.headers.vary, json.headers.vary]).toEqual(['Accept', 'Accept']);
    });
  });
});
