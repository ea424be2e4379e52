import { STORED_KINDS } from './stored-kinds';

/**
 * How the API server checks a kind's `metadata.name`: most kinds take a
 * DNS-1123 subdomain, a few a DNS-1123 label (StatefulSets), RBAC objects any
 * path segment; Services and Namespaces are checked by their strategies.
 */
export type NameRule = 'dns1123-subdomain' | 'dns1123-label' | 'path-segment' | 'by-strategy';

/**
 * The resources the emulated API server serves, with the names discovery and
 * kubectl need: group, version, kind, plural, short names, scope.
 */
export interface ResourceType {
  /** '' for the core group. */
  group: string;
  version: string;
  kind: string;
  listKind: string;
  plural: string;
  singular: string;
  namespaced: boolean;
  shortNames: string[];
  verbs: string[];
  /** Read-only resources are derived by controllers; clients may only read them. */
  readOnly?: boolean;
  /** Whether the resource has a `status` subresource. */
  hasStatus: boolean;
  /** Whether the resource has an `autoscaling/v1` `scale` subresource. */
  hasScale?: boolean;
  /** Discovery categories: `all` makes `kubectl get all` list it. */
  categories?: string[];
  /** The rule for `metadata.name`; DNS-1123 subdomain when absent. */
  nameRule?: NameRule;
}

const ALL_VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];
const READ_VERBS = ['get', 'list', 'watch'];

function resource(r: Omit<ResourceType, 'listKind' | 'singular' | 'verbs'> & { verbs?: string[] }): ResourceType {
  return { ...r, listKind: `${r.kind}List`, singular: r.kind.toLowerCase(), verbs: r.verbs ?? ALL_VERBS };
}

export const RESOURCE_TYPES: readonly ResourceType[] = [
  resource({ group: '', version: 'v1', kind: 'Namespace', plural: 'namespaces', namespaced: false, shortNames: ['ns'], hasStatus: true, nameRule: 'by-strategy' }),
  resource({ group: '', version: 'v1', kind: 'Node', plural: 'nodes', namespaced: false, shortNames: ['no'], hasStatus: true }),
  resource({ group: '', version: 'v1', kind: 'Pod', plural: 'pods', namespaced: true, shortNames: ['po'], hasStatus: true, categories: ['all'] }),
  resource({ group: '', version: 'v1', kind: 'Service', plural: 'services', namespaced: true, shortNames: ['svc'], hasStatus: true, categories: ['all'], nameRule: 'by-strategy' }),
  resource({
    group: '',
    version: 'v1',
    kind: 'Endpoints',
    plural: 'endpoints',
    namespaced: true,
    shortNames: ['ep'],
    hasStatus: false,
    readOnly: true,
    verbs: READ_VERBS,
  }),
  resource({ group: '', version: 'v1', kind: 'Event', plural: 'events', namespaced: true, shortNames: ['ev'], hasStatus: false }),
  resource({
    group: 'discovery.k8s.io',
    version: 'v1',
    kind: 'EndpointSlice',
    plural: 'endpointslices',
    namespaced: true,
    shortNames: [],
    hasStatus: false,
  }),
  resource({ group: 'apps', version: 'v1', kind: 'Deployment', plural: 'deployments', namespaced: true, shortNames: ['deploy'], hasStatus: true, hasScale: true, categories: ['all'] }),
  resource({ group: 'apps', version: 'v1', kind: 'ReplicaSet', plural: 'replicasets', namespaced: true, shortNames: ['rs'], hasStatus: true, hasScale: true, categories: ['all'] }),
  resource({ group: 'apps', version: 'v1', kind: 'DaemonSet', plural: 'daemonsets', namespaced: true, shortNames: ['ds'], hasStatus: true, categories: ['all'] }),
  resource({
    group: 'coordination.k8s.io',
    version: 'v1',
    kind: 'Lease',
    plural: 'leases',
    namespaced: true,
    shortNames: [],
    hasStatus: false,
  }),
  ...STORED_KINDS,
];

export function apiVersionOf(type: ResourceType): string {
  return type.group ? `${type.group}/${type.version}` : type.version;
}

/** The store's key for a resource: `pods`, `endpointslices.discovery.k8s.io`. */
export function resourceKey(type: ResourceType): string {
  return type.group ? `${type.plural}.${type.group}` : type.plural;
}

const byKey = new Map(RESOURCE_TYPES.map((t) => [resourceKey(t), t]));
const byKind = new Map(RESOURCE_TYPES.map((t) => [`${apiVersionOf(t)}/${t.kind}`, t]));

export function resourceTypeByKey(key: string): ResourceType | undefined {
  return byKey.get(key);
}

/** Looks a resource up by `apiVersion` and `kind`, as a manifest names it. */
export function resourceTypeOfKind(apiVersion: string, kind: string): ResourceType | undefined {
  return byKind.get(`${apiVersion}/${kind}`);
}

/** Looks a resource up by the path segments `/api/v1/...` or `/apis/{group}/{version}/...` use. */
export function resourceTypeOfPath(group: string, version: string, plural: string): ResourceType | undefined {
  const t = byKey.get(group ? `${plural}.${group}` : plural);
  return t && t.version === version ? t : undefined;
}
