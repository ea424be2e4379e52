#!/usr/bin/env node
/* global process, console, URL */
/**
 * Writes data/openapi/kubernetes-definitions.json: the OpenAPI schemas of
 * every kind kube-netsim serves, and of every type they use, taken from
 * Kubernetes' own API description as the official JavaScript client
 * (@kubernetes/client-node, Apache-2.0) ships it: field names, types,
 * formats, required fields and descriptions. Run it after changing the
 * served kinds or the client's version:
 *
 *   node scripts/kubernetes-openapi.mjs
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);
const pkgDir = dirname(require.resolve('@kubernetes/client-node/package.json'));
const pkg = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8'));
const modelsDir = join(pkgDir, 'dist/gen/models');

/** The served kinds: [group, version, kind]; the same list as src/cluster/store/resource-types.ts. */
const served = JSON.parse(process.argv[2] ?? 'null') ?? (await import('./served-kinds.mjs')).SERVED_KINDS;

const PACKAGE_OF_GROUP = {
  '': 'io.k8s.api.core',
  apps: 'io.k8s.api.apps',
  batch: 'io.k8s.api.batch',
  autoscaling: 'io.k8s.api.autoscaling',
  policy: 'io.k8s.api.policy',
  'networking.k8s.io': 'io.k8s.api.networking',
  'rbac.authorization.k8s.io': 'io.k8s.api.rbac',
  'scheduling.k8s.io': 'io.k8s.api.scheduling',
  'storage.k8s.io': 'io.k8s.api.storage',
  'discovery.k8s.io': 'io.k8s.api.discovery',
  'coordination.k8s.io': 'io.k8s.api.coordination',
};
const META = new Set([
  'ObjectMeta', 'ListMeta', 'LabelSelector', 'LabelSelectorRequirement', 'OwnerReference', 'ManagedFieldsEntry',
  'Condition', 'Status', 'StatusDetails', 'StatusCause', 'DeleteOptions', 'Preconditions',
]);

function readModel(className) {
  const js = readFileSync(join(modelsDir, `${className}.js`), 'utf8');
  const m = js.match(/\.attributeTypeMap = (\[[\s\S]*?\]);/);
  const attributes = m ? JSON.parse(m[1]) : [];
  const dts = readFileSync(join(modelsDir, `${className}.d.ts`), 'utf8');
  let classDoc = '';
  const fields = {};
  // Each doc comment, and the declaration that follows it.
  for (const chunk of dts.split('/**').slice(1)) {
    const end = chunk.indexOf('*/');
    const text = unescape(chunk.slice(0, end).replace(/^\s*\* ?/, ''));
    const after = chunk.slice(end + 2);
    const field = after.match(/^\s*'([^']+)'(\?)?:/);
    if (field) fields[field[1]] = { description: text, optional: field[2] === '?' };
    else if (/^\s*export declare class/.test(after)) classDoc = text;
  }
  for (const f of dts.matchAll(/^\s*'([^']+)'(\?)?:/gm)) fields[f[1]] ??= { description: '', optional: f[2] === '?' };
  return { attributes, description: classDoc, fields };
}

const INT_OR_STRING_DESCRIPTION =
  'IntOrString is a type that can hold an int32 or a string.  When used in JSON or YAML marshalling and unmarshalling, it produces or consumes the inner type.  This allows you to have, for example, a JSON field that can accept a name or number.';

function typeDescription(type) {
  if (type === 'IntOrString') return INT_OR_STRING_DESCRIPTION;
  try {
    return readModel(type).description;
  } catch {
    return undefined;
  }
}

