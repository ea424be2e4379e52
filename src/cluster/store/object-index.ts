import { ResourceType, resourceKey } from './resource-types';
import type { ListOptions } from './store-contract';
import { KubeObject } from './types';

function addTo(map: Map<string, Set<string>>, name: string, key: string): void {
  let keys = map.get(name);
  if (!keys) {
    keys = new Set();
    map.set(name, keys);
  }
  keys.add(key);
}

/**
 * The store's indexes, so that a list with a selector does not walk every
 * object: per resource, each `key=value` label to the objects carrying it,
 * and pods by `spec.nodeName` (kubelets and the node lifecycle controller
 * list a node's pods on every sync).
 */
export class ObjectIndex {
  /** Per resource, `key=value` -> store keys of the objects carrying that label. */
  private readonly labels = new Map<string, Map<string, Set<string>>>();
  /** Pods by `spec.nodeName`. */
  private readonly podsByNode = new Map<string, Set<string>>();

  /** Keeps the indexes in step with the object under `key` going from `from` to `to` (either may be absent). */
  update(resource: string, key: string, from: KubeObject | undefined, to: KubeObject | undefined): void {
    let index = this.labels.get(resource);
    if (!index) {
      index = new Map();
      this.labels.set(resource, index);
    }
    for (const [k, v] of Object.entries(from?.metadata.labels ?? {})) index.get(`${k}=${v}`)?.delete(key);
    for (const [k, v] of Object.entries(to?.metadata.labels ?? {})) addTo(index, `${k}=${v}`, key);
    if (resource === 'pods') {
      const before = (from?.spec as { nodeName?: string } | undefined)?.nodeName;
      const after = (to?.spec as { nodeName?: string } | undefined)?.nodeName;
      if (before) this.podsByNode.get(before)?.delete(key);
      if (after) addTo(this.podsByNode, after, key);
    }
  }

  /**
   * The store keys of the objects that may match `options`: a pod's node from
   * a field selector, else the smallest set of a label selector's equalities;
   * undefined when no index applies (every object is a candidate).
   */
  candidateKeys(type: ResourceType, options: ListOptions): Iterable<string> | undefined {
    const nodeName = type.plural === 'pods' && !type.group ? options.fieldSelector?.equalTo('spec.nodeName') : undefined;
    if (nodeName) return this.podsByNode.get(nodeName) ?? [];
    const pairs = options.labelSelector?.equalities() ?? [];
    if (pairs.length === 0) return undefined;
    const index = this.labels.get(resourceKey(type));
    let smallest: Set<string> | undefined;
    for (const [k, v] of pairs) {
      const keys = index?.get(`${k}=${v}`);
      if (!keys) return [];
      if (!smallest || keys.size < smallest.size) smallest = keys;
    }
    return smallest;
  }
}
