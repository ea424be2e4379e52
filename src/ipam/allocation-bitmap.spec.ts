import fc from 'fast-check';
import { Random, SeededRandom } from '../common/random';
import { AllocationBitmap, staticBandSize } from './allocation-bitmap';

/** A Random that replays fixed values, to pin scan starts exactly. */
function scripted(...values: number[]): Random {
  let i = 0;
  return {
    int: (max) => {
      const v = values[i++ % values.length];
      if (v >= max) throw new Error(`scripted value ${v} >= bound ${max}`);
      return v;
    },
    float: () => 0,
  };
}

/**
 * xorshift32 with no global lookups: under Jest each `Math.x` costs ~0.5 µs,
 * which would make the timing below measure the random source, not the scan.
 */
function xorshift(seed: number): Random {
  let x = seed | 0 || 1;
  const next = () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return x >>> 0;
  };
  return { int: (max) => (next() % max) | 0, float: () => next() / 4294967296 };
}

describe('staticBandSize', () => {
  it.each([
    // ClusterIP: whole CIDR size, size/16, cap 256 (KEP-3070 table)
    [2 ** 20, 16, 256, 256],
    [2 ** 16, 16, 256, 256],
    [2 ** 12, 16, 256, 256],
    [2 ** 10, 16, 256, 64],
    [256, 16, 256, 16],
    [64, 16, 256, 16],
    [32, 16, 256, 16],
    [16, 16, 256, 0],
    [8, 16, 256, 0],
    // NodePort: port count, size/32, cap 128 (KEP-3668)
    [2768, 32, 128, 86],
    [12768, 32, 128, 128],
    [201, 32, 128, 16],
    [17, 32, 128, 16],
    [16, 32, 128, 0],
  ])('size %d / %d capped at %d -> %d', (size, divisor, cap, expected) => {
    expect(staticBandSize(size, divisor, cap)).toBe(expected);
  });
});

