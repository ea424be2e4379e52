import { PerformanceObserver } from 'node:perf_hooks';
import { Cluster } from '../../../src/cluster/cluster';
import { RESOURCE_TYPES } from '../../../src/cluster/store/resource-types';
import { KubeObject } from '../../../src/cluster/store/types';
import type { FuzzRequest } from './requests';

/** The properties every answer must have (issue #18, section 8). */
export type Property = 'no-5xx' | 'status-shape' | 'rejected-changes-nothing' | 'prototype-untouched' | 'healthz-under-250ms' | 'model';

export interface Failure {
  property: Property;
  route: string;
  /** What went wrong, with numbers and names folded, so that one defect is one entry. */
  detail: string;
  request: FuzzRequest;
  status?: number;
  body?: string;
}

export interface Answer {
  status: number;
  headers: Record<string, unknown>;
  body: string;
}

/** Kubernetes' `Status` for an error: the shape, the code, a reason and a message; 422 names its fields. */
export function statusProblems(answer: Answer): string | undefined {
  let status: Record<string, unknown>;
  try {
    status = JSON.parse(answer.body) as Record<string, unknown>;
  } catch {
    return `not JSON (${String(answer.headers['content-type'])})`;
  }
  if (typeof status !== 'object' || status === null) return 'not an object';
  const missing: string[] = [];
  if (status.kind !== 'Status') missing.push('kind');
  if (status.apiVersion !== 'v1') missing.push('apiVersion');
  if (status.status !== 'Failure') missing.push('status');
  if (status.code !== answer.status) missing.push('code');
  if (typeof status.reason !== 'string' || status.reason === '') missing.push('reason');
  if (typeof status.message !== 'string' || status.message === '') missing.push('message');
  if (missing.length) {
    const code = typeof status.code === 'string' ? ` (${status.code})` : '';
    return `not a Status, no ${missing.join(',')}${code}`;
  }
  const causes = (status.details as { causes?: { field?: unknown }[] } | undefined)?.causes;
  if (answer.status === 422 && (!Array.isArray(causes) || causes.length === 0 || causes.some((c) => typeof c.field !== 'string'))) {
    return '422 without details.causes[].field';
  }
  if (answer.status === 413 && status.reason !== 'RequestEntityTooLarge') return `413 reason ${String(status.reason)}`;
  if (answer.status === 415 && status.reason !== 'UnsupportedMediaType') return `415 reason ${String(status.reason)}`;
  return undefined;
}

/** Folds numbers, quoted text and long runs so that messages group by defect. */
export function fold(text: string): string {
  return text
    .replace(/"[^"]{0,200}"/g, '"…"')
    .replace(/'[^']{0,200}'/g, "'…'")
    .replace(/\d+/g, 'N')
    .replace(/(.)\1{8,}/g, '$1…')
    .slice(0, 140);
}

/**
 * Everything a request can change: every stored object (stored objects are
 * frozen, so a changed object is a new reference), the resourceVersion, the
 * clock and its timers, the address pools, kube-proxy's configurations and
 * the kubelets. Cheap: references, not copies.
 */
export interface StateSnapshot {
  parts: Record<string, unknown>;
  objects: Map<string, readonly KubeObject[]>;
}

export function snapshot(cluster: Cluster): StateSnapshot {
  const objects = new Map<string, readonly KubeObject[]>();
  for (const type of RESOURCE_TYPES) objects.set(type.plural, cluster.store.list(type).items);
  const nodes = cluster.kubeProxies.nodeNames();
  // Read first: reading a node's kube-proxy brings its tables up to date (a sync due by now runs, and its
  // next sync's timer is set), as any request that reads them does; the timers are read after that.
  const nodeConfigs = safeJson(nodes.map((n) => cluster.kubeProxies.proxy(n).config));
  return {
    objects,
    parts: {
      resourceVersion: cluster.store.resourceVersion,
      clock: cluster.clock.now(),
      timers: timersText(cluster),
      ipam: JSON.stringify(cluster.pools.report()),
      kubeProxyConfig: safeJson(cluster.kubeProxies.clusterConfiguration()),
      kubeProxyRevision: cluster.kubeProxies.revision,
      nodeConfigs,
      kubelets: nodes.map((n) => `${n}:${cluster.kubelets.isRunning(n)}:${cluster.kubelets.staticPods.manifests(n).length}`).join(','),
    },
  };
}

/** The pending timers, each by id, name and time: a timer set and another cancelled is a change too. */
function timersText(cluster: Cluster): string {
  return cluster.clock
    .pending()
    .map((t) => `${t.id}:${t.name}@${t.at}`)
    .join('\n');
}

/** JSON text, or a marker when an accepted request stored something too deep to print (a finding reported elsewhere). */
function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value);
  } catch (e) {
    return `unprintable: ${(e as Error).message}`;
  }
}

/** The parts that differ, or an empty list. */
export function stateChanges(before: StateSnapshot, after: StateSnapshot): string[] {
  const changed: string[] = [];
  for (const [key, value] of Object.entries(before.parts)) if (after.parts[key] !== value) changed.push(key);
  for (const [plural, items] of before.objects) {
    const now = after.objects.get(plural)!;
    if (now.length !== items.length || now.some((o, i) => o !== items[i])) changed.push(plural);
  }
  return changed;
}

/**
 * The built-in prototypes. Under Jest the code runs in a vm context while
 * structuredClone builds its copies in Node's main context, whose prototypes
 * are other objects: both are watched (in production they are one).
 */
