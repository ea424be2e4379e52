/**
 * What the rules a packet hit say, read back from an outcome's hops: which
 * Service port kube-proxy matched (its rule comments name it as
 * `namespace/name:port`, read with kube-proxy's own parser), the endpoint it
 * chose, why it set the masquerade mark, what rejected or dropped the
 * packet, whether session affinity or an existing conntrack entry decided
 * the way. Addresses and states come from the hops' structured fields (the
 * packet's ctstate, the node's NAT), never from the engine's step wording.
 */
import { parseServiceRuleComment, type CommentedServicePort } from '../../kube-proxy/rule-comments';
import type { TraceStep } from '../../netfilter/types';
import type { Hop } from '../traffic';
import { dispatchedTo, isKubeProxyNftStep, readNftStep, type NftState } from './nft-trace-facts';

/** A kube-proxy Service port name, `namespace/name:port` (the port part may be empty). */
export type ServicePortName = CommentedServicePort;

export interface StepAt {
  node: string;
  hop: Hop;
  step: TraceStep;
}

/** Why kube-proxy jumped to KUBE-MARK-MASQ. */
export type MasqueradeWhy =
  | { kind: 'hairpin'; endpoint: string }
  | { kind: 'not-local'; match: string }
  | { kind: 'masquerade-all' }
  | { kind: 'external' }
  | { kind: 'local-external' };

export interface MasqueradeFact {
  node: string;
  service: ServicePortName | undefined;
  chain: string;
  mark: string;
  /** The chain that set the mark and the one that masqueraded: `KUBE-MARK-MASQ`, `KUBE-POSTROUTING` (iptables mode) or `mark-for-masquerade`, `masquerading` (nftables mode). */
  markChain: string;
  masqueradeChain: string;
  why: MasqueradeWhy;
  /** The address and port the packet was masqueraded to (KUBE-POSTROUTING's MASQUERADE). */
  to: string | undefined;
}

export interface TraceFacts {
  /** The Service port whose rules took the packet (the first one met). */
  service: ServicePortName | undefined;
  /** How the packet entered the Service: `cluster IP`, `external IP`, `loadbalancer IP`, `nodePort`. */
  entry: 'cluster IP' | 'external IP' | 'loadbalancer IP' | 'nodePort' | undefined;
  /** The address and port the entry rule matched (`-d`, `--dport`): the packet's destination before kube-proxy's DNAT. */
  entryAddress: string | undefined;
  entryPort: number | undefined;
  /** The address the packet was sent to, before the first node's NAT (a node's own packet is seen after its OUTPUT hook). */
  routedTo: string | undefined;
  /** The endpoint kube-proxy chose (DNAT target), and where. */
  dnat: { node: string; endpoint: string; service: ServicePortName | undefined } | undefined;
  masquerade: MasqueradeFact[];
  /** flanneld's MASQUERADE (pod traffic leaving the pod network). */
  flannelMasquerade: { node: string; to: string } | undefined;
  /** The REJECT or DROP rule that ended the packet, with its comment. */
  refusal: { node: string; step: TraceStep; comment: string | undefined; target: 'REJECT' | 'DROP'; rejectWith: string | undefined; map?: string } | undefined;
  /** A `-m recent --rcheck` rule that matched (nftables mode: a source found in an endpoint's `affinity-…` set): ClientIP session affinity. */
  affinity: { node: string; list: string; seconds: number; endpoint: string | undefined; service: ServicePortName | undefined } | undefined;
  /** The first node found the packet's connection in its conntrack table. */
  conntrack: { node: string; state: string; dnat: string | undefined } | undefined;
}

const COMMENT = /--comment (?:"([^"]*)"|(\S+))/;

export function commentOf(rule: string | null): string | undefined {
  if (rule === null) return undefined;
  const m = COMMENT.exec(rule);
  return m ? (m[1] ?? m[2]) : undefined;
}

