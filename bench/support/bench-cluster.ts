/** The cluster the benchmarks build: every controller, a simulated clock, seeded randomness, kind's address ranges. */
import { Cluster } from '../../src/cluster/cluster';
import { SimulationClock } from '../../src/cluster/simulation-clock';
import type { EtcdBackend, LoadedState } from '../../src/cluster/store/etcd/etcd-backend';
import { SeededRandom } from '../../src/common/random';
import { AddressPools } from '../../src/ipam/address-pools';

export interface BenchClusterOptions {
  /** The pod network (default 10.0.0.0/8) and each node's block of it (default /24; 1,000 pods a node need a /20). */
  clusterCidr?: string;
  nodeCidrMaskSize?: number;
  /** Default: a simulated clock at the present time. */
  clock?: SimulationClock;
  /** The etcd backend, and what it read back (a restart). */
  backend?: EtcdBackend;
  restored?: LoadedState;
}

/** A new cluster, randomness seeded with 1 (so every run allocates alike). */
export function benchCluster(options: BenchClusterOptions = {}): Cluster {
  const random = new SeededRandom(1);
  const pools = AddressPools.create(
    {
      serviceClusterIpRange: '10.96.0.0/12',
      serviceNodePortRange: '30000-32767',
      clusterCidr: options.clusterCidr ?? '10.0.0.0/8',
      nodeCidrMaskSize: options.nodeCidrMaskSize ?? 24,
      loadBalancerIpRange: '172.18.255.200-172.18.255.250',
      nodeNetwork: '172.18.0.0/16',
    },
    random,
  );
  return Cluster.create({ pools, clock: options.clock ?? new SimulationClock(), random, backend: options.backend, restored: options.restored });
}