const PROTOTYPES: [string, object][] = [
  ['Object.prototype', Object.prototype],
  ['Array.prototype', Array.prototype],
  ['Function.prototype', Function.prototype],
  ['String.prototype', String.prototype],
  ['Object.prototype (main context)', Object.getPrototypeOf(structuredClone({})) as object],
  ['Array.prototype (main context)', Object.getPrototypeOf(structuredClone([])) as object],
];

/** The own property names of the built-in prototypes, to see any key a request adds. */
export function prototypeKeys(): Map<string, string[]> {
  return new Map(PROTOTYPES.map(([name, proto]) => [name, Reflect.ownKeys(proto).map(String)]));
}

/** Keys added since `before`, removed again so that one pollution does not colour every later request. */
export function prototypePollution(before: Map<string, string[]>): string[] {
  const added: string[] = [];
  for (const [name, proto] of PROTOTYPES) {
    const known = new Set(before.get(name));
    for (const key of Reflect.ownKeys(proto).map(String)) {
      if (known.has(key)) continue;
      added.push(`${name}.${key}`);
      delete (proto as Record<string, unknown>)[key];
    }
  }
  return added;
}

/** A span of wall time, in `performance.now()` ms. */
export interface Span {
  start: number;
  end: number;
}

/** A gap between two ticks of the watch's timer that the process filled with its own CPU time. */
export interface Block extends Span {
  cpuMs: number;
}

/**
 * What the event loop itself was held for in a block: its wall time less the
 * garbage collector's pauses inside it. A pause's length is the size of the
 * whole heap the collector walks, which in a Jest run holds every suite that
 * ran before in the same process; it says how big the test process is, not how
 * long the server's request held the loop.
 */
export function heldMs(block: Block, gcPauses: readonly Span[]): number {
  let paused = 0;
  for (const gc of gcPauses) paused += Math.max(0, Math.min(block.end, gc.end) - Math.max(block.start, gc.start));
  return block.end - block.start - paused;
}

/**
 * "/healthz answers within 250 ms throughout", measured in process: requests
 * run on the event loop that would answer /healthz, so the loop's longest
 * block while a request runs is how long /healthz would wait. A 10 ms timer
 * sees each block as a gap between its ticks, with the CPU time the process
 * used in it. On a loaded 2-core machine the loop also waits for a CPU, so a
 * block counts only when the process itself burned the CPU time (user +
 * system) to fill it; blocks without that CPU time are tallied as machine
 * noise, and reported. The garbage collector's pauses inside a block (seen
 * by a `gc` performance observer) are taken out of it, and a block that only
 * they made long is tallied apart (see `heldMs`).
 */
export class LoopWatch {
  private static readonly TICK_MS = 10;
  private timer: ReturnType<typeof setInterval> | undefined;
  private gcObserver: PerformanceObserver | undefined;
  /** The collector's pauses seen lately (those older than the current request are dropped). */
  private gcPauses: Span[] = [];
  private lastWall = 0;
  private lastCpu = process.cpuUsage();
  private wall = 0;
  /** This request's blocks past the limit that its own CPU time filled. */
  private blocks: Block[] = [];
  noisy = 0;
  /** Blocks past the limit that the garbage collector's pauses made so (not counted). */
  gcNoisy = 0;
  /** The slowest request's wall time, in ms. */
  worstMs = 0;

  constructor(readonly limitMs = 250) {}

  start(): void {
    this.blocks = [];
    this.wall = performance.now();
    this.gcPauses = this.gcPauses.filter((gc) => gc.end >= this.wall);
    this.lastWall = this.wall;
    this.lastCpu = process.cpuUsage();
    this.timer ??= setInterval(() => this.tick(), LoopWatch.TICK_MS);
    if (!this.gcObserver) {
      this.gcObserver = new PerformanceObserver((list) => {
        for (const entry of list.getEntries()) this.gcPauses.push({ start: entry.startTime, end: entry.startTime + entry.duration });
      });
      this.gcObserver.observe({ entryTypes: ['gc'] });
    }
  }

  private tick(): void {
    const now = performance.now();
    const used = process.cpuUsage(this.lastCpu);
    const gap = now - this.lastWall - LoopWatch.TICK_MS;
    const cpuMs = (used.user + used.system) / 1000;
    const start = this.lastWall + LoopWatch.TICK_MS;
    this.lastWall = now;
    this.lastCpu = process.cpuUsage();
    if (gap <= this.limitMs) return;
    if (cpuMs >= this.limitMs) this.blocks.push({ start, end: now, cpuMs });
    else this.noisy++;
  }

  /** The blocking in ms if the request held the loop past the limit with its own CPU time; else undefined. */
  async stop(): Promise<number | undefined> {
    // A request answered within the limit cannot have held the loop longer; only a slow one waits
    // for the timer's next tick, which sees the block the request may have ended with, and for the
    // observer, which hears of a collection after it ends.
    const wall = performance.now() - this.wall;
    this.worstMs = Math.max(this.worstMs, wall);
    if (wall <= this.limitMs) return undefined;
    await new Promise((resolve) => setTimeout(resolve, 2 * LoopWatch.TICK_MS));
    let worst = 0;
    for (const block of this.blocks) {
      const held = heldMs(block, this.gcPauses);
      if (held > this.limitMs) worst = Math.max(worst, held);
      else this.gcNoisy++;
    }
    return worst > this.limitMs ? worst : undefined;
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.gcObserver?.disconnect();
    this.gcObserver = undefined;
  }
}
