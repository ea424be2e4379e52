import { DomainError } from '../../common/domain-error';
import { MAX_NESTING_DEPTH } from '../../common/limits';
import { deleteOwn, getOwn, isJsonObject, setOwn } from '../../common/own-keys';

/**
 * JSON merge patch (RFC 7386), as `PATCH` with `application/merge-patch+json`
 * applies it: objects merge key by key, `null` deletes, anything else
 * (arrays included) replaces. There are no directives: a key such as
 * `$patch` is a key like any other, and the object's validation judges it.
 * Keys are data: `__proto__`, `constructor` and `prototype` are merged as own
 * properties and never reach a prototype.
 */

/**
 * Throws 400 BadRequest when `value` nests deeper than `MAX_NESTING_DEPTH`
 * (the one limit for request bodies, also applied to their text before parsing).
 * Iterative, so a hostile body cannot exhaust the stack.
 */
export function assertNestingDepth(value: unknown, path = ''): void {
  const stack: Array<{ value: unknown; path: string; depth: number }> = [{ value, path, depth: 0 }];
  while (stack.length) {
    const { value: node, path: at, depth } = stack.pop()!;
    if (typeof node !== 'object' || node === null) continue;
    // The root is level 1, as the text scan before parsing counts it.
    if (depth + 1 > MAX_NESTING_DEPTH) {
      throw new DomainError('BAD_REQUEST', `the request body nests deeper than ${MAX_NESTING_DEPTH} levels at ${at || 'its root'}`);
    }
    if (Array.isArray(node)) {
      node.forEach((v, i) => stack.push({ value: v, path: `${at}[${i}]`, depth: depth + 1 }));
      continue;
    }
    for (const [key, child] of Object.entries(node)) {
      stack.push({ value: child, path: at ? `${at}.${key}` : key, depth: depth + 1 });
    }
  }
}

/** Returns `target` with `patch` merged in; neither argument is changed. */
export function applyMergePatch(target: unknown, patch: unknown): unknown {
  assertNestingDepth(patch);
  return merge(target, patch);
}

function merge(target: unknown, patch: unknown): unknown {
  if (!isJsonObject(patch)) return structuredClone(patch);
  const result: Record<string, unknown> = isJsonObject(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) deleteOwn(result, key);
    else setOwn(result, key, merge(getOwn(result, key), value));
  }
  return result;
}
