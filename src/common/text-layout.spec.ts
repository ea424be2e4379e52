import { length, percent, wrap } from './text-layout';

describe('wrap', () => {
  it('breaks at spaces within the width, hanging lines indented', () => {
    expect(wrap('aaa bbb ccc', 7, '', '  ')).toEqual(['aaa bbb', '  ccc']);
    expect(wrap('', 10, '  ')).toEqual(['']);
    expect(wrap('a  b', 10)).toEqual(['a b']);
  });

  it('moves a word that fits on a line of its own to the next line, whole', () => {
    expect(wrap('pod default/web-0 on kind-worker', 20, '', '  ')).toEqual(['pod default/web-0 on', '  kind-worker']);
  });

  it('breaks a word longer than a line after a / - . , or :, not inside a name part', () => {
    expect(wrap('to service/kube-system/a-very-long-name:53', 20, '', '   ')).toEqual(['to service/kube-', '   system/a-very-', '   long-name:53']);
    expect(wrap('web.default.svc.cluster.local', 12)).toEqual(['web.default.', 'svc.cluster.', 'local']);
    for (const line of wrap('x'.repeat(30) + '.' + 'y'.repeat(30), 16, '> ', '> ')) expect(length(line)).toBeLessThanOrEqual(16);
  });

  it('cuts a word with no separator where the line ends', () => {
    expect(wrap('abcdefghij', 4, '> ', '> ')).toEqual(['> ab', '> cd', '> ef', '> gh', '> ij']);
    expect(wrap('ab cdefghij', 5)).toEqual(['ab', 'cdefg', 'hij']);
  });
});

describe('percent', () => {
  it('gives two decimals, two significant digits below 0.01 %, and 0% for none', () => {
    expect(percent(1)).toBe('100.00%');
    expect(percent(1 / 3)).toBe('33.33%');
    expect(percent(0.0001)).toBe('0.01%');
    expect(percent(0.00001234)).toBe('0.0012%');
    expect(percent(0)).toBe('0%');
  });
});

describe('length', () => {
  it('counts code points, not UTF-16 units', () => {
    expect(length('a→b')).toBe(3);
    expect(length('𝔸')).toBe(1);
  });
});
