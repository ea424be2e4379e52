/**
 * An nftables ruleset as the kernel holds it: tables per family, and in each
 * table its chains (base chains with type, hook, priority and policy; regular
 * chains), rules in order, and named sets and maps with their elements.
 *
 * Rules are kept as the statement text they were given (`ip daddr . meta
 * l4proto . th dport vmap @service-ips`); what a statement means is the
 * engine's business, how it prints is the printer's.
 */

export type NftFamily = 'ip' | 'ip6' | 'inet' | 'arp' | 'bridge' | 'netdev';
export const NFT_FAMILIES: readonly NftFamily[] = ['ip', 'ip6', 'inet', 'arp', 'bridge', 'netdev'];

export type NftChainType = 'filter' | 'nat' | 'route';
export type NftHook = 'prerouting' | 'input' | 'forward' | 'output' | 'postrouting' | 'ingress' | 'egress';

export interface NftBaseChainSpec {
  type: NftChainType;
  hook: NftHook;
  /** As given: a number (`-110`) or a name with an offset (`dstnat - 10`). */
  priority: string;
  policy?: 'accept' | 'drop';
}

export interface NftRule {
  /** The rule's statements, without its comment. */
  text: string;
  comment?: string;
  /** The kernel's handle for the rule, unique within its table. */
  handle: number;
}

export interface NftChain {
  name: string;
  base?: NftBaseChainSpec;
  comment?: string;
  rules: NftRule[];
  handle: number;
}

export interface NftElement {
  /** The key's parts (`172.30.0.41`, `tcp`, `80`), in the set's type order. */
  key: string[];
  /** A map's value (`goto service-…`, `drop`), absent for a set. */
  value?: string[];
  comment?: string;
  /** The element's own timeout, as given (`1h`, `3600s`); without it, the set's. */
  timeout?: string;
  /**
   * How long it had left when it was added, as given (`2h59m59s990ms`, as `nft list` prints
   * it); without it, its whole timeout. The model has no clock: the engine counts it down.
   */
  expires?: string;
}

export interface NftSet {
  kind: 'set' | 'map';
  name: string;
  /** The type text: `ipv4_addr`, `ipv4_addr . inet_proto . inet_service : verdict`. */
  type: string;
  flags: string[];
  /** As given (`10800s`). */
  timeout?: string;
  comment?: string;
  /** By `elementKey` (the key parts joined by ` . `), in insertion order. */
  elements: Map<string, NftElement>;
  handle: number;
}

export interface NftTable {
  family: NftFamily;
  name: string;
  comment?: string;
  chains: Map<string, NftChain>;
  /** Sets and maps share one namespace, as in the kernel. */
  sets: Map<string, NftSet>;
  handle: number;
  /** The next handle the kernel would give an object in this table. */
  nextHandle: number;
}

export interface NftRuleset {
  /** By `tableKey` (`ip kube-proxy`), in creation order. */
  tables: Map<string, NftTable>;
  /** Counts the transactions applied: caches of what the ruleset means (hook entries, set indexes) are kept per generation. */
  generation?: number;
}

export function emptyRuleset(): NftRuleset {
  return { tables: new Map() };
}

export function tableKey(family: NftFamily, name: string): string {
  return `${family} ${name}`;
}

export function elementKey(key: readonly string[]): string {
  return key.join(' . ');
}
