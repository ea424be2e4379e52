import { deepEqual, ResourceStrategy } from '../store/object-store';
import { KubeObject } from '../store/types';
import { FieldErrors } from '../validation/field-errors';
import { validateAnnotations, validateLabels } from '../validation/names';
import { defaultPodTemplate } from './pod-defaults';
import { validatePodSpec } from './pod.strategy';
import { PodSpec } from './pod.types';
import {
  CONTROLLER_UID_LABEL,
  JOB_NAME_LABEL,
  JobSpec,
  LEGACY_CONTROLLER_UID_LABEL,
  LEGACY_JOB_NAME_LABEL,
  JobTemplateSpec,
  PodFailurePolicyRule,
  SuccessPolicyRule,
} from './job.types';
import { indexesFormatError } from './job-indexes-format';
import {
  checkInt32,
  GoLiteral,
  goLabelSelector,
  goStringMap,
  nonNegative,
  prepareSpec,
  selectorMatches,
  selectorParses,
  throwIfInvalid,
  validateLabelSelector,
} from './workload.strategy';

const KIND = 'Job';
const QUALIFIED = 'Job.batch';
const MAX_INDEXED = 100000;
const MAX_RULES = 20;
/** `maxFailedIndexesForIndexedJob`, `completionsSoftLimit` and the limits above it, `maxSuccessPolicyRule`, `maxJobSuccessPolicySucceededIndexesLimit`. */
const MAX_FAILED_INDEXES = 100000;
const COMPLETIONS_SOFT_LIMIT = 100000;
const HIGH_COMPLETIONS_LIMIT = 10000;
const MAX_SUCCESS_RULES = 20;
const MAX_SUCCEEDED_INDEXES_BYTES = 64 * 1024;
const MAX_EXIT_CODES = 255;
const COMPLETION_MODES = ['NonIndexed', 'Indexed'];
const REPLACEMENT_POLICIES = ['Failed', 'TerminatingOrFailed'];
const ACTIONS = ['Count', 'FailIndex', 'FailJob', 'Ignore'];
const CONDITION_STATUSES = ['True', 'False', 'Unknown'];
/** Template fields a suspended Job that never started may still change (KEP-2926, mutable scheduling directives). */
const SCHEDULING_DIRECTIVES = ['nodeSelector', 'tolerations', 'affinity', 'schedulingGates'];

/** `Invalid value: <detail>`: apimachinery's `field.OmitValueType`, which prints no value. */
const omitValue = (detail: string) => new GoLiteral(detail);

/**
 * batch/v1 Job, as the API server defaults it (`SetDefaults_Job`), generates its
 * selector (`generateSelector`: the `batch.kubernetes.io/controller-uid` selector and
 * the four labels on the template) and validates it (`ValidateJob`, `ValidateJobUpdate`)
 * with upstream's field paths and texts. Status is written by the Job controller
 * through the status subresource.
 */
export class JobStrategy implements ResourceStrategy {
  prepareCreate(draft: KubeObject): void {
    const spec = this.prepare(draft);
    if (spec.manualSelector !== true) generateSelector(draft, spec);
    const errors = new FieldErrors();
    if (spec.manualSelector !== true) validateGeneratedSelector(draft, spec, errors);
    validateJobSpec(spec, errors);
    throwIfInvalid(KIND, draft.metadata.name, errors, QUALIFIED);
    draft.status = {}; // a status sent with a new object is ignored
  }

