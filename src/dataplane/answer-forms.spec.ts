import { buildCluster } from '../app.module';
import { loadClusterFile } from '../cluster/apply/cluster-file';
import type { Cluster } from '../cluster/cluster';
import { SimulationClock } from '../cluster/simulation-clock';
import { SeededRandom } from '../common/random';
import { readConfig } from '../config/app-config';
import { answerForm, summarizePath, type DetailedOutcome } from './answer-forms';
import { TrafficSimulator } from './traffic';

function demo(): Cluster {
  const config = readConfig({ CLUSTER_FILE: 'fixtures/clusters/demo.yaml' });
  const cluster = buildCluster(config, new SimulationClock(Date.UTC(2026, 0, 1)), new SeededRandom(1));
  loadClusterFile(cluster, config.clusterFile, process.cwd());
  return cluster;
}

function scaled(replicas: number): Cluster {
  const cluster = demo();
  const type = cluster.store.resourceType('deployments.apps');
  const deployment = cluster.store.get(type, 'default', 'web');
  cluster.store.update(type, 'default', 'web', { ...deployment, spec: { ...(deployment.spec as object), replicas } });
  cluster.clock.advance(120_000);
  return cluster;
}

describe('answer sizes (figures: npm run bench -- answer-size)', () => {
  const bytes = (value: unknown) => Buffer.byteLength(JSON.stringify(value));

  it('keeps a single-outcome answer under 4 KB', () => {
    const sim = new TrafficSimulator(scaled(1));
    const answer = sim.send({ from: 'pod/default/db-0', to: 'web:80' });
    expect(answer.outcomes).toHaveLength(1);
    expect(bytes(answerForm(answer, 'summary'))).toBeLessThan(4 * 1024);
  });

  it('keeps the answer for a 200-replica Service under 200 KB, its hops on request', () => {
    const sim = new TrafficSimulator(scaled(200));
    const answer = sim.send({ from: 'pod/default/db-0', to: 'web:80' });
    expect(answer.outcomes).toHaveLength(200);
    expect(bytes(answerForm(answer, 'summary'))).toBeLessThan(200 * 1024);
    expect(bytes(answerForm(answer, 'hops'))).toBeGreaterThan(1024 * 1024);
  }, 120_000);
});

describe('answer forms', () => {
  const sim = new TrafficSimulator(demo());

  it('makes each form of a kept answer once, frozen; a sampled answer afresh', () => {
    const kept = sim.send({ from: 'pod/default/db-0', to: 'web:80' });
    const summary = answerForm(kept, 'summary');
    expect(answerForm(kept, 'summary')).toBe(summary);
    expect(Object.isFrozen(summary.outcomes[0].path.rewrites)).toBe(true);
    const hops = answerForm(kept, 'hops');
    expect(hops).not.toBe(summary);
    expect(answerForm(kept, 'hops')).toBe(hops);
    // The hops are the simulator's own, shared, not copied.
    expect((hops.outcomes[0] as DetailedOutcome).hops).toBe(kept.outcomes[0].hops);
    const sampled = sim.send({ from: 'pod/default/db-0', to: 'web:80', mode: 'sample', count: 2, seed: 1, sourcePort: 45000 });
    const form = answerForm(sampled, 'summary');
    expect(Object.isFrozen(form)).toBe(false);
    expect(form.samples).toBe(sampled.samples);
    expect(form.outcomes.reduce((n, o) => n + (o.connections ?? 0), 0)).toBe(2);
  });

  it('names each rewrite where it happened, with the chain that made it', () => {
    const answer = sim.send({ from: 'node/kind-worker', to: 'kube-dns.kube-system.svc.cluster.local:53', protocol: 'udp' });
    for (const o of answer.outcomes) {
      const { nodes, rewrites } = summarizePath(o.hops);
      expect(nodes[0]).toBe('kind-worker');
      // A node's own process: OUTPUT's DNAT, then kube-proxy's masquerade mark is not set for it (no SNAT).
      expect(rewrites[0]).toMatchObject({ node: 'kind-worker', type: 'DNAT', before: expect.stringMatching(/:53$/), after: `${o.destination!.ip}:53` });
      expect(rewrites[0].by).toMatch(/^KUBE-SEP-/);
    }
  });

  it('an outcome that reached no one has an empty reply path', () => {
    const answer = sim.send({ from: 'pod/default/db-0', to: 'nosuch:80' });
    const [o] = answerForm(answer, 'summary').outcomes;
    expect(o).toEqual({
      probability: 1,
      result: 'nxdomain',
      reason: 'nosuch: NXDOMAIN',
      verdict: expect.objectContaining({ reason: 'NXDomain', client: 'name-not-resolved' }),
      destination: null,
      seenSource: null,
      path: { nodes: [], rewrites: [] },
      replyPath: { nodes: [], rewrites: [] },
    });
  });
});
