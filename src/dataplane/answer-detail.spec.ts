import { demoCluster, scaleWeb } from '../../test/support/dataplane/demo';
import { answerAtDetail, summarizePath, type DetailedOutcome } from './answer-detail';
import { TrafficSimulator } from './traffic';



describe('answer sizes (figures: npm run bench -- answer-size)', () => {
  const bytes = (value: unknown) => Buffer.byteLength(JSON.stringify(value));

  it('keeps a single-outcome answer under 4 KB', () => {
    const sim = new TrafficSimulator(scaleWeb(demoCluster(), 1));
    const answer = sim.send({ from: 'pod/default/db-0', to: 'web:80' });
    expect(answer.outcomes).toHaveLength(1);
    expect(bytes(answerAtDetail(answer, 'summary'))).toBeLessThan(4 * 1024);
  });

  it('keeps the answer for a 200-replica Service under 200 KB, its hops on request', () => {
    const sim = new TrafficSimulator(scaleWeb(demoCluster(), 200));
    const answer = sim.send({ from: 'pod/default/db-0', to: 'web:80' });
    expect(answer.outcomes).toHaveLength(200);
    expect(bytes(answerAtDetail(answer, 'summary'))).toBeLessThan(200 * 1024);
    expect(bytes(answerAtDetail(answer, 'hops'))).toBeGreaterThan(1024 * 1024);
  }, 120_000);
});

describe('answers at each detail level', () => {
  const sim = new TrafficSimulator(demoCluster());

  it('makes each detail level of a kept answer once, frozen; a sampled answer afresh', () => {
    const kept = sim.send({ from: 'pod/default/db-0', to: 'web:80' });
    const summary = answerAtDetail(kept, 'summary');
    expect(answerAtDetail(kept, 'summary')).toBe(summary);
    expect(Object.isFrozen(summary.outcomes[0].path.rewrites)).toBe(true);
    const hops = answerAtDetail(kept, 'hops');
    expect(hops).not.toBe(summary);
    expect(answerAtDetail(kept, 'hops')).toBe(hops);
    // The hops are the simulator's own, shared, not copied.
    expect((hops.outcomes[0] as DetailedOutcome).hops).toBe(kept.outcomes[0].hops);
    const sampled = sim.send({ from: 'pod/default/db-0', to: 'web:80', mode: 'sample', count: 2, seed: 1, sourcePort: 45000 });
    const fresh = answerAtDetail(sampled, 'summary');
    expect(Object.isFrozen(fresh)).toBe(false);
    expect(fresh.samples).toBe(sampled.samples);
    expect(fresh.outcomes.reduce((n, o) => n + (o.connections ?? 0), 0)).toBe(2);
  });

  it('names each rewrite where it happened, with the chain that made it', () => {
    const answer = sim.send({ from: 'node/kind-worker', to: 'kube-dns.kube-system.svc.cluster.local:53', protocol: 'udp' });
    for (const o of answer.outcomes) {
      const { nodes, rewrites } = summarizePath(o.hops);
      expect(nodes[0]).toBe('kind-worker');
      // A node's own process: OUTPUT's DNAT to the endpoint, then, leaving for another node's pod, the
      // masquerade of KUBE-POSTROUTING (its source becomes the node's flannel.1 address).
      expect(rewrites[0]).toMatchObject({ node: 'kind-worker', type: 'DNAT', before: '10.96.0.10:53', after: `${o.destination!.ip}:53` });
      expect(rewrites[0].by).toMatch(/^KUBE-SEP-/);
      expect(rewrites[1]).toEqual({ node: 'kind-worker', type: 'MASQUERADE', by: 'KUBE-POSTROUTING', before: '172.18.0.3:40000', after: '10.244.1.0:40000' });
    }
  });

  it('an outcome that reached no one has an empty reply path', () => {
    const answer = sim.send({ from: 'pod/default/db-0', to: 'nosuch:80' });
    const [o] = answerAtDetail(answer, 'summary').outcomes;
    expect(o).toEqual({
      probability: 1,
      result: 'nxdomain',
      verdict: { reason: 'NXDomain', client: 'name-not-resolved', message: expect.stringMatching(/^nosuch did not resolve: NXDOMAIN/), notes: [] },
      reason: 'nosuch: NXDOMAIN',
      destination: null,
      seenSource: null,
      path: { nodes: [], rewrites: [] },
      replyPath: { nodes: [], rewrites: [] },
    });
  });
});
