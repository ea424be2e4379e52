/**
 * bench/explain: what verdicts cost. On the demo cluster with `web` scaled to
 * 50 replicas, the time of an enumerated answer worked out afresh (50
 * outcomes, verdicts included) beside the time of its 50 verdicts alone, and
 * the time of a diagnosis (ten checks, one enumerated answer). Prints
 * figures; asserts nothing.
 */
import { buildCluster } from '../src/app.module';
import { loadClusterFile } from '../src/cluster/apply/cluster-file';
import { SimulationClock } from '../src/cluster/simulation-clock';
import { SeededRandom } from '../src/common/random';
import { readConfig } from '../src/config/app-config';
import { Diagnoser } from '../src/dataplane/explain/diagnose';
import { TrafficSimulator } from '../src/dataplane/traffic';

function perCall(runs: number, work: (i: number) => void): number {
  const start = process.hrtime.bigint();
  for (let i = 0; i < runs; i++) work(i);
  return Number(process.hrtime.bigint() - start) / 1e6 / runs;
}

function main(): void {
  const config = readConfig({ CLUSTER_FILE: 'fixtures/clusters/demo.yaml' });
  const cluster = buildCluster(config, new SimulationClock(Date.UTC(2026, 0, 1)), new SeededRandom(1));
  loadClusterFile(cluster, config.clusterFile, process.cwd());
  cluster.store.patch(cluster.store.resourceType('deployments.apps'), 'default', 'web', { spec: { replicas: 50 } });
  cluster.clock.advance(10_000);
  const sim = new TrafficSimulator(cluster, { answerCacheSize: 0 });
  const request = { from: 'pod/default/db-0', to: 'web:80' };
  const answer = sim.send(request);
  const context = { from: request.from, to: request.to, resolution: answer.resolution };
  const verdicts = () => {
    for (const o of answer.outcomes) sim.explainer.explain(o, context);
  };
  // Warm up the JIT on both.
  perCall(20, (i) => sim.send({ ...request, sourcePort: 30000 + i }));
  perCall(20, verdicts);
  const send = perCall(50, (i) => sim.send({ ...request, sourcePort: 41000 + i }));
  const explain = perCall(50, verdicts);
  console.log(`explain: enumerated answer, ${answer.outcomes.length} outcomes, worked out afresh (verdicts included): ${send.toFixed(2)} ms`);
  console.log(`explain: its ${answer.outcomes.length} verdicts alone: ${explain.toFixed(3)} ms (${((explain / send) * 100).toFixed(1)}% of the answer)`);
  const diagnoser = new Diagnoser(sim);
  perCall(10, (i) => diagnoser.diagnose({ from: request.from, to: request.to, ...(i % 2 ? { protocol: 'tcp' as const } : {}) }));
  const diagnose = perCall(30, () => diagnoser.diagnose(request));
  console.log(`explain: GET /netsim/v1/diagnose's work for the same request (ten checks, the answer cache off): ${diagnose.toFixed(2)} ms`);
}

main();
