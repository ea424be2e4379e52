/**
 * What differs between the rules on a node and the rules kube-proxy would
 * write now, in words, per Service port and endpoint: a Service port the
 * node lacks (missing), one or an endpoint it still has though the cluster
 * no longer does (stale), and what differs for a port both have (entry
 * points, probabilities, order, a "has no endpoints" refusal, any other
 * rule). Probabilities follow from the number of endpoints: when the
 * endpoints themselves differ, only that is reported.
 */
import type { RulesView, ServicePortRules } from './rules-view';

export type FindingKind = 'missing' | 'stale' | 'differs';

export interface Finding {
  kind: FindingKind;
  /** The Service port (`namespace/name:port`); absent for a rule about no Service port. */
  servicePort?: string;
  /** The endpoint (`ip:port`) the finding is about, if one. */
  endpoint?: string;
  message: string;
}

/** What the cluster says about a Service port or an endpoint the node has and kube-proxy would not write. */
export interface DiffContext {
  /** Why kube-proxy would not write this Service port now (`Service default/web is gone`). */
  whyNoServicePort(port: ServicePortRules): string;
  /** Why kube-proxy would not send this port to this endpoint now (`no pod has address 10.244.1.7: pod gone`). */
  whyNoEndpoint(port: ServicePortRules, endpoint: string): string;
  /** Who the endpoint is (`pod default/web-1`), if known. */
  endpointOwner(endpoint: string): string | undefined;
}

/** Rule lines listed in full before the rest are counted. */
export const MAX_RULE_FINDINGS = 20;

const ORDER: Record<FindingKind, number> = { missing: 0, stale: 1, differs: 2 };

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

function listed(items: readonly string[]): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;
}

function serviceChain(p: ServicePortRules): string | undefined {
  return [...p.chains].sort().find((c) => c.startsWith('KUBE-SVC-')) ?? [...p.chains].sort().find((c) => c.startsWith('KUBE-SVL-'));
}

/** How a port is reached and where it goes, for a missing or stale one. */
function portSummary(p: ServicePortRules, withChain: boolean): string {
  const entries = p.entries.length ? listed(p.entries) : 'no entry point';
  const chain = withChain ? serviceChain(p) : undefined;
  const to = p.refusal ? `rejected (${p.refusal})` : plural(p.endpoints.size, 'endpoint');
  return `${entries}${chain ? ` -> ${chain}` : ''}, ${to}`;
}

/** Rule lines compared without what the findings above already explain. */
function leftoverRules(node: ServicePortRules, expected: ServicePortRules, explained: readonly string[]): { onlyNode: string[]; onlyExpected: string[] } {
  const normal = (line: string) => line.replace(/ --probability \S+/, '');
  const explains = (line: string) => explained.some((word) => line.includes(word));
  const count = (lines: readonly string[]) => {
    const counts = new Map<string, number>();
    for (const line of lines) if (!explains(line)) counts.set(normal(line), (counts.get(normal(line)) ?? 0) + 1);
    return counts;
  };
  const a = count(node.rules);
  const b = count(expected.rules);
  const only = (x: Map<string, number>, y: Map<string, number>) => {
    const out: string[] = [];
    for (const [line, n] of x) for (let i = y.get(line) ?? 0; i < n; i++) out.push(line);
    return out;
  };
  return { onlyNode: only(a, b), onlyExpected: only(b, a) };
}

function comparePort(node: ServicePortRules, expected: ServicePortRules, context: DiffContext): Finding[] {
  const name = node.name;
  const findings: Finding[] = [];
  const explained: string[] = [];
  // Endpoints.
  const stale = [...node.endpoints.keys()].filter((e) => !expected.endpoints.has(e)).sort();
  const missing = [...expected.endpoints.keys()].filter((e) => !node.endpoints.has(e)).sort();
  for (const endpoint of missing) {
    const who = context.endpointOwner(endpoint);
    findings.push({ kind: 'missing', servicePort: name, endpoint, message: `${name} is missing endpoint ${endpoint}${who ? ` (${who})` : ''}: no ${expected.endpoints.get(endpoint)} chain` });
    explained.push(expected.endpoints.get(endpoint)!);
  }
  for (const endpoint of stale) {
    findings.push({ kind: 'stale', servicePort: name, endpoint, message: `${name} has a stale endpoint ${endpoint} (${context.whyNoEndpoint(node, endpoint)})` });
    explained.push(node.endpoints.get(endpoint)!);
  }
  // A refusal for no endpoints against endpoints.
  if (node.refusal !== expected.refusal) {
    const message =
      node.refusal === null
        ? `${name}: the node sends it to ${plural(node.endpoints.size, 'endpoint')}, but kube-proxy would now reject it: it has ${expected.refusal}`
        : expected.refusal === null
          ? `${name}: the node rejects it (${node.refusal}), but kube-proxy would now send it to ${plural(expected.endpoints.size, 'endpoint')}`
          : `${name}: the node rejects it (${node.refusal}), kube-proxy would now reject it as having ${expected.refusal}`;
    findings.push({ kind: 'differs', servicePort: name, message });
    explained.push('has no endpoints', 'has no local endpoints');
  }
  // Entry points (a refused port has none in the nat table: the refusal above says it all).
  const entriesGone = node.entries.filter((e) => !expected.entries.includes(e));
  const entriesNew = expected.entries.filter((e) => !node.entries.includes(e));
  if ((entriesGone.length || entriesNew.length) && node.refusal === expected.refusal) {
    const parts: string[] = [];
    if (entriesGone.length) parts.push(`the node has ${listed(entriesGone)}, which kube-proxy would not write now`);
    if (entriesNew.length) parts.push(`kube-proxy would write ${listed(entriesNew)}, which the node lacks`);
    findings.push({ kind: 'differs', servicePort: name, message: `${name}: ${parts.join('; ')}` });
  }
  // The rules of those entry points are explained (all of them when one side refuses the port: its entry rules are in another table).
  for (const entry of node.refusal === expected.refusal ? [...entriesGone, ...entriesNew] : [...node.entries, ...expected.entries]) {
    const address = /(\d+\.\d+\.\d+\.\d+):/.exec(entry)?.[1];
    const port = /port (\d+)\//.exec(entry)?.[1];
    if (address) explained.push(`-d ${address}/32 `);
    else if (port) explained.push(`--dport ${port} `);
  }
  // Probabilities and order, when the endpoints are the same.
  if (!stale.length && !missing.length) {
    for (const [chain, path] of expected.paths) {
      const onNode = node.paths.get(chain);
      if (!onNode) continue;
      const order = (p: typeof path) => p.map((j) => j.endpoint).join(' ');
      if (order(onNode) !== order(path)) {
        findings.push({
          kind: 'differs',
          servicePort: name,
          message: `${name}: ${chain} tries its endpoints in another order: the node ${order(onNode)}, kube-proxy now ${order(path)}`,
        });
        continue;
      }
      path.forEach((jump, i) => {
        const had = onNode[i].probability;
        if (had === jump.probability) return;
        const show = (p: string | null) => p ?? 'the rest (no statistic match)';
        findings.push({
          kind: 'differs',
          servicePort: name,
          endpoint: jump.endpoint,
          message: `${name}: probability of ${jump.endpoint} differs in ${chain}: the node ${show(had)}, kube-proxy now ${show(jump.probability)}`,
        });
      });
    }
  } else {
    for (const chain of [...node.paths.keys(), ...expected.paths.keys()]) explained.push(`-A ${chain} `);
  }
  // Anything else.
  const { onlyNode, onlyExpected } = leftoverRules(node, expected, explained);
  for (const line of onlyNode) findings.push({ kind: 'differs', servicePort: name, message: `${name}: the node has a rule kube-proxy would not write now: ${line}` });
  for (const line of onlyExpected) findings.push({ kind: 'differs', servicePort: name, message: `${name}: kube-proxy would write a rule the node lacks: ${line}` });
  return findings;
}

