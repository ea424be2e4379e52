/**
 * `GET /netsim/v1/diagnose`: the checks a seasoned engineer runs for "my
 * Service does not route", in order (DNS, Service port, selector,
 * endpoints, readiness, targetPort, node state, the rules on the source
 * node, the path, the reply), each pass, fail or skip with a message. The
 * first failure stops the list: the checks after it are skipped. Built on
 * the same facts and verdicts as the traffic answers (explain.ts).
 */
import type { ServicePort } from '../../cluster/resources/service.types';
import { DomainError } from '../../common/domain-error';
import { joinHostPort } from '../../kube-proxy/ip';
import { tryParseIp } from '../../netfilter/address';
import { percent } from '../../common/text-layout';
import type { TrafficOutcome, TrafficProtocol, TrafficRequest, TrafficResponse, TrafficSimulator } from '../traffic';
import { trafficSourceText } from '../traffic-source';
import type { Verdict, VerdictReason } from '../verdict';
import { causeText, portText, selectorText, type SelectedPod, type ServiceRef, type SliceEndpointView } from './cluster-facts';
import { readTrace, serviceChain } from './trace-facts';

export type CheckName = 'dns' | 'service-port' | 'selector' | 'endpoints' | 'readiness' | 'target-port' | 'node-state' | 'rules' | 'path' | 'reply';
export type CheckStatus = 'pass' | 'fail' | 'skip';

/** The checks, in the order they run, with the title each is shown under. */
export const CHECKS: readonly { name: CheckName; title: string }[] = [
  { name: 'dns', title: 'DNS' },
  { name: 'service-port', title: 'Service port' },
  { name: 'selector', title: 'Selector' },
  { name: 'endpoints', title: 'Endpoints' },
  { name: 'readiness', title: 'Readiness' },
  { name: 'target-port', title: 'Target port' },
  { name: 'node-state', title: 'Node state' },
  { name: 'rules', title: 'Rules on the source node' },
  { name: 'path', title: 'Path' },
  { name: 'reply', title: 'Reply' },
];

export interface DiagnoseCheck {
  name: CheckName;
  title: string;
  status: CheckStatus;
  message: string;
  /** A failed check carries a reason code, as a verdict's. */
  reason?: VerdictReason;
}

export interface DiagnoseRequest {
  from: TrafficRequest['from'];
  to: string;
  protocol?: TrafficProtocol;
}

export interface DiagnosedOutcome {
  probability: number;
  result: TrafficOutcome['result'];
  pod: string | null;
  node: string | null;
  verdict: Verdict;
}

export interface Diagnosis {
  from: string;
  to: string;
  protocol: TrafficProtocol;
  /** Every check passed or was skipped as not applying. */
  ok: boolean;
  firstFailure: CheckName | null;
  /** The Service the destination is (`namespace/name`), when it is one. */
  service: string | null;
  checks: DiagnoseCheck[];
  /** The outcomes of the traffic (enumerated, nothing changed), with their verdicts; empty when the checks stopped before sending. */
  outcomes: DiagnosedOutcome[];
}

type Result = { status: CheckStatus; message: string; reason?: VerdictReason };
const pass = (message: string): Result => ({ status: 'pass', message });
const fail = (message: string, reason?: VerdictReason): Result => ({ status: 'fail', message, ...(reason ? { reason } : {}) });
const skip = (message: string): Result => ({ status: 'skip', message });

/** The Service a destination is, and how: by ClusterIP (or name), external address, NodePort, or `service/NS/NAME`. */
interface Target {
  service: ServiceRef | undefined;
  /** The Service port the client asked for; undefined when it has none (a failed service-port check). */
  port: ServicePort | undefined;
  /** How the destination names the Service port, for messages. */
  describe: string;
  /** Why the Service port is missing. */
  missing?: string;
  /** The address and port the client sends to (null: not worked out, e.g. NXDOMAIN). */
  address: string | null;
  portNumber: number | null;
}


function shortList(items: readonly string[], max = 4): string {
  if (items.length <= max) return items.join(', ');
  return `${items.slice(0, max).join(', ')} and ${items.length - max} more`;
}

