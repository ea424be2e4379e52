import { buildCluster } from '../../app.module';
import { loadClusterFile } from '../../cluster/apply/cluster-file';
import type { Cluster } from '../../cluster/cluster';
import { SimulationClock } from '../../cluster/simulation-clock';
import { SeededRandom } from '../../common/random';
import { readConfig } from '../../config/app-config';
import { TrafficSimulator } from '../traffic';
import { ClusterFacts } from './cluster-facts';
import { Diagnoser } from './diagnose';

function demo(): Cluster {
  const config = readConfig({ CLUSTER_FILE: 'fixtures/clusters/demo.yaml' });
  const cluster = buildCluster(config, new SimulationClock(Date.UTC(2026, 0, 1)), new SeededRandom(1));
  loadClusterFile(cluster, config.clusterFile, process.cwd());
  return cluster;
}

describe('why a Service port has no endpoints: one cause, for the verdict and the diagnosis', () => {
  let cluster: Cluster;
  let facts: ClusterFacts;
  const type = (key: string) => cluster.store.resourceType(key);
  const web = () => facts.service('default', 'web')!;
  const http = () => web().spec.ports![0];
  /** The verdict's reason and the failing diagnose check's reason, for db-0 -> web:80. */
  const reasons = () => {
    const traffic = new TrafficSimulator(cluster);
    const d = new Diagnoser(traffic).diagnose({ from: 'pod/default/db-0', to: 'web:80' });
    return { verdict: d.outcomes[0]?.verdict.reason, check: d.checks.find((c) => c.status === 'fail')?.reason };
  };

  beforeEach(() => {
    cluster = demo();
    facts = new ClusterFacts(cluster);
  });

  it('a selector that matches no pod, scaled to 0 or not', () => {
    cluster.store.patch(type('services'), 'default', 'web', { spec: { selector: { app: 'wbe' } } });
    expect(facts.whyNoEndpoints(web(), http())).toEqual({ reason: 'NoEndpoints', kind: 'no-pods', scaled: [] });
    expect(reasons()).toEqual({ verdict: 'NoEndpoints', check: 'NoEndpoints' });
    cluster.store.patch(type('services'), 'default', 'web', { spec: { selector: { app: 'web' } } });
    cluster.store.patch(type('deployments.apps'), 'default', 'web', { spec: { replicas: 0 } });
    cluster.clock.advance(5000);
    expect(facts.whyNoEndpoints(web(), http())).toMatchObject({ reason: 'ScaledToZero', kind: 'no-pods', scaled: [{ kind: 'Deployment', name: 'web', replicas: 0 }] });
    expect(reasons()).toEqual({ verdict: 'ScaledToZero', check: 'ScaledToZero' });
  });

  it('pods that are not Ready, all for the same cause', () => {
    cluster.kubelets.stop('kind-worker');
    cluster.kubelets.stop('kind-worker2');
    cluster.clock.advance(41_000);
    const cause = facts.whyNoEndpoints(web(), http());
    expect(cause).toMatchObject({ reason: 'NodeNotReady', kind: 'not-ready' });
    expect(reasons()).toEqual({ verdict: 'NodeNotReady', check: 'NodeNotReady' });
  });

  it('no selector', () => {
    cluster.store.patch(type('services'), 'default', 'web', { spec: { selector: null } });
    expect(facts.whyNoEndpoints(web(), http())).toEqual({ reason: 'NoEndpoints', kind: 'no-selector' });
  });
});