  prepareUpdate(draft: KubeObject, previous: KubeObject): void {
    const spec = this.prepare(draft);
    const old = (previous.spec ?? {}) as JobSpec;
    const errors = new FieldErrors();
    validateJobSpec(spec, errors);
    const elastic = spec.completionMode === 'Indexed' && spec.completions === spec.parallelism && old.completions === old.parallelism;
    if (!elastic && !deepEqual(spec.completions, old.completions)) errors.invalid('spec.completions', spec.completions ?? null, 'field is immutable');
    if (!deepEqual(spec.selector, old.selector)) {
      errors.invalid('spec.selector', spec.selector ? new GoLiteral(goLabelSelector(spec.selector)) : null, 'field is immutable');
    }
    const neverStarted = old.suspend === true && (previous.status as { startTime?: string } | undefined)?.startTime === undefined;
    if (!deepEqual(templateWithout(spec, neverStarted), templateWithout(old, neverStarted))) {
      // Upstream prints the whole template as Go's %#v; its head is enough to say which value.
      errors.invalid('spec.template', new GoLiteral('core.PodTemplateSpec{...}'), 'field is immutable');
    }
    if (spec.completionMode !== old.completionMode) errors.invalid('spec.completionMode', spec.completionMode, 'field is immutable');
    if (!deepEqual(spec.backoffLimitPerIndex, old.backoffLimitPerIndex)) errors.invalid('spec.backoffLimitPerIndex', spec.backoffLimitPerIndex ?? null, 'field is immutable');
    if (!deepEqual(spec.successPolicy ?? null, old.successPolicy ?? null)) errors.invalid('spec.successPolicy', goSuccessPolicy(spec.successPolicy, true), 'field is immutable');
    if (!deepEqual(spec.podFailurePolicy, old.podFailurePolicy) && old.podFailurePolicy !== undefined) {
      errors.invalid('spec.podFailurePolicy', new GoLiteral('&batch.PodFailurePolicy{...}'), 'field is immutable');
    }
    throwIfInvalid(KIND, draft.metadata.name, errors, QUALIFIED);
  }

  private prepare(draft: KubeObject): JobSpec {
    const spec = prepareSpec<JobSpec>(draft);
    checkInt32(KIND, spec as Record<string, unknown>, ['parallelism', 'completions', 'backoffLimit', 'backoffLimitPerIndex', 'maxFailedIndexes', 'ttlSecondsAfterFinished']);
    defaultJobSpec(spec);
    const labels = spec.template?.metadata?.labels;
    if (labels && Object.keys(labels).length > 0 && Object.keys(draft.metadata.labels ?? {}).length === 0) draft.metadata.labels = { ...labels };
    defaultPodTemplate(spec.template);
    return spec;
  }
}

/** `SetDefaults_Job`: what the API server fills in before validation. */
export function defaultJobSpec(spec: JobSpec): void {
  if (spec.completions == null && spec.parallelism == null) {
    spec.completions = 1;
    spec.parallelism = 1;
  }
  spec.parallelism ??= 1;
  spec.backoffLimit ??= spec.backoffLimitPerIndex != null ? 2147483647 : 6;
  spec.completionMode ||= 'NonIndexed';
  spec.suspend ??= false;
  spec.podReplacementPolicy ||= spec.podFailurePolicy ? 'Failed' : 'TerminatingOrFailed';
  for (const rule of spec.podFailurePolicy?.rules ?? []) {
    for (const pattern of rule.onPodConditions ?? []) pattern.status ||= 'True';
  }
}

/** `generateSelector`: the job's name and uid as labels on its template, and the uid as its selector. */
function generateSelector(draft: KubeObject, spec: JobSpec): void {
  const template = (spec.template ??= {});
  const meta = (template.metadata ??= {});
  const labels = (meta.labels = { ...(meta.labels ?? {}) });
  // A label the user set is kept: validation says if it conflicts.
  for (const key of [LEGACY_JOB_NAME_LABEL, JOB_NAME_LABEL]) labels[key] ??= draft.metadata.name;
  for (const key of [LEGACY_CONTROLLER_UID_LABEL, CONTROLLER_UID_LABEL]) labels[key] ??= draft.metadata.uid;
  const selector = (spec.selector ??= {});
  selector.matchLabels = { ...(selector.matchLabels ?? {}) };
  selector.matchLabels[CONTROLLER_UID_LABEL] ??= draft.metadata.uid;
}

