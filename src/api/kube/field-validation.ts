import { DomainError } from '../../common/domain-error';
import { ResourceType } from '../../cluster/store/resource-types';
import { definitionOfKind, resolveRef, Schema } from './openapi-schemas';

/**
 * Server-side field validation (`?fieldValidation=Strict|Warn|Ignore`), as
 * the API server's decoder does it: fields the kind's schema does not know
 * are refused (Strict: 400 `strict decoding error: unknown field
 * "spec.foo"`), reported in a `Warning` header (Warn, the default), or
 * silently dropped (Ignore). Unknown fields never reach the store, as they
 * never reach a real cluster's.
 */
export type FieldValidation = 'Strict' | 'Warn' | 'Ignore';

export function fieldValidationOf(value: string | undefined): FieldValidation {
  if (value === undefined || value === '' || value === 'Warn') return 'Warn';
  if (value === 'Strict' || value === 'Ignore') return value;
  throw new DomainError('BAD_REQUEST', `fieldValidation must be one of "Ignore", "Warn", or "Strict", not ${JSON.stringify(value)}`);
}

function deref(schema: Schema | undefined): Schema | undefined {
  if (!schema) return undefined;
  if (schema.$ref) return resolveRef(schema.$ref);
  if (schema.allOf?.length === 1) return deref(schema.allOf[0]);
  return schema;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Removes the fields `schema` does not know from `value` (in place) and
 * returns their paths (`spec.foo`, `spec.ports[0].bar`). Keys starting with
 * `$` are strategic-merge-patch directives and are kept.
 */
function prune(value: unknown, schema: Schema | undefined, path: string, found: string[]): void {
  const s = deref(schema);
  if (!s || s['x-kubernetes-preserve-unknown-fields']) return;
  if (Array.isArray(value)) {
    if (s.items) value.forEach((item, i) => prune(item, s.items, `${path}[${i}]`, found));
    return;
  }
  if (!isObject(value)) return;
  if (s.properties) {
    for (const key of Object.keys(value)) {
      const child = path ? `${path}.${key}` : key;
      if (key.startsWith('$')) continue;
      const p = s.properties[key];
      if (!p) {
        found.push(child);
        delete value[key];
        continue;
      }
      prune(value[key], p, child, found);
    }
  } else if (s.additionalProperties) {
    // A scalar has no field to prune: its path is not spelled out (a ConfigMap's data may hold 60,000 keys).
    for (const key of Object.keys(value)) {
      const v = value[key];
      if (typeof v === 'object' && v !== null) prune(v, s.additionalProperties, `${path}[${key}]`, found);
    }
  }
}

/**
 * Applies the validation to a body (an object, or a merge patch of one) of
 * `type`: returns the warnings to send, or throws for Strict. The body loses
 * its unknown fields.
 */
export function validateFields(type: ResourceType, body: unknown, mode: FieldValidation): string[] {
  const name = definitionOfKind(type.group, type.version, type.kind);
  if (!name) return [];
  const found: string[] = [];
  prune(body, { $ref: `#/definitions/${name}` }, '', found);
  if (!found.length || mode === 'Ignore') return [];
  const unknown = found.map((f) => `unknown field ${JSON.stringify(f)}`);
  if (mode === 'Strict') {
    throw new DomainError('BAD_REQUEST', `${type.kind} in version "${type.version}" cannot be handled as a ${type.kind}: strict decoding error: ${unknown.join(', ')}`, {
      kind: type.kind,
    });
  }
  return unknown;
}

/** The `Warning` header value of one warning, as the API server writes it (RFC 7234 code 299). */
export function warningHeader(text: string): string {
  return `299 - ${JSON.stringify(text)}`;
}
