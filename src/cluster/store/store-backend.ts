import { StoredEvent } from './types';

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
}

/** The in-memory backend: the store is all there is. */
export const MEMORY_BACKEND: StoreBackend = {
  name: 'memory',
  versionPerTransaction: false,
  commit: () => 0,
  durable: () => Promise.resolve(),
  pending: false,
};
