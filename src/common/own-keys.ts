/**
 * Reading and writing keys a request chose, without ever reaching a
 * prototype. A JSON body may carry any key, `__proto__`, `constructor` and
 * `prototype` included; these helpers treat every key as plain data:
 * reads see own properties only, and writes define an own property (a plain
 * `obj[key] = value` with the key `__proto__` would replace the object's
 * prototype instead).
 */
export type JsonObject = Record<string, unknown>;

/** A JSON object: not null, not an array. */
export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function hasOwn(object: object, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(object, key);
}

/** The object's own value for `key`; never one inherited from a prototype. */
export function getOwn(object: object, key: string): unknown {
  return hasOwn(object, key) ? (object as JsonObject)[key] : undefined;
}

/** Sets `key` as an own, enumerable data property, whatever the key is. */
export function setOwn(object: object, key: string, value: unknown): void {
  Object.defineProperty(object, key, { value, writable: true, enumerable: true, configurable: true });
}

/** Removes the own property `key`, if there is one. */
export function deleteOwn(object: object, key: string): void {
  if (hasOwn(object, key)) delete (object as JsonObject)[key];
}

/**
 * Structural equality of JSON values, whatever the order of object keys; a key
 * whose value is undefined counts as absent (as JSON has it). Own keys only.
 */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const bb = b as unknown[];
    return a.length === bb.length && a.every((v, i) => deepEqual(v, bb[i]));
  }
  const ka = Object.keys(a).filter((k) => (a as Record<string, unknown>)[k] !== undefined);
  const kb = Object.keys(b).filter((k) => (b as Record<string, unknown>)[k] !== undefined);
  if (ka.length !== kb.length) return false;
  return ka.every((k) => hasOwn(b, k) && deepEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}
