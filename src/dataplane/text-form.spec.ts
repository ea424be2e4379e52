/**
 * The text form against golden files (fixtures/answers/*.txt): the demo
 * cluster's typical answers, as a person reads them in an 80-column
 * terminal. After a deliberate change of the form, regenerate them with
 * `UPDATE_GOLDEN=1 npx jest src/dataplane/text-form.spec.ts` and read the diff.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildCluster } from '../app.module';
import { loadClusterFile } from '../cluster/apply/cluster-file';
import type { Cluster } from '../cluster/cluster';
import { SimulationClock } from '../cluster/simulation-clock';
import { SeededRandom } from '../common/random';
import { TEXT_WIDTH, length, wrap } from '../common/text-layout';
import { readConfig } from '../config/app-config';
import { trafficText } from './text-form';
import { TrafficSimulator, type TrafficRequest } from './traffic';

const FIXTURES = join(__dirname, '..', '..', 'fixtures', 'answers');

function demo(): Cluster {
  const config = readConfig({ CLUSTER_FILE: 'fixtures/clusters/demo.yaml' });
  const cluster = buildCluster(config, new SimulationClock(Date.UTC(2026, 0, 1)), new SeededRandom(1));
  loadClusterFile(cluster, config.clusterFile, process.cwd());
  return cluster;
}

function scale(cluster: Cluster, replicas: number): void {
  const type = cluster.store.resourceType('deployments.apps');
  const deployment = cluster.store.get(type, 'default', 'web');
  cluster.store.update(type, 'default', 'web', { ...deployment, spec: { ...(deployment.spec as object), replicas } });
  cluster.clock.advance(60_000);
}

function golden(name: string, lines: string[]): void {
  const file = join(FIXTURES, `${name}.txt`);
  const text = lines.join('\n') + '\n';
  if (process.env.UPDATE_GOLDEN === '1' || !existsSync(file)) writeFileSync(file, text);
  expect(text.split('\n')).toEqual(readFileSync(file, 'utf8').split('\n'));
  for (const line of lines) expect(length(line)).toBeLessThanOrEqual(TEXT_WIDTH);
}

describe('the text form of traffic answers', () => {
  const asIs = () => {};
  const cases: [string, TrafficRequest, (c: Cluster) => void][] = [
    ['pod-to-service', { from: 'pod/default/db-0', to: 'web:80' }, asIs],
    ['outside-to-nodeport', { from: { external: '203.0.113.7' }, to: '172.18.0.4:30080' }, asIs],
    ['no-endpoints', { from: 'pod/default/db-0', to: 'web:80' }, (c) => scale(c, 0)],
    ['nxdomain', { from: 'pod/default/db-0', to: 'nosuch:80' }, asIs],
  ];

  it.each(cases)('%s reads as its golden file, no line past 80 columns', (name, request, setup) => {
    const cluster = demo();
    setup(cluster);
    const sim = new TrafficSimulator(cluster);
    golden(name, trafficText(request, sim.send(request)));
  });

  it('detail=hops adds each hop packet and every step, still within 80 columns', () => {
    const sim = new TrafficSimulator(demo());
    const request = { from: 'pod/default/db-0', to: 'web:80' };
    const summary = trafficText(request, sim.send(request));
    const hops = trafficText(request, sim.send(request), 'hops');
    expect(hops.length).toBeGreaterThan(summary.length * 3);
    expect(hops).toContainEqual(expect.stringMatching(/^ +\| PREROUTING nat KUBE-SERVICES #\d+: jump KUBE-SVC-/));
    for (const line of hops) expect(length(line)).toBeLessThanOrEqual(TEXT_WIDTH);
  });

  it('sampled answers show connections; a name is shown with what it resolved to', () => {
    const cluster = demo();
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

describe('the text form of a node\'s own traffic', () => {
  it('names the address the node sent from (before its masquerade) and a fully qualified name once', () => {
    const sim = new TrafficSimulator(demo());
    const request = { from: 'node/kind-control-plane', to: 'kube-dns.kube-system.svc.cluster.local:53', protocol: 'udp' } as const;
    const lines = trafficText(request, sim.send(request));
    expect(lines.slice(0, 3)).toEqual(['from node/kind-control-plane (172.18.0.2)', 'to kube-dns.kube-system.svc.cluster.local:53 udp', '   kube-dns.kube-system.svc.cluster.local is 10.96.0.10 (Service']);
    expect(lines).toContainEqual(expect.stringMatching(/^ +DNAT by KUBE-SEP-[A-Z2-7]{16}: 10\.96\.0\.10:53 -> 10\.244\.0\.\d+:53$/));
    expect(lines).toContainEqual('        MASQUERADE by KUBE-POSTROUTING: 172.18.0.2:40000 -> 10.244.0.1:40000');
  });
});

describe('wrap', () => {
  it('breaks at spaces within the width, hanging lines indented, an overlong word cut', () => {
    expect(wrap('aaa bbb ccc', 7, '', '  ')).toEqual(['aaa bbb', '  ccc']);
    expect(wrap('abcdefghij', 4, '> ', '> ')).toEqual(['> ab', '> cd', '> ef', '> gh', '> ij']);
    expect(wrap('', 10, '  ')).toEqual(['']);
  });
});