/** Verdict reasons that say kube-proxy's rules on the first node decided the fate of the packet. */
const RULE_REASONS: ReadonlySet<VerdictReason> = new Set<VerdictReason>(['NoEndpoints', 'ScaledToZero', 'ReadinessProbeFailing', 'NodeNotReady', 'EndpointsTerminating', 'NoReadyEndpoints', 'NoLocalEndpoints', 'PortNotInService', 'NodePortAddressNotAllowed', 'SourceRangeRefused', 'Rejected', 'Dropped']);

export class Diagnoser {
  constructor(private readonly traffic: TrafficSimulator) {}

  private get facts() {
    return this.traffic.explainer.facts;
  }

  diagnose(request: DiagnoseRequest): Diagnosis {
    const protocol = request.protocol ?? 'tcp';
    const to = request.to;
    const byName = /^service\/([^/]+)\/([^/:]+):(.*)$/.exec(to);
    let response: TrafficResponse | undefined;
    let target: Target;
    if (byName) {
      const service = this.facts.service(byName[1], byName[2]);
      if (!service) throw new DomainError('NOT_FOUND', `services "${byName[2]}" not found in namespace "${byName[1]}"`, { kind: 'services', name: byName[2], field: 'to' });
      const portText = byName[3];
      if (/^[0-9]+$/.test(portText) && (Number(portText) < 1 || Number(portText) > 65535)) {
        throw new DomainError('INVALID', `to: "${to}" needs a port between 1 and 65535`, { field: 'to' });
      }
      target = this.servicePortByText(service, portText, protocol);
      if (target.port !== undefined || service.spec.clusterIP === 'None') {
        response = this.traffic.send({ from: request.from, to, protocol });
      } else if (target.address !== null && target.portNumber !== null) {
        // A port number the Service does not have: send to its ClusterIP on that port, to show where the packet goes.
        response = this.traffic.send({ from: request.from, to: joinHostPort(target.address, target.portNumber), protocol });
      } else {
        // A port name it does not have: nothing to send; the source is still checked (a bad one is refused as POST /traffic refuses it).
        this.traffic.checkSource(request.from);
      }
    } else {
      response = this.traffic.send({ from: request.from, to, protocol });
      target = this.targetOf(response, protocol);
    }
    const outcomes = response?.outcomes ?? [];
    const ctx: Context = { request, protocol, response, target, outcomes };
    const steps: Record<CheckName, () => Result> = {
      dns: () => this.dns(ctx),
      'service-port': () => this.servicePort(ctx),
      selector: () => this.selector(ctx),
      endpoints: () => this.endpoints(ctx),
      readiness: () => this.readiness(ctx),
      'target-port': () => this.targetPort(ctx),
      'node-state': () => this.nodeState(ctx),
      rules: () => this.rules(ctx),
      path: () => this.path(ctx),
      reply: () => this.reply(ctx),
    };
    const checks: DiagnoseCheck[] = [];
    let firstFailure: CheckName | null = null;
    let failedTitle: string | undefined;
    for (const { name, title } of CHECKS) {
      const result = failedTitle !== undefined ? skip(`not run: the ${failedTitle} check failed`) : steps[name]();
      if (result.status === 'fail' && firstFailure === null) {
        firstFailure = name;
        failedTitle = title;
      }
      checks.push({ name, title, ...result });
    }
    return {
      from: trafficSourceText(request.from),
      to,
      protocol,
      ok: firstFailure === null,
      firstFailure,
      service: target.service ? `${target.service.namespace}/${target.service.name}` : null,
      checks,
      outcomes: outcomes.map((o) => ({ probability: o.probability, result: o.result, pod: o.destination?.pod ?? null, node: o.destination?.node ?? null, verdict: o.verdict })),
    };
  }

  // ---- the destination ---------------------------------------------------------------

