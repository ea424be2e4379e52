import { DomainError } from '../../common/domain-error';
import { ResourceStrategy } from '../store/object-store';
import { KubeObject } from '../store/types';
import { FieldErrors } from '../validation/field-errors';
import { dns1123LabelErrors } from '../validation/names';

/** The namespaces every cluster starts with. */
export const SYSTEM_NAMESPACES = ['default', 'kube-node-lease', 'kube-public', 'kube-system'] as const;
/** The ones the API server refuses to delete. */
const UNDELETABLE = new Set(['default', 'kube-public', 'kube-system']);

export class NamespaceStrategy implements ResourceStrategy {
  prepareCreate(draft: KubeObject): void {
    const name = draft.metadata.name;
    const errors = new FieldErrors();
    for (const e of dns1123LabelErrors(name)) errors.invalid('metadata.name', name, e);
    errors.throwIfAny('Namespace', name);
    draft.metadata.labels = { ...draft.metadata.labels, 'kubernetes.io/metadata.name': name };
    draft.spec = { finalizers: ['kubernetes'] };
    draft.status = { phase: 'Active' };
  }

  prepareUpdate(draft: KubeObject, previous: KubeObject): void {
    draft.metadata.labels = { ...draft.metadata.labels, 'kubernetes.io/metadata.name': draft.metadata.name };
    draft.spec = previous.spec;
    draft.status = previous.status;
  }

  prepareDelete(object: KubeObject): void {
    if (UNDELETABLE.has(object.metadata.name)) {
      throw new DomainError('FORBIDDEN', `namespaces "${object.metadata.name}" is forbidden: this namespace may not be deleted`, {
        kind: 'namespaces',
        name: object.metadata.name,
      });
    }
  }
}
