/**
 * bench/http-edge: the HTTP edge's limits under load, over real HTTP on
 * 127.0.0.1 (the demo cluster, controllers settling in slices as under
 * main.ts): the time to apply a 2 MB multi-document YAML manifest (about
 * 7,700 Services) and to create one 3 MiB ConfigMap sent as YAML, the longest
 * event-loop block while each runs (perf_hooks monitorEventLoopDelay) and how
 * /healthz answers meanwhile (target: no block over 250 ms); the YAML reading
 * alone at 1, 2 and 3 MiB (wall and CPU time, on the event loop and in the
 * reading thread), to see that it is linear; and how fast refused requests
 * are answered (bodies over the size limit, JSON and YAML nested too deep,
 * too many documents). Prints figures; asserts nothing. `HTTP_EDGE_PARTS`
 * picks parts (a comma list of read, apply, document, refused; all by default).
 */
import http from 'node:http';
import { watchBlocks } from './support/timing';
import { Test } from '@nestjs/testing';
import { configureApp, createHttpAdapter } from '../src/api/configure-app';
import { AppModule, buildCluster } from '../src/app.module';
import { loadClusterFile } from '../src/cluster/apply/cluster-file';
import { readYamlDocuments } from '../src/cluster/apply/yaml-documents';
import { parseManifestYamlOffThread } from '../src/cluster/apply/yaml-thread';
import { SimulationClock } from '../src/cluster/simulation-clock';
import { SeededRandom } from '../src/common/random';
import { readConfig } from '../src/config/app-config';

/**
 * A manifest of `bytes` or a little more: Services with two ports and labels,
 * one document each (with `note`, an annotation of that many characters, so
 * that 3 MiB stay under the 10,000-document limit).
 */
function manifest(bytes: number, prefix: string, note = 0): string {
  const docs: string[] = [];
  let size = 0;
  const annotation = note ? `  annotations:\n    note: ${'n'.repeat(note)}\n` : '';
  for (let i = 0; size < bytes; i++) {
    const doc = `---\napiVersion: v1\nkind: Service\nmetadata:\n  name: ${prefix}-${i}\n  namespace: default\n${annotation}  labels:\n    app: web-${i}\n    tier: frontend\nspec:\n  selector:\n    app: web-${i}\n  ports:\n  - name: http\n    port: 80\n    targetPort: 8080\n  - name: https\n    port: 443\n    targetPort: 8443\n`;
    docs.push(doc);
    size += doc.length;
  }
  return docs.join('');
}

interface Sent {
  status: number;
  ms: number;
}

function send(port: number, method: string, path: string, contentType: string, body: string | Buffer, headers: Record<string, string> = {}): Promise<Sent> {
  return new Promise((resolve, reject) => {
    const start = process.hrtime.bigint();
    const req = http.request({ host: '127.0.0.1', port, method, path, headers: { 'Content-Type': contentType, 'Content-Length': String(Buffer.byteLength(body)), ...headers } }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, ms: Number(process.hrtime.bigint() - start) / 1e6 }));
    });
    // A refused body is answered before it is read: the server may close while we still write.
    req.on('error', (e) => ((e as NodeJS.ErrnoException).code === 'EPIPE' || (e as NodeJS.ErrnoException).code === 'ECONNRESET' ? undefined : reject(e)));
    req.end(body);
  });
}

async function refused(port: number, name: string, runs: number, once: () => Promise<Sent>): Promise<void> {
  const times: number[] = [];
  let status = 0;
  for (let i = 0; i < runs; i++) {
    const r = await once();
    status = r.status;
    times.push(r.ms);
  }
  times.sort((a, b) => a - b);
  console.log(`http-edge: refused ${name}: ${status}, median ${times[Math.floor(runs / 2)].toFixed(1)} ms, max ${times[runs - 1].toFixed(1)} ms (${runs} requests)`);
}

/** Runs `work`, asking /healthz again as soon as it answers meanwhile, and describes the longest event-loop block and /healthz's answers. */
async function whileProbing(port: number, work: () => Promise<Sent>): Promise<Sent & { probe: string }> {
  const blocks = watchBlocks();
  let running = true;
  const health: number[] = [];
  const probe = (async () => {
    while (running) health.push((await send(port, 'GET', '/healthz', 'text/plain', '')).ms);
  })();
  const sent = await work();
  running = false;
  await probe;
  const block = blocks.stop();
  health.sort((a, b) => a - b);
  const text = `longest event-loop block ${block.wall.toFixed(0)} ms (${block.cpu.toFixed(0)} ms of CPU); /healthz meanwhile: ${health.length} answers, median ${health[Math.floor(health.length / 2)].toFixed(1)} ms, slowest ${health[health.length - 1].toFixed(0)} ms`;
  return { ...sent, probe: text };
}

const PARTS = new Set((process.env.HTTP_EDGE_PARTS ?? 'read,apply,document,refused').split(','));