  private servicePortByText(service: ServiceRef, text: string, protocol: string): Target {
    const ports = service.spec.ports ?? [];
    const proto = protocol.toUpperCase();
    const byNumber = /^[0-9]{1,5}$/.test(text) ? Number(text) : undefined;
    const sameProtocol = ports.filter((p) => (p.protocol ?? 'TCP') === proto);
    // No port named: the Service's only port, as POST /netsim/v1/traffic takes it.
    const port = text === '' ? (sameProtocol.length === 1 && ports.length === 1 ? sameProtocol[0] : undefined) : sameProtocol.find((p) => (byNumber !== undefined ? p.port === byNumber : (p.name ?? '') === text));
    const address = service.spec.clusterIP && service.spec.clusterIP !== 'None' ? service.spec.clusterIP : null;
    const id = `${service.namespace}/${service.name}`;
    const describe = `${id} port ${text || '(unnamed)'}`;
    if (port) return { service, port, describe, address, portNumber: port.port };
    const theirs = `its ports: ${ports.map((p) => `${portText(p)}${p.name ? ` (${p.name})` : ''}`).join(', ') || 'none'}`;
    const unnamed = ports.length === 1 ? `${id}'s only port is not ${proto}` : `${id} has ${ports.length === 0 ? 'no port' : 'more than one port'}`;
    const missing = text === '' ? `service/${id}: names no port, and ${unnamed} (${theirs})` : `${id} has no port ${text}/${proto} (${theirs})`;
    return { service, port: undefined, describe, missing, address, portNumber: byNumber ?? null };
  }

  private targetOf(response: TrafficResponse, protocol: string): Target {
    const first = response.outcomes[0];
    const resolution = response.resolution;
    const hop = first?.hops[0];
    const trace = first ? readTrace(first.hops) : undefined;
    // The address and port as the client sent them (a node's own packet is first seen after OUTPUT).
    const address = trace?.entryAddress ?? (hop && hop.rules.length > 0 ? (trace?.routedTo ?? hop.packet.destination) : hop?.packet.destination) ?? null;
    const portNumber = trace?.entryPort ?? hop?.packet.destinationPort ?? null;
    const none: Target = { service: undefined, port: undefined, describe: '', address, portNumber };
    if (resolution?.kind === 'addresses' && resolution.service) {
      const service = this.facts.service(resolution.service.namespace, resolution.service.name);
      if (service) return this.byPort(service, address, portNumber, protocol, 'ClusterIP');
    }
    if (address === null || portNumber === null) return none;
    const byIP = this.facts.serviceByClusterIP(address);
    if (byIP) return this.byPort(byIP, address, portNumber, protocol, 'ClusterIP');
    const external = this.facts.serviceByExternalAddress(address);
    if (external) return this.byPort(external.service, address, portNumber, protocol, external.kind === 'externalIP' ? 'external IP' : 'load-balancer address');
    const ip = tryParseIp(address);
    if (ip !== undefined && this.traffic.network.nodeByAddress(ip)) {
      const owner = this.facts.serviceByNodePort(portNumber, protocol);
      if (owner) return { service: owner.service, port: owner.port, describe: `NodePort ${joinHostPort(address, portNumber)}`, address, portNumber };
    }
    return none;
  }

  private byPort(service: ServiceRef, address: string | null, portNumber: number | null, protocol: string, what: string): Target {
    const ports = service.spec.ports ?? [];
    const proto = protocol.toUpperCase();
    const port = ports.find((p) => p.port === portNumber && (p.protocol ?? 'TCP') === proto);
    const id = `${service.namespace}/${service.name}`;
    const describe = address !== null && portNumber !== null ? joinHostPort(address, portNumber) : `${address}:${portNumber}`;
    if (port) return { service, port, describe, address, portNumber };
    // Same number, other protocol: say the protocol (the same number and protocol is found above).
    const sameNumber = ports.some((p) => p.port === portNumber);
    const missing = `${address} is ${id}'s ${what}, which has no port ${sameNumber ? `${portNumber}/${proto}` : portNumber} (its ports: ${ports.map(portText).join(', ') || 'none'})`;
    return { service, port: undefined, describe, missing, address, portNumber };
  }

  // ---- the checks ------------------------------------------------------------------

  private dns(ctx: Context): Result {
    const r = ctx.response?.resolution;
    if (!r) return skip(`${ctx.request.to} names no DNS name: nothing to resolve`);
    if (r.kind === 'nxdomain') {
      const nx = ctx.outcomes.find((o) => o.result === 'nxdomain');
      return fail(nx?.verdict.message ?? `${r.name} did not resolve`, 'NXDomain');
    }
    const what = r.service ? ` (${r.service.namespace}/${r.service.name}${r.service.headless ? ', headless: its ready pods' : "'s ClusterIP"})` : '';
    const cname = r.cname?.length ? ` through the CNAME ${r.cname.join(' > ')}` : '';
    return pass(`${r.name} resolves to ${shortList(r.addresses)}${what} as ${r.fqdn}${cname}`);
  }

