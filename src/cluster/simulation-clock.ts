import { Clock } from '../common/clock';

/** A timer set on the simulation clock. */
export interface Timer {
  readonly id: number;
  readonly at: number;
  readonly name: string;
}

interface Entry extends Timer {
  run: () => void;
  period?: number;
  cancelled: boolean;
}

/**
 * The cluster's time. It moves only when told to (`advance`), running every
 * timer due on the way in time order (ties in the order they were set), with
 * `now()` equal to each timer's time while it runs, so a story run twice with
 * the same seed gives the same result. `startRealTime` makes it follow the
 * wall clock instead (`CLOCK=real`).
 */
export class SimulationClock implements Clock {
  private current: number;
  private readonly timers: Entry[] = [];
  private nextId = 1;
  private advancing = false;
  private realTimeHandle: ReturnType<typeof setInterval> | undefined;

  constructor(startMs = Date.UTC(2026, 0, 1, 0, 0, 0)) {
    this.current = startMs;
  }

  now(): number {
    return this.current;
  }

  /** Runs `run` once, `delayMs` from now. */
  after(delayMs: number, name: string, run: () => void): Timer {
    return this.add(this.current + Math.max(0, delayMs), name, run);
  }

  /** Runs `run` every `periodMs`, the first time `periodMs` from now. */
  every(periodMs: number, name: string, run: () => void): Timer {
    if (!(periodMs > 0)) throw new RangeError(`a period must be positive, not ${periodMs}`);
    return this.add(this.current + periodMs, name, run, periodMs);
  }

  cancel(timer: Timer | undefined): void {
    if (!timer) return;
    const entry = this.timers.find((t) => t.id === timer.id);
    if (entry) {
      entry.cancelled = true;
      this.timers.splice(this.timers.indexOf(entry), 1);
    }
  }

  /** The timers still to run, soonest first. */
  pending(): Timer[] {
    return this.timers.map(({ id, at, name }) => ({ id, at, name }));
  }

  /** Moves time forward by `ms`, running every timer due in that span, in order. */
  advance(ms: number): number {
    if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`time only moves forward, not by ${ms} ms`);
    if (this.advancing) throw new Error('the clock is already advancing');
    const target = this.current + ms;
    this.advancing = true;
    let ran = 0;
    try {
      while (this.timers.length && this.timers[0].at <= target) {
        const entry = this.timers.shift()!;
        this.current = Math.max(this.current, entry.at);
        if (entry.period !== undefined) this.insert({ ...entry, id: entry.id, at: entry.at + entry.period });
        entry.run();
        ran++;
      }
      this.current = target;
    } finally {
      this.advancing = false;
    }
    return ran;
  }

  /** Follows the wall clock: advances every `tickMs` by the real time that passed. */
  startRealTime(tickMs = 100): void {
    if (this.realTimeHandle) return;
    let last = Date.now();
    this.current = Math.max(this.current, last);
    this.realTimeHandle = setInterval(() => {
      const now = Date.now();
      if (!this.advancing) {
        this.advance(Math.max(0, now - last));
        last = now;
      }
    }, tickMs);
    this.realTimeHandle.unref();
  }

  stopRealTime(): void {
    if (this.realTimeHandle) clearInterval(this.realTimeHandle);
    this.realTimeHandle = undefined;
  }

  get followsRealTime(): boolean {
    return this.realTimeHandle !== undefined;
  }

  private add(at: number, name: string, run: () => void, period?: number): Timer {
    const entry: Entry = { id: this.nextId++, at, name, run, period, cancelled: false };
    this.insert(entry);
    return { id: entry.id, at, name };
  }

  /** Keeps timers sorted by time, then by when they were set (stable). */
  private insert(entry: Entry): void {
    let lo = 0;
    let hi = this.timers.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.timers[mid].at <= entry.at) lo = mid + 1;
      else hi = mid;
    }
    this.timers.splice(lo, 0, entry);
  }
}
