/**
 * The topology of an answer: every place its outcomes' packets pass (pods,
 * nodes' own network stacks, the outside), pods drawn inside their node,
 * and an edge for each way from one place to the next, labelled with the
 * share of outcomes that take it and, across nodes, the VXLAN tunnel. Laid
 * out left to right by dagre (a Sugiyama layered layout: few crossings, the
 * path reads as a line). No DOM: the component draws what this returns.
 */
import { Graph, layout } from '@dagrejs/dagre';
import type { TrafficOutcome } from './answer';
import { placeLabel, placeOf, type Place } from './trace-model';

export interface Box {
  id: string;
  label: string;
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface Vertex extends Box {
  kind: Place['kind'];
  /** The outcomes whose path passes here. */
  outcomes: number[];
}

export interface Link {
  from: string;
  to: string;
  points: { x: number; y: number }[];
  /** Probability, when some outcomes do not take this way; the tunnel, across nodes. */
  label: string;
  outcomes: number[];
}

export interface Topology {
  width: number;
  height: number;
  clusters: Box[];
  vertices: Vertex[];
  links: Link[];
}

const CHAR_WIDTH = 7;
const VERTEX_HEIGHT = 34;

/** A share as a person reads it: `33.3%`, `98%`, `0.14%`. */
function percent(p: number): string {
  const v = p * 100;
  return `${Number(v.toFixed(v < 1 ? 2 : 1))}%`;
}

/** The places an outcome's request passes, in order, each once in a row. */
export function pathOf(outcome: TrafficOutcome): { place: Place; tunnel: string | null }[] {
  const path: { place: Place; tunnel: string | null }[] = [];
  let tunnel: string | null = null;
  for (const hop of outcome.hops) {
    const place = placeOf(hop);
    if (path.length === 0 || path[path.length - 1].place.id !== place.id) path.push({ place, tunnel });
    tunnel = hop.encapsulation ? `VXLAN ${hop.encapsulation.outer.source} → ${hop.encapsulation.outer.destination}` : null;
  }
  return path;
}

/** Past this many destination pods on one node, the others than the selected outcome's are drawn as one place. */
export const MAX_PODS_PER_NODE = 4;

/**
 * Where each outcome ends, and which destination pods are folded into one
 * `more:NODE` place: a Service with 50 replicas is drawn as its selected pod
 * and "49 more pods" on their nodes, so the picture stays readable and its
 * layout quick (dagre's cost grows fast with compound graphs).
 */
function folding(paths: ReturnType<typeof pathOf>[], selected: number): Map<string, Place> {
  const ends = new Map<string, Set<string>>();
  for (const path of paths) {
    const end = path[path.length - 1]?.place;
    if (end?.kind !== 'pod' || end.node === null) continue;
    if (!ends.has(end.node)) ends.set(end.node, new Set());
    ends.get(end.node)!.add(end.id);
  }
  const keep = paths[selected]?.[paths[selected].length - 1]?.place.id;
  const folded = new Map<string, Place>();
  for (const [node, pods] of ends) {
    if (pods.size <= MAX_PODS_PER_NODE) continue;
    const others = [...pods].filter((id) => id !== keep);
    const more: Place = { kind: 'pod', id: `more:${node}`, pod: `${others.length} more pods`, node };
    for (const id of others) folded.set(id, more);
  }
  return folded;
}

export function layoutTopology(outcomes: readonly TrafficOutcome[], selected = 0): Topology {
  const g = new Graph({ compound: true, multigraph: false });
  g.setGraph({ rankdir: 'LR', nodesep: 18, ranksep: 70, marginx: 10, marginy: 10 });
  g.setDefaultEdgeLabel(() => ({}));
  const places = new Map<string, { place: Place; outcomes: Set<number> }>();
  const links = new Map<string, { from: string; to: string; probability: number; tunnel: string | null; outcomes: Set<number> }>();
  const paths = outcomes.map(pathOf);
  const folded = folding(paths, selected);
  outcomes.forEach((outcome, i) => {
    const path = paths[i].map((step) => ({ ...step, place: folded.get(step.place.id) ?? step.place }));
    path.forEach(({ place, tunnel }, k) => {
      let p = places.get(place.id);
      if (!p) places.set(place.id, (p = { place, outcomes: new Set() }));
      p.outcomes.add(i);
      if (k === 0 || path[k - 1].place.id === place.id) return;
      const from = path[k - 1].place.id;
      const key = `${from}\n${place.id}`;
      let l = links.get(key);
      if (!l) links.set(key, (l = { from, to: place.id, probability: 0, tunnel, outcomes: new Set() }));
      l.probability += outcome.probability;
      l.outcomes.add(i);
    });
  });
  for (const { place } of places.values()) {
    const label = place.kind === 'node' ? `${place.node} (host)` : placeLabel(place);
    g.setNode(place.id, { label, width: Math.max(90, label.length * CHAR_WIDTH + 20), height: VERTEX_HEIGHT });
    const node = place.kind === 'pod' ? place.node : place.kind === 'node' ? place.node : null;
    if (node) {
      const cluster = `cluster:${node}`;
      if (!g.hasNode(cluster)) g.setNode(cluster, { label: node, clusterLabelPos: 'top', paddingTop: 24 });
      g.setParent(place.id, cluster);
    }
  }
  const total = outcomes.reduce((n, o) => n + o.probability, 0);
  for (const l of links.values()) {
    const share = l.probability < total - 1e-9 ? percent(l.probability) : '';
    const label = [share, l.tunnel].filter(Boolean).join(' · ');
    g.setEdge(l.from, l.to, { label, width: label.length * 6, height: label ? 14 : 0, labelpos: 'c' });
  }
  layout(g);
  const box = (id: string, label: string): Box => {
    const n = g.node(id);
    return { id, label, x: n.x - n.width / 2, y: n.y - n.height / 2, width: n.width, height: n.height };
  };
  const clusters = g.nodes().filter((id) => id.startsWith('cluster:')).map((id) => box(id, id.slice('cluster:'.length)));
  const vertices = [...places.values()].map(({ place, outcomes: os }) => ({ ...box(place.id, String(g.node(place.id).label)), kind: place.kind, outcomes: [...os] }));
  const graph = g.graph();
  return {
    width: graph.width ?? 0,
    height: graph.height ?? 0,
    clusters,
    vertices,
    links: [...links.values()].map((l) => ({
      from: l.from,
      to: l.to,
      points: g.edge(l.from, l.to).points ?? [],
      label: String(g.edge(l.from, l.to).label ?? ''),
      outcomes: [...l.outcomes],
    })),
  };
}
