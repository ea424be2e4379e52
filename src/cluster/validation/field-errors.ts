import { DomainError, ErrorCause } from '../../common/domain-error';

/**
 * Field errors as Kubernetes' apimachinery writes them
 * (`spec.ports[0].port: Invalid value: 0: must be between 1 and 65535, inclusive`),
 * collected per object and raised as one 422 `Invalid` with one cause each.
 */
export type FieldErrorType =
  | 'FieldValueRequired'
  | 'FieldValueInvalid'
  | 'FieldValueDuplicate'
  | 'FieldValueNotSupported'
  | 'FieldValueForbidden'
  | 'FieldValueTooLong'
  | 'FieldValueTooMany'
  | 'FieldValueNotFound';

const TYPE_TEXT: Record<FieldErrorType, string> = {
  FieldValueRequired: 'Required value',
  FieldValueInvalid: 'Invalid value',
  FieldValueDuplicate: 'Duplicate value',
  FieldValueNotSupported: 'Unsupported value',
  FieldValueForbidden: 'Forbidden',
  FieldValueTooLong: 'Too long',
  FieldValueTooMany: 'Too many',
  FieldValueNotFound: 'Not found',
};

/** Types whose text leaves the offending value out, as apimachinery's `ErrorBody` does. */
const WITHOUT_VALUE = new Set<FieldErrorType>(['FieldValueRequired', 'FieldValueForbidden', 'FieldValueTooLong']);

export interface FieldError {
  field: string;
  type: FieldErrorType;
  value?: unknown;
  detail: string;
}

/** How Go's `%#v`-ish printing in apimachinery shows a value: strings quoted, numbers bare. */
export function formatFieldValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value) && value.every((v) => typeof v === 'string')) {
    return `[]string{${value.map((v) => JSON.stringify(v)).join(', ')}}`;
  }
  if (value === null || value === undefined) return 'null';
  return JSON.stringify(value);
}

/** The error without its field: `Invalid value: 0: must be between 1 and 65535, inclusive`. */
export function errorBody(error: FieldError): string {
  let text = TYPE_TEXT[error.type];
  if (!WITHOUT_VALUE.has(error.type)) text += `: ${formatFieldValue(error.value)}`;
  if (error.detail) text += `: ${error.detail}`;
  return text;
}

export function fieldErrorText(error: FieldError): string {
  return `${error.field}: ${errorBody(error)}`;
}

/** Collects the field errors of one object. */
export class FieldErrors {
  readonly list: FieldError[] = [];

  add(field: string, type: FieldErrorType, value: unknown, detail: string): void {
    this.list.push({ field, type, value, detail });
  }

  invalid(field: string, value: unknown, detail: string): void {
    this.add(field, 'FieldValueInvalid', value, detail);
  }

  required(field: string, detail = ''): void {
    this.add(field, 'FieldValueRequired', undefined, detail);
  }

  notSupported(field: string, value: unknown, supported: readonly string[]): void {
    this.add(field, 'FieldValueNotSupported', value, `supported values: ${supported.map((s) => JSON.stringify(s)).join(', ')}`);
  }

  duplicate(field: string, value: unknown): void {
    this.add(field, 'FieldValueDuplicate', value, '');
  }

  forbidden(field: string, detail: string): void {
    this.add(field, 'FieldValueForbidden', undefined, detail);
  }

  get empty(): boolean {
    return this.list.length === 0;
  }

  /** Throws the 422 `Invalid` error for `Kind "name"` when any error was collected. */
  throwIfAny(kind: string, name: string): void {
    if (!this.empty) throw invalidObject(kind, name, this.list);
  }
}

/**
 * One value outside `supported` (a query parameter, a request field), as a
 * 422 of its own: `format: Unsupported value: "yaml": supported values: "json", "text"`.
 */
export function unsupportedValue(field: string, value: unknown, supported: readonly string[]): DomainError {
  const errors = new FieldErrors();
  errors.notSupported(field, value, supported);
  return new DomainError('INVALID', fieldErrorText(errors.list[0]), { field, causeReason: 'FieldValueNotSupported' });
}

/** `Service "web" is invalid: <one error>` or `... is invalid: [<e1>, <e2>]`, as the API server says it. */
export function invalidObject(kind: string, name: string, errors: FieldError[]): DomainError {
  const texts = errors.map(fieldErrorText);
  const summary = texts.length === 1 ? texts[0] : `[${texts.join(', ')}]`;
  const causes: ErrorCause[] = errors.map((e) => ({ reason: e.type, message: errorBody(e), field: e.field }));
  return new DomainError('INVALID', `${kind} "${name}" is invalid: ${summary}`, { kind, name, causes });
}
