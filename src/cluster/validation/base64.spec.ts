import { base64ErrorOffset } from './base64';

describe('base64ErrorOffset (Go StdEncoding offsets)', () => {
  it.each([
    ['', undefined],
    ['aGVsbG8=', undefined],
    ['aGVsbA==', undefined],
    ['aGVs\nbG8=', undefined],
    ['aGVsbG8', 4],
    ['abc', 0],
    ['ab!d', 2],
    ['hello world', 5],
    ['a===', 1],
    ['aGVsbG8=x', 8],
    ['aG=x', 3],
  ])('%j -> %j', (text, offset) => {
    expect(base64ErrorOffset(text)).toBe(offset);
  });
});
