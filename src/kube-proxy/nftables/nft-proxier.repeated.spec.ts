/**
 * Upstream's `TestSyncProxyRulesRepeated` (pkg/proxy/nftables/proxier_test.go):
 * a run of syncs with changes between them. After each, the table equals
 * upstream's expected dump (fixtures/kube-proxy/upstream-nftables/repeated/,
 * each after upstream's `baseRules`, base.nft) and the sync's transaction has
 * upstream's number of operations; stale chains are flushed, kept, and
 * deleted once they are more than a second old (upstream's `ageStaleChains`).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { dumpText } from '../../../test/support/nftables/dump';
import { emptyRuleset } from '../../nftables/model';
import { applyTransaction } from '../../nftables/transaction';
import { parseNftTransaction } from '../../nftables/transaction-parser';
import { makeEndpointSlice, makeService } from '../../../test/support/kube-proxy/builders';
import type { EndpointSlice, Service } from '../types';
import { canonicalNft, populateNft, upstreamNftProxier } from '../../../test/support/kube-proxy/nftables';

const dir = join(__dirname, '../../../fixtures/kube-proxy/upstream-nftables');
const fixture = (path: string) => readFileSync(join(dir, path), 'utf8');
const expected = (step: string) => canonicalNft(fixture('base.nft') + fixture(`repeated/${step}.nft`));

function clusterIpService(ns: string, name: string, ip: string, portName: string, port: number): Service {
  return makeService(ns, name, (s) => {
    s.spec.type = 'ClusterIP';
    s.spec.clusterIP = ip;
    s.spec.ports = [{ name: portName, port, protocol: 'TCP' }];
  });
}

function slice(ns: string, name: string, addresses: string[], portName: string, port: number): EndpointSlice {
  return makeEndpointSlice(ns, name, 1, (e) => {
    e.addressType = 'IPv4';
    e.endpoints = addresses.map((a) => ({ addresses: [a] }));
    e.ports = [{ name: portName, port, protocol: 'TCP' }];
  });
}

describe('TestSyncProxyRulesRepeated', () => {
  it('leaves the table upstream expects after each sync, with upstream’s number of operations', () => {
    const { proxier, clock } = upstreamNftProxier();
    const table = () => canonicalNft(dumpText(proxier.table()!));
    const ageStaleChains = () => clock.advance(2000);
    const svc2 = clusterIpService('ns2', 'svc2', '172.30.0.42', 'p8080', 8080);
    populateNft(proxier, [
      clusterIpService('ns1', 'svc1', '172.30.0.41', 'p80', 80),
      svc2,
      slice('ns1', 'svc1', ['10.0.1.1'], 'p80', 80),
      slice('ns2', 'svc2', ['10.0.2.1'], 'p8080', 8080),
    ]);
    proxier.sync();
    expect(table()).toBe(expected('01-initial'));

    populateNft(proxier, [clusterIpService('ns3', 'svc3', '172.30.0.43', 'p80', 80), slice('ns3', 'svc3', ['10.0.3.1'], 'p80', 80)]);
    expect(proxier.sync().operations).toBe(10);
    expect(table()).toBe(expected('02-add-svc3'));

    // Delete a service; its chains are flushed, not deleted yet.
    proxier.onServiceDelete(svc2);
    expect(proxier.sync().operations).toBe(4);
    expect(table()).toBe(expected('03-delete-svc2'));

    // Time passes: the stale chains go, in a transaction of their own.
    ageStaleChains();
    const deletion = proxier.sync();
    expect(deletion.operations).toBe(0);
    expect(deletion.staleDeleted.sort()).toEqual(['endpoint-7RVP4LUQ-ns2/svc2/tcp/p8080__10.0.2.1/8080', 'service-MHHHYRWA-ns2/svc2/tcp/p8080']);
    expect(table()).toBe(expected('04-stale-deleted'));

    // Add a service, sync, then add its endpoints.
    populateNft(proxier, [clusterIpService('ns4', 'svc4', '172.30.0.44', 'p80', 80)]);
    expect(proxier.sync().operations).toBe(2);
    expect(table()).toBe(expected('05-add-svc4'));
    populateNft(proxier, [slice('ns4', 'svc4', ['10.0.4.1'], 'p80', 80)]);
    expect(proxier.sync().operations).toBe(10);
    expect(table()).toBe(expected('06-svc4-endpoints'));

    // Change an endpoint of an existing service: the old endpoint chain is not deleted yet.
    populateNft(proxier, [slice('ns3', 'svc3', ['10.0.3.2'], 'p80', 80)]);
    expect(proxier.sync().operations).toBe(9);
    expect(table()).toBe(expected('07-svc3-endpoint-changed'));

    // (The old svc3 chain goes in the next sync.) Add an endpoint to a service.
    ageStaleChains();
    populateNft(proxier, [slice('ns3', 'svc3', ['10.0.3.2', '10.0.3.3'], 'p80', 80)]);
    expect(proxier.sync().operations).toBe(12);
    expect(table()).toBe(expected('08-svc3-endpoint-added'));

    // Empty a service's endpoints: its chains are flushed, not deleted yet.
    populateNft(proxier, [slice('ns3', 'svc3', [], 'p80', 80)]);
    expect(proxier.sync().operations).toBe(5);
    expect(table()).toBe(expected('09-svc3-endpoints-emptied'));
    expect(proxier.staleChainNames()).toEqual([
      'endpoint-SWWHDC7X-ns3/svc3/tcp/p80__10.0.3.2/80',
      'endpoint-TQ2QKHCZ-ns3/svc3/tcp/p80__10.0.3.3/80',
      'service-4AT6LBPK-ns3/svc3/tcp/p80',
    ]);

    // Restore them at once: the chains are written again and no longer stale.
    populateNft(proxier, [slice('ns3', 'svc3', ['10.0.3.2', '10.0.3.3'], 'p80', 80)]);
    expect(proxier.sync().operations).toBe(14);
    expect(table()).toBe(expected('08-svc3-endpoint-added'));
    expect(proxier.staleChainNames()).toEqual([]);

    // Empty them and restore them after the stale chains aged: deleted first, then written again.
    populateNft(proxier, [slice('ns3', 'svc3', [], 'p80', 80)]);
    proxier.sync();
    ageStaleChains();
    populateNft(proxier, [slice('ns3', 'svc3', ['10.0.3.2', '10.0.3.3'], 'p80', 80)]);
    proxier.sync();
    expect(table()).toBe(expected('08-svc3-endpoint-added'));

    // A sync with no changes writes nothing.
    expect(proxier.sync().operations).toBe(0);
    expect(table()).toBe(expected('08-svc3-endpoint-added'));
  });
});

describe('TestSyncProxyRulesStartup', () => {
  it('takes over an out-of-date table a previous kube-proxy left, and leaves the one upstream expects', () => {
    // What the previous kube-proxy left (upstream's ParseDump of baseRules and two Services).
    const ruleset = emptyRuleset();
    applyTransaction(ruleset, parseNftTransaction(fixture('base.nft') + fixture('startup/loaded.nft')));
    const { proxier } = upstreamNftProxier('IPv4', undefined, ruleset);
    // Now: svc1 has a second endpoint, svc3 is new and has none.
    populateNft(proxier, [
      clusterIpService('ns1', 'svc1', '172.30.0.41', 'p80', 80),
      clusterIpService('ns2', 'svc2', '172.30.0.42', 'p8080', 8080),
      clusterIpService('ns3', 'svc3', '172.30.0.43', 'p80', 80),
      slice('ns1', 'svc1', ['10.0.1.1', '10.0.1.2'], 'p80', 80),
      slice('ns2', 'svc2', ['10.0.2.1'], 'p8080', 8080),
    ]);
    const first = proxier.sync();
    expect(first.full).toBe(true);
    expect(canonicalNft(dumpText(proxier.table()!))).toBe(canonicalNft(fixture('base.nft') + fixture('startup/expected.nft')));
    // As upstream: the set-up a first sync on an empty node makes, and 14 operations: svc3's two elements,
    // svc1's and svc2's service chains (added, flushed, two rules each), svc1's new endpoint chain (added,
    // flushed, two rules). The endpoint chains and elements already there are not written again.
    const { proxier: fresh } = upstreamNftProxier('IPv4');
    const setup = fresh.sync().operations;
    expect(first.operations).toBe(setup + 14);
    expect(first.text).not.toContain('endpoint-5TPGNJF2-ns1/svc1/tcp/p80__10.0.1.1/80 ip saddr');
    expect(first.text).not.toMatch(/^add element ip kube-proxy service-ips \{ 172\.30\.0\.41 /m);
    expect(first.text).not.toMatch(/^flush map /m);
  });

  it('deletes at start-up what a previous kube-proxy left that no Service wants, and rewrites an endpoint chain whose affinity changed', () => {
    const ruleset = emptyRuleset();
    applyTransaction(ruleset, parseNftTransaction(fixture('base.nft') + fixture('startup/loaded.nft')));
    const { proxier } = upstreamNftProxier('IPv4', undefined, ruleset);
    // svc2 is gone; svc1 now has ClientIP affinity.
    const svc1 = clusterIpService('ns1', 'svc1', '172.30.0.41', 'p80', 80);
    svc1.spec.sessionAffinity = 'ClientIP';
    svc1.spec.sessionAffinityConfig = { clientIP: { timeoutSeconds: 10800 } };
    populateNft(proxier, [svc1, slice('ns1', 'svc1', ['10.0.1.1'], 'p80', 80)]);
    const first = proxier.sync();
    expect(first.text).toContain('delete element ip kube-proxy cluster-ips { 172.30.0.42 }\n');
    expect(first.text).toContain('delete element ip kube-proxy service-ips { 172.30.0.42 . tcp . 8080 }\n');
    expect(first.text).toContain('add rule ip kube-proxy endpoint-5TPGNJF2-ns1/svc1/tcp/p80__10.0.1.1/80 update @affinity-5TPGNJF2-ns1/svc1/tcp/p80__10.0.1.1/80 { ip saddr }\n');
    expect(first.text).toContain('flush chain ip kube-proxy service-MHHHYRWA-ns2/svc2/tcp/p8080\n');
    // What a full sync from nothing leaves, svc2's chains aside (flushed, deleted a second later).
    const { proxier: fresh } = upstreamNftProxier('IPv4');
    populateNft(fresh, [svc1, slice('ns1', 'svc1', ['10.0.1.1'], 'p80', 80)]);
    fresh.sync();
    const withoutSvc2 = (text: string) => text.split('\n').filter((l) => !l.includes('ns2/svc2')).join('\n');
    expect(withoutSvc2(canonicalNft(dumpText(proxier.table()!)))).toBe(canonicalNft(dumpText(fresh.table()!)));
    // Later full syncs flush and refill as before.
    proxier.forceFullSync();
    expect(proxier.sync().text).toMatch(/^flush map ip kube-proxy service-ips$/m);
  });
});
