/**
 * Stage 3: compile one service port into its lines of restore input, in
 * exactly upstream's order (the per-service-port body of `syncProxyRules`;
 * reference §7). The result is cached by the proxier and reused until the
 * Service or its EndpointSlices change.
 *
 * A compiled port has two halves:
 *
 * - top-level rules, rewritten on every sync because the chains they live in
 *   are: nat `KUBE-SERVICES`/`KUBE-NODEPORTS` and filter `KUBE-SERVICES`,
 *   `KUBE-EXTERNAL-SERVICES`, `KUBE-NODEPORTS`, `KUBE-PROXY-FIREWALL`. These
 *   are compiled once and cached as newline-joined blocks;
 * - the port's own nat chains (`KUBE-EXT/FW/SVC/SVL/SEP-*`), written only by
 *   full syncs and by partial syncs in which the Service changed. Only their
 *   names and the decisions behind them (`OwnChainsPlan`) are cached; their
 *   text is produced by `ownChainRules` when a sync writes them, so a full
 *   sync streams it out instead of keeping every line of every port alive.
 */
import { serviceRuleComment } from './rule-comments';
import type { ProbabilityCache } from './chain-names';
import { categorizeEndpoints, type TopologyContext } from './categorize';
import type { EndpointInfo } from './endpoint-slice-cache';
import type { ParsedIp } from './ip';
import { cidrContainsIp } from './ip';
import type { LocalTrafficDetector } from './node-facts';
import { externallyAccessible, type ServicePortInfo } from './service-port';
import {
  KUBE_EXTERNAL_SERVICES,
  KUBE_MARK_MASQ,
  KUBE_NODEPORTS,
  KUBE_PROXY_FIREWALL,
  KUBE_SERVICES,
  NFACCT_LOCALHOST_NODEPORT_ACCEPTED,
  type IpFamily,
} from './types';

/** Everything outside the service port that shapes its rules. */
export interface RuleContext {
  family: IpFamily;
  masqueradeAll: boolean;
  detector: LocalTrafficDetector;
  /** Effective localhostNodePorts (forced off unless nodePortAddresses holds an IPv4 loopback). */
  localhostNodePorts: boolean;
  /** The nfacct counter for localhost NodePorts exists. */
  nfacctLocalhostNodePorts: boolean;
  /** The primary node IP of this family: a source range holding it lets LB VIPs in as sources. */
  nodeIp?: ParsedIp;
  topology: TopologyContext;
  probabilities: ProbabilityCache;
  /** Above 1,000 endpoints: no comments on SVC/SVL -> SEP rules and SEP rules (read when own chains are written). */
  largeClusterMode: boolean;
}

/** A block of lines joined with "\n" (no trailing newline), and how many lines it holds. */
export interface LineBlock {
  text: string;
  lines: number;
}

/** The decisions that shape a port's own chains (reference §7.2), kept to write them on demand. */
export interface OwnChainsPlan {
  sp: ServicePortInfo;
  clusterEndpoints: readonly EndpointInfo[];
  localEndpoints: readonly EndpointInfo[];
  allReachable: readonly EndpointInfo[];
  hasInternal: boolean;
  hasExternal: boolean;
  internalChain: string;
  externalPolicyChain: string;
  usesExternalChain: boolean;
  usesFirewallChain: boolean;
  usesClusterPolicyChain: boolean;
  usesLocalPolicyChain: boolean;
}

export interface CompiledServicePort {
  key: string;
  serviceKey: string;
  /** Top-level filter rules (KUBE-SERVICES, KUBE-EXTERNAL-SERVICES, KUBE-PROXY-FIREWALL, KUBE-NODEPORTS). */
  filterRules: LineBlock;
  /** Top-level nat rules (KUBE-SERVICES, KUBE-NODEPORTS). */
  natRules: LineBlock;
  /** The port's own nat chains, in write order (the "active" set stale-chain cleanup keeps). */
  chains: readonly string[];
  /** What `ownChainRules` writes for this port. */
  plan: OwnChainsPlan;
  /** iTP=Local with endpoints elsewhere but none here (the no-local-endpoints metric). */
  noLocalInternal: boolean;
  /** eTP=Local with endpoints elsewhere but none here. */
  noLocalExternal: boolean;
  /** Endpoints of the port (for the large-cluster count). */
  endpointCount: number;
}

function block(lines: string[]): LineBlock {
  return { text: lines.join('\n'), lines: lines.length };
}

export const EMPTY_BLOCK: LineBlock = Object.freeze({ text: '', lines: 0 });

