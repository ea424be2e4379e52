import { DomainError } from '../../common/domain-error';
import { deepEqual, ResourceStrategy } from '../store/object-store';
import { StructuredSelector } from '../store/label-selector';
import { KubeObject } from '../store/types';
import { errorBody, FieldError, FieldErrors } from '../validation/field-errors';
import { labelValueErrors, qualifiedNameErrors, validateAnnotations, validateLabels } from '../validation/names';
import { defaultPodTemplate } from './pod-defaults';
import { validatePodSpec } from './pod.strategy';
import { PodSpec } from './pod.types';
import {
  DAEMONSET_TEMPLATE_GENERATION_ANNOTATION,
  DaemonSetSpec,
  DeploymentSpec,
  IntOrString,
  PodTemplateSpec,
  ReplicaSetSpec,
} from './workload.types';

/**
 * Validation and defaulting of apps/v1 Deployments, ReplicaSets and
 * DaemonSets, as the API server does them (`pkg/apis/apps/v1/defaults.go`,
 * `pkg/apis/apps/validation`, `pkg/registry/apps/*`), with its field paths and
 * messages. Values in messages are printed as Go's `%#v` prints them
 * (`map[string]string{"app":"web"}`, `v1.LabelSelector{...}`), because that is
 * what kubectl users see.
 */

export type WorkloadKind = 'Deployment' | 'ReplicaSet' | 'DaemonSet';

/** A value already printed the way apimachinery prints it (Go's `%#v`). */
export class GoLiteral {
  constructor(readonly text: string) {}
}

const goString = (s: string) => JSON.stringify(s);

export function goStringMap(map: Record<string, string> | undefined | null): string {
  if (map === undefined || map === null) return 'map[string]string(nil)';
  const entries = Object.keys(map)
    .sort()
    .map((k) => `${goString(k)}:${goString(String(map[k]))}`);
  return `map[string]string{${entries.join(', ')}}`;
}

function goStrings(values: string[] | undefined): string {
  if (values === undefined || values === null) return '[]string(nil)';
  return `[]string{${values.map((v) => goString(String(v))).join(', ')}}`;
}

export function goLabelSelector(selector: StructuredSelector): string {
  const expressions =
    selector.matchExpressions === undefined || selector.matchExpressions === null
      ? '[]v1.LabelSelectorRequirement(nil)'
      : `[]v1.LabelSelectorRequirement{${selector.matchExpressions
          .map((e) => `v1.LabelSelectorRequirement{Key:${goString(String(e.key))}, Operator:${goString(String(e.operator))}, Values:${goStrings(e.values)}}`)
          .join(', ')}}`;
  return `v1.LabelSelector{MatchLabels:${goStringMap(selector.matchLabels)}, MatchExpressions:${expressions}}`;
}

export function goIntOrString(value: IntOrString): string {
  return typeof value === 'string'
    ? `intstr.IntOrString{Type:1, IntVal:0, StrVal:${goString(value)}}`
    : `intstr.IntOrString{Type:0, IntVal:${value}, StrVal:""}`;
}

function fieldErrorBody(error: FieldError): string {
  if (error.value instanceof GoLiteral) {
    const type = error.type === 'FieldValueNotSupported' ? 'Unsupported value' : 'Invalid value';
    return `${type}: ${error.value.text}${error.detail ? `: ${error.detail}` : ''}`;
  }
  return errorBody(error);
}

/** `Deployment.apps "web" is invalid: ...`: the API server names apps kinds with their group (core kinds without one). */
export function throwIfInvalid(kind: string, name: string, errors: FieldErrors, qualifiedKind = `${kind}.apps`): void {
  if (errors.empty) return;
  const texts = errors.list.map((e) => `${e.field}: ${fieldErrorBody(e)}`);
  const summary = texts.length === 1 ? texts[0] : `[${texts.join(', ')}]`;
  throw new DomainError('INVALID', `${qualifiedKind} "${name}" is invalid: ${summary}`, {
    kind,
    name,
    causes: errors.list.map((e) => ({ reason: e.type, message: fieldErrorBody(e), field: e.field })),
  });
}

