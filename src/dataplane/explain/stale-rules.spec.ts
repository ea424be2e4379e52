import { buildCluster } from '../../app.module';
import { loadClusterFile } from '../../cluster/apply/cluster-file';
import type { Cluster } from '../../cluster/cluster';
import { SimulationClock } from '../../cluster/simulation-clock';
import { SeededRandom } from '../../common/random';
import { readConfig } from '../../config/app-config';
import { TrafficSimulator, type TrafficOutcome } from '../traffic';

function demo(): Cluster {
  const config = readConfig({ CLUSTER_FILE: 'fixtures/clusters/demo.yaml' });
  const cluster = buildCluster(config, new SimulationClock(Date.UTC(2026, 0, 1)), new SeededRandom(1));
  loadClusterFile(cluster, config.clusterFile, process.cwd());
  return cluster;
}

/** Rules that lag behind the store: an outcome traced by the old rules, explained against the new store. No contradiction in the words. */
describe('verdicts when the rules are out of date with the store', () => {
  let cluster: Cluster;
  let sim: TrafficSimulator;
  const type = (key: string) => cluster.store.resourceType(key);
  const explainLater = (o: TrafficOutcome, to: string) => {
    const { verdict: _, ...unexplained } = o;
    return sim.explainer.explain(unexplained, { from: 'pod/default/db-0', to });
  };

  beforeEach(() => {
    cluster = demo();
    sim = new TrafficSimulator(cluster);
  });

  it('"has no endpoints" in the rules while every pod is Ready: not "which is not Ready ()"', () => {
    cluster.store.patch(type('deployments.apps'), 'default', 'web', { spec: { replicas: 0 } });
    cluster.clock.advance(5000);
    const [rejected] = sim.send({ from: 'pod/default/db-0', to: 'web:80' }).outcomes;
    expect(rejected.verdict.reason).toBe('ScaledToZero');
    cluster.store.patch(type('deployments.apps'), 'default', 'web', { spec: { replicas: 1 } });
    cluster.clock.advance(10_000);
    const verdict = explainLater(rejected, 'web:80');
    expect(verdict.reason).toBe('NoEndpoints');
    expect(verdict.message).toMatch(
      /^default\/web's selector app=web matches 1 pod, which is Ready \(default\/web-[a-z0-9-]+\), yet the rules say it has no endpoints: kube-proxy's rules are out of date with the store \(it has not synced since the change\)\. kube-proxy on kind-worker2 rejects/,
    );
    expect(verdict.message).not.toContain('()');
  });

  it('a ClusterIP port no rule took, which the Service has by now: not "has no port 81/TCP (its ports: 81/TCP)"', () => {
    const ip = (cluster.store.get(type('services'), 'default', 'web').spec as { clusterIP: string }).clusterIP;
    const [left] = sim.send({ from: 'pod/default/db-0', to: `${ip}:81` }).outcomes;
    expect(left.verdict.reason).toBe('PortNotInService');
    cluster.store.patch(type('services'), 'default', 'web', { spec: { ports: [{ name: 'http', port: 80, targetPort: 'http' }, { name: 'alt', port: 81, targetPort: 'http' }] } });
    const verdict = explainLater(left, `${ip}:81`);
    expect(verdict.reason).toBe('LeftCluster');
    expect(verdict.message).toContain(`${ip} is default/web's ClusterIP and it has port 81/TCP, but no kube-proxy rule took the packet: kube-proxy's rules on kind-worker2 are out of date with the store`);
  });
});
