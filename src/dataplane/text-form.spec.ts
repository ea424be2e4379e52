/**
 * The text form against golden files (fixtures/answers/*.txt): the demo
 * cluster's typical answers, as a person reads them in an 80-column
 * terminal. After a deliberate change of the form, regenerate them with
 * `UPDATE_GOLDEN=1 npx jest src/dataplane/text-form.spec.ts` and read the diff.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Cluster } from '../cluster/cluster';
import { demoCluster, scaleWeb } from '../../test/support/dataplane/demo';
import { TEXT_WIDTH, length } from '../common/text-layout';
import { trafficText } from './text-form';
import { TrafficSimulator, type TrafficRequest } from './traffic';

const FIXTURES = join(__dirname, '..', '..', 'fixtures', 'answers');



function golden(name: string, lines: string[]): void {
  const file = join(FIXTURES, `${name}.txt`);
  const text = lines.join('\n') + '\n';
  if (process.env.UPDATE_GOLDEN === '1') writeFileSync(file, text);
  else if (!existsSync(file)) throw new Error(`no golden file ${file}: write it with UPDATE_GOLDEN=1 and read it`);
  expect(text.split('\n')).toEqual(readFileSync(file, 'utf8').split('\n'));
  for (const line of lines) expect(length(line)).toBeLessThanOrEqual(TEXT_WIDTH);
}

describe('the text form of traffic answers', () => {
  const asIs = () => {};
  const cases: [string, TrafficRequest, (c: Cluster) => void][] = [
    ['pod-to-service', { from: 'pod/default/db-0', to: 'web:80' }, asIs],
    ['outside-to-nodeport', { from: { external: '203.0.113.7' }, to: '172.18.0.4:30080' }, asIs],
    ['no-endpoints', { from: 'pod/default/db-0', to: 'web:80' }, (c) => scaleWeb(c, 0)],
    ['nxdomain', { from: 'pod/default/db-0', to: 'nosuch:80' }, asIs],
    ['node-to-ip', { from: 'node/kind-worker', to: '10.96.0.10:53', protocol: 'udp' }, asIs],
    ['long-name', { from: 'pod/default/db-0', to: 'a-service-with-a-rather-long-name-for-a-test.a-namespace-with-a-long-name.svc.cluster.local:8080' }, asIs],
    ['node-to-service', { from: 'node/kind-worker', to: 'service/kube-system/kube-dns:53', protocol: 'udp' }, asIs],
    // Dropped by kube-proxy's rule on the node it reached: the rule, with the Service its comment names, under that hop.
    ['outside-no-local-endpoint', { from: { external: '203.0.113.7' }, to: '172.18.0.2:30080' }, (c) => {
      c.store.patch(c.store.resourceType('services'), 'default', 'web-nodeport', { spec: { externalTrafficPolicy: 'Local' } });
    }],
  ];

  it.each(cases)('%s reads as its golden file, no line past 80 columns', (name, request, setup) => {
    const cluster = demoCluster();
    setup(cluster);
    const sim = new TrafficSimulator(cluster);
    golden(name, trafficText(request, sim.send(request)));
  });

  it('detail=hops adds each hop packet and every step, still within 80 columns', () => {
    const sim = new TrafficSimulator(demoCluster());
    const request = { from: 'pod/default/db-0', to: 'web:80' };
    const summary = trafficText(request, sim.send(request));
    const hops = trafficText(request, sim.send(request), 'hops');
    expect(hops.length).toBeGreaterThan(summary.length * 3);
    expect(hops).toContainEqual(expect.stringMatching(/^ +\| PREROUTING nat KUBE-SERVICES #\d+: jump KUBE-SVC-/));
    for (const line of hops) expect(length(line)).toBeLessThanOrEqual(TEXT_WIDTH);
  });

  it('sampled answers show connections; a name is shown with what it resolved to', () => {
    const cluster = demoCluster();
    const sim = new TrafficSimulator(cluster);
    const clusterIP = (cluster.store.get(cluster.store.resourceType('services'), 'default', 'web').spec as { clusterIP: string }).clusterIP;
    const request = { from: 'pod/default/db-0', to: 'web:80', mode: 'sample', count: 10, seed: 1 } as const;
    const lines = trafficText(request, sim.send(request));
    expect(lines[2]).toBe(`   web: web.default.svc.cluster.local is ${clusterIP} (Service default/web)`);
    expect(lines[3]).toBe('3 outcomes, 10 connections sampled');
    expect(lines.filter((l) => /^\d\. \d+ connections? \(\d+\.\d\d%\) delivered to pod default\/web-/.test(l))).toHaveLength(3);
    expect(lines[1]).toBe('to web:80 tcp');
  });
});

describe('the text form\'s wording', () => {
  it('one connection sampled is singular; a closed port is refused by its node', () => {
    const sim = new TrafficSimulator(demoCluster());
    const one = { from: 'pod/default/db-0', to: 'web:80', mode: 'sample', count: 1, seed: 1 } as const;
    expect(trafficText(one, sim.send(one))[3]).toBe('1 outcome, 1 connection sampled');
    const closed = { from: 'pod/default/db-0', to: '172.18.0.3:12345' };
    expect(trafficText(closed, sim.send(closed))[4]).toMatch(/^1\. 100\.00% refused by node kind-worker$/);
  });
});

describe('the text form of a node\'s own traffic', () => {
  it('names the address the node sent from (before its masquerade) and a fully qualified name once', () => {
    const sim = new TrafficSimulator(demoCluster());
    const request = { from: 'node/kind-control-plane', to: 'kube-dns.kube-system.svc.cluster.local:53', protocol: 'udp' } as const;
    const lines = trafficText(request, sim.send(request));
    expect(lines.slice(0, 3)).toEqual(['from node/kind-control-plane (172.18.0.2)', 'to kube-dns.kube-system.svc.cluster.local:53 udp', '   kube-dns.kube-system.svc.cluster.local is 10.96.0.10 (Service']);
    expect(lines).toContainEqual(expect.stringMatching(/^ +DNAT by KUBE-SEP-[A-Z2-7]{16}: 10\.96\.0\.10:53 -> 10\.244\.0\.\d+:53$/));
    expect(lines).toContainEqual('        MASQUERADE by KUBE-POSTROUTING: 172.18.0.2:40000 -> 10.244.0.1:40000');
  });
});
