import request from 'supertest';
import { TRAFFIC } from '../src/api/tokens';
import type { TrafficSimulator } from '../src/dataplane/traffic';
import { DEMO, startTestApp, TestApp } from './support/test-app';

interface Check {
  name: string;
  title: string;
  status: 'pass' | 'fail' | 'skip';
  message: string;
  reason?: string;
}
interface Diagnosis {
  from: string;
  to: string;
  protocol: string;
  ok: boolean;
  firstFailure: string | null;
  service: string | null;
  checks: Check[];
  outcomes: { probability: number; result: string; pod: string | null; verdict: { reason: string; message: string } }[];
}

/** GET /netsim/v1/diagnose: each check failing first, the text form, and bad queries. */
describe('GET /netsim/v1/diagnose (e2e)', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await startTestApp(DEMO);
  });
  afterEach(() => t.close());

  const diagnose = async (query: Record<string, string>): Promise<Diagnosis> => (await request(t.http).get('/netsim/v1/diagnose').query(query).expect(200)).body;
  const patch = (path: string, body: object) => request(t.http).patch(path).set('Content-Type', 'application/merge-patch+json').send(body).expect(200);
  const advance = (seconds: number) => request(t.http).post('/netsim/v1/clock/advance').send({ seconds }).expect(200);
  const failing = (d: Diagnosis) => d.checks.find((c) => c.status === 'fail');
  const statusOf = (d: Diagnosis) => d.checks.map((c) => `${c.name}:${c.status}`).join(' ');

  it('a Service that routes: every check passes', async () => {
    const d = await diagnose({ from: 'pod/default/db-0', to: 'web:80' });
    expect(d).toMatchObject({ from: 'pod/default/db-0', to: 'web:80', protocol: 'tcp', ok: true, firstFailure: null, service: 'default/web' });
    expect(statusOf(d)).toBe('dns:pass service-port:pass selector:pass endpoints:pass readiness:pass target-port:pass node-state:pass rules:pass path:pass reply:pass');
    expect(d.outcomes).toHaveLength(3);
  });

  it('DNS fails first, and the rest is not run', async () => {
    const d = await diagnose({ from: 'pod/default/db-0', to: 'wbe:80' });
    expect(statusOf(d)).toBe('dns:fail service-port:skip selector:skip endpoints:skip readiness:skip target-port:skip node-state:skip rules:skip path:skip reply:skip');
    expect(failing(d)).toMatchObject({ reason: 'NXDomain', message: 'wbe did not resolve: NXDOMAIN for wbe.default.svc.cluster.local, wbe.svc.cluster.local, wbe.cluster.local and wbe.' });
  });

  it('the Service port', async () => {
    const ip = (await request(t.http).get('/api/v1/namespaces/default/services/web').expect(200)).body.spec.clusterIP;
    const d = await diagnose({ from: 'pod/default/db-0', to: 'web:443' });
    expect(d.firstFailure).toBe('service-port');
    expect(failing(d)).toMatchObject({ reason: 'PortNotInService', message: `${ip} is default/web's ClusterIP, which has no port 443 (its ports: 80/TCP).` });
  });

  it('the selector: the Deployment scaled to 0', async () => {
    await patch('/apis/apps/v1/namespaces/default/deployments/web/scale', { spec: { replicas: 0 } });
    await advance(5);
    const d = await diagnose({ from: 'pod/default/db-0', to: 'web:80' });
    expect(d.firstFailure).toBe('selector');
    expect(failing(d)).toMatchObject({ reason: 'ScaledToZero', message: "default/web's selector app=web matches no pod: Deployment default/web is scaled to 0 replicas." });
    expect(d.outcomes.map((o) => o.verdict.reason)).toEqual(['ScaledToZero']);
  });

  it('the endpoints: a named targetPort no pod declares', async () => {
    await patch('/api/v1/namespaces/default/services/web', { spec: { ports: [{ name: 'http', port: 80, targetPort: 'www' }] } });
    const d = await diagnose({ from: 'pod/default/db-0', to: 'web:80' });
    expect(d.firstFailure).toBe('endpoints');
    expect(failing(d)!.reason).toBe('TargetPortNotServed');
  });

  it('readiness: the kubelets stopped', async () => {
    await request(t.http).post('/netsim/v1/nodes/kind-worker/kubelet/stop').expect(200);
    await request(t.http).post('/netsim/v1/nodes/kind-worker2/kubelet/stop').expect(200);
    await advance(41);
    const d = await diagnose({ from: 'pod/default/db-0', to: 'web:80' });
    expect(d.firstFailure).toBe('readiness');
    expect(failing(d)!.reason).toBe('NodeNotReady');
    expect(failing(d)!.message).toMatch(/^none of default\/web's 3 endpoints is ready: web-\S+: its node kind-worker2? is NotReady \(Ready=Unknown: Kubelet stopped posting node status\.\); /);
  });

  it('the targetPort', async () => {
    await patch('/api/v1/namespaces/default/services/db', { spec: { ports: [{ name: 'postgres', port: 5432, targetPort: 5433 }] } });
    const d = await diagnose({ from: 'node/kind-worker', to: 'service/default/db:5432' });
    expect(d.firstFailure).toBe('target-port');
    expect(failing(d)!.message).toBe('pod default/db-0 does not serve targetPort 5433/TCP (no container declares it): connections to it are refused.');
  });

  it("node state: the client's node NotReady while the Service still routes is no failure", async () => {
    await request(t.http).post('/netsim/v1/nodes/kind-worker2/kubelet/stop').expect(200);
    await advance(41);
    const d = await diagnose({ from: 'pod/default/db-0', to: 'web:80' });
    expect(d).toMatchObject({ ok: true, firstFailure: null });
    expect(d.outcomes.every((o) => o.result === 'delivered')).toBe(true);
    const nodeState = d.checks.find((c) => c.name === 'node-state')!;
    expect(nodeState.status).toBe('pass');
    expect(nodeState.message).toMatch(/^kind-worker is Ready; kind-worker2 is NotReady \(Ready=Unknown: Kubelet stopped posting node status\.\), but no connection fails because of it \(out of rotation: web-[a-z0-9-]+\)$/);
  });

  it('the rules on the source node: an outside client refused by loadBalancerSourceRanges', async () => {
    await patch('/api/v1/namespaces/default/services/web-nodeport', { spec: { type: 'LoadBalancer', loadBalancerSourceRanges: ['10.0.0.0/8'] } });
    const lb = (await request(t.http).get('/api/v1/namespaces/default/services/web-nodeport').expect(200)).body.status.loadBalancer.ingress[0].ip;
    const d = await diagnose({ from: 'external/203.0.113.7', to: `${lb}:80` });
    expect(d.from).toBe('external/203.0.113.7');
    expect(d.firstFailure).toBe('rules');
    expect(failing(d)!.reason).toBe('SourceRangeRefused');
    const json = await diagnose({ from: '{"external":"203.0.113.7"}', to: `${lb}:80` });
    expect(json.checks).toEqual(d.checks);
  });

  it('the path: a pod port nothing listens on', async () => {
    const d = await diagnose({ from: 'pod/default/db-0', to: 'pod/default/db-0:81' });
    expect(d.firstFailure).toBe('path');
    expect(failing(d)!.reason).toBe('PortClosed');
  });

  it('answers text with format=text or Accept: text/plain, 80 columns at most', async () => {
    await patch('/api/v1/namespaces/default/services/web', { spec: { selector: { app: 'wbe' } } });
    const byFormat = await request(t.http).get('/netsim/v1/diagnose').query({ from: 'pod/default/db-0', to: 'web:80', format: 'text' }).expect(200);
    expect(byFormat.headers['content-type']).toBe('text/plain; charset=utf-8');
    const byAccept = await request(t.http).get('/netsim/v1/diagnose').query({ from: 'pod/default/db-0', to: 'web:80' }).set('Accept', 'text/plain').expect(200);
    expect(byAccept.text).toBe(byFormat.text);
    const lines = byFormat.text.split('\n');
    expect(lines[0]).toBe('diagnose pod/default/db-0 -> web:80 (tcp), Service default/web');
    expect(lines.every((l) => l.length <= 80)).toBe(true);
    expect(byFormat.text).toContain("[FAIL] Selector (NoEndpoints)\n       default/web's selector app=wbe matches no pod in namespace default.\n");
    const json = await request(t.http).get('/netsim/v1/diagnose').query({ from: 'pod/default/db-0', to: 'web:80' }).set('Accept', 'application/json, text/plain').expect(200);
    expect(json.headers['content-type']).toBe('application/json; charset=utf-8');
    // Accept as the traffic answers read it: q-values and wildcards, 406 when neither form is welcome.
    const preferred = await request(t.http).get('/netsim/v1/diagnose').query({ from: 'pod/default/db-0', to: 'web:80' }).set('Accept', 'application/json;q=0.5, text/plain').expect(200);
    expect(preferred.text).toBe(byFormat.text);
    const wildcard = await request(t.http).get('/netsim/v1/diagnose').query({ from: 'pod/default/db-0', to: 'web:80' }).set('Accept', 'text/*').expect(200);
    expect(wildcard.text).toBe(byFormat.text);
    const refused = await request(t.http).get('/netsim/v1/diagnose').query({ from: 'pod/default/db-0', to: 'web:80' }).set('Accept', 'application/xml').expect(406);
    expect(refused.body).toMatchObject({ kind: 'Status', status: 'Failure', reason: 'NotAcceptable', code: 406 });
  });

  it('refuses a bad query with a Status naming the field, and sends nothing', async () => {
    const status = async (query: Record<string, string>, code: number) => (await request(t.http).get('/netsim/v1/diagnose').query(query).expect(code)).body;
    const send = jest.spyOn(t.app.get<TrafficSimulator>(TRAFFIC), 'send');
    expect(await status({ to: 'web:80' }, 422)).toMatchObject({
      kind: 'Status',
      apiVersion: 'v1',
      status: 'Failure',
      reason: 'Invalid',
      message: 'from: Required value',
      details: { causes: [{ field: 'from', reason: 'FieldValueRequired', message: 'from: Required value' }] },
    });
    expect((await status({ from: 'pod/default/db-0' }, 422)).details.causes[0]).toMatchObject({ field: 'to', reason: 'FieldValueRequired' });
    expect((await status({ from: 'pods/db-0', to: 'web:80' }, 422)).details.causes[0]).toMatchObject({
      field: 'from',
      message: 'from: Invalid value: "pods/db-0": must be pod/NAMESPACE/NAME, node/NAME, external/IP or {"external": "IP"}',
    });
    expect((await status({ from: 'external/300.1.1.1', to: 'web:80' }, 422)).details.causes[0]).toMatchObject({ field: 'from.external' });
    expect((await status({ from: 'pod/default/db-0', to: 'web:80', protocol: 'icmp' }, 422)).details.causes[0]).toMatchObject({ field: 'protocol', reason: 'FieldValueNotSupported' });
    expect((await status({ from: 'pod/default/db-0', to: 'web:80', format: 'yaml' }, 422)).details.causes[0]).toMatchObject({ field: 'format', reason: 'FieldValueNotSupported' });
    expect(send).not.toHaveBeenCalled();
    // A malformed destination is the simulator's to refuse: it is asked, and refuses before any packet.
    expect((await status({ from: 'pod/default/db-0', to: 'web' }, 422)).details.causes[0]).toMatchObject({ field: 'to' });
    expect(await status({ from: 'pod/default/nope', to: 'web:80' }, 404)).toMatchObject({ kind: 'Status', reason: 'NotFound', details: { name: 'nope', kind: 'pods' } });
    expect(await status({ from: 'pod/default/db-0', to: 'service/default/nope:80' }, 404)).toMatchObject({ reason: 'NotFound', details: { name: 'nope', kind: 'services' } });
  });

  it('is described in the OpenAPI document', async () => {
    const doc = (await request(t.http).get('/docs-json').expect(200)).body;
    const op = doc.paths['/netsim/v1/diagnose'].get;
    expect(op.parameters.map((p: { name: string }) => p.name).sort()).toEqual(['format', 'from', 'protocol', 'to']);
    expect(Object.keys(op.responses)).toEqual(expect.arrayContaining(['200', '406']));
    expect(Object.keys(doc.components.schemas)).toEqual(expect.arrayContaining(['DiagnosisDto', 'DiagnoseCheckDto', 'VerdictDto']));
  });
});
