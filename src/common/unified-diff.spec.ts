import { unifiedDiff } from './unified-diff';

const labels = { from: 'a', to: 'b' };
const lines = (...l: string[]) => l.join('\n') + '\n';

describe('unifiedDiff', () => {
  it('is empty for equal texts', () => {
    expect(unifiedDiff('x\ny\n', 'x\ny\n', labels)).toBe('');
  });

  it('prints what GNU diff -u prints: separate hunks with three lines of context', () => {
    const a = lines('a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k', 'l', 'm');
    const b = lines('a', 'B', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k', 'm', 'n');
    expect(unifiedDiff(a, b, labels)).toBe(
      lines('--- a', '+++ b', '@@ -1,5 +1,5 @@', ' a', '-b', '+B', ' c', ' d', ' e', '@@ -9,5 +9,5 @@', ' i', ' j', ' k', '-l', ' m', '+n'),
    );
  });

  it('merges changes whose context touches into one hunk', () => {
    const a = lines('1', '2', '3', '4', '5', '6', '7', '8');
    const b = lines('1', 'X', '3', '4', '5', '6', 'Y', '8');
    expect(unifiedDiff(a, b, labels)).toBe(lines('--- a', '+++ b', '@@ -1,8 +1,8 @@', ' 1', '-2', '+X', ' 3', ' 4', ' 5', ' 6', '-7', '+Y', ' 8'));
  });

  it('numbers an empty side as GNU diff does (0,0), and leaves out a count of 1', () => {
    expect(unifiedDiff('', 'x\n', labels)).toBe(lines('--- a', '+++ b', '@@ -0,0 +1 @@', '+x'));
    expect(unifiedDiff('x\n', '', labels)).toBe(lines('--- a', '+++ b', '@@ -1 +0,0 @@', '-x'));
  });

  it('finds a shortest script: a moved line is one deletion and one insertion', () => {
    const a = lines('k1', 'k2', 'k3', 'k4');
    const b = lines('k2', 'k3', 'k4', 'k1');
    const diff = unifiedDiff(a, b, labels).split('\n');
    expect(diff.filter((l) => /^[-+][^-+]/.test(l))).toEqual(['-k1', '+k1']);
  });

  it('past maxEdits, gives the differing middle as one replacement', () => {
    const a = lines('same', 'a1', 'a2', 'a3', 'end');
    const b = lines('same', 'b1', 'b2', 'b3', 'end');
    expect(unifiedDiff(a, b, labels, { maxEdits: 2 })).toBe(lines('--- a', '+++ b', '@@ -1,5 +1,5 @@', ' same', '-a1', '-a2', '-a3', '+b1', '+b2', '+b3', ' end'));
  });
});
