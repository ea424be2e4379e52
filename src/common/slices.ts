/**
 * Running a long piece of work cut into steps (a generator that yields
 * between two items): at once, or in slices of wall time with the event loop
 * given back between them, so that the server answers meanwhile.
 */

import { nextTurn } from './next-turn';

/** Runs every step at once; returns the result. */
export function drain<T>(steps: Iterator<unknown, T>): T {
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
  }
}

/** Runs the steps in slices of `sliceMs` of wall time, giving the event loop a turn between two slices; returns the result. */
export async function runInSlices<T>(steps: Iterator<unknown, T>, sliceMs = 20): Promise<T> {
  for (;;) {
    const started = performance.now();
    for (;;) {
      const step = steps.next();
      if (step.done) return step.value;
      if (performance.now() - started >= sliceMs) break;
    }
    await nextTurn();
  }
}
