import { DomainError } from '../../common/domain-error';
import { deleteOwn, getOwn, hasOwn, isJsonObject, JsonObject, setOwn } from '../../common/own-keys';
import { assertNestingDepth } from './merge-patch';

/**
 * Strategic merge patch, as `kubectl apply` and `kubectl patch` send it
 * (`application/strategic-merge-patch+json`), after apimachinery's
 * `strategicpatch.StrategicMergeMapPatch`: like a JSON merge patch, except
 * that lists of objects with a merge key are merged element by element, and
 * these directives are honoured:
 *
 * - `$patch: replace` in a map: the map becomes the patch's map;
 *   `$patch: delete` in a map: the map becomes empty (at the root, the object
 *   loses its name, which the API server then refuses);
 * - `{<mergeKey>: k, $patch: delete}` in a merged list deletes the element k;
 *   `{$patch: replace}` in a merged list replaces the whole list;
 * - `$retainKeys: [..]` clears the keys of the map that are not listed;
 * - `$deleteFromPrimitiveList/<list>: [..]` removes values from a list of scalars;
 * - `$setElementOrder/<list>: [..]` orders a merged list.
 *
 * What upstream refuses is refused with its texts (`unknown patch type: ...`,
 * `invalid patch format of retainKeys`, `merging lists cannot yet be
 * specified in the patch`, ...), always as 400 BadRequest: where upstream's
 * answer is a 500 for such a patch, ours is a 400, as it is the client's mistake.
 *
 * Merge keys are those of the Kubernetes types the emulator serves
 * (`patchMergeKey` in their Go structs); a list without one is replaced whole.
 * Keys are data: every read and write is of own properties, so no key of the
 * patch reaches a prototype.
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

const DIRECTIVE = '$patch';
const RETAIN_KEYS = '$retainKeys';
const DELETE_FROM_PRIMITIVE_LIST = '$deleteFromPrimitiveList';
const SET_ELEMENT_ORDER = '$setElementOrder';

type Json = unknown;

function badPatch(message: string): never {
  throw new DomainError('BAD_REQUEST', message);
}

function mergeKeyFor(field: string, parentPath: string[]): string | undefined {
  // `ports` inside a container is keyed by containerPort.
  if (field === 'ports' && (parentPath.includes('containers') || parentPath.includes('initContainers'))) return 'containerPort';
  return hasOwn(MERGE_KEYS, field) ? MERGE_KEYS[field] : undefined;
}

/** Returns `target` with `patch` applied; neither argument is changed. */
export function applyStrategicMergePatch(target: Json, patch: Json): Json {
  if (!isJsonObject(patch)) {
    badPatch(`json: cannot unmarshal ${Array.isArray(patch) ? 'array' : typeof patch === 'boolean' ? 'bool' : patch === null ? 'null' : typeof patch} into Go value of type map[string]interface {}`);
  }
  assertNestingDepth(patch);
  return mergeMap(isJsonObject(target) ? structuredClone(target) : {}, structuredClone(patch), []);
}

/** Merges `patch` into `original` (both private copies, changed in place). */
function mergeMap(original: JsonObject, patch: JsonObject, path: string[]): JsonObject {
  if (hasOwn(patch, DIRECTIVE)) {
    const directive = patch[DIRECTIVE];
    if (directive === 'replace') {
      deleteOwn(patch, DIRECTIVE);
      return mergeMap({}, patch, path);
    }
    if (directive === 'delete') return {};
    badPatch(`unknown patch type: ${goPercentS(directive)} in map: ${goValue(patch)}`);
  }
  applyRetainKeys(original, patch);
  applySetElementOrder(original, patch, path);

  for (const [key, value] of Object.entries(patch)) {
    if (value === undefined) continue;
    if (key.startsWith(DELETE_FROM_PRIMITIVE_LIST)) {
      const field = directiveField(key, DELETE_FROM_PRIMITIVE_LIST, 'invalid patch format of primitive list');
      if (!Array.isArray(value)) badPatch(`expected a []interface {}, but received a ${goTypeName(value)}`);
      const current = getOwn(original, field);
      if (Array.isArray(current)) setOwn(original, field, current.filter((v) => !value.some((d) => d === v)));
      continue;
    }
    if (value === null) {
      deleteOwn(original, key);
      continue;
    }
    const current = getOwn(original, key);
    setOwn(original, key, mergeValue(current, value, key, path));
  }
  return original;
}

