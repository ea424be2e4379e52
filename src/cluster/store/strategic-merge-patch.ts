import { DomainError } from '../../common/domain-error';
import { assertNoPrototypeKeys } from './merge-patch';

/**
 * Strategic merge patch, as `kubectl apply` and `kubectl patch` send it
 * (`application/strategic-merge-patch+json`): like a JSON merge patch, except
 * that lists of objects with a merge key are merged element by element, and
 * the directives `$patch`, `$setElementOrder/<list>`, `$retainKeys` and
 * `$deleteFromPrimitiveList/<list>` are honoured. Merge keys are those of the
 * Kubernetes types the emulator serves (`patchMergeKey` in their Go structs);
 * a list without one is replaced whole.
 */
const MERGE_KEYS: Record<string, string> = {
  ports: 'port', // Service ports; container ports are handled below
  containers: 'name',
  initContainers: 'name',
  ephemeralContainers: 'name',
  env: 'name',
  volumes: 'name',
  volumeMounts: 'mountPath',
  volumeDevices: 'devicePath',
  imagePullSecrets: 'name',
  ownerReferences: 'uid',
  conditions: 'type',
  hostAliases: 'ip',
  topologySpreadConstraints: 'topologyKey',
  readinessGates: 'conditionType',
  resourceClaims: 'name',
};

/** Lists of scalars that merge as sets rather than being replaced. */
const PRIMITIVE_MERGE_LISTS = new Set(['finalizers']);

type Json = unknown;
type JsonObject = Record<string, Json>;

function isObject(value: Json): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function mergeKeyFor(field: string, parentPath: string[]): string | undefined {
  // `ports` inside a container is keyed by containerPort.
  if (field === 'ports' && parentPath.includes('containers')) return 'containerPort';
  if (field === 'ports' && parentPath.includes('initContainers')) return 'containerPort';
  return MERGE_KEYS[field];
}

export function applyStrategicMergePatch(target: Json, patch: Json): Json {
  assertNoPrototypeKeys(patch);
  if (!isObject(patch)) throw new DomainError('BAD_REQUEST', 'a strategic merge patch must be a JSON object');
  return mergeObject(isObject(target) ? target : {}, patch, []);
}

function mergeObject(target: JsonObject, patch: JsonObject, path: string[]): Json {
  if (patch.$patch === 'replace') {
    const { $patch: _ignored, ...rest } = patch;
    return structuredClone(rest);
  }
  if (patch.$patch === 'delete') return undefined;
  const result: JsonObject = { ...target };
  const retainKeys = Array.isArray(patch.$retainKeys) ? (patch.$retainKeys as string[]) : undefined;
  for (const [key, value] of Object.entries(patch)) {
    if (key === '$patch' || key === '$retainKeys') continue;
    if (key.startsWith('$setElementOrder/') || key.startsWith('$deleteFromPrimitiveList/')) continue;
    if (value === null) {
      delete result[key];
      continue;
    }
    if (Array.isArray(value)) {
      result[key] = mergeList(result[key], value, key, path, patch);
    } else if (isObject(value)) {
      const merged = mergeObject(isObject(result[key]) ? (result[key] as JsonObject) : {}, value, [...path, key]);
      if (merged === undefined) delete result[key];
      else result[key] = merged;
    } else {
      result[key] = value;
    }
  }
  // Directives that touch lists the patch does not otherwise mention.
  for (const [key, value] of Object.entries(patch)) {
    if (key.startsWith('$deleteFromPrimitiveList/') && Array.isArray(value)) {
      const field = key.slice('$deleteFromPrimitiveList/'.length);
      if (Array.isArray(result[field])) result[field] = (result[field] as Json[]).filter((v) => !value.includes(v));
    }
    if (key.startsWith('$setElementOrder/') && Array.isArray(value)) {
      const field = key.slice('$setElementOrder/'.length);
      if (Array.isArray(result[field])) result[field] = reorder(result[field] as Json[], value, mergeKeyFor(field, path));
    }
  }
  if (retainKeys) {
    for (const key of Object.keys(result)) if (!retainKeys.includes(key)) delete result[key];
  }
  return result;
}

function mergeList(current: Json, patch: Json[], field: string, path: string[], parent: JsonObject): Json[] {
  const existing = Array.isArray(current) ? current : [];
  if (PRIMITIVE_MERGE_LISTS.has(field)) {
    const merged = [...existing];
    for (const v of patch) if (!merged.includes(v)) merged.push(v);
    return merged;
  }
  const key = mergeKeyFor(field, path);
  if (!key || !patch.every(isObject)) return structuredClone(patch);
  if (patch.some((p) => isObject(p) && p.$patch === 'replace')) {
    return patch.filter((p) => !(isObject(p) && p.$patch === 'replace')).map((p) => structuredClone(p));
  }
  const result: Json[] = existing.map((e) => structuredClone(e));
  for (const item of patch as JsonObject[]) {
    const index = result.findIndex((e) => isObject(e) && sameKey(e[key], item[key]));
    if (item.$patch === 'delete') {
      if (index >= 0) result.splice(index, 1);
      continue;
    }
    if (index >= 0) {
      const merged = mergeObject(result[index] as JsonObject, item, [...path, field]);
      if (merged === undefined) result.splice(index, 1);
      else result[index] = merged;
    } else {
      const { $patch: _ignored, ...clean } = item;
      result.push(structuredClone(clean));
    }
  }
  const order = parent[`$setElementOrder/${field}`];
  return Array.isArray(order) ? reorder(result, order, key) : result;
}

