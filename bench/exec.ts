/**
 * bench/exec: the simulated shell of `kubectl exec` on a 100-node,
 * 1,000-Service cluster: `curl -s SERVICE` sessions per second (each one
 * name lookup, a sampled DNS packet and a sampled TCP connection through
 * the traffic engine, the HTTP answer and its access-log line), and a
 * 30-curl `for` loop. Prints figures; asserts nothing.
 */
import { TrafficSimulator } from '../src/dataplane/traffic';
import { PodExec } from '../src/exec/pod-exec';
import { NODES, SERVICES, buildTrafficCluster as build } from './support/traffic-cluster';

function rate(name: string, seconds: number, work: (i: number) => void): void {
  const start = process.hrtime.bigint();
  const until = start + BigInt(Math.round(seconds * 1e9));
  let n = 0;
  while (process.hrtime.bigint() < until) work(n++);
  const elapsed = Number(process.hrtime.bigint() - start) / 1e9;
  console.log(`exec: ${name}: ${(n / elapsed).toFixed(0)}/s (${n} in ${elapsed.toFixed(2)} s)`);
}

function main(): void {
  const cluster = build();
  const exec = new PodExec(cluster, new TrafficSimulator(cluster));
  const run = (pod: string, argv: string[]) => exec.shell({ namespace: 'default', pod }).exec(argv, () => undefined, () => undefined);
  const warm = process.hrtime.bigint();
  for (let i = 0; i < NODES; i++) run(`pod-${i}`, ['curl', '-s', `svc-${i + 1}`]);
  console.log(`exec: warm-up, one curl from each node: ${(Number(process.hrtime.bigint() - warm) / 1e6).toFixed(0)} ms`);
  rate('session "curl -s SERVICE" (DNS + TCP sampled, answer, log line)', 3, (i) => run(`pod-${i % 300}`, ['curl', '-s', `svc-${(i * 13) % SERVICES}`]));
  rate('session "for i in $(seq 30); do curl -s SERVICE; done"', 3, (i) => run(`pod-${i % 300}`, ['sh', '-c', `for i in $(seq 30); do curl -s svc-${(i * 7) % SERVICES}; done`]));
}

main();
