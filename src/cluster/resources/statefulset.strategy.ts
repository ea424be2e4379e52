import { deepEqual, ResourceStrategy } from '../store/object-store';
import { KubeObject } from '../store/types';
import { FieldErrors } from '../validation/field-errors';
import { validateAnnotations, validateLabels } from '../validation/names';
import { defaultPodTemplate } from './pod-defaults';
import { StatefulSetSpec, StatefulSetStatus } from './statefulset.types';
import {
  checkInt32,
  GoLiteral,
  goLabelSelector,
  goStringMap,
  intOrPercentValue,
  isEmptySelector,
  nonNegative,
  notMoreThan100Percent,
  prepareSpec,
  selectorMatches,
  selectorParses,
  throwIfInvalid,
  validateIntOrPercent,
  validateLabelSelector,
} from './workload.strategy';

/**
 * apps/v1 StatefulSet as the API server defaults and validates it
 * (`SetDefaults_StatefulSet`, `ValidateStatefulSet`, `ValidateStatefulSetUpdate`
 * of v1.32), with its field paths and messages. As upstream, the template's
 * pod spec is not validated here (a pod the API refuses shows as the
 * controller's `FailedCreate` event), and only `replicas`, `ordinals`,
 * `template`, `updateStrategy`, `persistentVolumeClaimRetentionPolicy` and
 * `minReadySeconds` may change after creation.
 */

const KIND = 'StatefulSet';

export const STATEFULSET_IMMUTABLE_MESSAGE =
  "updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden";

const MUTABLE_FIELDS = ['replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy', 'minReadySeconds'] as const;

const RETENTION = ['Retain', 'Delete'];

/** What a new StatefulSet's status is (`PrepareForCreate` drops what a client sent). */
export function initialStatefulSetStatus(): StatefulSetStatus {
  return { replicas: 0, availableReplicas: 0 };
}

export class StatefulSetStrategy implements ResourceStrategy {
  prepareCreate(draft: KubeObject): void {
    const spec = this.prepare(draft);
    throwIfInvalid(KIND, draft.metadata.name, this.validate(spec));
    draft.status = initialStatefulSetStatus();
  }

  prepareUpdate(draft: KubeObject, previous: KubeObject): void {
    const spec = this.prepare(draft);
    const errors = this.validate(spec);
    const old = (previous.spec ?? {}) as Record<string, unknown>;
    const now = { ...(spec as Record<string, unknown>) };
    const before = { ...old };
    for (const f of MUTABLE_FIELDS) {
      delete now[f];
      delete before[f];
    }
    if (!deepEqual(now, before)) errors.forbidden('spec', STATEFULSET_IMMUTABLE_MESSAGE);
    throwIfInvalid(KIND, draft.metadata.name, errors);
  }

  private prepare(draft: KubeObject): StatefulSetSpec {
    const spec = prepareSpec<StatefulSetSpec>(draft);
    checkInt32(KIND, spec as Record<string, unknown>, ['replicas', 'minReadySeconds', 'revisionHistoryLimit']);
    spec.podManagementPolicy ||= 'OrderedReady';
    const strategy = (spec.updateStrategy ??= {});
    strategy.type ||= 'RollingUpdate';
    if (strategy.type === 'RollingUpdate') {
      const ru = (strategy.rollingUpdate ??= {});
      ru.partition ??= 0;
    }
    spec.replicas ??= 1;
    spec.revisionHistoryLimit ??= 10;
    const retention = (spec.persistentVolumeClaimRetentionPolicy ??= {});
    retention.whenDeleted ||= 'Retain';
    retention.whenScaled ||= 'Retain';
    defaultPodTemplate(spec.template);
    // Claim templates are PVCs: the defaults the API server gives one (`volumeMode`, the kind, a Pending status).
    for (const claim of spec.volumeClaimTemplates ?? []) {
      if (!claim || typeof claim !== 'object') continue;
      claim.apiVersion ??= 'v1';
      claim.kind ??= 'PersistentVolumeClaim';
      const claimSpec = (claim.spec ??= {});
      claimSpec.volumeMode ??= 'Filesystem';
      claim.status ??= { phase: 'Pending' };
    }
    return spec;
  }

