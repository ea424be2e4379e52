import { parseGoDuration } from './go-duration';
import { GO_ZERO_TIME, WallClock, Zone } from './zoned-time';

/**
 * CronJob schedules as the controller manager reads them: the standard
 * five-field cron syntax with the descriptors (`@hourly`, `@every 1h30m`, …)
 * and an optional `TZ=`/`CRON_TZ=` prefix, with the same errors, and the next
 * activation worked out by the same field-by-field search (robfig/cron v3's
 * `ParseStandard` and `SpecSchedule.Next`). Times are ms since the epoch.
 */
export interface CronSchedule {
  /** The first activation strictly after `ms` (whole seconds), or `GO_ZERO_TIME` when none comes within five years. */
  next(ms: number): number;
}

/** A spec that does not parse; the message is the parser's, as the API server puts it in a validation error. */
export class CronSyntaxError extends Error {}

interface Bounds {
  min: number;
  max: number;
  names?: Record<string, number>;
}

const MINUTES: Bounds = { min: 0, max: 59 };
const HOURS: Bounds = { min: 0, max: 23 };
const DOM: Bounds = { min: 1, max: 31 };
const MONTHS: Bounds = { min: 1, max: 12, names: { jan: 1, feb: 2, mar: 3, apr: 4, may: 5, jun: 6, jul: 7, aug: 8, sep: 9, oct: 10, nov: 11, dec: 12 } };
const DOW: Bounds = { min: 0, max: 6, names: { sun: 0, mon: 1, tue: 2, wed: 3, thu: 4, fri: 5, sat: 6 } };

/** The values a field allows, and whether it was written with `*` or `?` (day matching depends on it). */
interface FieldSet {
  values: Set<number>;
  star: boolean;
}

const range = (b: Bounds, from: number, to: number, step = 1): Set<number> => {
  const values = new Set<number>();
  for (let i = from; i <= to; i += step) values.add(i);
  return values;
};
const one = (v: number): FieldSet => ({ values: new Set([v]), star: false });
const all = (b: Bounds): FieldSet => ({ values: range(b, b.min, b.max), star: true });

/** Parses a CronJob's `spec.schedule` as `cron.ParseStandard` does; throws `CronSyntaxError` with its message. */
export function parseCronSchedule(spec: string): CronSchedule {
  if (spec.length === 0) throw new CronSyntaxError('empty spec string');
  let zone: Zone | undefined;
  if (spec.startsWith('TZ=') || spec.startsWith('CRON_TZ=')) {
    const space = spec.indexOf(' ');
    const eq = spec.indexOf('=');
    const name = space < 0 ? spec.slice(eq + 1) : spec.slice(eq + 1, space);
    try {
      zone = Zone.load(name);
    } catch (e) {
      throw new CronSyntaxError(`provided bad location ${name}: ${(e as Error).message}`);
    }
    spec = space < 0 ? '' : spec.slice(space).trim();
  }
  if (spec.startsWith('@')) return descriptor(spec, zone);
  const fields = spec.split(/\s+/).filter((f) => f !== '');
  if (fields.length !== 5) throw new CronSyntaxError(`expected exactly 5 fields, found ${fields.length}: [${fields.join(' ')}]`);
  return new SpecSchedule(
    {
      second: one(0),
      minute: field(fields[0], MINUTES),
      hour: field(fields[1], HOURS),
      dom: field(fields[2], DOM),
      month: field(fields[3], MONTHS),
      dow: field(fields[4], DOW),
    },
    zone,
  );
}

/** A comma-separated list of ranges. */
function field(text: string, b: Bounds): FieldSet {
  const out: FieldSet = { values: new Set(), star: false };
  for (const expr of text.split(',').filter((r) => r !== '')) {
    const r = rangeOf(expr, b);
    for (const v of r.values) out.values.add(v);
    out.star ||= r.star;
  }
  return out;
}

