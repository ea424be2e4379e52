/**
 * Resolves in the event loop's next turn, after it has polled for I/O (other
 * requests, `/healthz`): a long piece of work split by it is two blocks, not
 * one. A single `setImmediate` is not enough when called from an I/O
 * callback (a worker's message, a request's data): it runs in the same
 * turn's check phase, before any other I/O is read.
 */
export function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(() => setImmediate(resolve)));
}
