import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Cluster } from '../../../src/cluster/cluster';
import { CLUSTER } from '../../../src/api/tokens';
import { knownDefectOf } from '../known-defects';
import { Answer, Failure, fold, LoopWatch, Property, prototypeKeys, prototypePollution, snapshot, StateSnapshot, stateChanges, statusProblems } from './oracle';
import type { FuzzRequest } from './requests';
import type { TestApp } from '../../support/test-app';

/**
 * Sends requests to the in-process app (Fastify's inject: no sockets) and
 * checks the properties on every answer, collecting failures rather than
 * stopping at the first, so that one run lists every distinct defect.
 */
export class Fuzzer {
  readonly cluster: Cluster;
  private readonly protoKeys = prototypeKeys();
  private readonly loop = new LoopWatch(250);
  private baseline: StateSnapshot | null = null;
  requests = 0;
  rejected = 0;
  unsendable = 0;
  readonly statuses = new Map<number, number>();
  /** Wall time spent per generator family, to keep the run short. */
  private readonly familyMs = new Map<string, number>();
  /** Distinct failures by route, property and folded detail, with how often each was seen. */
  readonly failures = new Map<string, { failure: Failure; count: number; known?: string }>();

  constructor(private readonly t: TestApp) {
    this.cluster = t.app.get<Cluster>(CLUSTER);
  }

  private get fastify() {
    return (this.t.app as NestFastifyApplication).getHttpAdapter().getInstance();
  }

  /** Sends one request and checks every property on its answer. */
  async send(request: FuzzRequest): Promise<Answer | undefined> {
    if (this.baseline === null) {
      await this.cluster.controllers.idle();
      this.baseline = snapshot(this.cluster);
    }
    const started = performance.now();
    this.loop.start();
    let answer: Answer;
    try {
      const res = await this.fastify.inject({ method: request.method as 'GET', url: request.url, headers: request.headers, payload: request.body });
      answer = { status: res.statusCode, headers: res.headers, body: res.body };
      // The server settles its controllers in slices after answering (as main.ts runs it): the
      // request's work is what happens until they are idle, and the loop is watched all that time.
      await this.cluster.controllers.idle();
    } catch (e) {
      if (process.env.FUZZ_DEBUG) process.stderr.write(`unsendable: ${(e as Error).message}\n`);
      // The client library refused to build this request (e.g. an invalid header value); it never reached the server.
      this.unsendable++;
      await this.loop.stop();
      return undefined;
    }
    const blockedMs = await this.loop.stop();
    const family = request.family.split(/[:/]/)[0];
    this.familyMs.set(family, (this.familyMs.get(family) ?? 0) + performance.now() - started);
    this.requests++;
    this.statuses.set(answer.status, (this.statuses.get(answer.status) ?? 0) + 1);
    const fail = (property: Property, detail: string) => this.record({ property, route: request.route, detail, request, status: answer.status, body: answer.body.slice(0, 300) });

    for (const problem of limitProblems(request, answer)) fail('status-shape', problem);
    if (answer.status >= 500 && !tooLargeResourceVersion(request, answer, this.cluster.store.resourceVersion)) fail('no-5xx', `${answer.status} ${fold(messageOf(answer.body))}`);
    if (answer.status >= 400) {
      const problem = statusProblems(answer);
      if (problem) fail('status-shape', `${answer.status} ${fold(problem)}`);
      this.rejected++;
      const after = snapshot(this.cluster);
      const changed = stateChanges(this.baseline, after);
      if (changed.length) fail('rejected-changes-nothing', `${answer.status} changed ${changed.join(',')}`);
      this.baseline = after;
    } else {
      this.baseline = null;
    }
    const polluted = prototypePollution(this.protoKeys);
    if (polluted.length) fail('prototype-untouched', `added ${polluted.join(',')}`);
    if (blockedMs !== undefined) fail('healthz-under-250ms', `event loop held ${Math.round(blockedMs / 250) * 250}+ ms`);
    return answer;
  }

  /** A failure of the model: the API answered other than the model says it must. */
  modelFailure(request: FuzzRequest, answer: Answer | undefined, detail: string): void {
    this.record({ property: 'model', route: request.route, detail, request, status: answer?.status, body: answer?.body.slice(0, 300) });
  }

  private record(failure: Failure): void {
    const key = `${failure.route} | ${failure.property} | ${failure.detail}`;
    const seen = this.failures.get(key);
    if (seen) seen.count++;
    else this.failures.set(key, { failure, count: 1, known: knownDefectOf(failure)?.id });
  }

  get unexpected(): Failure[] {
    return [...this.failures.values()].filter((f) => !f.known).map((f) => f.failure);
  }

