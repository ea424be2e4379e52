import fc from 'fast-check';

/**
 * Values a careless or hostile client sends in place of the right one: every
 * JSON type, edge numbers, long and non-ASCII strings, and the keys that reach
 * a prototype when an object is walked by a key the input chose.
 */

export const PROTOTYPE_KEYS = ['__proto__', 'constructor', 'prototype'] as const;
/** Names an object inherits, which Kubernetes allows as label keys. */
export const INHERITED_NAMES = ['constructor', 'toString', 'hasOwnProperty', 'valueOf', '__proto__'] as const;

export const hugeNumbers = fc.constantFrom(
  Number.MAX_SAFE_INTEGER + 2,
  -Number.MAX_SAFE_INTEGER - 2,
  1e308,
  -1e308,
  5e-324,
  2 ** 31,
  2 ** 32,
  2 ** 63,
  -(2 ** 63),
  0.5,
  -0,
);

/** Numbers as JSON text that JSON.stringify cannot produce. */
export const hugeNumberLiterals = fc.constantFrom('1e999999', '-1e999999', '123456789012345678901234567890123456789', '0.0000000000000000000000000000001', '1E+400', '-0.0e-0');

export const oddStrings = fc.oneof(
  fc.constantFrom('', ' ', 'NaN', 'Infinity', 'null', 'true', '0x10', '1e3', '-1', '\u0000', '\ud800', 'é', '日本語', '../..', '%00', '${x}', '<script>', 'a\nb', 'UPPER', '-leading', 'trailing-'),
  fc.constantFrom(...PROTOTYPE_KEYS, ...INHERITED_NAMES),
  fc.constantFrom(253, 254, 1000, 70000).map((n) => 'a'.repeat(n)),
  fc.string({ maxLength: 20 }),
  fc.string({ unit: 'binary', maxLength: 12 }),
);

/** Any JSON value, small. */
export const anyValue: fc.Arbitrary<unknown> = fc.oneof(
  { depthSize: 'small' },
  fc.constant(null),
  fc.boolean(),
  fc.integer({ min: -5, max: 70000 }),
  hugeNumbers,
  oddStrings,
  fc.constant([]),
  fc.constant({}),
  fc.array(fc.oneof(fc.constant(null), fc.integer(), fc.string({ maxLength: 5 })), { maxLength: 3 }),
  fc.dictionary(fc.oneof(fc.string({ maxLength: 6 }), fc.constantFrom(...PROTOTYPE_KEYS)), fc.oneof(fc.integer(), fc.string({ maxLength: 5 })), { maxKeys: 3 }),
);

/** Sets `key` as an own property, even `__proto__`, so that JSON.stringify writes it. */
export function defineKey(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

/** Every path to an object or array inside `value` (the root included). */
export function containerPaths(value: unknown, path: (string | number)[] = [], out: (string | number)[][] = []): (string | number)[][] {
  if (typeof value !== 'object' || value === null) return out;
  out.push(path);
  if (Array.isArray(value)) value.forEach((v, i) => containerPaths(v, [...path, i], out));
  else for (const [k, v] of Object.entries(value)) containerPaths(v, [...path, k], out);
  return out;
}

function at(value: unknown, path: (string | number)[]): unknown {
  let v = value as Record<string | number, unknown>;
  for (const p of path) v = v[p] as Record<string | number, unknown>;
  return v;
}

/** One change to a well-formed object. */
export type Mutation =
  | { kind: 'set'; pick: number; key: string; value: unknown }
  | { kind: 'retype'; pick: number; value: unknown }
  | { kind: 'delete'; pick: number }
  | { kind: 'proto'; pick: number; key: string; value: unknown };

export const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('set' as const), pick: fc.nat(), key: fc.oneof(fc.string({ maxLength: 8 }), fc.constantFrom('name', 'spec', 'ports', 'port', 'replicas', 'labels', 'type', '$patch', '$retainKeys')), value: anyValue }),
  fc.record({ kind: fc.constant('retype' as const), pick: fc.nat(), value: anyValue }),
  fc.record({ kind: fc.constant('delete' as const), pick: fc.nat() }),
  fc.record({
    kind: fc.constant('proto' as const),
    pick: fc.nat(),
    key: fc.constantFrom(...PROTOTYPE_KEYS),
    value: fc.oneof(fc.constant({ polluted: 'yes' }), fc.constant({ sessionAffinity: 'ClientIP' }), fc.constant('x'), fc.constant({ prototype: { polluted: 1 } })),
  }),
);

/** Applies mutations to a deep copy of `base`. */
export function mutate(base: unknown, mutations: Mutation[]): unknown {
  const copy = structuredClone(base) as Record<string, unknown>;
  let root: unknown = copy;
  for (const given of mutations) {
    // Generated values may be shared between draws (fc.constant): each mutation gets its own copy.
    const m = 'value' in given ? { ...given, value: structuredClone(given.value) } : given;
    const paths = containerPaths(root);
    if (paths.length === 0) {
      if (m.kind === 'retype') root = m.value;
      continue;
    }
    const path = paths[m.pick % paths.length];
    const target = at(root, path) as Record<string | number, unknown>;
    const keys = Object.keys(target);
    switch (m.kind) {
      case 'set':
        if (Array.isArray(target)) target.push(m.value);
        else defineKey(target, m.key, m.value);
        break;
      case 'retype': {
        if (path.length === 0) {
          root = m.value;
          break;
        }
        const parent = at(root, path.slice(0, -1)) as Record<string | number, unknown>;
        parent[path[path.length - 1]] = m.value;
        break;
      }
      case 'delete':
        if (keys.length) {
          if (Array.isArray(target)) target.splice(m.pick % keys.length, 1);
          else delete target[keys[m.pick % keys.length]];
        }
        break;
      case 'proto':
        if (!Array.isArray(target)) defineKey(target, m.key, m.value);
        break;
    }
  }
  return root;
}

/** A JSON document nested `depth` levels, built as text (no recursion). */
export function deepJsonText(depth: number, shape: 'object' | 'array', leaf = '1'): string {
  return shape === 'object' ? '{"a":'.repeat(depth) + leaf + '}'.repeat(depth) : '['.repeat(depth) + leaf + ']'.repeat(depth);
}

/** Puts a deep document as the value of `key` in the JSON text of `base`. */
export function withDeepValue(base: object, key: string, depth: number, shape: 'object' | 'array'): string {
  const marker = '"__deep_marker__"';
  return JSON.stringify({ ...base, [key]: '__deep_marker__' }).replace(marker, deepJsonText(depth, shape));
}

export const depths = fc.constantFrom(64, 200, 1000, 5000, 12000);
