/**
 * The shapes the UI reads from the server: the traffic answer (the types are
 * the server's own, src/dataplane/traffic.ts and verdict.ts, imported for
 * their types only, so the two cannot drift) and the few Kubernetes object
 * fields the views show.
 */
export type { Hop, TrafficOutcome, TrafficRequest, TrafficResponse, TrafficResult } from '../../src/dataplane/traffic';
export type { Verdict } from '../../src/dataplane/verdict';
export type { TraceStep } from '../../src/netfilter/types';
export type { PacketView } from '../../src/netfilter/packet-view';

export interface ObjectMeta {
  name: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  labels?: Record<string, string>;
  deletionTimestamp?: string;
}

export interface KubeObject {
  kind?: string;
  metadata: ObjectMeta;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  spec?: any;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  status?: any;
}

/** An EndpointSlice's fields the cluster view shows. */
export interface EndpointSlice extends KubeObject {
  endpoints?: { addresses: string[]; conditions?: { ready?: boolean; serving?: boolean; terminating?: boolean }; nodeName?: string; targetRef?: { name: string; namespace?: string } }[];
  ports?: { name?: string; port?: number; protocol?: string }[];
}

/** A watch event, one JSON object a line. */
export interface WatchEvent {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  object: KubeObject;
}
