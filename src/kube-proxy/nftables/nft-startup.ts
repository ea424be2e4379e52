/**
 * A kube-proxy process's first sync over the `kube-proxy` table a previous
 * one left (upstream's restart path in pkg/proxy/nftables: the first
 * `syncProxyRules` after start-up reads the table instead of rewriting it).
 *
 * - Elements: the maps and sets kube-proxy fills from Services (`cluster-ips`,
 *   `service-ips`, `service-nodeports`, `no-endpoint-services`,
 *   `no-endpoint-nodeports`, `firewall-ips`) are not flushed. An element
 *   already there with the value wanted is left alone, one with another value
 *   is deleted and added again, a missing one is added, and those no Service
 *   wants any more are deleted at the end of the transaction.
 * - Endpoint chains: one that exists is not written again when its affinity set
 *   exists exactly when the Service has ClientIP affinity (the chain's name
 *   holds the endpoint's address and port; its rules follow from them and the
 *   affinity). Service, local, external and firewall chains are written as in
 *   any full sync.
 *
 * Later full syncs (hourly, forced, a topology change) flush and refill as
 * before: only the start-up sync trusts what the table holds.
 */
import { elementKey, type NftElement, type NftTable } from '../../nftables/model';
import type { NftCommand } from '../../nftables/transaction';
import { affinitySetName, ENDPOINT_PREFIX } from './names';
import {
  CLUSTER_IPS,
  elementCommands,
  FIREWALL_IPS,
  NO_ENDPOINT_NODEPORTS,
  NO_ENDPOINT_SERVICES,
  SERVICE_IPS,
  SERVICE_NODEPORTS,
  type NftSyncContext,
  type PortOutput,
} from './nft-sync';

/** Whether the port's endpoint chain is in the table as this sync would write it (so it is not written). */
export function keptEndpointChain(table: NftTable, out: PortOutput, chain: string): boolean {
  if (!chain.startsWith(ENDPOINT_PREFIX) || !table.chains.has(chain)) return false;
  return table.sets.has(affinitySetName(chain)) === out.affinitySets.length > 0;
}

const valueText = (e: NftElement) => (e.value === undefined ? '' : e.value.join(' . '));

/**
 * The element commands that make the table's Service maps and sets hold `wanted`
 * (in order: adds, and a changed value's delete before its add), then the deletions
 * of what is left over, as upstream's element storage reconciles them.
 */
export function startUpElements(ctx: NftSyncContext, table: NftTable | undefined, wanted: readonly { set: string; element: NftElement }[]): NftCommand[] {
  // No table yet (a new node, or one back from iptables mode): everything is added, as by any full sync.
  if (table === undefined) return elementCommands(ctx, wanted);
  const held = new Map<string, Map<string, string>>();
  const heldIn = (set: string) => {
    let m = held.get(set);
    if (m === undefined) {
      m = new Map();
      for (const [key, e] of table.sets.get(set)?.elements ?? []) m.set(key, valueText(e));
      held.set(set, m);
    }
    return m;
  };
  const leftover = new Map<string, Set<string>>();
  const out: NftCommand[] = [];
  for (const w of wanted) {
    const inSet = heldIn(w.set);
    if (!leftover.has(w.set)) leftover.set(w.set, new Set(inSet.keys()));
    const key = elementKey(w.element.key);
    const value = valueText(w.element);
    const was = inSet.get(key);
    leftover.get(w.set)!.delete(key);
    if (was === value) continue;
    if (was !== undefined) out.push(...elementCommands(ctx, [w], 'delete'));
    out.push(...elementCommands(ctx, [w]));
    inSet.set(key, value);
  }
  // Sets and maps no wanted element named: everything in them is left over.
  for (const set of SERVICE_ELEMENT_SETS) if (!leftover.has(set)) leftover.set(set, new Set(heldIn(set).keys()));
  for (const [set, keys] of leftover) {
    const elements = table.sets.get(set)?.elements;
    for (const key of keys) out.push(...elementCommands(ctx, [{ set, element: { key: elements!.get(key)!.key } }], 'delete'));
  }
  return out;
}

/** The maps and sets a sync fills from Services (not `nodeport-ips`, which it flushes and refills from the node). */
const SERVICE_ELEMENT_SETS = [CLUSTER_IPS, SERVICE_IPS, SERVICE_NODEPORTS, NO_ENDPOINT_SERVICES, NO_ENDPOINT_NODEPORTS, FIREWALL_IPS];
