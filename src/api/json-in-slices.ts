import { nextTurn } from '../common/next-turn';

/**
 * JSON text of an answer, made in slices with the event loop free between
 * them. `JSON.stringify` of a 3 MiB ConfigMap, or of a list of 20,000 pods,
 * is one block of 40 to 400 ms; here the outer levels of the value are taken
 * apart, their entries serialised one by one (each natively), and every
 * `sliceMs` the loop gets a turn. The text is the same, byte for byte, as
 * `JSON.stringify(value)` gives for JSON data (what the store keeps and the
 * API answers: objects, arrays, strings, numbers, booleans and null; a value
 * with a `toJSON` method is serialised natively, whole).
 *
 * The value must not change until the text is done: stored objects are
 * frozen, and an answer's own wrapper is built for it alone.
 */
export interface SlicedJsonOptions {
  /** The most wall time one slice may take (default 10 ms). */
  sliceMs?: number;
  /** How a slice gives way (by default the event loop's next turn). */
  yieldTo?: () => Promise<void>;
}

/** Containers down to this depth (the value itself is 0) are always taken apart: an object's fields, a list's items and theirs. */
const ALWAYS_SPLIT_DEPTH = 2;
/** Below it, down to this depth, only wide ones are (a ConfigMap's `data` in a list); deeper ones are serialised whole. */
const WIDE_SPLIT_DEPTH = 3;
/** A container with more entries than this is wide. */
const WIDE = 256;
/** How many pieces are made between two looks at the clock. */
const CHECK_EVERY = 32;

export async function stringifyInSlices(value: unknown, options: SlicedJsonOptions = {}): Promise<string | undefined> {
  const sliceMs = options.sliceMs ?? 10;
  const yieldTo = options.yieldTo ?? nextTurn;
  const out: string[] = [];
  let started = performance.now();
  let count = 0;
  for (const piece of pieces(value, 0)) {
    out.push(piece);
    if (++count % CHECK_EVERY === 0 && performance.now() - started >= sliceMs) {
      await yieldTo();
      started = performance.now();
    }
  }
  // JSON.stringify of undefined (or a function) is undefined, not text.
  return out.length === 1 && out[0] === undefined ? undefined : out.join('');
}

/** The text of `value` in pieces whose concatenation is `JSON.stringify(value)`. */
function* pieces(value: unknown, depth: number): Generator<string> {
  if (!split(value, depth)) {
    yield JSON.stringify(value);
    return;
  }
  if (Array.isArray(value)) {
    yield '[';
    for (let i = 0; i < value.length; i++) {
      if (i > 0) yield ',';
      const item: unknown = value[i];
      // In an array, what JSON has no text for (undefined, a function, a symbol) is null.
      if (omitted(item)) yield 'null';
      else yield* pieces(item, depth + 1);
    }
    yield ']';
    return;
  }
  const object = value as Record<string, unknown>;
  yield '{';
  let first = true;
  for (const key of Object.keys(object)) {
    const field = object[key];
    // In an object, a property JSON has no text for is left out.
    if (omitted(field)) continue;
    yield first ? `${JSON.stringify(key)}:` : `,${JSON.stringify(key)}:`;
    first = false;
    yield* pieces(field, depth + 1);
  }
  yield '}';
}

function omitted(value: unknown): boolean {
  return value === undefined || typeof value === 'function' || typeof value === 'symbol';
}

/** Whether `value` is taken apart at `depth`, or serialised natively, whole. */
function split(value: unknown, depth: number): boolean {
  if (typeof value !== 'object' || value === null || depth > WIDE_SPLIT_DEPTH) return false;
  if (typeof (value as { toJSON?: unknown }).toJSON === 'function') return false;
  if (depth <= ALWAYS_SPLIT_DEPTH) return true;
  return (Array.isArray(value) ? value.length : Object.keys(value).length) > WIDE;
}
