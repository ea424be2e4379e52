/**
 * One sync of kube-proxy's nftables proxier (upstream pkg/proxy/nftables,
 * `setupNFTables` and `syncProxyRules`): the transaction that makes the
 * `kube-proxy` table of one family hold the rules for the Services and
 * endpoints given.
 *
 * The layout:
 * - base chains `filter-prerouting-pre-dnat` and `filter-output-pre-dnat`
 *   (priority -110, before DNAT), `filter-forward`, `filter-input`,
 *   `filter-output` (0), `nat-prerouting`, `nat-output` (-100) and
 *   `nat-postrouting` (100), each jumping to kube-proxy's top-level chains;
 * - dispatch by verdict maps: `service-ips` (address . protocol . port) and
 *   `service-nodeports` (protocol . port) go to a service port's chains;
 *   `no-endpoint-services` / `no-endpoint-nodeports` reject or drop what has
 *   no endpoint; `firewall-ips` sends LoadBalancer traffic with source ranges
 *   through its `firewall-` chain; `cluster-ips` and the Service CIDRs make
 *   `cluster-ips-check` reject unknown ports of a ClusterIP and drop
 *   unallocated ClusterIPs;
 * - per service port `service-`/`local-` chains load-balance with one
 *   `numgen random mod N vmap` rule; `external-` chains handle traffic to
 *   node ports, external and LoadBalancer IPs; per endpoint `endpoint-` chains
 *   DNAT, with `affinity-` sets for ClientIP session affinity.
 *
 * Every chain a sync uses is added and flushed before its rules are written,
 * and the maps are flushed and refilled, so the transaction always leaves the
 * table exactly as the Services say; a process's first sync reconciles with the
 * table it finds instead (nft-startup.ts). Chains no longer used are flushed and
 * deleted by a later sync (`staleChains`), as the kernel needs.
 */
import { categorizeEndpoints, type TopologyContext } from '../categorize';
import type { EndpointInfo } from '../endpoint-slice-cache';
import { cidrContainsIp, parseIpSloppy, type ParsedCidr } from '../ip';
import { externallyAccessible, usesClusterEndpoints, usesLocalEndpoints, type ServicePortInfo } from '../service-port';
import type { LocalTrafficDetector } from '../node-facts';
import type { IpFamily } from '../types';
import type { NftBaseChainSpec, NftElement } from '../../nftables/model';
import type { NftCommand } from '../../nftables/transaction';
import {
  affinitySetName,
  ENDPOINT_PREFIX,
  endpointChainBase,
  EXTERNAL_PREFIX,
  FIREWALL_PREFIX,
  KUBE_PROXY_TABLE,
  LOCAL_PREFIX,
  SERVICE_PREFIX,
  servicePortChainBase,
} from './names';

// Fixed chains, sets and maps (upstream proxier.go constants).
export const FILTER_PREROUTING_PRE_DNAT = 'filter-prerouting-pre-dnat';
export const FILTER_OUTPUT_PRE_DNAT = 'filter-output-pre-dnat';
export const FILTER_FORWARD = 'filter-forward';
export const FILTER_INPUT = 'filter-input';
export const FILTER_OUTPUT = 'filter-output';
export const NAT_PREROUTING = 'nat-prerouting';
export const NAT_OUTPUT = 'nat-output';
export const NAT_POSTROUTING = 'nat-postrouting';
export const SERVICES = 'services';
export const SERVICE_IPS = 'service-ips';
export const SERVICE_NODEPORTS = 'service-nodeports';
export const NODEPORT_IPS = 'nodeport-ips';
export const CLUSTER_IPS = 'cluster-ips';
export const SERVICE_ENDPOINTS_CHECK = 'service-endpoints-check';
export const NODEPORT_ENDPOINTS_CHECK = 'nodeport-endpoints-check';
export const NO_ENDPOINT_SERVICES = 'no-endpoint-services';
export const NO_ENDPOINT_NODEPORTS = 'no-endpoint-nodeports';
export const REJECT_CHAIN = 'reject-chain';
export const CLUSTER_IPS_CHECK = 'cluster-ips-check';
export const FIREWALL_IPS = 'firewall-ips';
export const FIREWALL_CHECK = 'firewall-check';
export const MARK_MASQ = 'mark-for-masquerade';
export const MASQUERADING = 'masquerading';