/** The merged value of one field: maps merge, merged lists merge, anything else replaces. */
function mergeValue(current: Json, value: Json, key: string, path: string[]): Json {
  if (isJsonObject(value)) return mergeMap(isJsonObject(current) ? current : {}, value, [...path, key]);
  if (Array.isArray(value)) return mergeList(Array.isArray(current) ? current : [], value, key, path);
  return value;
}

function applyRetainKeys(original: JsonObject, patch: JsonObject): void {
  if (!hasOwn(patch, RETAIN_KEYS)) return;
  const retain = patch[RETAIN_KEYS];
  deleteOwn(patch, RETAIN_KEYS);
  if (!Array.isArray(retain)) badPatch('invalid patch format of retainKeys');
  for (const [key, value] of Object.entries(patch)) {
    if (value === null || key.startsWith(DELETE_FROM_PRIMITIVE_LIST) || key.startsWith(SET_ELEMENT_ORDER)) continue;
    if (!retain.includes(key)) badPatch('invalid patch format of retainKeys');
  }
  for (const key of Object.keys(original)) if (!retain.includes(key)) deleteOwn(original, key);
}

function applySetElementOrder(original: JsonObject, patch: JsonObject, path: string[]): void {
  for (const key of Object.keys(patch)) {
    if (!key.startsWith(SET_ELEMENT_ORDER)) continue;
    const order = patch[key];
    deleteOwn(patch, key);
    if (order === undefined) continue;
    if (!Array.isArray(order)) badPatch(`expected a []interface {}, but received a ${goTypeName(order)}`);
    const field = directiveField(key, SET_ELEMENT_ORDER, 'invalid patch format of setElementOrder list');
    const current = getOwn(original, field);
    const patchList = getOwn(patch, field);
    if (current !== undefined && !Array.isArray(current)) badPatch(`expected a []interface {}, but received a ${goTypeName(current)}`);
    if (patchList !== undefined && !Array.isArray(patchList)) badPatch(`expected a []interface {}, but received a ${goTypeName(patchList)}`);
    if (current === undefined && patchList === undefined) continue;
    const merged = patchList === undefined ? (current as Json[]) : mergeList((current as Json[] | undefined) ?? [], patchList as Json[], field, path);
    setOwn(original, field, normalizeOrder(merged, order, (current as Json[] | undefined) ?? [], mergeKeyFor(field, path)));
    deleteOwn(patch, field);
  }
}

/** `$deleteFromPrimitiveList/finalizers` -> `finalizers`; without the `/`, upstream's format error. */
function directiveField(key: string, prefix: string, formatError: string): string {
  const slash = key.indexOf('/');
  if (slash < 0 || key.slice(0, slash) !== prefix) badPatch(formatError);
  return key.slice(slash + 1);
}

function mergeList(current: Json[], patch: Json[], field: string, path: string[]): Json[] {
  if (PRIMITIVE_MERGE_LISTS.has(field)) {
    const merged = [...current];
    for (const v of patch) if (!merged.includes(v)) merged.push(v);
    return normalizeOrder(merged, patch, current, undefined);
  }
  const key = mergeKeyFor(field, path);
  if (!key || !patch.every(isJsonObject)) return patch.map((v) => cleanValue(v, field, path));

  let result: Json[] = current.map((e) => e);
  const items: JsonObject[] = [];
  let replace = false;
  for (const item of patch as JsonObject[]) {
    if (!hasOwn(item, DIRECTIVE)) {
      items.push(item);
      continue;
    }
    const directive = item[DIRECTIVE];
    if (directive === 'delete') {
      if (!hasOwn(item, key)) badPatch(`map: ${goValue(item)} does not contain declared merge key: ${key}`);
      result = result.filter((e) => !(isJsonObject(e) && hasOwn(e, key) && e[key] === item[key]));
    } else if (directive === 'replace') {
      replace = true;
    } else if (directive === 'merge') {
      badPatch('merging lists cannot yet be specified in the patch');
    } else {
      badPatch(`unknown patch type: ${goPercentS(directive)} in map: ${goValue(item)}`);
    }
  }
  if (replace) return items.map((item) => mergeMap({}, item, [...path, field]));
  const live = [...result];
  for (const item of items) {
    if (!hasOwn(item, key)) badPatch(`map: ${goValue(item)} does not contain declared merge key: ${key}`);
    const index = result.findIndex((e) => isJsonObject(e) && hasOwn(e, key) && e[key] === item[key]);
    if (index >= 0) result[index] = mergeMap(result[index] as JsonObject, item, [...path, field]);
    else result.push(mergeMap({}, item, [...path, field]));
  }
  return normalizeOrder(result, items, live, key);
}

