import { buildCluster } from '../../app.module';
import { loadClusterFile } from '../../cluster/apply/cluster-file';
import { applyManifests } from '../../cluster/apply/manifest-apply';
import { parseManifestYaml } from '../../cluster/apply/manifests';
import type { Cluster } from '../../cluster/cluster';
import { SimulationClock } from '../../cluster/simulation-clock';
import { SeededRandom } from '../../common/random';
import { readConfig } from '../../config/app-config';
import { TrafficSimulator } from '../traffic';
import { readTrace } from './trace-facts';

function demo(): Cluster {
  const config = readConfig({ CLUSTER_FILE: 'fixtures/clusters/demo.yaml' });
  const cluster = buildCluster(config, new SimulationClock(Date.UTC(2026, 0, 1)), new SeededRandom(1));
  loadClusterFile(cluster, config.clusterFile, process.cwd());
  return cluster;
}

describe('the facts read back from a trace', () => {
  let cluster: Cluster;
  let sim: TrafficSimulator;
  beforeEach(() => {
    cluster = demo();
    sim = new TrafficSimulator(cluster);
  });

  it("a Service port without a name: kube-proxy's comments name it `namespace/name`, and the verdict still names the Service", () => {
    applyManifests(
      cluster.store,
      parseManifestYaml(`apiVersion: v1
kind: Service
metadata: {name: web-plain, namespace: default}
spec:
  selector: {app: web}
  ports: [{port: 80, targetPort: 8080}]
`),
    );
    const ip = (cluster.store.get(cluster.store.resourceType('services'), 'default', 'web-plain').spec as { clusterIP: string }).clusterIP;
    const outcomes = sim.send({ from: 'pod/default/db-0', to: 'web-plain:80' }).outcomes;
    expect(outcomes.length).toBeGreaterThan(0);
    for (const o of outcomes) {
      const t = readTrace(o.hops);
      expect(t).toMatchObject({ service: { namespace: 'default', name: 'web-plain', port: '' }, entry: 'cluster IP', entryAddress: ip, entryPort: 80 });
      expect(t.dnat).toMatchObject({ endpoint: `${o.destination?.ip}:8080`, service: { namespace: 'default', name: 'web-plain', port: '' } });
      expect(o.verdict.message).toBe(`Delivered to pod ${o.destination?.pod} on ${o.destination?.node} via Service default/web-plain (ClusterIP ${ip}:80).`);
    }
  });

  it("a node's own packet: where it was sent, from the NAT's record, and the masquerade address from the node's NAT", () => {
    const ip = (cluster.store.get(cluster.store.resourceType('services'), 'default', 'web').spec as { clusterIP: string }).clusterIP;
    const [o] = sim.send({ from: 'node/kind-worker', to: `${ip}:80` }).outcomes;
    expect(o.result).toBe('delivered');
    const t = readTrace(o.hops);
    expect(t.routedTo).toBe(ip);
    const first = o.hops.find((h) => h.rules.length > 0)!;
    expect(t.dnat?.endpoint).toBe(first.nat?.dnat);
    expect(t.masquerade).toHaveLength(1);
    expect(t.masquerade[0].to).toMatch(/^\d+\.\d+\.\d+\.\d+:\d+$/);
    for (const m of t.masquerade) expect(m.to).toBe(o.hops.find((h) => h.node === m.node && h.nat?.masquerade)?.nat?.snat);
  });
});
