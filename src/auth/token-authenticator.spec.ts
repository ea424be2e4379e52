import { CsvParseError, parseCsv } from './csv';
import { bearerToken, TokenAuthenticator, TokenFileError } from './token-authenticator';

describe('parseCsv (Go encoding/csv defaults)', () => {
  it('reads quoted fields with commas, doubled quotes and newlines, skips empty lines, keeps spaces', () => {
    expect(parseCsv('a,b,c\r\n\n"x,y","say ""hi""", d ,"multi\nline"\nlast,,\n')).toEqual([
      { line: 1, fields: ['a', 'b', 'c'] },
      { line: 3, fields: ['x,y', 'say "hi"', ' d ', 'multi\nline'] },
      { line: 5, fields: ['last', '', ''] },
    ]);
  });

  it('has no comment syntax: # starts an ordinary field', () => {
    expect(parseCsv('# a comment, still, fields')).toEqual([{ line: 1, fields: ['# a comment', ' still', ' fields'] }]);
  });

  it("refuses a bare quote and an unclosed quote with Go's texts", () => {
    expect(() => parseCsv('ok,1,2\nab"c,1,2')).toThrow(new CsvParseError(2, 2, 3, 'bare " in non-quoted field'));
    expect(() => parseCsv('ok,1,2\nab"c,1,2')).toThrow('parse error on line 2, column 3: bare " in non-quoted field');
    expect(() => parseCsv('"ab"c,1,2')).toThrow('parse error on line 1, column 5: extraneous or missing " in quoted-field');
    expect(() => parseCsv('t,u,"never\nclosed')).toThrow('record on line 1; parse error on line 2, column 7: extraneous or missing " in quoted-field');
  });
});

describe('TokenAuthenticator (--token-auth-file)', () => {
  const file = 'secret-1,alice,1001,"system:masters,dev"\nsecret-2,bob,1002\n';

  it('maps each token to its user, uid and groups', () => {
    const auth = TokenAuthenticator.parse(file, 'tokens.csv');
    expect(auth.size).toBe(2);
    expect(auth.firstToken).toBe('secret-1');
    expect(auth.authenticateToken('secret-1')).toEqual({ name: 'alice', uid: '1001', groups: ['system:masters', 'dev'] });
    expect(auth.authenticateToken('secret-2')).toEqual({ name: 'bob', uid: '1002', groups: [] });
    expect(auth.authenticateToken('secret-')).toBeUndefined();
    expect(auth.authenticateToken('secret-10')).toBeUndefined();
    expect(auth.authenticateToken('')).toBeUndefined();
  });

  it("refuses a record with fewer than 3 columns with upstream's text", () => {
    expect(() => TokenAuthenticator.parse('secret-1,alice,1001\njust-a-token,alice\n', '/etc/tokens.csv')).toThrow(
      new TokenFileError("token file '/etc/tokens.csv' must have at least 3 columns (token, user name, user uid), found 2"),
    );
  });

  it('skips an empty token and lets a duplicate override, with upstream warnings', () => {
    const auth = TokenAuthenticator.parse(',nobody,0\nt,first,1\nt,second,2\n', 'f');
    expect(auth.warnings).toEqual([
      "empty token has been found in token file 'f', record number '1'",
      "duplicate token has been found in token file 'f', record number '3'",
    ]);
    expect(auth.authenticateToken('t')?.name).toBe('second');
    expect(auth.size).toBe(2);
  });

  it('answers no token for an empty file', () => {
    const auth = TokenAuthenticator.parse('\n\n', 'f');
    expect(auth.size).toBe(0);
    expect(auth.firstToken).toBeUndefined();
  });

  it('lets through a valid bearer token anywhere, nothing else but the health checks without credentials', () => {
    const auth = TokenAuthenticator.parse(file, 'f');
    expect(auth.authenticateRequest('Bearer secret-2', '/api/v1/pods')).toEqual({ authenticated: true, user: { name: 'bob', uid: '1002', groups: [] } });
    expect(auth.authenticateRequest(undefined, '/api/v1/pods')).toEqual({ authenticated: false, reason: 'no credentials' });
    expect(auth.authenticateRequest('Bearer nope', '/api/v1/pods')).toEqual({ authenticated: false, reason: 'invalid bearer token' });
    expect(auth.authenticateRequest(undefined, '/healthz')).toEqual({ authenticated: true, anonymous: true });
    expect(auth.authenticateRequest('Basic YTpi', '/readyz')).toEqual({ authenticated: true, anonymous: true });
    // An invalid token is refused even where anonymous requests are let through, as upstream.
    expect(auth.authenticateRequest('Bearer nope', '/livez')).toEqual({ authenticated: false, reason: 'invalid bearer token' });
    expect(auth.authenticateRequest(undefined, '/healthz/')).toEqual({ authenticated: false, reason: 'no credentials' });
    expect(auth.authenticateRequest(undefined, '/docs')).toEqual({ authenticated: false, reason: 'no credentials' });
  });
});

describe('bearerToken (the Authorization header as upstream reads it)', () => {
  it.each([
    ['Bearer abc', 'abc'],
    ['bearer abc', 'abc'],
    ['BEARER abc', 'abc'],
    ['  Bearer abc  ', 'abc'],
    ['Bearer abc extra', 'abc'],
    ['Bearer  abc', undefined], // two spaces: an empty token
    ['Bearer', undefined],
    ['Bearer ', undefined],
    ['Basic YWxpY2U6cHc=', undefined],
    ['', undefined],
    [undefined, undefined],
  ])('%j gives %j', (header, token) => {
    expect(bearerToken(header)).toBe(token);
  });
});