/** What the JSON decoder would refuse before validation: a non-integer where Go has an int32. */
export function checkInt32(kind: string, spec: Record<string, unknown>, fields: string[]): void {
  for (const field of fields) {
    const value = spec[field];
    if (value === undefined || value === null) continue;
    if (typeof value === 'number' && Number.isInteger(value) && value >= -2147483648 && value <= 2147483647) continue;
    const what = typeof value === 'number' ? `number ${value}` : typeof value === 'boolean' ? 'bool' : Array.isArray(value) ? 'array' : typeof value;
    throw new DomainError(
      'BAD_REQUEST',
      `${kind} in version "v1" cannot be handled as a ${kind}: json: cannot unmarshal ${what} into Go struct field ${kind}Spec.spec.${field} of type int32`,
    );
  }
}

export function nonNegative(value: number | undefined, field: string, errors: FieldErrors): void {
  if (value !== undefined && value < 0) errors.invalid(field, value, 'must be greater than or equal to 0');
}

const SELECTOR_OPERATORS = ['In', 'NotIn', 'Exists', 'DoesNotExist'];

/** `ValidateLabelSelector`: keys, values and operators of `matchLabels` and `matchExpressions`. */
export function validateLabelSelector(selector: StructuredSelector, field: string, errors: FieldErrors): void {
  validateLabels(selector.matchLabels, `${field}.matchLabels`, errors);
  (selector.matchExpressions ?? []).forEach((e, i) => {
    const at = `${field}.matchExpressions[${i}]`;
    const values = e.values ?? [];
    if (e.operator === 'In' || e.operator === 'NotIn') {
      if (values.length === 0) errors.required(`${at}.values`, "must be specified when `operator` is 'In' or 'NotIn'");
    } else if (e.operator === 'Exists' || e.operator === 'DoesNotExist') {
      if (values.length > 0) errors.forbidden(`${at}.values`, "may not be specified when `operator` is 'Exists' or 'DoesNotExist'");
    } else {
      errors.invalid(`${at}.operator`, e.operator, 'not a valid selector operator');
    }
    for (const m of qualifiedNameErrors(String(e.key ?? ''))) errors.invalid(`${at}.key`, e.key, m);
    values.forEach((v, j) => {
      for (const m of labelValueErrors(String(v))) errors.invalid(`${at}.values[${j}]`, v, m);
    });
  });
}

/** Whether a structured selector matches a label set (`LabelSelectorAsSelector(...).Matches`). */
export function selectorMatches(selector: StructuredSelector | undefined, labels: Record<string, string> | undefined): boolean {
  if (!selector) return false; // a nil selector selects nothing
  const has = (k: string) => labels !== undefined && Object.prototype.hasOwnProperty.call(labels, k);
  for (const [k, v] of Object.entries(selector.matchLabels ?? {})) if (!has(k) || labels![k] !== v) return false;
  for (const e of selector.matchExpressions ?? []) {
    const values = e.values ?? [];
    switch (e.operator) {
      case 'In':
        if (!has(e.key) || !values.includes(labels![e.key])) return false;
        break;
      case 'NotIn':
        if (has(e.key) && values.includes(labels![e.key])) return false;
        break;
      case 'Exists':
        if (!has(e.key)) return false;
        break;
      case 'DoesNotExist':
        if (has(e.key)) return false;
        break;
      default:
        return false;
    }
  }
  return true;
}

export const isEmptySelector = (s: StructuredSelector) => Object.keys(s.matchLabels ?? {}).length + (s.matchExpressions ?? []).length === 0;