  private servicePort(ctx: Context): Result {
    const { service, port } = ctx.target;
    if (!service) return skip(`${ctx.target.address ?? ctx.request.to} is not a Service address: the Service checks do not apply`);
    if (service.spec.type === 'ExternalName') return skip(`${service.namespace}/${service.name} is an ExternalName Service: kube-proxy has no rules for it`);
    if (service.spec.clusterIP === 'None') return skip(`${service.namespace}/${service.name} is headless: clients connect to its pods directly, on the port they ask for`);
    if (!port) return fail(`${ctx.target.missing}.`, 'PortNotInService');
    const target = port.targetPort ?? port.port;
    const via = ctx.target.describe.startsWith('NodePort') ? `${ctx.target.describe} is ${service.namespace}/${service.name}'s NodePort for` : `${service.namespace}/${service.name} has`;
    return pass(`${via} port ${portText(port)}${port.name ? ` (${port.name})` : ''}, targetPort ${target}`);
  }

  /** The Service and port the Service checks look at: a ClusterIP Service's (not headless, not ExternalName). */
  private applies(ctx: Context): ServiceRef | undefined {
    return this.servicePortOf(ctx)?.service;
  }

  private servicePortOf(ctx: Context): { service: ServiceRef; port: ServicePort } | undefined {
    const { service, port } = ctx.target;
    return service && port && service.spec.clusterIP !== 'None' && service.spec.type !== 'ExternalName' ? { service, port } : undefined;
  }

  private selector(ctx: Context): Result {
    const service = this.applies(ctx);
    if (!service) return skip('no Service port to check');
    const id = `${service.namespace}/${service.name}`;
    const selector = selectorText(service.spec.selector);
    if (!selector) return skip(`${id} has no selector: its EndpointSlices are written by hand`);
    const pods = this.facts.selectedPods(service);
    const cause = this.facts.whyNoEndpoints(service, ctx.target.port);
    if (cause.kind === 'no-pods') {
      const { scaled } = cause;
      if (scaled.length) return fail(`${id}'s selector ${selector} matches no pod: ${scaled.map((w) => `${w.kind} ${w.namespace}/${w.name}`).join(', ')} ${scaled.length === 1 ? 'is' : 'are'} scaled to 0 replicas.`, cause.reason);
      return fail(`${id}'s selector ${selector} matches no pod in namespace ${service.namespace}.`, cause.reason);
    }
    return pass(`${selector} matches ${pods.length === 1 ? '1 pod' : `${pods.length} pods`}: ${shortList(pods.map((p) => p.name))}`);
  }

  private endpoints(ctx: Context): Result {
    const target = this.servicePortOf(ctx);
    if (!target) return skip('no Service port to check');
    const { service, port } = target;
    const id = `${service.namespace}/${service.name}`;
    const listed = this.facts.sliceEndpoints(service, port);
    if (listed.length > 0) return pass(`${id}'s EndpointSlices list ${listed.length === 1 ? '1 endpoint' : `${listed.length} endpoints`} for port ${port.name || port.port}: ${shortList(listed.map((e) => joinHostPort(e.address, e.port)))}`);
    const pods = this.facts.selectedPods(service);
    const cause = this.facts.whyNoEndpoints(service, port);
    if (cause.kind === 'target-port') {
      return fail(`${id}'s EndpointSlices list no endpoint: its port ${port.name || port.port} targets the container port named "${port.targetPort}", which none of the ${pods.length === 1 ? 'pod' : `${pods.length} pods`} its selector matches declares.`, cause.reason);
    }
    const noIp = pods.filter((p) => !p.ip);
    if (noIp.length) return fail(`${id}'s EndpointSlices list no endpoint: its pods have no IP address yet (${shortList(noIp.map((p) => `${p.name}: ${p.cause ? causeText(p.cause) : 'no IP'}`))}).`, 'NoEndpoints');
    return fail(`${id}'s EndpointSlices list no endpoint for port ${port.name || port.port}.`, 'NoEndpoints');
  }

