/**
 * The verdict on a traffic outcome: what happened and why, in words that
 * name the objects involved, worked out from the rules the packet hit
 * (trace-facts.ts) and the cluster's state (cluster-facts.ts). See
 * docs/troubleshooting.md for the reason codes.
 */
import { joinHostPort } from '../../kube-proxy/ip';
import type { Cluster } from '../../cluster/cluster';
import type { ServicePort } from '../../cluster/resources/service.types';
import { ipInPrefix, ipv6PrefixMask, tryParseIp } from '../../netfilter/address';
import type { Resolution } from '../names';
import type { ClusterNetwork } from '../network';
import type { Hop, TrafficOutcome, TrafficRequest } from '../traffic';
import type { ClientView, Verdict, VerdictNote, VerdictReason } from '../verdict';
import { ClusterFacts, causeText, portText, selectorText, type SelectedPod, type ServiceRef, type Workload } from './cluster-facts';
import { parseServiceRuleComment } from '../../kube-proxy/rule-comments';
import { importedRulesNotes } from '../imported-rules-note';
import { firewallDrop, isKubeProxyNftStep } from './nft-trace-facts';
import { readTrace, type MasqueradeFact, type ServicePortName, type TraceFacts } from './trace-facts';

/** The reason codes, re-exported where they were first defined. */
export { NOTE_REASONS, REASONS, type VerdictReason } from '../verdict';

export interface ExplainContext {
  from: TrafficRequest['from'];
  to: string;
  resolution?: Resolution;
}

/** An outcome whose verdict is being worked out. */
type Unexplained = Omit<TrafficOutcome, 'verdict'>;

const svcName = (s: { namespace: string; name: string }) => `${s.namespace}/${s.name}`;

/** The generic words for rules that contradict the store. */
function rulesOutOfDate(node: string | null): string {
  return `kube-proxy's rules${node ? ` on ${node}` : ''} are out of date with the store (it has not synced since the change)`;
}

function verdict(reason: VerdictReason, client: ClientView, message: string, notes: VerdictNote[]): Verdict {
  return { reason, client, message, notes };
}

/** `a, b and c`. */
function list(items: readonly string[]): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;
}

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** What the client sees of a REJECT, by its --reject-with. */
function rejectView(rejectWith: string | undefined): ClientView {
  return rejectWith === undefined || rejectWith === 'icmp-port-unreachable' || rejectWith === 'tcp-reset' ? 'connection-refused' : 'icmp-unreachable';
}

export class Explainer {
  readonly facts: ClusterFacts;

  constructor(
    cluster: Cluster,
    private readonly network: ClusterNetwork,
  ) {
    this.facts = new ClusterFacts(cluster);
  }

  /** The verdict on one outcome of a request. */
  explain(outcome: Unexplained, context: ExplainContext): Verdict {
    if (outcome.result === 'nxdomain') return this.nxdomain(context);
    const trace = readTrace(outcome.hops);
    const notes = this.notes(outcome, trace);
    const sent = this.sent(outcome.hops, trace);
    switch (outcome.result) {
      case 'delivered':
        return this.delivered(outcome, trace, notes, context);
      case 'rejected':
        return this.rejected(outcome, trace, notes, sent);
      case 'dropped':
        return this.dropped(outcome, trace, notes, sent);
      case 'refused':
        return this.refused(outcome, trace, notes, sent);
      case 'external':
        return this.external(outcome, notes, sent);
      case 'no-route':
        return verdict('NoRoute', sent.node === null ? 'timed-out' : 'icmp-unreachable', `${capital(outcome.reason ?? 'no route')}.`, notes);
    }
  }

