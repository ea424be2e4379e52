import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { TrafficOutcome, TrafficResponse } from './answer';
import { layoutTopology, MAX_PODS_PER_NODE } from './topology-layout';

const web = JSON.parse(readFileSync(path.join(__dirname, '..', '..', 'fixtures', 'ui', 'web-from-web-pod.json'), 'utf8')) as TrafficResponse;

/** `n` outcomes like the cross-node one, each ending on its own pod of kind-worker2. */
function replicas(n: number): TrafficOutcome[] {
  const base = web.outcomes[2];
  return Array.from({ length: n }, (_, i) => {
    const last = base.hops[base.hops.length - 1];
    return { ...base, probability: 1 / n, hops: [...base.hops.slice(0, -1), { ...last, where: `pod default/web-${i}: in eth0` }] };
  });
}

describe('the topology', () => {
  it('draws every place the outcomes pass, pods inside their node, with the share and the tunnel on each way', () => {
    const topo = layoutTopology(web.outcomes);
    expect(topo.vertices.map((v) => v.id).sort()).toEqual([
      'node:kind-worker',
      'node:kind-worker2',
      'pod:default/web-7b74c6d9d8-cq7fg',
      'pod:default/web-7b74c6d9d8-k48d8',
      'pod:default/web-7b74c6d9d8-lhrp9',
    ]);
    expect(topo.clusters.map((c) => c.label).sort()).toEqual(['kind-worker', 'kind-worker2']);
    const link = (from: string, to: string) => topo.links.find((l) => l.from === from && l.to === to);
    expect(link('pod:default/web-7b74c6d9d8-cq7fg', 'node:kind-worker')?.label).toBe('');
    expect(link('node:kind-worker', 'node:kind-worker2')?.label).toBe('33.3% · VXLAN 172.18.0.3 → 172.18.0.4');
    expect(link('node:kind-worker', 'node:kind-worker2')?.outcomes).toEqual([2]);
    // Laid out: every vertex inside its node's box.
    for (const v of topo.vertices.filter((v) => v.id.startsWith('pod:'))) {
      const box = topo.clusters.find((c) => c.label === (v.id.endsWith('lhrp9') ? 'kind-worker2' : 'kind-worker'))!;
      expect(v.x).toBeGreaterThanOrEqual(box.x);
      expect(v.x + v.width).toBeLessThanOrEqual(box.x + box.width);
    }
  });

  it(`folds a node's destination pods past ${MAX_PODS_PER_NODE} into one place, keeping the selected outcome's pod`, () => {
    const outcomes = replicas(50);
    const topo = layoutTopology(outcomes, 7);
    const pods = topo.vertices.filter((v) => v.kind === 'pod').map((v) => [v.id, v.label]);
    expect(pods).toEqual(
      expect.arrayContaining([
        ['pod:default/web-7', 'default/web-7'],
        ['more:kind-worker2', '49 more pods'],
      ]),
    );
    expect(pods).toHaveLength(3); // the client, the selected pod, the rest
    expect(topo.vertices.find((v) => v.id === 'more:kind-worker2')!.outcomes).toHaveLength(49);
    expect(topo.links.find((l) => l.to === 'more:kind-worker2')!.label).toBe('98%');
  });
});
