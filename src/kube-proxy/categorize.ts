/**
 * Which endpoints a service port uses (upstream `pkg/proxy/topology.go`,
 * `CategorizeEndpoints`):
 *
 * - Cluster endpoints (only if the port ever uses Cluster policy): the ready
 *   endpoints allowed by topology hints; if none, the serving-and-terminating
 *   endpoints anywhere, without topology.
 * - Local endpoints (only if the port ever uses Local policy): the local ready
 *   endpoints; if none, the local serving-and-terminating ones.
 * - `hasAnyEndpoints`: some usable endpoint exists anywhere in the cluster.
 * - `allReachable`: the endpoints that need a SEP chain on this node.
 *
 * Locality is decided by `nodeName` only.
 */
import type { EndpointInfo } from './endpoint-slice-cache';
import { usesClusterEndpoints, usesLocalEndpoints, type ServicePortInfo } from './service-port';
import { LABEL_TOPOLOGY_ZONE } from './types';

export interface CategorizedEndpoints {
  clusterEndpoints: readonly EndpointInfo[];
  localEndpoints: readonly EndpointInfo[];
  allReachable: readonly EndpointInfo[];
  hasAnyEndpoints: boolean;
}

export interface TopologyContext {
  nodeName: string;
  /** Node labels; the zone label drives PreferSameZone. */
  topologyLabels: Readonly<Record<string, string>>;
  /** Feature gate PreferSameTrafficDistribution: read node hints (PreferSameNode). */
  preferSameTrafficDistribution: boolean;
}

type TopologyMode = '' | 'PreferSameZone' | 'PreferSameNode';

const NONE: readonly EndpointInfo[] = Object.freeze([]);

function topologyModeFromHints(endpoints: readonly EndpointInfo[], ctx: TopologyContext, zone: string): TopologyMode {
  let hasReady = false;
  let allNodeHints = true;
  let hasForNode = false;
  let allZoneHints = true;
  let hasForZone = false;
  for (const ep of endpoints) {
    if (!ep.ready) continue;
    hasReady = true;
    if (!ep.nodeHints || ep.nodeHints.size === 0) allNodeHints = false;
    else if (ep.nodeHints.has(ctx.nodeName)) hasForNode = true;
    if (!ep.zoneHints || ep.zoneHints.size === 0) allZoneHints = false;
    else if (ep.zoneHints.has(zone)) hasForZone = true;
  }
  if (!hasReady) return '';
  if (ctx.preferSameTrafficDistribution && allNodeHints && hasForNode) return 'PreferSameNode';
  if (allZoneHints && hasForZone) return 'PreferSameZone';
  return '';
}

function availableForTopology(ep: EndpointInfo, mode: TopologyMode, nodeName: string, zone: string): boolean {
  switch (mode) {
    case '':
      return true;
    case 'PreferSameNode':
      return ep.nodeHints?.has(nodeName) ?? false;
    case 'PreferSameZone':
      return ep.zoneHints?.has(zone) ?? false;
  }
}

export function categorizeEndpoints(
  endpoints: readonly EndpointInfo[] | undefined,
  sp: ServicePortInfo,
  ctx: TopologyContext,
): CategorizedEndpoints {
  if (!endpoints || endpoints.length === 0) {
    return { clusterEndpoints: NONE, localEndpoints: NONE, allReachable: NONE, hasAnyEndpoints: false };
  }
  let hasAnyEndpoints = false;
  let mode: TopologyMode = '';
  let clusterEndpoints: readonly EndpointInfo[] = NONE;
  const zone = ctx.topologyLabels[LABEL_TOPOLOGY_ZONE] ?? '';

  const useCluster = usesClusterEndpoints(sp);
  if (useCluster) {
    mode = topologyModeFromHints(endpoints, ctx, zone);
    // Common case: every endpoint ready and no topology; the list itself is the answer.
    clusterEndpoints =
      mode === '' && endpoints.every((ep) => ep.ready)
        ? endpoints
        : endpoints.filter((ep) => ep.ready && availableForTopology(ep, mode, ctx.nodeName, zone));
    // No ready endpoint anywhere (topology already fell back): use serving-terminating ones.
    if (clusterEndpoints.length === 0) clusterEndpoints = endpoints.filter((ep) => ep.serving && ep.terminating);
    if (clusterEndpoints.length > 0) hasAnyEndpoints = true;
  }

  if (!usesLocalEndpoints(sp)) {
    return { clusterEndpoints, localEndpoints: NONE, allReachable: clusterEndpoints, hasAnyEndpoints };
  }

  let hasLocalReady = false;
  let hasLocalServingTerminating = false;
  for (const ep of endpoints) {
    if (ep.ready) {
      hasAnyEndpoints = true;
      if (ep.isLocal) hasLocalReady = true;
    } else if (ep.serving && ep.terminating) {
      hasAnyEndpoints = true;
      if (ep.isLocal) hasLocalServingTerminating = true;
    }
  }
  let localEndpoints: readonly EndpointInfo[] = NONE;
  let usedServingTerminating = false;
  if (hasLocalReady) {
    localEndpoints = endpoints.filter((ep) => ep.isLocal && ep.ready);
  } else if (hasLocalServingTerminating) {
    usedServingTerminating = true;
    localEndpoints = endpoints.filter((ep) => ep.isLocal && ep.serving && ep.terminating);
  }

  if (!useCluster) return { clusterEndpoints, localEndpoints, allReachable: localEndpoints, hasAnyEndpoints };
  if (mode === '' && !usedServingTerminating) {
    // clusterEndpoints then holds every ready endpoint, a superset of localEndpoints.
    return { clusterEndpoints, localEndpoints, allReachable: clusterEndpoints, hasAnyEndpoints };
  }
  // Union of both lists. Upstream builds it from a Go map (random order); it only
  // decides the order SEP chains are written in, so it is kept sorted here.
  const union = new Map<string, EndpointInfo>();
  for (const ep of clusterEndpoints) union.set(ep.endpoint, ep);
  for (const ep of localEndpoints) union.set(ep.endpoint, ep);
  const allReachable = [...union.values()].sort((a, b) => (a.endpoint < b.endpoint ? -1 : a.endpoint > b.endpoint ? 1 : 0));
  return { clusterEndpoints, localEndpoints, allReachable, hasAnyEndpoints };
}
