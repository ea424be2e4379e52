import { ProbeKind } from './probe';

/**
 * A container in a steady crash loop: its probe fails from every start and its back-off is at its
 * 5-minute cap. The kubelet kills a container that failed its liveness probe and starts it again
 * in the same sync, judging the back-off by the instance before (see ./container-restarts.ts): so
 * an instance started after a full wait is restarted at once when killed, and the next one, killed
 * one run later, waits out the back-off. Each cycle is therefore `instances` runs back to back
 * (each started at S, killed at S + kill, gone at S + kill + exit), then the wait. Its state at any
 * time is a function of that time, so a long clock advance need not run every cycle: the kubelet
 * keeps one quiet timer (see SimulationClock) ticking at the greatest common divisor of the phases,
 * which over a stretch where nothing else happens runs once, at its last due time, and writes the
 * state of that moment and the events of every phase since its last run (each Event's `count`
 * bumped by as many).
 */
export interface LoopShape {
  /** A start of the loop's cycles, and the restart count of the instance started then. */
  start: number;
  restartCount: number;
  /** From a start to the kill, and from the kill to the exit (ms). */
  killAfter: number;
  exitAfter: number;
  /** The runs in a cycle: all but the last restarted at once, the last waiting out the back-off. */
  instances: number;
  /** The back-off waited after the cycle's last exit, and the whole cycle (ms). */
  backoff: number;
  period: number;
  exitCode: number;
  /** The failing probe: its kind, its output and the runs before a kill. */
  kind: ProbeKind;
  output: string;
  runs: number;
  /** What the probes answer, as text: a change ends the loop. */
  signature: string;
}

/** A kill, an exit, the start of a back-off wait (the `BackOff` event), a start. */
export type LoopPhase = 'kill' | 'exit' | 'wait' | 'restart';

/** One run of an instance, from its start to its exit. */
export const runMs = (shape: LoopShape) => shape.killAfter + shape.exitAfter;

/**
 * Where the loop is at `t`: the start and restart count of the instance under way (the last one
 * while the back-off runs), when the instance before it started, and what the container is doing.
 */
export function loopAt(shape: LoopShape, t: number): { start: number; previousStart: number; restartCount: number; doing: 'running' | 'stopping' | 'waiting' } {
  const cycles = Math.floor((t - shape.start) / shape.period);
  const run = runMs(shape);
  const offset = t - shape.start - cycles * shape.period;
  const index = Math.min(Math.floor(offset / run), shape.instances - 1);
  const start = shape.start + cycles * shape.period + index * run;
  const into = t - start;
  const doing = into < shape.killAfter ? 'running' : into < run ? 'stopping' : 'waiting';
  const previousStart = index > 0 ? start - run : start - shape.backoff - run;
  return { start, previousStart, restartCount: shape.restartCount + cycles * shape.instances + index, doing };
}

/** The offsets of `phase` in a cycle, in (0, period]. */
export function phaseOffsets(shape: LoopShape, phase: LoopPhase): number[] {
  const run = runMs(shape);
  const starts = Array.from({ length: shape.instances }, (_, i) => i * run);
  switch (phase) {
    case 'kill':
      return starts.map((s) => s + shape.killAfter);
    case 'exit':
      return starts.map((s) => s + run);
    case 'wait':
      return [shape.instances * run];
    case 'restart':
      return [...starts.slice(1), shape.period];
  }
}

/** How many times `phase` happened in (from, to]. */
export function occurrences(shape: LoopShape, phase: LoopPhase, from: number, to: number): number {
  let count = 0;
  for (const offset of phaseOffsets(shape, phase)) {
    const at = (t: number) => Math.floor((t - shape.start - offset) / shape.period);
    count += Math.max(0, at(to) - at(from));
  }
  return count;
}

/** When `phase` last happened at or before `t`. */
export function lastOccurrence(shape: LoopShape, phase: LoopPhase, t: number): number {
  let last = -Infinity;
  for (const offset of phaseOffsets(shape, phase)) {
    const base = shape.start + offset;
    last = Math.max(last, base + Math.floor((t - base) / shape.period) * shape.period);
  }
  return last;
}

const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));

/** The tick of the loop's quiet timer: every phase of every cycle falls on one. */
export function loopTick(shape: LoopShape): number {
  return gcd(gcd(shape.killAfter, shape.exitAfter), shape.backoff) || shape.period;
}