/** Rules about no Service port (kube-proxy's fixed chains and jumps), as sets. */
function compareOther(node: readonly string[], expected: readonly string[]): Finding[] {
  const a = new Set(node);
  const b = new Set(expected);
  const findings: Finding[] = [];
  for (const line of node) if (!b.has(line)) findings.push({ kind: 'differs', message: `the node has a rule kube-proxy would not write now: ${line}` });
  for (const line of expected) if (!a.has(line)) findings.push({ kind: 'differs', message: `kube-proxy would write a rule the node lacks: ${line}` });
  return findings;
}

/** Caps the rule-by-rule findings of one Service port (or of the fixed chains) at MAX_RULE_FINDINGS, counting the rest. */
function capRuleFindings(findings: Finding[], servicePort: string | undefined): Finding[] {
  const isRule = (f: Finding) => /rule (kube-proxy would not write now|the node lacks): /.test(f.message);
  const rules = findings.filter(isRule);
  if (rules.length <= MAX_RULE_FINDINGS) return findings;
  const rest = rules.length - MAX_RULE_FINDINGS;
  const kept = new Set(rules.slice(0, MAX_RULE_FINDINGS));
  const what = servicePort ? `${servicePort}: ` : '';
  return [
    ...findings.filter((f) => !isRule(f) || kept.has(f)),
    { kind: 'differs', ...(servicePort ? { servicePort } : {}), message: `${what}${plural(rest, 'more rule')} differ (see the unified diff: unified=true)` },
  ];
}

export function diffServiceRules(node: RulesView, expected: RulesView, context: DiffContext): Finding[] {
  const findings: Finding[] = [];
  const names = [...new Set([...node.ports.keys(), ...expected.ports.keys()])].sort();
  for (const name of names) {
    const onNode = node.ports.get(name);
    const wanted = expected.ports.get(name);
    if (!onNode) {
      const chain = serviceChain(wanted!);
      findings.push({
        kind: 'missing',
        servicePort: name,
        message: `${name} is missing (no ${chain ? `${chain} chain` : 'rule for it'}): kube-proxy would write ${portSummary(wanted!, false)}`,
      });
    } else if (!wanted) {
      findings.push({ kind: 'stale', servicePort: name, message: `${name} is stale (${context.whyNoServicePort(onNode)}): the node still has ${portSummary(onNode, true)}` });
    } else {
      findings.push(...capRuleFindings(comparePort(onNode, wanted, context), name));
    }
  }
  const expectedOrphans = new Set(expected.orphans.map((o) => o.chain));
  for (const orphan of node.orphans) {
    if (expectedOrphans.has(orphan.chain)) continue;
    const more = orphan.chains.length > 1 ? ` and ${plural(orphan.chains.length - 1, 'chain')} it jumps to` : '';
    findings.push({
      kind: 'stale',
      message: `chain ${orphan.chain}${more} (${plural(orphan.rules.length, 'rule')}) on the node: no Service port's rule reaches it, and kube-proxy would not write it now`,
    });
  }
  findings.push(...capRuleFindings(compareOther(node.other, expected.other), undefined));
  // Stable order: by Service port (fixed rules last), then missing, stale, differs.
  return findings
    .map((f, i) => ({ f, i }))
    .sort((x, y) => {
      const a = x.f.servicePort ?? '\uffff';
      const b = y.f.servicePort ?? '\uffff';
      if (a !== b) return a < b ? -1 : 1;
      return ORDER[x.f.kind] - ORDER[y.f.kind] || x.i - y.i;
    })
    .map(({ f }) => f);
}
