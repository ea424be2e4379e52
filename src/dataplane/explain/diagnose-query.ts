/**
 * The query of `GET /netsim/v1/diagnose`, read and checked: `from` and `to`
 * as `POST /netsim/v1/traffic` takes them (an outside client is written
 * `external/IP` in a query, or as the JSON `{"external": "IP"}`), an optional
 * `protocol`, and the answer's form (`format=json|text`, or `Accept:
 * text/plain`). A bad value is a 422 naming the field; nothing is sent.
 */
import { DomainError } from '../../common/domain-error';
import { tryParseIPv4 } from '../../common/ipv4';
import type { TrafficProtocol } from '../traffic';
import type { DiagnoseRequest } from './diagnose';

export interface DiagnoseQuery {
  from?: unknown;
  to?: unknown;
  protocol?: unknown;
  format?: unknown;
}

const PROTOCOLS: readonly TrafficProtocol[] = ['tcp', 'udp', 'sctp'];
const MAX_LENGTH = 512;

function required(field: string, value: unknown): string {
  if (value === undefined || value === '') throw new DomainError('INVALID', `${field}: Required value`, { field, causeReason: 'FieldValueRequired' });
  if (typeof value !== 'string') throw new DomainError('INVALID', `${field}: Invalid value: must be given once`, { field });
  if (value.length > MAX_LENGTH) throw new DomainError('INVALID', `${field}: Too long: must have at most ${MAX_LENGTH} bytes`, { field, causeReason: 'FieldValueTooLong' });
  return value;
}

function source(text: string): DiagnoseRequest['from'] {
  const invalid = () =>
    new DomainError('INVALID', `from: Invalid value: ${JSON.stringify(text)}: must be pod/NAMESPACE/NAME, node/NAME or external/IP`, { field: 'from' });
  if (/^(pod\/[^/\s]+\/[^/\s]+|node\/[^/\s]+)$/.test(text)) return text;
  const external = /^external\/(.+)$/.exec(text)?.[1] ?? (text.startsWith('{') ? jsonExternal(text) : undefined);
  if (external === undefined) throw invalid();
  if (tryParseIPv4(external) === undefined) throw new DomainError('INVALID', `from.external: Invalid value: ${JSON.stringify(external)}: must be an IPv4 address`, { field: 'from.external' });
  return { external };
}

function jsonExternal(text: string): string | undefined {
  try {
    const value = JSON.parse(text) as unknown;
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
    const keys = Object.keys(value);
    const external = (value as { external?: unknown }).external;
    return keys.length === 1 && keys[0] === 'external' && typeof external === 'string' ? external : undefined;
  } catch {
    return undefined;
  }
}

/** The request, or a 422 naming the first bad field. */
export function readDiagnoseQuery(query: DiagnoseQuery): DiagnoseRequest {
  const from = source(required('from', query.from));
  const to = required('to', query.to);
  let protocol: TrafficProtocol | undefined;
  if (query.protocol !== undefined && query.protocol !== '') {
    if (!PROTOCOLS.includes(query.protocol as TrafficProtocol)) {
      throw new DomainError('INVALID', `protocol: Unsupported value: ${JSON.stringify(query.protocol)}: supported values: "sctp", "tcp", "udp"`, {
        field: 'protocol',
        causeReason: 'FieldValueNotSupported',
      });
    }
    protocol = query.protocol as TrafficProtocol;
  }
  return { from, to, ...(protocol ? { protocol } : {}) };
}

/** `json` or `text`: `format` first, then whether the client accepts text/plain and not JSON. */
export function diagnoseFormat(format: unknown, accept: string | undefined): 'json' | 'text' {
  if (format === 'json' || format === 'text') return format;
  if (format !== undefined && format !== '') {
    throw new DomainError('INVALID', `format: Unsupported value: ${JSON.stringify(format)}: supported values: "json", "text"`, {
      field: 'format',
      causeReason: 'FieldValueNotSupported',
    });
  }
  const types = (accept ?? '').split(',').map((t) => t.split(';')[0].trim().toLowerCase());
  return types.includes('text/plain') && !types.includes('application/json') ? 'text' : 'json';
}