  /**
   * The packet as the client sent it: its source, destination and port, and
   * the node it started on (null: an outside client). A pod's and a client's
   * first hop shows it as sent; a node's own packet is first seen after its
   * OUTPUT hook, so its destination is read back from the route lookup and
   * kube-proxy's entry rule.
   */
  private sent(hops: readonly Hop[], trace?: TraceFacts): { source: string; destination: string; port: number; protocol: string; node: string | null } {
    const first = hops[0];
    if (!first) return { source: '', destination: '', port: 0, protocol: 'tcp', node: null };
    const p = first.packet;
    if (first.rules.length > 0 && trace) {
      return { source: p.source, destination: trace.entryAddress ?? trace.routedTo ?? p.destination, port: trace.entryPort ?? p.destinationPort, protocol: p.protocol, node: first.node };
    }
    return { source: p.source, destination: p.destination, port: p.destinationPort, protocol: p.protocol, node: first.node };
  }

  // ---- the main reasons -------------------------------------------------------------

  private nxdomain(context: ExplainContext): Verdict {
    const r = context.resolution;
    const name = r?.name ?? context.to.replace(/:[^:]*$/, '');
    if (r?.kind === 'nxdomain' && r.cname?.length) {
      const target = r.cname[r.cname.length - 1];
      return verdict('NXDomain', 'name-not-resolved', `${name} did not resolve: it is a CNAME (ExternalName) for ${target}, which is outside the cluster, and the emulator has no DNS outside it.`, []);
    }
    const tried = r?.kind === 'nxdomain' ? r.tried : [name];
    let message = `${name} did not resolve: NXDOMAIN for ${list(tried)}.`;
    if (typeof context.from !== 'object' && !name.includes('.') && tried.length === 1) {
      // The emulator answers a node's lookups from CoreDNS without a search path; a real node's resolver is the host's, not CoreDNS.
      message += ` ${context.from} has no cluster search path here. On a real node the resolver is the host's, not CoreDNS, and no cluster name resolves there: use the Service's ClusterIP, or send from a pod (whose resolver is CoreDNS).`;
    } else if (typeof context.from === 'object' && tried.length === 1) {
      message += ' An outside client has no cluster search path: use the full name (NAME.NAMESPACE.svc.cluster.local).';
    }
    return verdict('NXDomain', 'name-not-resolved', message, []);
  }

  private delivered(outcome: Unexplained, trace: TraceFacts, notes: VerdictNote[], context: ExplainContext): Verdict {
    const d = outcome.destination;
    const where = d?.pod ? `pod ${d.pod}${d.node ? ` on ${d.node}` : ''}` : `node ${d?.node ?? '?'}`;
    const service = trace.dnat?.service ?? trace.service;
    const headless = context.resolution?.kind === 'addresses' && context.resolution.service?.headless ? context.resolution.service : undefined;
    const via = service
      ? ` via Service ${svcName(service)} (${this.entryText(trace, outcome.hops)})`
      : headless
        ? ` through headless Service ${svcName(headless)} (DNS gave the pod's address: no kube-proxy rule is involved)`
        : '';
    const following = trace.conntrack && !service ? ' along an existing connection' : '';
    return verdict('Delivered', 'connected', `Delivered to ${where}${via}${following}.`, notes);
  }

  private entryText(trace: TraceFacts, hops: readonly Hop[]): string {
    const sent = this.sent(hops, trace);
    const address = joinHostPort(sent.destination, sent.port);
    switch (trace.entry) {
      case 'nodePort':
        return `NodePort ${address}`;
      case 'external IP':
        return `external IP ${address}`;
      case 'loadbalancer IP':
        return `load balancer ${address}`;
      default:
        return `ClusterIP ${address}`;
    }
  }

