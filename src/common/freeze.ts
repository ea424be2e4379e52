/**
 * Freezes an object graph in place (objects already frozen are taken as
 * frozen throughout), so that a value shared between callers, such as a
 * stored object or a cached answer, cannot be changed through any of them.
 */
export function deepFreeze<T>(value: T): T {
  if (typeof value !== 'object' || value === null || Object.isFrozen(value)) return value;
  Object.freeze(value);
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) deepFreeze(value[i]);
  } else {
    for (const key in value) deepFreeze((value as Record<string, unknown>)[key]);
  }
  return value;
}
