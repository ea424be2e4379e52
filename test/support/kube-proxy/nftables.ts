/**
 * Test helpers for the nftables proxier: upstream's fake-proxier settings,
 * and the canonical order upstream's tests compare nftables dumps in.
 */
import { ManualClock } from '../../../src/common/clock';
import type { NftRuleset } from '../../../src/nftables/model';
import { UPSTREAM_TEST_CONFIG, UPSTREAM_TEST_NODE } from './builders';
import type { EndpointSlice, IpFamily, Service } from '../../../src/kube-proxy/types';
import { NftProxier } from '../../../src/kube-proxy/nftables/nft-proxier';

/** Upstream's `NewFakeProxier` for nftables: pod CIDR 10.0.0.0/8, Service CIDR 172.30.0.0/16, NodePorts on 192.168.0.2 only, mark 0x4000. */
export function upstreamNftProxier(family: IpFamily = 'IPv4', clock = new ManualClock(0), ruleset?: NftRuleset): { proxier: NftProxier; clock: ManualClock } {
  const proxier = new NftProxier({
    ruleset,
    node: UPSTREAM_TEST_NODE,
    clock,
    family,
    config: { ...UPSTREAM_TEST_CONFIG, nodePortAddresses: ['192.168.0.2/32', '2001:db8::1/128'] },
    markFormat: 'minimal',
    serviceCIDRs: ['172.30.0.0/16', 'fd00:10:96::/112'],
  });
  return { proxier, clock };
}

export function populateNft(proxier: NftProxier, objects: readonly (Service | EndpointSlice)[]): void {
  for (const o of objects) {
    if ('spec' in o) proxier.onServiceAdd(o);
    else proxier.onEndpointSliceAdd(o);
  }
}

const OBJECT_ORDER: Record<string, number> = { table: 6, chain: 5, rule: 4, set: 3, map: 2, element: 1 };

/**
 * A dump's lines in a standard order: blank and `#` lines dropped; by object
 * kind (table, chain, rule, set, map, element), then object name; rules of one
 * chain keep their order, other lines of one object sort as text.
 */
export function canonicalNft(text: string): string {
  const lines = text.split('\n').filter((l) => l !== '' && !l.startsWith('#'));
  const keyed = lines.map((line, index) => {
    const w = line.split(' ');
    return { line, index, kind: OBJECT_ORDER[w[1]] ?? 0, name: w[4] ?? '' };
  });
  keyed.sort((a, b) => {
    if (a.kind !== b.kind) return b.kind - a.kind;
    if (a.name !== b.name) return a.name < b.name ? -1 : 1;
    if (a.kind === OBJECT_ORDER.rule) return a.index - b.index;
    return a.line < b.line ? -1 : a.line > b.line ? 1 : a.index - b.index;
  });
  return keyed.map((k) => k.line).join('\n');
}
