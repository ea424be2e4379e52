import { ProbeKind } from './probe';

/**
 * A container in a steady crash loop: its probe fails from every start, and its back-off is at
 * its 5-minute cap, so each cycle is the same: started at S, killed at S + kill, gone at
 * S + kill + exit, started again at S + period. Its state at any time is a function of that time,
 * so a long clock advance need not run every cycle: the kubelet keeps one quiet timer (see
 * SimulationClock) ticking at the greatest common divisor of the phases, which over a stretch
 * where nothing else happens runs once, at its last due time, and writes the state of that moment
 * and the events of every phase since its last run (each Event's `count` bumped by as many).
 */
export interface LoopShape {
  /** A start of the loop's cycles, and the restart count of the instance started then. */
  start: number;
  restartCount: number;
  /** From a start to the kill, from the kill to the exit, and the whole cycle (ms). */
  killAfter: number;
  exitAfter: number;
  period: number;
  /** The back-off waited after each exit. */
  backoff: number;
  exitCode: number;
  /** The failing probe: its kind, its output and the runs before a kill. */
  kind: ProbeKind;
  output: string;
  runs: number;
  /** What the probes answer, as text: a change ends the loop. */
  signature: string;
}

export type LoopPhase = 'kill' | 'exit' | 'restart';

/** Where the loop is at `t`: the start of the cycle under way, its instance's restart count, and what the container is doing. */
export function loopAt(shape: LoopShape, t: number): { cycleStart: number; restartCount: number; doing: 'running' | 'stopping' | 'waiting' } {
  const cycles = Math.floor((t - shape.start) / shape.period);
  const cycleStart = shape.start + cycles * shape.period;
  const offset = t - cycleStart;
  const doing = offset < shape.killAfter ? 'running' : offset < shape.killAfter + shape.exitAfter ? 'stopping' : 'waiting';
  return { cycleStart, restartCount: shape.restartCount + cycles, doing };
}

/** The offset of each phase in a cycle. */
export function phaseOffset(shape: LoopShape, phase: LoopPhase): number {
  return phase === 'kill' ? shape.killAfter : phase === 'exit' ? shape.killAfter + shape.exitAfter : shape.period;
}

/** How many times `phase` happened in (from, to]. */
export function occurrences(shape: LoopShape, phase: LoopPhase, from: number, to: number): number {
  const at = (t: number) => Math.floor((t - shape.start - phaseOffset(shape, phase)) / shape.period);
  return Math.max(0, at(to) - at(from));
}

/** When `phase` last happened at or before `t`. */
export function lastOccurrence(shape: LoopShape, phase: LoopPhase, t: number): number {
  const offset = shape.start + phaseOffset(shape, phase);
  return offset + Math.floor((t - offset) / shape.period) * shape.period;
}

const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));

/** The tick of the loop's quiet timer: every phase of every cycle falls on one. */
export function loopTick(shape: LoopShape): number {
  return gcd(gcd(shape.killAfter, shape.exitAfter), shape.backoff) || shape.period;
}
