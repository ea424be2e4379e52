import { replaceInvalidUtf8Escapes } from './path-escapes';

describe('replaceInvalidUtf8Escapes', () => {
  it('replaces each byte that is not UTF-8 with the escape of U+FFFD, one per byte as Go decodes them', () => {
    expect(replaceInvalidUtf8Escapes('/api/v1/namespaces/%C0%AF')).toBe('/api/v1/namespaces/%EF%BF%BD%EF%BF%BD');
    // A 3-byte sequence cut short: its lead and its one continuation byte are each invalid alone.
    expect(replaceInvalidUtf8Escapes('/a/%E2%82%41b')).toBe('/a/%EF%BF%BD%EF%BF%BD%41b');
    // Surrogates and overlong forms are not UTF-8; past U+10FFFF neither.
    expect(replaceInvalidUtf8Escapes('/a/%ED%A0%80')).toBe('/a/%EF%BF%BD%EF%BF%BD%EF%BF%BD');
    expect(replaceInvalidUtf8Escapes('/a/%F4%90%80%80')).toBe('/a/%EF%BF%BD%EF%BF%BD%EF%BF%BD%EF%BF%BD');
    // Valid sequences beside them stay as sent, and so does the query.
    expect(replaceInvalidUtf8Escapes('/a/%C3%A9%FF%E2%82%AC?x=%C0')).toBe('/a/%C3%A9%EF%BF%BD%E2%82%AC?x=%C0');
    expect(decodeURIComponent(replaceInvalidUtf8Escapes('/api/v1/namespaces/%C0%AF'))).toBe('/api/v1/namespaces/\uFFFD\uFFFD');
  });

  it('leaves alone a path that decodes, and one with a malformed escape (which Go refuses too)', () => {
    for (const url of ['/api/v1/namespaces/default', '/api/v1/namespaces/%C3%A9t%C3%A9/services', '/api/v1/namespaces/%zz/%C0', '/n/%E0%A4%A/x', '/?q=%C0']) {
      expect(replaceInvalidUtf8Escapes(url)).toBe(url);
    }
  });
});