  private rejected(outcome: Unexplained, trace: TraceFacts, notes: VerdictNote[], sent: ReturnType<Explainer['sent']>): Verdict {
    const r = trace.refusal;
    const client = rejectView(r?.rejectWith);
    const said = parseServiceRuleComment(r?.comment);
    if (r && said?.kind === 'no-endpoints') {
      const name = said.service;
      const service = this.facts.service(name.namespace, name.name);
      if (service) return this.noEndpoints(service, name, `kube-proxy on ${r.node} rejects the connection ("${r.comment}").`, client, notes);
    }
    // nftables mode: the no-endpoint-services (or -nodeports) map sent the packet to reject-chain; its element names the address, protocol and port.
    if (r?.map === '@no-endpoint-services' || r?.map === '@no-endpoint-nodeports') {
      const found = r.map === '@no-endpoint-nodeports' ? this.facts.serviceByNodePort(sent.port, sent.protocol) : this.servicePortAt(sent);
      if (found) {
        const name = { namespace: found.service.namespace, name: found.service.name, port: found.port.name ?? '' };
        return this.noEndpoints(found.service, name, `kube-proxy on ${r.node} rejects the connection (its ${r.map.slice(1)} map sends ${joinHostPort(sent.destination, sent.port)} to reject-chain).`, client, notes);
      }
    }
    if (r?.comment === 'Reject traffic to invalid ports of ClusterIPs') {
      const service = this.facts.serviceByClusterIP(sent.destination);
      if (service) return verdict('PortNotInService', client, `${sent.destination} is ${svcName(service)}'s ClusterIP, which ${this.missingPort(service, sent)}: kube-proxy on ${r.node} rejects the connection ("${r.comment}").`, notes);
    }
    const rule = r ? ` by the rule ${r.step.rule}` : '';
    return verdict('Rejected', client, `${capital(outcome.reason ?? 'rejected')}${rule}.`, notes);
  }

  /**
   * Why a Service has no endpoint kube-proxy may use: no selector, a
   * selector that matches no pod (a workload scaled to zero), pods none of
   * which is ready (and why), or a named targetPort that no pod declares.
   */
  private noEndpoints(service: ServiceRef, name: ServicePortName, tail: string, client: ClientView, notes: VerdictNote[]): Verdict {
    const id = svcName(service);
    const selector = selectorText(service.spec.selector);
    const port = this.facts.servicePort(service, name.port);
    const cause = this.facts.whyNoEndpoints(service, port);
    const detail = (pods: readonly SelectedPod[]) => pods.map((p) => `${p.namespace}/${p.name}: ${p.cause ? causeText(p.cause) : 'Ready'}`).join('; ');
    const workloads = (scaled: readonly Workload[]) => list(scaled.map((w) => `${w.kind} ${w.namespace}/${w.name}`));
    switch (cause.kind) {
      case 'no-selector':
        return verdict(cause.reason, client, `${id} has no selector and no EndpointSlice of it lists a ready endpoint, so the Service has no endpoints: ${tail}`, notes);
      case 'no-pods':
        if (cause.scaled.length > 0) {
          return verdict(cause.reason, client, `${id}'s selector ${selector} matches no pod: ${workloads(cause.scaled)} ${cause.scaled.length === 1 ? 'is' : 'are'} scaled to 0 replicas, so the Service has no endpoints: ${tail}`, notes);
        }
        return verdict(cause.reason, client, `${id}'s selector ${selector} matches no pod, so the Service has no endpoints: ${tail}`, notes);
      case 'target-port':
        return verdict(
          cause.reason,
          client,
          `${id}'s port ${port?.name || port?.port} targets the container port named "${port?.targetPort}", which none of the ${plural(cause.pods.length, 'pod')} its selector ${selector} matches declares, so the Service has no endpoints: ${tail}`,
          notes,
        );
      case 'winding-down': {
        const left = cause.pods.length === 1 ? 'its last pod is terminating' : `its ${cause.pods.length} pods are terminating`;
        return verdict(cause.reason, client, `${workloads(cause.scaled)} ${cause.scaled.length === 1 ? 'is' : 'are'} scaled to 0 replicas and ${left} (${detail(cause.pods)}), so ${id} has no ready endpoints: ${tail}`, notes);
      }
      case 'rules-out-of-date':
        return verdict(
          cause.reason,
          client,
          `${id}'s selector ${selector} matches ${plural(cause.pods.length, 'pod')}, ${cause.ready.length === cause.pods.length ? (cause.pods.length === 1 ? 'which is Ready' : 'all Ready') : `${cause.ready.length} of them Ready`} (${list(cause.ready.map((p) => `${p.namespace}/${p.name}`))}), yet the rules say it has no endpoints: ${rulesOutOfDate(null)}. ${tail}`,
          notes,
        );
      case 'not-ready': {
        const { pods, unready } = cause;
        const none = pods.length === 1 ? 'which is not Ready' : unready.length === pods.length ? 'none of them Ready' : `${unready.length} not Ready`;
        return verdict(cause.reason, client, `${id}'s selector ${selector} matches ${plural(pods.length, 'pod')}, ${none} (${detail(unready)}), so the Service has no ready endpoints: ${tail}`, notes);
      }
    }
  }

