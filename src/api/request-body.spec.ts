import { jsonNestingExceeded } from '../common/limits';
import { parseJsonBody } from './request-body';

describe('jsonNestingExceeded', () => {
  it('finds where JSON first nests deeper than the limit', () => {
    expect(jsonNestingExceeded('{"a":[1,{"b":2}]}', 3)).toBe(-1);
    expect(jsonNestingExceeded('{"a":[1,{"b":[2]}]}', 3)).toBe(13);
  });

  it('does not count brackets inside strings, escaped quotes included', () => {
    expect(jsonNestingExceeded('{"a":"[[[[\\"[[[["}', 1)).toBe(-1);
  });

  it('counts depth, not brackets: siblings do not add up', () => {
    expect(jsonNestingExceeded('[[],[],[],[]]', 2)).toBe(-1);
  });
});

describe('parseJsonBody', () => {
  it('parses JSON and reads an empty body as no body', () => {
    expect(parseJsonBody('{"a":1}')).toEqual({ a: 1 });
    expect(parseJsonBody(Buffer.from('  '))).toBeUndefined();
  });

  it('refuses a body nested deeper than 100 levels before parsing it', () => {
    const deep = '['.repeat(101) + ']'.repeat(101);
    expect(() => parseJsonBody(deep)).toThrow('the request body nests deeper than 100 levels (at offset 100): the nesting limit is 100');
    expect(parseJsonBody('['.repeat(100) + ']'.repeat(100))).toBeDefined();
  });

  it('answers malformed JSON with the parser\'s text as a 400', () => {
    expect(() => parseJsonBody('{"a":')).toThrow(expect.objectContaining({ code: 'BAD_REQUEST' }));
  });
});
