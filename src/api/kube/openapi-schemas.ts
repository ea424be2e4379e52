import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * Kubernetes' own schemas of the served kinds (data/openapi, written by
 * scripts/kubernetes-openapi.mjs from the official client's copy of the
 * API description), read on first use and kept: field names, types,
 * required fields and descriptions, for `kubectl explain` and field
 * validation.
 */
export interface Schema {
  type?: string;
  format?: string;
  description?: string;
  required?: string[];
  properties?: Record<string, Schema>;
  additionalProperties?: Schema;
  items?: Schema;
  $ref?: string;
  allOf?: Schema[];
  oneOf?: Schema[];
  'x-kubernetes-preserve-unknown-fields'?: boolean;
  'x-kubernetes-group-version-kind'?: Array<{ group: string; version: string; kind: string }>;
}

export interface Definitions {
  source: string;
  kubernetesVersion: string;
  definitions: Record<string, Schema>;
}

const FILE = join('data', 'openapi', 'kubernetes-definitions.json');
let loaded: Definitions | undefined;
let byKind: Map<string, string> | undefined;

/** The project's root: the nearest directory up from here that holds the data file (src/ or dist/ alike). */
function dataFile(): string {
  for (let dir = __dirname; ; dir = dirname(dir)) {
    const candidate = join(dir, FILE);
    if (existsSync(candidate)) return candidate;
    if (dirname(dir) === dir) throw new Error(`${FILE} not found above ${__dirname}`);
  }
}

export function definitions(): Definitions {
  loaded ??= JSON.parse(readFileSync(dataFile(), 'utf8')) as Definitions;
  return loaded;
}

const gvkKey = (group: string, version: string, kind: string) => `${group}/${version}/${kind}`;

/** The definition name of a kind (`io.k8s.api.core.v1.Service`), if its schema is known. */
export function definitionOfKind(group: string, version: string, kind: string): string | undefined {
  if (!byKind) {
    byKind = new Map();
    for (const [name, schema] of Object.entries(definitions().definitions)) {
      for (const gvk of schema['x-kubernetes-group-version-kind'] ?? []) byKind.set(gvkKey(gvk.group, gvk.version, gvk.kind), name);
    }
  }
  return byKind.get(gvkKey(group, version, kind));
}

/** The schema a `$ref` (`#/definitions/...` or `#/components/schemas/...`) names. */
export function resolveRef(ref: string): Schema | undefined {
  return definitions().definitions[ref.slice(ref.lastIndexOf('/') + 1)];
}

/** Every definition `roots` use, themselves included, in name order. */
export function reachable(roots: string[]): string[] {
  const defs = definitions().definitions;
  const seen = new Set<string>();
  const visit = (schema: Schema | undefined): void => {
    if (!schema) return;
    if (schema.$ref) {
      const name = schema.$ref.slice(schema.$ref.lastIndexOf('/') + 1);
      if (seen.has(name)) return;
      seen.add(name);
      visit(defs[name]);
      return;
    }
    for (const p of Object.values(schema.properties ?? {})) visit(p);
    visit(schema.items);
    visit(schema.additionalProperties);
    for (const a of schema.allOf ?? []) visit(a);
  };
  for (const root of roots) visit({ $ref: `#/definitions/${root}` });
  return [...seen].sort();
}

/**
 * A schema as OpenAPI v3 documents write it: references under
 * `#/components/schemas/`, and a property that names another type wraps its
 * reference in `allOf` so that it can carry its own description.
 */
export function toV3(schema: Schema): Schema {
  // kube-openapi writes int-or-string types as a oneOf in v3 documents.
  if (schema.format === 'int-or-string' && schema.type === 'string') {
    const { type: _type, ...rest } = schema;
    return { ...rest, oneOf: [{ type: 'integer' }, { type: 'string' }] };
  }
  if (schema.$ref) return { $ref: schema.$ref.replace('#/definitions/', '#/components/schemas/') };
  const out: Schema = { ...schema };
  if (schema.properties) {
    out.properties = {};
    for (const [name, p] of Object.entries(schema.properties)) {
      if (p.$ref) {
        const { $ref, ...rest } = p;
        out.properties[name] = { ...rest, allOf: [toV3({ $ref })] };
      } else {
        out.properties[name] = toV3(p);
      }
    }
  }
  if (schema.items) out.items = toV3(schema.items);
  if (schema.additionalProperties) out.additionalProperties = toV3(schema.additionalProperties);
  return out;
}
