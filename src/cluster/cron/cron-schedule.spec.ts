import { CronSyntaxError, inZone, parseCronSchedule } from './cron-schedule';
import { parseGoDuration } from './go-duration';
import { mostRecentScheduleTime, nextScheduleDelay, scheduledJobName } from './schedule-times';
import { GO_ZERO_TIME, Zone } from './zoned-time';

const at = (iso: string) => Date.parse(iso);
const iso = (ms: number) => new Date(ms).toISOString();
const next = (spec: string, from: string, zone?: string) => iso(inZone(parseCronSchedule(spec), zone ? Zone.load(zone) : Zone.UTC).next(at(from)));

function syntaxError(spec: string): string {
  try {
    parseCronSchedule(spec);
  } catch (e) {
    if (e instanceof CronSyntaxError) return e.message;
    throw e;
  }
  throw new Error(`${spec} parsed`);
}

describe('cron schedules as the CronJob controller reads them', () => {
  it.each([
    ['', 'empty spec string'],
    ['* * * *', 'expected exactly 5 fields, found 4: [* * * *]'],
    ['0 0 * * * *', 'expected exactly 5 fields, found 6: [0 0 * * * *]'],
    ['60 * * * *', 'end of range (60) above maximum (59): 60'],
    ['* * * * 7', 'end of range (7) above maximum (6): 7'],
    ['* * 0 * *', 'beginning of range (0) below minimum (1): 0'],
    ['5-1 * * * *', 'beginning of range (5) beyond end of range (1): 5-1'],
    ['1-2-3 * * * *', 'too many hyphens: 1-2-3'],
    ['*/2/3 * * * *', 'too many slashes: */2/3'],
    ['*/0 * * * *', 'step of range should be a positive number: */0'],
    ['a * * * *', 'failed to parse int from a: strconv.Atoi: parsing "a": invalid syntax'],
    ['* * * JANUARY *', 'failed to parse int from JANUARY: strconv.Atoi: parsing "JANUARY": invalid syntax'],
    ['@fortnightly', 'unrecognized descriptor: @fortnightly'],
    ['@every 1d', 'failed to parse duration @every 1d: time: unknown unit "d" in duration "1d"'],
    ['@every 5', 'failed to parse duration @every 5: time: missing unit in duration "5"'],
    ['TZ=Mars/Olympus 0 * * * *', 'provided bad location Mars/Olympus: unknown time zone Mars/Olympus'],
  ])('refuses %j: %s', (spec, message) => {
    expect(syntaxError(spec)).toBe(message);
  });

  it('finds the next time field by field, strictly after the given one', () => {
    expect(next('*/15 * * * *', '2026-01-01T10:07:30Z')).toBe('2026-01-01T10:15:00.000Z');
    expect(next('*/15 * * * *', '2026-01-01T10:15:00Z')).toBe('2026-01-01T10:30:00.000Z');
    expect(next('0 9 * * 1-5', '2026-01-02T10:00:00Z')).toBe('2026-01-05T09:00:00.000Z'); // Friday -> Monday
    expect(next('0 0 1 jan,JUL *', '2026-02-10T00:00:00Z')).toBe('2026-07-01T00:00:00.000Z');
    expect(next('30 4 * * sun', '2026-01-01T00:00:00Z')).toBe('2026-01-04T04:30:00.000Z');
    expect(next('5/20 * * * *', '2026-01-01T10:50:00Z')).toBe('2026-01-01T11:05:00.000Z');
  });

  it('fires when either day field matches if both are restricted, and when both do otherwise', () => {
    // The 13th or any Friday: 2026-01-02 is a Friday.
    expect(next('0 0 13 * 5', '2026-01-01T00:00:00Z')).toBe('2026-01-02T00:00:00.000Z');
    // `*` in the day of the month: only Fridays.
    expect(next('0 0 * * 5', '2026-01-02T00:00:00Z')).toBe('2026-01-09T00:00:00.000Z');
    // `*/1` still counts as `*`; `*/2` does not (then either field may match).
    expect(next('0 0 */1 * 5', '2026-01-02T00:00:00Z')).toBe('2026-01-09T00:00:00.000Z');
    expect(next('0 0 */2 * 5', '2026-01-02T00:00:00Z')).toBe('2026-01-03T00:00:00.000Z');
  });

  it('knows the descriptors', () => {
    const from = '2026-05-17T10:20:30.250Z';
    expect(next('@hourly', from)).toBe('2026-05-17T11:00:00.000Z');
    expect(next('@daily', from)).toBe('2026-05-18T00:00:00.000Z');
    expect(next('@midnight', from)).toBe('2026-05-18T00:00:00.000Z');
    expect(next('@weekly', from)).toBe('2026-05-24T00:00:00.000Z'); // the next Sunday
    expect(next('@monthly', from)).toBe('2026-06-01T00:00:00.000Z');
    expect(next('@yearly', from)).toBe('2027-01-01T00:00:00.000Z');
    expect(next('@annually', from)).toBe('2027-01-01T00:00:00.000Z');
    // @every: from the given time's whole second, rounded down to whole seconds, at least one.
    expect(next('@every 1h30m', from)).toBe('2026-05-17T11:50:30.000Z');
    expect(next('@every 1.5s', from)).toBe('2026-05-17T10:20:31.000Z');
    expect(next('@every 10ms', from)).toBe('2026-05-17T10:20:31.000Z');
  });

  it('answers the zero time when nothing matches within five years', () => {
    expect(parseCronSchedule('0 0 30 2 *').next(at('2026-01-01T00:00:00Z'))).toBe(GO_ZERO_TIME);
    expect(iso(GO_ZERO_TIME)).toBe('0001-01-01T00:00:00.000Z');
  });

  it('reads the wall clock of a time zone, from timeZone or a TZ= prefix', () => {
    // 09:00 in Tokyo is 00:00 UTC; strictly after it comes the next day's.
    expect(next('0 9 * * *', '2026-01-01T00:00:00Z', 'Asia/Tokyo')).toBe('2026-01-02T00:00:00.000Z');
    expect(next('0 9 * * *', '2025-12-31T23:00:00Z', 'Asia/Tokyo')).toBe('2026-01-01T00:00:00.000Z');
    expect(next('CRON_TZ=Asia/Tokyo 0 9 * * *', '2025-12-31T23:00:00Z')).toBe('2026-01-01T00:00:00.000Z');
    expect(next('TZ=America/New_York 0 12 * * *', '2026-07-01T00:00:00Z')).toBe('2026-07-01T16:00:00.000Z'); // EDT, UTC-4
    expect(next('TZ=America/New_York 0 12 * * *', '2026-01-10T00:00:00Z')).toBe('2026-01-10T17:00:00.000Z'); // EST, UTC-5
  });

  it('steps over a wall-clock hour that daylight saving time skips, as the hour search does', () => {
    // New York, 2026-03-08: 02:00 becomes 03:00, so 02:30 does not exist that day.
    expect(next('30 2 * * *', '2026-03-07T12:00:00Z', 'America/New_York')).toBe('2026-03-09T06:30:00.000Z');
    // The hour before and after the change run as usual.
    expect(next('30 1 * * *', '2026-03-08T00:00:00Z', 'America/New_York')).toBe('2026-03-08T06:30:00.000Z');
    expect(next('30 3 * * *', '2026-03-08T06:00:00Z', 'America/New_York')).toBe('2026-03-08T07:30:00.000Z');
  });
});

