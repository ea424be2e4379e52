import { readFileSync } from 'node:fs';
import path from 'node:path';
import request from 'supertest';
import { DEMO, startTestApp, TestApp } from './support/test-app';

interface Finding {
  kind: 'missing' | 'stale' | 'differs';
  servicePort?: string;
  endpoint?: string;
  message: string;
}

describe("a real node's rules on a simulated node (e2e)", () => {
  jest.setTimeout(60_000);
  let t: TestApp;
  beforeEach(async () => {
    t = await startTestApp(DEMO);
  });
  afterEach(() => t.close());

  const save = async (node: string) => (await request(t.http).get(`/netsim/v1/nodes/${node}/iptables`).expect(200)).text;
  const put = (node: string, text: string, query = '') =>
    request(t.http).put(`/netsim/v1/nodes/${node}/iptables${query}`).set('Content-Type', 'text/plain').send(text);
  const diff = async (node: string, query = '') => (await request(t.http).get(`/netsim/v1/nodes/${node}/iptables/diff${query}`).expect(200)).body;
  const clusterIP = async (name: string) => (await request(t.http).get(`/api/v1/namespaces/default/services/${name}`).expect(200)).body.spec.clusterIP as string;
  const nodeOf = async (pod: string) => (await request(t.http).get(`/api/v1/namespaces/default/pods/${pod}`).expect(200)).body.spec.nodeName as string;
  const podIPs = async (selector: string) =>
    ((await request(t.http).get(`/api/v1/namespaces/default/pods?labelSelector=${selector}`).expect(200)).body.items as { status: { podIP: string } }[]).map((p) => p.status.podIP);

  describe('GET .../iptables/diff', () => {
    it("finds nothing to say about kube-proxy's own rules, and says whose rules they are", async () => {
      const res = await request(t.http).get('/netsim/v1/nodes/kind-worker/iptables/diff').expect(200);
      expect(res.headers['netsim-rules']).toBe('kube-proxy');
      expect(res.body).toMatchObject({ node: 'kind-worker', rules: 'kube-proxy', upToDate: true, summary: { missing: 0, stale: 0, differs: 0 }, findings: [] });
      expect(res.body.servicePorts.node).toBe(res.body.servicePorts.kubeProxy);
      const text = await request(t.http).get('/netsim/v1/nodes/kind-worker/iptables/diff').set('Accept', 'text/plain').expect(200);
      expect(text.headers['content-type']).toMatch(/^text\/plain/);
      expect(text.text).toMatch(/^kind-worker: kube-proxy's rules match what kube-proxy would write now/);
    });

    it('reports a Service removed by hand as missing and a gone pod as a stale endpoint, exactly', async () => {
      // One Service fewer in the cluster, so that the pods of web are behind one Service only.
      await request(t.http).delete('/api/v1/namespaces/default/services/web-nodeport').expect(200);
      const webIPs = await podIPs('app%3Dweb');
      const dbIP = await clusterIP('db');
      // The node's rules as they are, with default/db removed by hand.
      const edited = (await save('kind-worker'))
        .split('\n')
        .filter((line) => !line.includes('default/db:postgres'))
        .join('\n');
      await put('kind-worker', edited).expect(200);
      // One web pod goes: the rules on the node still send web's traffic to it.
      await request(t.http)
        .patch('/apis/apps/v1/namespaces/default/deployments/web/scale')
        .set('Content-Type', 'application/merge-patch+json')
        .send({ spec: { replicas: 2 } })
        .expect(200);
      await request(t.http).post('/netsim/v1/clock/advance').send({ seconds: 60 }).expect(200);
      const left = await podIPs('app%3Dweb');
      const goneIP = webIPs.filter((ip) => !left.includes(ip));
      expect(goneIP).toHaveLength(1);

      const answer = await diff('kind-worker');
      expect(answer).toMatchObject({ node: 'kind-worker', rules: 'imported', upToDate: false, summary: { missing: 1, stale: 1, differs: 0 } });
      const findings: Finding[] = answer.findings;
      expect(findings).toHaveLength(2);
      expect(findings[0]).toMatchObject({ kind: 'missing', servicePort: 'default/db:postgres' });
      expect(findings[0].message).toMatch(new RegExp(`^default/db:postgres is missing \\(no KUBE-SVC-\\w{16} chain\\): kube-proxy would write cluster IP ${dbIP.replace(/\./g, '\\.')}:5432/TCP, 1 endpoint$`));
      expect(findings[1]).toEqual({
        kind: 'stale',
        servicePort: 'default/web:http',
        endpoint: `${goneIP[0]}:8080`,
        message: `default/web:http has a stale endpoint ${goneIP[0]}:8080 (no pod has address ${goneIP[0]}: pod gone)`,
      });

      const text = (await request(t.http).get('/netsim/v1/nodes/kind-worker/iptables/diff?format=text').expect(200)).text.split('\n');
      expect(text[0]).toMatch(/^kind-worker: imported rules \(since 2026-/);
      expect(text).toContain(`STALE    default/web:http has a stale endpoint ${goneIP[0]}:8080 (no pod has`);
      expect(text.some((l) => l.startsWith('MISSING  default/db:postgres is missing'))).toBe(true);

      const unified = await diff('kind-worker', '?unified=true');
      expect(unified.unified).toMatch(/^--- kind-worker \(imported rules on the node\)\n\+\+\+ kind-worker \(what kube-proxy would write now\)\n@@ /);
      expect(unified.unified).toContain(`\n+-A KUBE-SERVICES -d ${dbIP}/32 -p tcp -m comment --comment "default/db:postgres cluster IP" -m tcp --dport 5432 -j KUBE-SVC-`);
      expect(unified.unified).toMatch(new RegExp(`\\n--A KUBE-SEP-\\w{16} -p tcp -m comment --comment "default/web:http" -m tcp -j DNAT --to-destination ${goneIP[0].replace(/\./g, '\\.')}:8080\\n`));
    });

    it('reports a probability that differs when the endpoints are the same', async () => {
      const edited = (await save('kind-worker')).replace(/(--comment "default\/web:http -> \S+" -m statistic --mode random --probability )0\.33333333349/, '$10.50000000000');
      await put('kind-worker', edited).expect(200);
      const answer = await diff('kind-worker');
      expect(answer.findings).toEqual([
        expect.objectContaining({ kind: 'differs', servicePort: 'default/web:http', message: expect.stringMatching(/^default\/web:http: probability of \S+ differs in KUBE-SVC-\w{16}: the node 0\.50000000000, kube-proxy now 0\.33333333349$/) }),
      ]);
    });

    it("a real cluster's workflow: its export imported, a node's dump put on the node of the same name, nothing differs until the cluster moves", async () => {
      const target = await startTestApp({ CLUSTER_FILE: 'none' });
      try {
        const exported = readFileSync(path.join(__dirname, '../fixtures/import/demo-export.yaml'), 'utf8');
        await request(target.http).post('/netsim/v1/import').set('Content-Type', 'application/yaml').send(exported).expect(200);
        const dump = await save('kind-worker2');
        await request(target.http).put('/netsim/v1/nodes/kind-worker2/iptables').set('Content-Type', 'text/plain').send(dump).expect(200);
        const clean = (await request(target.http).get('/netsim/v1/nodes/kind-worker2/iptables/diff').expect(200)).body;
        expect(clean).toMatchObject({ rules: 'imported', upToDate: true, findings: [] });
        expect(clean.servicePorts).toEqual({ node: 7, kubeProxy: 7 });
        await request(target.http).delete('/api/v1/namespaces/default/services/db').expect(200);
        const after = (await request(target.http).get('/netsim/v1/nodes/kind-worker2/iptables/diff').expect(200)).body;
        expect(after.findings.map((f: Finding) => `${f.kind} ${f.servicePort}`)).toEqual(['stale default/db:postgres']);
        expect(after.findings[0].message).toMatch(/^default\/db:postgres is stale \(Service default\/db is gone\): the node still has cluster IP /);
      } finally {
        await target.close();
      }
    });

    it('answers 404 for an unknown node and 422 for a bad flag', async () => {
      const res = await request(t.http).get('/netsim/v1/nodes/nowhere/iptables/diff').expect(404);
      expect(res.body).toMatchObject({ kind: 'Status', reason: 'NotFound', message: 'nodes "nowhere" not found' });
      await request(t.http).get('/netsim/v1/nodes/kind-worker/iptables/diff?unified=maybe').expect(422);
    });
  });

  describe('PUT and DELETE .../iptables', () => {
    it("takes the node's ipsets beside its rules (a source listed in a set is dropped), all or nothing; DELETE empties the sets", async () => {
      const node = await nodeOf('db-0');
      const podIp = (await request(t.http).get('/api/v1/namespaces/default/pods/db-0').expect(200)).body.status.podIP as string;
      const ip = await clusterIP('web');
      const ipsets = `create blocked hash:ip family inet hashsize 1024 maxelem 65536 bucketsize 12 initval 0x5a1c7e22\nadd blocked ${podIp}\n`;
      const dump = (await save(node)).replace(/(\*mangle\n(?::[^\n]*\n)*)/, `$1-A PREROUTING -d ${ip}/32 -m set --match-set blocked src -j DROP\n`);
      // Without the sets, the rule names a set that does not exist: refused as iptables refuses it.
      const refused = await request(t.http).put(`/netsim/v1/nodes/${node}/iptables`).send({ rules: dump }).expect(422);
      expect(refused.body.message).toContain("Set blocked doesn't exist.");
      await request(t.http).put(`/netsim/v1/nodes/${node}/iptables`).send({ rules: dump, ipsets }).expect(200);
      const dropped = (await request(t.http).post('/netsim/v1/traffic').send({ from: 'pod/default/db-0', to: 'web:80' }).expect(200)).body;
      expect(dropped.outcomes).toHaveLength(1);
      expect(dropped.outcomes[0]).toMatchObject({ result: 'dropped' });
      // A set line that does not parse refuses the whole PUT, naming the line; the node keeps what it had.
      const bad = await request(t.http).put(`/netsim/v1/nodes/${node}/iptables`).send({ rules: dump, ipsets: 'create blocked hash:nope\n' }).expect(422);
      expect(bad.body.details.causes[0].field).toBe('ipsets:1');
      expect((await request(t.http).post('/netsim/v1/traffic').send({ from: 'pod/default/db-0', to: 'web:80' }).expect(200)).body.outcomes[0].result).toBe('dropped');
      await request(t.http).delete(`/netsim/v1/nodes/${node}/iptables`).expect(200);
      const back = (await request(t.http).post('/netsim/v1/traffic').send({ from: 'pod/default/db-0', to: 'web:80' }).expect(200)).body;
      expect(back.outcomes.every((o: { result: string }) => o.result === 'delivered')).toBe(true);
    });

    it('makes traffic cross the imported rules: a DROP there drops the Service, and the verdict says the rules are imported', async () => {
      const node = await nodeOf('db-0');
      const ip = await clusterIP('web');
      const before = (await request(t.http).post('/netsim/v1/traffic').send({ from: 'pod/default/db-0', to: 'web:80' }).expect(200)).body;
      expect(before.outcomes.every((o: { result: string }) => o.result === 'delivered')).toBe(true);

      const dump = (await save(node)).replace(/(\*mangle\n(?::[^\n]*\n)*)/, `$1-A PREROUTING -d ${ip}/32 -p tcp -m tcp --dport 80 -j DROP\n`);
      const res = await put(node, dump).expect(200);
      expect(res.body).toMatchObject({ node, rules: 'imported', importedAt: expect.any(String), loaded: { rules: expect.any(Number), kept: 0 } });
      expect(res.headers['netsim-rules']).toBe('imported');
      const printed = await request(t.http).get(`/netsim/v1/nodes/${node}/iptables`).expect(200);
      expect(printed.headers['netsim-rules']).toBe('imported');
      expect(printed.text).toContain(`-A PREROUTING -d ${ip}/32 -p tcp -m tcp --dport 80 -j DROP`);

      const after = (await request(t.http).post('/netsim/v1/traffic').send({ from: 'pod/default/db-0', to: 'web:80' }).expect(200)).body;
      expect(after.outcomes).toHaveLength(1);
      expect(after.outcomes[0]).toMatchObject({ probability: 1, result: 'dropped', verdict: { reason: 'Dropped', client: 'timed-out' } });
      expect(after.outcomes[0].verdict.notes).toContainEqual({
        reason: 'ImportedRules',
        message: expect.stringMatching(new RegExp(`^The rules on ${node} are imported \\(PUT /netsim/v1/nodes/${node}/iptables at 2026-.*\\), not written by kube-proxy`)),
      });

      // kube-proxy no longer writes there: a new Service does not appear on the node.
      await request(t.http)
        .post('/api/v1/namespaces/default/services')
        .send({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'shop' }, spec: { selector: { app: 'web' }, ports: [{ name: 'http', port: 81, targetPort: 8080 }] } })
        .expect(201);
      expect(await save(node)).not.toContain('default/shop:http');
      expect((await diff(node)).findings).toContainEqual(expect.objectContaining({ kind: 'missing', servicePort: 'default/shop:http' }));

      // DELETE gives the node back to kube-proxy: its own rules, the new Service, traffic delivered.
      const back = await request(t.http).delete(`/netsim/v1/nodes/${node}/iptables`).expect(200);
      expect(back.body).toEqual({ node, rules: 'kube-proxy' });
      const ours = await request(t.http).get(`/netsim/v1/nodes/${node}/iptables`).expect(200);
      expect(ours.headers['netsim-rules']).toBe('kube-proxy');
      expect(ours.text).toContain('default/shop:http cluster IP');
      expect(ours.text).not.toContain(`-A PREROUTING -d ${ip}/32 -p tcp -m tcp --dport 80 -j DROP`);
      const again = (await request(t.http).post('/netsim/v1/traffic').send({ from: 'pod/default/db-0', to: 'web:80' }).expect(200)).body;
      expect(again.outcomes.every((o: { result: string; verdict: { notes: { reason: string }[] } }) => o.result === 'delivered' && o.verdict.notes.every((n) => n.reason !== 'ImportedRules'))).toBe(true);
      expect((await diff(node)).upToDate).toBe(true);
      await request(t.http).delete(`/netsim/v1/nodes/${node}/iptables`).expect(404);
    });

    it('takes JSON {"rules": ...} as the trace endpoint does, and keeps unmodelled rules with unsupported=keep', async () => {
      const rules = '*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n-A INPUT -m connbytes --connbytes 10 --connbytes-dir both --connbytes-mode bytes -j DROP\nCOMMIT\n';
      const refused = await request(t.http).put('/netsim/v1/nodes/kind-worker/iptables').send({ rules }).expect(422);
      expect(refused.body).toMatchObject({ kind: 'Status', status: 'Failure', reason: 'Invalid', details: { causes: [{ field: 'rules:5', reason: 'FieldValueNotSupported' }] } });
      // All or nothing: the node still runs kube-proxy's rules.
      expect((await request(t.http).get('/netsim/v1/nodes/kind-worker/iptables').expect(200)).headers['netsim-rules']).toBe('kube-proxy');
      const kept = await request(t.http).put('/netsim/v1/nodes/kind-worker/iptables?unsupported=keep').send({ rules }).expect(200);
      expect(kept.body.loaded).toEqual({ rules: 1, kept: 1 });
      expect(kept.headers.warning).toContain('line 5 kept as given');
      expect(await save('kind-worker')).toContain('-A INPUT -m connbytes --connbytes 10 --connbytes-dir both --connbytes-mode bytes -j DROP');
      const status = (await request(t.http).get('/netsim/v1/nodes/kind-worker/kube-proxy').expect(200)).body;
      expect(status.importedRules).toMatchObject({ rules: 1, kept: 1 });
    });

    it('refuses every bad line in one 422, and answers 404 for an unknown node and 400 for an empty or odd body', async () => {
      const bad = '*filter\n-A INPUT -j NOPE\n-A INPUT -p tcp --dport 99999 -j ACCEPT\nCOMMIT\n';
      const refused = await put('kind-worker', bad).expect(422);
      expect(refused.body.details.causes.map((c: { field: string }) => c.field)).toEqual(['rules:2', 'rules:3']);
      expect((await put('nowhere', '*filter\nCOMMIT\n').expect(404)).body).toMatchObject({ reason: 'NotFound', message: 'nodes "nowhere" not found' });
      expect((await put('kind-worker', '').expect(400)).body.message).toMatch(/^the request body is empty/);
      expect((await request(t.http).put('/netsim/v1/nodes/kind-worker/iptables').send({ rules: '*filter\nCOMMIT\n', ipset: '' }).expect(400)).body.message).toBe(
        'strict decoding error: unknown field "ipset"',
      );
      expect((await request(t.http).put('/netsim/v1/nodes/kind-worker/iptables').send({ rules: 7 }).expect(422)).body.details.causes[0].field).toBe('rules');
      const notImported = await request(t.http).delete('/netsim/v1/nodes/kind-worker/iptables').expect(404);
      expect(notImported.body.message).toBe('node "kind-worker" has no imported rules: its tables are kube-proxy\'s');
    });
  });
});
