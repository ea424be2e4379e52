import { Clock } from '../common/clock';
import { FaultHandler } from './faults';

/** A timer set on the simulation clock. */
export interface Timer {
  readonly id: number;
  readonly at: number;
  readonly name: string;
}

export interface PeriodicOptions {
  /**
   * A quiet timer's runs change nothing anyone sees but a timestamp (a lease
   * renewal). Over a stretch in which nothing else runs, only its last run is
   * made: before any other timer runs, and at the end of every advance (or
   * slice of one), each quiet timer that fell due runs once, at its last due
   * time. So a long advance costs what happens in it, not how often quiet
   * timers tick.
   */
  quiet?: boolean;
}

interface Entry extends Timer {
  at: number;
  run: () => void;
  period?: number;
  quiet: boolean;
  /** How many times in a row this (one-shot) timer threw: its next retry waits twice as long. */
  failures?: number;
}

/**
 * A one-shot timer that throws is reported and run again later, as a
 * controller's work queue requeues a failed item with a growing delay
 * (upstream's per-item backoff, capped at 1,000 s); from 1 s here, the
 * store's time resolution. A periodic timer that throws just runs at its
 * next period.
 */
export const TIMER_RETRY_FIRST_MS = 1_000;
export const TIMER_RETRY_MAX_MS = 1_000_000;

/** An advance made in slices, with the event loop free between them. */
export interface SlicedAdvanceOptions {
  /** The most wall time one slice may take before the advance yields (the default is 50 ms). */
  sliceMs?: number;
  /** How a slice gives way; `setImmediate` by default. */
  yieldTo?: () => Promise<void>;
}

/**
 * What must hold before timers run: the cluster they act on is settled. The
 * clock asks before every advance and every slice of one.
 */
export interface TimerGate {
  /** Whether timers may run now. */
  ready(): boolean;
  /** Makes it hold at once (the synchronous advance). */
  settle(): void;
  /** Resolves once it may hold (the sliced advance waits for it, the event loop free meanwhile). */
  whenReady(): Promise<void>;
}

const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * The cluster's time. It moves when told to (`advance`), running every
 * timer due on the way in time order (ties in the order they were set), with
 * `now()` equal to each timer's time while it runs, so a story run twice with
 * the same seed gives the same result. `startRealTime` makes it also follow
 * the wall clock (the default `CLOCK=running`).
 */
export class SimulationClock implements Clock {
  private current: number;
  /** Timers that are not quiet, sorted by time, then by when they were set. */
  private readonly timers: Entry[] = [];
  /** Quiet periodic timers (see `PeriodicOptions`), in the order they were set. */
  private readonly quiet: Entry[] = [];
  private nextId = 1;
  private advancing = false;
  /** Whether the advance running now is the synchronous one (settles inside its timers finish at once). */
  private synchronous = false;
  /** Sliced advances run one after the other, in the order they were asked for. */
  private queue: Promise<unknown> = Promise.resolve();
  private queued = 0;
  private realTimeHandle: ReturnType<typeof setInterval> | undefined;
  private gate: TimerGate | undefined;
  private faultHandler: FaultHandler | undefined;

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
  every(periodMs: number, name: string, run: () => void, options: PeriodicOptions = {}): Timer {
    if (!(periodMs > 0)) throw new RangeError(`a period must be positive, not ${periodMs}`);
    return this.add(this.current + periodMs, name, run, periodMs, options.quiet ?? false);
  }

  cancel(timer: Timer | undefined): void {
    if (!timer) return;
    for (const list of [this.timers, this.quiet]) {
      const index = list.findIndex((t) => t.id === timer.id);
      if (index >= 0) {
        list.splice(index, 1);
        return;
      }
    }
  }

  /** When `timer` runs next, or undefined if it is not set (any more). */
  nextRun(timer: Timer | undefined): number | undefined {
    if (!timer) return undefined;
    return (this.quiet.find((t) => t.id === timer.id) ?? this.timers.find((t) => t.id === timer.id))?.at;
  }

