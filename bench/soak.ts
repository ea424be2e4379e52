/**
 * bench/soak: the app on the demo cluster, listening on 127.0.0.1 in a child
 * process, under SOAK_MINUTES (default 10) of mixed load from this process:
 * Services created, patched and deleted, a Deployment scaled up and down,
 * watches that connect and drop, traffic requests and clock advances, each
 * from a bounded loop (SOAK_WORKERS loops, default 4, one request at a time).
 * Prints the server's RSS every SOAK_SAMPLE_SECONDS (default 60), then the RSS
 * growth from the first sample (the end of warm-up) to the last, both under
 * load (target at most 10 %), the error
 * count (any 5xx, unexpected status or failed request; target 0) and the p50
 * and p99 latency of each kind of request. Prints figures; asserts nothing.
 */
import { fork, ChildProcess } from 'node:child_process';
import http from 'node:http';
import path from 'node:path';
import { percentile } from './support/timing';

const MINUTES = Number(process.env.SOAK_MINUTES ?? 10);
const SAMPLE_SECONDS = Number(process.env.SOAK_SAMPLE_SECONDS ?? 60);
const WORKERS = Number(process.env.SOAK_WORKERS ?? 4);
/** Names per worker: each worker owns its Services, so no answer depends on another worker's timing. */
const NAMES_PER_WORKER = 20;

interface Memory {
  rss: number;
  heapUsed: number;
  heapTotal: number;
  external: number;
}

// ---- the server (child) ----------------------------------------------------

async function serve(): Promise<void> {
  const { startListeningApp, DEMO } = await import('../test/support/test-app');
  const t = await startListeningApp(DEMO);
  process.on('message', (m) => {
    if (m !== 'memory') return;
    (globalThis as { gc?: () => void }).gc?.();
    const { rss, heapUsed, heapTotal, external } = process.memoryUsage();
    process.send?.({ memory: { rss, heapUsed, heapTotal, external } });
  });
  process.send?.({ port: t.port });
}

// ---- the load (this process) -----------------------------------------------

type Kind = 'service-create' | 'service-patch' | 'service-delete' | 'deployment-scale' | 'watch' | 'traffic' | 'clock-advance';

class Tally {
  readonly latencies = new Map<Kind, number[]>();
  readonly errors: string[] = [];
  errorCount = 0;

  record(kind: Kind, ms: number): void {
    let list = this.latencies.get(kind);
    if (!list) this.latencies.set(kind, (list = []));
    list.push(ms);
  }

  error(kind: Kind, what: string): void {
    this.errorCount++;
    if (this.errors.length < 20) this.errors.push(`${kind}: ${what}`);
  }
}

const agent = new http.Agent({ keepAlive: true, maxSockets: WORKERS * 2 });

function call(port: number, method: string, urlPath: string, body?: unknown, contentType = 'application/json'): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = http.request({ host: '127.0.0.1', port, method, path: urlPath, agent, headers: payload === undefined ? {} : { 'content-type': contentType, 'content-length': Buffer.byteLength(payload) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(payload);
  });
}

/** A watch that connects, reads its first events for a while, and drops the connection. */
function watchAndDrop(port: number, holdMs: number): Promise<{ status: number; events: number; ms: number }> {
  return new Promise((resolve, reject) => {
    const start = performance.now();
    const req = http.get({ host: '127.0.0.1', port, path: '/api/v1/namespaces/default/services?watch=true&timeoutSeconds=60' }, (res) => {
      const ms = performance.now() - start;
      let events = 0;
      res.on('data', (c: Buffer) => (events += c.toString('utf8').split('\n').length - 1));
      res.on('error', () => undefined);
      setTimeout(() => {
        req.destroy();
        resolve({ status: res.statusCode ?? 0, events, ms });
      }, holdMs);
    });
    req.on('error', (e) => ((e as NodeJS.ErrnoException).code === 'ECONNRESET' ? undefined : reject(e)));
  });
}

