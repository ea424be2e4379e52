import { ObjectInput, StoredEvent } from './types';

/** One static pod manifest in one node's manifest directory. */
export interface NodeManifest {
  node: string;
  file: string;
  pod: ObjectInput;
}

/**
 * What the kubelets have that is not an API object: each node's manifest
 * directory (a real node keeps it on its disk, `/etc/kubernetes/manifests`)
 * and the nodes whose kubelet is stopped (`POST /netsim/v1/nodes/{node}/kubelet/stop`,
 * process state that a snapshot keeps too).
 */
export interface KubeletState {
  manifests: NodeManifest[];
  /** The nodes whose kubelet is stopped. */
  stopped: string[];
}

/**
 * Where a durable backend keeps the kubelets' state beside the objects, so
 * that a restart finds it as it was. A change rides in the store's next
 * transaction (the kubelet's sync of its mirror pods, which follows a
 * manifest change); one that no transaction carried is written on its own
 * once the commit hooks have run (`StoreBackend.commitKubelets`), so it is
 * durable before the request that made it is answered.
 */
export interface KubeletStateKeeper {
  /** Writes one manifest file (`pod`), or removes it (undefined). */
  writeManifest(node: string, file: string, pod: ObjectInput | undefined): void;
  /** Notes that the node's kubelet is stopped, or runs again (or the node is gone). */
  writeStopped(node: string, stopped: boolean): void;
  /** Replaces all of it with `state` (a snapshot restored). */
  replaceAll(state: KubeletState): void;
}

/**
 * Where the store's objects last. The store itself is the cache every read,
 * list and watch is served from (as kube-apiserver's watch cache sits in
 * front of etcd); a backend receives each committed transaction's changes,
 * in commit order, and makes them durable.
 *
 * - memory (the default): nothing lasts past the process, nothing to do.
 * - etcd: each transaction becomes one etcd transaction (see etcd/etcd-backend.ts).
 */
export interface StoreBackend {
  /** `memory` or `etcd`, for messages. */
  readonly name: string;
  /**
   * Whether every write of one store transaction carries the same
   * resourceVersion: an etcd transaction makes one revision, and the
   * resourceVersion is that revision. The memory store gives each write its own.
   */
  readonly versionPerTransaction: boolean;
  /**
   * Takes one committed transaction's changes (ADDED and MODIFIED are puts,
   * DELETED a delete), oldest first, and returns how many revisions past the
   * one before it they take (1 for one etcd transaction; more when it is too
   * large for one, see etcd/etcd-backend.ts). Never throws: a failed write is
   * retried or reported by the backend.
   */
  commit(changes: readonly StoredEvent[]): number;
  /** Resolves once every change handed to `commit` so far is durable. */
  durable(): Promise<void>;
  /** Whether some change handed to `commit` is not durable yet. */
  readonly pending: boolean;
  /** Where the kubelets' state lasts (absent: in the process only, as with memory). */
  readonly kubelets?: KubeletStateKeeper;
  /**
   * Writes the changes to `kubelets` that no `commit` carried, in a
   * transaction of their own, and returns how many revisions that takes (0:
   * none waiting). Those revisions belong to no object.
   */
  commitKubelets?(): number;
}

/** The in-memory backend: the store is all there is. */
export const MEMORY_BACKEND: StoreBackend = {
  name: 'memory',
  versionPerTransaction: false,
  commit: () => 0,
  durable: () => Promise.resolve(),
  pending: false,
};