  /** The timers still to run, soonest first. */
  pending(): Timer[] {
    return [...this.timers, ...this.quiet]
      .map(({ id, at, name }) => ({ id, at, name }))
      .sort((a, b) => a.at - b.at || a.id - b.id);
  }

  /** Timers run only when `gate` says so: they see a settled cluster, whatever the wall time. */
  gateTimers(gate: TimerGate): void {
    this.gate = gate;
  }

  /** Where an error of a real-time tick's timer goes (it has no caller); without a handler it is logged. */
  onFault(handler: FaultHandler): void {
    this.faultHandler = handler;
  }

  /** Whether timers are running now (an advance, or a slice of one). */
  get running(): boolean {
    return this.advancing;
  }

  /**
   * Whether the advance running now must see every settle its timers start
   * finish at once (the synchronous `advance`). A sliced advance instead
   * lets such a settle run in slices and waits for it before its next timer.
   */
  get runningAtOnce(): boolean {
    return this.advancing && this.synchronous;
  }

  /** Whether an advance is running (or, sliced, waiting for its turn). */
  get busy(): boolean {
    return this.advancing || this.queued > 0;
  }

  /** Moves time forward by `ms`, running every timer due in that span, in order, at once. */
  advance(ms: number): number {
    const target = this.targetOf(ms);
    if (this.busy) throw new Error('the clock is already advancing');
    this.gate?.settle();
    this.advancing = true;
    this.synchronous = true;
    try {
      return this.runUntil(target, () => false);
    } finally {
      this.advancing = false;
      this.synchronous = false;
    }
  }

  /**
   * The same advance, in slices of at most `sliceMs` of wall time, yielding
   * to the event loop between them, so the process keeps answering. Between
   * slices `now()` is the time reached so far and every quiet timer is up to
   * date. A timer whose write starts a long settle (an eviction recreating
   * thousands of pods) ends its slice: the settle goes on in slices of its
   * own, and the next timer waits for it. Advances asked for while one runs
   * wait their turn.
   */
  advanceSliced(ms: number, options: SlicedAdvanceOptions = {}): Promise<number> {
    const span = this.targetOf(ms) - this.current;
    const sliceMs = options.sliceMs ?? 50;
    const yieldTo = options.yieldTo ?? yieldToEventLoop;
    this.queued++;
    const run = async (): Promise<number> => {
      const target = this.current + span;
      let ran = 0;
      for (;;) {
        // A write between two slices may have left the cluster settling: the timers wait for it.
        while (this.gate && !this.gate.ready()) await this.gate.whenReady();
        const started = performance.now();
        this.advancing = true;
        let done: boolean;
        try {
          ran += this.runUntil(target, () => performance.now() - started >= sliceMs || (this.gate !== undefined && !this.gate.ready()));
          // A slice that ends on a timer due at the target itself may leave others due then.
          done = this.current >= target && !(this.timers[0] && this.timers[0].at <= target);
        } finally {
          this.advancing = false;
        }
        if (done) return ran;
        await yieldTo();
      }
    };
    const result = this.queue.then(run, run).finally(() => this.queued--);
    this.queue = result.catch(() => undefined);
    return result;
  }

  /**
   * Follows the wall clock: advances every `tickMs` by the real time that
   * passed, as a sliced advance (the event loop stays free however much
   * happens). A tick waits (the next one catches up) while an advance runs
   * or the gate says the cluster is still settling. A timer that throws is
   * reported (`onFault`) and retried (see `TIMER_RETRY_FIRST_MS`); time goes on.
   */
  startRealTime(tickMs = 100): void {
    if (this.realTimeHandle) return;
    let last = Date.now();
    this.current = Math.max(this.current, last);
    this.realTimeHandle = setInterval(() => {
      if (this.busy || (this.gate && !this.gate.ready())) return;
      const now = Date.now();
      const ms = Math.max(0, now - last);
      last = now;
      this.advanceSliced(ms).catch((e: unknown) => this.reportFault('clock tick', e));
    }, tickMs);
    this.realTimeHandle.unref();
  }

