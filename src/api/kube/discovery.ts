import { apiVersionOf, RESOURCE_TYPES, ResourceType } from '../../cluster/store/resource-types';
import { SELF_REVIEW_RESOURCES, selfReviewDiscovery } from './self-reviews';

/**
 * Discovery documents (`/api`, `/api/v1`, `/apis`, `/apis/{group}/{version}`,
 * `/version`) in the shapes kubectl and client libraries read to find the
 * resources, their short names, verbs and scopes.
 */
export { KUBERNETES_VERSION, versionInfo } from '../../cluster/version';

function subresources(type: ResourceType): Array<{ name: string; kind: string; verbs: string[]; group?: string; version?: string }> {
  const out: Array<{ name: string; kind: string; verbs: string[]; group?: string; version?: string }> = [];
  if (type.plural === 'pods') {
    // The streaming subresources (docs/exec.md), in the API server's order.
    out.push(
      { name: 'pods/attach', kind: 'PodAttachOptions', verbs: ['create', 'get'] },
      { name: 'pods/eviction', kind: 'Eviction', verbs: ['create'], group: 'policy', version: 'v1' },
      { name: 'pods/exec', kind: 'PodExecOptions', verbs: ['create', 'get'] },
      { name: 'pods/log', kind: 'Pod', verbs: ['get'] },
      { name: 'pods/portforward', kind: 'PodPortForwardOptions', verbs: ['create', 'get'] },
    );
  }
  if (type.hasStatus) out.push({ name: `${type.plural}/status`, kind: type.kind, verbs: ['get', 'patch', 'update'] });
  if (type.hasScale) {
    out.push({ name: `${type.plural}/scale`, kind: 'Scale', verbs: ['get', 'patch', 'update'], group: 'autoscaling', version: 'v1' });
  }
  return out;
}

export function groupVersions(): Array<{ group: string; version: string }> {
  const seen = new Map<string, { group: string; version: string }>();
  for (const t of RESOURCE_TYPES) seen.set(apiVersionOf(t), { group: t.group, version: t.version });
  return [...seen.values()];
}

/** The group-versions discovery lists: the stored kinds' and the self reviews' (which have no schema of their own). */
function discoveredGroupVersions(): Array<{ group: string; version: string }> {
  const all = [...groupVersions(), ...SELF_REVIEW_RESOURCES.map((r) => ({ group: r.group, version: r.version }))];
  return [...new Map(all.map((gv) => [`${gv.group}/${gv.version}`, gv])).values()];
}

export function apiResourceList(group: string, version: string) {
  const types = RESOURCE_TYPES.filter((t) => t.group === group && t.version === version);
  const reviews = selfReviewDiscovery(group, version);
  if (!types.length && !reviews.length) return undefined;
  const stored = types.flatMap((t) => [
    {
      name: t.plural,
      singularName: t.singular,
      namespaced: t.namespaced,
      kind: t.kind,
      verbs: t.verbs,
      ...(t.shortNames.length ? { shortNames: t.shortNames } : {}),
      ...(t.categories ? { categories: t.categories } : {}),
    },
    ...subresources(t).map((s) => ({
      name: s.name,
      singularName: '',
      namespaced: t.namespaced,
      ...(s.group ? { group: s.group, version: s.version } : {}),
      kind: s.kind,
      verbs: s.verbs,
    })),
  ]);
  const resources = [...stored, ...reviews];
  return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: group ? `${group}/${version}` : version, resources };
}

export function apiVersions(serverAddress: string) {
  return {
    kind: 'APIVersions',
    versions: ['v1'],
    serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }],
  };
}

function apiGroup(name: string) {
  const versions = discoveredGroupVersions()
    .filter((gv) => gv.group === name)
    .map((gv) => ({ groupVersion: `${name}/${gv.version}`, version: gv.version }));
  return { name, versions, preferredVersion: versions[0] };
}

export function apiGroupList() {
  const names = [...new Set(discoveredGroupVersions().map((gv) => gv.group).filter(Boolean))].sort();
  return { kind: 'APIGroupList', apiVersion: 'v1', groups: names.map(apiGroup) };
}

export function apiGroupDocument(name: string) {
  const group = apiGroup(name);
  return group.versions.length ? { kind: 'APIGroup', apiVersion: 'v1', ...group } : undefined;
}
