/**
 * A node's tables as `iptables-save` prints them, the rules the current
 * outcome hit highlighted (the current step's most), each hit a link back
 * to its step.
 */
import { useEffect, useMemo, useRef } from 'preact/hooks';
import type { Step } from './trace-model';

/** `TABLE\tRULE`: a rule's key, since the same text may stand in two tables. */
export function ruleKey(table: string, rule: string): string {
  return `${table}\t${rule}`;
}

interface Line {
  text: string;
  key: string | null;
}

function linesOf(text: string): Line[] {
  let table = '';
  return text.split('\n').map((line) => {
    if (line.startsWith('*')) table = line.slice(1);
    return { text: line, key: line.startsWith('-A ') ? ruleKey(table, line) : null };
  });
}

interface Props {
  nodes: readonly string[];
  node: string | null;
  text: string | undefined;
  steps: readonly Step[];
  at: number;
  onNode: (node: string) => void;
  onJump: (node: string, key: string) => void;
}

export function RuleTable({ nodes, node, text, steps, at, onNode, onJump }: Props) {
  const lines = useMemo(() => (text === undefined ? [] : linesOf(text)), [text]);
  const hits = useMemo(() => {
    const set = new Set<string>();
    for (const s of steps) if (s.rule?.rule && s.place.kind === 'node' && s.hop.node === node) set.add(ruleKey(s.rule.table, s.rule.rule));
    return set;
  }, [steps, node]);
  const step = steps[at];
  const current = step?.rule?.rule && step.hop.node === node && step.place.kind === 'node' ? ruleKey(step.rule.table, step.rule.rule) : null;
  // On a hop's own step, the table shows the first rule the hop meets there.
  const firstOfHop = step && step.ruleIndex === null && step.place.kind === 'node' && step.hop.node === node ? step.hop.rules.find((r) => r.rule) : undefined;
  const focus = current ?? (firstOfHop?.rule ? ruleKey(firstOfHop.table, firstOfHop.rule) : null);
  const box = useRef<HTMLPreElement>(null);
  useEffect(() => {
    const pre = box.current;
    const line = pre?.querySelector<HTMLElement>('[data-focus]');
    if (line && pre) pre.scrollTop = Math.max(0, line.offsetTop - pre.clientHeight / 3);
  }, [focus, text]);
  return (
    <section class="rule-tables" data-testid="rule-tables">
      <h2>Rule tables</h2>
      <div class="tabs" role="tablist">
        {nodes.map((n) => (
          <button key={n} role="tab" aria-selected={n === node} class={n === node ? 'selected' : ''} onClick={() => onNode(n)}>
            {n}
          </button>
        ))}
      </div>
      {node === null ? null : text === undefined ? (
        <p class="muted">loading iptables-save of {node}…</p>
      ) : (
        <pre class="iptables" ref={box} data-testid="iptables" data-node={node}>
          {lines.map((l, i) => {
            const hit = l.key !== null && hits.has(l.key);
            const cls = `${hit ? 'hit' : ''}${l.key !== null && l.key === current ? ' current' : ''}`;
            return (
              <div key={i} class={cls || undefined} data-focus={l.key !== null && l.key === focus ? '' : undefined} onClick={hit ? () => onJump(node, l.key!) : undefined} title={hit ? 'go to the step that hit this rule' : undefined}>
                {l.text || ' '}
              </div>
            );
          })}
        </pre>
      )}
    </section>
  );
}
