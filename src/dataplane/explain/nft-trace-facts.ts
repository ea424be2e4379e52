/**
 * What kube-proxy's nft rules (a node in nftables mode, docs/nftables.md) say
 * about a packet, read from the trace steps of its `ip kube-proxy` / `ip6
 * kube-proxy` table. Where the iptables rules name the Service port in a
 * comment (`default/web:http`), the nft layout names it in its chains:
 * `service-HASH-NS/NAME/PROTO/PORT` (the Service port, Cluster policy),
 * `external-HASH-...` (its external entry points), `endpoint-HASH-...__IP/PORT`
 * (one endpoint); the dispatch is a verdict map (`vmap @service-ips`,
 * `vmap @service-nodeports`), the mark is set in `mark-for-masquerade` and
 * the source masqueraded in `masquerading`.
 */
import type { TraceStep } from '../../netfilter/types';
import type { CommentedServicePort } from '../../kube-proxy/rule-comments';

/** kube-proxy's nft table in either family. */
export function isKubeProxyNftStep(step: TraceStep): boolean {
  return step.table === 'ip kube-proxy' || step.table === 'ip6 kube-proxy';
}

const PORT_CHAIN = /^(service|external|endpoint)-[A-Z2-7]{8}-([^/\s]+)\/([^/\s]+)\/[a-z]+\/([^/\s_]*)(?:__(\S+))?$/;

/** The Service port (and, for an endpoint chain, the endpoint) a per-port chain's name names. */
export function portChain(chain: string | null): { kind: 'service' | 'external' | 'endpoint'; service: CommentedServicePort; endpoint?: string } | undefined {
  const m = chain === null ? null : PORT_CHAIN.exec(chain);
  if (!m) return undefined;
  return { kind: m[1] as 'service' | 'external' | 'endpoint', service: { namespace: m[2], name: m[3], port: m[4] }, endpoint: m[5] };
}

/** The chain a dispatch step went to (`vmap @service-ips: goto service-…`, `goto external-…`, `jump external-…`), if a per-port one. */
export function dispatchedTo(step: TraceStep): { map: string | undefined; chain: string } | undefined {
  const m = /^(?:vmap (@\S+): )?(?:goto|jump) (\S+)$/.exec(step.action);
  if (!m || !portChain(m[2]) || portChain(m[2])!.kind === 'endpoint') return undefined;
  return { map: m[1], chain: m[2] };
}

/** The masquerade mark a `mark-for-masquerade` rule sets (`mark set mark or 0x004000`), as `0x4000`. */
export function nftMark(rule: string | null): string | undefined {
  const m = rule ? /mark set (?:meta )?mark (?:or|\|) (0x[0-9a-f]+)/.exec(rule) : null;
  return m ? m[1].replace(/^0x0+(?=[0-9a-f])/, '0x') : undefined;
}

/** The source match of a rule that jumps to `mark-for-masquerade` for a ClusterIP (`ip saddr != 10.244.0.0/16`). */
export function notLocalMatch(rule: string | null): string | undefined {
  return rule ? /(ip6? saddr != \S+|iifname != \S+)/.exec(rule)?.[1] : undefined;
}

/** The source address a hairpin rule names (`ip saddr 10.244.1.2 jump mark-for-masquerade`). */
export function hairpinSource(rule: string | null): string {
  return (rule ? /ip6? saddr (\S+)/.exec(rule)?.[1] : undefined) ?? '';
}

/** A rule that rejected or dropped the packet (`reject`, `drop`), with its comment (`comment "Drop traffic to unallocated ClusterIPs"`). */
export function nftRefusal(step: TraceStep): { comment: string | undefined; target: 'REJECT' | 'DROP'; rejectWith: string | undefined } | undefined {
  if (step.rule === null) return undefined;
  const comment = /comment "([^"]*)"/.exec(step.rule)?.[1];
  if (step.action === 'drop') return { comment, target: 'DROP', rejectWith: undefined };
  if (step.action === 'reject' || step.action.startsWith('reject ')) return { comment, target: 'REJECT', rejectWith: 'icmp-port-unreachable' };
  return undefined;
}
