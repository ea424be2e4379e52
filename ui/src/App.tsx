/**
 * kube-netsim's page: the cluster (live), the traffic form, the explanation,
 * the topology with the packet's path, the step-through, the rule tables and
 * the tour's actions. The URL holds the request and the position in it.
 */
import { useCallback, useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { ApiError, nodeRules, sendTraffic, type NodeRules } from './api';
import type { TrafficRequest, TrafficResponse } from './answer';
import { Actions } from './Actions';
import { useCluster } from './cluster';
import { ClusterView } from './ClusterView';
import { keyFor, type Key } from './keyboard';
import { RuleTable } from './RuleTable';
import { stepRuleKey } from './rule-lines';
import { StepPanel } from './StepPanel';
import { Topology } from './Topology';
import { explanation, hopBoundary, stepsOf, type Step } from './trace-model';
import { TrafficForm } from './TrafficForm';
import { formatViewState, parseViewState, type ViewState } from './url-state';

function percent(p: number): string {
  return `${(p * 100).toFixed(p === 1 ? 0 : 2)}%`;
}

function destinationText(o: TrafficResponse['outcomes'][number]): string {
  const d = o.destination;
  if (!d) return o.result;
  return `${d.pod ? `pod ${d.pod}` : d.node ? `node ${d.node}` : d.ip} (${d.ip}:${d.port})`;
}

export function App() {
  const cluster = useCluster();
  const initial = useMemo(() => parseViewState(location.search), []);
  const [view, setView] = useState<ViewState>(initial);
  const [draft, setDraft] = useState<TrafficRequest | null>(initial.request);
  const [answer, setAnswer] = useState<{ request: TrafficRequest; response: TrafficResponse } | null>(null);
  /** The routing state the shown trace was sent in (see `signature`); null until known. */
  const [sentIn, setSentIn] = useState<string | null>(null);
  const [sending, setSending] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [tables, setTables] = useState<Record<string, NodeRules>>({});
  const [tableNode, setTableNode] = useState<string | null>(null);

  // What routing depends on: a change here makes the trace shown stale.
  const signature = useMemo(() => [...cluster.services, ...cluster.slices, ...cluster.nodes.map((n) => ({ metadata: { name: n.metadata.name, resourceVersion: JSON.stringify(n.status?.conditions?.find((c: { type: string }) => c.type === 'Ready')?.status) } }))].map((o) => `${o.metadata.name}@${o.metadata.resourceVersion}`).join(','), [cluster.services, cluster.slices, cluster.nodes]);
  // The state a trace was sent in; null until every kind is listed (a shared link sends at once).
  const current = useRef<string | null>(null);
  current.current = cluster.synced ? signature : null;
  useEffect(() => {
    if (answer && sentIn === null && current.current !== null) setSentIn(current.current);
  }, [answer, sentIn, cluster.synced]);

  const send = useCallback(
    async (request: TrafficRequest, position?: { outcome: number; step: number }) => {
      setSending(true);
      setError(null);
      setDraft(request);
      try {
        const response = await sendTraffic(request);
        performance.mark('netsim:answer');
        const outcome = Math.min(position?.outcome ?? 0, Math.max(0, response.outcomes.length - 1));
        setTables({});
        setTableNode(null);
        setAnswer({ request, response });
        setSentIn(current.current);
        const next = { request, outcome, step: position?.step ?? 0 };
        setView(next);
        if (!position) history.pushState(null, '', formatViewState(next) || '/');
      } catch (e) {
        setError(e instanceof ApiError ? e.message : String(e));
      } finally {
        setSending(false);
      }
    },
    [],
  );

  // A shared link: send its request once, at the position it names.
  useEffect(() => {
    if (initial.request) void send(initial.request, { outcome: initial.outcome, step: initial.step });
    const onPop = () => {
      const state = parseViewState(location.search);
      if (state.request) void send(state.request, { outcome: state.outcome, step: state.step });
    };
    addEventListener('popstate', onPop);
    return () => removeEventListener('popstate', onPop);
  }, []);

  const outcomes = answer?.response.outcomes ?? [];
  const outcome = outcomes[view.outcome];
  const steps: Step[] = useMemo(() => (outcome ? stepsOf(outcome) : []), [outcome]);
  const at = Math.min(view.step, Math.max(0, steps.length - 1));
  const step = steps[at];

  const go = useCallback(
    (next: Partial<ViewState>) => {
      setView((v) => {
        const s = { ...v, ...next };
        history.replaceState(null, '', formatViewState(s) || '/');
        return s;
      });
    },
    [],
  );

  // The rule table follows the step's node.
  const pathNodes = useMemo(() => [...new Set(steps.map((s) => s.hop.node).filter((n): n is string => n !== null))], [steps]);
  useEffect(() => {
    if (step?.place.kind === 'node') setTableNode(step.place.node);
    else if (tableNode === null && pathNodes.length) setTableNode(pathNodes[0]);
  }, [step, pathNodes]);
  useEffect(() => {
    if (!tableNode || tables[tableNode] !== undefined) return;
    nodeRules(tableNode).then(
      (rules) => setTables((t) => ({ ...t, [tableNode]: rules })),
      (e) => setError(String(e instanceof Error ? e.message : e)),
    );
  }, [tableNode, tables]);

  // Keyboard stepping (docs/ui.md): → / j next step, ← / k previous, ↓ / J next hop, ↑ / K previous hop, Home / End.
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const key: Key | null = keyFor(e);
      if (!key || steps.length === 0) return;
      e.preventDefault();
      const last = steps.length - 1;
      const target =
        key === 'next' ? Math.min(at + 1, last) : key === 'previous' ? Math.max(at - 1, 0) : key === 'next-hop' ? hopBoundary(steps, at, 1) : key === 'previous-hop' ? hopBoundary(steps, at, -1) : key === 'first' ? 0 : last;
      go({ step: target });
    };
    addEventListener('keydown', onKey);
    return () => removeEventListener('keydown', onKey);
  }, [steps, at, go]);

  // Timings for bench/ui.ts: the cluster first shown, and each trace shown after its answer arrived.
  useEffect(() => {
    if (cluster.nodes.length && performance.getEntriesByName('netsim:cluster-shown').length === 0) performance.mark('netsim:cluster-shown');
  }, [cluster.nodes.length]);
  useEffect(() => {
    if (!answer) return;
    performance.mark('netsim:trace-shown');
    performance.measure('netsim:answer-to-trace', 'netsim:answer', 'netsim:trace-shown');
  }, [answer]);

  const run = useCallback((what: string, action: () => Promise<unknown>) => {
    setNotice(`${what}…`);
    action().then(
      () => setNotice(`done: ${what}`),
      (e) => setNotice(`${what}: ${e instanceof Error ? e.message : String(e)}`),
    );
  }, []);

  const stale = answer !== null && sentIn !== null && cluster.synced && sentIn !== signature;
  return (
    <div class="app">
      <header>
        <h1>kube-netsim</h1>
        <TrafficForm cluster={cluster} request={draft} sending={sending} onSend={(r) => void send(r)} />
        <span class="help" title="→ or j: next step · ← or k: previous · ↓ or J: next hop · ↑ or K: previous hop · Home / End">
          keys: → j ← k ↓ J ↑ K
        </span>
      </header>
      <main>
        <aside class="left">
          <ClusterView cluster={cluster} onSource={(from) => setDraft({ ...(draft ?? { to: 'web:80' }), from })} onDestination={(to) => setDraft({ ...(draft ?? { from: '' }), to })} />
          <Actions cluster={cluster} run={run} />
          {notice ? (
            <p class="notice" data-testid="notice">
              {notice}
            </p>
          ) : null}
        </aside>
        <section class="trace">
          {error ? (
            <p class="error" data-testid="error">
              {error}
            </p>
          ) : null}
          {!answer ? (
            <p class="muted intro">Pick a source and a destination, then Send: the packet's path appears here, to walk through step by step.</p>
          ) : (
            <>
              <div class={`explanation result-${outcome?.result ?? 'none'}`} data-testid="explanation">
                {outcome ? explanation(outcome) : 'No outcome.'}
                {stale ? (
                  <span class="stale" data-testid="stale">
                    {' '}
                    The cluster changed since this trace: Send again.
                  </span>
                ) : null}
              </div>
              {outcome?.verdict ? (
                <p class="client-view" data-testid="client-view">
                  The client sees: {outcome.verdict.client.replace(/-/g, ' ')} ({outcome.verdict.reason}).
                </p>
              ) : null}
              {outcome?.verdict?.notes?.length ? (
                <ul class="notes">
                  {outcome.verdict.notes.map((n) => (
                    <li key={n.reason}>{n.message}</li>
                  ))}
                </ul>
              ) : null}
              <ol class="outcomes" data-testid="outcomes">
                {outcomes.map((o, i) => (
                  <li key={i} class={i === view.outcome ? 'selected' : ''} onClick={() => go({ outcome: i, step: 0 })}>
                    <span class="probability">{percent(o.probability)}</span> <span class={`result ${o.result}`}>{o.verdict?.reason ?? o.result}</span> {destinationText(o)}
                  </li>
                ))}
              </ol>
              <div class="topology-box">
                <Topology outcomes={outcomes} selected={view.outcome} step={step} previous={at > 0 ? steps[at - 1] : undefined} onSelect={(i) => go({ outcome: i, step: i === view.outcome ? at : 0 })} />
              </div>
              <div class="stepper">
                <button onClick={() => go({ step: 0 })} disabled={at === 0} aria-label="first step">
                  |◀ first
                </button>
                <button onClick={() => go({ step: hopBoundary(steps, at, -1) })} disabled={at === 0} aria-label="previous hop">
                  ◀◀ hop
                </button>
                <button onClick={() => go({ step: Math.max(0, at - 1) })} disabled={at === 0} aria-label="previous step" data-testid="previous">
                  ◀ step
                </button>
                <button onClick={() => go({ step: Math.min(steps.length - 1, at + 1) })} disabled={at >= steps.length - 1} aria-label="next step" data-testid="next">
                  step ▶
                </button>
                <button onClick={() => go({ step: hopBoundary(steps, at, 1) })} disabled={at >= steps.length - 1} aria-label="next hop" data-testid="next-hop">
                  hop ▶▶
                </button>
                <button onClick={() => go({ step: steps.length - 1 })} disabled={at >= steps.length - 1} aria-label="last step">
                  last ▶|
                </button>
              </div>
              <StepPanel steps={steps} at={at} onGo={(s) => go({ step: s })} onShowRule={(s) => s.hop.node && setTableNode(s.hop.node)} />
              <RuleTable
                nodes={pathNodes.length ? [...pathNodes, ...cluster.nodes.map((n) => n.metadata.name).filter((n) => !pathNodes.includes(n))] : cluster.nodes.map((n) => n.metadata.name)}
                node={tableNode}
                rules={tableNode ? tables[tableNode] : undefined}
                steps={steps}
                at={at}
                onNode={setTableNode}
                onJump={(node, key) => {
                  const from = (at + 1) % Math.max(1, steps.length);
                  for (let k = 0; k < steps.length; k++) {
                    const s = steps[(from + k) % steps.length];
                    if (s.hop.node === node && s.place.kind === 'node' && stepRuleKey(s.rule) === key) {
                      go({ step: s.index });
                      return;
                    }
                  }
                }}
              />
            </>
          )}
        </section>
      </main>
    </div>
  );
}
