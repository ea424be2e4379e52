import { DomainError } from '../../common/domain-error';
import { KubeObject } from './types';

/**
 * `?fieldSelector=` as the API server reads it: comma-separated terms
 * `field=value`, `field==value` or `field!=value`, all of which must hold;
 * in a value, `\,`, `\=` and `\\` stand for `,`, `=` and `\`.
 *
 * Each kind accepts only its own field labels (the API server's field label
 * conversions), and anything else is a 400 with the API server's text.
 */
export interface FieldRequirement {
  field: string;
  value: string;
  negate: boolean;
}

type FieldValue = (o: KubeObject) => string;

interface KindFields {
  /** The labels a selector may name, each with the value it reads from an object. */
  fields: Record<string, FieldValue>;
  /** Old names the API server still takes, and the label they stand for. */
  aliases?: Record<string, string>;
  /** The API server's refusal of any other label. */
  reject: (label: string) => string;
}

const str = (v: unknown): string => (typeof v === 'string' ? v : '');
const at = (o: KubeObject, section: 'spec' | 'status', key: string): unknown =>
  (o[section] as Record<string, unknown> | undefined)?.[key];
const sub = (o: KubeObject, field: string, key: string): string => str((o[field] as Record<string, unknown> | undefined)?.[key]);

const NAME: FieldValue = (o) => o.metadata.name;
const NAMESPACE: FieldValue = (o) => o.metadata.namespace ?? '';
const notSupported = (label: string) => `field label not supported: ${label}`;

/** Kinds without field label conversions of their own: `metadata.name` and `metadata.namespace`, and this text. */
const METADATA_ONLY: KindFields = {
  fields: { 'metadata.name': NAME, 'metadata.namespace': NAMESPACE },
  reject: (label) => `"${label}" is not a known field selector: only "metadata.name", "metadata.namespace"`,
};

const BY_KIND: Record<string, KindFields> = {
  Pod: {
    fields: {
      'metadata.name': NAME,
      'metadata.namespace': NAMESPACE,
      'spec.nodeName': (o) => str(at(o, 'spec', 'nodeName')),
      'spec.restartPolicy': (o) => str(at(o, 'spec', 'restartPolicy')),
      'spec.schedulerName': (o) => str(at(o, 'spec', 'schedulerName')),
      'spec.serviceAccountName': (o) => str(at(o, 'spec', 'serviceAccountName')),
      'spec.hostNetwork': (o) => String(at(o, 'spec', 'hostNetwork') === true),
      'status.phase': (o) => str(at(o, 'status', 'phase')),
      'status.podIP': (o) => str((at(o, 'status', 'podIPs') as Array<{ ip?: string }> | undefined)?.[0]?.ip ?? at(o, 'status', 'podIP')),
      // Accepted, but the API server has no value for it: only `status.podIPs=` (empty) matches.
      'status.podIPs': () => '',
      'status.nominatedNodeName': (o) => str(at(o, 'status', 'nominatedNodeName')),
    },
    aliases: { 'spec.host': 'spec.nodeName' },
    reject: notSupported,
  },
  Node: {
    fields: { 'metadata.name': NAME, 'spec.unschedulable': (o) => String(at(o, 'spec', 'unschedulable') === true) },
    reject: notSupported,
  },
  Namespace: {
    fields: { 'metadata.name': NAME, 'status.phase': (o) => str(at(o, 'status', 'phase')) },
    reject: notSupported,
  },
  Service: {
    fields: {
      'metadata.name': NAME,
      'metadata.namespace': NAMESPACE,
      'spec.clusterIP': (o) => str(at(o, 'spec', 'clusterIP')),
      'spec.type': (o) => str(at(o, 'spec', 'type')),
    },
    reject: notSupported,
  },
  Secret: {
    fields: { 'metadata.name': NAME, 'metadata.namespace': NAMESPACE, type: (o) => str(o.type) },
    reject: notSupported,
  },
  ReplicationController: {
    fields: { 'metadata.name': NAME, 'metadata.namespace': NAMESPACE, 'status.replicas': (o) => String(at(o, 'status', 'replicas') ?? 0) },
    reject: notSupported,
  },
  Event: {
    fields: {
      'metadata.name': NAME,
      'metadata.namespace': NAMESPACE,
      'involvedObject.kind': (o) => sub(o, 'involvedObject', 'kind'),
      'involvedObject.namespace': (o) => sub(o, 'involvedObject', 'namespace'),
      'involvedObject.name': (o) => sub(o, 'involvedObject', 'name'),
      'involvedObject.uid': (o) => sub(o, 'involvedObject', 'uid'),
      'involvedObject.apiVersion': (o) => sub(o, 'involvedObject', 'apiVersion'),
      'involvedObject.resourceVersion': (o) => sub(o, 'involvedObject', 'resourceVersion'),
      'involvedObject.fieldPath': (o) => sub(o, 'involvedObject', 'fieldPath'),
      reason: (o) => str(o.reason),
      reportingComponent: (o) => str(o.reportingComponent),
      // The reporting component, or, for an event that names none, its reporting controller.
      source: (o) => sub(o, 'source', 'component') || str(o.reportingComponent),
      type: (o) => str(o.type),
    },
    reject: notSupported,
  },
};