const BASE_CHAINS: readonly { name: string; base: NftBaseChainSpec }[] = [
  { name: FILTER_PREROUTING_PRE_DNAT, base: { type: 'filter', hook: 'prerouting', priority: '-110' } },
  { name: FILTER_OUTPUT_PRE_DNAT, base: { type: 'filter', hook: 'output', priority: '-110' } },
  { name: FILTER_FORWARD, base: { type: 'filter', hook: 'forward', priority: '0' } },
  { name: FILTER_INPUT, base: { type: 'filter', hook: 'input', priority: '0' } },
  { name: FILTER_OUTPUT, base: { type: 'filter', hook: 'output', priority: '0' } },
  { name: NAT_OUTPUT, base: { type: 'nat', hook: 'output', priority: '-100' } },
  { name: NAT_POSTROUTING, base: { type: 'nat', hook: 'postrouting', priority: '100' } },
  { name: NAT_PREROUTING, base: { type: 'nat', hook: 'prerouting', priority: '-100' } },
];

/** The jumps from base chains to kube-proxy's top-level chains, in upstream's order. */
const JUMPS: readonly { from: string; to: string; match: string }[] = [
  { from: FILTER_PREROUTING_PRE_DNAT, to: FIREWALL_CHECK, match: 'ct state new' },
  { from: FILTER_OUTPUT_PRE_DNAT, to: FIREWALL_CHECK, match: 'ct state new' },
  { from: FILTER_FORWARD, to: SERVICE_ENDPOINTS_CHECK, match: 'ct state new' },
  { from: FILTER_INPUT, to: NODEPORT_ENDPOINTS_CHECK, match: 'ct state new' },
  { from: FILTER_INPUT, to: SERVICE_ENDPOINTS_CHECK, match: 'ct state new' },
  { from: FILTER_OUTPUT, to: SERVICE_ENDPOINTS_CHECK, match: 'ct state new' },
  { from: FILTER_FORWARD, to: CLUSTER_IPS_CHECK, match: 'ct state new' },
  { from: FILTER_OUTPUT, to: CLUSTER_IPS_CHECK, match: 'ct state new' },
  { from: NAT_OUTPUT, to: SERVICES, match: '' },
  { from: NAT_PREROUTING, to: SERVICES, match: '' },
  { from: NAT_POSTROUTING, to: MASQUERADING, match: '' },
];

/** What one sync needs to know about the node and the configuration. */
export interface NftSyncContext {
  family: IpFamily;
  nodeName: string;
  /** The masquerade mark, as kube-proxy prints it (`0x4000`, or `0x004000` from `%#08x`). */
  mark: string;
  masqueradeAll: boolean;
  detector: LocalTrafficDetector;
  /** Null: every local address takes NodePorts (`fib daddr type local`); else the addresses of `nodeport-ips`. */
  nodePortIps: readonly string[] | null;
  /** The primary node IP of this family, for LoadBalancer source ranges that hold it. */
  nodeIp?: string;
  /** The Service CIDRs of this family (`ServiceCIDR` objects). */
  serviceCIDRs: readonly string[];
  topology: TopologyContext;
}

export interface NftSyncInput {
  servicePorts: Iterable<ServicePortInfo>;
  endpointsOf: (servicePortKey: string) => readonly EndpointInfo[] | undefined;
  /** A process's first sync over the table a previous one left (nft-startup.ts): what it keeps, how its elements are reconciled. */
  startUp?: {
    keptChain: (out: PortOutput, chain: string) => boolean;
    elements: (wanted: readonly { set: string; element: NftElement }[]) => NftCommand[];
  };
}