/** `ValidateGeneratedSelector`: the generated labels are on the template and the selector picks them. */
function validateGeneratedSelector(draft: KubeObject, spec: JobSpec, errors: FieldErrors): void {
  if (!spec.selector) return;
  const labels = spec.template?.metadata?.labels ?? {};
  const expected: Array<[string, string]> = [
    [LEGACY_CONTROLLER_UID_LABEL, draft.metadata.uid],
    [CONTROLLER_UID_LABEL, draft.metadata.uid],
    [LEGACY_JOB_NAME_LABEL, draft.metadata.name],
    [JOB_NAME_LABEL, draft.metadata.name],
  ];
  for (const [key, value] of expected) {
    if (labels[key] !== value) errors.invalid(`spec.template.metadata.labels[${key}]`, new GoLiteral(goStringMap(labels)), `must be '${value}'`);
  }
  if (selectorParses(spec.selector) && !selectorMatches(spec.selector, Object.fromEntries(expected))) {
    errors.invalid('spec.selector', new GoLiteral(goLabelSelector(spec.selector)), '`selector` not auto-generated');
  }
}

/** `ValidateJobSpec`: the fields (`validateJobSpec`), then the selector. */
function validateJobSpec(spec: JobSpec, errors: FieldErrors): void {
  validateJobSpecFields(spec, errors);
  if (spec.selector === undefined || spec.selector === null) {
    errors.required('spec.selector');
  } else {
    validateLabelSelector(spec.selector, 'spec.selector', errors);
    const labels = spec.template?.metadata?.labels;
    if (selectorParses(spec.selector) && !selectorMatches(spec.selector, labels)) {
      errors.invalid('spec.template.metadata.labels', new GoLiteral(goStringMap(labels)), '`selector` does not match template `labels`');
    }
  }
}

/**
 * `ValidateJobTemplateSpec`: a CronJob's `jobTemplate`, held to a Job's rules (without the Job's
 * defaults, which come when the Job is made) with its errors under `at`
 * (`spec.jobTemplate.spec.template.spec.restartPolicy: …`); its selector is generated, so none may be given.
 */
export function validateJobTemplateSpec(template: JobTemplateSpec | undefined, errors: FieldErrors, at: string): void {
  const spec = (template?.spec ?? {}) as JobSpec;
  const inner = new FieldErrors();
  validateJobSpecFields(spec, inner);
  if (spec.selector != null) inner.invalid('spec.selector', new GoLiteral(goLabelSelector(spec.selector)), '`selector` will be auto-generated');
  if (spec.manualSelector === true) inner.notSupported('spec.manualSelector', true, ['nil', 'false']);
  for (const e of inner.list) errors.add(`${at}.${e.field}`, e.type, e.value, e.detail);
}

