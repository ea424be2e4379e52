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

/** Rough bytes of an object or array header, and of one property slot, in V8. */
const OBJECT_BYTES = 32;
const SLOT_BYTES = 8;

function measureValue(value: unknown): number {
  return typeof value === 'string' ? SLOT_BYTES + value.length : SLOT_BYTES;
}

/**
 * `deepFreeze`, returning an estimate of the bytes it froze: the parts of the
 * graph that were new (not frozen before), counting their strings at one byte
 * a character. A stored object's new version shares its unchanged parts with
 * the one before, so this is about what keeping the version costs (strings
 * that are shared still count, so it errs on the high side).
 */
export function freezeMeasured(value: unknown): number {
  if (typeof value !== 'object' || value === null) return measureValue(value);
  if (Object.isFrozen(value)) return SLOT_BYTES;
  Object.freeze(value);
  let bytes = OBJECT_BYTES;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) bytes += freezeMeasured(value[i]);
  } else {
    for (const key in value) bytes += key.length + freezeMeasured((value as Record<string, unknown>)[key]);
  }
  return bytes;
}

/** The same estimate for a whole graph, frozen parts included. */
export function estimateBytes(value: unknown): number {
  if (typeof value !== 'object' || value === null) return measureValue(value);
  let bytes = OBJECT_BYTES;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) bytes += estimateBytes(value[i]);
  } else {
    for (const key in value) bytes += key.length + estimateBytes((value as Record<string, unknown>)[key]);
  }
  return bytes;
}
