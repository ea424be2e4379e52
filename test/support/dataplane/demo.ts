/**
 * The demo cluster (fixtures/clusters/demo.yaml), as `npm start` loads it,
 * for specs and benches: a simulation clock at 2026-01-01 and a seeded
 * random source.
 */
import { buildCluster } from '../../../src/app.module';
import { loadClusterFile } from '../../../src/cluster/apply/cluster-file';
import type { Cluster } from '../../../src/cluster/cluster';
import { SimulationClock } from '../../../src/cluster/simulation-clock';
import { SeededRandom } from '../../../src/common/random';
import { readConfig } from '../../../src/config/app-config';

export function demoCluster(env: Record<string, string> = { CLUSTER_FILE: 'fixtures/clusters/demo.yaml' }): Cluster {
  const config = readConfig(env);
  const cluster = buildCluster(config, new SimulationClock(Date.UTC(2026, 0, 1)), new SeededRandom(1));
  loadClusterFile(cluster, config.clusterFile, process.cwd());
  return cluster;
}

/** The dual-stack demo (`IP_FAMILY=dual`, fixtures/clusters/dual-stack.yaml) or the IPv6-only one (`IP_FAMILY=ipv6`, fixtures/clusters/ipv6.yaml). */
export function familyDemoCluster(ipFamily: 'dual' | 'ipv6', env: Record<string, string> = {}): Cluster {
  return demoCluster({ IP_FAMILY: ipFamily, ...env });
}

/** Scales the demo's `web` Deployment to `replicas` and lets the controllers and kube-proxy catch up (two minutes). */
export function scaleWeb(cluster: Cluster, replicas: number): Cluster {
  const type = cluster.store.resourceType('deployments.apps');
  const deployment = cluster.store.get(type, 'default', 'web');
  cluster.store.update(type, 'default', 'web', { ...deployment, spec: { ...(deployment.spec as object), replicas } });
  cluster.clock.advance(120_000);
  return cluster;
}
