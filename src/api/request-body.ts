import { DomainError } from '../common/domain-error';
import { MAX_NESTING_DEPTH } from '../common/limits';

/**
 * Where `text`, read as JSON, first nests deeper than `max` levels of
 * objects and arrays (the character offset of the opening bracket), or -1.
 * One pass, no recursion; brackets inside strings do not count.
 */
export function jsonNestingExceeded(text: string, max = MAX_NESTING_DEPTH): number {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c /* \ */) i++;
      else if (c === 0x22 /* " */) inString = false;
      continue;
    }
    if (c === 0x22) inString = true;
    else if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
      if (++depth > max) return i;
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) depth--;
  }
  return -1;
}

/** The error for a body nested too deeply, for JSON and YAML alike. */
export function tooDeep(offset: number, max = MAX_NESTING_DEPTH): DomainError {
  return new DomainError('BAD_REQUEST', `the request body nests deeper than ${max} levels (at offset ${offset}): the nesting limit is ${max}`);
}

/**
 * A JSON request body: `undefined` when empty, else the parsed value. A body
 * nested deeper than the limit is refused before it is parsed; malformed JSON
 * is 400 with the parser's text.
 */
export function parseJsonBody(body: string | Buffer): unknown {
  const text = typeof body === 'string' ? body : body.toString('utf8');
  if (text.trim() === '') return undefined;
  const deep = jsonNestingExceeded(text);
  if (deep >= 0) throw tooDeep(deep);
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new DomainError('BAD_REQUEST', (e as Error).message);
  }
}