/** `validateJobSpec`: counts, completion mode, failed indexes, pod failure and success policies, the template. */
function validateJobSpecFields(spec: JobSpec, errors: FieldErrors): void {
  nonNegative(spec.parallelism, 'spec.parallelism', errors);
  if (spec.completions != null) nonNegative(spec.completions, 'spec.completions', errors);
  nonNegative(spec.activeDeadlineSeconds, 'spec.activeDeadlineSeconds', errors);
  nonNegative(spec.backoffLimit, 'spec.backoffLimit', errors);
  nonNegative(spec.ttlSecondsAfterFinished, 'spec.ttlSecondsAfterFinished', errors);
  if (spec.completionMode != null && !COMPLETION_MODES.includes(spec.completionMode)) {
    errors.notSupported('spec.completionMode', spec.completionMode, COMPLETION_MODES);
  } else if (spec.completionMode === 'Indexed') {
    // Only parallelism is capped (`maxParallelismForIndexedJob`); completions are not (KEP-3850's limits are in validateIndexedLimits).
    if (spec.completions == null) errors.required('spec.completions', 'when completion mode is Indexed');
    if ((spec.parallelism ?? 0) > MAX_INDEXED) {
      errors.invalid('spec.parallelism', spec.parallelism, `must be less than or equal to ${MAX_INDEXED} when completion mode is Indexed`);
    }
  }
  if (spec.backoffLimitPerIndex != null) {
    nonNegative(spec.backoffLimitPerIndex, 'spec.backoffLimitPerIndex', errors);
    if (spec.completionMode !== 'Indexed') errors.invalid('spec.backoffLimitPerIndex', spec.backoffLimitPerIndex, 'requires indexed completion mode');
  }
  if (spec.maxFailedIndexes != null) {
    if (spec.backoffLimitPerIndex == null) errors.required('spec.backoffLimitPerIndex', 'when maxFailedIndexes is specified');
    if (spec.completionMode !== 'Indexed') errors.invalid('spec.maxFailedIndexes', spec.maxFailedIndexes, 'requires indexed completion mode');
    nonNegative(spec.maxFailedIndexes, 'spec.maxFailedIndexes', errors);
  }
  if (spec.completionMode === 'Indexed') validateIndexedLimits(spec, errors);
  if (spec.successPolicy != null) {
    if (spec.completionMode !== 'Indexed') errors.invalid('spec.successPolicy', goSuccessPolicy(spec.successPolicy, false), 'requires indexed completion mode');
    else validateSuccessPolicy(spec, errors);
  }
  if (spec.podReplacementPolicy == null) {
    // not given (a job template: the Job's defaults come when it is made)
  } else if (spec.podFailurePolicy) {
    // `validatePodReplacementPolicy`: with a pod failure policy only Failed is supported.
    if (spec.podReplacementPolicy !== 'Failed') errors.notSupported('spec.podReplacementPolicy', spec.podReplacementPolicy, ['Failed']);
  } else if (!REPLACEMENT_POLICIES.includes(spec.podReplacementPolicy)) {
    errors.notSupported('spec.podReplacementPolicy', spec.podReplacementPolicy, REPLACEMENT_POLICIES);
  }
  if (spec.podFailurePolicy) validatePodFailurePolicy(spec, errors);
  validateTemplate(spec, errors);
}

/** The limits of an Indexed Job's failed indexes (`validateJobSpec`, KEP-3850). */
function validateIndexedLimits(spec: JobSpec, errors: FieldErrors): void {
  const { completions, maxFailedIndexes, parallelism, backoffLimitPerIndex } = spec;
  if (completions != null && maxFailedIndexes != null && maxFailedIndexes > completions) {
    errors.invalid('spec.maxFailedIndexes', maxFailedIndexes, 'must be less than or equal to completions');
  }
  if (maxFailedIndexes != null && maxFailedIndexes > MAX_FAILED_INDEXES) {
    errors.invalid('spec.maxFailedIndexes', maxFailedIndexes, `must be less than or equal to ${MAX_FAILED_INDEXES}`);
  }
  if (completions != null && completions > COMPLETIONS_SOFT_LIMIT && backoffLimitPerIndex != null) {
    const above = `when completions are above ${COMPLETIONS_SOFT_LIMIT} and used with backoff limit per index`;
    if (maxFailedIndexes == null) errors.required('spec.maxFailedIndexes', `must be specified when completions is above ${COMPLETIONS_SOFT_LIMIT}`);
    if (parallelism != null && parallelism > HIGH_COMPLETIONS_LIMIT) errors.invalid('spec.parallelism', parallelism, `must be less than or equal to ${HIGH_COMPLETIONS_LIMIT} ${above}`);
    if (maxFailedIndexes != null && maxFailedIndexes > HIGH_COMPLETIONS_LIMIT) errors.invalid('spec.maxFailedIndexes', maxFailedIndexes, `must be less than or equal to ${HIGH_COMPLETIONS_LIMIT} ${above}`);
  }
}