export interface NftSyncOutput {
  commands: NftCommand[];
  /** Each service port's part, by `ServicePortInfo.key`. */
  outputs: Map<string, PortOutput>;
  /** The per-service and per-endpoint chains this sync uses. */
  activeChains: Set<string>;
  /** The affinity sets this sync uses. */
  activeAffinitySets: Set<string>;
}

interface PortNames {
  cluster: string;
  local: string;
  external: string;
  firewall: string;
}

/** Endpoint chains are named from the service port and the endpoint. */
function endpointChain(sp: ServicePortInfo, ep: EndpointInfo): string {
  // Joined: one flat string (see the endpoint rules in `compilePort`).
  return [ENDPOINT_PREFIX, endpointChainBase(sp.namespace, sp.name, sp.proto, sp.portName, ep.ip, ep.port)].join('');
}

function portNames(sp: ServicePortInfo): PortNames {
  const base = servicePortChainBase(sp.namespace, sp.name, sp.proto, sp.portName);
  const named = (prefix: string) => [prefix, base].join(''); // flat (see `endpointChain`)
  return { cluster: named(SERVICE_PREFIX), local: named(LOCAL_PREFIX), external: named(EXTERNAL_PREFIX), firewall: named(FIREWALL_PREFIX) };
}

/** `ip:port`, or `[ip]:port` for IPv6, as `dnat to` takes it. */
function dnatTarget(ep: EndpointInfo): string {
  return ep.ip.includes(':') ? `[${ep.ip}]:${ep.port}` : `${ep.ip}:${ep.port}`;
}

/**
 * The fixed part of a full sync: the table, base chains, kube-proxy's own chains, sets and
 * maps, and the maps flushed. A process's first sync (`startUp`, upstream's first
 * `setupNFTables`) deletes each base chain and adds it again, so a previous version's
 * priorities give way, and leaves the maps' elements for `startUpElements` to reconcile.
 */