async function worker(id: number, port: number, until: number, tally: Tally): Promise<void> {
  const present = new Set<string>();
  let step = 0;
  /** Runs one request; its latency is to the whole answer, or to the headers for a watch (`ms`). */
  const timed = async (kind: Kind, expected: number[], work: () => Promise<{ status: number; body?: string; ms?: number }>) => {
    const start = performance.now();
    try {
      const { status, body, ms } = await work();
      tally.record(kind, ms ?? performance.now() - start);
      if (!expected.includes(status)) tally.error(kind, `${status} ${(body ?? '').slice(0, 160)}`);
      return status;
    } catch (e) {
      tally.error(kind, (e as Error).message);
      return 0;
    }
  };
  while (Date.now() < until) {
    step++;
    const r = (step * 7919 + id * 104729) % 100;
    const name = `soak-${id}-${(step * 31) % NAMES_PER_WORKER}`;
    const svc = `/api/v1/namespaces/default/services`;
    if (r < 30) {
      if (present.has(name)) {
        if (r % 3 === 0) {
          if ((await timed('service-delete', [200], () => call(port, 'DELETE', `${svc}/${name}`))) === 200) present.delete(name);
        } else {
          await timed('service-patch', [200], () => call(port, 'PATCH', `${svc}/${name}`, { metadata: { labels: { step: String(step) } } }, 'application/merge-patch+json'));
        }
      } else {
        const body = { apiVersion: 'v1', kind: 'Service', metadata: { name }, spec: { selector: { app: 'web' }, ports: [{ port: 80, targetPort: 8080 }], type: step % 5 === 0 ? 'NodePort' : 'ClusterIP' } };
        if ((await timed('service-create', [201], () => call(port, 'POST', svc, body))) === 201) present.add(name);
      }
    } else if (r < 40) {
      const replicas = 1 + (step % 6);
      await timed('deployment-scale', [200], () => call(port, 'PATCH', '/apis/apps/v1/namespaces/default/deployments/web/scale', { spec: { replicas } }, 'application/merge-patch+json'));
    } else if (r < 48) {
      await timed('watch', [200], () => watchAndDrop(port, 100 + (step % 5) * 100));
    } else if (r < 92) {
      const to = ['web:80', 'db:5432', 'kube-dns.kube-system:53', 'web-nodeport:80'][step % 4];
      const protocol = to.endsWith(':53') ? 'udp' : 'tcp';
      const body = step % 3 === 0 ? { from: 'pod/default/db-0', to, protocol, mode: 'sample', count: 5, seed: step } : { from: 'pod/default/db-0', to, protocol };
      await timed('traffic', [200], () => call(port, 'POST', '/netsim/v1/traffic', body));
    } else {
      await timed('clock-advance', [200], () => call(port, 'POST', '/netsim/v1/clock/advance', { seconds: 1 + (step % 30) }));
    }
  }
}

function memoryOf(server: ChildProcess): Promise<Memory> {
  return new Promise((resolve) => {
    const onMessage = (m: unknown) => {
      const memory = (m as { memory?: Memory }).memory;
      if (!memory) return;
      server.off('message', onMessage);
      resolve(memory);
    };
    server.on('message', onMessage);
    server.send('memory');
  });
}

const mib = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MiB`;
const memoryText = (m: Memory) => `RSS ${mib(m.rss)}, heap ${mib(m.heapUsed)} used of ${mib(m.heapTotal)}, external ${mib(m.external)}`;

async function main(): Promise<void> {
  if (process.argv[2] === '--server') return serve();
  const server = fork(__filename, ['--server'], { execArgv: ['--expose-gc', '-r', path.join(__dirname, 'register.js')] });
  try {
    const port = await new Promise<number>((resolve, reject) => {
      server.once('message', (m) => resolve((m as { port: number }).port));
      server.once('exit', (code) => reject(new Error(`server exited with ${code}`)));
    });
    const start = Date.now();
    const until = start + MINUTES * 60_000;
    console.log(`soak: ${MINUTES} min, ${WORKERS} loops against http://127.0.0.1:${port} (demo cluster), RSS every ${SAMPLE_SECONDS} s`);
    const first = await memoryOf(server);
    console.log(`soak: t=0 ${memoryText(first)}`);
    const tally = new Tally();
    const samples: Memory[] = [];
    let sampling = true;
    const sampler = (async () => {
      for (let i = 1; sampling; i++) {
        const due = start + i * SAMPLE_SECONDS * 1000;
        if (due > until) break;
        await new Promise((resolve) => setTimeout(resolve, due - Date.now()));
        const m = await memoryOf(server);
        samples.push(m);
        const requests = [...tally.latencies.values()].reduce((n, l) => n + l.length, 0);
        console.log(`soak: t=${((Date.now() - start) / 60_000).toFixed(1)} min ${memoryText(m)}, ${requests} requests, ${tally.errorCount} errors`);
      }
    })();
    await Promise.all(Array.from({ length: WORKERS }, (_, i) => worker(i, port, until, tally)));
    sampling = false;
    await sampler;
    const idle = await memoryOf(server);
    console.log(`soak: after the load, idle: ${memoryText(idle)}`);
    // Both ends under load: the first sample (end of warm-up) and the last one.
    const warm = samples[0] ?? first;
    const last = samples.length > 1 ? samples[samples.length - 1] : idle;
    const growth = (to: number, from: number) => `${(((to - from) / from) * 100).toFixed(1)} %`;
    console.log(`soak: RSS growth after warm-up (first sample ${mib(warm.rss)} -> last ${mib(last.rss)}): ${growth(last.rss, warm.rss)} (target <= 10 %)`);
    console.log(`soak: heap used after warm-up: ${mib(warm.heapUsed)} -> ${mib(last.heapUsed)}: ${growth(last.heapUsed, warm.heapUsed)}`);
    console.log(`soak: errors: ${tally.errorCount} (target 0)`);
    for (const e of tally.errors) console.log(`soak:   ${e}`);
    for (const [kind, list] of [...tally.latencies].sort((a, b) => a[0].localeCompare(b[0]))) {
      const sorted = [...list].sort((a, b) => a - b);
      console.log(`soak: ${kind.padEnd(16)} ${String(sorted.length).padStart(7)} requests, p50 ${percentile(sorted, 50).toFixed(1)} ms, p99 ${percentile(sorted, 99).toFixed(1)} ms, max ${sorted[sorted.length - 1].toFixed(1)} ms`);
    }
  } finally {
    agent.destroy();
    server.kill();
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