/** `number | number "-" number [ "/" number ]`, `*` or `?` for the whole range. */
function rangeOf(expr: string, b: Bounds): FieldSet {
  const rangeAndStep = expr.split('/');
  const lowAndHigh = rangeAndStep[0].split('-');
  const single = lowAndHigh.length === 1;
  let start: number;
  let end: number;
  let star = false;
  if (lowAndHigh[0] === '*' || lowAndHigh[0] === '?') {
    start = b.min;
    end = b.max;
    star = true;
  } else {
    start = intOrName(lowAndHigh[0], b.names);
    if (lowAndHigh.length === 1) end = start;
    else if (lowAndHigh.length === 2) end = intOrName(lowAndHigh[1], b.names);
    else throw new CronSyntaxError(`too many hyphens: ${expr}`);
  }
  let step = 1;
  if (rangeAndStep.length === 2) {
    step = nonNegativeInt(rangeAndStep[1]);
    // "N/step" means "N-max/step".
    if (single) end = b.max;
    if (step > 1) star = false;
  } else if (rangeAndStep.length > 2) {
    throw new CronSyntaxError(`too many slashes: ${expr}`);
  }
  if (start < b.min) throw new CronSyntaxError(`beginning of range (${start}) below minimum (${b.min}): ${expr}`);
  if (end > b.max) throw new CronSyntaxError(`end of range (${end}) above maximum (${b.max}): ${expr}`);
  if (start > end) throw new CronSyntaxError(`beginning of range (${start}) beyond end of range (${end}): ${expr}`);
  if (step === 0) throw new CronSyntaxError(`step of range should be a positive number: ${expr}`);
  return { values: range(b, start, end, step), star };
}

function intOrName(expr: string, names: Record<string, number> | undefined): number {
  const named = names !== undefined && Object.prototype.hasOwnProperty.call(names, expr.toLowerCase()) ? names[expr.toLowerCase()] : undefined;
  return named ?? nonNegativeInt(expr);
}

const INT64_MAX = 9223372036854775807n;

/** `strconv.Atoi`, then refusing negatives, with Go's messages. */
function nonNegativeInt(expr: string): number {
  if (!/^[+-]?[0-9]+$/.test(expr)) throw new CronSyntaxError(`failed to parse int from ${expr}: strconv.Atoi: parsing ${JSON.stringify(expr)}: invalid syntax`);
  const big = BigInt(expr);
  if (big > INT64_MAX || big < -INT64_MAX - 1n) throw new CronSyntaxError(`failed to parse int from ${expr}: strconv.Atoi: parsing ${JSON.stringify(expr)}: value out of range`);
  if (big < 0n) throw new CronSyntaxError(`negative number (${big}) not allowed: ${expr}`);
  // Beyond any field's maximum: keep it a number that still fails the range checks.
  return big > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(big);
}

function descriptor(spec: string, zone: Zone | undefined): CronSchedule {
  const fields = (minute: FieldSet, hour: FieldSet, dom: FieldSet, month: FieldSet, dow: FieldSet) => new SpecSchedule({ second: one(0), minute, hour, dom, month, dow }, zone);
  switch (spec) {
    case '@yearly':
    case '@annually':
      return fields(one(0), one(0), one(1), one(1), all(DOW));
    case '@monthly':
      return fields(one(0), one(0), one(1), all(MONTHS), all(DOW));
    case '@weekly':
      return fields(one(0), one(0), all(DOM), all(MONTHS), one(0));
    case '@daily':
    case '@midnight':
      return fields(one(0), one(0), all(DOM), all(MONTHS), all(DOW));
    case '@hourly':
      return fields(one(0), all(HOURS), all(DOM), all(MONTHS), all(DOW));
  }
  const every = '@every ';
  if (spec.startsWith(every)) {
    let ms: number;
    try {
      ms = parseGoDuration(spec.slice(every.length));
    } catch (e) {
      throw new CronSyntaxError(`failed to parse duration ${spec}: ${(e as Error).message}`);
    }
    return new ConstantDelay(ms);
  }
  throw new CronSyntaxError(`unrecognized descriptor: ${spec}`);
}

