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

/** How deep a request body may nest; deeper is refused (400) rather than overflowing the stack. */
export const MAX_DEPTH = 100;

/**
 * Throws 400 BadRequest when any key anywhere in `value` is a prototype key,
 * or when `value` nests deeper than `MAX_DEPTH`. Iterative, so a hostile body
 * cannot exhaust the stack.
 */
export function assertNoPrototypeKeys(value: unknown, path = ''): void {
  const stack: Array<{ value: unknown; path: string; depth: number }> = [{ value, path, depth: 0 }];
  while (stack.length) {
    const { value: node, path: at, depth } = stack.pop()!;
    if (typeof node !== 'object' || node === null) continue;
    if (depth > MAX_DEPTH) {
      throw new DomainError('BAD_REQUEST', `the request body nests deeper than ${MAX_DEPTH} levels at ${at || 'its root'}`);
    }
    if (Array.isArray(node)) {
      node.forEach((v, i) => stack.push({ value: v, path: `${at}[${i}]`, depth: depth + 1 }));
      continue;
    }
    for (const key of Object.keys(node)) {
      const child = at ? `${at}.${key}` : key;
      if (FORBIDDEN_KEYS.has(key)) {
        throw new DomainError('BAD_REQUEST', `field ${child} is not allowed: ${JSON.stringify(key)} is a reserved name`, {
          field: child,
          causeReason: 'FieldValueForbidden',
        });
      }
      stack.push({ value: (node as Record<string, unknown>)[key], path: child, depth: depth + 1 });
    }
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
