import { CronSchedule } from './cron-schedule';
import { GO_ZERO_TIME } from './zoned-time';

/**
 * Which scheduled time a CronJob is due for, as the CronJob controller works
 * it out (`mostRecentScheduleTime`, `nextScheduleTime`,
 * `nextScheduleTimeDuration`): only the most recent missed time is run, never
 * every one; more than 100 missed times is reported ("too many missed start
 * times"), and `startingDeadlineSeconds` moves the earliest time considered.
 */

export type Missed = 'none' | 'few' | 'many';

export interface ScheduleState {
  /** `metadata.creationTimestamp`, ms. */
  created: number;
  /** `status.lastScheduleTime`, ms. */
  lastScheduled?: number;
  startingDeadlineSeconds?: number;
}

export interface MostRecent {
  earliest: number;
  /** The most recent scheduled time not after now, if any. */
  mostRecent?: number;
  missed: Missed;
  /** A schedule that parses but never fires twice a second apart (`59 23 31 2 *`). */
  error?: string;
}

const SECOND = 1000;

export function mostRecentScheduleTime(state: ScheduleState, now: number, schedule: CronSchedule, includeStartingDeadline: boolean): MostRecent {
  let earliest = state.lastScheduled ?? state.created;
  if (includeStartingDeadline && state.startingDeadlineSeconds !== undefined) {
    const deadline = now - state.startingDeadlineSeconds * SECOND;
    if (deadline > earliest) earliest = deadline;
  }
  const t1 = schedule.next(earliest);
  const t2 = schedule.next(t1);
  if (now < t1) return { earliest, missed: 'none' };
  if (now < t2) return { earliest, mostRecent: t1, missed: 'none' };
  const between = Math.round((t2 - t1) / SECOND);
  if (between < 1) return { earliest, missed: 'none', error: 'time difference between two schedules is less than 1 second' };
  const elapsed = Math.trunc((now - t1) / SECOND);
  const missedCount = Math.trunc(elapsed / between) + 1;
  // Start a little before the estimate and let the schedule find the last time not after now.
  const potentialEarliest = t1 + (missedCount - 2) * between * SECOND;
  let mostRecent: number | undefined;
  for (let t = schedule.next(potentialEarliest); t <= now && t !== GO_ZERO_TIME; t = schedule.next(t)) mostRecent = t;
  const missed: Missed = missedCount > 100 ? 'many' : missedCount > 0 ? 'few' : 'none';
  return mostRecent === undefined ? { earliest, missed } : { earliest, mostRecent, missed };
}

/** The controller requeues a CronJob 100 ms after its next scheduled time (for clock skew). */
export const NEXT_SCHEDULE_DELTA_MS = 100;

/** How long until the CronJob should be looked at again. */
export function nextScheduleDelay(state: ScheduleState, now: number, schedule: CronSchedule): number {
  const r = mostRecentScheduleTime(state, now, schedule, false);
  let from: number;
  if (r.error !== undefined) from = now;
  else if (r.mostRecent === undefined) from = r.missed === 'none' ? r.earliest : now;
  else from = r.mostRecent;
  return schedule.next(from) + NEXT_SCHEDULE_DELTA_MS - now;
}

/** The Job a scheduled time makes is named after the CronJob and the time in minutes since the epoch. */
export function scheduledJobName(cronJobName: string, scheduled: number): string {
  return `${cronJobName}-${Math.floor(scheduled / 60_000)}`;
}
