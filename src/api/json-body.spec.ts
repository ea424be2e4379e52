import { acceptsGzip } from './json-body';

describe('acceptsGzip', () => {
  it.each([
    ['gzip, deflate', true],
    ['deflate, gzip;q=0.5', true],
    ['br;q=1.0, gzip;q=0', false],
    ['*', true],
    ['*;q=0', false],
    ['*, gzip;q=0', false],
    ['gzip;q=0, *', false],
    ['identity', false],
    ['x-gzip', true],
    ['GZIP', true],
    ['', false],
    [undefined, false],
  ])('%s: %s', (header, expected) => {
    expect(acceptsGzip(header)).toBe(expected);
  });
});
