/**
 * The query of `GET /netsim/v1/diagnose`, read and checked: `from` and `to`
 * as `POST /netsim/v1/traffic` takes them (an outside client is written
 * `external/IP` in a query, or as the JSON `{"external": "IP"}`). A bad
 * value is a 422 naming the field; nothing is sent. The protocol and the
 * answer's form are the HTTP shell's (choiceParam, negotiateFormat).
 */
import { DomainError } from '../../common/domain-error';
import { parseTrafficSource } from '../traffic-source';
import type { DiagnoseRequest } from './diagnose';

export interface DiagnoseQuery {
  from?: unknown;
  to?: unknown;
}

const MAX_LENGTH = 512;

function required(field: string, value: unknown): string {
  if (value === undefined || value === '') throw new DomainError('INVALID', `${field}: Required value`, { field, causeReason: 'FieldValueRequired' });
  if (typeof value !== 'string') throw new DomainError('INVALID', `${field}: Invalid value: must be given once`, { field });
  if (value.length > MAX_LENGTH) throw new DomainError('INVALID', `${field}: Too long: must have at most ${MAX_LENGTH} bytes`, { field, causeReason: 'FieldValueTooLong' });
  return value;
}

/** The JSON form `{"external": "IP"}` as a query value, decoded; any other text as it is. */
function decoded(text: string): unknown {
  if (!text.startsWith('{')) return text;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

function source(text: string): DiagnoseRequest['from'] {
  const parsed = parseTrafficSource(decoded(text));
  return parsed.kind === 'external' ? { external: parsed.text } : text;
}

/** `from` and `to`, or a 422 naming the first bad field. */
export function readDiagnoseQuery(query: DiagnoseQuery): Omit<DiagnoseRequest, 'protocol'> {
  const from = source(required('from', query.from));
  const to = required('to', query.to);
  return { from, to };
}