/** Step views are frozen and shared by the outcomes that passed them: their comments are read once. */
const comments = new WeakMap<TraceStep, string | null>();

function stepComment(step: TraceStep): string | undefined {
  let comment = comments.get(step);
  if (comment === undefined) comments.set(step, (comment = commentOf(step.rule) ?? null));
  return comment ?? undefined;
}

/** Whether a step can tell anything here: kube-proxy's and flannel's chains, conntrack, routing, a DROP or REJECT. */
function telling(step: TraceStep): boolean {
  if (step.table === 'conntrack' || step.table === 'routing' || isKubeProxyNftStep(step)) return true;
  const chain = step.chain;
  if (chain !== null && (chain.startsWith('KUBE-') || chain === 'FLANNEL-POSTRTG')) return true;
  return step.action === 'DROP' || step.action.startsWith('REJECT') || step.action === 'jump KUBE-MARK-MASQ';
}

function dport(rule: string | null): number | undefined {
  const m = rule ? /--dport (\d+)/.exec(rule) : null;
  return m ? Number(m[1]) : undefined;
}

/** `10.96.0.10` of `10.96.0.10:53` (an ICMP endpoint has no port). */
function addressOf(endpoint: string): string {
  const colon = endpoint.lastIndexOf(':');
  return colon < 0 ? endpoint : endpoint.slice(0, colon);
}

/** Whether a matched rule's target is `target` (`-j DNAT`). */
function targets(step: TraceStep, target: string): boolean {
  return step.rule !== null && new RegExp(` -j ${target}(?: |$)`).test(step.rule);
}

function masquerades(step: TraceStep): boolean {
  return targets(step, 'MASQUERADE');
}

function steps(hops: readonly Hop[]): StepAt[] {
  const out: StepAt[] = [];
  for (const hop of hops) for (const step of hop.rules) if (telling(step)) out.push({ node: hop.node ?? '', hop, step });
  return out;
}

function masqueradeWhy(step: TraceStep, comment: string | undefined): MasqueradeWhy {
  const rule = step.rule ?? '';
  const chain = step.chain ?? '';
  if (chain.startsWith('KUBE-SEP-')) {
    const source = /-s (\S+?)(?:\/32)? /.exec(rule);
    return { kind: 'hairpin', endpoint: source?.[1] ?? '' };
  }
  const said = parseServiceRuleComment(comment)?.kind;
  if (said === 'masquerade-local') return { kind: 'local-external' };
  if (said === 'masquerade-external') return { kind: 'external' };
  const notLocal = /(! -[si] \S+)/.exec(rule);
  if (notLocal) return { kind: 'not-local', match: notLocal[1] };
  return { kind: 'masquerade-all' };
}

