/**
 * The current step, as Packet Tracer's PDU view shows it: the packet's
 * addresses and ports (each rewritten field highlighted, with its value
 * before), the hook/table/chain and rule text, the conntrack entry; and
 * the list of every step, to jump to one.
 */
import { useEffect, useRef } from 'preact/hooks';
import { PACKET_FIELDS, placeLabel, type PacketField, type Step } from './trace-model';

const FIELD_LABELS: Record<PacketField, string> = { source: 'source', sourcePort: 'source port', destination: 'destination', destinationPort: 'destination port' };

function stepTitle(s: Step): string {
  if (s.rule === null) return s.hop.where;
  const r = s.rule;
  return `${r.hook} · ${r.table}${r.chain ? ` · ${r.chain}` : ''}${r.ruleNumber ? ` #${r.ruleNumber}` : ''}: ${r.action}`;
}

interface Props {
  steps: readonly Step[];
  at: number;
  onGo: (step: number) => void;
  onShowRule: (step: Step) => void;
}

export function StepPanel({ steps, at, onGo, onShowRule }: Props) {
  const step = steps[at];
  const before = at > 0 ? steps[at - 1] : undefined;
  const list = useRef<HTMLOListElement>(null);
  useEffect(() => {
    const item = list.current?.querySelector<HTMLElement>('li.current');
    const box = list.current;
    if (item && box && (item.offsetTop < box.scrollTop || item.offsetTop + item.offsetHeight > box.scrollTop + box.clientHeight)) {
      box.scrollTop = item.offsetTop - box.clientHeight / 2;
    }
  }, [at, steps]);
  if (!step) return null;
  const hop = step.hop;
  return (
    <div class="step-panel">
      <div class="step-detail" data-testid="step-detail">
        <h3>
          <span data-testid="step-position">
            Step {at + 1} of {steps.length}
          </span>{' '}
          · <span class={`direction ${step.direction}`}>{step.direction}</span> · <span data-testid="step-place">{placeLabel(step.place)}</span>
        </h3>
        <p class="where" data-testid="step-where">
          {hop.where}
        </p>
        <table class="packet" data-testid="packet">
          <tbody>
            <tr>
              <th>protocol</th>
              <td>{step.packet.protocol}</td>
            </tr>
            {PACKET_FIELDS.map((f) => {
              const changed = step.changed.includes(f);
              const was = before && changed ? (step.index === before.index + 1 ? before.packet[f] : undefined) : undefined;
              return (
                <tr key={f} class={changed ? 'changed' : ''} data-field={f}>
                  <th>{FIELD_LABELS[f]}</th>
                  <td>
                    <span class="value">{String(step.packet[f])}</span>
                    {changed && was !== undefined ? <span class="was"> (was {String(was)})</span> : null}
                  </td>
                </tr>
              );
            })}
            {hop.ttl !== null ? (
              <tr>
                <th>TTL</th>
                <td>{hop.ttl}</td>
              </tr>
            ) : null}
          </tbody>
        </table>
        {step.rule ? (
          <div class="rule" data-testid="step-rule">
            <div class="hook">
              <span data-testid="rule-hook">{step.rule.hook}</span> · table <b>{step.rule.table}</b>
              {step.rule.chain ? (
                <>
                  {' '}
                  · chain <b>{step.rule.chain}</b>
                </>
              ) : null}
              {step.rule.ruleNumber ? ` · rule ${step.rule.ruleNumber}` : ''}
            </div>
            {step.rule.rule ? (
              <code class="rule-text" data-testid="rule-text" onClick={() => onShowRule(step)} title="show it in the node's rule table">
                {step.rule.rule}
              </code>
            ) : null}
            <div class="action" data-testid="rule-action">
              → {step.rule.action}
            </div>
          </div>
        ) : (
          <div class="hop-summary">
            {hop.nat ? (
              <div>
                NAT on this node: {hop.nat.dnat ? `DNAT to ${hop.nat.dnat}` : 'no DNAT'}, {hop.nat.snat ? `${hop.nat.masquerade ? 'MASQUERADE' : 'SNAT'} to ${hop.nat.snat}` : 'no SNAT'}
              </div>
            ) : null}
            {hop.encapsulation ? (
              <div data-testid="encapsulation">
                leaves encapsulated: VXLAN VNI {hop.encapsulation.vni}, outer UDP {hop.encapsulation.outer.source}:{hop.encapsulation.outer.sourcePort} →{' '}
                {hop.encapsulation.outer.destination}:{hop.encapsulation.outer.destinationPort}, MTU {hop.encapsulation.mtu}
              </div>
            ) : null}
            {hop.rules.length ? <div>{hop.rules.length} steps on this node: → to walk through them.</div> : null}
          </div>
        )}
        {step.conntrack ? (
          <div class="conntrack" data-testid="conntrack">
            conntrack: <code>{step.conntrack}</code>
          </div>
        ) : null}
      </div>
      <ol class="step-list" ref={list} data-testid="step-list">
        {steps.map((s) => (
          <li key={s.index} class={`${s.index === at ? 'current' : ''}${s.rule === null ? ' hop' : ''}${s.changed.length ? ' rewrites' : ''} ${s.direction}`} onClick={() => onGo(s.index)}>
            {s.rule === null ? <b>{stepTitle(s)}</b> : stepTitle(s)}
          </li>
        ))}
      </ol>
    </div>
  );
}
