import { ResourceStrategy } from '../store/object-store';
import { KubeObject } from '../store/types';
import { FieldErrors } from '../validation/field-errors';
import { defaultPodTemplate } from './pod-defaults';
import { checkInt32, GoLiteral, goStringMap, nonNegative, prepareSpec, selectorMatches, throwIfInvalid, validatePodTemplate } from './workload.strategy';
import { PodTemplateSpec } from './workload.types';

/** core/v1 ReplicationControllerSpec: a ReplicaSet's, with a plain label map as selector. */
export interface ReplicationControllerSpec {
  replicas?: number;
  minReadySeconds?: number;
  selector?: Record<string, string>;
  template?: PodTemplateSpec;
}

const KIND = 'ReplicationController';

/**
 * core/v1 ReplicationController, as the API server defaults and validates it
 * (`SetDefaults_ReplicationController`, `ValidateReplicationController`): an
 * empty selector and empty object labels are taken from the template's labels;
 * the selector is required and must match the template's labels; unlike a
 * ReplicaSet's, it may change after creation.
 */
export class ReplicationControllerStrategy implements ResourceStrategy {
  prepareCreate(draft: KubeObject): void {
    const spec = this.prepare(draft);
    throwIfInvalid(KIND, draft.metadata.name, this.validate(spec), KIND);
    draft.status = { replicas: 0 }; // a status sent with a new object is ignored; `replicas` is always written
  }

  prepareUpdate(draft: KubeObject): void {
    const spec = this.prepare(draft);
    throwIfInvalid(KIND, draft.metadata.name, this.validate(spec), KIND);
  }

  private prepare(draft: KubeObject): ReplicationControllerSpec {
    const spec = prepareSpec<ReplicationControllerSpec>(draft);
    checkInt32(KIND, spec as Record<string, unknown>, ['replicas', 'minReadySeconds']);
    const labels = spec.template?.metadata?.labels;
    if (labels !== undefined && labels !== null) {
      if (isEmpty(spec.selector)) spec.selector = { ...labels };
      if (isEmpty(draft.metadata.labels)) draft.metadata.labels = { ...labels };
    }
    spec.replicas ??= 1;
    defaultPodTemplate(spec.template);
    return spec;
  }

  private validate(spec: ReplicationControllerSpec): FieldErrors {
    const errors = new FieldErrors();
    nonNegative(spec.minReadySeconds, 'spec.minReadySeconds', errors);
    if (isEmpty(spec.selector)) errors.required('spec.selector');
    nonNegative(spec.replicas, 'spec.replicas', errors);
    const template = spec.template;
    if (template === undefined || template === null) {
      errors.required('spec.template');
      return errors;
    }
    const labels = template.metadata?.labels;
    if (!isEmpty(spec.selector) && !selectorMatches({ matchLabels: spec.selector! }, labels)) {
      errors.invalid('spec.template.metadata.labels', new GoLiteral(goStringMap(labels)), '`selector` does not match template `labels`');
    }
    validatePodTemplate(KIND, template, errors);
    return errors;
  }
}

function isEmpty(map: Record<string, string> | undefined | null): boolean {
  return map === undefined || map === null || Object.keys(map).length === 0;
}
