import { RESOURCE_TYPES, ResourceType, resourceKey } from '../resource-types';
import type { NodeManifest } from '../store-backend';
import type { ObjectInput } from '../types';

/** kube-apiserver's `--etcd-prefix` default. */
export const DEFAULT_ETCD_PREFIX = '/registry';

/**
 * The resources kube-apiserver keeps under a prefix other than their plural
 * (its `SpecialDefaultResourcePrefixes`): every other resource lives under
 * `<prefix>/<plural>/`, whatever its group.
 */
const SPECIAL_PREFIXES: Record<string, string> = {
  replicationcontrollers: 'controllers',
  endpoints: 'services/endpoints',
  nodes: 'minions',
  services: 'services/specs',
  'ingresses.networking.k8s.io': 'ingress',
};

/** Where a resource's objects live under the etcd prefix: `services/specs`, `minions`, `deployments`. */
export function etcdResourcePrefix(type: ResourceType): string {
  return SPECIAL_PREFIXES[resourceKey(type)] ?? type.plural;
}

/** Normalises a prefix as the API server does: one leading slash, no trailing one (`registry/` -> `/registry`). */
export function normalizePrefix(prefix: string): string {
  const trimmed = prefix.replace(/^\/+|\/+$/g, '');
  return trimmed === '' ? '' : `/${trimmed}`;
}

/** An object's key: `/registry/services/specs/default/kubernetes`, `/registry/minions/node-1`. */
export function etcdKey(prefix: string, type: ResourceType, namespace: string | undefined, name: string): string {
  const base = `${prefix}/${etcdResourcePrefix(type)}`;
  return type.namespaced ? `${base}/${namespace}/${name}` : `${base}/${name}`;
}

/** Reads keys back: which resource (store key) a key under `prefix` belongs to, or undefined for one that is not ours. */
export class EtcdKeyReader {
  /** Resource prefixes, longest first (`services/specs/` before a plain `services/`). */
  private readonly prefixes: Array<{ path: string; type: ResourceType }>;

  constructor(private readonly prefix: string) {
    this.prefixes = RESOURCE_TYPES.map((type) => ({ path: `${prefix}/${etcdResourcePrefix(type)}/`, type })).sort((a, b) => b.path.length - a.path.length);
  }

  resourceOf(key: string): { type: ResourceType; namespace?: string; name: string } | undefined {
    for (const { path, type } of this.prefixes) {
      if (!key.startsWith(path)) continue;
      const rest = key.slice(path.length).split('/');
      if (type.namespaced ? rest.length !== 2 : rest.length !== 1) continue;
      return type.namespaced ? { type, namespace: rest[0], name: rest[1] } : { type, name: rest[0] };
    }
    return undefined;
  }
}

/**
 * Where the kubelets' static pod manifests live: `/kube-netsim/registry/manifests/<node>/<file>`,
 * beside the objects but outside the prefix (they are a node's files, not API objects).
 */
export function manifestsPrefix(prefix: string): string {
  return `/kube-netsim${prefix}/manifests/`;
}

/** One manifest read back from its key under `manifestsPrefix`, or undefined for a key or value that is not one (not a JSON object). */
export function readManifestKey(under: string, key: string, value: Buffer): NodeManifest | undefined {
  const [node, file, ...rest] = key.slice(under.length).split('/');
  let pod: unknown;
  try {
    pod = JSON.parse(value.toString());
  } catch {
    return undefined;
  }
  if (!key.startsWith(under) || !node || !file || rest.length > 0 || typeof pod !== 'object' || pod === null || Array.isArray(pod)) return undefined;
  return { node, file, pod: pod as ObjectInput };
}