export function chainLine(chain: string): string {
  return `:${chain} - [0:0]`;
}

export function compileServicePort(
  sp: ServicePortInfo,
  allEndpoints: readonly EndpointInfo[] | undefined,
  ctx: RuleContext,
): CompiledServicePort {
  const S = sp.nameString;
  const pm = `-m ${sp.proto} -p ${sp.proto}`;
  const dport = `--dport ${sp.port}`;
  const { clusterEndpoints, localEndpoints, allReachable, hasAnyEndpoints } = categorizeEndpoints(allEndpoints, sp, ctx.topology);
  const hasEndpoints = hasAnyEndpoints;

  const clusterPolicyChain = sp.clusterPolicyChain;
  const localPolicyChain = sp.localPolicyChain;
  const usesClusterPolicyChain = clusterEndpoints.length > 0 && (!sp.internalPolicyLocal || externallyAccessible(sp));
  const usesLocalPolicyChain =
    localEndpoints.length > 0 && (sp.internalPolicyLocal || (sp.externalPolicyLocal && externallyAccessible(sp)));

  let internalChain = clusterPolicyChain;
  let hasInternal = hasEndpoints;
  if (sp.internalPolicyLocal) {
    internalChain = localPolicyChain;
    if (localEndpoints.length === 0) hasInternal = false;
  }
  let externalPolicyChain = clusterPolicyChain;
  let hasExternal = hasEndpoints;
  if (sp.externalPolicyLocal) {
    externalPolicyChain = localPolicyChain;
    if (localEndpoints.length === 0) hasExternal = false;
  }
  const externalChain = sp.externalChain;
  // The EXT chain exists whenever there are endpoints anywhere: the short-circuit
  // rules for pod and node traffic are needed even with no local endpoint.
  const usesExternalChain = hasEndpoints && externallyAccessible(sp);
  const usesFirewallChain = hasEndpoints && sp.loadBalancerVIPs.length > 0 && sp.loadBalancerSourceRanges.length > 0;
  const loadBalancerChain = usesFirewallChain ? sp.firewallChain : externalChain;

  let internalFilterTarget = '';
  let internalFilterComment = '';
  let externalFilterTarget = '';
  let externalFilterComment = '';
  let noLocalInternal = false;
  let noLocalExternal = false;
  if (!hasEndpoints) {
    internalFilterTarget = externalFilterTarget = 'REJECT';
    internalFilterComment = externalFilterComment = `"${serviceRuleComment.noEndpoints(S)}"`;
  } else {
    if (!hasInternal) {
      internalFilterTarget = 'DROP';
      internalFilterComment = `"${serviceRuleComment.noLocalEndpoints(S)}"`;
      noLocalInternal = true;
    }
    if (!hasExternal) {
      externalFilterTarget = 'DROP';
      externalFilterComment = `"${serviceRuleComment.noLocalEndpoints(S)}"`;
      noLocalExternal = true;
    }
  }

  const filter: string[] = [];
  const nat: string[] = [];

  // 1. The cluster IP.
  if (hasInternal) {
    nat.push(`-A ${KUBE_SERVICES} -m comment --comment "${serviceRuleComment.entry(S, 'cluster IP')}" ${pm} -d ${sp.clusterIP} ${dport} -j ${internalChain}`);
  } else {
    filter.push(
      `-A ${KUBE_SERVICES} -m comment --comment ${internalFilterComment} ${pm} -d ${sp.clusterIP} ${dport} -j ${internalFilterTarget}`,
    );
  }

  // 2. External IPs.
  for (const ip of sp.externalIPs) {
    if (hasEndpoints) {
      nat.push(`-A ${KUBE_SERVICES} -m comment --comment "${serviceRuleComment.entry(S, 'external IP')}" ${pm} -d ${ip} ${dport} -j ${externalChain}`);
    }
    if (!hasExternal) {
      filter.push(
        `-A ${KUBE_EXTERNAL_SERVICES} -m comment --comment ${externalFilterComment} ${pm} -d ${ip} ${dport} -j ${externalFilterTarget}`,
      );
    }
  }

  // 3. Load balancer VIPs (through KUBE-FW when source ranges apply).
  for (const ip of sp.loadBalancerVIPs) {
    if (hasEndpoints) {
      nat.push(`-A ${KUBE_SERVICES} -m comment --comment "${serviceRuleComment.entry(S, 'loadbalancer IP')}" ${pm} -d ${ip} ${dport} -j ${loadBalancerChain}`);
    }
    if (usesFirewallChain) {
      filter.push(
        `-A ${KUBE_PROXY_FIREWALL} -m comment --comment "${serviceRuleComment.notAccepted(S, sp.firewallChain)}" ${pm} -d ${ip} ${dport} -j DROP`,
      );
    }
  }
  // 4. Load balancer VIPs without usable (local) endpoints.
  if (!hasExternal) {
    for (const ip of sp.loadBalancerVIPs) {
      filter.push(
        `-A ${KUBE_EXTERNAL_SERVICES} -m comment --comment ${externalFilterComment} ${pm} -d ${ip} ${dport} -j ${externalFilterTarget}`,
      );
    }
  }

  // 5. The NodePort. NodePorts are not subject to loadBalancerSourceRanges.
  if (sp.nodePort !== 0) {
    if (hasEndpoints) {
      if (ctx.localhostNodePorts && ctx.family === 'IPv4' && ctx.nfacctLocalhostNodePorts) {
        nat.push(
          `-A ${KUBE_NODEPORTS} -m comment --comment ${S} ${pm} -d 127.0.0.0/8 --dport ${sp.nodePort} -m nfacct --nfacct-name ${NFACCT_LOCALHOST_NODEPORT_ACCEPTED} -j ${externalChain}`,
        );
      }
      nat.push(`-A ${KUBE_NODEPORTS} -m comment --comment ${S} ${pm} --dport ${sp.nodePort} -j ${externalChain}`);
    }
    if (!hasExternal) {
      filter.push(
        `-A ${KUBE_EXTERNAL_SERVICES} -m comment --comment ${externalFilterComment} -m addrtype --dst-type LOCAL ${pm} --dport ${sp.nodePort} -j ${externalFilterTarget}`,
      );
    }
  }

  // 6. The health check NodePort: always TCP, accepted whether or not there are local endpoints.
  if (sp.healthCheckNodePort !== 0) {
    filter.push(
      `-A ${KUBE_NODEPORTS} -m comment --comment "${S} health check node port" -m tcp -p tcp --dport ${sp.healthCheckNodePort} -j ACCEPT`,
    );
  }

  // The port's own chains, in the order they are written.
  const chains: string[] = [];
  if (usesExternalChain) chains.push(externalChain);
  if (usesFirewallChain) chains.push(sp.firewallChain);
  if (usesClusterPolicyChain) chains.push(clusterPolicyChain);
  if (usesLocalPolicyChain) chains.push(localPolicyChain);
  for (const ep of allReachable) chains.push(ep.chainName);

  return {
    key: sp.key,
    serviceKey: sp.serviceKey,
    filterRules: block(filter),
    natRules: block(nat),
    chains,
    plan: {
      sp,
      clusterEndpoints,
      localEndpoints,
      allReachable,
      hasInternal,
      hasExternal,
      internalChain,
      externalPolicyChain,
      usesExternalChain,
      usesFirewallChain,
      usesClusterPolicyChain,
      usesLocalPolicyChain,
    },
    noLocalInternal,
    noLocalExternal,
    endpointCount: allEndpoints?.length ?? 0,
  };
}