function fieldsOf(kind: string): KindFields {
  return BY_KIND[kind] ?? METADATA_ONLY;
}

export class FieldSelector {
  constructor(
    readonly kind: string,
    readonly requirements: readonly FieldRequirement[],
  ) {}

  matches(object: KubeObject): boolean {
    const fields = fieldsOf(this.kind).fields;
    for (const r of this.requirements) {
      if ((fields[r.field](object) === r.value) === r.negate) return false;
    }
    return true;
  }

  /** The value required for `field` by an `=` requirement, if any (for indexed lookups). */
  equalTo(field: string): string | undefined {
    return this.requirements.find((r) => r.field === field && !r.negate)?.value;
  }
}

/** Parses `text` as a field selector on objects of `kind` (`Pod`, `Event`...). */
export function parseFieldSelector(text: string | undefined, kind: string): FieldSelector {
  const known = fieldsOf(kind);
  // As the API server: every term is parsed (terms in sorted order) before any label is checked.
  const parsed: FieldRequirement[] = [];
  for (const term of splitTerms(text ?? '').sort()) {
    if (term === '') continue;
    const split = splitTerm(term);
    if (!split) throw new DomainError('BAD_REQUEST', `invalid selector: '${text}'; can't understand '${term}'`);
    parsed.push({ field: split.lhs, value: unescapeValue(split.rhs), negate: split.op === '!=' });
  }
  const requirements = parsed.map((r) => {
    const field = known.aliases?.[r.field] ?? r.field;
    if (!Object.prototype.hasOwnProperty.call(known.fields, field)) throw new DomainError('BAD_REQUEST', known.reject(r.field));
    return { ...r, field };
  });
  return new FieldSelector(kind, requirements);
}

/** Escapes a value for a field selector (`,`, `=` and `\`), as clients do. */
export function escapeFieldValue(value: string): string {
  return value.replace(/[\\,=]/g, (c) => `\\${c}`);
}

/** Splits at commas that no backslash escapes; the escapes stay in the terms. */
function splitTerms(text: string): string[] {
  if (text === '') return [];
  const terms: string[] = [];
  let start = 0;
  let escaped = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (escaped) escaped = false;
    else if (c === '\\') escaped = true;
    else if (c === ',') {
      terms.push(text.slice(start, i));
      start = i + 1;
    }
  }
  terms.push(text.slice(start));
  return terms;
}

/** The first operator in the term splits it; `!=` and `==` are tried before `=`. Nothing is trimmed. */
function splitTerm(term: string): { lhs: string; op: string; rhs: string } | undefined {
  for (let i = 0; i < term.length; i++) {
    for (const op of ['!=', '==', '=']) {
      if (term.startsWith(op, i)) return { lhs: term.slice(0, i), op, rhs: term.slice(i + op.length) };
    }
  }
  return undefined;
}

function unescapeValue(raw: string): string {
  let out = '';
  let escaped = false;
  for (const c of raw) {
    if (escaped) {
      if (c !== '\\' && c !== ',' && c !== '=') {
        throw new DomainError('BAD_REQUEST', `invalid field selector: invalid escape sequence: \\${c}`);
      }
      out += c;
      escaped = false;
    } else if (c === '\\') {
      escaped = true;
    } else if (c === ',' || c === '=') {
      // The API server prints the character's code point here (Go's %v of a rune).
      throw new DomainError('BAD_REQUEST', `invalid field selector: unescaped character in value: ${c.codePointAt(0)}`);
    } else {
      out += c;
    }
  }
  if (escaped) throw new DomainError('BAD_REQUEST', 'invalid field selector: invalid escape sequence: \\');
  return out;
}
