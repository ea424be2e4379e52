/** The packet's path drawn over the places it passes; the current step's place and link stand out. */
import { useMemo } from 'preact/hooks';
import type { TrafficOutcome } from './answer';
import { layoutTopology, MAX_PODS_PER_NODE } from './topology-layout';
import type { Step } from './trace-model';

interface Props {
  outcomes: readonly TrafficOutcome[];
  selected: number;
  step: Step | undefined;
  previous: Step | undefined;
  onSelect: (outcome: number) => void;
}

export function Topology({ outcomes, selected, step, previous, onSelect }: Props) {
  // The layout depends on the selected outcome only when pods are folded (many replicas).
  const foldKey = outcomes.length > MAX_PODS_PER_NODE ? selected : 0;
  const topo = useMemo(() => layoutTopology(outcomes, foldKey), [outcomes, foldKey]);
  const here = step?.place.id;
  // The link being crossed: from the place of the step before to this one (either way round, for the reply).
  const crossing = step && previous && previous.place.id !== step.place.id ? [previous.place.id, step.place.id] : null;
  return (
    <svg class="topology" data-testid="topology" viewBox={`0 0 ${Math.ceil(topo.width)} ${Math.ceil(topo.height)}`} style={{ maxWidth: `${Math.ceil(topo.width)}px` }} role="img" aria-label="the packet's path">
      <defs>
        <marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">
          <path d="M0,0 L10,5 L0,10 z" />
        </marker>
      </defs>
      {topo.clusters.map((c) => (
        <g class="cluster" key={c.id} data-node={c.label}>
          <rect x={c.x} y={c.y} width={c.width} height={c.height} rx="8" />
          <text x={c.x + 8} y={c.y + 15}>
            node {c.label}
          </text>
        </g>
      ))}
      {topo.links.map((l) => {
        const on = l.outcomes.includes(selected);
        const now = crossing !== null && ((crossing[0] === l.from && crossing[1] === l.to) || (crossing[0] === l.to && crossing[1] === l.from));
        const d = l.points.map((p, i) => `${i ? 'L' : 'M'}${p.x.toFixed(1)},${p.y.toFixed(1)}`).join(' ');
        const mid = l.points[Math.floor(l.points.length / 2)];
        return (
          <g class={`link${on ? ' on-path' : ''}${now ? ' crossing' : ''}`} key={`${l.from}>${l.to}`} data-from={l.from} data-to={l.to} onClick={() => onSelect(on ? selected : l.outcomes[0])}>
            <path d={d} marker-end="url(#arrow)" />
            {l.label && mid ? (
              <text x={mid.x} y={mid.y - 4} text-anchor="middle">
                {l.label}
              </text>
            ) : null}
          </g>
        );
      })}
      {topo.vertices.map((v) => {
        const on = v.outcomes.includes(selected);
        return (
          <g
            class={`vertex ${v.kind}${on ? ' on-path' : ''}${v.id === here ? ' current' : ''}`}
            key={v.id}
            data-place={v.id}
            onClick={() => onSelect(on ? selected : v.outcomes[0])}
          >
            <rect x={v.x} y={v.y} width={v.width} height={v.height} rx="5" />
            <text x={v.x + v.width / 2} y={v.y + v.height / 2 + 4} text-anchor="middle">
              {v.label}
            </text>
          </g>
        );
      })}
    </svg>
  );
}