  private readiness(ctx: Context): Result {
    const target = this.servicePortOf(ctx);
    if (!target) return skip('no Service port to check');
    const { service, port } = target;
    const id = `${service.namespace}/${service.name}`;
    const listed = this.facts.sliceEndpoints(service, port);
    const ready = listed.filter((e) => e.ready);
    const pods = new Map(this.facts.selectedPods(service).map((p) => [p.name, p]));
    const why = (e: SliceEndpointView) => {
      const pod: SelectedPod | undefined = e.pod ? pods.get(e.pod) : undefined;
      return `${e.pod ?? e.address}: ${pod?.cause ? causeText(pod.cause) : e.terminating ? 'terminating' : 'not ready'}`;
    };
    const notReady = listed.filter((e) => !e.ready);
    if (ready.length === listed.length) return pass(`all ${listed.length === 1 ? '1 endpoint is' : `${listed.length} endpoints are`} ready`);
    if (ready.length > 0) return pass(`${ready.length} of ${listed.length} endpoints ready; not ready: ${shortList(notReady.map(why))}`);
    const serving = listed.filter((e) => e.serving && e.terminating);
    if (serving.length > 0) return pass(`no endpoint is ready, but ${serving.length === 1 ? '1 terminating endpoint still serves' : `${serving.length} terminating endpoints still serve`} and kube-proxy falls back to ${serving.length === 1 ? 'it' : 'them'}: ${shortList(serving.map((e) => e.pod ?? e.address))}`);
    const cause = this.facts.whyNoEndpoints(service, port);
    const reason: VerdictReason = cause.kind === 'not-ready' || cause.kind === 'winding-down' ? cause.reason : 'NoReadyEndpoints';
    return fail(`none of ${id}'s ${listed.length === 1 ? 'endpoint is' : `${listed.length} endpoints is`} ready: ${notReady.map(why).join('; ')}.`, reason);
  }

  private targetPort(ctx: Context): Result {
    const target = this.servicePortOf(ctx);
    if (!target) return skip('no Service port to check');
    const { service, port } = target;
    const listed = this.facts.sliceEndpoints(service, port).filter((e) => e.ready || e.serving);
    const protocol = (port.protocol ?? 'TCP').toLowerCase();
    const closed = listed.filter((e) => {
      const pod = e.pod ? this.facts.pod(service.namespace, e.pod) : undefined;
      return pod !== undefined && !this.facts.podServes(pod.object, e.port, protocol);
    });
    if (closed.length > 0) {
      return fail(`${shortList(closed.map((e) => `pod ${service.namespace}/${e.pod}`))} ${closed.length === 1 ? 'does' : 'do'} not serve targetPort ${closed[0].port}/${protocol.toUpperCase()} (no container declares it): connections to ${closed.length === 1 ? 'it are' : 'them are'} refused.`, 'TargetPortNotServed');
    }
    const ports = [...new Set(listed.map((e) => `${e.port}/${protocol.toUpperCase()}`))];
    return pass(`every endpoint's pod declares ${ports.join(', ')}`);
  }

  /**
   * Fails only when a NotReady node explains connections that are not delivered
   * (its verdict says so, or the connection ends on it). A NotReady node that costs
   * nothing (the client's own, while kube-proxy still forwards) passes, named.
   */
  private nodeState(ctx: Context): Result {
    const nodes = new Set<string>();
    const source = this.sourceNode(ctx);
    if (source) nodes.add(source);
    const service = this.applies(ctx);
    const listed = service && ctx.target.port ? this.facts.sliceEndpoints(service, ctx.target.port) : [];
    for (const e of listed) if (e.node) nodes.add(e.node);
    for (const o of ctx.outcomes) if (o.destination?.node) nodes.add(o.destination.node);
    if (nodes.size === 0) return skip('no node involved');
    const sorted = [...nodes].sort();
    const readiness = new Map(sorted.map((n) => [n, this.facts.nodeReadiness(n)]));
    const down = sorted.filter((n) => !readiness.get(n)?.ready);
    if (down.length === 0) return pass(`${sorted.join(', ')} ${sorted.length === 1 ? 'is' : 'are'} Ready`);
    const downText = down.map((n) => `${n} is NotReady (${readiness.get(n)?.detail})`).join('; ');
    const lost = ctx.outcomes.filter((o) => o.result !== 'delivered' && (o.verdict.reason === 'NodeNotReady' || (o.destination?.node != null && down.includes(o.destination.node))));
    if (lost.length > 0) {
      const share = lost.reduce((s, o) => s + o.probability, 0);
      return fail(`${downText}: ${percent(share)} of connections are not delivered because of it.`, 'NodeNotReady');
    }
    const up = sorted.filter((n) => !down.includes(n));
    const out = listed.filter((e) => !e.ready && !e.serving && e.node !== undefined && down.includes(e.node)).map((e) => e.pod ?? e.address);
    const rotation = out.length ? ` (out of rotation: ${shortList(out)})` : '';
    return pass(`${up.length ? `${up.join(', ')} ${up.length === 1 ? 'is' : 'are'} Ready; ` : ''}${downText}, but no connection fails because of it${rotation}`);
  }