  private dropped(outcome: Unexplained, trace: TraceFacts, notes: VerdictNote[], sent: ReturnType<Explainer['sent']>): Verdict {
    const r = trace.refusal;
    const said = parseServiceRuleComment(r?.comment);
    if (r?.comment !== undefined && said?.kind === 'no-local-endpoints') {
      const name = said.service;
      const service = this.facts.service(name.namespace, name.name);
      if (service) return this.noLocalEndpoints(service, r.node, `"${r.comment}"`, r.step.chain === 'KUBE-SERVICES' ? 'internal' : 'external', notes);
    }
    // nftables mode: the no-endpoint-nodeports (or -services) map drops what has no local endpoint.
    if (r?.map === '@no-endpoint-nodeports' || r?.map === '@no-endpoint-services') {
      const found = r.map === '@no-endpoint-nodeports' ? this.facts.serviceByNodePort(sent.port, sent.protocol) : this.servicePortAt(sent);
      const internal = r.map === '@no-endpoint-services' && this.facts.serviceByClusterIP(sent.destination) !== undefined;
      if (found) return this.noLocalEndpoints(found.service, r.node, `its ${r.map.slice(1)} map drops ${joinHostPort(sent.destination, sent.port)}`, internal ? 'internal' : 'external', notes);
    }
    // nftables mode: the Service port's firewall-… chain dropped it.
    const firewall = r && isKubeProxyNftStep(r.step) ? firewallDrop(r.step) : undefined;
    if (r && (said?.kind === 'not-accepted' || firewall)) {
      const name = said?.kind === 'not-accepted' ? said.service : firewall!.service;
      const service = this.facts.service(name.namespace, name.name);
      if (service) {
        const ranges = (service.spec.loadBalancerSourceRanges ?? []).join(', ');
        const rule = firewall ? `${r.step.chain}: ${firewall.rule}` : `"${r.comment}"`;
        return verdict(
          'SourceRangeRefused',
          'timed-out',
          `${sent.source} is not in ${svcName(service)}'s loadBalancerSourceRanges (${ranges}): kube-proxy on ${r.node} drops the packet (${rule}).`,
          notes,
        );
      }
    }
    if (r?.comment === 'Drop traffic to unallocated ClusterIPs') {
      return verdict('Dropped', 'timed-out', `${sent.destination} is in the Service CIDR but no Service's ClusterIP: kube-proxy on ${r.node} drops the packet ("${r.comment}").`, notes);
    }
    const rule = r ? ` by the rule ${r.step.rule}` : '';
    return verdict('Dropped', 'timed-out', `${capital(outcome.reason ?? 'dropped')}${rule}.`, notes);
  }

