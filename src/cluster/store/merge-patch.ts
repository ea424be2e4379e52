import { DomainError } from '../../common/domain-error';

/**
 * JSON merge patch (RFC 7386), as `PATCH` with `application/merge-patch+json`
 * applies it: objects merge key by key, `null` deletes, anything else
 * (arrays included) replaces. Keys that could reach an object's prototype are
 * refused, so a patch can never change how the store's objects behave.
 */
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Throws 400 BadRequest when any key anywhere in `value` is a prototype key. */
export function assertNoPrototypeKeys(value: unknown, path = ''): void {
  if (Array.isArray(value)) {
    value.forEach((v, i) => assertNoPrototypeKeys(v, `${path}[${i}]`));
    return;
  }
  if (!isPlainObject(value)) return;
  for (const key of Object.keys(value)) {
    const at = path ? `${path}.${key}` : key;
    if (FORBIDDEN_KEYS.has(key)) {
      throw new DomainError('BAD_REQUEST', `field ${at} is not allowed: ${JSON.stringify(key)} is a reserved name`, {
        field: at,
        causeReason: 'FieldValueForbidden',
      });
    }
    assertNoPrototypeKeys(value[key], at);
  }
}

/** Returns `target` with `patch` merged in; neither argument is changed. */
export function applyMergePatch(target: unknown, patch: unknown): unknown {
  assertNoPrototypeKeys(patch);
  return merge(target, patch);
}

function merge(target: unknown, patch: unknown): unknown {
  if (!isPlainObject(patch)) return structuredClone(patch);
  const result: Record<string, unknown> = isPlainObject(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete result[key];
    else result[key] = merge(result[key], value);
  }
  return result;
}
