/**
 * The cluster as the UI shows it, kept live by watches: nodes, pods,
 * Services, EndpointSlices and Deployments, each a map by namespace/name,
 * listed once then watched from the list's resourceVersion.
 */
import { useEffect, useState } from 'preact/hooks';
import { watch } from './api';
import type { EndpointSlice, KubeObject, WatchEvent } from './answer';

export interface ClusterState {
  nodes: KubeObject[];
  pods: KubeObject[];
  services: KubeObject[];
  slices: EndpointSlice[];
  deployments: KubeObject[];
  /** Grows with every event. */
  revision: number;
  /** Every kind listed once: the state is the cluster's, not a part of it. */
  synced: boolean;
}

const WATCHED = {
  nodes: '/api/v1/nodes',
  pods: '/api/v1/pods',
  services: '/api/v1/services',
  slices: '/apis/discovery.k8s.io/v1/endpointslices',
  deployments: '/apis/apps/v1/deployments',
} as const;

type Kind = keyof typeof WATCHED;

export function keyOf(o: KubeObject): string {
  return o.metadata.namespace ? `${o.metadata.namespace}/${o.metadata.name}` : o.metadata.name;
}

function sorted(map: Map<string, KubeObject>): KubeObject[] {
  return [...map.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, o]) => o);
}

export function useCluster(): ClusterState {
  const [state, setState] = useState<ClusterState>({ nodes: [], pods: [], services: [], slices: [], deployments: [], revision: 0, synced: false });
  useEffect(() => {
    const maps = Object.fromEntries(Object.keys(WATCHED).map((k) => [k, new Map<string, KubeObject>()])) as Record<Kind, Map<string, KubeObject>>;
    let revision = 0;
    let scheduled = false;
    const listed = new Set<Kind>();
    // Events come in bursts (a watch's first state, a scale): one render per frame.
    const publish = () => {
      if (scheduled) return;
      scheduled = true;
      requestAnimationFrame(() => {
        scheduled = false;
        setState({
          nodes: sorted(maps.nodes),
          pods: sorted(maps.pods),
          services: sorted(maps.services),
          slices: sorted(maps.slices) as EndpointSlice[],
          deployments: sorted(maps.deployments),
          revision,
          synced: listed.size === Object.keys(WATCHED).length,
        });
      });
    };
    const stops = (Object.keys(WATCHED) as Kind[]).map((kind) =>
      watch(
        WATCHED[kind],
        (items) => {
          maps[kind].clear();
          for (const o of items) maps[kind].set(keyOf(o), o);
          listed.add(kind);
          revision++;
          publish();
        },
        (e: WatchEvent) => {
          if (e.type === 'ADDED' || e.type === 'MODIFIED') maps[kind].set(keyOf(e.object), e.object);
          else if (e.type === 'DELETED') maps[kind].delete(keyOf(e.object));
          else return;
          revision++;
          publish();
        },
      ),
    );
    return () => stops.forEach((stop) => stop());
  }, []);
  return state;
}

/** Whether a node is Ready (its Ready condition True). */
export function nodeReady(node: KubeObject): string {
  const ready = (node.status?.conditions as { type: string; status: string }[] | undefined)?.find((c) => c.type === 'Ready');
  return ready?.status === 'True' ? 'Ready' : ready?.status === 'Unknown' ? 'NotReady (Unknown)' : 'NotReady';
}

/** A pod's state in one word, as `kubectl get pods` shows it. */
export function podState(pod: KubeObject): string {
  if (pod.metadata.deletionTimestamp) return 'Terminating';
  const ready = (pod.status?.conditions as { type: string; status: string }[] | undefined)?.find((c) => c.type === 'Ready');
  const phase = (pod.status?.phase as string | undefined) ?? 'Pending';
  return phase === 'Running' && ready?.status !== 'True' ? 'Running (not ready)' : phase;
}
