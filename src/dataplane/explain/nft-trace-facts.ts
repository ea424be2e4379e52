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
import { joinHostPort } from '../../kube-proxy/ip';
import type { CommentedServicePort } from '../../kube-proxy/rule-comments';
import type { TraceStep } from '../../netfilter/types';
import type { Hop } from '../traffic';
import type { MasqueradeFact, MasqueradeWhy, TraceFacts } from './trace-facts';

/** kube-proxy's nft table in either family. */
export function isKubeProxyNftStep(step: TraceStep): boolean {
  return step.table === 'ip kube-proxy' || step.table === 'ip6 kube-proxy';
}

const PORT_CHAIN = /^(service|external|endpoint|firewall)-[A-Z2-7]{8}-([^/\s]+)\/([^/\s]+)\/[a-z]+\/([^/\s_]*)(?:__(\S+))?$/;

/** The Service port (and, for an endpoint chain, the endpoint) a per-port chain's name names. */
export function portChain(chain: string | null): { kind: 'service' | 'external' | 'endpoint' | 'firewall'; service: CommentedServicePort; endpoint?: string } | undefined {
  const m = chain === null ? null : PORT_CHAIN.exec(chain);
  if (!m) return undefined;
  return { kind: m[1] as 'service' | 'external' | 'endpoint' | 'firewall', service: { namespace: m[2], name: m[3], port: m[4] }, endpoint: m[5] };
}

/** The chain a dispatch step went to (`vmap @service-ips: goto service-…`, `goto external-…`, `jump external-…`), if a per-port one. */
export function dispatchedTo(step: TraceStep): { map: string | undefined; chain: string } | undefined {
  const m = /^(?:vmap (@\S+): )?(?:goto|jump) (\S+)$/.exec(step.action);
  const to = m ? portChain(m[2]) : undefined;
  if (!m || (to?.kind !== 'service' && to?.kind !== 'external')) return undefined;
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

/**
 * A rule that rejected or dropped the packet (`reject`, `drop`, or a verdict map's `drop`:
 * `vmap @no-endpoint-nodeports: drop`), with its comment (`comment "Drop traffic to unallocated ClusterIPs"`).
 */
export function nftRefusal(step: TraceStep): { comment: string | undefined; target: 'REJECT' | 'DROP'; rejectWith: string | undefined } | undefined {
  if (step.rule === null) return undefined;
  const comment = /comment "([^"]*)"/.exec(step.rule)?.[1];
  const verdict = step.action.replace(/^vmap @\S+: /, '');
  if (verdict === 'drop') return { comment, target: 'DROP', rejectWith: undefined };
  if (verdict === 'reject' || verdict.startsWith('reject ')) return { comment, target: 'REJECT', rejectWith: 'icmp-port-unreachable' };
  return undefined;
}

type PendingMasquerade = Omit<MasqueradeFact, 'mark' | 'to' | 'markChain' | 'masqueradeChain'>;

/** What the nft steps read so far leave open: the masquerade jump waiting for its mark, the verdict map that sent the packet to a chain. */
export interface NftState {
  pendingMasq: PendingMasquerade | undefined;
  map: string | undefined;
}

/** The facts one step of kube-proxy's nft table tells (see nft-trace-facts.ts). */
export function readNftStep(facts: TraceFacts, state: NftState, node: string, hop: Hop, step: TraceStep): void {
  const action = step.action;
  const own = portChain(step.chain);
  const dispatch = dispatchedTo(step);
  const map = /^vmap (@\S+): /.exec(action)?.[1];
  if (map) state.map = map;
  if (dispatch && facts.service === undefined) {
    const to = portChain(dispatch.chain)!;
    facts.service = to.service;
    facts.entry = dispatch.map === '@service-nodeports' ? 'nodePort' : to.kind === 'service' ? 'cluster IP' : 'external IP';
    // The map matched the packet's destination as it was before the DNAT (iptables mode reads it from the entry rule's `-d` and `--dport`).
    const before = hop.nat?.before?.destination ?? joinHostPort(hop.packet.destination, hop.packet.destinationPort);
    const colon = before.lastIndexOf(':');
    if (facts.entry !== 'nodePort') facts.entryAddress = before.slice(0, colon).replace(/^\[|\]$/g, '');
    facts.entryPort = Number(before.slice(colon + 1));
  }
  if (action === 'jump mark-for-masquerade') {
    const rule = step.rule;
    const why: MasqueradeWhy =
      own?.kind === 'endpoint'
        ? { kind: 'hairpin', endpoint: hairpinSource(rule) }
        : rule?.includes('fib saddr type local')
          ? { kind: 'local-external' }
          : own?.kind === 'external'
            ? { kind: 'external' }
            : notLocalMatch(rule)
              ? { kind: 'not-local', match: notLocalMatch(rule)! }
              : { kind: 'masquerade-all' };
    state.pendingMasq = { node, service: own?.service ?? facts.service, chain: step.chain ?? '', why };
  }
  if (step.chain === 'mark-for-masquerade' && state.pendingMasq) {
    facts.masquerade.push({ ...state.pendingMasq, mark: nftMark(step.rule) ?? '0x4000', markChain: 'mark-for-masquerade', masqueradeChain: 'masquerading', to: undefined });
    state.pendingMasq = undefined;
  }
  if (step.chain === 'masquerading' && action.startsWith('MASQUERADE') && hop.nat?.masquerade) {
    for (const m of facts.masquerade) if (m.node === node && m.to === undefined) m.to = hop.nat.snat ?? undefined;
  }
  if (own?.kind === 'endpoint' && action.startsWith('DNAT to') && hop.nat?.dnat && facts.dnat === undefined) {
    facts.dnat = { node, endpoint: hop.nat.dnat, service: own.service };
    facts.service ??= own.service;
  }
  // ClientIP session affinity: the Service chain found the source in an endpoint's affinity set; that endpoint's chain renews it (`expires in Ns`).
  const pinned = step.rule ? /ip6? saddr @(affinity-\S+) goto (endpoint-\S+)/.exec(step.rule) : null;
  if (pinned && action === `goto ${pinned[2]}` && facts.affinity === undefined) {
    const endpoint = portChain(pinned[2])?.endpoint;
    const slash = endpoint?.lastIndexOf('/') ?? -1;
    facts.affinity = { node, list: pinned[1], seconds: 0, endpoint: endpoint && slash > 0 ? joinHostPort(endpoint.slice(0, slash), Number(endpoint.slice(slash + 1))) : undefined, service: own?.service };
  }
  const renewed = /^update @(affinity-\S+) .*\(expires in (\d+)s\)$/.exec(action);
  if (renewed && facts.affinity?.list === renewed[1] && facts.affinity.seconds === 0) facts.affinity.seconds = Number(renewed[2]);
  const refused = nftRefusal(step);
  if (refused) facts.refusal = { node, step, ...refused, map: map ?? (step.chain === 'reject-chain' ? state.map : undefined) };
}

/** The Service port whose `firewall-…` chain (loadBalancerSourceRanges) dropped the packet, and the rule as it reads without its handle. */
export function firewallDrop(step: TraceStep): { service: CommentedServicePort; rule: string } | undefined {
  const chain = portChain(step.chain);
  if (chain?.kind !== 'firewall' || step.rule === null || nftRefusal(step)?.target !== 'DROP') return undefined;
  return { service: chain.service, rule: step.rule.replace(/ # handle \d+$/, '') };
}
