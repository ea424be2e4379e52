import fc from 'fast-check';
import { stringifyInSlices } from './json-in-slices';

/** A yield that only counts: the slices run back to back. */
function counting() {
  const counter = { turns: 0, yieldTo: async () => void counter.turns++ };
  return counter;
}

describe('stringifyInSlices', () => {
  it('gives the text JSON.stringify gives, for any JSON value, cut anywhere', async () => {
    await fc.assert(
      fc.asyncProperty(fc.jsonValue({ maxDepth: 6 }), async (value) => {
        expect(await stringifyInSlices(value, { sliceMs: 0, yieldTo: counting().yieldTo })).toBe(JSON.stringify(value));
      }),
      { numRuns: 300 },
    );
  });

  it('leaves out what JSON leaves out, as JSON.stringify does: undefined and functions in objects, null in arrays, toJSON honoured', async () => {
    const value = {
      a: undefined,
      b: () => 1,
      c: [undefined, () => 1, Symbol('s'), 1],
      d: new Date(Date.UTC(2026, 0, 1)),
      e: { toJSON: () => 'custom' },
      f: [NaN, Infinity, -0],
      '1': 'integer keys come first',
      wide: Object.fromEntries(Array.from({ length: 600 }, (_, i) => [`k${i}`, i % 7 === 0 ? undefined : `v${i}`])),
      list: Array.from({ length: 600 }, (_, i) => (i % 5 === 0 ? undefined : { i, nested: { deeper: [i] } })),
    };
    expect(await stringifyInSlices(value, { sliceMs: 0, yieldTo: counting().yieldTo })).toBe(JSON.stringify(value));
    expect(await stringifyInSlices(undefined)).toBeUndefined();
    const bare = Object.assign(Object.create(null) as Record<string, string>, { constructor: 'x', __proto__: 'y' });
    expect(await stringifyInSlices(bare)).toBe(JSON.stringify(bare));
  });

  it('gives the event loop a turn between slices of a large answer (a 60,000-key ConfigMap, a list of many objects)', async () => {
    const configMap = { kind: 'ConfigMap', metadata: { name: 'big' }, data: Object.fromEntries(Array.from({ length: 60_000 }, (_, i) => [`key-${i}`, `value-${i}`])) };
    const wide = counting();
    expect(await stringifyInSlices(configMap, { sliceMs: 0, yieldTo: wide.yieldTo })).toBe(JSON.stringify(configMap));
    // Every 32 pieces with a zero slice: about two pieces per key.
    expect(wide.turns).toBeGreaterThan(60_000 / 32);

    const data = Object.fromEntries(Array.from({ length: 3_000 }, (_, i) => [`key-${i}`, `value-${i}`]));
    const list = { kind: 'ConfigMapList', items: Array.from({ length: 20 }, (_, i) => ({ metadata: { name: `c${i}` }, data })) };
    const items = counting();
    expect(await stringifyInSlices(list, { sliceMs: 0, yieldTo: items.yieldTo })).toBe(JSON.stringify(list));
    // An item's wide map (depth 3) is taken apart too.
    expect(items.turns).toBeGreaterThan((20 * 3_000 * 2) / 32);
  });

  it('makes a small answer without giving way', async () => {
    const slices = counting();
    const service = { kind: 'Service', metadata: { name: 'web', labels: { app: 'web' } }, spec: { ports: [{ port: 80 }] } };
    expect(await stringifyInSlices(service, { sliceMs: 1000, yieldTo: slices.yieldTo })).toBe(JSON.stringify(service));
    expect(slices.turns).toBe(0);
  });
});
