/**
 * A node's tables read back as kube-proxy's view of the cluster: for each
 * Service port its rules name (`namespace/name:port` in their comments), the
 * entry points (cluster IP, external IPs, load-balancer IPs, node port), the
 * endpoints its KUBE-SEP chains DNAT to, the order and probabilities of the
 * jumps to them, and whether it is rejected as having no endpoints. Works
 * on any `iptables-save` text loaded into a ruleset: kube-netsim's own, or a
 * real node's (chain names are the same hashes, so rules without comments,
 * as kube-proxy writes them in large clusters, are found through the jumps).
 *
 * Rules of other programs (a CNI's, a firewall's: chains that do not start
 * with `KUBE-`, and the rules in built-in chains that do not jump to one) are
 * left out and their chains counted.
 */
import { formatRule } from '../netfilter/iptables-save.printer';
import type { Ruleset } from '../netfilter/ruleset';
import type { TableName } from '../netfilter/types';
import { parseServiceRuleComment } from './rule-comments';

/** One Service port as the rules show it. */
export interface ServicePortRules {
  /** kube-proxy's name for it: `namespace/name:port` (`namespace/name` for an unnamed port). */
  name: string;
  namespace: string;
  service: string;
  port: string;
  /** Entry points, e.g. `cluster IP 10.96.0.10:53/UDP`, `node port 30080/TCP`, sorted. */
  entries: string[];
  /** Endpoints (`ip:port`) the port's KUBE-SEP chains DNAT to, with each chain's name. */
  endpoints: Map<string, string>;
  /** For each KUBE-SVC / KUBE-SVL chain, its jumps to endpoints in order, with their probability (null: the last, taken always). */
  paths: Map<string, { endpoint: string; probability: string | null }[]>;
  /** The filter table's REJECT/DROP for a port without (local) endpoints. */
  refusal: 'no endpoints' | 'no local endpoints' | null;
  /** The per-Service chains (KUBE-SVC, -SVL, -EXT, -FW, -SEP). */
  chains: Set<string>;
  /** Every rule about this port, `table: -A CHAIN ...`. */
  rules: string[];
}

/** Per-Service chains that no Service port's rule reaches, with the chains they reach. */
export interface OrphanChains {
  chain: string;
  chains: string[];
  /** Their rules, `table: -A CHAIN ...`. */
  rules: string[];
}

export interface RulesView {
  ports: Map<string, ServicePortRules>;
  orphans: OrphanChains[];
  /** kube-proxy's (and the kubelet's) rules that are about no Service port, `table: -A CHAIN ...`. */
  other: string[];
  /** Chains of other programs, left out (`table/CHAIN`). */
  foreignChains: string[];
}

const PER_SERVICE_CHAIN = /^KUBE-(SVC|SVL|EXT|FW|SEP)-[A-Z0-9]{16}$/;

interface ReadRule {
  table: TableName;
  chain: string;
  text: string;
  comment: string | undefined;
  target: string | undefined;
}

/** The `--comment` of a rule as iptables-save prints it. */
export function commentOf(text: string): string | undefined {
  const m = / --comment (?:"((?:[^"\\]|\\.)*)"|(\S+))/.exec(text);
  if (!m) return undefined;
  return m[1] !== undefined ? m[1].replace(/\\(.)/g, '$1') : m[2];
}

function targetOf(text: string): string | undefined {
  return / -[jg] (\S+)/.exec(text)?.[1];
}

function option(text: string, name: string): string | undefined {
  return new RegExp(` ${name} (\\S+)`).exec(text)?.[1];
}

/** `cluster IP 10.96.0.10:53/UDP` from an entry rule. */
function entryText(kind: string, text: string): string {
  const address = option(text, '-d')?.replace(/\/32$/, '') ?? 'any address';
  const port = option(text, '--dport') ?? '?';
  const protocol = (option(text, '-p') ?? 'all').toUpperCase();
  return `${kind} ${address}:${port}/${protocol}`;
}

/**
 * `hints`: per-Service chain names known to belong to a Service port (from
 * the other side of a comparison: names are hashes of the port), for chains
 * no commented rule reaches here.
 */