  /**
   * Goes on from `ms` when it is ahead (the time another process's clock had
   * reached: a new leader's clock, see docs/etcd.md). No timer runs on the
   * way; any due by then runs at the next advance.
   */
  resumeFrom(ms: number): void {
    if (this.advancing) throw new Error('the clock is advancing');
    this.current = Math.max(this.current, ms);
  }

  stopRealTime(): void {
    if (this.realTimeHandle) clearInterval(this.realTimeHandle);
    this.realTimeHandle = undefined;
  }

  get followsRealTime(): boolean {
    return this.realTimeHandle !== undefined;
  }

  // ---- internals -----------------------------------------------------------

  private reportFault(source: string, error: unknown): void {
    if (this.faultHandler) this.faultHandler(source, error);
    else console.error(`kube-netsim: ${source} failed: ${error instanceof Error ? error.stack : String(error)}`);
  }

  private targetOf(ms: number): number {
    if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`time only moves forward, not by ${ms} ms`);
    return this.current + ms;
  }

  /**
   * Runs timers up to `target` in order, until `stop()` says the slice is
   * used up (checked after each timer). Before each timer that is not quiet,
   * and at the end, every quiet timer due by then runs once, at its last
   * due time. Leaves `now()` at `target` when done, at the last timer's time
   * when stopped.
   */
  private runUntil(target: number, stop: () => boolean): number {
    let ran = 0;
    for (;;) {
      const head = this.timers[0];
      const limit = head && head.at <= target ? head.at : target;
      const quiet = this.nextQuiet(limit);
      if (quiet) {
        this.current = quiet.due;
        quiet.entry.at = quiet.due + quiet.entry.period!;
        this.runGuarded(quiet.entry);
        ran++;
        continue;
      }
      if (!head || head.at > target) break;
      this.timers.shift();
      this.current = Math.max(this.current, head.at);
      if (head.period !== undefined) this.insert({ ...head, at: head.at + head.period });
      this.runGuarded(head);
      ran++;
      if (stop()) {
        // Readers between slices see quiet timers up to date (unless a settle is under way: they wait for it).
        if (!this.gate || this.gate.ready()) ran += this.runQuietUntil(this.current);
        return ran;
      }
    }
    this.current = Math.max(this.current, target);
    return ran;
  }

  private runQuietUntil(limit: number): number {
    let ran = 0;
    for (let quiet = this.nextQuiet(limit); quiet; quiet = this.nextQuiet(limit)) {
      this.current = quiet.due;
      quiet.entry.at = quiet.due + quiet.entry.period!;
      this.runGuarded(quiet.entry);
      ran++;
    }
    return ran;
  }

  /**
   * Runs a timer that is due. An error of the timer's (a bug of ours, or a
   * state the user made, such as a deleted lease namespace) is reported and
   * the timer requeued with a backoff; the advance goes on, so the request
   * that moved the clock is answered with the time it reached.
   */
  private runGuarded(entry: Entry): void {
    try {
      entry.run();
      if (entry.failures) entry.failures = 0;
    } catch (e) {
      this.reportFault(`clock timer "${entry.name}"`, e);
      if (entry.period !== undefined) return;
      const failures = (entry.failures ?? 0) + 1;
      const delay = Math.min(TIMER_RETRY_FIRST_MS * 2 ** (failures - 1), TIMER_RETRY_MAX_MS);
      this.insert({ ...entry, at: this.current + delay, failures });
    }
  }

  /** The quiet timer whose last due time by `limit` comes first (ties: the first set), with that time. */
  private nextQuiet(limit: number): { entry: Entry; due: number } | undefined {
    let best: { entry: Entry; due: number } | undefined;
    for (const entry of this.quiet) {
      if (entry.at > limit) continue;
      const due = entry.at + Math.floor((limit - entry.at) / entry.period!) * entry.period!;
      if (!best || due < best.due) best = { entry, due };
    }
    return best;
  }

  private add(at: number, name: string, run: () => void, period?: number, quiet = false): Timer {
    const entry: Entry = { id: this.nextId++, at, name, run, period, quiet };
    if (quiet) this.quiet.push(entry);
    else this.insert(entry);
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
