import { FaultHandler } from '../faults';
import { ObjectStore } from '../store/object-store';
import { StoredEvent } from '../store/types';

/**
 * A controller in the Kubernetes sense: it watches store events, remembers
 * what needs looking at (`observe` only queues, it never writes), and brings
 * the cluster closer to what it should be in `reconcile`.
 */
export interface Controller {
  readonly name: string;
  observe(event: StoredEvent): void;
  /**
   * Does the queued work; returns whether it did anything. A controller that
   * takes a batch of items checks `budget` between items and, once it is
   * spent, stops there and keeps the rest of its batch (`unfinished`).
   */
  reconcile(budget?: Budget): boolean;
  /** Whether the last reconcile stopped part way through its batch: it is called again before the next controller runs. */
  unfinished?(): boolean;
}

/**
 * How long a reconcile may go on. The items of a batch are the same, in the
 * same order, whether a reconcile is cut into several or not: only where
 * the event loop gets a turn changes, so a run stays repeatable.
 */
export interface Budget {
  spent(): boolean;
}

/** The budget of a settle that must finish at once. */
export const UNBOUNDED: Budget = { spent: () => false };

/** A batch of work cut into steps: a generator that yields between two items. */
export type Steps = Generator<void, void, void>;

/**
 * The batch a controller is part way through: `run` goes on with it (or
 * starts a new one) and stops between two steps once the budget is spent;
 * `unfinished` says whether some of it is left. A step that throws ends the
 * batch (the error goes to the caller); catch per item inside the steps to
 * keep the rest.
 */
export class SteppedBatch {
  private current: Steps | undefined;

  /** Goes on with the batch under way, or starts the one `start` gives (undefined: no work). Returns whether there was work. */
  run(budget: Budget, start: () => Steps | undefined): boolean {
    if (!this.current) {
      this.current = start();
      if (!this.current) return false;
    }
    try {
      for (;;) {
        if (this.current.next().done) {
          this.current = undefined;
          return true;
        }
        if (budget.spent()) return true;
      }
    } catch (e) {
      this.current = undefined;
      throw e;
    }
  }

  get unfinished(): boolean {
    return this.current !== undefined;
  }
}

/** Settling gave up: controllers kept finding work (a bug of ours, never the user's). */
export class SettleLimitError extends Error {}

/** How the controllers settle in a server that must keep answering. */
export interface SlicedSettleOptions {
  /** The most wall time one slice of rounds may take before the rest waits for the next turn of the event loop. */
  sliceMs: number;
  /**
   * While this holds (a clock advance running its timers), settling finishes
   * at once, so timers see a settled cluster. (Before a timer runs, the clock
   * waits for `idle()`, or calls `finish()`: see `Cluster`.)
   */
  mustFinish?: () => boolean;
  /** Told each controller's name and the wall time (ms) of each of its reconciles while sliced (for benchmarks). */
  timed?: (controller: string, ms: number) => void;
}

/**
 * Runs the controllers to a fixed point after every committed write, in a
 * fixed order, so every run with the same inputs and seed gives the same
 * result. By default the cluster is settled by the time an API call returns.
 * With `settleInSlices` (the server does this) the rounds run in slices of
 * wall time with the event loop free between them: a large change (a
 * Deployment scaled to 20,000 replicas) is still being worked on when the
 * call returns, as on a real cluster; `idle()` resolves once it is done.
 * Controllers bound the work of one round (a ReplicaSet sync creates at most
 * 500 pods), and a sliced settle also cuts a controller's batch between two
 * of its items when the slice's time is up (see `Budget`), so no reconcile
 * holds the event loop much longer than a slice.
 *
 * A controller that throws is what upstream's controllers do with a failed
 * sync: the error is reported (`onFault`) and the settle goes on with the
 * other controllers; the failing item is retried as its controller arranges
 * (the workload controllers requeue it after a backoff).
 */
export class ControllerManager {
  private readonly controllers: Controller[] = [];
  private settling = false;
  private readonly unsubscribe: () => void;
  private sliced: SlicedSettleOptions | undefined;
  private continuation: ReturnType<typeof setImmediate> | undefined;
  private waiting: Array<() => void> = [];
  /** Where the current round is: the next controller to run, and whether any of this round did work. */
  private next = 0;
  private worked = false;
  /** Rounds since the cluster was last settled, counted across slices. */
  private rounds = 0;
  private faultHandler: FaultHandler | undefined;
  /** While paused (a process that is not the leader), controllers hear of every event but none runs. */
  private paused = false;

  constructor(
    private readonly store: ObjectStore,
    private readonly maxRounds = 10000,
  ) {
    this.unsubscribe = store.subscribe((event) => this.dispatch(event));
    store.onCommit(() => this.settle());
  }

