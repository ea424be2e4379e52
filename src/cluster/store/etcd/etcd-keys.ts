import { RESOURCE_TYPES, ResourceType, resourceKey } from '../resource-types';
import type { KubeletState } from '../store-backend';
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
 * Where the kubelets' state lives, beside the objects but outside the prefix
 * (a node's files and a process's state, not API objects): under
 * `/kube-netsim/registry/`, each static pod manifest at `manifests/<node>/<file>`
 * (the manifest as JSON), each stopped kubelet at `kubelets/<node>` (`{"running":false}`).
 */
export function kubeletStatePrefix(prefix: string): string {
  return `/kube-netsim${prefix}/`;
}

/** The key of a manifest file, or (no `file`) of a node's kubelet, under `kubeletStatePrefix`. */
export function kubeletStateKey(under: string, node: string, file?: string): string {
  return file === undefined ? `${under}kubelets/${node}` : `${under}manifests/${node}/${file}`;
}

/** The value of a stopped kubelet's key. */
export const STOPPED_KUBELET = '{"running":false}';

/**
 * The kubelets' state read back from its keys under `under`
 * (`kubeletStatePrefix`): a key or value that is neither a manifest (a JSON
 * object) nor a stopped kubelet is left out.
 */
export function readKubeletState(under: string, kvs: ReadonlyArray<{ key: Buffer; value: Buffer }>): KubeletState {
  const state: KubeletState = { manifests: [], stopped: [] };
  for (const { key: raw, value } of kvs) {
    const key = raw.toString();
    if (!key.startsWith(under)) continue;
    const [dir, node, file, ...rest] = key.slice(under.length).split('/');
    let json: unknown;
    try {
      json = JSON.parse(value.toString());
    } catch {
      continue;
    }
    if (!node || typeof json !== 'object' || json === null || Array.isArray(json)) continue;
    if (dir === 'manifests' && file && rest.length === 0) state.manifests.push({ node, file, pod: json as ObjectInput });
    else if (dir === 'kubelets' && file === undefined && (json as { running?: unknown }).running === false) state.stopped.push(node);
  }
  return state;
}
