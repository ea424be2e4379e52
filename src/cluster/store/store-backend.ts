import { ObjectInput, StoredEvent } from './types';

/** One static pod manifest in one node's manifest directory. */
export interface NodeManifest {
  node: string;
  file: string;
  pod: ObjectInput;
}

/**
 * The kubelets' manifest directories (a real node keeps them on its disk,
 * `/etc/kubernetes/manifests`): a durable backend keeps them beside the
 * objects, so that a restart finds the static pods it had. A change is made
 * durable with the store's next transaction (the kubelet's sync of its mirror
 * pods, which follows each one), in the same etcd transaction.
 */
export interface ManifestDirectories {
  /** Writes one manifest file (`pod`), or removes it (undefined). */
  write(node: string, file: string, pod: ObjectInput | undefined): void;
  /** Replaces every directory with `manifests` (a snapshot restored). */
  replaceAll(manifests: readonly NodeManifest[]): void;
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
  /** Where the kubelets' static pod manifests last (absent: in the process only, as with memory). */
  readonly manifests?: ManifestDirectories;
}

/** The in-memory backend: the store is all there is. */
export const MEMORY_BACKEND: StoreBackend = {
  name: 'memory',
  versionPerTransaction: false,
  commit: () => 0,
  durable: () => Promise.resolve(),
  pending: false,
};