/** `validateSuccessPolicy`: one to 20 rules, each with succeededIndexes (well formed, below completions) or succeededCount, or both. */
function validateSuccessPolicy(spec: JobSpec, errors: FieldErrors): void {
  const rules = spec.successPolicy?.rules ?? [];
  if (rules.length === 0) errors.required('spec.successPolicy.rules', 'at least one rules must be specified when the successPolicy is specified');
  if (rules.length > MAX_SUCCESS_RULES) errors.add('spec.successPolicy.rules', 'FieldValueTooMany', rules.length, `must have at most ${MAX_SUCCESS_RULES} items`);
  rules.forEach((rule, i) => validateSuccessRule(rule, `spec.successPolicy.rules[${i}]`, spec.completions ?? 0, errors));
}

function validateSuccessRule(rule: SuccessPolicyRule, at: string, completions: number, errors: FieldErrors): void {
  const { succeededIndexes, succeededCount } = rule;
  if (succeededCount == null && succeededIndexes == null) errors.required(at, 'at least one of succeededCount or succeededIndexes must be specified');
  let total = 0;
  if (succeededIndexes != null) {
    if (succeededIndexes.length > MAX_SUCCEEDED_INDEXES_BYTES) {
      errors.add(`${at}.succeededIndexes`, 'FieldValueTooLong', undefined, `must have at most ${MAX_SUCCEEDED_INDEXES_BYTES} bytes`);
    }
    const checked = indexesFormatError(succeededIndexes, completions);
    if (typeof checked === 'string') errors.invalid(`${at}.succeededIndexes`, succeededIndexes, `error parsing succeededIndexes: ${checked}`);
    else total = checked;
  }
  if (succeededCount != null) {
    nonNegative(succeededCount, `${at}.succeededCount`, errors);
    if (succeededCount > completions) errors.invalid(`${at}.succeededCount`, succeededCount, `must be less than or equal to ${completions} (the number of specified completions)`);
    if (succeededIndexes != null && succeededCount > total) {
      errors.invalid(`${at}.succeededCount`, succeededCount, `must be less than or equal to ${total} (the number of indexes in the specified succeededIndexes field)`);
    }
  }
}

/**
 * The policy as Go's `%#v` prints it in an error: exact when it has no rules; with rules Go
 * prints pointers (`(*string)(0xc000…)`), which we leave out.
 */
function goSuccessPolicy(policy: JobSpec['successPolicy'], pointer: boolean): GoLiteral {
  if (policy == null) return new GoLiteral('(*batch.SuccessPolicy)(nil)');
  const rules = policy.rules ?? [];
  const body = `batch.SuccessPolicy{Rules:[]batch.SuccessPolicyRule${rules.length ? '{...}' : '{}'}}`;
  return new GoLiteral(pointer ? `&${body}` : body);
}

/** `ValidatePodTemplateSpec` with a Job's restart policies: OnFailure or Never (Never alone with a pod failure policy). */
function validateTemplate(spec: JobSpec, errors: FieldErrors): void {
  const template = spec.template;
  validateLabels(template?.metadata?.labels, 'spec.template.metadata.labels', errors);
  validateAnnotations(template?.metadata?.annotations, 'spec.template.metadata.annotations', errors);
  validatePodSpec(template?.spec ?? ({} as PodSpec), 'spec.template.spec', errors);
  const restartPolicy = template?.spec?.restartPolicy;
  if (restartPolicy === undefined || restartPolicy === '' || restartPolicy === 'Always') {
    // Always is the pod default when none is given: upstream asks for one (kubernetes#95747).
    errors.required('spec.template.spec.restartPolicy', 'valid values: "OnFailure", "Never"');
  } else if (restartPolicy !== 'OnFailure' && restartPolicy !== 'Never') {
    errors.notSupported('spec.template.spec.restartPolicy', restartPolicy, ['OnFailure', 'Never']);
  } else if (spec.podFailurePolicy && restartPolicy !== 'Never') {
    errors.invalid('spec.template.spec.restartPolicy', restartPolicy, 'only "Never" is supported when podFailurePolicy is specified');
  }
}

