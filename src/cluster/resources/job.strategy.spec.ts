import { newCluster } from '../../../test/support/cluster/cluster';
import { resourceTypeByKey } from '../store/resource-types';
import { refusalOf as refusal } from '../../../test/support/common/domain-error';

const jobs = resourceTypeByKey('jobs.batch')!;
const template = (restartPolicy?: string) => ({ spec: { ...(restartPolicy ? { restartPolicy } : {}), containers: [{ name: 'pi', image: 'perl:5.34' }] } });

describe('JobStrategy', () => {
  it('defaults as SetDefaults_Job and generates the selector and the four labels from the uid', () => {
    const c = newCluster();
    const made = c.store.create(jobs, { metadata: { name: 'pi' }, spec: { suspend: true, template: template('Never') } }, 'default');
    const uid = made.metadata.uid;
    expect(made.spec).toMatchObject({
      completions: 1,
      parallelism: 1,
      backoffLimit: 6,
      completionMode: 'NonIndexed',
      suspend: true,
      podReplacementPolicy: 'TerminatingOrFailed',
      selector: { matchLabels: { 'batch.kubernetes.io/controller-uid': uid } },
    });
    expect((made.spec as { manualSelector?: boolean }).manualSelector).toBeUndefined();
    expect((made.spec as { template: { metadata: { labels: unknown } } }).template.metadata.labels).toEqual({
      'batch.kubernetes.io/controller-uid': uid,
      'batch.kubernetes.io/job-name': 'pi',
      'controller-uid': uid,
      'job-name': 'pi',
    });
    expect(made.status).toEqual({});
  });

  it.each([
    [{ completionMode: 'Indexed', completions: 3, successPolicy: { rules: [{ succeededIndexes: 5 }] } }, 'number 5 into Go struct field spec.successPolicy.rules[0].succeededIndexes of type string'],
    [{ completionMode: 'Indexed', completions: 3, successPolicy: { rules: 'all' } }, 'string into Go struct field spec.successPolicy.rules of type []struct'],
    [{ completionMode: 'Indexed', completions: 3, successPolicy: { rules: [null] } }, 'null into Go struct field spec.successPolicy.rules[0] of type struct'],
    [{ podFailurePolicy: { rules: 'x' } }, 'string into Go struct field spec.podFailurePolicy.rules of type []struct'],
  ])('refuses a wrong-typed policy as the decoder does (400, never a crash): %j', (spec, message) => {
    const c = newCluster();
    const e = refusal(() => c.store.create(jobs, { metadata: { name: 'typed' }, spec: { ...spec, template: template('Never') } }, 'default'));
    expect(e.code).toBe('BAD_REQUEST');
    expect(e.message).toBe(`Job in version "v1" cannot be handled as a Job: json: cannot unmarshal ${message}`);
  });

  it('caps an Indexed Job\'s parallelism, not its completions (maxParallelismForIndexedJob)', () => {
    const c = newCluster();
    const made = c.store.create(jobs, { metadata: { name: 'big' }, spec: { completionMode: 'Indexed', completions: 200000, parallelism: 10, suspend: true, template: template('Never') } }, 'default');
    expect(made.spec).toMatchObject({ completions: 200000 });
  });

  it('parallelism alone leaves completions unset; a pod failure policy makes the replacement policy Failed', () => {
    const c = newCluster();
    const rules = [{ action: 'Ignore', onPodConditions: [{ type: 'DisruptionTarget' }] }];
    const made = c.store.create(jobs, { metadata: { name: 'q' }, spec: { parallelism: 3, suspend: true, podFailurePolicy: { rules }, template: template('Never') } }, 'default');
    expect((made.spec as { completions?: number }).completions).toBeUndefined();
    expect(made.spec).toMatchObject({ parallelism: 3, podReplacementPolicy: 'Failed', podFailurePolicy: { rules: [{ action: 'Ignore', onPodConditions: [{ type: 'DisruptionTarget', status: 'True' }] }] } });
  });

  it.each([
    [{}, template(), 'spec.template.spec.restartPolicy: Required value: valid values: "OnFailure", "Never"'],
    [{}, template('Sometimes'), 'spec.template.spec.restartPolicy: Unsupported value: "Sometimes": supported values: "OnFailure", "Never"'],
    [{ completionMode: 'Indexed', completions: null, parallelism: 2 }, template('Never'), 'spec.completions: Required value: when completion mode is Indexed'],
    [{ completionMode: 'Indexed', completions: 5, parallelism: 100001, backoffLimitPerIndex: 1 }, template('Never'), 'spec.parallelism: Invalid value: 100001: must be less than or equal to 100000 when completion mode is Indexed'],
    [{ podReplacementPolicy: 'TerminatingOrFailed', podFailurePolicy: { rules: [{ action: 'Ignore', onPodConditions: [{ type: 'DisruptionTarget' }] }] } }, template('Never'), 'spec.podReplacementPolicy: Unsupported value: "TerminatingOrFailed": supported values: "Failed"'],
    [{ podReplacementPolicy: 'Sometimes', podFailurePolicy: { rules: [{ action: 'Ignore', onPodConditions: [{ type: 'DisruptionTarget' }] }] } }, template('Never'), 'spec.podReplacementPolicy: Unsupported value: "Sometimes": supported values: "Failed"'],
    [{ completionMode: 'Sometimes' }, template('Never'), 'spec.completionMode: Unsupported value: "Sometimes": supported values: "NonIndexed", "Indexed"'],
    [{ backoffLimit: -1 }, template('Never'), 'spec.backoffLimit: Invalid value: -1: must be greater than or equal to 0'],
    [{ parallelism: -1 }, template('Never'), 'spec.parallelism: Invalid value: -1: must be greater than or equal to 0'],
    [{ podFailurePolicy: { rules: [{ action: 'FailJob', onExitCodes: { operator: 'In', values: [42] } }] } }, template('OnFailure'), 'spec.template.spec.restartPolicy: Invalid value: "OnFailure": only "Never" is supported when podFailurePolicy is specified'],
    [{ podFailurePolicy: { rules: [{ action: 'Retry', onExitCodes: { operator: 'In', values: [42] } }] } }, template('Never'), 'spec.podFailurePolicy.rules[0].action: Unsupported value: "Retry": supported values: "Count", "FailIndex", "FailJob", "Ignore"'],
    [{ podFailurePolicy: { rules: [{ action: 'FailJob' }] } }, template('Never'), 'spec.podFailurePolicy.rules[0]: Invalid value: specifying one of OnExitCodes and OnPodConditions is required'],
    [{ podFailurePolicy: { rules: [{ action: 'FailJob', onExitCodes: { operator: 'In', values: [0] } }] } }, template('Never'), 'spec.podFailurePolicy.rules[0].onExitCodes.values[0]: Invalid value: 0: must not be 0 for the In operator'],
    [{ manualSelector: true, selector: { matchLabels: { app: 'x' } } }, { ...template('Never'), metadata: { labels: { app: 'y' } } }, 'spec.template.metadata.labels: Invalid value: map[string]string{"app":"y"}: `selector` does not match template `labels`'],
    // Indexed Jobs: backoffLimitPerIndex, maxFailedIndexes, successPolicy (KEP-3850, KEP-3998).
    [{ backoffLimitPerIndex: 1 }, template('Never'), 'spec.backoffLimitPerIndex: Invalid value: 1: requires indexed completion mode'],
    [{ completionMode: 'Indexed', completions: 3, maxFailedIndexes: 1 }, template('Never'), 'spec.backoffLimitPerIndex: Required value: when maxFailedIndexes is specified'],
    [{ completionMode: 'Indexed', completions: 3, backoffLimitPerIndex: 1, maxFailedIndexes: 4 }, template('Never'), 'spec.maxFailedIndexes: Invalid value: 4: must be less than or equal to completions'],
    [{ completionMode: 'Indexed', completions: 200000, parallelism: 1, backoffLimitPerIndex: 1 }, template('Never'), 'spec.maxFailedIndexes: Required value: must be specified when completions is above 100000'],
    [{ completionMode: 'Indexed', completions: 3, podFailurePolicy: { rules: [{ action: 'FailIndex', onExitCodes: { operator: 'In', values: [42] } }] } }, template('Never'), 'spec.podFailurePolicy.rules[0].action: Invalid value: "FailIndex": requires the backoffLimitPerIndex to be set'],
    [{ successPolicy: { rules: [] } }, template('Never'), 'spec.successPolicy: Invalid value: batch.SuccessPolicy{Rules:[]batch.SuccessPolicyRule{}}: requires indexed completion mode'],
    [{ completionMode: 'Indexed', completions: 3, successPolicy: { rules: [] } }, template('Never'), 'spec.successPolicy.rules: Required value: at least one rules must be specified when the successPolicy is specified'],
    [{ completionMode: 'Indexed', completions: 3, successPolicy: { rules: [{}] } }, template('Never'), 'spec.successPolicy.rules[0]: Required value: at least one of succeededCount or succeededIndexes must be specified'],
    [{ completionMode: 'Indexed', completions: 3, successPolicy: { rules: [{ succeededIndexes: '0-3' }] } }, template('Never'), 'spec.successPolicy.rules[0].succeededIndexes: Invalid value: "0-3": error parsing succeededIndexes: too large index: "3"'],
    [{ completionMode: 'Indexed', completions: 9, successPolicy: { rules: [{ succeededIndexes: '2,1' }] } }, template('Never'), 'spec.successPolicy.rules[0].succeededIndexes: Invalid value: "2,1": error parsing succeededIndexes: non-increasing order, previous: 2, current: 1'],
    [{ completionMode: 'Indexed', completions: 9, successPolicy: { rules: [{ succeededIndexes: '1-2-3' }] } }, template('Never'), 'spec.successPolicy.rules[0].succeededIndexes: Invalid value: "1-2-3": error parsing succeededIndexes: the fragment "1-2-3" violates the requirement that an index interval can have at most two parts separated by \'-\''],
    [{ completionMode: 'Indexed', completions: 9, successPolicy: { rules: [{ succeededIndexes: 'a' }] } }, template('Never'), 'spec.successPolicy.rules[0].succeededIndexes: Invalid value: "a": error parsing succeededIndexes: cannot convert string to integer for index: "a"'],
    [{ completionMode: 'Indexed', completions: 3, successPolicy: { rules: [{ succeededCount: 4 }] } }, template('Never'), 'spec.successPolicy.rules[0].succeededCount: Invalid value: 4: must be less than or equal to 3 (the number of specified completions)'],
    [{ completionMode: 'Indexed', completions: 9, successPolicy: { rules: [{ succeededIndexes: '0,2', succeededCount: 3 }] } }, template('Never'), 'spec.successPolicy.rules[0].succeededCount: Invalid value: 3: must be less than or equal to 2 (the number of indexes in the specified succeededIndexes field)'],
  ])('refuses %j', (spec, tpl, message) => {
    const c = newCluster();
    const e = refusal(() => c.store.create(jobs, { metadata: { name: 'pi' }, spec: { ...spec, template: tpl } }, 'default'));
    expect(e.code).toBe('INVALID');
    expect(e.message).toBe(`Job.batch "pi" is invalid: ${message}`);
  });

  it('a selector without manualSelector must pick the generated labels', () => {
    const c = newCluster();
    const e = refusal(() => c.store.create(jobs, { metadata: { name: 'pi' }, spec: { selector: { matchLabels: { 'batch.kubernetes.io/controller-uid': 'other' } }, template: template('Never') } }, 'default'));
    expect(e.message).toContain('spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string{"batch.kubernetes.io/controller-uid":"other"}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: `selector` not auto-generated');
  });

  it('the template, completions and selector are immutable; suspend and parallelism change', () => {
    const c = newCluster();
    c.store.create(jobs, { metadata: { name: 'pi' }, spec: { suspend: true, template: template('Never') } }, 'default');
    const made = c.store.get(jobs, 'default', 'pi'); // with the status the controller wrote
    const spec = made.spec as Record<string, unknown> & { template: { spec: { containers: Array<Record<string, unknown>> } } };
    c.store.update(jobs, 'default', 'pi', { ...made, spec: { ...spec, suspend: false, parallelism: 2 } });
    const current = c.store.get(jobs, 'default', 'pi');
    const changed = structuredClone(current.spec) as typeof spec;
    changed.template.spec.containers[0].image = 'perl:5.36';
    changed.completions = 3;
    const e = refusal(() => c.store.update(jobs, 'default', 'pi', { ...current, spec: changed }));
    expect(e.message).toBe('Job.batch "pi" is invalid: [spec.completions: Invalid value: 3: field is immutable, spec.template: Invalid value: core.PodTemplateSpec{...}: field is immutable]');
  });

  it('successPolicy and backoffLimitPerIndex are immutable; backoffLimit defaults to the int32 maximum with backoffLimitPerIndex', () => {
    const c = newCluster();
    const spec = { completionMode: 'Indexed', completions: 3, backoffLimitPerIndex: 1, successPolicy: { rules: [{ succeededCount: 2 }] }, suspend: true, template: template('Never') };
    const made = c.store.create(jobs, { metadata: { name: 'ix' }, spec }, 'default');
    expect(made.spec).toMatchObject({ backoffLimit: 2147483647, backoffLimitPerIndex: 1 });
    const e = refusal(() => c.store.patch(jobs, 'default', 'ix', { spec: { successPolicy: { rules: [{ succeededCount: 3 }] } } }));
    expect(e.message).toBe('Job.batch "ix" is invalid: spec.successPolicy: Invalid value: &batch.SuccessPolicy{Rules:[]batch.SuccessPolicyRule{...}}: field is immutable');
  });
});
