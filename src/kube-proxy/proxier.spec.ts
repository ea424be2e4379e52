/**
 * Stage 4: the sync orchestrator. Full versus partial syncs, stale chains,
 * batching on the clock, history and status.
 */
import { FULL_SYNC_PERIOD_MS } from './types';
import { BUILTIN_JUMP_RULES } from './fixed-rules';
import { makeEndpointSlice, makeService, populate, TEST_NODE_NAME, upstreamTestProxier } from '../../test/support/kube-proxy/builders';
import { checkRuleJumps, parseRestore } from '../../test/support/kube-proxy/restore-text';
import type { EndpointSlice, Service } from './types';

function service(i: number): Service {
  return makeService(`ns${i % 7}`, `svc${i}`, (s) => {
    s.spec.clusterIP = `172.30.${i >> 8}.${i & 255}`;
    s.spec.ports = [{ name: 'http', port: 80, protocol: 'TCP' }];
  });
}

function slice(i: number, endpoints = 3, offset = 0): EndpointSlice {
  return makeEndpointSlice(`ns${i % 7}`, `svc${i}`, 1, (e) => {
    e.endpoints = Array.from({ length: endpoints }, (_, k) => ({ addresses: [`10.${(i >> 8) + 1}.${i & 255}.${k + 1 + offset}`] }));
    e.ports = [{ name: 'http', port: 8080, protocol: 'TCP' }];
  });
}

function chainsIn(text: string, table: string): string[] {
  return [...(parseRestore(text).find((t) => t.name === table)?.declared ?? [])].sort();
}

describe('Proxier partial syncs', () => {
  it('after one endpoint change in a 1,000-Service cluster writes only the top-level chains and that Service\'s chains', () => {
    const { proxier } = upstreamTestProxier();
    // One endpoint each keeps the cluster at the 1,000-endpoint threshold, out of large-cluster mode.
    for (let i = 0; i < 1000; i++) {
      proxier.onServiceAdd(service(i));
      proxier.onEndpointSliceAdd(slice(i, 1));
    }
    const full = proxier.sync();
    expect(full.full).toBe(true);
    expect(full.servicePortsWritten).toBe(1000);
    expect(full.largeClusterMode).toBe(false);
    expect(checkRuleJumps(full.text)).toEqual([]);

    proxier.onEndpointSliceUpdate(undefined, slice(417, 1, 1)); // the endpoint moves: .1 -> .2
    const partial = proxier.sync();
    expect(partial.full).toBe(false);
    expect(partial.changedServices).toEqual(['ns4/svc417']);
    expect(partial.servicePortsWritten).toBe(1);
    const natChains = chainsIn(partial.text, 'nat');
    const own = natChains.filter((c) => !['KUBE-SERVICES', 'KUBE-NODEPORTS', 'KUBE-POSTROUTING', 'KUBE-MARK-MASQ'].includes(c));
    // The SVC chain, the new SEP chain, and the stale SEP chain being deleted.
    expect(own.filter((c) => c.startsWith('KUBE-SVC-'))).toHaveLength(1);
    expect(own.filter((c) => c.startsWith('KUBE-SEP-'))).toHaveLength(2);
    expect(own).toHaveLength(3);
    expect(partial.deletedChains).toHaveLength(1);
    expect(partial.text).toContain(`-X ${partial.deletedChains[0]}`);
    // Every Service keeps its KUBE-SERVICES rule.
    expect(partial.text.split('\n').filter((l) => l.startsWith('-A KUBE-SERVICES ')).length).toBe(1001);
    expect(chainsIn(partial.text, 'filter')).toEqual(chainsIn(full.text, 'filter'));
    expect(partial.lines).toBeLessThan(full.lines / 5);
  });

  it('writes nothing of a Service whose update changes nothing kube-proxy reads', () => {
    const { proxier } = upstreamTestProxier();
    const svc = service(1);
    populate(proxier, [svc, slice(1)]);
    proxier.sync();
    proxier.onServiceUpdate(svc, { ...svc, metadata: { ...svc.metadata, labels: { app: 'x' } } });
    const r = proxier.sync();
    expect(r.changedServices).toEqual([]);
    expect(r.servicePortsWritten).toBe(0);
  });

  it('rejects a Service whose slices are deleted and deletes its chains', () => {
    const { proxier } = upstreamTestProxier();
    const eps = slice(5);
    populate(proxier, [service(5), eps]);
    const before = proxier.sync();
    const owned = chainsIn(before.text, 'nat').filter((c) => c.startsWith('KUBE-SVC-') || c.startsWith('KUBE-SEP-'));
    proxier.onEndpointSliceDelete(eps);
    const r = proxier.sync();
    expect(r.deletedChains).toEqual(owned);
    expect(r.text).toContain('has no endpoints" -m tcp -p tcp -d 172.30.0.5 --dport 80 -j REJECT');
  });

  it('ensures the built-in jump rules on full syncs only', () => {
    const { proxier } = upstreamTestProxier();
    const full = proxier.sync();
    expect(full.ensureRules).toBe(BUILTIN_JUMP_RULES);
    expect(full.ensureChains).toContainEqual({ table: 'mangle', chain: 'KUBE-PROXY-CANARY' });
    expect(proxier.sync().ensureRules).toEqual([]);
  });
});

