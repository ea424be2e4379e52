/**
 * The shapes of Kubernetes API objects as the store holds them. Objects are
 * plain JSON: what a client sends is what the store keeps, plus the metadata
 * the API server fills in.
 */

export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

export interface ObjectMeta {
  name: string;
  generateName?: string;
  namespace?: string;
  uid: string;
  resourceVersion: string;
  generation: number;
  creationTimestamp: string;
  deletionTimestamp?: string;
  deletionGracePeriodSeconds?: number;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: OwnerReference[];
  finalizers?: string[];
}

/** Any API object: `apiVersion`, `kind`, `metadata`, and whatever else its kind carries. */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  spec?: unknown;
  status?: unknown;
  [field: string]: unknown;
}

/** An object as a client submits it: metadata is partial, the server fills the rest. */
export interface ObjectInput {
  apiVersion?: string;
  kind?: string;
  metadata?: Partial<ObjectMeta>;
  [field: string]: unknown;
}

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface WatchEvent {
  type: WatchEventType;
  object: KubeObject;
}

/** What a stored event carries besides the event: which resource it belongs to. */
export interface StoredEvent extends WatchEvent {
  resource: string;
  resourceVersion: number;
  /** For MODIFIED: the object as it was before. */
  previous?: KubeObject;
}
