/**
 * bench/demo-cluster: how long loading the demo cluster takes (what `npm start` does after the
 * server is built and before it answers): a fresh cluster, `loadClusterFile`, controllers settled
 * (kubeadm's static pods, the DaemonSets, Deployments and Services), 20 times; median and worst.
 * `CLUSTER_FILE` measures another file. Not a test: it asserts nothing.
 */
import { loadClusterFile } from '../src/cluster/apply/cluster-file';
import { newCluster } from '../test/support/cluster/cluster';
import { resourceTypeByKey } from '../src/cluster/store/resource-types';

const FILE = process.env.CLUSTER_FILE ?? 'fixtures/clusters/demo.yaml';
const RUNS = 20;

function main(): void {
  const times: number[] = [];
  let pods = 0;
  for (let i = 0; i < RUNS + 2; i++) {
    const start = performance.now();
    const cluster = newCluster();
    loadClusterFile(cluster, FILE);
    const ms = performance.now() - start;
    if (i >= 2) times.push(ms); // the first two warm the JIT up
    pods = cluster.store.count(resourceTypeByKey('pods')!);
  }
  times.sort((a, b) => a - b);
  console.log(`demo-cluster: ${FILE}: ${pods} pods; load and settle: median ${times[RUNS >> 1].toFixed(1)} ms, worst ${times[RUNS - 1].toFixed(1)} ms (${RUNS} runs)`);
}

main();