async function main(): Promise<void> {
  const config = readConfig({ CLUSTER_FILE: 'none' });
  const clock = new SimulationClock();
  const random = new SeededRandom(1);
  const cluster = buildCluster(config, clock, random);
  loadClusterFile(cluster, 'fixtures/clusters/demo.yaml');
  // As under main.ts: the server keeps answering while the controllers work through a large change.
  cluster.settleInSlices();
  const moduleRef = await Test.createTestingModule({ imports: [AppModule.register({ config, cluster, clock, random })] }).compile();
  const app = configureApp(moduleRef.createNestApplication(createHttpAdapter(), { logger: false, bodyParser: false }));
  await app.listen(0, '127.0.0.1');
  const port = (app.getHttpServer().address() as { port: number }).port;

  const yaml2mb = manifest(2 * 1024 * 1024, 'svc');
  const docs = readYamlDocuments(yaml2mb);
  for (const [name, text] of PARTS.has('read') ? [
    ['1 MiB', manifest(1024 * 1024, 'r1', 60)],
    ['2 MiB', manifest(2 * 1024 * 1024, 'r2', 60)],
    ['3 MiB', manifest(3 * 1024 * 1024 - 4096, 'r3', 60)],
  ] : []) {
    const cpu = process.cpuUsage();
    const start = performance.now();
    const read = readYamlDocuments(text);
    const used = process.cpuUsage(cpu);
    const wall = performance.now() - start;
    const threadStart = performance.now();
    await parseManifestYamlOffThread(text);
    console.log(
      `http-edge: read ${name} of YAML (${read.length} documents) on the event loop: ${wall.toFixed(0)} ms wall, ${((used.user + used.system) / 1000).toFixed(0)} ms CPU (${((used.user + used.system) / 1000 / (text.length / 1048576)).toFixed(0)} ms/MiB); in the reading thread: ${(performance.now() - threadStart).toFixed(0)} ms`,
    );
  }

  if (PARTS.has('apply')) await applyPart(port, cluster, yaml2mb, docs.length);
  if (PARTS.has('document')) await documentPart(port);
  if (PARTS.has('refused')) await refusedPart(port);
  await app.close();
}

async function applyPart(port: number, cluster: ReturnType<typeof buildCluster>, yaml2mb: string, count: number): Promise<void> {
  const applied = await whileProbing(port, () => send(port, 'POST', '/netsim/v1/apply', 'application/yaml', yaml2mb));
  console.log(`http-edge: apply ${(yaml2mb.length / 1048576).toFixed(2)} MB YAML (${count} Services) over HTTP: ${applied.status} in ${applied.ms.toFixed(0)} ms; ${applied.probe}`);
  const settled = await whileProbing(port, async () => {
    const start = performance.now();
    await cluster.controllers.idle();
    return { status: 0, ms: performance.now() - start };
  });
  console.log(`http-edge:   then the controllers settle (EndpointSlices for ${count} Services): ${settled.ms.toFixed(0)} ms; ${settled.probe}`);

}

/** One 3 MiB YAML document (a ConfigMap of 60,000 keys) created, read back, then replaced. */
async function documentPart(port: number): Promise<void> {
  const configMap = `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: big\ndata:\n${Array.from({ length: 60_000 }, (_, i) => `  key-${i}: value-${i}-${'x'.repeat(30)}\n`).join('')}`.slice(0, 3 * 1024 * 1024 - 64);
  const oneDoc = configMap.slice(0, configMap.lastIndexOf('\n') + 1);
  const created = await whileProbing(port, () => send(port, 'POST', '/api/v1/namespaces/default/configmaps', 'application/yaml', oneDoc));
  console.log(`http-edge: one ${(oneDoc.length / 1048576).toFixed(2)} MiB YAML document (a ConfigMap of 60,000 keys) to /api/v1: ${created.status} in ${created.ms.toFixed(0)} ms; ${created.probe}`);

  const read = await whileProbing(port, () => send(port, 'GET', '/api/v1/namespaces/default/configmaps/big', 'application/json', ''));
  console.log(`http-edge:   read back (GET): ${read.status} in ${read.ms.toFixed(0)} ms; ${read.probe}`);
  const replaced = await whileProbing(port, () => send(port, 'PUT', '/api/v1/namespaces/default/configmaps/big', 'application/yaml', oneDoc.replace('value-0-', 'value-0-again-')));
  console.log(`http-edge:   replaced (PUT): ${replaced.status} in ${replaced.ms.toFixed(0)} ms; ${replaced.probe}`);
}

async function refusedPart(port: number): Promise<void> {
  const runs = 20;
  const big = Buffer.alloc(4 * 1024 * 1024, 'a');
  await refused(port, '4 MiB YAML to /netsim/v1/apply (413)', runs, () => send(port, 'POST', '/netsim/v1/apply', 'application/yaml', big));
  await refused(port, '4 MiB JSON to /api/v1 Services (413)', runs, () => send(port, 'POST', '/api/v1/namespaces/default/services', 'application/json', big));
  const deep = `{"from": ${'{"a":'.repeat(10_000)}1${'}'.repeat(10_000)}}`;
  await refused(port, 'JSON nested 10,000 deep to /netsim/v1/trace (400)', runs, () => send(port, 'POST', '/netsim/v1/trace', 'application/json', deep));
  const deepYaml = `a: ${'['.repeat(10_000)}${']'.repeat(10_000)}\n`;
  await refused(port, 'YAML nested 10,000 deep to /netsim/v1/apply (400)', runs, () => send(port, 'POST', '/netsim/v1/apply', 'application/yaml', deepYaml));
  const manyDocs = '---\n'.repeat(10_001);
  await refused(port, '10,001 empty YAML documents to /netsim/v1/apply (400)', runs, () => send(port, 'POST', '/netsim/v1/apply', 'application/yaml', manyDocs));
  await refused(port, 'a Service as text/plain (415)', runs, () => send(port, 'POST', '/api/v1/namespaces/default/services', 'text/plain', 'kind: Service\n'));
}

void main();
