/**
 * bench/snapshot: `GET /netsim/v1/snapshot`, `POST /netsim/v1/snapshot` and
 * `POST /netsim/v1/reset` (docs/snapshots.md), on the demo cluster and on a
 * cluster of 100 nodes, 1,000 Services and 10,000 pods: the time to take a
 * snapshot and write it as JSON (and YAML on the demo), the time a restore
 * and a reset take until the controllers are idle again (every kube-proxy's
 * rules rebuilt), and the longest event-loop block meanwhile (the server
 * answers between the slices). The target for reset on the demo is well
 * under a second. Not a test: it asserts nothing.
 */
import os from 'node:os';
import { stringifyYamlInSlices } from '../src/api/yaml-in-slices';
import { parseManifestJson } from '../src/cluster/apply/manifests';
import { loadClusterFile } from '../src/cluster/apply/cluster-file';
import { Cluster } from '../src/cluster/cluster';
import { importCluster } from '../src/cluster/import/cluster-import';
import { SimulationClock } from '../src/cluster/simulation-clock';
import { LiveCluster } from '../src/cluster/snapshot/live-cluster';
import { SeededRandom } from '../src/common/random';
import { buildAddressPools, readConfig } from '../src/config/app-config';
import { EXPORT_SIZE, exportList } from './support/export-list';
import { watchBlocks } from './support/timing';

/** CPU time of this process in ms: on a shared, loaded machine a fairer figure than wall time. */
const cpuMs = () => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
};

/** Runs `work` and prints its wall and CPU time and the longest event-loop block meanwhile (`watchBlocks`). */
async function measure<T>(label: string, work: () => T | Promise<T>): Promise<T> {
  const blocks = watchBlocks();
  const start = process.hrtime.bigint();
  const cpu = cpuMs();
  const result = await work();
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  // One more tick: a block at the very end is counted too.
  await new Promise((resolve) => setTimeout(resolve, 6));
  const block = blocks.stop();
  console.log(`snapshot: ${label}: ${ms.toFixed(0)} ms (CPU ${(cpuMs() - cpu).toFixed(0)} ms); longest event-loop block ${block.wall.toFixed(0)} ms (${block.cpu.toFixed(0)} ms of CPU)`);
  return result;
}

async function run(name: string, live: LiveCluster, yaml: boolean): Promise<void> {
  const document = await measure(`${name}: take the snapshot`, () => live.snapshot());
  const json = await measure(`${name}: write it as JSON`, () => JSON.stringify(document));
  console.log(`snapshot: ${name}: ${document.objects.length} objects, ${(json.length / 1048576).toFixed(1)} MiB of JSON`);
  if (yaml) {
    const text = await measure(`${name}: write it as YAML (in slices)`, () => stringifyYamlInSlices(document as unknown as Record<string, unknown>));
    console.log(`snapshot: ${name}: ${(text.length / 1048576).toFixed(1)} MiB of YAML`);
  }
  const parsed = await measure(`${name}: read the JSON (the HTTP layer does it)`, () => JSON.parse(json) as unknown);
  await measure(`${name}: restore (check, build, swap; until the controllers are idle)`, () => live.restore(parsed));
  const same = JSON.stringify(live.snapshot()) === json;
  console.log(`snapshot: ${name}: the snapshot after the restore is ${same ? 'byte for byte the first' : 'DIFFERENT'}; faults ${live.current.faults.count}`);
  await measure(`${name}: reset to the configured start (until the controllers are idle)`, () => live.reset());
}

async function largeCluster(random: SeededRandom): Promise<LiveCluster> {
  const config = readConfig({ CLOCK: 'manual', CLUSTER_FILE: 'none', NODE_CIDR_MASK_SIZE: '24' });
  const cluster = Cluster.create({ pools: buildAddressPools(config, random), clock: new SimulationClock(), random });
  cluster.settleInSlices();
  importCluster(cluster.store, cluster.pools, parseManifestJson(exportList()));
  await cluster.controllers.idle();
  return new LiveCluster(cluster, { config, random, settleInSlices: true });
}

async function main(): Promise<void> {
  const random = new SeededRandom(1);

  // The demo cluster, as `npm start` serves it (manual clock, as CI runs it).
  const demoConfig = readConfig({ CLOCK: 'manual' });
  const demo = Cluster.create({ pools: buildAddressPools(demoConfig, random), clock: new SimulationClock(), random, defaultStorageClass: false });
  loadClusterFile(demo, demoConfig.clusterFile);
  demo.settleInSlices();
  demo.store.commit();
  await demo.controllers.idle();
  await run('demo', new LiveCluster(demo, { config: demoConfig, random, settleInSlices: true }), true);

  // 100 nodes, 1,000 Services, 10,000 pods (bench/import.ts's export), imported and settled;
  // only the LiveCluster holds it, so that once it is replaced it can be collected, as in the server.
  console.log(`snapshot: large: ${EXPORT_SIZE.NODES} nodes, ${EXPORT_SIZE.SERVICES} Services, ${EXPORT_SIZE.SERVICES * EXPORT_SIZE.REPLICAS} pods`);
  await run('large', await largeCluster(random), true);
  console.log(`snapshot: load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')} on ${os.cpus().length} cores`);
}

void main();