/** Reads the facts out of an outcome's request hops. */
export function readTrace(hops: readonly Hop[]): TraceFacts {
  const all = steps(hops);
  const facts: TraceFacts = {
    service: undefined,
    entry: undefined,
    entryAddress: undefined,
    entryPort: undefined,
    routedTo: undefined,
    dnat: undefined,
    masquerade: [],
    flannelMasquerade: undefined,
    refusal: undefined,
    affinity: undefined,
    conntrack: undefined,
  };
  let pendingMasq: Omit<MasqueradeFact, 'mark' | 'to' | 'markChain' | 'masqueradeChain'> | undefined;
  let mark = '0x4000';
  const first = hops.find((h) => h.node !== null && h.rules.length > 0);
  if (first !== undefined) {
    const before = first.nat?.before?.destination;
    facts.routedTo = before !== undefined ? addressOf(before) : first.packet.destination;
    if (first.packet.ctstate === 'ESTABLISHED') facts.conntrack = { node: first.node ?? '', state: 'ESTABLISHED', dnat: first.nat?.dnat ?? undefined };
  }
  const nft: NftState = { pendingMasq: undefined, map: undefined };
  for (const { node, hop, step } of all) {
    if (isKubeProxyNftStep(step)) {
      readNftStep(facts, nft, node, hop, step);
      continue;
    }
    const comment = stepComment(step);
    const said = parseServiceRuleComment(comment);
    const action = step.action;
    if (step.table === 'nat' && step.chain === 'KUBE-SERVICES' && facts.service === undefined) {
      if (said?.kind === 'entry') {
        facts.service = said.service;
        facts.entry = said.entry;
        facts.entryAddress = /-d (\d+\.\d+\.\d+\.\d+)/.exec(step.rule ?? '')?.[1];
        facts.entryPort = dport(step.rule);
      }
    }
    if (step.table === 'nat' && step.chain === 'KUBE-NODEPORTS' && action.startsWith('jump ') && facts.service === undefined) {
      facts.service = said?.service;
      facts.entry = 'nodePort';
      facts.entryPort = dport(step.rule);
    }
    if (action === 'jump KUBE-MARK-MASQ') {
      pendingMasq = { node, service: said?.service ?? facts.service, chain: step.chain ?? '', why: masqueradeWhy(step, comment) };
    }
    if (step.chain === 'KUBE-MARK-MASQ' && pendingMasq) {
      const m = /--set-xmark (0x[0-9a-f]+)\//.exec(step.rule ?? '') ?? /--or-mark (0x[0-9a-f]+)/.exec(step.rule ?? '');
      if (m) mark = m[1].replace(/^0x0+(?=[0-9a-f])/, '0x');
      facts.masquerade.push({ ...pendingMasq, mark, markChain: 'KUBE-MARK-MASQ', masqueradeChain: 'KUBE-POSTROUTING', to: undefined });
      pendingMasq = undefined;
    }
    if (step.chain === 'KUBE-POSTROUTING' && masquerades(step) && hop.nat?.masquerade) {
      const to = hop.nat.snat ?? undefined;
      for (const m of facts.masquerade) if (m.node === node && m.to === undefined) m.to = to;
    }
    if (step.chain === 'FLANNEL-POSTRTG' && masquerades(step) && hop.nat?.masquerade) {
      facts.flannelMasquerade = { node, to: hop.nat.snat ?? '' };
    }
    if (step.rule !== null && /--rcheck/.test(step.rule) && action.startsWith('jump KUBE-SEP-')) {
      const list = /--name (\S+)/.exec(step.rule)?.[1] ?? action.slice(5);
      const seconds = Number(/--seconds (\d+)/.exec(step.rule)?.[1] ?? 0);
      const endpoint = said?.kind === 'to-endpoint' ? said.endpoint : undefined;
      facts.affinity ??= { node, list, seconds, endpoint, service: said?.service };
    }
    if (step.chain?.startsWith('KUBE-SEP-') && targets(step, 'DNAT') && hop.nat?.dnat && facts.dnat === undefined) {
      facts.dnat = { node, endpoint: hop.nat.dnat, service: said?.service ?? facts.service };
      facts.service ??= facts.dnat.service;
    }
    if (step.rule !== null && (action === 'DROP' || action.startsWith('REJECT'))) {
      const rejectWith = /--reject-with (\S+)/.exec(step.rule)?.[1];
      facts.refusal = { node, step, comment, target: action === 'DROP' ? 'DROP' : 'REJECT', rejectWith: action === 'DROP' ? undefined : (rejectWith ?? 'icmp-port-unreachable') };
    }
  }
  return facts;
}

/** The first Service chain the rules sent the packet to: `KUBE-SVC-…`, `KUBE-SVL-…`, `KUBE-EXT-…` (iptables mode), `service-…`, `external-…` (nftables mode). */
export function serviceChain(steps: readonly TraceStep[]): string | undefined {
  for (const s of steps) {
    if (/^jump KUBE-(SVC|SVL|EXT)-/.test(s.action)) return s.action.slice(5);
    const nft = isKubeProxyNftStep(s) ? dispatchedTo(s) : undefined;
    if (nft) return nft.chain;
  }
  return undefined;
}