  private sourceNode(ctx: Context): string | undefined {
    const first = ctx.outcomes.find((o) => o.hops.length > 0);
    return first?.hops.find((h) => h.node !== null && h.rules.length > 0)?.node ?? undefined;
  }

  private rules(ctx: Context): Result {
    if (ctx.outcomes.length === 0) return skip('no packet was sent');
    const node = this.sourceNode(ctx) ?? 'the first node';
    const decided = ctx.outcomes.find((o) => RULE_REASONS.has(o.verdict.reason));
    if (decided) {
      const share = decided.probability < 1 ? `${percent(decided.probability)} of connections: ` : '';
      return fail(`${share}${decided.verdict.message}`, decided.verdict.reason);
    }
    const endpoints = new Set<string>();
    let service: string | undefined;
    let chain: string | undefined;
    let conntrack = false;
    for (const o of ctx.outcomes) {
      const t = readTrace(o.hops);
      if (t.dnat) endpoints.add(t.dnat.endpoint);
      if (t.service) service ??= `${t.service.namespace}/${t.service.name}:${t.service.port}`;
      if (t.conntrack) conntrack = true;
      chain ??= serviceChain(o.hops.flatMap((h) => h.rules));
    }
    if (conntrack && endpoints.size === 0) return pass(`the packet follows an existing conntrack entry on ${node}: kube-proxy's nat rules are not consulted`);
    if (!service) return this.applies(ctx) ? pass(`kube-proxy's rules on ${node} let the packet through`) : skip(`no Service: kube-proxy's rules on ${node} let the packet through`);
    const list = [...endpoints].sort();
    const who = this.traffic.network.cluster.kubeProxies.importedRules(node) ? `the imported rules on ${node} send` : `kube-proxy on ${node} sends`;
    return pass(`${who} ${service} to ${list.length === 1 ? '1 endpoint' : `${list.length} endpoints`} (${chain ?? 'KUBE-SERVICES'}): ${shortList(list)}`);
  }

  private path(ctx: Context): Result {
    if (ctx.outcomes.length === 0) return skip('no packet was sent');
    const failed = ctx.outcomes.filter((o) => o.result !== 'delivered');
    if (failed.length === 0) {
      const where = ctx.outcomes.map((o) => `${o.destination?.pod ?? `node ${o.destination?.node}`}${o.destination?.pod && o.destination.node ? ` on ${o.destination.node}` : ''} (${percent(o.probability)})`);
      return pass(`every connection is delivered: ${shortList(where)}`);
    }
    const worst = failed.sort((a, b) => b.probability - a.probability)[0];
    const share = failed.reduce((s, o) => s + o.probability, 0);
    return fail(`${percent(share)} of connections are not delivered: ${worst.verdict.message}`, worst.verdict.reason);
  }

  private reply(ctx: Context): Result {
    const delivered = ctx.outcomes.filter((o) => o.result === 'delivered');
    if (delivered.length === 0) return skip('nothing was delivered');
    const expected = ctx.target.address !== null && ctx.target.portNumber !== null ? joinHostPort(ctx.target.address, ctx.target.portNumber) : undefined;
    const wrong = delivered.filter((o) => !o.replySource || (expected !== undefined && o.replySource !== expected));
    if (wrong.length > 0) {
      const o = wrong[0];
      return fail(o.replySource ? `the answer from ${o.destination?.pod ?? o.destination?.node} comes back from ${o.replySource}, not ${expected}: the client does not recognise it.` : `the answer from ${o.destination?.pod ?? o.destination?.node} does not reach the client.`);
    }
    const sources = [...new Set(delivered.map((o) => o.replySource))];
    return pass(`the answer comes back from ${sources.join(', ')}, the address the client sent to (conntrack undoes the NAT)`);
  }
}

interface Context {
  request: DiagnoseRequest;
  protocol: TrafficProtocol;
  response: TrafficResponse | undefined;
  target: Target;
  outcomes: TrafficOutcome[];
}