describe('Proxier full syncs', () => {
  it('happens the first time, after forceFullSync, and after an hour (not in large-cluster mode)', () => {
    const { proxier, clock } = upstreamTestProxier();
    expect(proxier.sync().full).toBe(true);
    expect(proxier.sync().full).toBe(false);
    proxier.forceFullSync();
    expect(proxier.sync().full).toBe(true);
    clock.advance(FULL_SYNC_PERIOD_MS + 1);
    expect(proxier.sync().full).toBe(true);
    expect(proxier.sync().full).toBe(false);
  });

  it('skips the hourly full sync in large-cluster mode', () => {
    const { proxier, clock } = upstreamTestProxier();
    populate(proxier, [
      service(1),
      makeEndpointSlice('ns1', 'svc1', 1, (e) => {
        e.endpoints = Array.from({ length: 1001 }, (_, k) => ({ addresses: [`10.200.${k >> 8}.${k & 255}`] }));
        e.ports = [{ name: 'http', port: 8080, protocol: 'TCP' }];
      }),
    ]);
    expect(proxier.sync().largeClusterMode).toBe(true);
    clock.advance(FULL_SYNC_PERIOD_MS + 1);
    expect(proxier.sync().full).toBe(false);
  });

  it('recomputes every port when the node topology changes', () => {
    const { proxier } = upstreamTestProxier();
    populate(proxier, [
      service(1),
      makeEndpointSlice('ns1', 'svc1', 1, (e) => {
        e.endpoints = [
          { addresses: ['10.1.1.1'], hints: { forZones: [{ name: 'a' }] } },
          { addresses: ['10.1.1.2'], hints: { forZones: [{ name: 'b' }] } },
        ];
        e.ports = [{ name: 'http', port: 8080, protocol: 'TCP' }];
      }),
    ]);
    const before = proxier.sync().text;
    expect(before).toContain('-> 10.1.1.1:8080');
    expect(before).toContain('-> 10.1.1.2:8080');
    proxier.onTopologyChange({ 'topology.kubernetes.io/zone': 'b' });
    const after = proxier.sync();
    expect(after.full).toBe(true);
    expect(after.text).not.toContain('-> 10.1.1.1:8080');
    expect(after.text).toContain('-> 10.1.1.2:8080');
  });

  it('deletes stale service chains the node table holds, and only those', () => {
    const { proxier } = upstreamTestProxier({
      listNatChains: () => ['KUBE-SERVICES', 'KUBE-SVC-LEFTOVER0000000', 'KUBE-SEP-LEFTOVER0000000', 'KUBE-XLB-OBSOLETE', 'DOCKER'],
    });
    const r = proxier.sync();
    expect(r.deletedChains).toEqual(['KUBE-SEP-LEFTOVER0000000', 'KUBE-SVC-LEFTOVER0000000']);
    expect(r.text).toContain(':KUBE-SVC-LEFTOVER0000000 - [0:0]\n');
    expect(r.text).toContain('-X KUBE-SVC-LEFTOVER0000000\n');
  });

  it('needs a full sync after a failed restore, and retries after syncPeriod', () => {
    let fail = true;
    const { proxier, clock } = upstreamTestProxier({
      restore: () => {
        if (fail) throw new Error('iptables-restore: line 3 failed');
      },
    });
    populate(proxier, [service(1), slice(1)]);
    const r = proxier.sync();
    expect(r).toMatchObject({ ok: false, full: true, error: 'iptables-restore: line 3 failed' });
    // A failed sync is retried after syncPeriod (30s), even without new changes.
    expect(proxier.nextSyncAt()).toBe(clock.now() + 30_000);
    fail = false;
    clock.advance(29_999);
    expect(proxier.syncIfDue()).toBeUndefined();
    clock.advance(1);
    const again = proxier.syncIfDue();
    expect(again?.full).toBe(true);
    expect(again?.ok).toBe(true);
    expect(proxier.status().counters).toMatchObject({ restoreFailures: 1, partialRestoreFailures: 0, fullSyncs: 2 });
  });
});