describe('zones as time.LoadLocation loads them', () => {
  it('takes UTC, Local (UTC here) and database names spelled exactly', () => {
    expect(Zone.load('').name).toBe('UTC');
    expect(Zone.load('Local').name).toBe('UTC');
    expect(Zone.load('Europe/Paris').name).toBe('Europe/Paris');
    expect(() => Zone.load('europe/paris')).toThrow('unknown time zone europe/paris');
    expect(() => Zone.load('Nowhere/City')).toThrow('unknown time zone Nowhere/City');
    expect(() => Zone.load('../etc/passwd')).toThrow('time: invalid location name');
  });

  it('formats RFC 3339 with the zone offset, and builds dates of any year', () => {
    const paris = Zone.load('Europe/Paris');
    expect(paris.rfc3339(at('2026-07-01T10:00:00Z'))).toBe('2026-07-01T12:00:00+02:00');
    expect(Zone.UTC.rfc3339(at('2026-07-01T10:00:00Z'))).toBe('2026-07-01T10:00:00Z');
    expect(iso(Zone.UTC.date(50, 13, 1, 0, 0, 0))).toBe('0051-01-01T00:00:00.000Z');
  });
});

describe('Go durations', () => {
  it.each([
    ['1h30m', 5_400_000],
    ['1.5h', 5_400_000],
    ['300ms', 300],
    ['-2m', -120_000],
    ['0', 0],
    ['1h0.5s', 3_600_500],
  ])('%s is %d ms', (text, ms) => expect(parseGoDuration(text)).toBe(ms));

  it.each([
    ['', 'time: invalid duration ""'],
    ['h', 'time: invalid duration "h"'],
    ['1', 'time: missing unit in duration "1"'],
    ['1d', 'time: unknown unit "d" in duration "1d"'],
  ])('refuses %j', (text, message) => expect(() => parseGoDuration(text)).toThrow(message));
});