/** Whether `LabelSelectorAsSelector` would accept the selector (operators, values, keys). */
export function selectorParses(selector: StructuredSelector): boolean {
  for (const [k, v] of Object.entries(selector.matchLabels ?? {})) {
    if (qualifiedNameErrors(k).length || typeof v !== 'string' || labelValueErrors(v).length) return false;
  }
  for (const e of selector.matchExpressions ?? []) {
    const values = e.values ?? [];
    if (!SELECTOR_OPERATORS.includes(e.operator)) return false;
    if ((e.operator === 'In' || e.operator === 'NotIn') && values.length === 0) return false;
    if ((e.operator === 'Exists' || e.operator === 'DoesNotExist') && values.length > 0) return false;
    if (qualifiedNameErrors(String(e.key ?? '')).length || values.some((v) => labelValueErrors(String(v)).length)) return false;
  }
  return true;
}

/** `selector` does not match template `labels` (a nil selector selects nothing, an empty one everything). */
function checkTemplateLabels(spec: { selector?: StructuredSelector; template?: PodTemplateSpec }, errors: FieldErrors): void {
  const labels = spec.template?.metadata?.labels;
  if (!selectorMatches(spec.selector, labels)) {
    errors.invalid('spec.template.metadata.labels', new GoLiteral(goStringMap(labels)), '`selector` does not match template `labels`');
  }
}

/**
 * `ValidatePodTemplateSpec` plus the workload rules: `restartPolicy: Always`, and for the apps
 * kinds no `activeDeadlineSeconds` (a ReplicationController's template may have one).
 */
export function validatePodTemplate(kind: WorkloadKind | 'ReplicationController', template: PodTemplateSpec | undefined, errors: FieldErrors): void {
  validateLabels(template?.metadata?.labels, 'spec.template.metadata.labels', errors);
  validateAnnotations(template?.metadata?.annotations, 'spec.template.metadata.annotations', errors);
  validatePodSpec(template?.spec ?? ({} as PodSpec), 'spec.template.spec', errors);
  const podSpec = template?.spec;
  // A template without a spec is defaulted to `Always` upstream; only its containers are missing.
  if (podSpec && typeof podSpec === 'object' && podSpec.restartPolicy !== 'Always') {
    errors.notSupported('spec.template.spec.restartPolicy', podSpec.restartPolicy, ['Always']);
  }
  if (kind !== 'ReplicationController' && podSpec?.activeDeadlineSeconds !== undefined) {
    errors.forbidden('spec.template.spec.activeDeadlineSeconds', `activeDeadlineSeconds in ${kind} is not Supported`);
  }
}

/**
 * The selector and template checks Deployments and ReplicaSets share: the
 * selector is required and not empty; an unparseable one is reported instead
 * of checking the template against it (`ValidatePodTemplateSpecForReplicaSet`).
 */
function validateSelectorAndTemplate(spec: { selector?: StructuredSelector; template?: PodTemplateSpec }, errors: FieldErrors): void {
  const selector = spec.selector;
  if (selector === undefined || selector === null) {
    errors.required('spec.selector');
  } else {
    validateLabelSelector(selector, 'spec.selector', errors);
    // Upstream says "deployment" for ReplicaSets too.
    if (isEmptySelector(selector)) errors.invalid('spec.selector', new GoLiteral(goLabelSelector(selector)), 'empty selector is invalid for deployment');
    if (!selectorParses(selector)) {
      errors.invalid('spec.selector', new GoLiteral(goLabelSelector(selector)), 'invalid label selector');
      return;
    }
  }
  checkTemplateLabels(spec, errors);
  validatePodTemplate('ReplicaSet', spec.template, errors);
}

const PERCENT = /^[0-9]+%$/;

/** `getIntOrPercentValue`: the number of `5` or `'5%'` (and of `'5'`, as `IntValue()` parses it). */
export function intOrPercentValue(value: IntOrString | undefined): number {
  if (typeof value === 'number') return value;
  if (typeof value !== 'string') return 0;
  const n = Number.parseInt(PERCENT.test(value) ? value.slice(0, -1) : value, 10);
  return Number.isNaN(n) ? 0 : n;
}

