/**
 * When to sync, on the injected clock (upstream `BoundedFrequencyRunner`):
 * a requested sync runs no sooner than `minIntervalMs` after the previous
 * one, so a burst of changes is batched into one sync; a failed sync is
 * retried after `retryIntervalMs`; and a sync runs at least every
 * `maxIntervalMs` even without requests.
 *
 * The runner holds no timers: whoever drives the simulation asks
 * `nextRunAt()` and calls `due()` when the clock gets there.
 */
import type { Clock } from '../common/clock';

export class SyncRunner {
  private pending = false;
  private lastRunAt: number | undefined;
  private retryAt: number | undefined;

  constructor(
    private readonly clock: Clock,
    readonly minIntervalMs: number,
    readonly retryIntervalMs: number,
    readonly maxIntervalMs: number,
  ) {}

  /** Asks for a sync (a Service or EndpointSlice changed). */
  request(): void {
    this.pending = true;
  }

  get isPending(): boolean {
    return this.pending;
  }

  /** The earliest time a sync should run, or undefined when none is wanted yet. */
  nextRunAt(): number | undefined {
    if (this.lastRunAt === undefined) return this.pending ? this.clock.now() : undefined;
    const candidates: number[] = [this.lastRunAt + this.maxIntervalMs];
    if (this.pending) candidates.push(this.lastRunAt + this.minIntervalMs);
    if (this.retryAt !== undefined) candidates.push(Math.max(this.retryAt, this.lastRunAt + this.minIntervalMs));
    return Math.min(...candidates);
  }

  /** Whether a sync should run now. */
  due(now = this.clock.now()): boolean {
    const at = this.nextRunAt();
    return at !== undefined && now >= at;
  }

  /** Records a sync that ran at `at`, and whether it succeeded. */
  ran(at: number, ok: boolean): void {
    this.lastRunAt = at;
    this.pending = false;
    this.retryAt = ok ? undefined : at + this.retryIntervalMs;
  }
}