function sameKey(a: Json, b: Json): boolean {
  return a === b || (a !== undefined && b !== undefined && String(a) === String(b));
}

/** Orders `list` as `order` lists its merge keys; elements not named keep their place at the end. */
function reorder(list: Json[], order: Json[], key: string | undefined): Json[] {
  const keyOf = (e: Json) => (key && isObject(e) ? e[key] : e);
  const wanted = order.map((o) => (key && isObject(o) ? o[key] : o));
  const placed: Json[] = [];
  for (const k of wanted) {
    const found = list.find((e) => sameKey(keyOf(e), k));
    if (found !== undefined && !placed.includes(found)) placed.push(found);
  }
  for (const e of list) if (!placed.includes(e)) placed.push(e);
  return placed;
}

/** JSON patch (RFC 6902), as `kubectl patch --type json` sends it. */
export function applyJsonPatch(target: Json, operations: Json): Json {
  assertNoPrototypeKeys(operations);
  if (!Array.isArray(operations)) throw new DomainError('BAD_REQUEST', 'a JSON patch must be a list of operations');
  let doc = structuredClone(target);
  operations.forEach((op, i) => {
    if (!isObject(op) || typeof op.op !== 'string' || typeof op.path !== 'string') {
      throw new DomainError('BAD_REQUEST', `JSON patch operation ${i} needs "op" and "path"`);
    }
    const pointer = parsePointer(op.path);
    switch (op.op) {
      case 'add':
      case 'replace':
        doc = setAt(doc, pointer, structuredClone(op.value), op.op === 'add', i);
        break;
      case 'remove':
        doc = removeAt(doc, pointer, i);
        break;
      case 'test':
        if (JSON.stringify(getAt(doc, pointer)) !== JSON.stringify(op.value)) {
          throw new DomainError('INVALID', `the server rejected our request due to an error in our request: testing value ${op.path} failed`);
        }
        break;
      case 'copy':
      case 'move': {
        if (typeof op.from !== 'string') throw new DomainError('BAD_REQUEST', `JSON patch operation ${i} needs "from"`);
        const from = parsePointer(op.from);
        const value = structuredClone(getAt(doc, from));
        if (op.op === 'move') doc = removeAt(doc, from, i);
        doc = setAt(doc, pointer, value, true, i);
        break;
      }
      default:
        throw new DomainError('BAD_REQUEST', `unexpected JSON patch operation ${JSON.stringify(op.op)}`);
    }
  });
  return doc;
}

function parsePointer(path: string): string[] {
  if (path === '') return [];
  if (!path.startsWith('/')) throw new DomainError('BAD_REQUEST', `invalid JSON pointer ${JSON.stringify(path)}`);
  return path
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function getAt(doc: Json, pointer: string[]): Json {
  let node = doc;
  for (const part of pointer) {
    if (Array.isArray(node)) node = node[Number(part)];
    else if (isObject(node)) node = node[part];
    else return undefined;
  }
  return node;
}

function setAt(doc: Json, pointer: string[], value: Json, add: boolean, i: number): Json {
  if (pointer.length === 0) return value;
  const parent = getAt(doc, pointer.slice(0, -1));
  const last = pointer[pointer.length - 1];
  if (Array.isArray(parent)) {
    const index = last === '-' ? parent.length : Number(last);
    if (!Number.isInteger(index) || index < 0 || index > parent.length) {
      throw new DomainError('INVALID', `JSON patch operation ${i}: index ${last} is out of bounds`);
    }
    if (add) parent.splice(index, 0, value);
    else parent[index] = value;
  } else if (isObject(parent)) {
    if (!add && !(last in parent)) throw new DomainError('INVALID', `JSON patch operation ${i}: replace operation does not apply: doc is missing key: ${last}`);
    parent[last] = value;
  } else {
    throw new DomainError('INVALID', `JSON patch operation ${i}: doc is missing path: /${pointer.join('/')}`);
  }
  return doc;
}

function removeAt(doc: Json, pointer: string[], i: number): Json {
  const parent = getAt(doc, pointer.slice(0, -1));
  const last = pointer[pointer.length - 1];
  if (Array.isArray(parent) && Number(last) < parent.length) parent.splice(Number(last), 1);
  else if (isObject(parent) && last in parent) delete parent[last];
  else throw new DomainError('INVALID', `JSON patch operation ${i}: remove operation does not apply: doc is missing path: /${pointer.join('/')}`);
  return doc;
}