/** `validatePodFailurePolicy`: each rule's action, and exactly one of its exit-code or pod-condition requirements. */
function validatePodFailurePolicy(spec: JobSpec, errors: FieldErrors): void {
  const rules = spec.podFailurePolicy?.rules ?? [];
  if (rules.length > MAX_RULES) errors.add('spec.podFailurePolicy.rules', 'FieldValueTooMany', rules.length, `must have at most ${MAX_RULES} items`);
  const names = new Set((spec.template?.spec?.containers ?? []).map((c) => c.name));
  for (const c of spec.template?.spec?.initContainers ?? []) names.add(c.name);
  rules.slice(0, MAX_RULES).forEach((rule, i) => validateRule(rule, `spec.podFailurePolicy.rules[${i}]`, spec, names, errors));
}

function validateRule(rule: PodFailurePolicyRule, at: string, spec: JobSpec, containers: Set<string>, errors: FieldErrors): void {
  if (!ACTIONS.includes(rule.action ?? '')) {
    errors.notSupported(`${at}.action`, rule.action ?? '', ACTIONS);
  } else if (rule.action === 'FailIndex' && spec.backoffLimitPerIndex == null) {
    errors.invalid(`${at}.action`, rule.action, 'requires the backoffLimitPerIndex to be set');
  }
  const exit = rule.onExitCodes;
  const conditions = rule.onPodConditions;
  if (exit && conditions) {
    errors.invalid(at, omitValue('specifying both OnExitCodes and OnPodConditions is not supported'), '');
    return;
  }
  if (!exit && !conditions) {
    errors.invalid(at, omitValue('specifying one of OnExitCodes and OnPodConditions is required'), '');
    return;
  }
  if (exit) {
    const field = `${at}.onExitCodes`;
    if (exit.containerName != null && !containers.has(exit.containerName)) {
      errors.invalid(`${field}.containerName`, exit.containerName, 'must be one of the container or initContainer names in the pod template');
    }
    if (exit.operator !== 'In' && exit.operator !== 'NotIn') errors.notSupported(`${field}.operator`, exit.operator ?? '', ['In', 'NotIn']);
    const values = exit.values ?? [];
    if (values.length === 0) errors.required(`${field}.values`);
    if (values.length > MAX_EXIT_CODES) errors.add(`${field}.values`, 'FieldValueTooMany', values.length, `must have at most ${MAX_EXIT_CODES} items`);
    const seen = new Set<number>();
    values.slice(0, MAX_EXIT_CODES).forEach((v, j) => {
      if (seen.has(v)) errors.add(`${field}.values[${j}]`, 'FieldValueDuplicate', v, '');
      if (exit.operator === 'In' && v === 0) errors.invalid(`${field}.values[${j}]`, v, 'must not be 0 for the In operator');
      if (j > 0 && values[j - 1] > v) errors.invalid(`${field}.values[${j}]`, v, 'must be ordered');
      seen.add(v);
    });
    return;
  }
  (conditions ?? []).forEach((pattern, j) => {
    const field = `${at}.onPodConditions[${j}]`;
    if (!pattern.type) errors.required(`${field}.type`);
    if (!CONDITION_STATUSES.includes(pattern.status ?? '')) errors.notSupported(`${field}.status`, pattern.status ?? '', CONDITION_STATUSES);
  });
}

/** The template as the immutability check compares it: for a suspended Job that never started, without its scheduling directives. */
function templateWithout(spec: JobSpec, neverStarted: boolean): unknown {
  if (!neverStarted) return spec.template;
  const template = structuredClone(spec.template ?? {});
  if (template.metadata) {
    delete template.metadata.labels;
    delete template.metadata.annotations;
  }
  const podSpec = template.spec as Record<string, unknown> | undefined;
  for (const field of SCHEDULING_DIRECTIVES) delete podSpec?.[field];
  return template;
}
