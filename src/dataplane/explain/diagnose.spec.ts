import { buildCluster } from '../../app.module';
import { loadClusterFile } from '../../cluster/apply/cluster-file';
import type { Cluster } from '../../cluster/cluster';
import { SimulationClock } from '../../cluster/simulation-clock';
import { SeededRandom } from '../../common/random';
import { readConfig } from '../../config/app-config';
import { percent } from '../../common/text-layout';
import { TrafficSimulator } from '../traffic';
import { CHECKS, Diagnoser, type Diagnosis } from './diagnose';
import { diagnosisText } from './diagnose-text';

function demo(): Cluster {
  const config = readConfig({ CLUSTER_FILE: 'fixtures/clusters/demo.yaml' });
  const cluster = buildCluster(config, new SimulationClock(Date.UTC(2026, 0, 1)), new SeededRandom(1));
  loadClusterFile(cluster, config.clusterFile, process.cwd());
  return cluster;
}

describe('diagnose', () => {
  let cluster: Cluster;
  let diagnoser: Diagnoser;
  const type = (key: string) => cluster.store.resourceType(key);
  const statuses = (d: Diagnosis) => Object.fromEntries(d.checks.map((c) => [c.name, c.status]));
  const check = (d: Diagnosis, name: string) => d.checks.find((c) => c.name === name)!;
  const clusterIP = (name: string) => (cluster.store.get(type('services'), 'default', name).spec as { clusterIP: string }).clusterIP;
  const webPods = () =>
    cluster.store
      .list(type('pods'), { namespace: 'default' })
      .items.filter((p) => p.metadata.labels?.app === 'web')
      .map((p) => ({ name: p.metadata.name, node: (p.spec as { nodeName: string }).nodeName, ip: (p.status as { podIP: string }).podIP }))
      .sort((a, b) => (a.name < b.name ? -1 : 1));
  /** Every check after the first failure is skipped, and says so. */
  const stopsAt = (d: Diagnosis, name: string) => {
    const at = CHECKS.findIndex((c) => c.name === name);
    expect(d.firstFailure).toBe(name);
    expect(d.ok).toBe(false);
    for (const [i, c] of d.checks.entries()) {
      if (i < at) expect(c.status).not.toBe('fail');
      if (i > at) expect(c).toMatchObject({ status: 'skip', message: `not run: the ${CHECKS[at].title} check failed` });
    }
  };

  beforeEach(() => {
    cluster = demo();
    diagnoser = new Diagnoser(new TrafficSimulator(cluster));
  });

  it('a Service that routes: every check passes, in order, with what it saw', () => {
    const ip = clusterIP('web');
    const pods = webPods();
    const d = diagnoser.diagnose({ from: 'pod/default/db-0', to: 'web:80' });
    expect(d.checks.map((c) => c.name)).toEqual(['dns', 'service-port', 'selector', 'endpoints', 'readiness', 'target-port', 'node-state', 'rules', 'path', 'reply']);
    expect(d).toMatchObject({ from: 'pod/default/db-0', to: 'web:80', protocol: 'tcp', ok: true, firstFailure: null, service: 'default/web' });
    expect(d.checks.map((c) => [c.name, c.status, c.message])).toEqual([
      ['dns', 'pass', `web resolves to ${ip} (default/web's ClusterIP) as web.default.svc.cluster.local`],
      ['service-port', 'pass', 'default/web has port 80/TCP (http), targetPort http'],
      ['selector', 'pass', `app=web matches 3 pods: ${pods.map((p) => p.name).join(', ')}`],
      ['endpoints', 'pass', `default/web's EndpointSlices list 3 endpoints for port http: ${pods.map((p) => `${p.ip}:8080`).join(', ')}`],
      ['readiness', 'pass', 'all 3 endpoints are ready'],
      ['target-port', 'pass', "every endpoint's pod declares 8080/TCP"],
      ['node-state', 'pass', 'kind-worker, kind-worker2 are Ready'],
      ['rules', 'pass', expect.stringMatching(new RegExp(`^kube-proxy on kind-worker2 sends default/web:http to 3 endpoints \\(KUBE-SVC-[A-Z0-9]{16}\\): ${[...pods.map((p) => `${p.ip}:8080`)].sort().join(', ')}$`))],
      ['path', 'pass', `every connection is delivered: ${d.outcomes.map((o) => `${o.pod} on ${o.node} (${percent(o.probability)})`).join(', ')}`],
      ['reply', 'pass', `the answer comes back from ${ip}:80, the address the client sent to (conntrack undoes the NAT)`],
    ]);
    expect(d.outcomes.map((o) => o.verdict.reason)).toEqual(['Delivered', 'Delivered', 'Delivered']);
  });

  it('DNS: NXDOMAIN with the names tried, the rest not run', () => {
    const d = diagnoser.diagnose({ from: 'pod/default/db-0', to: 'wbe:80' });
    stopsAt(d, 'dns');
    expect(check(d, 'dns')).toMatchObject({
      status: 'fail',
      reason: 'NXDomain',
      message: 'wbe did not resolve: NXDOMAIN for wbe.default.svc.cluster.local, wbe.svc.cluster.local, wbe.cluster.local and wbe.',
    });
  });

  it('Service port: the ClusterIP has no such port', () => {
    const ip = clusterIP('web');
    const d = diagnoser.diagnose({ from: 'pod/default/db-0', to: 'web:443' });
    stopsAt(d, 'service-port');
    expect(check(d, 'service-port')).toMatchObject({ reason: 'PortNotInService', message: `${ip} is default/web's ClusterIP, which has no port 443 (its ports: 80/TCP).` });
    expect(d.outcomes.map((o) => o.verdict.reason)).toEqual(['PortNotInService']);
    const named = diagnoser.diagnose({ from: 'pod/default/db-0', to: 'service/default/web:https' });
    expect(check(named, 'service-port').message).toBe('default/web has no port https/TCP (its ports: 80/TCP (http)).');
    expect(named.outcomes).toEqual([]);
  });

  it('service/NS/NAME: a bad port quotes what was sent; no port named takes the only one; a bad source is refused without sending', () => {
    const refusal = (run: () => unknown) => {
      try {
        run();
      } catch (e) {
        return (e as Error).message;
      }
      throw new Error('not refused');
    };
    expect(refusal(() => diagnoser.diagnose({ from: 'pod/default/db-0', to: 'service/default/web:99999' }))).toBe('to: "service/default/web:99999" needs a port between 1 and 65535');
    const unnamed = diagnoser.diagnose({ from: 'pod/default/db-0', to: 'service/default/web:' });
    expect(check(unnamed, 'service-port')).toMatchObject({ status: 'pass', message: 'default/web has port 80/TCP (http), targetPort http' });
    expect(unnamed.ok).toBe(true);
    cluster.store.patch(type('services'), 'default', 'web', { spec: { ports: [{ name: 'http', port: 80, targetPort: 'http' }, { name: 'alt', port: 81, targetPort: 'http' }] } });
    expect(check(diagnoser.diagnose({ from: 'pod/default/db-0', to: 'service/default/web:' }), 'service-port').message).toBe(
      'service/default/web: names no port, and default/web has more than one port (its ports: 80/TCP (http), 81/TCP (alt)).',
    );
    const traffic = new TrafficSimulator(cluster);
    const send = jest.spyOn(traffic, 'send');
    expect(refusal(() => new Diagnoser(traffic).diagnose({ from: 'pod/default/nope', to: 'service/default/web:https' }))).toBe('pods "nope" not found in namespace "default"');
    expect(send).not.toHaveBeenCalled();
  });

  it('Selector: matches no pod, or the Deployment is scaled to zero', () => {
    cluster.store.patch(type('services'), 'default', 'web', { spec: { selector: { app: 'wbe' } } });
    const d = diagnoser.diagnose({ from: 'pod/default/db-0', to: 'web:80' });
    stopsAt(d, 'selector');
    expect(check(d, 'selector')).toMatchObject({ reason: 'NoEndpoints', message: "default/web's selector app=wbe matches no pod in namespace default." });

    cluster.store.patch(type('services'), 'default', 'web', { spec: { selector: { app: 'web' } } });
    cluster.store.patch(type('deployments.apps'), 'default', 'web', { spec: { replicas: 0 } });
    cluster.clock.advance(5000);
    const scaled = diagnoser.diagnose({ from: 'pod/default/db-0', to: 'web:80' });
    stopsAt(scaled, 'selector');
    expect(check(scaled, 'selector')).toMatchObject({ reason: 'ScaledToZero', message: "default/web's selector app=web matches no pod: Deployment default/web is scaled to 0 replicas." });
  });

  it('Endpoints: a named targetPort no pod declares', () => {
    cluster.store.patch(type('services'), 'default', 'web', { spec: { ports: [{ name: 'http', port: 80, targetPort: 'www' }] } });
    const d = diagnoser.diagnose({ from: 'pod/default/db-0', to: 'web:80' });
    stopsAt(d, 'endpoints');
    expect(check(d, 'endpoints')).toMatchObject({
      reason: 'TargetPortNotServed',
      message: `default/web's EndpointSlices list no endpoint: its port http targets the container port named "www", which none of the 3 pods its selector matches declares.`,
    });
  });

  it('Readiness: which endpoints are not ready and why', () => {
    const pods = webPods();
    cluster.kubelets.stop('kind-worker');
    cluster.kubelets.stop('kind-worker2');
    cluster.clock.advance(41_000);
    const d = diagnoser.diagnose({ from: 'pod/default/db-0', to: 'web:80' });
    stopsAt(d, 'readiness');
    expect(check(d, 'readiness')).toMatchObject({
      reason: 'NodeNotReady',
      message: `none of default/web's 3 endpoints is ready: ${pods.map((p) => `${p.name}: its node ${p.node} is NotReady (Ready=Unknown: Kubelet stopped posting node status.)`).join('; ')}.`,
    });
  });

  it('Target port: a numeric targetPort the pods do not serve', () => {
    cluster.store.patch(type('services'), 'default', 'db', { spec: { ports: [{ name: 'postgres', port: 5432, targetPort: 5433 }] } });
    const d = diagnoser.diagnose({ from: 'pod/default/db-0', to: 'db:5432' });
    stopsAt(d, 'target-port');
    expect(check(d, 'target-port')).toMatchObject({
      reason: 'TargetPortNotServed',
      message: 'pod default/db-0 does not serve targetPort 5433/TCP (no container declares it): connections to it are refused.',
    });
  });

  it("Node state: the client's node NotReady while the Service still routes passes, naming the node and the endpoint out of rotation", () => {
    cluster.kubelets.stop('kind-worker2');
    cluster.clock.advance(41_000);
    const lost = webPods().filter((p) => p.node === 'kind-worker2').map((p) => p.name);
    const d = diagnoser.diagnose({ from: 'pod/default/db-0', to: 'web:80' });
    expect(d).toMatchObject({ ok: true, firstFailure: null });
    expect(d.outcomes.every((o) => o.result === 'delivered')).toBe(true);
    expect(check(d, 'node-state')).toEqual({
      name: 'node-state',
      title: 'Node state',
      status: 'pass',
      message: `kind-worker is Ready; kind-worker2 is NotReady (Ready=Unknown: Kubelet stopped posting node status.), but no connection fails because of it (out of rotation: ${lost.join(', ')})`,
    });
  });

  it('Node state: fails when connections not delivered end on a NotReady node', () => {
    cluster.kubelets.stop('kind-worker2');
    cluster.clock.advance(41_000);
    const pod = webPods().find((p) => p.node === 'kind-worker2')!;
    const traffic = new TrafficSimulator(cluster);
    const send = traffic.send.bind(traffic);
    // The emulator keeps a stopped kubelet's pods reachable; stand in for a node that is also cut off.
    jest.spyOn(traffic, 'send').mockImplementation((req) => {
      const response = send(req);
      return { ...response, outcomes: response.outcomes.map((o) => ({ ...o, result: 'dropped' as const })) };
    });
    const d = new Diagnoser(traffic).diagnose({ from: 'pod/default/db-0', to: `${pod.ip}:8080` });
    stopsAt(d, 'node-state');
    expect(check(d, 'node-state')).toMatchObject({
      reason: 'NodeNotReady',
      message: 'kind-worker2 is NotReady (Ready=Unknown: Kubelet stopped posting node status.): 100.00% of connections are not delivered because of it.',
    });
  });

  it('Rules: externalTrafficPolicy Local on a node without local endpoints', () => {
    cluster.store.patch(type('services'), 'default', 'web-nodeport', { spec: { externalTrafficPolicy: 'Local' } });
    const d = diagnoser.diagnose({ from: { external: '203.0.113.7' }, to: '172.18.0.2:30080' });
    expect(d.service).toBe('default/web-nodeport');
    expect(check(d, 'dns').status).toBe('skip');
    expect(check(d, 'service-port').message).toBe('NodePort 172.18.0.2:30080 is default/web-nodeport\'s NodePort for port 80/TCP (http), targetPort http');
    stopsAt(d, 'rules');
    expect(check(d, 'rules')).toMatchObject({ reason: 'NoLocalEndpoints', message: d.outcomes[0].verdict.message });
  });

  it('a pod address: the Service checks do not apply, the path does', () => {
    const d = diagnoser.diagnose({ from: 'pod/default/db-0', to: 'pod/default/db-0:81' });
    expect(statuses(d)).toEqual({
      dns: 'skip',
      'service-port': 'skip',
      selector: 'skip',
      endpoints: 'skip',
      readiness: 'skip',
      'target-port': 'skip',
      'node-state': 'pass',
      rules: 'skip',
      path: 'fail',
      reply: 'skip',
    });
    expect(check(d, 'path')).toMatchObject({ reason: 'PortClosed', message: '100.00% of connections are not delivered: Pod default/db-0 has no tcp port 81 open (TCP reset).' });
  });

  it('the text form: titles and statuses, messages wrapped within 80 columns, the outcomes', () => {
    cluster.store.patch(type('services'), 'default', 'web', { spec: { selector: { app: 'wbe' } } });
    const text = diagnosisText(diagnoser.diagnose({ from: 'pod/default/db-0', to: 'web:80' }));
    const lines = text.split('\n');
    expect(lines[0]).toBe('diagnose pod/default/db-0 -> web:80 (tcp), Service default/web');
    expect(lines.every((l) => l.length <= 80)).toBe(true);
    expect(text).toContain('[PASS] DNS\n');
    expect(text).toContain("[FAIL] Selector (NoEndpoints)\n       default/web's selector app=wbe matches no pod in namespace default.\n");
    expect(text).toContain('[SKIP] Reply\n       not run: the Selector check failed\n');
    expect(text).toContain('Result: the Selector check fails; the checks after it were not run.');
    expect(text).toContain(
      "Outcomes:\n100.00% rejected\n       default/web's selector app=wbe matches no pod, so the Service has no\n         endpoints: kube-proxy on kind-worker2 rejects the connection\n         (\"default/web:http has no endpoints\").\n       (the client sees: connection refused; reason NoEndpoints)\n",
    );
  });

  it('the text form keeps a word longer than a line within 80 columns', () => {
    const to = `service/default/web:${'p'.repeat(70)}`;
    const text = diagnosisText(diagnoser.diagnose({ from: 'pod/default/db-0', to }));
    expect(text.split('\n').every((l) => l.length <= 80)).toBe(true);
    expect(text.split('\n').slice(0, 3).join('').replace(/\s/g, '')).toBe(`diagnosepod/default/db-0->${to}(tcp),Servicedefault/web`);
  });
});