  /** `why`: the rule that dropped the packet, in words (its comment, quoted, in iptables mode). */
  private noLocalEndpoints(service: ServiceRef, node: string, why: string, which: 'internal' | 'external', notes: VerdictNote[]): Verdict {
    const policy = which === 'internal' ? 'internalTrafficPolicy' : 'externalTrafficPolicy';
    const nodes = [...new Set(this.facts.selectedPods(service).filter((p) => p.cause === undefined && p.node).map((p) => p.node!))].sort();
    const elsewhere = nodes.length ? ` (its ready endpoints are on ${list(nodes)})` : '';
    return verdict(
      'NoLocalEndpoints',
      'timed-out',
      `${svcName(service)} has ${policy}: Local and no ready endpoint on ${node}${elsewhere}: kube-proxy on ${node} drops the packet (${why}).`,
      notes,
    );
  }

  private refused(outcome: Unexplained, trace: TraceFacts, notes: VerdictNote[], sent: ReturnType<Explainer['sent']>): Verdict {
    const d = outcome.destination;
    const protocol = sent.protocol;
    const answer = protocol === 'tcp' ? 'a TCP reset' : protocol === 'udp' ? 'ICMP port unreachable' : 'an SCTP ABORT';
    const service = trace.dnat?.service;
    if (d?.pod && service) {
      const ref = this.facts.service(service.namespace, service.name);
      const port = ref ? this.facts.servicePort(ref, service.port) : undefined;
      const shown = port ? `port ${port.port}` : 'its port';
      return verdict(
        'TargetPortNotServed',
        'connection-refused',
        `${svcName(service)} sends ${shown} to targetPort ${d.port} of pod ${d.pod}, which does not serve it (no container declares ${d.port}/${protocol.toUpperCase()}): the pod answers with ${answer}.`,
        notes,
      );
    }
    if (d && !d.pod && d.node) {
      const owner = this.facts.serviceByNodePort(d.port, protocol);
      const node = this.network.tryNode(d.node);
      if (owner && node && !trace.service) {
        const allowed = this.facts.kubeProxyConfig(d.node).nodePortAddresses;
        const inRange = allowed.length === 0 || allowed.some((c) => (c === 'primary' ? d.ip === node.internalIP || d.ip === node.internalIP6 : cidrHolds(c, d.ip)));
        if (!inRange) {
          return verdict(
            'NodePortAddressNotAllowed',
            'connection-refused',
            `${d.port} is ${svcName(owner.service)}'s NodePort, but kube-proxy on ${d.node} serves NodePorts only on addresses in nodePortAddresses (${allowed.join(', ')}), and ${d.ip} is not one: nothing listens on ${d.ip}:${d.port}, so ${d.node} answers with ${answer}.`,
            notes,
          );
        }
      }
    }
    return verdict('PortClosed', 'connection-refused', `${capital(outcome.reason ?? 'refused')}.`, notes);
  }

  /** `has no port 81 (its ports: 80/TCP)`: the port a packet was sent to, which the Service lacks. */
  private missingPort(service: ServiceRef, sent: ReturnType<Explainer['sent']>): string {
    const ports = service.spec.ports ?? [];
    const missing = ports.some((p) => p.port === sent.port) ? `${sent.port}/${sent.protocol.toUpperCase()}` : `${sent.port}`;
    return `has no port ${missing} (its ports: ${ports.map((p: ServicePort) => portText(p)).join(', ') || 'none'})`;
  }

  /** The Service port a packet was sent to: a ClusterIP's, an external IP's or a load balancer's, by number and protocol. */
  private servicePortAt(sent: ReturnType<Explainer['sent']>): { service: ServiceRef; port: ServicePort } | undefined {
    const service = this.facts.serviceByClusterIP(sent.destination) ?? this.facts.serviceByExternalAddress(sent.destination)?.service;
    const port = service?.spec.ports?.find((p) => p.port === sent.port && (p.protocol ?? 'TCP').toLowerCase() === sent.protocol);
    return service && port ? { service, port } : undefined;
  }

