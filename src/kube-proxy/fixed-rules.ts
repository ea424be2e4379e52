/**
 * The rules that do not belong to any Service: the jump rules kube-proxy
 * keeps in the built-in chains, the masquerade machinery, the forwarding
 * rules, the localhost anti-martian rule and the NodePort tail rule
 * (reference §3, §5, §11).
 */
import { isLoopback, type ParsedIp } from './ip';
import type { NodePortAddresses } from './node-facts';
import {
  KUBE_EXTERNAL_SERVICES,
  KUBE_FIREWALL,
  KUBE_FORWARD,
  KUBE_MARK_MASQ,
  KUBE_NODEPORTS,
  KUBE_POSTROUTING,
  KUBE_PROXY_CANARY,
  KUBE_PROXY_FIREWALL,
  KUBE_SERVICES,
  NFACCT_CT_STATE_INVALID_DROPPED,
  type IpFamily,
  type TableName,
} from './types';

/**
 * A rule kube-proxy keeps in a built-in chain with "check, and if missing
 * insert at position 1" (`EnsureRule(Prepend, ...)`), on full syncs only.
 * Such rules cannot be expressed in restore input; the loader applies them.
 */
export interface EnsureRule {
  table: TableName;
  /** The built-in chain the rule sits in. */
  chain: 'INPUT' | 'FORWARD' | 'OUTPUT' | 'PREROUTING' | 'POSTROUTING';
  /** The rule's arguments in restore form, without `-A CHAIN`. */
  rule: string;
  /** The kube-proxy chain it jumps to (ensured to exist first). */
  target: string;
  position: 'prepend';
}

function jump(table: TableName, chain: EnsureRule['chain'], target: string, comment: string, extra = ''): EnsureRule {
  const parts: string[] = [];
  if (extra) parts.push(extra);
  if (comment) parts.push(`-m comment --comment "${comment}"`);
  parts.push(`-j ${target}`);
  return { table, chain, rule: parts.join(' '), target, position: 'prepend' };
}

const CT_NEW = '-m conntrack --ctstate NEW';

/**
 * The jump rules in processing order (`iptablesJumpChains` followed by
 * `iptablesKubeletJumpChains`). Each is prepended, so on a fresh node a
 * built-in chain ends up holding them in reverse order.
 */
export const BUILTIN_JUMP_RULES: readonly EnsureRule[] = Object.freeze([
  jump('filter', 'INPUT', KUBE_EXTERNAL_SERVICES, 'kubernetes externally-visible service portals', CT_NEW),
  jump('filter', 'FORWARD', KUBE_EXTERNAL_SERVICES, 'kubernetes externally-visible service portals', CT_NEW),
  jump('filter', 'INPUT', KUBE_NODEPORTS, 'kubernetes health check service ports'),
  jump('filter', 'FORWARD', KUBE_SERVICES, 'kubernetes service portals', CT_NEW),
  jump('filter', 'OUTPUT', KUBE_SERVICES, 'kubernetes service portals', CT_NEW),
  jump('filter', 'FORWARD', KUBE_FORWARD, 'kubernetes forwarding rules'),
  jump('filter', 'INPUT', KUBE_PROXY_FIREWALL, 'kubernetes load balancer firewall', CT_NEW),
  jump('filter', 'OUTPUT', KUBE_PROXY_FIREWALL, 'kubernetes load balancer firewall', CT_NEW),
  jump('filter', 'FORWARD', KUBE_PROXY_FIREWALL, 'kubernetes load balancer firewall', CT_NEW),
  jump('nat', 'OUTPUT', KUBE_SERVICES, 'kubernetes service portals'),
  jump('nat', 'PREROUTING', KUBE_SERVICES, 'kubernetes service portals'),
  jump('nat', 'POSTROUTING', KUBE_POSTROUTING, 'kubernetes postrouting rules'),
  // kubelet's own copies, which kube-proxy ensures too and never deletes.
  jump('filter', 'INPUT', KUBE_FIREWALL, ''),
  jump('filter', 'OUTPUT', KUBE_FIREWALL, ''),
]);

/** Empty chains the iptables monitor creates to detect flushes (`ipt.Monitor`). */
export const CANARY_CHAINS: readonly { table: TableName; chain: string }[] = Object.freeze([
  { table: 'mangle', chain: KUBE_PROXY_CANARY },
  { table: 'nat', chain: KUBE_PROXY_CANARY },
  { table: 'filter', chain: KUBE_PROXY_CANARY },
]);

/** The built-in chains of a fresh node after the jump rules were ensured, in rule order. */
export function builtinChainsAfterEnsure(): Map<string, string[]> {
  const chains = new Map<string, string[]>();
  for (const r of BUILTIN_JUMP_RULES) {
    const key = `${r.table}/${r.chain}`;
    const list = chains.get(key) ?? [];
    list.unshift(`-A ${r.chain} ${r.rule}`);
    chains.set(key, list);
  }
  return chains;
}