function unescape(text) {
  return text.replace(/\n\s*\* ?/g, '\n').replace(/\\(['"`])/g, '$1').trim();
}

const definitions = {};
const nameOf = new Map();
const queue = [];

function definitionName(className, pkgName) {
  if (nameOf.has(className)) return nameOf.get(className);
  // `CoreV1Event`, `DiscoveryV1EndpointPort`: the client prefixes a group where two share a name.
  const m = className.match(/^([A-Z][a-z]+)?(V\d+(?:alpha\d+|beta\d+)?)(.+)$/);
  const version = m[2].toLowerCase();
  const short = m[3];
  const owner = m[1] ? `io.k8s.api.${m[1].toLowerCase()}` : pkgName;
  const name = META.has(short) ? `io.k8s.apimachinery.pkg.apis.meta.${version}.${short}` : `${owner}.${version}.${short}`;
  nameOf.set(className, name);
  queue.push([className, pkgName]);
  return name;
}

function schemaOfType(type, format, pkgName) {
  let m;
  if ((m = type.match(/^Array<(.+)>$/))) return { type: 'array', items: schemaOfType(m[1], format, pkgName) };
  if ((m = type.match(/^\{ \[key: string\]: (.+); \}$/))) return { type: 'object', additionalProperties: schemaOfType(m[1], format, pkgName) };
  switch (type) {
    case 'string':
      return format === 'byte' ? { type: 'string', format: 'byte' } : { type: 'string' };
    case 'number':
      return format === 'double' ? { type: 'number', format: 'double' } : { type: 'integer', ...(format ? { format } : {}) };
    case 'boolean':
      return { type: 'boolean' };
    case 'Date':
      return { type: 'string', format: format || 'date-time' };
    case 'V1MicroTime':
      return { type: 'string', format: 'date-time' };
    case 'IntOrString':
      return { $ref: '#/definitions/io.k8s.apimachinery.pkg.util.intstr.IntOrString' };
    case 'any':
    case 'object':
      return { type: 'object', 'x-kubernetes-preserve-unknown-fields': true };
    default:
      if (/^([A-Z][a-z]+)?V\d/.test(type)) return { $ref: `#/definitions/${definitionName(type, pkgName)}` };
      return { type: 'object', 'x-kubernetes-preserve-unknown-fields': true };
  }
}

for (const [group, version, kind] of served) {
  const plain = `${version[0].toUpperCase()}${version.slice(1)}${kind}`;
  const className = group === '' && kind === 'Event' ? `CoreV1${kind}` : plain;
  const name = definitionName(className, PACKAGE_OF_GROUP[group]);
  nameOf.set(`gvk:${name}`, { group, version, kind });
}
while (queue.length) {
  const [className, pkgName] = queue.shift();
  const name = nameOf.get(className);
  const model = readModel(className);
  const properties = {};
  const required = [];
  for (const a of model.attributes) {
    const schema = schemaOfType(a.type, a.format, pkgName);
    const field = model.fields[a.name] ?? { description: '', optional: true };
    // The client repeats a referenced type's own description on the field; the API's documents do not.
    const repeated = schema.$ref && field.description === typeDescription(a.type);
    properties[a.baseName] = field.description && !repeated ? { ...schema, description: field.description } : schema;
    if (!field.optional) required.push(a.baseName);
  }
  const gvk = nameOf.get(`gvk:${name}`);
  definitions[name] = {
    ...(model.description ? { description: model.description } : {}),
    type: 'object',
    ...(required.length ? { required } : {}),
    properties,
    ...(gvk ? { 'x-kubernetes-group-version-kind': [gvk] } : {}),
  };
}
definitions['io.k8s.apimachinery.pkg.util.intstr.IntOrString'] = {
  description: INT_OR_STRING_DESCRIPTION,
  type: 'string',
  format: 'int-or-string',
};

const sorted = Object.fromEntries(Object.entries(definitions).sort(([a], [b]) => (a < b ? -1 : 1)));
const specVersion = readFileSync(join(modelsDir, 'V1Pod.js'), 'utf8').match(/OpenAPI spec version: (v[\d.]+)/)[1];
const out = {
  source: `${pkg.name}@${pkg.version} (Kubernetes OpenAPI ${specVersion}), Apache-2.0`,
  kubernetesVersion: specVersion,
  definitions: sorted,
};
const file = join(dirname(new URL(import.meta.url).pathname), '..', 'data/openapi/kubernetes-definitions.json');
writeFileSync(file, `${JSON.stringify(out)}\n`);
console.log(`${Object.keys(sorted).length} definitions from ${out.source} -> ${file}`);