/** `ValidatePositiveIntOrPercent`. */
export function validateIntOrPercent(value: IntOrString | undefined, field: string, errors: FieldErrors): void {
  if (value === undefined) return;
  if (typeof value === 'string') {
    if (!PERCENT.test(value)) {
      errors.invalid(
        field,
        new GoLiteral(goIntOrString(value)),
        "a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')",
      );
    }
  } else if (typeof value === 'number' && Number.isInteger(value)) {
    nonNegative(value, field, errors);
  } else {
    errors.invalid(field, value, "must be an integer or percentage (e.g '5%%')");
  }
}

/** `IsNotMoreThan100Percent`. */
export function notMoreThan100Percent(value: IntOrString | undefined, field: string, errors: FieldErrors): void {
  if (typeof value === 'string' && PERCENT.test(value) && Number(value.slice(0, -1)) > 100) {
    errors.invalid(field, new GoLiteral(goIntOrString(value)), 'must not be greater than 100%');
  }
}

function goStrategyLiteral(type: string, strategy: { type?: string; rollingUpdate?: unknown }, kind: 'Deployment' | 'DaemonSet'): GoLiteral {
  const ru = kind === 'Deployment' ? 'RollingUpdateDeployment' : 'RollingUpdateDaemonSet';
  const pointer = strategy.rollingUpdate === undefined ? `(*apps.${ru})(nil)` : `(*apps.${ru})(0xc000000000)`;
  return new GoLiteral(`apps.${type}{Type:${goString(String(strategy.type ?? ''))}, RollingUpdate:${pointer}}`);
}

// ---- the three kinds ----------------------------------------------------------

export function prepareSpec<T>(draft: KubeObject): T {
  // Stored objects are frozen and drafts may share their parts: work on a copy.
  draft.spec = draft.spec === undefined || draft.spec === null ? {} : structuredClone(draft.spec);
  return draft.spec as T;
}

function selectorImmutable(spec: { selector?: StructuredSelector }, previous: KubeObject, errors: FieldErrors): void {
  const old = (previous.spec as { selector?: StructuredSelector } | undefined)?.selector;
  if (!deepEqual(spec.selector, old)) {
    errors.invalid('spec.selector', spec.selector ? new GoLiteral(goLabelSelector(spec.selector)) : null, 'field is immutable');
  }
}

/** apps/v1 Deployment: defaults (`SetDefaults_Deployment`) and `ValidateDeployment`. */
export class DeploymentStrategy implements ResourceStrategy {
  prepareCreate(draft: KubeObject): void {
    const spec = this.prepare(draft);
    const errors = this.validate(spec);
    throwIfInvalid('Deployment', draft.metadata.name, errors);
    draft.status = {}; // a status sent with a new object is ignored (`PrepareForCreate`)
  }

  prepareUpdate(draft: KubeObject, previous: KubeObject): void {
    const spec = this.prepare(draft);
    const errors = this.validate(spec);
    selectorImmutable(spec, previous, errors);
    throwIfInvalid('Deployment', draft.metadata.name, errors);
  }

  private prepare(draft: KubeObject): DeploymentSpec {
    const spec = prepareSpec<DeploymentSpec>(draft);
    checkInt32('Deployment', spec as Record<string, unknown>, ['replicas', 'minReadySeconds', 'revisionHistoryLimit', 'progressDeadlineSeconds']);
    spec.replicas ??= 1;
    const strategy = (spec.strategy ??= {});
    strategy.type ??= 'RollingUpdate';
    if (strategy.type === 'RollingUpdate') {
      const ru = (strategy.rollingUpdate ??= {});
      ru.maxUnavailable ??= '25%';
      ru.maxSurge ??= '25%';
    }
    spec.revisionHistoryLimit ??= 10;
    spec.progressDeadlineSeconds ??= 600;
    defaultPodTemplate(spec.template);
    return spec;
  }

