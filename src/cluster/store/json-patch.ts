import { DomainError } from '../../common/domain-error';
import { deepEqual, deleteOwn, getOwn, hasOwn, isJsonObject, setOwn } from '../../common/own-keys';
import { assertNestingDepth } from './merge-patch';

/**
 * JSON patch (RFC 6902, with RFC 6901 pointers), as `kubectl patch --type json`
 * sends it (`application/json-patch+json`).
 *
 * Answers as kube-apiserver's patch handler gives them: a body that is not a
 * list of operations is 400 BadRequest with Go's decoding text; an operation
 * that does not apply is 422 Invalid with the fixed message "the server
 * rejected our request due to an error in our request" (the API server drops
 * the detail); we keep the detail, in the words of the json-patch library the
 * API server uses, in one cause naming the operation (`patch[2]`).
 *
 * Stricter than that library where RFC 6901 and RFC 6902 are: a pointer is
 * `""` or starts with `/`; `~` must be followed by `0` or `1`; an array index
 * is `0` or has no leading zero, and is never negative; `-` (after the last
 * element) is only a place to add. Like the API server, no operation applies
 * to the whole document (the path `""`).
 *
 * Keys are data: the walk reads own properties only and defines own
 * properties, so `/__proto__/x` or `/constructor` never reach a prototype.
 */
export const PATCH_REJECTED = 'the server rejected our request due to an error in our request';

/** kube-apiserver's `maxJSONPatchOperations`: a longer patch is 413 RequestEntityTooLarge. */
export const MAX_OPERATIONS = 10000;

/**
 * The json-patch library's `AccumulatedCopySizeLimit`, which kube-apiserver sets
 * to its request body limit (3 MiB): the bytes all `copy` operations of one
 * patch add, as JSON, may not pass it, so a short patch of copies that each
 * double the document cannot grow it without bound.
 */
export const MAX_ACCUMULATED_COPY_BYTES = 3 * 1024 * 1024;

class PatchFailure extends Error {}

function fail(message: string): never {
  throw new PatchFailure(message);
}

/** The JSON type word Go's decoder uses in `cannot unmarshal X into ...`. */
function goJsonType(value: unknown): string {
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'boolean') return 'bool';
  return typeof value === 'object' ? 'object' : typeof value;
}

export function applyJsonPatch(target: unknown, operations: unknown): unknown {
  assertNestingDepth(operations);
  if (operations === null) return structuredClone(target);
  if (!Array.isArray(operations)) {
    throw new DomainError('BAD_REQUEST', `json: cannot unmarshal ${goJsonType(operations)} into Go value of type jsonpatch.Patch`);
  }
  if (operations.length > MAX_OPERATIONS) {
    throw new DomainError(
      'REQUEST_ENTITY_TOO_LARGE',
      `Request entity too large: The allowed maximum operations in a JSON patch is ${MAX_OPERATIONS}, got ${operations.length}`,
    );
  }
  for (const op of operations) {
    if (op !== null && !isJsonObject(op)) {
      throw new DomainError('BAD_REQUEST', `json: cannot unmarshal ${goJsonType(op)} into Go value of type jsonpatch.Operation`);
    }
  }
  let doc = structuredClone(target);
  const copied = { bytes: 0 };
  operations.forEach((op, i) => {
    try {
      doc = applyOperation(doc, (op ?? {}) as Record<string, unknown>, copied);
    } catch (e) {
      if (!(e instanceof PatchFailure)) throw e;
      throw new DomainError('INVALID', PATCH_REJECTED, { causes: [{ field: `patch[${i}]`, reason: 'FieldValueInvalid', message: e.message }] });
    }
  });
  return doc;
}

function applyOperation(doc: unknown, op: Record<string, unknown>, copied: { bytes: number }): unknown {
  const kind = typeof getOwn(op, 'op') === 'string' ? (getOwn(op, 'op') as string) : 'unknown';
  const known = ['add', 'remove', 'replace', 'move', 'copy', 'test'];
  if (!known.includes(kind)) fail(`Unexpected kind: ${kind}`);
  const path = stringField(op, 'path', kind);
  const tokens = parsePointer(path);
  switch (kind) {
    case 'add':
      add(doc, tokens, valueOf(op, kind), () => `add operation does not apply: doc is missing path: ${JSON.stringify(path)}: missing value`);
      return doc;
    case 'remove':
      remove(doc, tokens, () => `remove operation does not apply: doc is missing path: ${JSON.stringify(path)}: missing value`);
      return doc;
    case 'replace':
      replace(doc, tokens, valueOf(op, kind), path);
      return doc;
    case 'test': {
      const found = lookup(doc, tokens);
      if (!found) fail(`test operation does not apply: is missing path: ${path}: missing value`);
      if (!deepEqual(found.value, valueOf(op, kind))) fail(`testing value ${path} failed: test failed`);
      return doc;
    }
    default: {
      // move and copy
      const from = stringField(op, 'from', kind);
      const fromTokens = parsePointer(from);
      const found = lookup(doc, fromTokens);
      if (!found) fail(`${kind} operation does not apply: doc is missing from path: ${from}: missing value`);
      if (kind === 'move') {
        if (from === path) return doc;
        remove(doc, fromTokens, () => `move operation does not apply: doc is missing from path: ${from}: missing value`);
      }
      if (kind === 'copy') {
        copied.bytes += JSON.stringify(found.value)?.length ?? 0;
        if (copied.bytes > MAX_ACCUMULATED_COPY_BYTES) {
          fail(`Unable to complete the copy, the accumulated size increase of copy is ${copied.bytes}, exceeding the limit ${MAX_ACCUMULATED_COPY_BYTES}`);
        }
      }
      const value = kind === 'copy' ? structuredClone(found.value) : found.value;
      add(doc, tokens, value, () => `${kind} operation does not apply: doc is missing destination path: ${path}: missing value`);
      return doc;
    }
  }
}

