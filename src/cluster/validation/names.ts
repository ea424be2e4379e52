import { FieldErrors } from './field-errors';
import type { NameRule } from '../store/resource-types';

/**
 * Name and label validation with the API server's rules and messages
 * (apimachinery `IsDNS1123Label`, `IsDNS1123Subdomain`, `IsDNS1035Label`,
 * `IsQualifiedName`, `IsValidLabelValue`). Each function returns the list of
 * problems; an empty list means valid.
 */

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const QUALIFIED_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

function regexError(message: string, format: string, ...examples: string[]): string {
  let text = message;
  if (examples.length) text += ` (e.g. ${examples.map((e) => `'${e}'`).join(',  or ')}, regex used for validation is '${format}')`;
  else text += ` (regex used for validation is '${format}')`;
  return text;
}

const maxLen = (n: number) => `must be no more than ${n} characters`;

export function dns1123LabelErrors(value: string): string[] {
  const errors: string[] = [];
  if (value.length > 63) errors.push(maxLen(63));
  if (!DNS1123_LABEL.test(value)) {
    errors.push(
      regexError(
        "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character",
        '[a-z0-9]([-a-z0-9]*[a-z0-9])?',
        'my-name',
        '123-abc',
      ),
    );
  }
  return errors;
}

export function dns1123SubdomainErrors(value: string): string[] {
  const errors: string[] = [];
  if (value.length > 253) errors.push(maxLen(253));
  if (!DNS1123_SUBDOMAIN.test(value)) {
    errors.push(
      regexError(
        "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character",
        '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*',
        'example.com',
      ),
    );
  }
  return errors;
}

export function dns1035LabelErrors(value: string): string[] {
  const errors: string[] = [];
  if (value.length > 63) errors.push(maxLen(63));
  if (!DNS1035_LABEL.test(value)) {
    errors.push(
      regexError(
        "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character",
        '[a-z]([-a-z0-9]*[a-z0-9])?',
        'my-name',
        'abc-123',
      ),
    );
  }
  return errors;
}

const QUALIFIED_NAME_MESSAGE =
  "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";

/** A label or annotation key: `[prefix/]name`. */
export function qualifiedNameErrors(value: string): string[] {
  const errors: string[] = [];
  const parts = value.split('/');
  let name: string;
  if (parts.length === 1) {
    name = parts[0];
  } else if (parts.length === 2) {
    const [prefix, rest] = parts;
    name = rest;
    if (prefix.length === 0) errors.push('prefix part must be non-empty');
    else for (const e of dns1123SubdomainErrors(prefix)) errors.push(`prefix part ${e}`);
  } else {
    return [
      regexError(
        `a qualified name ${QUALIFIED_NAME_MESSAGE}`,
        '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]',
        'MyName',
        'my.name',
        '123-abc',
      ) + " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')",
    ];
  }
  if (name.length === 0) errors.push('name part must be non-empty');
  else if (name.length > 63) errors.push(`name part ${maxLen(63)}`);
  if (name.length > 0 && !QUALIFIED_NAME.test(name)) {
    errors.push(
      `name part ${regexError(QUALIFIED_NAME_MESSAGE, '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]', 'MyName', 'my.name', '123-abc')}`,
    );
  }
  return errors;
}

export function labelValueErrors(value: string): string[] {
  const errors: string[] = [];
  if (value.length > 63) errors.push(maxLen(63));
  if (!LABEL_VALUE.test(value)) {
    errors.push(
      regexError(
        "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character",
        '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?',
        'MyValue',
        'my_value',
        '12345',
      ),
    );
  }
  return errors;
}

/** Validates a `metadata.labels` map into `errors`, under `field`. */
export function validateLabels(labels: unknown, field: string, errors: FieldErrors): void {
  if (labels === undefined || labels === null) return;
  if (typeof labels !== 'object' || Array.isArray(labels)) {
    errors.invalid(field, labels, 'must be a map of string keys to string values');
    return;
  }
  for (const [key, value] of Object.entries(labels as Record<string, unknown>)) {
    for (const e of qualifiedNameErrors(key)) errors.invalid(field, key, e);
    if (typeof value !== 'string') {
      errors.invalid(`${field}[${key}]`, value, 'must be a string');
      continue;
    }
    for (const e of labelValueErrors(value)) errors.invalid(field, value, e);
  }
}

/** Validates a `metadata.annotations` map: qualified keys, string values, at most 256 KiB in all. */
export function validateAnnotations(annotations: unknown, field: string, errors: FieldErrors): void {
  if (annotations === undefined || annotations === null) return;
  if (typeof annotations !== 'object' || Array.isArray(annotations)) {
    errors.invalid(field, annotations, 'must be a map of string keys to string values');
    return;
  }
  let total = 0;
  for (const [key, value] of Object.entries(annotations as Record<string, unknown>)) {
    for (const e of qualifiedNameErrors(key)) errors.invalid(field, key, e);
    if (typeof value !== 'string') errors.invalid(`${field}[${key}]`, value, 'must be a string');
    else total += key.length + value.length;
  }
  if (total > 262144) errors.add(field, 'FieldValueTooLong', undefined, 'must have at most 262144 bytes');
}

/** apimachinery's `IsValidPathSegmentName`, the rule of RBAC object names. */
export function pathSegmentNameErrors(value: string): string[] {
  if (value === '.' || value === '..') return [`may not be '${value}'`];
  return ['/', '%'].filter((c) => value.includes(c)).map((c) => `may not contain '${c}'`);
}

/** The problems of `metadata.name` under a kind's rule (`by-strategy`: none here). */
export function nameErrors(rule: NameRule, value: string): string[] {
  switch (rule) {
    case 'dns1123-subdomain':
      return dns1123SubdomainErrors(value);
    case 'dns1123-label':
      return dns1123LabelErrors(value);
    case 'path-segment':
      return pathSegmentNameErrors(value);
    case 'by-strategy':
      return [];
  }
}
