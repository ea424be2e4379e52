import { ManualClock, microTime, timestamp } from './clock';

describe('the API server\'s time formats', () => {
  const at = Date.UTC(2026, 0, 1, 0, 5, 7, 123);

  it('a Time is RFC 3339 to the second: the milliseconds are dropped, not rounded', () => {
    expect(timestamp(at)).toBe('2026-01-01T00:05:07Z');
    expect(timestamp(Date.UTC(2026, 0, 1, 0, 5, 7, 999))).toBe('2026-01-01T00:05:07Z');
    expect(timestamp(Date.UTC(9999, 11, 31, 23, 59, 59))).toBe('9999-12-31T23:59:59Z');
  });

  it('a MicroTime has six digits of fraction', () => {
    expect(microTime(at)).toBe('2026-01-01T00:05:07.123000Z');
  });

  it('a manual clock only moves forward', () => {
    const clock = new ManualClock(at);
    clock.advance(1000);
    expect(timestamp(clock.now())).toBe('2026-01-01T00:05:08Z');
    expect(() => clock.advance(-1)).toThrow('a clock only moves forward, not by -1 ms');
  });
});
