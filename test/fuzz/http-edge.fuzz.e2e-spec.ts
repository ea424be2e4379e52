import net from 'node:net';
import fc from 'fast-check';
import { startListeningApp, TestApp } from '../support/test-app';
import { knownDefectOf } from './known-defects';
import { Answer, Failure, fold, statusProblems } from './support/oracle';
import type { FuzzRequest } from './support/requests';

/**
 * The HTTP layer below the routes, which an in-process `inject` never reaches:
 * raw bytes on a real loopback socket, with request lines, Content-Length,
 * Transfer-Encoding and header sizes a client gets wrong. Every answer must be
 * a 4xx `Status` (never a 5xx, never a hang), and the server must still
 * answer /healthz afterwards. Seed and count as in api.fuzz (FUZZ_SEED,
 * FUZZ_EDGE_RUNS).
 */
const SEED = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : Math.floor(Math.random() * 2 ** 31);
const RUNS = Number(process.env.FUZZ_EDGE_RUNS ?? 150);

interface RawCase {
  route: string;
  text: string;
}

const target = fc.constantFrom('/api/v1/namespaces/default/services', '/netsim/v1/traffic', '/netsim/v1/apply', '/healthz');
const body = '{"from":"pod/default/db-0","to":"web:80"}';

const rawCase: fc.Arbitrary<RawCase> = fc.oneof(
  // Content-Length that is not a number, is negative, repeated with two values, or shorter than the body.
  fc.tuple(target, fc.constantFrom('abc', '-1', '1e3', '0x10', ' 5', '99999999999999999999', `${body.length}, ${body.length + 1}`, '3')).map(([path, cl]) => ({
    route: `POST ${path} (Content-Length: ${cl})`,
    text: `POST ${path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${cl}\r\nConnection: close\r\n\r\n${body}`,
  })),
  // Both Content-Length and Transfer-Encoding, or a broken chunk.
  fc.tuple(target, fc.constantFrom('zz\r\n{}\r\n0\r\n\r\n', '2\r\n{}\r\n', '-1\r\n\r\n')).map(([path, chunks]) => ({
    route: `POST ${path} (chunked)`,
    text: `POST ${path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nContent-Length: 2\r\nConnection: close\r\n\r\n${chunks}`,
  })),
  // Headers past Node's 16 KiB limit: 431.
  fc.tuple(target, fc.constantFrom(17 * 1024, 64 * 1024)).map(([path, size]) => ({ route: `GET ${path} (headers ${size} B)`, text: `GET ${path} HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(size)}\r\nConnection: close\r\n\r\n` })),
  // A URL past every sensible length: 414.
  fc.constantFrom(9000, 70000).map((n) => ({ route: `GET /api/v1/namespaces/{long ${n}}`, text: `GET /api/v1/namespaces/${'a'.repeat(n)} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n` })),
  // Request lines and header lines that are not HTTP.
  fc.constantFrom('GARBAGE\r\n\r\n', 'GET / HTTP/9.9\r\nHost: x\r\n\r\n', 'GET /healthz HTTP/1.1\r\nBad Header\r\nConnection: close\r\n\r\n', 'GET /healthz HTTP/1.1\r\nHost: x\r\nX: a\u0000b\r\nConnection: close\r\n\r\n', 'G\u00e9T /healthz HTTP/1.1\r\n\r\n', 'GET /api/v1/namespaces/\u00e9 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n').map((text) => ({ route: `raw ${JSON.stringify(text.slice(0, 16))}`, text })),
);

/** Sends raw bytes and reads until the server closes (or 5 s pass: a hang is a failure too). */
function exchange(port: number, text: string): Promise<string> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      resolve(Buffer.concat(chunks).toString('latin1') || 'TIMEOUT');
    }, 5000);
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(Buffer.concat(chunks).toString('latin1'));
    });
    socket.end(Buffer.from(text, 'latin1'));
  });
}

function parseAnswer(raw: string): Answer | undefined {
  const match = /^HTTP\/1\.[01] (\d{3})[^\r\n]*\r\n([\s\S]*?)\r\n\r\n([\s\S]*)$/.exec(raw);
  if (!match) return undefined;
  const headers: Record<string, string> = {};
  for (const line of match[2].split('\r\n')) {
    const i = line.indexOf(':');
    if (i > 0) headers[line.slice(0, i).toLowerCase()] = line.slice(i + 1).trim();
  }
  let payload = match[3];
  if (headers['transfer-encoding'] === 'chunked') payload = payload.replace(/(^|\r\n)[0-9a-f]+\r\n/gi, '').replace(/\r\n$/, '');
  return { status: Number(match[1]), headers, body: payload };
}

describe('fuzz: the HTTP layer on a real socket (e2e)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startListeningApp({ CLUSTER_FILE: 'fixtures/clusters/demo.yaml' });
  });
  afterAll(() => t?.close());

  it(`answers every malformed request with a 4xx Status and keeps serving (seed ${SEED})`, async () => {
    const failures = new Map<string, { failure: Failure; known?: string }>();
    const record = (c: RawCase, property: Failure['property'], detail: string, answer?: Answer) => {
      const request: FuzzRequest = { route: c.route, method: c.text.split(' ')[0], url: c.text.split(' ')[1] ?? '', headers: {}, body: c.text.slice(0, 300), family: 'raw' };
      const failure: Failure = { property, route: c.route, detail, request, status: answer?.status, body: answer?.body.slice(0, 200) };
      const key = `${c.route} | ${property} | ${detail}`;
      if (!failures.has(key)) failures.set(key, { failure, known: knownDefectOf(failure)?.id });
    };
    let sent = 0;
    await fc.assert(
      fc.asyncProperty(rawCase, async (c) => {
        sent++;
        const raw = await exchange(t.port!, c.text);
        const answer = parseAnswer(raw);
        if (!answer) record(c, 'status-shape', raw === '' ? 'connection closed without an answer' : `not HTTP: ${fold(raw.slice(0, 40))}`);
        else if (answer.status >= 500) record(c, 'no-5xx', `${answer.status}`, answer);
        else if (answer.status >= 400) {
          const problem = statusProblems(answer);
          if (problem) record(c, 'status-shape', `${answer.status} ${fold(problem)}`, answer);
        }
        const health = parseAnswer(await exchange(t.port!, 'GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'));
        if (health?.status !== 200) record(c, 'healthz-under-250ms', `/healthz then answered ${health?.status ?? 'nothing'}`);
      }),
      { seed: SEED, numRuns: RUNS },
    );
    const lines = [`fuzz (HTTP layer): seed ${SEED} (FUZZ_SEED=${SEED} FUZZ_EDGE_RUNS=${RUNS} to replay), ${sent} raw requests, ${failures.size} distinct failures`];
    const knownCount = new Map<string, number>();
    for (const { known } of failures.values()) if (known) knownCount.set(known, (knownCount.get(known) ?? 0) + 1);
    for (const [id, n] of knownCount) lines.push(`  [${id}] ${n} distinct failures`);
    for (const { failure, known } of failures.values()) {
      if (!known || process.env.FUZZ_VERBOSE) lines.push(`  [${known ?? 'NEW'}] ${failure.property} ${failure.route}: ${failure.detail}\n      -> ${failure.status} ${failure.body ?? ''}`);
    }
    process.stdout.write(`${lines.join('\n')}\n`);
    expect([...failures.values()].filter((f) => !f.known).map((f) => `${f.failure.property} ${f.failure.route}: ${f.failure.detail}`)).toEqual([]);
  }, 600_000);
});
