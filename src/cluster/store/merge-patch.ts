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
  // Each entry knows its parent and key: the path is spelled out only for the error.
  type Entry = { value: unknown; parent: Entry | undefined; key: string | number; depth: number };
  const stack: Entry[] = [{ value, parent: undefined, key: '', depth: 0 }];
  while (stack.length) {
    const entry = stack.pop()!;
    const node = entry.value;
    if (typeof node !== 'object' || node === null) continue;
    // The root is level 1, as the text scan before parsing counts it.
    if (entry.depth + 1 > MAX_NESTING_DEPTH) {
      throw new DomainError('BAD_REQUEST', `the request body nests deeper than ${MAX_NESTING_DEPTH} levels at ${pathOf(entry, path) || 'its root'}`);
    }
    // Only objects and arrays can nest: scalars are not pushed (a ConfigMap of 60,000 keys is one entry).
    if (Array.isArray(node)) {
      node.forEach((v, i) => {
        if (typeof v === 'object' && v !== null) stack.push({ value: v, parent: entry, key: i, depth: entry.depth + 1 });
      });
      continue;
    }
    for (const key in node) {
      if (!Object.hasOwn(node, key)) continue;
      const child = (node as Record<string, unknown>)[key];
      if (typeof child === 'object' && child !== null) stack.push({ value: child, parent: entry, key, depth: entry.depth + 1 });
    }
  }
}

/** `root.a[0].b` for an entry of `assertNestingDepth`'s walk. */
function pathOf(entry: { parent: typeof entry | undefined; key: string | number }, root: string): string {
  const keys: Array<string | number> = [];
  for (let e: typeof entry | undefined = entry; e?.parent; e = e.parent) keys.push(e.key);
  let path = root;
  for (const key of keys.reverse()) path = typeof key === 'number' ? `${path}[${key}]` : path ? `${path}.${key}` : key;
  return path;
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
