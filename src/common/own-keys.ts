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