  private validate(spec: DeploymentSpec): FieldErrors {
    const errors = new FieldErrors();
    nonNegative(spec.replicas, 'spec.replicas', errors);
    validateSelectorAndTemplate(spec, errors);
    const strategy = spec.strategy!;
    if (strategy.type === 'Recreate') {
      if (strategy.rollingUpdate !== undefined) {
        errors.forbidden('spec.strategy.rollingUpdate', "may not be specified when strategy `type` is 'Recreate'");
      }
    } else if (strategy.type === 'RollingUpdate') {
      const ru = strategy.rollingUpdate!;
      const at = 'spec.strategy.rollingUpdate';
      validateIntOrPercent(ru.maxUnavailable, `${at}.maxUnavailable`, errors);
      validateIntOrPercent(ru.maxSurge, `${at}.maxSurge`, errors);
      if (intOrPercentValue(ru.maxUnavailable) === 0 && intOrPercentValue(ru.maxSurge) === 0) {
        errors.invalid(`${at}.maxUnavailable`, new GoLiteral(goIntOrString(ru.maxUnavailable!)), 'may not be 0 when `maxSurge` is 0');
      }
      notMoreThan100Percent(ru.maxUnavailable, `${at}.maxUnavailable`, errors);
    } else {
      errors.add('spec.strategy', 'FieldValueNotSupported', goStrategyLiteral('DeploymentStrategy', strategy, 'Deployment'), 'supported values: "Recreate", "RollingUpdate"');
    }
    nonNegative(spec.minReadySeconds, 'spec.minReadySeconds', errors);
    nonNegative(spec.revisionHistoryLimit, 'spec.revisionHistoryLimit', errors);
    if (spec.progressDeadlineSeconds !== undefined) {
      nonNegative(spec.progressDeadlineSeconds, 'spec.progressDeadlineSeconds', errors);
      if (spec.progressDeadlineSeconds <= (spec.minReadySeconds ?? 0)) {
        errors.invalid('spec.progressDeadlineSeconds', spec.progressDeadlineSeconds, 'must be greater than minReadySeconds');
      }
    }
    return errors;
  }
}

/** apps/v1 ReplicaSet: `SetDefaults_ReplicaSet` and `ValidateReplicaSet`. */
export class ReplicaSetStrategy implements ResourceStrategy {
  prepareCreate(draft: KubeObject): void {
    const spec = this.prepare(draft);
    throwIfInvalid('ReplicaSet', draft.metadata.name, this.validate(spec));
    draft.status = { replicas: 0 }; // a status sent with a new object is ignored; `replicas` is always written
  }

  prepareUpdate(draft: KubeObject, previous: KubeObject): void {
    const spec = this.prepare(draft);
    const errors = this.validate(spec);
    selectorImmutable(spec, previous, errors);
    throwIfInvalid('ReplicaSet', draft.metadata.name, errors);
  }

  private prepare(draft: KubeObject): ReplicaSetSpec {
    const spec = prepareSpec<ReplicaSetSpec>(draft);
    checkInt32('ReplicaSet', spec as Record<string, unknown>, ['replicas', 'minReadySeconds']);
    spec.replicas ??= 1;
    defaultPodTemplate(spec.template);
    return spec;
  }

  private validate(spec: ReplicaSetSpec): FieldErrors {
    const errors = new FieldErrors();
    nonNegative(spec.replicas, 'spec.replicas', errors);
    nonNegative(spec.minReadySeconds, 'spec.minReadySeconds', errors);
    validateSelectorAndTemplate(spec, errors);
    return errors;
  }
}

/**
 * apps/v1 DaemonSet: `SetDefaults_DaemonSet`, `ValidateDaemonSet`, and the
 * template generation the registry keeps (in apps/v1, the
 * `deprecated.daemonset.template.generation` annotation), bumped whenever the
 * template changes.
 */
export class DaemonSetStrategy implements ResourceStrategy {
  prepareCreate(draft: KubeObject): void {
    const spec = this.prepare(draft);
    throwIfInvalid('DaemonSet', draft.metadata.name, this.validate(spec));
    // A status sent with a new object is ignored; these four counts are always written.
    draft.status = { currentNumberScheduled: 0, numberMisscheduled: 0, desiredNumberScheduled: 0, numberReady: 0 };
    const given = Number(draft.metadata.annotations?.[DAEMONSET_TEMPLATE_GENERATION_ANNOTATION]);
    const generation = Number.isInteger(given) && given >= 1 ? given : 1;
    draft.metadata.annotations = { ...draft.metadata.annotations, [DAEMONSET_TEMPLATE_GENERATION_ANNOTATION]: String(generation) };
  }