/** The filter chains every sync rewrites, in write order. */
export function topLevelFilterChains(withKubeletFirewall: boolean): string[] {
  const chains = [KUBE_SERVICES, KUBE_EXTERNAL_SERVICES, KUBE_FORWARD, KUBE_NODEPORTS, KUBE_PROXY_FIREWALL];
  if (withKubeletFirewall) chains.push(KUBE_FIREWALL);
  return chains;
}

/** The nat chains every sync rewrites, in write order. */
export const TOP_LEVEL_NAT_CHAINS: readonly string[] = Object.freeze([KUBE_SERVICES, KUBE_NODEPORTS, KUBE_POSTROUTING, KUBE_MARK_MASQ]);

/** KUBE-POSTROUTING and KUBE-MARK-MASQ. */
export function masqueradeRules(mark: string, randomFully: boolean): string[] {
  return [
    `-A ${KUBE_POSTROUTING} -m mark ! --mark ${mark}/${mark} -j RETURN`,
    `-A ${KUBE_POSTROUTING} -j MARK --xor-mark ${mark}`,
    `-A ${KUBE_POSTROUTING} -m comment --comment "kubernetes service traffic requiring SNAT" -j MASQUERADE${randomFully ? ' --random-fully' : ''}`,
    `-A ${KUBE_MARK_MASQ} -j MARK --or-mark ${mark}`,
  ];
}

/** The anti-martian rule that limits what route_localnet exposes (IPv4 with localhost NodePorts). */
export const KUBELET_FIREWALL_RULE =
  `-A ${KUBE_FIREWALL} -m comment --comment "block incoming localnet connections" -d 127.0.0.0/8 ! -s 127.0.0.0/8 -m conntrack ! --ctstate RELATED,ESTABLISHED,DNAT -j DROP`;

/** KUBE-FORWARD: drop INVALID (unless tcp_be_liberal), accept marked and established traffic. */
export function forwardRules(mark: string, conntrackTcpBeLiberal: boolean, nfacctInvalidDropped: boolean): string[] {
  const rules: string[] = [];
  if (!conntrackTcpBeLiberal) {
    const nfacct = nfacctInvalidDropped ? ` -m nfacct --nfacct-name ${NFACCT_CT_STATE_INVALID_DROPPED}` : '';
    rules.push(`-A ${KUBE_FORWARD} -m conntrack --ctstate INVALID${nfacct} -j DROP`);
  }
  rules.push(`-A ${KUBE_FORWARD} -m comment --comment "kubernetes forwarding rules" -m mark --mark ${mark}/${mark} -j ACCEPT`);
  rules.push(
    `-A ${KUBE_FORWARD} -m comment --comment "kubernetes forwarding conntrack rule" -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT`,
  );
  return rules;
}

const TAIL_COMMENT = '"kubernetes service nodeports; NOTE: this must be the last rule in this chain"';

export interface TailRules {
  rules: string[];
  /** Node addresses left out (loopback without localhost NodePorts, or on IPv6), with why. */
  skipped: string[];
}

/** The final rule(s) of nat KUBE-SERVICES, jumping to KUBE-NODEPORTS. */
export function nodePortTailRules(
  family: IpFamily,
  localhostNodePorts: boolean,
  addresses: NodePortAddresses,
  nodeIps: () => ParsedIp[],
): TailRules {
  if (addresses.matchAll) {
    let destinations = '-m addrtype --dst-type LOCAL';
    if (family === 'IPv6') destinations += ' ! -d ::1/128';
    else if (!localhostNodePorts) destinations += ' ! -d 127.0.0.0/8';
    return { rules: [`-A ${KUBE_SERVICES} -m comment --comment ${TAIL_COMMENT} ${destinations} -j ${KUBE_NODEPORTS}`], skipped: [] };
  }
  const rules: string[] = [];
  const skipped: string[] = [];
  for (const ip of nodeIps()) {
    if (isLoopback(ip)) {
      if (family === 'IPv6') {
        skipped.push(`${ip.text}: nodePortAddresses includes localhost but localhost NodePorts are not supported on IPv6`);
        continue;
      }
      if (!localhostNodePorts) {
        skipped.push(`${ip.text}: nodePortAddresses includes localhost but iptables.localhostNodePorts is false`);
        continue;
      }
    }
    rules.push(`-A ${KUBE_SERVICES} -m comment --comment ${TAIL_COMMENT} -d ${ip.text} -j ${KUBE_NODEPORTS}`);
  }
  return { rules, skipped };
}
