import { apiVersionOf, RESOURCE_TYPES, ResourceType } from '../../cluster/store/resource-types';
import { groupVersions, KUBERNETES_VERSION } from './discovery';
import { definitionOfKind, definitions, reachable, Schema, toV3 } from './openapi-schemas';

/**
 * The OpenAPI description of the Kubernetes API as the API server publishes
 * it: v3 per group-version (`/openapi/v3/api/v1`, `/openapi/v3/apis/{g}/{v}`)
 * and v2 whole (`/openapi/v2`). Each kind's operations carry the
 * `fieldValidation` parameter (kubectl then leaves validation to the
 * server), and `components.schemas` Kubernetes' own schemas of the kinds and
 * every type they use, so `kubectl explain` works to any depth. Documents
 * are built on first request and kept.
 */
function gvPath(group: string, version: string): string {
  return group ? `apis/${group}/${version}` : `api/${version}`;
}

export function openApiV3Index() {
  const paths: Record<string, { serverRelativeURL: string }> = {};
  for (const { group, version } of groupVersions()) {
    const path = gvPath(group, version);
    paths[path] = { serverRelativeURL: `/openapi/v3/${path}?hash=${HASH}` };
  }
  return { paths };
}

/** Changes whenever the documents do, so clients that cache by hash fetch them again. */
const HASH = 'kube-netsim-2';

const QUERY = (name: string) => ({ name, in: 'query', schema: { type: 'string', uniqueItems: true } });

const v3Documents = new Map<string, object | undefined>();

export function openApiV3Document(path: string) {
  if (!v3Documents.has(path)) v3Documents.set(path, buildV3Document(path));
  return v3Documents.get(path);
}

function kindDefinitions(types: readonly ResourceType[]): string[] {
  return types.map((t) => definitionOfKind(t.group, t.version, t.kind)).filter((n): n is string => n !== undefined);
}

function buildV3Document(path: string) {
  const types = RESOURCE_TYPES.filter((t) => gvPath(t.group, t.version) === path);
  if (!types.length) return undefined;
  const paths: Record<string, unknown> = {};
  for (const t of types) {
    const gvk = { group: t.group, version: t.version, kind: t.kind };
    const base = t.namespaced ? `/${path}/namespaces/{namespace}/${t.plural}` : `/${path}/${t.plural}`;
    const definition = definitionOfKind(t.group, t.version, t.kind);
    const content = definition ? { content: { 'application/json': { schema: { $ref: `#/components/schemas/${definition}` } } } } : {};
    const op = (action: string, params: string[]) => ({
      operationId: `${action}${t.kind}`,
      'x-kubernetes-action': action,
      'x-kubernetes-group-version-kind': gvk,
      parameters: params.map(QUERY),
      responses: { '200': { description: 'OK', ...content } },
    });
    paths[base] = {
      get: op('list', ['labelSelector', 'fieldSelector', 'watch', 'resourceVersion']),
      ...(t.readOnly ? {} : { post: op('post', ['dryRun', 'fieldManager', 'fieldValidation']) }),
    };
    paths[`${base}/{name}`] = {
      get: op('get', []),
      ...(t.readOnly
        ? {}
        : {
            put: op('put', ['dryRun', 'fieldManager', 'fieldValidation']),
            patch: op('patch', ['dryRun', 'fieldManager', 'fieldValidation', 'force']),
            delete: op('delete', ['dryRun']),
          }),
    };
  }
  const defs = definitions().definitions;
  const schemas: Record<string, Schema> = {};
  for (const name of reachable(kindDefinitions(types))) schemas[name] = toV3(defs[name]);
  return {
    openapi: '3.0.0',
    info: { title: 'Kubernetes', version: KUBERNETES_VERSION.gitVersion },
    paths,
    components: { schemas },
    'x-kube-netsim-group-version': types.map(apiVersionOf)[0],
  };
}

let v2Document: object | undefined;

/** `/openapi/v2`: the same schemas under `definitions`, the paths of every served kind. */
export function openApiV2Document() {
  if (v2Document) return v2Document;
  const paths: Record<string, unknown> = {};
  const param = (name: string) => ({ name, in: 'query', type: 'string', uniqueItems: true });
  for (const t of RESOURCE_TYPES) {
    const root = t.group ? `/apis/${t.group}/${t.version}` : `/api/${t.version}`;
    const base = t.namespaced ? `${root}/namespaces/{namespace}/${t.plural}` : `${root}/${t.plural}`;
    const gvk = { group: t.group, version: t.version, kind: t.kind };
    const op = (action: string, params: string[]) => ({
      operationId: `${action}${t.kind}`,
      'x-kubernetes-action': action,
      'x-kubernetes-group-version-kind': gvk,
      parameters: params.map(param),
      responses: { '200': { description: 'OK' } },
    });
    paths[base] = { get: op('list', ['labelSelector', 'fieldSelector', 'watch']), ...(t.readOnly ? {} : { post: op('post', ['dryRun', 'fieldManager', 'fieldValidation']) }) };
    paths[`${base}/{name}`] = {
      get: op('get', []),
      ...(t.readOnly ? {} : { put: op('put', ['dryRun', 'fieldManager', 'fieldValidation']), patch: op('patch', ['dryRun', 'fieldManager', 'fieldValidation', 'force']), delete: op('delete', ['dryRun']) }),
    };
  }
  const defs = definitions().definitions;
  const out: Record<string, Schema> = {};
  for (const name of reachable(kindDefinitions(RESOURCE_TYPES))) out[name] = defs[name];
  v2Document = { swagger: '2.0', info: { title: 'Kubernetes', version: KUBERNETES_VERSION.gitVersion }, paths, definitions: out };
  return v2Document;
}
