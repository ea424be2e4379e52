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
  /** Does the queued work; returns whether it did anything. */
  reconcile(): boolean;
}

/** Settling gave up: controllers kept finding work (a bug of ours, never the user's). */
export class SettleLimitError extends Error {}

/**
 * Runs the controllers to a fixed point after every committed write, in a
 * fixed order, so the cluster is settled by the time an API call returns and
 * every run with the same inputs and seed gives the same result.
 */
export class ControllerManager {
  private readonly controllers: Controller[] = [];
  private settling = false;
  private readonly unsubscribe: () => void;

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

  /** Runs controllers until none has work left. Re-entrant calls return at once. */
  settle(): void {
    if (this.settling) return;
    this.settling = true;
    try {
      for (let round = 0; ; round++) {
        if (round >= this.maxRounds) throw new SettleLimitError(`controllers did not settle after ${this.maxRounds} rounds`);
        let worked = false;
        for (const controller of this.controllers) {
          if (controller.reconcile()) worked = true;
        }
        if (!worked) return;
      }
    } finally {
      this.settling = false;
    }
  }

  stop(): void {
    this.unsubscribe();
  }

  private dispatch(event: StoredEvent): void {
    for (const controller of this.controllers) controller.observe(event);
  }
}
