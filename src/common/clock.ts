/**
 * Injected time. Conntrack timeouts, `recent` lists, heartbeats and every
 * timestamp read a `Clock`, so tests are deterministic and the REST API can
 * advance a virtual clock.
 */
export interface Clock {
  /** Milliseconds since the Unix epoch, as the simulation sees it. */
  now(): number;
}

/** A clock that moves only when told to. Starts at a fixed instant by default. */
export class ManualClock implements Clock {
  private current: number;

  constructor(startMs = Date.UTC(2026, 0, 1, 0, 0, 0)) {
    this.current = startMs;
  }

  now(): number {
    return this.current;
  }

  advance(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) {
      throw new RangeError(`a clock only moves forward, not by ${ms} ms`);
    }
    this.current += ms;
  }
}

/** The host's wall clock. */
export class SystemClock implements Clock {
  now(): number {
    return Date.now();
  }
}

/** A Time as the API server prints one (creationTimestamp, startedAt, lastScheduleTime): RFC 3339 to the second, UTC (`2026-01-01T00:05:00Z`). */
export function timestamp(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** A MicroTime as the API server prints one (a Lease's acquireTime, renewTime): six digits of fraction, UTC. */
export function microTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}