  report(seed: number, runs: number, steps: number): string {
    const lines = [
      `fuzz: seed ${seed} (FUZZ_SEED=${seed} FUZZ_RUNS=${runs} FUZZ_STEPS=${steps} to replay), ${this.requests} requests, ${this.rejected} rejected, ${this.unsendable} unsendable`,
      `fuzz: answers by status ${[...this.statuses].sort((a, b) => a[0] - b[0]).map(([s, n]) => `${s}:${n}`).join(' ')}`,
      `fuzz: slowest request ${Math.round(this.loop.worstMs)} ms; loop delays past 250 ms without our CPU time (machine noise, not counted): ${this.loop.noisy}; past 250 ms only by the garbage collector's pauses (not counted): ${this.loop.gcNoisy}`,
      `fuzz: time by body family ${[...this.familyMs].sort((a, b) => b[1] - a[1]).slice(0, 8).map(([f, ms]) => `${f} ${(ms / 1000).toFixed(1)} s`).join(', ')}`,
      `fuzz: ${this.failures.size} distinct failures, ${this.unexpected.length} not in KNOWN_DEFECT_CLASSES`,
    ];
    // Known classes in one line each (FUZZ_VERBOSE=1 lists their failures); new failures in full, with an example.
    const byClass = new Map<string, { distinct: number; seen: number; routes: Set<string> }>();
    for (const { failure, count, known } of this.failures.values()) {
      if (!known || process.env.FUZZ_VERBOSE) continue;
      const c = byClass.get(known) ?? { distinct: 0, seen: 0, routes: new Set<string>() };
      c.distinct++;
      c.seen += count;
      c.routes.add(failure.route.split(' ')[1]);
      byClass.set(known, c);
    }
    for (const [id, c] of [...byClass].sort()) lines.push(`  [${id}] ${c.distinct} distinct failures, seen ${c.seen} times, on ${[...c.routes].slice(0, 4).join(', ')}${c.routes.size > 4 ? ', ...' : ''}`);
    const shown = [...this.failures.values()].filter((f) => !f.known || process.env.FUZZ_VERBOSE).sort((a, b) => a.failure.route.localeCompare(b.failure.route));
    for (const { failure, count, known } of shown) {
      const r = failure.request;
      lines.push(
        `  [${known ?? 'NEW'}] ${failure.property} ${failure.route}: ${failure.detail} (x${count})`,
        `      e.g. ${r.method} ${r.url.slice(0, 160)} ${JSON.stringify(r.headers)} body(${r.family}) ${JSON.stringify((r.body ?? '').slice(0, process.env.FUZZ_DEBUG ? 4000 : 200))}`,
        `      -> ${failure.status} ${(failure.body ?? '').slice(0, 200)}`,
      );
    }
    return lines.join('\n');
  }

  close(): void {
    this.loop.close();
  }
}

/**
 * kube-apiserver's limits: bodies over 3 MiB get 413; a write in a type it
 * does not read gets 415. A POST or PUT without a Content-Type is read as
 * JSON (the first type the server supports), so it is judged as JSON; a
 * PATCH must name its patch type, so a PATCH without one is 415.
 */
const BODY_LIMIT = 3 * 1024 * 1024;
/**
 * What kube-apiserver reads: objects as JSON, YAML or protobuf (a protobuf
 * body without the `k8s\0` prefix is a 400, "provided data does not appear to
 * be a protobuf message"), patches in their four types (apply patches refused
 * later). Protobuf is no patch type: a PATCH in it is 415.
 */
const KUBE_OBJECT_TYPES = /^application\/(json|yaml|vnd\.kubernetes\.protobuf)\s*(;.*)?$/i;
const KUBE_PATCH_TYPES = /^application\/(merge-patch\+json|strategic-merge-patch\+json|json-patch\+json|apply-patch\+yaml)\s*(;.*)?$/i;
function limitProblems(request: FuzzRequest, answer: Answer): string[] {
  const problems: string[] = [];
  if (request.body !== undefined && Buffer.byteLength(request.body) > BODY_LIMIT && answer.status !== 413) problems.push(`body over 3 MiB answered ${answer.status}, not 413`);
  const kubeWrite = /^\/apis?\//.test(request.url) && ['POST', 'PUT', 'PATCH'].includes(request.method) && request.body !== undefined;
  const type = request.headers['content-type'];
  const accepted = request.method === 'PATCH' ? KUBE_PATCH_TYPES : KUBE_OBJECT_TYPES;
  const readAsJson = type === undefined && request.method !== 'PATCH';
  if (kubeWrite && !readAsJson && !badPercentEncoding(request.url) && (type === undefined || !accepted.test(type)) && (answer.status < 300 || answer.status === 400)) {
    problems.push(`Content-Type ${type === undefined ? '(none)' : JSON.stringify(type)} answered ${answer.status}, not 415`);
  }
  return problems;
}

/**
 * The one 5xx kube-apiserver gives for a user's request: a watch from a
 * resourceVersion it has not reached waits (about 3 s upstream), then is
 * answered 504, reason Timeout, "Timeout: Too large resource version: N,
 * current: M", with a cause ResourceVersionTooLarge (the watch cache's
 * TooLargeResourceVersionError; client-go relists on it). Only that answer, to
 * a watch whose resourceVersion is past the store's, is accepted.
 */
function tooLargeResourceVersion(request: FuzzRequest, answer: Answer, current: string): boolean {
  if (request.method !== 'GET' || answer.status !== 504) return false;
  const query = new URLSearchParams(request.url.split('?')[1] ?? '');
  const rv = query.get('resourceVersion') ?? '';
  if (!['true', '1'].includes(query.get('watch') ?? '') || !/^\d+$/.test(rv) || BigInt(rv) <= BigInt(current)) return false;
  try {
    const status = JSON.parse(answer.body) as { reason?: string; message?: string; details?: { causes?: { reason?: string }[] } };
    return (
      status.reason === 'Timeout' &&
      status.message === `Timeout: Too large resource version: ${rv}, current: ${current}` &&
      (status.details?.causes ?? []).some((c) => c.reason === 'ResourceVersionTooLarge')
    );
  } catch {
    return false;
  }
}

/** A path Go's URL parser refuses (`%zz`): the API server's HTTP server answers 400 before any handler looks at the body's type. */
function badPercentEncoding(url: string): boolean {
  return /%(?![0-9a-f]{2})/i.test(url.split('?')[0]);
}

function messageOf(body: string): string {
  try {
    const parsed = JSON.parse(body) as { message?: unknown };
    return typeof parsed.message === 'string' ? parsed.message : body.slice(0, 100);
  } catch {
    return body.slice(0, 100);
  }
}
