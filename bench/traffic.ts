/**
 * bench/traffic: simulated traffic on a 100-node, 1,000-Service cluster
 * (3 pods a Service, built through the store with every controller running):
 * enumerated and sampled traces per second from a pod to a Service by name,
 * and, when `autocannon` is installed, requests per second and p99 latency of
 * `POST /netsim/v1/traffic` under load from a second process against the app
 * listening on 127.0.0.1. Prints figures; asserts nothing.
 */
import { fork } from 'node:child_process';
import path from 'node:path';
import { TrafficSimulator } from '../src/dataplane/traffic';
import { NODES, PODS_PER_SERVICE, SERVICES, buildTrafficCluster as build } from './support/traffic-cluster';

function rate(name: string, seconds: number, work: (i: number) => void): number {
  const start = process.hrtime.bigint();
  const until = start + BigInt(Math.round(seconds * 1e9));
  let n = 0;
  while (process.hrtime.bigint() < until) work(n++);
  const elapsed = Number(process.hrtime.bigint() - start) / 1e9;
  const perSecond = n / elapsed;
  console.log(`traffic: ${name}: ${perSecond.toFixed(0)}/s (${n} in ${elapsed.toFixed(2)} s)`);
  return perSecond;
}

async function main(): Promise<void> {
  if (process.argv[2] === '--server') return serve();
  const started = process.hrtime.bigint();
  const cluster = build();
  console.log(`traffic: build ${NODES} nodes, ${SERVICES} Services, ${SERVICES * PODS_PER_SERVICE} pods: ${(Number(process.hrtime.bigint() - started) / 1e6).toFixed(0)} ms`);
  const sim = new TrafficSimulator(cluster);
  const warm = process.hrtime.bigint();
  sim.send({ from: 'pod/default/pod-0', to: 'svc-1:80' });
  console.log(`traffic: first trace (kube-proxy syncs, node views): ${(Number(process.hrtime.bigint() - warm) / 1e6).toFixed(0)} ms`);
  const warmAll = process.hrtime.bigint();
  // Pods 0-99 sit on every node: each node's kube-proxy syncs once here, not during the timed runs.
  for (let i = 0; i < NODES; i++) sim.send({ from: `pod/default/pod-${i}`, to: `svc-${i + 1}:80` });
  console.log(`traffic: warm-up, one trace from each node: ${(Number(process.hrtime.bigint() - warmAll) / 1e6).toFixed(0)} ms`);
  rate('enumerate, pod -> Service by name (3 endpoints, VXLAN)', 3, (i) => {
    sim.send({ from: `pod/default/pod-${i % 300}`, to: `svc-${(i * 13) % SERVICES}:80` });
  });
  rate('enumerate, pod -> ClusterIP (same Service)', 2, () => {
    sim.send({ from: 'pod/default/pod-0', to: 'service/default/svc-1:80' });
  });
  rate('sample, one connection each (conntrack, counters)', 3, (i) => {
    sim.send({ from: `pod/default/pod-${i % 300}`, to: `svc-${(i * 13) % SERVICES}:80`, mode: 'sample', count: 1, sourcePort: 1024 + (i % 60000) });
  });
  await load();
}

/** The app on the bench cluster, listening on 127.0.0.1, for the load test. */
async function serve(): Promise<void> {
  const { Test } = await import('@nestjs/testing');
  const { AppModule } = await import('../src/app.module');
  const { configureApp, createHttpAdapter } = await import('../src/api/configure-app');
  const { readConfig } = await import('../src/config/app-config');
  const cluster = build();
  const config = readConfig({ CLUSTER_FILE: 'none' });
  const moduleRef = await Test.createTestingModule({ imports: [AppModule.register({ config, cluster, clock: cluster.clock, random: cluster.random })] }).compile();
  const app = configureApp(moduleRef.createNestApplication(createHttpAdapter(), { logger: false, bodyParser: false }));
  await app.init();
  // Every node's kube-proxy syncs once before the load, as in the in-process runs.
  for (let i = 0; i < NODES; i++) {
    await app.getHttpAdapter().getInstance().inject({ method: 'POST', url: '/netsim/v1/traffic', payload: { from: `pod/default/pod-${i}`, to: `svc-${i + 1}:80` } });
  }
  await app.listen(0, '127.0.0.1');
  const { port } = app.getHttpServer().address() as { port: number };
  process.send?.({ port });
}

async function load(): Promise<void> {
  let autocannon: ((options: object) => Promise<{ requests: { average: number }; latency: { p99: number; average: number }; non2xx: number; errors: number }>) | undefined;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    autocannon = require('autocannon');
  } catch {
    console.log('traffic: HTTP load: skipped: `autocannon` is not installed (npm install --save-dev autocannon, then run again)');
    return;
  }
  const server = fork(__filename, ['--server'], { execArgv: ['-r', path.join(__dirname, 'register.js')] });
  try {
    const port = await new Promise<number>((resolve, reject) => {
      server.once('message', (m) => resolve((m as { port: number }).port));
      server.once('exit', (code) => reject(new Error(`server exited with ${code}`)));
    });
    const url = `http://127.0.0.1:${port}/netsim/v1/traffic`;
    const headers = { 'content-type': 'application/json' };
    const report = (name: string, r: Awaited<ReturnType<NonNullable<typeof autocannon>>>) =>
      console.log(
        `traffic: HTTP POST /netsim/v1/traffic, ${name} (10 connections, 10 s): ${r.requests.average.toFixed(0)} requests/s, latency avg ${r.latency.average.toFixed(2)} ms, p99 ${r.latency.p99} ms, non-2xx ${r.non2xx}, errors ${r.errors}`,
      );
    // One request again and again: after the first, the answer comes from the answer cache (the cluster stands still).
    const body = JSON.stringify({ from: 'pod/default/pod-0', to: 'svc-1.default:80' });
    await autocannon!({ url, method: 'POST', body, headers, connections: 10, duration: 2 });
    report('the same request (enumerate, answered from the cache)', await autocannon!({ url, method: 'POST', body, headers, connections: 10, duration: 10 }));
    // As curl --compressed, browsers and Go clients such as kubectl ask: the cached answer's gzip encoding (about 1/13 of the JSON).
    const gzip = { ...headers, 'accept-encoding': 'gzip' };
    report('the same request, Accept-Encoding: gzip', await autocannon!({ url, method: 'POST', body, headers: gzip, connections: 10, duration: 10 }));
    // A new pair every time (300 pods x 1,000 Services): every answer is worked out afresh.
    let n = 0;
    const fresh = () => {
      const i = n++;
      return JSON.stringify({ from: `pod/default/pod-${i % 300}`, to: `svc-${(i * 7 + Math.floor(i / 300)) % SERVICES}.default:80`, sourcePort: 1024 + (i % 60000) });
    };
    const distinct = await autocannon!({
      url,
      headers: gzip,
      connections: 10,
      duration: 10,
      requests: [{ method: 'POST', setupRequest: (req: object) => ({ ...req, body: fresh() }) }],
    });
    report('a different request each time, Accept-Encoding: gzip (enumerate, worked out afresh)', distinct);
  } finally {
    server.kill();
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