/** The chain lines of a port's own chains. */
export function ownChainLines(entry: CompiledServicePort): LineBlock {
  const chains = entry.chains;
  return chains.length === 0 ? EMPTY_BLOCK : { text: `:${chains.join(' - [0:0]\n:')} - [0:0]`, lines: chains.length };
}

/**
 * The rules of a port's own chains (reference §7.3 steps 8-13), one string
 * per line, as a sync writes them now: per-endpoint comments depend on the
 * current large-cluster mode.
 */
export function ownChainRules(entry: CompiledServicePort, ctx: RuleContext): string[] {
  const p = entry.plan;
  const sp = p.sp;
  const S = sp.nameString;
  const pm = `-m ${sp.proto} -p ${sp.proto}`;
  const externalChain = sp.externalChain;
  const clusterPolicyChain = sp.clusterPolicyChain;
  const own: string[] = [];

  // 8. Masquerade cluster-IP traffic from outside the cluster (or all of it).
  if (p.hasInternal) {
    const args = `-m comment --comment "${serviceRuleComment.entry(S, 'cluster IP')}" ${pm} -d ${sp.clusterIP} --dport ${sp.port}`;
    if (ctx.masqueradeAll) {
      own.push(`-A ${p.internalChain} ${args} -j ${KUBE_MARK_MASQ}`);
    } else if (ctx.detector.implemented) {
      own.push(`-A ${p.internalChain} ${args} ${ctx.detector.ifNotLocal} -j ${KUBE_MARK_MASQ}`);
    }
  }

  // 9. The external-destinations chain.
  if (p.usesExternalChain) {
    if (!sp.externalPolicyLocal) {
      own.push(`-A ${externalChain} -m comment --comment "${serviceRuleComment.masqueradeExternal(S)}" -j ${KUBE_MARK_MASQ}`);
    } else {
      if (ctx.detector.implemented) {
        own.push(
          `-A ${externalChain} -m comment --comment "pod traffic for ${S} external destinations" ${ctx.detector.ifLocal} -j ${clusterPolicyChain}`,
        );
      }
      own.push(
        `-A ${externalChain} -m comment --comment "${serviceRuleComment.masqueradeLocal(S)}" -m addrtype --src-type LOCAL -j ${KUBE_MARK_MASQ}`,
      );
      own.push(
        `-A ${externalChain} -m comment --comment "route LOCAL traffic for ${S} external destinations" -m addrtype --src-type LOCAL -j ${clusterPolicyChain}`,
      );
    }
    if (p.hasExternal) own.push(`-A ${externalChain} -j ${p.externalPolicyChain}`);
  }

  // 10. The loadBalancerSourceRanges firewall.
  if (p.usesFirewallChain) {
    const fw = sp.firewallChain;
    const args = `-A ${fw} -m comment --comment "${serviceRuleComment.entry(S, 'loadbalancer IP')}"`;
    let allowFromNode = false;
    for (const cidr of sp.loadBalancerSourceRanges) {
      own.push(`${args} -s ${cidr.text} -j ${externalChain}`);
      if (ctx.nodeIp && cidrContainsIp(cidr, ctx.nodeIp)) allowFromNode = true;
    }
    // Node traffic to a VIP that is a local address loops back with the VIP as its source.
    if (allowFromNode) {
      for (const ip of sp.loadBalancerVIPs) own.push(`${args} -s ${ip} -j ${externalChain}`);
    }
    // No target: what falls through keeps its VIP and is dropped by filter KUBE-PROXY-FIREWALL.
    own.push(`-A ${fw} -m comment --comment "other traffic to ${S} will be dropped by KUBE-PROXY-FIREWALL"`);
  }

  // 11./12. Cluster- and Local-policy chains to the endpoints.
  if (p.usesClusterPolicyChain) writeEndpointRules(own, sp, clusterPolicyChain, p.clusterEndpoints, ctx);
  if (p.usesLocalPolicyChain) writeEndpointRules(own, sp, sp.localPolicyChain, p.localEndpoints, ctx);

  // 13. One chain per reachable endpoint: hairpin masquerade, then DNAT.
  const comment = ctx.largeClusterMode ? '' : ` -m comment --comment ${S}`;
  for (const ep of p.allReachable) {
    const sep = ep.chainName;
    own.push(`-A ${sep}${comment} -s ${ep.ip} -j ${KUBE_MARK_MASQ}`);
    const recent = sp.sessionAffinityClientIP ? ` -m recent --name ${sep} --set` : '';
    own.push(`-A ${sep}${comment}${recent} ${pm} -j DNAT --to-destination ${ep.endpoint}`);
  }
  return own;
}

/** Session-affinity checks, then one probabilistic jump per endpoint (the last unconditional). */
function writeEndpointRules(
  out: string[],
  sp: ServicePortInfo,
  chain: string,
  endpoints: readonly EndpointInfo[],
  ctx: RuleContext,
): void {
  const large = ctx.largeClusterMode;
  if (sp.sessionAffinityClientIP) {
    for (const ep of endpoints) {
      const comment = large ? '' : ` -m comment --comment "${serviceRuleComment.toEndpoint(sp.nameString, ep.endpoint)}"`;
      out.push(
        `-A ${chain}${comment} -m recent --name ${ep.chainName} --rcheck --seconds ${sp.stickyMaxAgeSeconds} --reap -j ${ep.chainName}`,
      );
    }
  }
  const n = endpoints.length;
  for (let i = 0; i < n; i++) {
    const ep = endpoints[i];
    const comment = large ? '' : ` -m comment --comment "${serviceRuleComment.toEndpoint(sp.nameString, ep.endpoint)}"`;
    const statistic = i < n - 1 ? ` -m statistic --mode random --probability ${ctx.probabilities.get(n - i)}` : '';
    out.push(`-A ${chain}${comment}${statistic} -j ${ep.chainName}`);
  }
}
