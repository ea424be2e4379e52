/**
 * The store's contract as its users see it: what a kind's strategy may do on
 * each write, and the options of reads, writes, watches and transactions.
 * `ObjectStore` is its one implementation; where the objects last (memory,
 * etcd) is its `StoreBackend`'s business (see store-backend.ts).
 */
import { DomainError } from '../../common/domain-error';
import type { ObjectStore } from './object-store';
import type { FieldSelector } from './field-selector';
import type { LabelSelector } from './label-selector';
import type { KubeObject } from './types';
import { applyMergePatch } from './merge-patch';
import { applyJsonPatch } from './json-patch';
import { applyStrategicMergePatch } from './strategic-merge-patch';
/** Undoes what a strategy did for one write (releases an allocated address, say). */
export type Rollback = () => void;

/**
 * What is special about one kind of object: its validation, and the side
 * effects of writing it (Services allocate addresses, Nodes pod CIDRs). A hook
 * may change the draft it is given; it throws a `DomainError` to refuse the
 * write, and returns a rollback when it changed anything outside the object.
 */
export interface ResourceStrategy {
  /** Validation and defaulting of a new object; `dryRun` hooks must not allocate. */
  prepareCreate?(draft: KubeObject, ctx: WriteContext): Rollback | void;
  prepareUpdate?(draft: KubeObject, previous: KubeObject, ctx: WriteContext): Rollback | void;
  /**
   * May refuse a delete (protected namespaces), or ask for a graceful one:
   * a number of seconds keeps the object, marked with `deletionTimestamp`,
   * until its owner (the kubelet, for pods) removes it.
   */
  prepareDelete?(object: KubeObject, ctx: WriteContext, gracePeriodSeconds: number | undefined): number | void;
  /**
   * Whether a delete waits for the object's finalizers (upstream's rule for every kind; opted into
   * kind by kind here, so far PersistentVolumeClaim and PersistentVolume): a delete of an object
   * with finalizers only marks it (`deletionTimestamp`, `deletionGracePeriodSeconds: 0`), and the
   * write that takes its last finalizer off removes it.
   */
  readonly holdsForFinalizers?: boolean;
  /** Runs after an object left the store (release its addresses). */
  afterDelete?(object: KubeObject, ctx: WriteContext): Rollback | void;
  /** Validation of a `status` write. */
  prepareStatusUpdate?(draft: KubeObject, previous: KubeObject, ctx: WriteContext): Rollback | void;
}

export interface WriteContext {
  store: ObjectStore;
  dryRun: boolean;
}

export interface ListOptions {
  namespace?: string;
  labelSelector?: LabelSelector;
  fieldSelector?: FieldSelector;
}

export interface ObjectList {
  resourceVersion: string;
  items: KubeObject[];
}

/** How a sliced transaction runs (`transactionInSlices`). */
export interface SlicedTransactionOptions {
  /** Wall time a slice may take before the event loop is given back (default 20 ms). */
  sliceMs?: number;
  /** Undo everything once the steps are done, and publish nothing (a dry run); the steps' result is still returned. */
  rollBack?: boolean;
  /** How a slice gives the event loop back (default `setImmediate`). */
  yieldTo?: () => Promise<void>;
}

export interface WriteOptions {
  dryRun?: boolean;
  /**
   * The caller (a controller of ours) built the input for this write and
   * hands it over: it is neither checked for nesting depth nor copied.
   * Never set for anything that came from a user.
   */
  owned?: boolean;
  /**
   * The input is a request body parsed for this write alone, which no one
   * else holds: it is checked as any user's input, but not copied (a copy of
   * a 3 MiB ConfigMap held the event loop for 100 ms and more).
   */
  handedOver?: boolean;
}

export interface WatchOptions extends ListOptions {
  /** Replay events after this version first ('0' or absent: start with the current objects as ADDED). */
  resourceVersion?: string;
}

/** The PATCH bodies the API server takes, by their content type's name. */
export type PatchType = 'merge' | 'strategic' | 'json';

/** Applies a patch of any of the three types to `target` (an object or a subresource's view, such as a Scale). */
export function applyPatch(target: object, patch: unknown, patchType: PatchType): unknown {
  if (patchType === 'json') return applyJsonPatch(target, patch);
  if (typeof patch !== 'object' || patch === null || Array.isArray(patch)) {
    throw new DomainError('BAD_REQUEST', `a ${patchType === 'merge' ? 'merge' : 'strategic merge'} patch must be a JSON object`);
  }
  return patchType === 'strategic' ? applyStrategicMergePatch(target, patch) : applyMergePatch(target, patch);
}