function stringField(op: Record<string, unknown>, field: 'path' | 'from', kind: string): string {
  const value = getOwn(op, field);
  if (typeof value !== 'string') fail(`${kind} operation failed to decode ${field}: missing value`);
  return value;
}

function valueOf(op: Record<string, unknown>, kind: string): unknown {
  if (!hasOwn(op, 'value')) fail(`${kind} operation, missing value field: missing value`);
  return structuredClone(op.value);
}

/** RFC 6901: `""` is the whole document; otherwise `/`-separated tokens, `~1` for `/` and `~0` for `~`. */
export function parsePointer(pointer: string): string[] {
  if (pointer === '') return [];
  if (!pointer.startsWith('/')) fail(`invalid JSON pointer ${JSON.stringify(pointer)}: a pointer is empty or starts with "/"`);
  return pointer
    .slice(1)
    .split('/')
    .map((token) => {
      if (/~(?![01])/.test(token)) {
        fail(`invalid JSON pointer ${JSON.stringify(pointer)}: "~" must be followed by "0" or "1" (the escapes are ~0 for "~" and ~1 for "/")`);
      }
      return token.replace(/~1/g, '/').replace(/~0/g, '~');
    });
}

const ARRAY_INDEX = /^(0|[1-9][0-9]*)$/;

/** An index into `list` that must name an element (or, with `end`, the place after the last). */
function indexIn(list: unknown[], token: string, end: boolean, verb = 'access'): number {
  if (end && token === '-') return list.length;
  if (!ARRAY_INDEX.test(token)) fail(`Unable to ${verb} invalid index: ${token}: invalid index referenced`);
  const index = Number(token);
  if (index > list.length || (!end && index === list.length)) fail(`Unable to ${verb} invalid index: ${index}: invalid index referenced`);
  return index;
}

/** The container holding the last token, or undefined when the path to it does not exist. */
function parentOf(doc: unknown, tokens: string[]): unknown {
  if (tokens.length === 0) return undefined; // no operation applies to the whole document
  const found = walk(doc, tokens.slice(0, -1));
  return found && typeof found.value === 'object' && found.value !== null ? found.value : undefined;
}

/** The value a pointer names; like the API server, the whole document is never one. */
function lookup(doc: unknown, tokens: string[]): { value: unknown } | undefined {
  return tokens.length === 0 ? undefined : walk(doc, tokens);
}

function walk(doc: unknown, tokens: string[]): { value: unknown } | undefined {
  let node = doc;
  for (const token of tokens) {
    if (Array.isArray(node)) {
      if (!ARRAY_INDEX.test(token) || Number(token) >= node.length) return undefined;
      node = node[Number(token)];
    } else if (isJsonObject(node) && hasOwn(node, token)) {
      node = node[token];
    } else {
      return undefined;
    }
  }
  return { value: node };
}

function add(doc: unknown, tokens: string[], value: unknown, missing: () => string): void {
  const parent = parentOf(doc, tokens);
  if (parent === undefined) fail(missing());
  const last = tokens[tokens.length - 1];
  if (Array.isArray(parent)) parent.splice(indexIn(parent, last, true), 0, value);
  else setOwn(parent as object, last, value);
}

function remove(doc: unknown, tokens: string[], missing: () => string): void {
  const parent = parentOf(doc, tokens);
  const last = tokens[tokens.length - 1];
  if (Array.isArray(parent)) parent.splice(indexIn(parent, last, false, 'remove'), 1);
  else if (isJsonObject(parent) && hasOwn(parent, last)) deleteOwn(parent, last);
  else fail(missing());
}

function replace(doc: unknown, tokens: string[], value: unknown, path: string): void {
  const parent = parentOf(doc, tokens);
  if (parent === undefined) fail(`replace operation does not apply: doc is missing path: ${path}: missing value`);
  const last = tokens[tokens.length - 1];
  if (Array.isArray(parent)) parent[indexIn(parent, last, false)] = value;
  else if (hasOwn(parent as object, last)) setOwn(parent as object, last, value);
  else fail(`replace operation does not apply: doc is missing key: ${path}: missing value`);
}