export function setupCommands(ctx: NftSyncContext, startUp = false): NftCommand[] {
  const at = { family: ctx.family === 'IPv6' ? ('ip6' as const) : ('ip' as const), table: KUBE_PROXY_TABLE };
  const ipX = ctx.family === 'IPv6' ? 'ip6' : 'ip';
  const addrType = ctx.family === 'IPv6' ? 'ipv6_addr' : 'ipv4_addr';
  const noLocalhost = ctx.family === 'IPv6' ? 'ip6 daddr != ::1' : 'ip daddr != 127.0.0.0/8';
  const commands: NftCommand[] = [];
  const add = (c: NftCommand) => commands.push(c);
  // The hot commands are built with one fixed shape each (a 10,000-Service sync writes ~470,000).
  const { family, table } = at;
  const rule = (chain: string, text: string, comment?: string) =>
    commands.push({ verb: 'add', object: 'rule', family, table, chain, rule: text, comment });
  const element = (set: string, key: string[], value?: string, comment?: string) => {
    const e: NftElement = { key, value: value === undefined ? undefined : [value], comment };
    commands.push({ verb: 'add', object: 'element', family, table, set, element: e });
  };
  const created = new Set<string>();
  const ensureChain = (name: string, comment?: string) => {
    if (created.has(name)) return;
    commands.push({ verb: 'add', object: 'chain', family, table, name, base: undefined, comment });
    commands.push({ verb: 'flush', object: 'chain', family, table, name });
    created.add(name);
  };

  // The table, its base chains and the fixed chains they jump to.
  add({ ...at, verb: 'add', object: 'table', comment: 'rules for kube-proxy' });
  if (startUp) {
    for (const bc of BASE_CHAINS) {
      add({ ...at, verb: 'add', object: 'chain', name: bc.name });
      add({ ...at, verb: 'delete', object: 'chain', name: bc.name });
    }
  }
  for (const bc of BASE_CHAINS) {
    add({ ...at, verb: 'add', object: 'chain', name: bc.name, base: bc.base });
    add({ ...at, verb: 'flush', object: 'chain', name: bc.name });
  }
  for (const j of JUMPS) {
    ensureChain(j.to);
    rule(j.from, j.match ? `${j.match} jump ${j.to}` : `jump ${j.to}`);
  }
  for (const name of [SERVICES, MASQUERADING, MARK_MASQ]) ensureChain(name);
  rule(MARK_MASQ, `mark set mark or ${ctx.mark}`);
  rule(MASQUERADING, `mark and ${ctx.mark} == 0 return`);
  rule(MASQUERADING, `mark set mark xor ${ctx.mark}`);
  rule(MASQUERADING, 'masquerade fully-random');

  // ClusterIPs: unknown ports rejected, unallocated addresses dropped.
  add({ ...at, verb: 'add', object: 'set', name: CLUSTER_IPS, type: addrType, comment: 'Active ClusterIPs' });
  if (!startUp) add({ ...at, verb: 'flush', object: 'set', name: CLUSTER_IPS });
  rule(CLUSTER_IPS_CHECK, `${ipX} daddr @${CLUSTER_IPS} reject`, 'Reject traffic to invalid ports of ClusterIPs');
  if (ctx.serviceCIDRs.length > 0) {
    rule(CLUSTER_IPS_CHECK, `${ipX} daddr { ${ctx.serviceCIDRs.join(',')} } drop`, 'Drop traffic to unallocated ClusterIPs');
  }

  // The addresses that take NodePort traffic.
  add({ ...at, verb: 'add', object: 'set', name: NODEPORT_IPS, type: addrType, comment: 'IPs that accept NodePort traffic' });
  if (ctx.nodePortIps === null) {
    add({ ...at, verb: 'delete', object: 'set', name: NODEPORT_IPS });
  } else {
    add({ ...at, verb: 'flush', object: 'set', name: NODEPORT_IPS });
    for (const ip of ctx.nodePortIps) element(NODEPORT_IPS, [ip]);
  }
  const nodePortMatch = ctx.nodePortIps === null ? `fib daddr type local ${noLocalhost}` : `${ipX} daddr @${NODEPORT_IPS}`;

  // No endpoints: reject or drop.
  add({
    ...at,
    verb: 'add',
    object: 'map',
    name: NO_ENDPOINT_SERVICES,
    type: `${addrType} . inet_proto . inet_service : verdict`,
    comment: 'vmap to drop or reject packets to services with no endpoints',
  });
  add({
    ...at,
    verb: 'add',
    object: 'map',
    name: NO_ENDPOINT_NODEPORTS,
    type: 'inet_proto . inet_service : verdict',
    comment: 'vmap to drop or reject packets to service nodeports with no endpoints',
  });
  ensureChain(REJECT_CHAIN, 'helper for @no-endpoint-services / @no-endpoint-nodeports');
  rule(REJECT_CHAIN, 'reject');
  rule(SERVICE_ENDPOINTS_CHECK, `${ipX} daddr . meta l4proto . th dport vmap @${NO_ENDPOINT_SERVICES}`);
  rule(NODEPORT_ENDPOINTS_CHECK, `${nodePortMatch} meta l4proto . th dport vmap @${NO_ENDPOINT_NODEPORTS}`);

  // LoadBalancer source ranges.
  add({
    ...at,
    verb: 'add',
    object: 'map',
    name: FIREWALL_IPS,
    type: `${addrType} . inet_proto . inet_service : verdict`,
    comment: 'destinations that are subject to LoadBalancerSourceRanges',
  });
  rule(FIREWALL_CHECK, `${ipX} daddr . meta l4proto . th dport vmap @${FIREWALL_IPS}`);

  // Service dispatch.
  add({
    ...at,
    verb: 'add',
    object: 'map',
    name: SERVICE_IPS,
    type: `${addrType} . inet_proto . inet_service : verdict`,
    comment: 'ClusterIP, ExternalIP and LoadBalancer IP traffic',
  });
  add({ ...at, verb: 'add', object: 'map', name: SERVICE_NODEPORTS, type: 'inet_proto . inet_service : verdict', comment: 'NodePort traffic' });
  rule(SERVICES, `${ipX} daddr . meta l4proto . th dport vmap @${SERVICE_IPS}`);
  rule(SERVICES, `${nodePortMatch} meta l4proto . th dport vmap @${SERVICE_NODEPORTS}`);

  if (!startUp) {
    for (const map of [FIREWALL_IPS, NO_ENDPOINT_SERVICES, NO_ENDPOINT_NODEPORTS, SERVICE_IPS, SERVICE_NODEPORTS]) {
      add({ ...at, verb: 'flush', object: 'map', name: map });
    }
  }

  return commands;
}