/** A value new to the object: its maps are merged onto nothing, so their directives apply too. */
function cleanValue(value: Json, field: string, path: string[]): Json {
  return isJsonObject(value) ? mergeMap({}, value, [...path, field]) : value;
}

/**
 * apimachinery's `normalizeElementOrder`: the items the patch names (`patchOrder`: the patch's
 * list, or a `$setElementOrder` list) in that order, the others in their order in the live list,
 * and the two interleaved as the live list (`serverOrder`) has them, a patch item going first
 * unless both are live and the other came first.
 */
function normalizeOrder(merged: Json[], patchOrder: Json[], serverOrder: Json[], key: string | undefined): Json[] {
  const keyOf = (e: Json) => (key ? (isJsonObject(e) ? getOwn(e, key) : undefined) : e);
  const indexIn = (list: Json[], e: Json) => list.findIndex((x) => keyOf(x) === keyOf(e));
  const sortedBy = (items: Json[], order: Json[]) => {
    const at = (e: Json) => {
      const i = indexIn(order, e);
      return i < 0 ? Number.MAX_SAFE_INTEGER : i;
    };
    return items.map((e, i) => ({ e, i })).sort((a, b) => at(a.e) - at(b.e) || a.i - b.i).map((x) => x.e);
  };
  const named = sortedBy(merged.filter((e) => indexIn(patchOrder, e) >= 0), patchOrder);
  const liveOnly = sortedBy(merged.filter((e) => indexIn(patchOrder, e) < 0), serverOrder);
  const out: Json[] = [];
  let i = 0;
  let j = 0;
  while (i < liveOnly.length || j < named.length) {
    if (j >= named.length) out.push(liveOnly[i++]);
    else if (i >= liveOnly.length) out.push(named[j++]);
    else {
      const li = indexIn(serverOrder, liveOnly[i]);
      const ri = indexIn(serverOrder, named[j]);
      out.push(li >= 0 && ri >= 0 && li < ri ? liveOnly[i++] : named[j++]);
    }
  }
  return out;
}

// ---- Go's `%v` / `%s`, for upstream's error texts -------------------------

function goTypeName(value: Json): string {
  if (value === null) return '<nil>';
  if (Array.isArray(value)) return '[]interface {}';
  if (isJsonObject(value)) return 'map[string]interface {}';
  if (typeof value === 'number') return 'float64';
  return typeof value === 'boolean' ? 'bool' : 'string';
}

/** Go's `%v` of a decoded JSON value: `map[a:1 b:[x y]]`, keys sorted. */
function goValue(value: Json): string {
  if (value === null || value === undefined) return '<nil>';
  if (Array.isArray(value)) return `[${value.map(goValue).join(' ')}]`;
  if (isJsonObject(value)) {
    return `map[${Object.keys(value)
      .sort()
      .map((k) => `${k}:${goValue(value[k])}`)
      .join(' ')}]`;
  }
  return String(value);
}

/** Go's `%s` of a decoded JSON value: strings as they are, others as `%!s(type=value)`. */
function goPercentS(value: Json): string {
  if (typeof value === 'string') return value;
  if (value === null) return '%!s(<nil>)';
  return `%!s(${goTypeName(value)}=${goValue(value)})`;
}
