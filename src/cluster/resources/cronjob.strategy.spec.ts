import { newCluster } from '../../../test/support/cluster/cluster';
import { resourceTypeByKey } from '../store/resource-types';
import { refusalOf as refusal } from '../../../test/support/common/domain-error';

const cronjobs = resourceTypeByKey('cronjobs.batch')!;
const jobTemplate = { spec: { template: { spec: { restartPolicy: 'OnFailure', containers: [{ name: 'hello', image: 'busybox' }] } } } };

describe('CronJobStrategy', () => {
  it('defaults the policies and history limits as SetDefaults_CronJob', () => {
    const c = newCluster();
    const made = c.store.create(cronjobs, { metadata: { name: 'hello' }, spec: { schedule: '*/5 * * * *', jobTemplate } }, 'default');
    expect(made.spec).toMatchObject({ schedule: '*/5 * * * *', concurrencyPolicy: 'Allow', suspend: false, successfulJobsHistoryLimit: 3, failedJobsHistoryLimit: 1 });
    // The pod defaults on the template's pod template (the Job's own defaults come when a Job is made).
    const template = (made.spec as { jobTemplate: { metadata: unknown; spec: Record<string, unknown> & { template: { metadata: unknown; spec: Record<string, unknown> } } } }).jobTemplate;
    expect(template.metadata).toEqual({ creationTimestamp: null });
    expect(template.spec.completions).toBeUndefined();
    expect(template.spec.template.metadata).toEqual({ creationTimestamp: null });
    expect(template.spec.template.spec).toMatchObject({ restartPolicy: 'OnFailure', dnsPolicy: 'ClusterFirst', schedulerName: 'default-scheduler', terminationGracePeriodSeconds: 30 });
    expect(made.status).toEqual({});
  });

  it.each([
    [{ schedule: '' }, 'spec.schedule: Required value'],
    [{ schedule: '*/5 * * *' }, 'spec.schedule: Invalid value: "*/5 * * *": expected exactly 5 fields, found 4: [*/5 * * *]'],
    [{ schedule: '0 24 * * *' }, 'spec.schedule: Invalid value: "0 24 * * *": end of range (24) above maximum (23): 24'],
    [{ schedule: 'CRON_TZ=Asia/Tokyo 0 9 * * *' }, 'spec.schedule: Invalid value: "CRON_TZ=Asia/Tokyo 0 9 * * *": cannot use TZ or CRON_TZ in schedule, use timeZone field instead'],
    [{ schedule: '@daily', timeZone: 'Mars/Olympus' }, 'spec.timeZone: Invalid value: "Mars/Olympus": unknown time zone Mars/Olympus'],
    [{ schedule: '@daily', timeZone: 'Local' }, 'spec.timeZone: Invalid value: "Local": timeZone must be an explicit time zone as defined in https://www.iana.org/time-zones'],
    [{ schedule: '@daily', timeZone: '' }, 'spec.timeZone: Invalid value: "": timeZone must be nil or non-empty string'],
    [{ schedule: '@daily', concurrencyPolicy: 'Sometimes' }, 'spec.concurrencyPolicy: Unsupported value: "Sometimes": supported values: "Allow", "Forbid", "Replace"'],
    [{ schedule: '@daily', startingDeadlineSeconds: -1 }, 'spec.startingDeadlineSeconds: Invalid value: -1: must be greater than or equal to 0'],
    [{ schedule: '@daily', successfulJobsHistoryLimit: -1 }, 'spec.successfulJobsHistoryLimit: Invalid value: -1: must be greater than or equal to 0'],
  ])('refuses %j', (spec, message) => {
    const c = newCluster();
    const e = refusal(() => c.store.create(cronjobs, { metadata: { name: 'hello' }, spec: { ...spec, jobTemplate } }, 'default'));
    expect(e.message).toBe(`CronJob.batch "hello" is invalid: ${message}`);
    expect(c.store.list(cronjobs).items).toEqual([]);
  });

  const pod = (extra: Record<string, unknown> = {}) => ({ spec: { containers: [{ name: 'hello', image: 'busybox' }], ...extra } });
  it.each([
    [{ template: pod() }, 'spec.jobTemplate.spec.template.spec.restartPolicy: Required value: valid values: "OnFailure", "Never"'],
    [{ template: pod({ restartPolicy: 'Never', containers: [] }) }, 'spec.jobTemplate.spec.template.spec.containers: Required value'],
    [{ parallelism: -1, template: pod({ restartPolicy: 'Never' }) }, 'spec.jobTemplate.spec.parallelism: Invalid value: -1: must be greater than or equal to 0'],
    [{ selector: { matchLabels: { app: 'x' } }, template: pod({ restartPolicy: 'Never' }) }, 'spec.jobTemplate.spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string{"app":"x"}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: `selector` will be auto-generated'],
    [{ manualSelector: true, template: pod({ restartPolicy: 'Never' }) }, 'spec.jobTemplate.spec.manualSelector: Unsupported value: true: supported values: "nil", "false"'],
    [{ backoffLimitPerIndex: 1, template: pod({ restartPolicy: 'Never' }) }, 'spec.jobTemplate.spec.backoffLimitPerIndex: Invalid value: 1: requires indexed completion mode'],
  ])('validates the job template as a Job: %j', (spec, message) => {
    const c = newCluster();
    const e = refusal(() => c.store.create(cronjobs, { metadata: { name: 'hello' }, spec: { schedule: '@daily', jobTemplate: { spec } } }, 'default'));
    expect(e.code).toBe('INVALID');
    expect(e.message).toBe(`CronJob.batch "hello" is invalid: ${message}`);
    expect(c.store.list(cronjobs).items).toEqual([]);
  });

  it('keeps names short enough for the Jobs it will name', () => {
    const c = newCluster();
    const name = 'a'.repeat(53);
    expect(refusal(() => c.store.create(cronjobs, { metadata: { name }, spec: { schedule: '@daily', jobTemplate } }, 'default')).message).toBe(
      `CronJob.batch "${name}" is invalid: metadata.name: Invalid value: "${name}": must be no more than 52 characters`,
    );
  });

  it('refuses a wrong-typed schedule as the decoder does', () => {
    const c = newCluster();
    const e = refusal(() => c.store.create(cronjobs, { metadata: { name: 'hello' }, spec: { schedule: 5, jobTemplate } }, 'default'));
    expect(e.code).toBe('BAD_REQUEST');
    expect(e.message).toBe('CronJob in version "v1" cannot be handled as a CronJob: json: cannot unmarshal number 5 into Go struct field spec.schedule of type string');
  });

  it.each([
    [{ metadata: 'x', spec: jobTemplate.spec }, 'string into Go struct field spec.jobTemplate.metadata of type struct'],
    [{ spec: 'x' }, 'string into Go struct field spec.jobTemplate.spec of type struct'],
    [{ spec: { ...jobTemplate.spec, completions: 'x' } }, 'string into Go struct field spec.jobTemplate.spec.completions of type int32'],
    [{ spec: { ...jobTemplate.spec, completionMode: 'Indexed', completions: 3, successPolicy: { rules: [{ succeededIndexes: 5 }] } } }, 'number 5 into Go struct field spec.jobTemplate.spec.successPolicy.rules[0].succeededIndexes of type string'],
  ])('refuses a wrong-typed job template as the decoder does (400, never a crash): %j', (template, message) => {
    const c = newCluster();
    const e = refusal(() => c.store.create(cronjobs, { metadata: { name: 'hello' }, spec: { schedule: '@daily', jobTemplate: template } }, 'default'));
    expect(e.code).toBe('BAD_REQUEST');
    expect(e.message).toBe(`CronJob in version "v1" cannot be handled as a CronJob: json: cannot unmarshal ${message}`);
  });

  it('takes a time zone from the database, and checks it again only when it changes', () => {
    const c = newCluster();
    c.store.create(cronjobs, { metadata: { name: 'hello' }, spec: { schedule: '0 9 * * 1-5', timeZone: 'Europe/Paris', jobTemplate } }, 'default');
    const patched = c.store.patch(cronjobs, 'default', 'hello', { spec: { suspend: true } });
    expect(patched.spec).toMatchObject({ timeZone: 'Europe/Paris', suspend: true });
  });
});