/** An `add rule` command. */
type RuleCommand = Extract<NftCommand, { object: 'rule' }>;

/** What one service port puts in the table: its chains (with rules), map and set elements, affinity sets. */
export interface PortOutput {
  /** In creation order: endpoint chains first, then the port's own; each with the commands that add its rules (a full sync sends these very objects). */
  chains: { name: string; rules: RuleCommand[] }[];
  elements: { set: string; element: NftElement }[];
  affinitySets: { name: string; timeout: string }[];
}

/** One service port's part of the table (upstream's per-service loop in `syncProxyRules`). */
export function compilePort(ctx: NftSyncContext, sp: ServicePortInfo, endpoints: readonly EndpointInfo[] | undefined): PortOutput {
  const ipX = ctx.family === 'IPv6' ? 'ip6' : 'ip';
  const family = ipX;
  const table = KUBE_PROXY_TABLE;
  const out: PortOutput = { chains: [], elements: [], affinitySets: [] };
  const byName = new Map<string, { name: string; rules: RuleCommand[] }>();
  const chain = (name: string) => {
    let c = byName.get(name);
    if (c === undefined) {
      c = { name, rules: [] };
      byName.set(name, c);
      out.chains.push(c);
    }
    return c;
  };
  const ruleCommand = (name: string, text: string, comment?: string): RuleCommand => ({ verb: 'add', object: 'rule', family, table, chain: name, rule: text, comment });
  const rule = (name: string, text: string, comment?: string) => {
    chain(name).rules.push(ruleCommand(name, text, comment));
  };
  const element = (set: string, key: string[], value?: string, comment?: string) =>
    out.elements.push({ set, element: { key, value: value === undefined ? undefined : [value], comment } });

  const names = portNames(sp);
  const proto = sp.proto;
  const port = String(sp.port);
  const { clusterEndpoints, localEndpoints, allReachable, hasAnyEndpoints } = categorizeEndpoints(endpoints, sp, ctx.topology);
  const epChains = new Map<string, string>();
  for (const ep of allReachable) {
    const name = endpointChain(sp, ep);
    epChains.set(ep.endpoint, name);
    chain(name);
  }

  const usesClusterChain = clusterEndpoints.length > 0 && usesClusterEndpoints(sp);
  if (usesClusterChain) chain(names.cluster);
  const usesLocalChain = localEndpoints.length > 0 && usesLocalEndpoints(sp);
  if (usesLocalChain) chain(names.local);

  const internalChain = sp.internalPolicyLocal ? names.local : names.cluster;
  const hasInternalEndpoints = hasAnyEndpoints && (!sp.internalPolicyLocal || localEndpoints.length > 0);
  const externalPolicyChain = sp.externalPolicyLocal ? names.local : names.cluster;
  const hasExternalEndpoints = hasAnyEndpoints && (!sp.externalPolicyLocal || localEndpoints.length > 0);
  const usesExternalChain = hasAnyEndpoints && externallyAccessible(sp);
  if (usesExternalChain) chain(names.external);

  const internalVerdict = !hasAnyEndpoints ? `goto ${REJECT_CHAIN}` : 'drop';
  const externalVerdict = internalVerdict;

  element(CLUSTER_IPS, [sp.clusterIP]);
  if (hasInternalEndpoints) element(SERVICE_IPS, [sp.clusterIP, proto, port], ['goto ', internalChain].join(''));
  else element(NO_ENDPOINT_SERVICES, [sp.clusterIP, proto, port], internalVerdict, sp.nameString);

  for (const ip of sp.externalIPs) {
    if (hasAnyEndpoints) element(SERVICE_IPS, [ip, proto, port], `goto ${names.external}`);
    if (!hasExternalEndpoints) element(NO_ENDPOINT_SERVICES, [ip, proto, port], externalVerdict, sp.nameString);
  }

  const usesFirewall = sp.loadBalancerVIPs.length > 0 && sp.loadBalancerSourceRanges.length > 0;
  if (usesFirewall) {
    chain(names.firewall);
    const sources = sp.loadBalancerSourceRanges.map((c) => c.text);
    const nodeIp = ctx.nodeIp;
    if (nodeIp !== undefined && sp.loadBalancerSourceRanges.some((c) => cidrHolds(c, nodeIp))) sources.push(...sp.loadBalancerVIPs);
    rule(names.firewall, `${ipX} saddr != { ${sources.join(', ')} } drop`);
  }
  for (const ip of sp.loadBalancerVIPs) {
    if (hasAnyEndpoints) element(SERVICE_IPS, [ip, proto, port], `goto ${names.external}`);
    if (usesFirewall) element(FIREWALL_IPS, [ip, proto, port], `goto ${names.firewall}`);
  }
  if (!hasExternalEndpoints) {
    for (const ip of sp.loadBalancerVIPs) element(NO_ENDPOINT_SERVICES, [ip, proto, port], externalVerdict, sp.nameString);
  }

  if (sp.nodePort !== 0) {
    if (hasAnyEndpoints) element(SERVICE_NODEPORTS, [proto, String(sp.nodePort)], `goto ${names.external}`);
    if (!hasExternalEndpoints) element(NO_ENDPOINT_NODEPORTS, [proto, String(sp.nodePort)], externalVerdict, sp.nameString);
  }

  // Internal traffic: masquerade what does not come from a pod.
  if (hasInternalEndpoints) {
    if (ctx.masqueradeAll) rule(internalChain, `${ipX} daddr ${sp.clusterIP} jump ${MARK_MASQ}`);
    else if (ctx.detector.implemented) rule(internalChain, [ipX, ' daddr ', sp.clusterIP, ' ', ctx.detector.nftIfNotLocal, ' jump ', MARK_MASQ].join(''));
  }

  // External traffic.
  if (usesExternalChain) {
    if (!sp.externalPolicyLocal) {
      rule(names.external, `jump ${MARK_MASQ}`);
    } else {
      if (ctx.detector.implemented) rule(names.external, `${ctx.detector.nftIfLocal} goto ${names.cluster}`, 'short-circuit pod traffic');
      rule(names.external, `fib saddr type local jump ${MARK_MASQ}`, 'masquerade local traffic');
      rule(names.external, `fib saddr type local goto ${names.cluster}`, 'short-circuit local traffic');
    }
    if (hasExternalEndpoints) rule(names.external, `goto ${externalPolicyChain}`);
  }

  if (sp.sessionAffinityClientIP) {
    for (const ep of allReachable) out.affinitySets.push({ name: affinitySetName(epChains.get(ep.endpoint)!), timeout: `${sp.stickyMaxAgeSeconds}s` });
  }

  const loadBalance = (chain: string, endpoints: readonly EndpointInfo[]) => {
    if (sp.sessionAffinityClientIP) {
      for (const ep of endpoints) {
        const epChain = epChains.get(ep.endpoint)!;
        rule(chain, `${ipX} saddr @${affinitySetName(epChain)} goto ${epChain}`);
      }
    }
    const entries = endpoints.map((ep, i) => `${i} : goto ${epChains.get(ep.endpoint)!}`);
    rule(chain, ['numgen random mod ', endpoints.length, ' vmap { ', entries.join(' , '), ' }'].join(''));
  };
  if (usesClusterChain) loadBalance(names.cluster, clusterEndpoints);
  if (usesLocalChain) loadBalance(names.local, localEndpoints);

  for (const ep of allReachable) {
    const name = epChains.get(ep.endpoint)!;
    // Joined rather than concatenated: one flat string each, not a tree of pieces the collector copies until first read.
    const masq = ruleCommand(name, [ipX, ' saddr ', ep.ip, ' jump ', MARK_MASQ].join(''));
    const dnat = ruleCommand(name, ['meta l4proto ', proto, ' dnat to ', dnatTarget(ep)].join(''));
    // Built whole (an array grown by push keeps room for 17; 100,000 endpoint chains would carry 13 MB of it).
    const rules = sp.sessionAffinityClientIP ? [masq, ruleCommand(name, `update @${affinitySetName(name)} { ${ipX} saddr }`), dnat] : [masq, dnat];
    const c = chain(name);
    c.rules = c.rules.length === 0 ? rules : c.rules.concat(rules);
  }
  return out;
}