describe('Proxier batching on the clock', () => {
  it('runs the first sync at once, then at most once per minSyncPeriod', () => {
    const { proxier, clock } = upstreamTestProxier({ iptables: { minSyncPeriod: '2s', syncPeriod: '30s' } });
    expect(proxier.nextSyncAt()).toBeUndefined();
    proxier.onServiceAdd(service(1));
    expect(proxier.nextSyncAt()).toBe(clock.now());
    expect(proxier.syncIfDue()?.full).toBe(true);
    const t0 = clock.now();
    expect(proxier.nextSyncAt()).toBe(t0 + 3_600_000); // nothing pending: only the hourly run
    proxier.onEndpointSliceAdd(slice(1));
    clock.advance(500);
    proxier.onServiceAdd(service(2));
    expect(proxier.nextSyncAt()).toBe(t0 + 2000);
    expect(proxier.syncIfDue()).toBeUndefined();
    clock.advance(1500);
    const batched = proxier.syncIfDue();
    expect(batched?.changedServices).toEqual(['ns1/svc1', 'ns2/svc2']);
    expect(proxier.syncIfDue()).toBeUndefined();
  });

  it('ignores EndpointSlice events kube-proxy does not care about', () => {
    const { proxier } = upstreamTestProxier();
    proxier.sync();
    proxier.onEndpointSliceAdd(makeEndpointSlice('ns1', 'svc1', 1, (e) => (e.addressType = 'IPv6')));
    expect(proxier.nextSyncAt()).toBe(proxier.status().lastSync!.at + FULL_SYNC_PERIOD_MS);
  });
});

describe('Proxier status and history', () => {
  it('records every sync and reports configuration, counters and health check ports', () => {
    const { proxier, clock } = upstreamTestProxier({ historySize: 3 });
    populate(proxier, [
      makeService('ns1', 'lb', (s) => {
        s.spec.type = 'LoadBalancer';
        s.spec.externalTrafficPolicy = 'Local';
        s.spec.clusterIP = '172.30.0.9';
        s.spec.healthCheckNodePort = 30999;
        s.spec.ports = [{ name: 'p', port: 80, nodePort: 30080 }];
      }),
      makeEndpointSlice('ns1', 'lb', 1, (e) => {
        e.endpoints = [{ addresses: ['10.9.0.1'], nodeName: TEST_NODE_NAME }];
        e.ports = [{ name: 'p', port: 80 }];
      }),
    ]);
    for (let i = 0; i < 4; i++) {
      proxier.sync();
      clock.advance(1000);
    }
    const status = proxier.status();
    expect(status.history).toHaveLength(3);
    expect(status.history.map((h) => h.full)).toEqual([false, false, false]);
    expect(status.lastSync).toEqual(status.history[2]);
    expect(status.counters).toEqual({ syncs: 4, fullSyncs: 1, partialSyncs: 3, restoreFailures: 0, partialRestoreFailures: 0 });
    expect(status.healthCheckNodePorts).toEqual({ 'ns1/lb': 30999 });
    expect(status).toMatchObject({
      nodeName: TEST_NODE_NAME,
      family: 'IPv4',
      mark: '0x4000',
      localDetector: 'source in 10.0.0.0/8',
      localhostNodePorts: true,
      servicePorts: 1,
      endpoints: 1,
      needFullSync: false,
    });
    expect(status.lastFullSyncAt).toBe(status.history[0].at - 1000);
    // The status page serialises it.
    expect(() => JSON.stringify(status)).not.toThrow();
    expect(proxier.lastRestoreText()).toContain('*nat');
  });

  it('warns about a configuration that disables local-traffic detection', () => {
    const { proxier } = upstreamTestProxier({ config: { clusterCIDR: '' } });
    expect(proxier.status().localDetector).toBe('none (no-op detector)');
    expect(proxier.status().warnings).toEqual(['detectLocalMode is ClusterCIDR but clusterCIDR has no IPv4 CIDR: no local-traffic detection']);
  });

  it('turns localhost NodePorts off when nodePortAddresses has no IPv4 loopback', () => {
    const { proxier } = upstreamTestProxier({ config: { nodePortAddresses: ['192.168.0.0/24'] } });
    expect(proxier.status().localhostNodePorts).toBe(false);
    expect(proxier.sync().text).not.toContain('KUBE-FIREWALL');
  });

  it('explains how a port is categorised', () => {
    const { proxier } = upstreamTestProxier();
    populate(proxier, [service(3), slice(3, 2)]);
    proxier.sync();
    expect(proxier.explain('ns3/svc3:http/TCP')?.clusterEndpoints.map((e) => e.endpoint)).toEqual(['10.1.3.1:8080', '10.1.3.2:8080']);
    expect(proxier.explain('nope')).toBeUndefined();
  });
});
