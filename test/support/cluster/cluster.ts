import { SeededRandom } from '../../../src/common/random';
import { AddressPools, AddressPoolOptions } from '../../../src/ipam/address-pools';
import { Cluster } from '../../../src/cluster/cluster';
import { SimulationClock } from '../../../src/cluster/simulation-clock';

/** Default pools, as the emulator starts with them. */
export const TEST_POOL_OPTIONS: AddressPoolOptions = {
  serviceClusterIpRange: '10.96.0.0/12',
  serviceNodePortRange: '30000-32767',
  clusterCidr: '10.244.0.0/16',
  nodeCidrMaskSize: 24,
  loadBalancerIpRange: '172.18.255.200-172.18.255.250',
  nodeNetwork: '172.18.0.0/16',
};

/** A cluster for specs: a simulation clock at 2026-01-01 and a seeded random source. */
export function newCluster(overrides: Partial<AddressPoolOptions> = {}, seed = 1, options: { fastForwardCrashLoops?: boolean } = {}): Cluster {
  const random = new SeededRandom(seed);
  const pools = AddressPools.create(
    { ...TEST_POOL_OPTIONS, ...overrides },
    random,
  );
  return Cluster.create({ pools, clock: new SimulationClock(Date.UTC(2026, 0, 1)), random, ...options });
}