  prepareUpdate(draft: KubeObject, previous: KubeObject): void {
    const spec = this.prepare(draft);
    const errors = this.validate(spec);
    selectorImmutable(spec, previous, errors);
    throwIfInvalid('DaemonSet', draft.metadata.name, errors);
    const old = Number(previous.metadata.annotations?.[DAEMONSET_TEMPLATE_GENERATION_ANNOTATION] ?? '1') || 1;
    const changed = !deepEqual(spec.template, (previous.spec as DaemonSetSpec | undefined)?.template);
    draft.metadata.annotations = { ...draft.metadata.annotations, [DAEMONSET_TEMPLATE_GENERATION_ANNOTATION]: String(changed ? old + 1 : old) };
  }

  private prepare(draft: KubeObject): DaemonSetSpec {
    const spec = prepareSpec<DaemonSetSpec>(draft);
    checkInt32('DaemonSet', spec as Record<string, unknown>, ['minReadySeconds', 'revisionHistoryLimit']);
    const strategy = (spec.updateStrategy ??= {});
    strategy.type ??= 'RollingUpdate';
    if (strategy.type === 'RollingUpdate') {
      const ru = (strategy.rollingUpdate ??= {});
      ru.maxUnavailable ??= 1;
      ru.maxSurge ??= 0;
    }
    spec.revisionHistoryLimit ??= 10;
    defaultPodTemplate(spec.template);
    return spec;
  }

  private validate(spec: DaemonSetSpec): FieldErrors {
    const errors = new FieldErrors();
    const selector = spec.selector;
    if (selector !== undefined && selector !== null) validateLabelSelector(selector, 'spec.selector', errors);
    // No `Required` here: a nil selector selects nothing, which the template check reports.
    if (selector === undefined || selector === null || selectorParses(selector)) checkTemplateLabels(spec, errors);
    if (selector && isEmptySelector(selector)) {
      errors.invalid('spec.selector', new GoLiteral(goLabelSelector(selector)), 'empty selector is invalid for daemonset');
    }
    validatePodTemplate('DaemonSet', spec.template, errors);
    nonNegative(spec.minReadySeconds, 'spec.minReadySeconds', errors);
    const strategy = spec.updateStrategy!;
    if (strategy.type === 'RollingUpdate') {
      const ru = strategy.rollingUpdate!;
      const at = 'spec.updateStrategy.rollingUpdate';
      validateIntOrPercent(ru.maxUnavailable, `${at}.maxUnavailable`, errors);
      validateIntOrPercent(ru.maxSurge, `${at}.maxSurge`, errors);
      notMoreThan100Percent(ru.maxUnavailable, `${at}.maxUnavailable`, errors);
      notMoreThan100Percent(ru.maxSurge, `${at}.maxSurge`, errors);
      const hasUnavailable = intOrPercentValue(ru.maxUnavailable) !== 0;
      const hasSurge = intOrPercentValue(ru.maxSurge) !== 0;
      if (hasUnavailable && hasSurge) {
        errors.invalid(`${at}.maxSurge`, new GoLiteral(goIntOrString(ru.maxSurge!)), 'may not be set when maxUnavailable is non-zero');
      } else if (!hasUnavailable && !hasSurge) {
        errors.required(`${at}.maxUnavailable`, 'cannot be 0 when maxSurge is 0');
      }
    } else if (strategy.type !== 'OnDelete') {
      errors.add('spec.updateStrategy', 'FieldValueNotSupported', goStrategyLiteral('DaemonSetUpdateStrategy', strategy, 'DaemonSet'), 'supported values: "RollingUpdate", "OnDelete"');
    }
    nonNegative(spec.revisionHistoryLimit, 'spec.revisionHistoryLimit', errors);
    return errors;
  }
}