export function readServiceRules(ruleset: Ruleset, hints?: ReadonlyMap<string, { namespace: string; service: string; port: string }>): RulesView {
  const rules: ReadRule[] = [];
  const foreignChains: string[] = [];
  for (const table of ruleset.tables()) {
    const name = table.name;
    for (const chain of table.chains()) {
      const ours = chain.name.startsWith('KUBE-');
      if (!ours && !chain.builtin) {
        foreignChains.push(`${name}/${chain.name}`);
        continue;
      }
      for (const rule of chain.rules) {
        const text = formatRule(chain.name, rule);
        const target = targetOf(text);
        // In a built-in chain only the jumps into kube-proxy's (and the kubelet's) chains are theirs.
        if (!ours && !target?.startsWith('KUBE-')) continue;
        rules.push({ table: name, chain: chain.name, text, comment: commentOf(text), target });
      }
    }
  }

  const ports = new Map<string, ServicePortRules>();
  const owner = new Map<string, ServicePortRules>();
  const portOf = (namespace: string, service: string, port: string): ServicePortRules => {
    const name = port ? `${namespace}/${service}:${port}` : `${namespace}/${service}`;
    let p = ports.get(name);
    if (!p) {
      p = { name, namespace, service, port, entries: [], endpoints: new Map(), paths: new Map(), refusal: null, chains: new Set(), rules: [] };
      ports.set(name, p);
    }
    return p;
  };
  // Commented rules name their Service port; the per-Service chains they jump to are that port's.
  const claim = (p: ServicePortRules, chain: string | undefined) => {
    if (chain && PER_SERVICE_CHAIN.test(chain) && !owner.has(chain)) {
      owner.set(chain, p);
      p.chains.add(chain);
    }
  };
  const said = rules.map((r) => parseServiceRuleComment(r.comment));
  rules.forEach((r, i) => {
    const s = said[i];
    if (!s) return;
    const p = portOf(s.service.namespace, s.service.name, s.service.port);
    if (PER_SERVICE_CHAIN.test(r.chain)) claim(p, r.chain);
    claim(p, r.target);
  });
  // Chains reached from a port's chains (uncommented jumps, as in large clusters) are the port's too.
  const byChain = new Map<string, ReadRule[]>();
  for (const r of rules) {
    const list = byChain.get(r.chain);
    if (list) list.push(r);
    else byChain.set(r.chain, [r]);
  }
  if (hints) {
    for (const chain of byChain.keys()) {
      const hint = !owner.has(chain) ? hints.get(chain) : undefined;
      if (hint) claim(portOf(hint.namespace, hint.service, hint.port), chain);
    }
  }
  const queue = [...owner.keys()];
  while (queue.length) {
    const chain = queue.pop()!;
    const p = owner.get(chain)!;
    for (const r of byChain.get(chain) ?? []) {
      if (r.target && PER_SERVICE_CHAIN.test(r.target) && !owner.has(r.target)) {
        claim(p, r.target);
        queue.push(r.target);
      }
    }
  }

  // Per-Service chains nothing of a port reaches: grouped from the ones no other of them jumps to.
  const orphans: OrphanChains[] = [];
  const orphanOf = new Map<string, OrphanChains>();
  const unowned = [...byChain.keys()].filter((c) => PER_SERVICE_CHAIN.test(c) && !owner.has(c));
  const reached = new Set(unowned.flatMap((c) => byChain.get(c)!.map((r) => r.target ?? '')));
  for (const root of [...unowned.filter((c) => !reached.has(c)), ...unowned].sort()) {
    if (orphanOf.has(root)) continue;
    const group: OrphanChains = { chain: root, chains: [], rules: [] };
    orphans.push(group);
    const todo = [root];
    while (todo.length) {
      const chain = todo.pop()!;
      if (orphanOf.has(chain) || owner.has(chain)) continue;
      orphanOf.set(chain, group);
      group.chains.push(chain);
      for (const r of byChain.get(chain) ?? []) if (r.target && PER_SERVICE_CHAIN.test(r.target)) todo.push(r.target);
    }
  }

  const other: string[] = [];
  rules.forEach((r, i) => {
    const s = said[i];
    const p = owner.get(r.chain) ?? (s ? portOf(s.service.namespace, s.service.name, s.service.port) : undefined);
    const line = `${r.table}: ${r.text}`;
    const orphan = p ? undefined : orphanOf.get(r.chain);
    if (orphan) {
      orphan.rules.push(line);
      return;
    }
    if (!p) {
      other.push(line);
      return;
    }
    p.rules.push(line);
    if (s?.kind === 'entry' && r.table === 'nat' && r.chain === 'KUBE-SERVICES') p.entries.push(entryText(s.entry, r.text));
    if (r.table === 'nat' && r.chain === 'KUBE-NODEPORTS' && !/ -d 127\.0\.0\.0\/8 /.test(r.text)) p.entries.push(entryText('node port', r.text).replace('any address:', ''));
    if (r.table === 'filter' && s?.kind === 'no-endpoints') {
      p.refusal = 'no endpoints';
      // Where the refused port is reached: its cluster IP, or (KUBE-EXTERNAL-SERVICES) an external address or the node port.
      const kind = r.chain === 'KUBE-SERVICES' ? 'cluster IP' : / -d /.test(r.text) ? 'external address' : 'node port';
      p.entries.push(kind === 'node port' ? entryText(kind, r.text).replace('any address:', '') : entryText(kind, r.text));
    }
    if (r.table === 'filter' && s?.kind === 'no-local-endpoints' && p.refusal === null) p.refusal = 'no local endpoints';
    if (r.chain.startsWith('KUBE-SEP-') && r.target === 'DNAT') {
      const to = option(r.text, '--to-destination');
      if (to) p.endpoints.set(to, r.chain);
    }
  });
  // The jumps to endpoints, in order (session affinity's `-m recent` jumps aside).
  for (const p of ports.values()) {
    p.entries = [...new Set(p.entries)].sort();
    const endpointOf = new Map([...p.endpoints].map(([endpoint, chain]) => [chain, endpoint]));
    for (const chain of [...p.chains].sort()) {
      if (!/^KUBE-(SVC|SVL)-/.test(chain)) continue;
      const path: { endpoint: string; probability: string | null }[] = [];
      for (const r of byChain.get(chain) ?? []) {
        if (!r.target?.startsWith('KUBE-SEP-') || / -m recent /.test(r.text)) continue;
        path.push({ endpoint: endpointOf.get(r.target) ?? r.target, probability: option(r.text, '--probability') ?? null });
      }
      p.paths.set(chain, path);
    }
  }
  return { ports, orphans, other, foreignChains };
}
