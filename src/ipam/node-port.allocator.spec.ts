import fc from 'fast-check';
import { SeededRandom } from '../common/random';
import { NodePortAllocator, parsePortRange } from './node-port.allocator';
import { refusalOf as thrown } from '../../test/support/common/domain-error';

const create = (range = '30000-32767', seed = 1) => NodePortAllocator.create(range, new SeededRandom(seed));

describe('parsePortRange', () => {
  it.each([
    ['30000-32767', { base: 30000, size: 2768 }],
    ['30000+2767', { base: 30000, size: 2768 }],
    [' 30000-32767 ', { base: 30000, size: 2768 }],
    ['30080', { base: 30080, size: 1 }],
    ['1-65535', { base: 1, size: 65535 }],
  ])('reads %p', (text, expected) => {
    expect(parsePortRange(text)).toEqual(expected);
  });

  it.each([
    ['', 'unable to parse port range: '],
    ['abc', 'unable to parse port range: abc'],
    ['30000-', 'unable to parse port range: 30000-'],
    ['-1', 'unable to parse port range: -1'],
    ['1-2-3', 'unable to parse port range: 1-2-3'],
    ['30000+-5', 'unable to parse port range: 30000+-5'],
    ['0x10-0x20', 'unable to parse port range: 0x10-0x20'],
    ['30000-70000', 'the port range cannot be greater than 65535: 30000-70000'],
    ['65000+1000', 'the port range cannot be greater than 65535: 65000+1000'],
    ['32767-30000', 'end port cannot be less than start port: 32767-30000'],
    ['0-100', 'the port range must start at port 1 or above: 0-100'],
  ])('refuses %p', (text, message) => {
    expect(thrown(() => parsePortRange(text))).toMatchObject({ code: 'INVALID', message });
  });
});

describe('NodePortAllocator', () => {
  it('has a static band of 30000-30085 in the default range', () => {
    expect(create().stats()).toEqual({
      kind: 'NodePort',
      range: '30000-32767',
      size: 2768,
      used: 0,
      free: 2768,
      staticBand: { first: '30000', last: '30085', size: 86 },
    });
  });

  it.each([
    ['20000-32767', { first: '20000', last: '20127', size: 128 }],
    ['30000+200', { first: '30000', last: '30015', size: 16 }],
    ['30000-30015', null],
  ])('computes the KEP-3668 band of %s', (range, staticBand) => {
    expect(create(range).stats().staticBand).toEqual(staticBand);
  });

  it('hands out 30086-32767 first, then the static band, then is full', () => {
    const a = create('30000-32767', 3);
    const upper = Array.from({ length: 2682 }, () => a.allocateNext());
    expect(new Set(upper).size).toBe(2682);
    expect(Math.min(...upper)).toBe(30086);
    expect(Math.max(...upper)).toBe(32767);
    const lower = Array.from({ length: 86 }, () => a.allocateNext()).sort((x, y) => x - y);
    expect(lower).toEqual(Array.from({ length: 86 }, (_, i) => 30000 + i));
    expect(thrown(() => a.allocateNext())).toMatchObject({ code: 'RANGE_FULL', message: 'range is full' });
  });

  it('gives the same sequence for the same seed', () => {
    const picks = (seed: number) => {
      const a = create('30000-32767', seed);
      return Array.from({ length: 20 }, () => a.allocateNext());
    };
    expect(picks(77)).toEqual(picks(77));
    expect(picks(77)).not.toEqual(picks(78));
  });

  it('accepts requested ports anywhere in the range', () => {
    const a = create();
    for (const port of [30000, 30085, 30086, 32767]) a.allocate(port);
    expect(a.has(30085)).toBe(true);
    expect(a.allocated()).toEqual([30000, 30085, 30086, 32767]);
  });

  it('refuses a taken port', () => {
    const a = create();
    a.allocate(30080);
    expect(thrown(() => a.allocate(30080))).toMatchObject({
      code: 'PORT_ALREADY_ALLOCATED',
      message: 'provided port is already allocated',
    });
  });

  it.each([29999, 32768, 80, 0, -1, 70000])('refuses port %d as out of range', (port) => {
    expect(thrown(() => create().allocate(port))).toMatchObject({
      code: 'PORT_NOT_IN_RANGE',
      message: 'provided port is not in the valid range. The range of valid ports is 30000-32767',
    });
  });

  it('prints a base+offset range as base-last in errors', () => {
    expect(thrown(() => create('30000+99').allocate(1)).message).toBe(
      'provided port is not in the valid range. The range of valid ports is 30000-30099',
    );
  });

  it('refuses a port that is not a whole number as INVALID', () => {
    expect(thrown(() => create().allocate(30000.5)).code).toBe('INVALID');
    expect(thrown(() => create().allocate(Number.NaN)).code).toBe('INVALID');
  });

  it('treats releasing a free or outside port as a no-op', () => {
    const a = create();
    a.allocate(31000);
    a.release(31001);
    a.release(80);
    a.release(Number.NaN);
    expect(a.stats().used).toBe(1);
    a.release(31000);
    expect(a.stats()).toMatchObject({ used: 0, free: 2768 });
  });

  it('never holds a port twice in a small range and keeps used + free == size', () => {
    type Op = { kind: 'next' } | { kind: 'take' | 'release'; port: number };
    const range = '30000-30040';
    const ops = fc.array(
      fc.oneof(
        fc.constant<Op>({ kind: 'next' }),
        fc.record({ kind: fc.constantFrom<'take' | 'release'>('take', 'release'), port: fc.integer({ min: 29998, max: 30042 }) }),
      ),
      { maxLength: 150 },
    );
    fc.assert(
      fc.property(fc.integer(), ops, (seed, sequence) => {
        const a = create(range, seed);
        const model = new Set<number>();
        for (const op of sequence) {
          if (op.kind === 'next') {
            if (model.size === 41) {
              expect(thrown(() => a.allocateNext()).code).toBe('RANGE_FULL');
              continue;
            }
            const upperFree = [...Array(41 - 16).keys()].some((i) => !model.has(30016 + i));
            const port = a.allocateNext();
            expect(model.has(port)).toBe(false);
            expect(port >= 30000 && port <= 30040).toBe(true);
            if (upperFree) expect(port).toBeGreaterThanOrEqual(30016);
            model.add(port);
          } else if (op.kind === 'release') {
            a.release(op.port);
            model.delete(op.port);
          } else if (op.port < 30000 || op.port > 30040) {
            expect(thrown(() => a.allocate(op.port)).code).toBe('PORT_NOT_IN_RANGE');
          } else if (model.has(op.port)) {
            expect(thrown(() => a.allocate(op.port)).code).toBe('PORT_ALREADY_ALLOCATED');
          } else {
            a.allocate(op.port);
            model.add(op.port);
          }
          const stats = a.stats();
          expect(stats.used).toBe(model.size);
          expect(stats.used + stats.free).toBe(stats.size);
        }
        expect(a.allocated()).toEqual([...model].sort((x, y) => x - y));
      }),
    );
  });
});