  add(controller: Controller): void {
    this.controllers.push(controller);
  }

  names(): string[] {
    return this.controllers.map((c) => c.name);
  }

  /** Settles in slices of `sliceMs` from now on (see the class comment). */
  settleInSlices(options: SlicedSettleOptions): void {
    this.sliced = options;
  }

  /** Where an error of a settle continuation goes (it has no caller); without a handler it is logged. */
  onFault(handler: FaultHandler): void {
    this.faultHandler = handler;
  }

  /** Stops settling (events are still observed): this process does not lead (see docs/etcd.md). */
  pause(): void {
    this.paused = true;
  }

  get isPaused(): boolean {
    return this.paused;
  }

  /** Settles again from the next `settle()` (the store's next commit). */
  resume(): void {
    this.paused = false;
  }

  /** Whether no sliced settle is under way: the cluster is settled (timers may run). */
  get isIdle(): boolean {
    return !this.continuation;
  }

  /** Finishes a sliced settle under way at once (the synchronous clock advance does this before its timers). */
  finish(): void {
    if (!this.continuation) return;
    this.settle(true);
  }

  /**
   * Runs controllers until none has work left (or, sliced, until the slice is
   * used up). Re-entrant calls return at once. Rounds count across slices: a
   * controller that never settles ends in a `SettleLimitError` after
   * `maxRounds`, sliced or not, and what was under way is dropped.
   */
  settle(mustFinish = false): void {
    if (this.settling || this.paused) return;
    this.settling = true;
    const sliced = this.sliced && !mustFinish && !this.sliced.mustFinish?.() ? this.sliced : undefined;
    const started = performance.now();
    const budget: Budget = sliced ? { spent: () => performance.now() - started >= sliced.sliceMs } : UNBOUNDED;
    let done = false;
    try {
      for (; ; this.rounds++) {
        if (this.rounds >= this.maxRounds) throw new SettleLimitError(`controllers did not settle after ${this.maxRounds} rounds`);
        // A slice may end between two controllers; the next one goes on from there, so the order is the same.
        for (; this.next < this.controllers.length; this.next++) {
          const controller = this.controllers[this.next];
          let unfinished: boolean;
          do {
            const before = sliced?.timed ? performance.now() : 0;
            if (this.reconcileGuarded(controller, budget)) this.worked = true;
            if (sliced?.timed) sliced.timed(controller.name, performance.now() - before);
            unfinished = controller.unfinished?.() ?? false;
            if (sliced && performance.now() - started >= sliced.sliceMs) {
              // The next slice goes on with the rest of this controller's batch, or with the next controller.
              if (!unfinished) this.next++;
              return;
            }
          } while (unfinished);
        }
        this.next = 0;
        const worked = this.worked;
        this.worked = false;
        if (!worked) {
          done = true;
          return;
        }
      }
    } catch (e) {
      done = true; // given up (a SettleLimitError, or a controller that threw): the next write starts afresh
      throw e;
    } finally {
      this.settling = false;
      if (done) {
        this.rounds = 0;
        this.next = 0;
        this.worked = false;
        this.settled();
      } else if (sliced && !this.continuation) {
        this.continuation = setImmediate(() => {
          this.continuation = undefined;
          // A sliced transaction holds the store: the settle goes on when it lets go (its commit hooks).
          if (this.store.isHeld) return;
          try {
            this.settle();
          } catch (e) {
            this.report('controllers', e);
          }
        });
      }
    }
  }

  /** Resolves once the controllers have no work left (at once unless a sliced settle is under way). */
  idle(): Promise<void> {
    if (!this.continuation) return Promise.resolve();
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  stop(): void {
    this.unsubscribe();
    if (this.continuation) clearImmediate(this.continuation);
    this.continuation = undefined;
    this.settled();
  }

  private settled(): void {
    if (this.continuation) {
      clearImmediate(this.continuation);
      this.continuation = undefined;
    }
    const waiting = this.waiting;
    this.waiting = [];
    for (const resolve of waiting) resolve();
  }

  /** A controller's reconcile; an error of its own is reported and counts as no work (its items wait for their retry). */
  private reconcileGuarded(controller: Controller, budget: Budget): boolean {
    try {
      return controller.reconcile(budget);
    } catch (e) {
      if (e instanceof SettleLimitError) throw e;
      this.report(`controller ${controller.name}`, e);
      return false;
    }
  }

  private report(source: string, error: unknown): void {
    if (this.faultHandler) this.faultHandler(source, error);
    else console.error(`kube-netsim: ${source} failed: ${error instanceof Error ? error.stack : String(error)}`);
  }

  private dispatch(event: StoredEvent): void {
    for (const controller of this.controllers) controller.observe(event);
  }
}
