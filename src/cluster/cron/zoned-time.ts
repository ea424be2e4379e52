/**
 * Wall-clock arithmetic in an IANA time zone, as Go's `time` package does it
 * for the cron schedules of CronJobs (`time.Date`, `AddDate`, `In`,
 * `LoadLocation`). Instants are milliseconds since the Unix epoch; a zone's
 * offsets come from the platform's time zone data (`Intl`), as Go's come from
 * the system's zoneinfo files.
 */

/** The fields of an instant in a zone. `month` is 1–12, `weekday` 0 (Sunday)–6. */
export interface WallClock {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  weekday: number;
}

const WEEKDAYS: Record<string, number> = { Sun: 0, Mon: 1, Tue: 2, Wed: 3, Thu: 4, Fri: 5, Sat: 6 };

/** Go's zero `time.Time` (January 1, year 1, UTC), which `Schedule.Next` answers when no time matches. */
export const GO_ZERO_TIME = utc(1, 1, 1, 0, 0, 0);

/** A time zone: UTC, or an IANA name as `time.LoadLocation` takes it. */
export class Zone {
  private readonly format: Intl.DateTimeFormat | undefined;

  private constructor(readonly name: string) {
    this.format =
      name === 'UTC'
        ? undefined
        : new Intl.DateTimeFormat('en-US', {
            timeZone: name,
            hourCycle: 'h23',
            year: 'numeric',
            month: 'numeric',
            day: 'numeric',
            hour: 'numeric',
            minute: 'numeric',
            second: 'numeric',
            weekday: 'short',
          });
  }

  static readonly UTC = new Zone('UTC');

  /**
   * `time.LoadLocation`: "" and "UTC" are UTC; "Local" is the controller manager's own zone,
   * UTC here (kind's control plane runs in UTC); otherwise a name from the zone database.
   * Throws with Go's message (`unknown time zone NAME`).
   */
  static load(name: string): Zone {
    if (name === '' || name === 'UTC' || name === 'Local') return Zone.UTC;
    if (name.includes('..') || name.startsWith('/') || name.startsWith('\\')) throw new Error('time: invalid location name');
    let resolved: string;
    try {
      resolved = new Intl.DateTimeFormat('en-US', { timeZone: name }).resolvedOptions().timeZone;
    } catch {
      throw new Error(`unknown time zone ${name}`);
    }
    // Zone files are looked up by exact name: another spelling of a known name is unknown.
    if (resolved !== name && resolved.toLowerCase() === name.toLowerCase()) throw new Error(`unknown time zone ${name}`);
    return new Zone(name);
  }

  /** The wall clock at an instant. */
  wallClock(ms: number): WallClock {
    if (!this.format) {
      const d = new Date(ms);
      return { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate(), hour: d.getUTCHours(), minute: d.getUTCMinutes(), second: d.getUTCSeconds(), weekday: d.getUTCDay() };
    }
    const out: WallClock = { year: 0, month: 0, day: 0, hour: 0, minute: 0, second: 0, weekday: 0 };
    for (const part of this.format.formatToParts(new Date(ms))) {
      if (part.type === 'weekday') out.weekday = WEEKDAYS[part.value];
      else if (part.type in out) (out as unknown as Record<string, number>)[part.type] = Number(part.value);
    }
    return out;
  }

  /** The zone's offset from UTC at an instant, in ms (whole seconds, as zone data has them). */
  offset(ms: number): number {
    if (!this.format) return 0;
    const at = Math.floor(ms / 1000) * 1000;
    const w = this.wallClock(at);
    return utc(w.year, w.month, w.day, w.hour, w.minute, w.second) - at;
  }

  /**
   * `time.Date(year, month, day, hour, min, sec, 0, zone)`: out-of-range fields are normalised
   * (month 13 is January of the next year, day 0 the last day of the month before); a wall
   * clock that a transition skips or repeats takes the offset Go's `Date` takes (the one in
   * force at the instant read as UTC, corrected once).
   */
  date(year: number, month: number, day: number, hour: number, minute: number, second: number): number {
    const asUtc = utc(year, month, day, hour, minute, second);
    let offset = this.offset(asUtc);
    if (offset !== 0) {
      const guess = asUtc - offset;
      const there = this.offset(guess);
      if (there !== offset) offset = there;
    }
    return asUtc - offset;
  }

  /** `t.AddDate(years, months, days)`: the same wall clock that many calendar units later. */
  addDate(ms: number, years: number, months: number, days: number): number {
    const w = this.wallClock(ms);
    return this.date(w.year + years, w.month + months, w.day + days, w.hour, w.minute, w.second) + (ms - Math.floor(ms / 1000) * 1000);
  }

  /** `t.In(zone).Format(time.RFC3339)`: `2026-01-01T09:00:00+09:00`, `Z` for UTC. */
  rfc3339(ms: number): string {
    const w = this.wallClock(ms);
    const offset = Math.round(this.offset(ms) / 60000);
    const pad = (n: number, width = 2) => String(n).padStart(width, '0');
    const zone = offset === 0 ? 'Z' : `${offset < 0 ? '-' : '+'}${pad(Math.floor(Math.abs(offset) / 60))}:${pad(Math.abs(offset) % 60)}`;
    return `${pad(w.year, 4)}-${pad(w.month)}-${pad(w.day)}T${pad(w.hour)}:${pad(w.minute)}:${pad(w.second)}${zone}`;
  }
}

/** Milliseconds of a UTC wall clock, fields normalised as `Date.UTC` does, for any year (no 1900 shift for years 0–99). */
function utc(year: number, month: number, day: number, hour: number, minute: number, second: number): number {
  const d = new Date(0);
  d.setUTCFullYear(year, month - 1, day);
  d.setUTCHours(hour, minute, second, 0);
  return d.getTime();
}
