import { apiVersionOf, RESOURCE_TYPES } from '../../cluster/store/resource-types';
import { groupVersions } from './discovery';

/**
 * A minimal OpenAPI v3 description of the Kubernetes API, per group-version,
 * enough for kubectl: it looks here for the `fieldValidation` parameter on
 * each kind's PATCH operation, and when it is there it leaves validation to
 * the server (`?fieldValidation=Strict`) instead of downloading the full
 * schema. Schemas of the kinds are not described.
 */
function gvPath(group: string, version: string): string {
  return group ? `apis/${group}/${version}` : `api/${version}`;
}

export function openApiV3Index() {
  const paths: Record<string, { serverRelativeURL: string }> = {};
  for (const { group, version } of groupVersions()) {
    const path = gvPath(group, version);
    paths[path] = { serverRelativeURL: `/openapi/v3/${path}?hash=kube-netsim-1` };
  }
  return { paths };
}

const QUERY = (name: string) => ({ name, in: 'query', schema: { type: 'string', uniqueItems: true } });

export function openApiV3Document(path: string) {
  const types = RESOURCE_TYPES.filter((t) => gvPath(t.group, t.version) === path);
  if (!types.length) return undefined;
  const paths: Record<string, unknown> = {};
  for (const t of types) {
    const gvk = { group: t.group, version: t.version, kind: t.kind };
    const base = t.namespaced ? `/${path}/namespaces/{namespace}/${t.plural}` : `/${path}/${t.plural}`;
    const op = (action: string, params: string[]) => ({
      operationId: `${action}${t.kind}`,
      'x-kubernetes-action': action,
      'x-kubernetes-group-version-kind': gvk,
      parameters: params.map(QUERY),
      responses: { '200': { description: 'OK' } },
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
  return {
    openapi: '3.0.0',
    info: { title: 'Kubernetes', version: 'v1.32.4' },
    paths,
    components: { schemas: {} },
    'x-kube-netsim-group-version': types.map(apiVersionOf)[0],
  };
}