describe('AllocationBitmap', () => {
  it('allocates, reports and releases single offsets', () => {
    const b = new AllocationBitmap(100, new SeededRandom(1));
    expect(b.max).toBe(100);
    expect(b.count).toBe(0);
    expect(b.allocate(5)).toBe(true);
    expect(b.allocate(5)).toBe(false);
    expect(b.has(5)).toBe(true);
    expect(b.has(6)).toBe(false);
    expect(b.count).toBe(1);
    b.release(6); // free: no-op
    b.release(-1); // outside: no-op
    b.release(100);
    b.release(1.5);
    expect(b.count).toBe(1);
    b.release(5);
    expect(b.has(5)).toBe(false);
    expect(b.count).toBe(0);
    expect(b.free).toBe(100);
  });

  it('treats an offset outside [0, max) as a programming error on allocate', () => {
    const b = new AllocationBitmap(10, new SeededRandom(1));
    expect(() => b.allocate(10)).toThrow(RangeError);
    expect(() => b.allocate(-1)).toThrow(RangeError);
    expect(() => b.allocate(0.5)).toThrow(RangeError);
    expect(b.has(10)).toBe(false);
  });

  it('takes the first free offset after a random start, wrapping inside the upper band', () => {
    // max 40, band 8: the upper band is [8, 40); start 8 + 30 = 38.
    const b = new AllocationBitmap(40, scripted(30), 8);
    b.allocate(38);
    b.allocate(39);
    expect(b.allocateNext()).toBe(8); // 38, 39 taken: wrap to the band's start, not to 0
  });

  it('uses the lower band only once the upper band is full, then reports full', () => {
    const b = new AllocationBitmap(100, new SeededRandom(3), 10);
    const upper = new Set<number>();
    for (let i = 0; i < 90; i++) upper.add(b.allocateNext()!);
    expect(upper.size).toBe(90);
    expect(Math.min(...upper)).toBe(10);
    const lower = new Set<number>();
    for (let i = 0; i < 10; i++) lower.add(b.allocateNext()!);
    expect([...lower].sort((x, y) => x - y)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(b.allocateNext()).toBeUndefined();
    expect(b.count).toBe(100);
  });

  it('with no band, scans the whole range from one random start', () => {
    const b = new AllocationBitmap(10, scripted(7));
    expect(b.allocateNext()).toBe(7);
    expect(b.allocateNext()).toBe(8);
    expect(b.allocateNext()).toBe(9);
    expect(b.allocateNext()).toBe(0);
  });

  it('gives the same sequence for the same seed', () => {
    const pick = (seed: number) => {
      const b = new AllocationBitmap(1000, new SeededRandom(seed), 64);
      return Array.from({ length: 50 }, () => b.allocateNext());
    };
    expect(pick(11)).toEqual(pick(11));
    expect(pick(11)).not.toEqual(pick(12));
  });

  it.each([1, 31, 32, 33, 63, 64, 65, 1023, 1024, 1025, 32 * 32 * 3 + 7])(
    'hands out each of %d offsets exactly once across word and summary boundaries',
    (max) => {
      const b = new AllocationBitmap(max, new SeededRandom(max), staticBandSize(max, 16, 256));
      const got = Array.from({ length: max }, () => b.allocateNext());
      expect(got.every((o) => o !== undefined && o >= 0 && o < max)).toBe(true);
      expect(new Set(got).size).toBe(max);
      expect(b.allocateNext()).toBeUndefined();
      expect([...b.offsets()]).toHaveLength(max);
    },
  );

  it('an empty bitmap is always full', () => {
    const b = new AllocationBitmap(0, new SeededRandom(1));
    expect(b.allocateNext()).toBeUndefined();
    expect(b.nextFree()).toBeUndefined();
  });

  it('finds the next free offset from a point, wrapping (next-fit)', () => {
    const b = new AllocationBitmap(70, new SeededRandom(1));
    for (let i = 0; i < 70; i++) if (i !== 3 && i !== 66) b.allocate(i);
    expect(b.nextFree(0)).toBe(3);
    expect(b.nextFree(4)).toBe(66);
    expect(b.nextFree(67)).toBe(3);
    expect(b.nextFree(70)).toBe(3); // past the end starts over
    b.allocate(3);
    b.allocate(66);
    expect(b.nextFree(10)).toBeUndefined();
  });

  it('lists taken offsets in order', () => {
    const b = new AllocationBitmap(100, new SeededRandom(1));
    for (const o of [99, 0, 31, 32, 64]) b.allocate(o);
    expect([...b.offsets()]).toEqual([0, 31, 32, 64, 99]);
  });

  it('fills a /12-sized bitmap (1,048,574 offsets) one by one in well under a second', () => {
    const max = 2 ** 20 - 2;
    const b = new AllocationBitmap(max, xorshift(42), 256);
    const start = performance.now();
    for (let i = 0; i < max; i++) b.allocateNext();
    const elapsed = performance.now() - start;
    expect(b.count).toBe(max);
    expect(b.allocateNext()).toBeUndefined();
    expect(b.byteLength).toBeLessThan(1024 * 1024);
    // Typically ~0.1 s; the bound is loose so a busy CI machine does not flake,
    // but a quadratic scan (minutes) would fail it.
    expect(elapsed).toBeLessThan(3000);
  });

  it('agrees with a model set over random operations', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 140 }),
        fc.integer({ min: 0, max: 140 }),
        fc.integer(),
        fc.array(fc.oneof(fc.constant(-1), fc.integer({ min: -2, max: 142 }).map((o) => ({ release: o }))), {
          maxLength: 300,
        }),
        (max, bandWish, seed, ops) => {
          const band = Math.min(bandWish, max);
          const b = new AllocationBitmap(max, new SeededRandom(seed), band);
          const model = new Set<number>();
          for (const op of ops) {
            if (op === -1) {
              const upperFree = max - band - [...model].filter((o) => o >= band).length;
              const got = b.allocateNext();
              if (model.size === max) {
                expect(got).toBeUndefined();
                continue;
              }
              expect(got).toBeDefined();
              expect(model.has(got!)).toBe(false);
              expect(got! >= 0 && got! < max).toBe(true);
              // the lower band is used only when the upper one is full
              if (upperFree > 0) expect(got!).toBeGreaterThanOrEqual(band);
              model.add(got!);
            } else {
              b.release(op.release);
              model.delete(op.release);
            }
            expect(b.count).toBe(model.size);
            expect(b.count + b.free).toBe(max);
          }
          expect([...b.offsets()]).toEqual([...model].sort((x, y) => x - y));
        },
      ),
    );
  });
});