/** The commands that write a port's output: affinity sets, chains added and flushed, their rules (appended to `commands` when given). */
export function portCommands(ctx: NftSyncContext, out: PortOutput, commands: NftCommand[] = [], kept?: (chain: string) => boolean): NftCommand[] {
  const family = ctx.family === 'IPv6' ? ('ip6' as const) : ('ip' as const);
  const table = KUBE_PROXY_TABLE;
  const addrType = ctx.family === 'IPv6' ? 'ipv6_addr' : 'ipv4_addr';
  for (const s of out.affinitySets) {
    commands.push({ verb: 'add', object: 'set', family, table, name: s.name, type: addrType, flags: ['dynamic', 'timeout'], timeout: s.timeout, comment: undefined });
  }
  const chains = kept === undefined ? out.chains : out.chains.filter((c) => !kept(c.name));
  for (const c of chains) {
    commands.push({ verb: 'add', object: 'chain', family, table, name: c.name, base: undefined, comment: undefined });
    commands.push({ verb: 'flush', object: 'chain', family, table, name: c.name });
  }
  for (const c of chains) {
    for (const r of c.rules) commands.push(r);
  }
  return commands;
}

/** The commands that add elements. */
export function elementCommands(ctx: NftSyncContext, elements: readonly { set: string; element: NftElement }[], verb: 'add' | 'delete' = 'add'): NftCommand[] {
  const family = ctx.family === 'IPv6' ? ('ip6' as const) : ('ip' as const);
  return elements.map((e) => ({ verb, object: 'element' as const, family, table: KUBE_PROXY_TABLE, set: e.set, element: e.element }));
}

