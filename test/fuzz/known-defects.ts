import type { Failure } from './support/oracle';
import type { FuzzRequest } from './support/requests';

/**
 * KNOWN DEFECT CLASSES SKIPPED UNTIL THEIR FIXES MERGE.
 *
 * Each entry would be a class of failure the fuzz suite finds whose fix is
 * being made on another branch (area: (a) patches and validation, (b) the
 * HTTP edge, (c) security, (d) bounded time and memory). A failure that
 * matches an entry is reported (marked with its id) but does not fail the
 * run; `avoid` keeps requests that would hang or take minutes from being
 * sent at all. When a fix is merged, delete its entry: the suite then holds
 * it. The goal is an empty list. `FUZZ_KNOWN_DEFECTS=off`
 * ignores the list (every failure counts, every request is sent).
 */
export interface KnownDefect {
  id: string;
  area: 'a' | 'b' | 'c' | 'd' | 'none';
  summary: string;
  matches(failure: Failure): boolean;
  /** Requests not to send while the defect stands (they would hang or freeze the run). */
  avoid?(request: FuzzRequest): boolean;
}

export const KNOWN_DEFECT_CLASSES: KnownDefect[] = [
  {
    // Found in session 7 by seed 716870046 (FUZZ_SEED=716870046 FUZZ_RUNS=100 FUZZ_STEPS=50):
    // after the fuzz run's objects pile up, a one-day advance (the demo's CronJob makes a Job
    // every 5 minutes, 288 in the day, beside the Job, pod and garbage-collector work they
    // bring) holds the event loop past 250 ms of CPU in one block. A day's advance of the demo
    // alone stays under 115 ms. To find and split: the block's timer or controller step.
    id: 'd-day-advance-with-jobs-block',
    area: 'd',
    summary: 'a one-day clock advance over many objects and the demo CronJob\'s Jobs holds the event loop past 250 ms CPU',
    matches: (f) => f.property === 'healthz-under-250ms' && f.route === 'POST /netsim/v1/clock/advance (long)',
  },
];

export function knownDefectOf(failure: Failure): KnownDefect | undefined {
  if (process.env.FUZZ_KNOWN_DEFECTS === 'off') return undefined;
  return KNOWN_DEFECT_CLASSES.find((d) => d.matches(failure));
}

export function avoided(request: FuzzRequest): boolean {
  if (process.env.FUZZ_KNOWN_DEFECTS === 'off') return false;
  return KNOWN_DEFECT_CLASSES.some((d) => d.avoid?.(request));
}
