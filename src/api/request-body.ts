import { DomainError } from '../common/domain-error';
import { jsonNestingExceeded, MAX_NESTING_DEPTH } from '../common/limits';

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