  private validate(spec: StatefulSetSpec): FieldErrors {
    const errors = new FieldErrors();
    const policy = spec.podManagementPolicy;
    if (policy !== 'OrderedReady' && policy !== 'Parallel') errors.invalid('spec.podManagementPolicy', policy, "must be 'OrderedReady' or 'Parallel'");
    const strategy = spec.updateStrategy!;
    if (strategy.type === 'OnDelete') {
      if (strategy.rollingUpdate !== undefined && strategy.rollingUpdate !== null) {
        errors.invalid('spec.updateStrategy.rollingUpdate', strategy.rollingUpdate, "only allowed for updateStrategy 'RollingUpdate'");
      }
    } else if (strategy.type === 'RollingUpdate') {
      const ru = strategy.rollingUpdate;
      if (ru) {
        const at = 'spec.updateStrategy.rollingUpdate';
        nonNegative(ru.partition, `${at}.partition`, errors);
        if (ru.maxUnavailable !== undefined && ru.maxUnavailable !== null) {
          validateIntOrPercent(ru.maxUnavailable, `${at}.maxUnavailable`, errors);
          if (intOrPercentValue(ru.maxUnavailable) === 0) errors.invalid(`${at}.maxUnavailable`, ru.maxUnavailable, 'cannot be 0');
          notMoreThan100Percent(ru.maxUnavailable, `${at}.maxUnavailable`, errors);
        }
      }
    } else {
      errors.invalid('spec.updateStrategy', strategy, "must be 'RollingUpdate' or 'OnDelete'");
    }
    const retention = spec.persistentVolumeClaimRetentionPolicy!;
    for (const f of ['whenDeleted', 'whenScaled'] as const) {
      if (!RETENTION.includes(String(retention[f]))) errors.notSupported(`spec.persistentVolumeClaimRetentionPolicy.${f}`, retention[f], RETENTION);
    }
    nonNegative(spec.replicas, 'spec.replicas', errors);
    nonNegative(spec.minReadySeconds, 'spec.minReadySeconds', errors);
    if (spec.ordinals !== undefined && spec.ordinals !== null) nonNegative(spec.ordinals.start ?? 0, 'spec.ordinals.start', errors);
    const selector = spec.selector;
    if (selector === undefined || selector === null) {
      errors.required('spec.selector');
    } else {
      validateLabelSelector(selector, 'spec.selector', errors);
      if (isEmptySelector(selector)) errors.invalid('spec.selector', new GoLiteral(goLabelSelector(selector)), 'empty selector is invalid for statefulset');
    }
    if (selector && !selectorParses(selector)) {
      errors.invalid('spec.selector', new GoLiteral(goLabelSelector(selector)), '');
    } else {
      const template = spec.template;
      if (template === undefined || template === null) {
        errors.required('spec.template');
      } else {
        const labels = template.metadata?.labels;
        // A nil selector converts to one that selects nothing and is `Empty()`: no template check then, as upstream.
        if (selector && !isEmptySelector(selector) && !selectorMatches(selector, labels)) {
          errors.invalid('spec.template.metadata.labels', new GoLiteral(goStringMap(labels)), '`selector` does not match template `labels`');
        }
        validateLabels(labels, 'spec.template.labels', errors);
        validateAnnotations(template.metadata?.annotations, 'spec.template.annotations', errors);
      }
    }
    const podSpec = spec.template?.spec;
    if (!podSpec || podSpec.restartPolicy !== 'Always') errors.notSupported('spec.template.spec.restartPolicy', podSpec?.restartPolicy ?? '', ['Always']);
    if (podSpec?.activeDeadlineSeconds !== undefined && podSpec.activeDeadlineSeconds !== null) {
      errors.forbidden('spec.template.spec.activeDeadlineSeconds', 'activeDeadlineSeconds in StatefulSet is not Supported');
    }
    nonNegative(spec.revisionHistoryLimit, 'spec.revisionHistoryLimit', errors);
    return errors;
  }
}

/**
 * apps/v1 ControllerRevision (`ValidateControllerRevision`,
 * `ValidateControllerRevisionUpdate`): `data` is required and may not change;
 * `revision` is not negative.
 */
export class ControllerRevisionStrategy implements ResourceStrategy {
  prepareCreate(draft: KubeObject): void {
    throwIfInvalid('ControllerRevision', draft.metadata.name, this.validate(draft));
  }

  prepareUpdate(draft: KubeObject, previous: KubeObject): void {
    const errors = this.validate(draft);
    if (!deepEqual(draft.data, previous.data)) errors.invalid('data', new GoLiteral('runtime.RawExtension{...}'), 'field is immutable');
    throwIfInvalid('ControllerRevision', draft.metadata.name, errors);
  }

  private validate(draft: KubeObject): FieldErrors {
    const errors = new FieldErrors();
    if (draft.data === undefined || draft.data === null) errors.required('data', 'data is mandatory');
    if (typeof draft.revision === 'number') nonNegative(draft.revision, 'revision', errors);
    else draft.revision = 0;
    return errors;
  }
}