describe('the scheduled time a CronJob is due for', () => {
  const hourly = parseCronSchedule('@hourly');
  const created = at('2026-01-01T00:00:00Z');

  it('is nothing before the first time, then that time', () => {
    expect(mostRecentScheduleTime({ created }, at('2026-01-01T00:59:00Z'), hourly, true)).toEqual({ earliest: created, missed: 'none' });
    expect(mostRecentScheduleTime({ created }, at('2026-01-01T01:00:30Z'), hourly, true)).toEqual({ earliest: created, mostRecent: at('2026-01-01T01:00:00Z'), missed: 'none' });
  });

  it('is only the most recent of many missed times, and says when more than 100 were missed', () => {
    const day = mostRecentScheduleTime({ created }, at('2026-01-02T00:30:00Z'), hourly, true);
    expect(day).toEqual({ earliest: created, mostRecent: at('2026-01-02T00:00:00Z'), missed: 'few' });
    const week = mostRecentScheduleTime({ created, lastScheduled: at('2026-01-01T05:00:00Z') }, at('2026-01-08T00:30:00Z'), hourly, true);
    expect(week).toEqual({ earliest: at('2026-01-01T05:00:00Z'), mostRecent: at('2026-01-08T00:00:00Z'), missed: 'many' });
  });

  it('looks back no further than startingDeadlineSeconds, when asked to', () => {
    const state = { created, startingDeadlineSeconds: 600 };
    expect(mostRecentScheduleTime(state, at('2026-01-08T00:30:00Z'), hourly, true)).toEqual({ earliest: at('2026-01-08T00:20:00Z'), missed: 'none' });
    expect(mostRecentScheduleTime(state, at('2026-01-08T00:05:00Z'), hourly, true)).toEqual({ earliest: at('2026-01-07T23:55:00Z'), mostRecent: at('2026-01-08T00:00:00Z'), missed: 'none' });
  });

  it('reports a schedule that never fires twice', () => {
    const never = parseCronSchedule('59 23 31 2 *');
    expect(mostRecentScheduleTime({ created }, at('2026-06-01T00:00:00Z'), never, true).error).toBe('time difference between two schedules is less than 1 second');
  });

  it('requeues 100 ms after the next time', () => {
    expect(nextScheduleDelay({ created }, at('2026-01-01T00:10:00Z'), hourly)).toBe(50 * 60_000 + 100);
    expect(nextScheduleDelay({ created, lastScheduled: at('2026-01-01T01:00:00Z') }, at('2026-01-01T01:00:01Z'), hourly)).toBe(3_599_000 + 100);
  });

  it('names the Job after the scheduled minute', () => {
    expect(scheduledJobName('hello', at('2026-01-01T01:00:00Z'))).toBe(`hello-${Date.parse('2026-01-01T01:00:00Z') / 60_000}`);
    expect(scheduledJobName('hello', at('2026-01-01T01:00:00Z'))).toBe('hello-29453820');
  });
});
