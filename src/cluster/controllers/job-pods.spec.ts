import { formatIndexes, generateNameWithIndex, parseIndexes, remainingBackoffMs } from './job-pods';

describe('job pods', () => {
  it('completed indexes print as ranges and parse back, within completions', () => {
    expect(formatIndexes([4, 0, 2, 1, 7, 8, 9])).toBe('0-2,4,7-9');
    expect(formatIndexes([])).toBe('');
    expect(formatIndexes([3, 4, 6])).toBe('3,4,6'); // two in a row are a pair, not a range, as upstream prints them
    expect([...parseIndexes('0-2,4,7-9', 8)]).toEqual([0, 1, 2, 4, 7]);
  });

  it('the back-off is 10 s after the last failure, doubled per failure, capped at 10 min', () => {
    expect(remainingBackoffMs({ failuresAfterLastSuccess: 0 }, 0)).toBe(0);
    expect(remainingBackoffMs({ failuresAfterLastSuccess: 1, lastFailureTime: 0 }, 3_000)).toBe(7_000);
    expect(remainingBackoffMs({ failuresAfterLastSuccess: 3, lastFailureTime: 0 }, 0)).toBe(40_000);
    expect(remainingBackoffMs({ failuresAfterLastSuccess: 7, lastFailureTime: 0 }, 0)).toBe(600_000);
    expect(remainingBackoffMs({ failuresAfterLastSuccess: 30, lastFailureTime: 0 }, 0)).toBe(600_000);
    expect(remainingBackoffMs({ failuresAfterLastSuccess: 2, lastFailureTime: 0 }, 25_000)).toBe(0);
  });

  it('an indexed pod is named <job>-<index>-, the job name cut to stay within 58 characters', () => {
    expect(generateNameWithIndex('pi', 3)).toBe('pi-3-');
    const long = 'x'.repeat(60);
    expect(generateNameWithIndex(long, 12)).toBe(`${'x'.repeat(54)}-12-`);
  });
});
