/**
 * A node's tables as `iptables-save` prints them and, on a node in nftables
 * mode, kube-proxy's ruleset as `nft list ruleset` prints it beside them; the
 * rules the current outcome hit highlighted (the current step's most), each
 * hit a link back to its step.
 */
import { useEffect, useMemo, useRef } from 'preact/hooks';
import type { NodeRules } from './api';
import { iptablesLines, nftLines, stepRuleKey, type Line } from './rule-lines';
import type { Step } from './trace-model';

interface ListingProps {
  kind: 'iptables' | 'nftables';
  node: string;
  lines: readonly Line[];
  hits: ReadonlySet<string>;
  current: string | null;
  focus: string | null;
  onJump: (node: string, key: string) => void;
}

function Listing({ kind, node, lines, hits, current, focus, onJump }: ListingProps) {
  const box = useRef<HTMLPreElement>(null);
  useEffect(() => {
    const pre = box.current;
    const line = pre?.querySelector<HTMLElement>('[data-focus]');
    if (line && pre) pre.scrollTop = Math.max(0, line.offsetTop - pre.clientHeight / 3);
  }, [focus, lines]);
  return (
    <pre class={`iptables ${kind}`} ref={box} data-testid={kind} data-node={node}>
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
  );
}

interface Props {
  nodes: readonly string[];
  node: string | null;
  rules: NodeRules | undefined;
  steps: readonly Step[];
  at: number;
  onNode: (node: string) => void;
  onJump: (node: string, key: string) => void;
}

export function RuleTable({ nodes, node, rules, steps, at, onNode, onJump }: Props) {
  const iptables = useMemo(() => (rules === undefined ? [] : iptablesLines(rules.iptables)), [rules]);
  const nftables = useMemo(() => (rules?.nftables ? nftLines(rules.nftables) : null), [rules]);
  const hits = useMemo(() => {
    const set = new Set<string>();
    for (const s of steps) {
      const key = s.place.kind === 'node' && s.hop.node === node ? stepRuleKey(s.rule) : null;
      if (key) set.add(key);
    }
    return set;
  }, [steps, node]);
  const step = steps[at];
  const current = step && step.hop.node === node && step.place.kind === 'node' ? stepRuleKey(step.rule) : null;
  // On a hop's own step, the tables show the first rule the hop meets there.
  const firstOfHop = step && step.ruleIndex === null && step.place.kind === 'node' && step.hop.node === node ? step.hop.rules.find((r) => r.rule) : undefined;
  const focus = current ?? stepRuleKey(firstOfHop);
  const listing = (kind: 'iptables' | 'nftables', lines: readonly Line[]) => <Listing kind={kind} node={node!} lines={lines} hits={hits} current={current} focus={focus} onJump={onJump} />;
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
      {node === null ? null : rules === undefined ? (
        <p class="muted">loading the rules of {node}…</p>
      ) : nftables === null ? (
        listing('iptables', iptables)
      ) : (
        <div class="listings">
          <div>
            <h3>iptables-save</h3>
            {listing('iptables', iptables)}
          </div>
          <div>
            <h3 data-testid="nftables-title">nft list ruleset (kube-proxy in nftables mode)</h3>
            {listing('nftables', nftables)}
          </div>
        </div>
      )}
    </section>
  );
}