  private external(outcome: Unexplained, notes: VerdictNote[], sent: ReturnType<Explainer['sent']>): Verdict {
    const byClusterIP = this.facts.serviceByClusterIP(sent.destination);
    const byExternal = byClusterIP ? undefined : this.facts.serviceByExternalAddress(sent.destination);
    const service = byClusterIP ?? byExternal?.service;
    const left = outcome.reason ?? 'left the cluster';
    if (service && (sent.protocol === 'icmp' || sent.protocol === 'icmpv6')) {
      // kube-proxy (iptables mode) matches only the Service's tcp/udp/sctp ports: a ping is not DNATed.
      const what = byClusterIP ? 'ClusterIP' : byExternal?.kind === 'externalIP' ? 'external IP' : 'load-balancer address';
      return verdict(
        'LeftCluster',
        'timed-out',
        `${sent.destination} is ${svcName(service)}'s ${what}. A ${what} does not answer ping in iptables mode: kube-proxy's rules match only the Service's tcp, udp and sctp ports, so the echo is not DNATed to a pod; it goes to ${sent.destination} itself, which no host of the cluster holds, and ${left}. Nothing answers.`,
        notes,
      );
    }
    if (service) {
      const ports = service.spec.ports ?? [];
      const protocol = sent.protocol.toUpperCase();
      const what = byClusterIP ? 'ClusterIP' : byExternal?.kind === 'externalIP' ? 'external IP' : 'load-balancer address';
      const has = ports.find((p) => p.port === sent.port && (p.protocol ?? 'TCP') === protocol);
      if (has) {
        // The Service has the port, yet no rule took the packet: the rules lag behind the store.
        return verdict('LeftCluster', 'left-cluster', `${sent.destination} is ${svcName(service)}'s ${what} and it has port ${portText(has)}, but no kube-proxy rule took the packet: ${rulesOutOfDate(sent.node)}. The packet ${left}.`, notes);
      }
      return verdict('PortNotInService', 'timed-out', `${sent.destination} is ${svcName(service)}'s ${what}, which ${this.missingPort(service, sent)}: no kube-proxy rule takes the packet, so it ${left} and nothing answers.`, notes);
    }
    return verdict('LeftCluster', 'left-cluster', `The packet ${left}: ${sent.destination} is no Service, pod or node address of the cluster.`, notes);
  }

  // ---- notes ------------------------------------------------------------------------

  private notes(outcome: Unexplained, trace: TraceFacts): VerdictNote[] {
    const notes: VerdictNote[] = [];
    if (trace.conntrack) notes.push(this.conntrackNote(outcome, trace.conntrack));
    if (trace.affinity) {
      const a = trace.affinity;
      const service = a.service ? svcName(a.service) : 'the Service';
      const client = this.sent(outcome.hops).source;
      notes.push({
        reason: 'SessionAffinity',
        message: `${service} has sessionAffinity: ClientIP: ${client} was sent to ${a.endpoint ?? 'this endpoint'} within the last ${a.seconds} s, so kube-proxy on ${a.node} sends it there again (${a.list.startsWith('affinity-') ? `set @${a.list}` : `recent list ${a.list}`}).`,
      });
    }
    const terminating = this.terminatingFallback(outcome, trace);
    if (terminating) notes.push(terminating);
    for (const m of trace.masquerade) notes.push(this.masqueradeNote(m, outcome));
    if (trace.flannelMasquerade) {
      notes.push({
        reason: 'Masquerade',
        message: `flanneld's rule on ${trace.flannelMasquerade.node} masqueraded the source to ${trace.flannelMasquerade.to}: pod traffic leaving the pod network (${this.facts.clusterCidr(trace.flannelMasquerade.to)}) takes the node's address ("flanneld masq").`,
      });
    }
    notes.push(...importedRulesNotes([...outcome.hops, ...outcome.reply], (node) => this.network.cluster.kubeProxies.importedRules(node)?.at));
    return notes;
  }

