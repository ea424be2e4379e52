import { CronSyntaxError, parseCronSchedule } from '../cron/cron-schedule';
import { Zone } from '../cron/zoned-time';
import { ResourceStrategy } from '../store/object-store';
import { KubeObject } from '../store/types';
import { FieldErrors } from '../validation/field-errors';
import { validateJobTemplateSpec } from './job.strategy';
import { JobTemplateSpec } from './job.types';
import { defaultPodTemplate } from './pod-defaults';
import { checkInt32, nonNegative, prepareSpec, throwIfInvalid } from './workload.strategy';

/** The batch/v1 CronJobSpec fields the API server defaults and validates here. */
export interface CronJobSpec {
  schedule?: string;
  timeZone?: string | null;
  startingDeadlineSeconds?: number;
  concurrencyPolicy?: string;
  suspend?: boolean;
  successfulJobsHistoryLimit?: number;
  failedJobsHistoryLimit?: number;
  jobTemplate?: JobTemplateSpec;
}

const KIND = 'CronJob';
const CONCURRENCY_POLICIES = ['Allow', 'Forbid', 'Replace'];
/** A Job is named `<cronjob>-<minutes>`: 11 characters more, within a 63-character DNS label. */
const MAX_NAME_LENGTH = 52;
/** One part of a zone name, as the validation reads them (`validTimeZoneCharacters`). */
const ZONE_PART = /^[A-Za-z.\-_0-9+]{1,14}$/;

/**
 * batch/v1 CronJob, as the API server defaults it (`SetDefaults_CronJob`, and the pod
 * defaults on the job template's pod template) and validates its schedule, time zone,
 * policies and job template (`ValidateCronJobCreate` and `…Update`: the template as a Job's,
 * errors under `spec.jobTemplate.spec…`), with the schedule parsed as the controller parses it.
 */
export class CronJobStrategy implements ResourceStrategy {
  prepareCreate(draft: KubeObject): void {
    const spec = this.prepare(draft);
    const errors = new FieldErrors();
    if (draft.metadata.name.length > MAX_NAME_LENGTH) errors.invalid('metadata.name', draft.metadata.name, `must be no more than ${MAX_NAME_LENGTH} characters`);
    this.validate(spec, undefined, errors);
    throwIfInvalid(KIND, draft.metadata.name, errors, 'CronJob.batch');
    draft.status = {}; // a status sent with a new object is ignored
  }

  prepareUpdate(draft: KubeObject, previous: KubeObject): void {
    const spec = this.prepare(draft);
    const errors = new FieldErrors();
    this.validate(spec, previous.spec as CronJobSpec | undefined, errors);
    throwIfInvalid(KIND, draft.metadata.name, errors, 'CronJob.batch');
  }

  private prepare(draft: KubeObject): CronJobSpec {
    const spec = prepareSpec<CronJobSpec>(draft);
    checkInt32(KIND, spec as Record<string, unknown>, ['successfulJobsHistoryLimit', 'failedJobsHistoryLimit']);
    spec.concurrencyPolicy ||= 'Allow';
    spec.suspend ??= false;
    spec.successfulJobsHistoryLimit ??= 3;
    spec.failedJobsHistoryLimit ??= 1;
    const template = spec.jobTemplate;
    if (template && typeof template === 'object') {
      // Go's zero ObjectMeta, as the API server writes it back (`creationTimestamp: null`).
      if (template.metadata == null) template.metadata = {};
      if (typeof template.metadata === 'object') template.metadata.creationTimestamp ??= null;
      if (template.spec && typeof template.spec === 'object') defaultPodTemplate(template.spec.template);
    }
    return spec;
  }

  private validate(spec: CronJobSpec, old: CronJobSpec | undefined, errors: FieldErrors): void {
    const schedule = spec.schedule ?? '';
    if (schedule.length === 0) {
      errors.required('spec.schedule');
    } else {
      try {
        parseCronSchedule(schedule);
      } catch (e) {
        if (!(e instanceof CronSyntaxError)) throw e;
        errors.invalid('spec.schedule', schedule, e.message);
      }
      // A TZ prefix is kept only where an older object already had one.
      const allowTz = old?.schedule?.includes('TZ') ?? false;
      if (allowTz && schedule.includes('TZ') && spec.timeZone != null) {
        errors.invalid('spec.schedule', schedule, 'cannot use both timeZone field and TZ or CRON_TZ in schedule');
      } else if (!allowTz && schedule.includes('TZ')) {
        errors.invalid('spec.schedule', schedule, 'cannot use TZ or CRON_TZ in schedule, use timeZone field instead');
      }
    }
    nonNegative(spec.startingDeadlineSeconds, 'spec.startingDeadlineSeconds', errors);
    if (old === undefined || old.timeZone !== spec.timeZone) validateTimeZone(spec.timeZone, errors);
    if (!CONCURRENCY_POLICIES.includes(spec.concurrencyPolicy!)) errors.notSupported('spec.concurrencyPolicy', spec.concurrencyPolicy, CONCURRENCY_POLICIES);
    nonNegative(spec.successfulJobsHistoryLimit, 'spec.successfulJobsHistoryLimit', errors);
    nonNegative(spec.failedJobsHistoryLimit, 'spec.failedJobsHistoryLimit', errors);
    validateJobTemplateSpec(spec.jobTemplate, errors, 'spec.jobTemplate');
  }
}

/** `validateTimeZone`: nil, or a zone name the zone database knows (not `Local`). */
function validateTimeZone(timeZone: string | null | undefined, errors: FieldErrors): void {
  if (timeZone === undefined || timeZone === null) return;
  const field = 'spec.timeZone';
  if (timeZone.length === 0) {
    errors.invalid(field, timeZone, 'timeZone must be nil or non-empty string');
    return;
  }
  for (const part of timeZone.split('/')) {
    if (part === '.' || part === '..' || part.startsWith('-') || !ZONE_PART.test(part)) {
      errors.invalid(field, timeZone, `unknown time zone ${timeZone}`);
      return;
    }
  }
  if (timeZone.toLowerCase() === 'local') errors.invalid(field, timeZone, 'timeZone must be an explicit time zone as defined in https://www.iana.org/time-zones');
  try {
    Zone.load(timeZone);
  } catch (e) {
    errors.invalid(field, timeZone, (e as Error).message);
  }
}
