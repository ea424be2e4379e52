/**
 * A stand-in that always acts as `current()` does now: every property read,
 * method call and write goes to whatever object `current()` returns at that
 * moment (methods run with that object as `this`). For holders that were
 * handed an object once (the Nest shell's injected cluster) when the object
 * itself can be replaced (a snapshot restored, a reset).
 */
export function followCurrent<T extends object>(current: () => T): T {
  return new Proxy(current(), {
    get: (_initial, key) => {
      const target = current();
      const value: unknown = Reflect.get(target, key, target);
      // A method of its class runs on the current object; a function set on the object itself (an
      // arrow function, a test's spy) is handed back as it is, so that it stays the same function.
      if (typeof value !== 'function' || Object.prototype.hasOwnProperty.call(target, key)) return value;
      return (value as (...args: unknown[]) => unknown).bind(target);
    },
    set: (_initial, key, value) => Reflect.set(current(), key, value),
    has: (_initial, key) => Reflect.has(current(), key),
  });
}