  private conntrackNote(outcome: Unexplained, c: NonNullable<TraceFacts['conntrack']>): VerdictNote {
    const sent = this.sent(outcome.hops);
    const entry = this.network
      .conntrack(c.node)
      .list()
      .find((e) => e.original.source === sent.source && e.original.sourcePort === this.sourcePort(outcome) && e.original.destination === sent.destination && e.original.destinationPort === sent.port);
    const which = entry ? `: ${entry.text.replace(/\s+/g, ' ').trim()}` : '';
    const dnat = c.dnat ? ` (destination ${c.dnat} from the entry)` : '';
    return {
      reason: 'ConntrackEntry',
      message: `This packet belongs to a connection that ${c.node}'s conntrack table already tracks (left by an earlier connection from the same address and port), so it follows that entry${dnat} and kube-proxy's nat rules are not consulted${which}`,
    };
  }

  private sourcePort(outcome: Unexplained): number {
    return outcome.hops[0]?.packet.sourcePort ?? 0;
  }

  private terminatingFallback(outcome: Unexplained, trace: TraceFacts): VerdictNote | undefined {
    const d = outcome.destination;
    const service = trace.dnat?.service;
    if (!d?.pod || !service) return undefined;
    const [namespace, name] = d.pod.split('/');
    const pod: SelectedPod | undefined = this.facts.pod(namespace, name);
    if (pod?.cause?.kind !== 'terminating') return undefined;
    return {
      reason: 'TerminatingFallback',
      message: `Pod ${d.pod} is terminating (since ${pod.cause.since}); kube-proxy still sends ${svcName(service)}'s traffic to it because the Service has no ready endpoint left and this one is still serving.`,
    };
  }

  private masqueradeNote(m: MasqueradeFact, outcome: Unexplained): VerdictNote {
    const service = m.service ? svcName(m.service) : 'the Service';
    const to = m.to ?? outcome.seenSource ?? 'the node';
    const source = this.sent(outcome.hops).source;
    const after = `${m.masqueradeChain} then masqueraded the source to ${to}`;
    if (m.why.kind === 'hairpin') {
      return {
        reason: 'Hairpin',
        message: `Pod ${outcome.destination?.pod ?? m.why.endpoint} reached itself through ${service} (hairpin): kube-proxy on ${m.node} set the masquerade mark ${m.mark} in ${m.chain} so that the reply comes back through the node; ${after}, which the pod sees as the client.`,
      };
    }
    const why =
      m.why.kind === 'not-local'
        ? `the source ${source} is not pod traffic (the rule matches ${m.why.match}), so the reply must come back through this node to be un-NATed`
        : m.why.kind === 'masquerade-all'
          ? 'masqueradeAll is set: every packet to a ClusterIP is masqueraded'
          : m.why.kind === 'external'
            ? `the packet came to an external entry point of ${service} (externalTrafficPolicy: Cluster), so the endpoint may be on another node and the reply must come back through this one`
            : `a process of ${m.node} itself sent it to an external entry point of ${service} (externalTrafficPolicy: Local)`;
    return { reason: 'Masquerade', message: `kube-proxy on ${m.node} set the masquerade mark ${m.mark} (${m.chain} -> ${m.markChain}) because ${why}; ${after}.` };
  }
}

function capital(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** Whether `a.b.c.d/n` or `fd00::/n` holds `ip` (of either family). */
function cidrHolds(cidr: string, ip: string): boolean {
  const [network, prefix] = cidr.split('/');
  const net = tryParseIp(network);
  const address = tryParseIp(ip);
  if (net === undefined || address === undefined || prefix === undefined || !/^[0-9]{1,3}$/.test(prefix)) return false;
  const bits = Number(prefix);
  // The network with its host bits cleared, as kube-proxy reads a nodePortAddresses CIDR.
  const masked = typeof net === 'bigint' ? net & ipv6PrefixMask(bits) : bits === 0 ? 0 : (net & (0xffffffff << (32 - bits))) >>> 0;
  return ipInPrefix(masked, bits, address);
}