/** The transaction of one full sync, and each port's output (for later partial syncs). */
export function nftSync(ctx: NftSyncContext, input: NftSyncInput): NftSyncOutput {
  const startUp = input.startUp;
  const commands = setupCommands(ctx, startUp !== undefined);
  const activeChains = new Set<string>();
  const activeAffinitySets = new Set<string>();
  const outputs = new Map<string, PortOutput>();
  const elements: { set: string; element: NftElement }[] = [];
  for (const sp of input.servicePorts) {
    const out = compilePort(ctx, sp, input.endpointsOf(sp.key));
    outputs.set(sp.key, out);
    portCommands(ctx, out, commands, startUp === undefined ? undefined : (chain) => startUp.keptChain(out, chain));
    for (const c of out.chains) activeChains.add(c.name);
    for (const s of out.affinitySets) activeAffinitySets.add(s.name);
    for (const e of out.elements) elements.push(e);
  }
  for (const c of startUp === undefined ? elementCommands(ctx, elements) : startUp.elements(elements)) commands.push(c);
  return { commands, activeChains, activeAffinitySets, outputs };
}

/** Whether the CIDR holds the IP (same family). */
function cidrHolds(cidr: ParsedCidr, ipText: string): boolean {
  const ip = parseIpSloppy(ipText);
  return ip !== undefined && cidr.family === ip.family && cidrContainsIp(cidr, ip);
}
