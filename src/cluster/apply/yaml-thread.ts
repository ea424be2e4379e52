import { extname, join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { DomainError, DomainErrorCode } from '../../common/domain-error';
import { nextTurn } from '../../common/next-turn';
import { ManifestDocument, parseManifestYaml } from './manifests';
import { parseYamlObject } from './yaml-documents';

/**
 * Reading YAML off the event loop. The `yaml` package composes a document in
 * one synchronous step, and a 3 MiB body takes seconds to read; meanwhile no
 * other request would be answered. A body this long or longer is read in a
 * worker thread instead, by the same reader (`yaml-documents.ts` and
 * `manifests.ts`, with the same limits and the same error texts), and the result or the error comes
 * back to the caller. Shorter bodies are read at once: a worker round trip
 * costs more than they do. The bound is low because YAML's cost per byte is
 * not even: 18 KiB of 1,500 one-line documents took 40 ms of CPU with the
 * reader warm and 300 ms on its first use in a process (the parser's code not
 * yet compiled), while 4 KiB stay under 100 ms either way.
 */
export const OFF_THREAD_BYTES = 4 * 1024;

/** What the worker is asked: the manifests of a stream (`parseManifestYaml`), or one object (`parseYamlObject`). */
type Mode = 'manifests' | 'object';

interface Job {
  id: number;
  mode: Mode;
  text: string;
  /** The mapping-key limit, when not the default (`POST /netsim/v1/import`). */
  keys?: number;
}

interface SentError {
  code: DomainErrorCode;
  message: string;
  causes: DomainError['causes'];
  kind?: string;
  name?: string;
  retryAfterSeconds?: number;
}

type Answer = { id: number; value: unknown } | { id: number; domainError: SentError } | { id: number; failure: string };

/**
 * The worker's program. The thread loads the reader module by its own path:
 * from `dist/` it is JavaScript; from the TypeScript sources (tests, benches)
 * it is compiled as it loads, with swc, as the tests' own runner does.
 * `process.env` becomes a plain copy in the thread: the `yaml` parser looks
 * up `process.env.LOG_TOKENS` for every token, and the real environment
 * object makes that lookup a call into the host each time.
 */
const WORKER_PROGRAM = `
const { parentPort, workerData } = require('node:worker_threads');
process.env = { ...process.env };
if (workerData.reader.endsWith('.ts')) {
  const { transformSync } = require('@swc/core');
  const { readFileSync } = require('node:fs');
  require.extensions['.ts'] = (module, filename) => {
    const options = { filename, jsc: { parser: { syntax: 'typescript' }, target: 'es2022' }, module: { type: 'commonjs' } };
    module._compile(transformSync(readFileSync(filename, 'utf8'), options).code, filename);
  };
}
const reader = require(workerData.reader);
const manifests = require(workerData.manifests);
parentPort.on('message', ({ id, mode, text, keys }) => {
  let answer;
  try {
    answer = { id, value: mode === 'object' ? reader.parseYamlObject(text) : manifests.parseManifestYaml(text, { keys }) };
  } catch (e) {
    answer = e && e.name === 'DomainError'
      ? { id, domainError: { code: e.code, message: e.message, causes: e.causes, kind: e.kind, name: e.objectName, retryAfterSeconds: e.retryAfterSeconds } }
      : { id, failure: String(e && e.stack || e) };
  }
  parentPort.postMessage(answer);
});
`;

/** The reader modules, next to this one, in the same language as this one (`.ts` from sources, `.js` from `dist/`). */
const READER_MODULES = { reader: join(__dirname, `yaml-documents${extname(__filename)}`), manifests: join(__dirname, `manifests${extname(__filename)}`) };

/**
 * One worker thread for every off-thread read, started on first use and
 * kept: jobs queue in it in order. It holds the process open only while a job
 * is under way. A worker that dies fails its jobs (500: our fault, not the
 * request's) and is started afresh for the next.
 */
class ReadingThread {
  private worker: Worker | undefined;
  private nextId = 0;
  private readonly pending = new Map<number, { resolve: (value: unknown) => void; reject: (e: Error) => void }>();

  run(mode: Mode, text: string, keys?: number): Promise<unknown> {
    const worker = this.started();
    const id = ++this.nextId;
    const job: Job = { id, mode, text, keys };
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      if (this.pending.size === 1) worker.ref();
      worker.postMessage(job);
    });
  }

  private started(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(WORKER_PROGRAM, { eval: true, workerData: READER_MODULES });
    worker.on('message', (answer: Answer) => this.answered(answer));
    worker.on('error', (e) => this.failAll(e));
    worker.on('exit', (code) => this.failAll(new Error(`the YAML reading thread stopped (exit code ${code})`)));
    worker.unref();
    this.worker = worker;
    return worker;
  }

  private answered(answer: Answer): void {
    const job = this.pending.get(answer.id);
    if (!job) return;
    this.pending.delete(answer.id);
    if (this.pending.size === 0) this.worker?.unref();
    if ('value' in answer) job.resolve(answer.value);
    else if ('domainError' in answer) job.reject(revived(answer.domainError));
    else job.reject(new Error(`reading YAML in its thread failed: ${answer.failure}`));
  }

  private failAll(e: Error): void {
    this.worker = undefined;
    const jobs = [...this.pending.values()];
    this.pending.clear();
    for (const job of jobs) job.reject(e);
  }
}

function revived(sent: SentError): DomainError {
  return new DomainError(sent.code, sent.message, { causes: sent.causes, kind: sent.kind, name: sent.name, retryAfterSeconds: sent.retryAfterSeconds });
}

const thread = new ReadingThread();

/**
 * The thread's answer, once the event loop has turned: copying a 3 MiB
 * object out of the thread's message takes a block of its own, and the
 * caller's work on it (validation, the write, the answer) takes another.
 */
async function fromThread(mode: Mode, text: string, keys?: number): Promise<unknown> {
  const value = await thread.run(mode, text, keys);
  await nextTurn();
  return value;
}

/** `parseManifestYaml` (the manifests of a multi-document YAML body), off the event loop for a body of `OFF_THREAD_BYTES` or more. */
export async function parseManifestYamlOffThread(text: string, offThreadBytes = OFF_THREAD_BYTES, options: { keys?: number } = {}): Promise<ManifestDocument[]> {
  if (text.length < offThreadBytes) return parseManifestYaml(text, options);
  return (await fromThread('manifests', text, options.keys)) as ManifestDocument[];
}

/** `parseYamlObject`, off the event loop for a body of `OFF_THREAD_BYTES` or more. */
export async function parseYamlObjectOffThread(text: string, offThreadBytes = OFF_THREAD_BYTES): Promise<object> {
  if (text.length < offThreadBytes) return parseYamlObject(text);
  return (await fromThread('object', text)) as object;
}
