/** The store's refusals, worded as kube-apiserver words them. */
import { DomainError } from '../../common/domain-error';
import { errorBody, FieldError, invalidObject } from '../validation/field-errors';
import { ResourceType, resourceKey } from './resource-types';

export function notFound(type: ResourceType, name: string): DomainError {
  return new DomainError('NOT_FOUND', `${resourceKey(type)} "${name}" not found`, { kind: resourceKey(type), name });
}

/** A write whose `resourceVersion` precondition is not the stored object's: 409 Conflict. */
export function conflict(type: ResourceType, name: string): DomainError {
  return new DomainError(
    'CONFLICT',
    `Operation cannot be fulfilled on ${resourceKey(type)} "${name}": the object has been modified; please apply your changes to the latest version and try again`,
    { kind: resourceKey(type), name },
  );
}

export function alreadyExists(type: ResourceType, name: string): DomainError {
  return new DomainError('ALREADY_EXISTS', `${resourceKey(type)} "${name}" already exists`, {
    kind: resourceKey(type),
    name,
  });
}

/**
 * Runs a strategy's hook for an object whose metadata had `metadataErrors`, and
 * reports every field error at once, as the API server aggregates them: the
 * metadata's errors and the hook's own 422 become one 422 (`Kind "name" is
 * invalid: [e1, e2]`). A hook that succeeded on invalid metadata is rolled back.
 */
export function validated<T>(kind: string, name: string, metadataErrors: FieldError[], hook: () => T): T {
  let result: T;
  try {
    result = hook();
  } catch (e) {
    if (metadataErrors.length === 0) throw e;
    if (e instanceof DomainError && e.code === 'INVALID' && e.kind === kind) throw mergeInvalid(kind, name, metadataErrors, e);
    throw invalidObject(kind, name, metadataErrors);
  }
  if (metadataErrors.length > 0) {
    if (typeof result === 'function') (result as () => void)();
    throw invalidObject(kind, name, metadataErrors);
  }
  return result;
}

/** One 422 of both lists; `metadata.*` first (the name first of all), as ValidateObjectMeta reports before the spec. */
export function mergeInvalid(kind: string, name: string, metadataErrors: FieldError[], hookError: DomainError): DomainError {
  const causes = [
    ...metadataErrors.map((e) => ({ field: e.field, reason: e.type, message: errorBody(e) })),
    ...hookError.causes,
  ];
  const rank = (field: string | undefined) => (field === 'metadata.name' ? 0 : field?.startsWith('metadata.') ? 1 : 2);
  causes.sort((a, b) => rank(a.field) - rank(b.field));
  const texts = causes.map((c) => (c.field ? `${c.field}: ${c.message}` : c.message));
  const summary = texts.length === 1 ? texts[0] : `[${texts.join(', ')}]`;
  return new DomainError('INVALID', `${kind} "${name}" is invalid: ${summary}`, { kind, name, causes });
}

/** The API server's answer to a resourceVersion newer than any it has seen (`storage.NewTooLargeResourceVersionError`). */
export function resourceVersionTooLarge(requested: number, current: number): DomainError {
  return new DomainError('TIMEOUT', `Timeout: Too large resource version: ${requested}, current: ${current}`, {
    causes: [{ reason: 'ResourceVersionTooLarge', message: 'Too large resource version' }],
    retryAfterSeconds: 1,
  });
}