/** `@every D`: D rounded down to whole seconds, at least one second, after the given time's whole second. */
class ConstantDelay implements CronSchedule {
  private readonly delay: number;

  constructor(ms: number) {
    this.delay = ms < 1000 ? 1000 : ms - (ms % 1000);
  }

  next(ms: number): number {
    return ms - mod(ms, 1000) + this.delay;
  }
}

interface Fields {
  second: FieldSet;
  minute: FieldSet;
  hour: FieldSet;
  dom: FieldSet;
  month: FieldSet;
  dow: FieldSet;
}

const HOUR = 3_600_000;
const MINUTE = 60_000;
const SECOND = 1000;

function mod(a: number, n: number): number {
  return ((a % n) + n) % n;
}

/** A five-field schedule: the first time every field matches, searched month, day, hour, minute, second. */
class SpecSchedule implements CronSchedule {
  constructor(
    private readonly f: Fields,
    /** Undefined: the zone of the time asked about (for the controller, UTC or the CronJob's `timeZone`). */
    private readonly zone: Zone | undefined,
  ) {}

  /** In the schedule's own zone (a `TZ=` prefix) or in `zone`. */
  nextIn(ms: number, zone: Zone): number {
    const loc = this.zone ?? zone;
    const f = this.f;
    let t = ms - mod(ms, SECOND) + SECOND;
    let added = false;
    let w: WallClock = loc.wallClock(t);
    const yearLimit = w.year + 5;
    wrap: for (;;) {
      w = loc.wallClock(t);
      if (w.year > yearLimit) return GO_ZERO_TIME;
      while (!f.month.values.has(w.month)) {
        if (!added) {
          added = true;
          t = loc.date(w.year, w.month, 1, 0, 0, 0);
        }
        t = loc.addDate(t, 0, 1, 0);
        w = loc.wallClock(t);
        if (w.month === 1) continue wrap;
      }
      while (!this.dayMatches(w)) {
        if (!added) {
          added = true;
          t = loc.date(w.year, w.month, w.day, 0, 0, 0);
        }
        t = loc.addDate(t, 0, 0, 1);
        w = loc.wallClock(t);
        // Midnight a daylight-saving change skips or repeats: back to the day's first hour.
        if (w.hour !== 0) {
          t += w.hour > 12 ? (24 - w.hour) * HOUR : -w.hour * HOUR;
          w = loc.wallClock(t);
        }
        if (w.day === 1) continue wrap;
      }
      while (!f.hour.values.has(w.hour)) {
        if (!added) {
          added = true;
          t = loc.date(w.year, w.month, w.day, w.hour, 0, 0);
        }
        t += HOUR;
        w = loc.wallClock(t);
        if (w.hour === 0) continue wrap;
      }
      while (!f.minute.values.has(w.minute)) {
        if (!added) {
          added = true;
          t -= mod(t, MINUTE);
        }
        t += MINUTE;
        w = loc.wallClock(t);
        if (w.minute === 0) continue wrap;
      }
      while (!f.second.values.has(w.second)) {
        if (!added) {
          added = true;
          t -= mod(t, SECOND);
        }
        t += SECOND;
        w = loc.wallClock(t);
        if (w.second === 0) continue wrap;
      }
      return t;
    }
  }

  next(ms: number): number {
    return this.nextIn(ms, Zone.UTC);
  }

  /** Both day fields must match when either was written as `*`; otherwise either may. */
  private dayMatches(w: WallClock): boolean {
    const dom = this.f.dom.values.has(w.day);
    const dow = this.f.dow.values.has(w.weekday);
    return this.f.dom.star || this.f.dow.star ? dom && dow : dom || dow;
  }
}

/** A schedule read in a zone: the CronJob's `timeZone` (the controller calls `Next` with times in it). */
export function inZone(schedule: CronSchedule, zone: Zone): CronSchedule {
  if (schedule instanceof SpecSchedule) return { next: (ms) => schedule.nextIn(ms, zone) };
  return schedule;
}
