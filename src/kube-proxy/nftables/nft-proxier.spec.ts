/**
 * Partial syncs: after any sequence of changes, the table a run of partial
 * syncs leaves is the table one full sync of the same objects writes; and a
 * partial sync writes only what changed.
 */
import { ManualClock } from '../../common/clock';
import { dumpText } from '../../../test/support/nftables/dump';
import { makeEndpointSlice, makeService } from '../../../test/support/kube-proxy/builders';
import type { EndpointSlice, Service } from '../types';
import { canonicalNft, populateNft, upstreamNftProxier } from '../../../test/support/kube-proxy/nftables';

/** A small deterministic generator (mulberry32), so a failing sequence can be replayed from its seed. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function randomService(r: () => number, i: number): Service {
  return makeService(`ns${i % 3}`, `svc${i}`, (s) => {
    const kind = Math.floor(r() * 4);
    s.spec.type = (['ClusterIP', 'NodePort', 'LoadBalancer', 'ClusterIP'] as const)[kind];
    s.spec.clusterIP = `172.30.${i}.${1 + Math.floor(r() * 3)}`;
    s.spec.ports = [{ name: 'p80', port: 80, protocol: 'TCP', ...(kind === 1 || kind === 2 ? { nodePort: 30000 + i } : {}) }];
    if (r() < 0.3) s.spec.ports.push({ name: 'dns', port: 53, protocol: 'UDP' });
    if (kind === 2) {
      s.status = { loadBalancer: { ingress: [{ ip: `1.2.3.${i}` }] } };
      if (r() < 0.5) s.spec.loadBalancerSourceRanges = ['203.0.113.0/25'];
      if (r() < 0.5) s.spec.externalTrafficPolicy = 'Local';
    }
    if (r() < 0.3) s.spec.externalIPs = [`192.168.99.${i}`];
    if (r() < 0.3) {
      s.spec.sessionAffinity = 'ClientIP';
      s.spec.sessionAffinityConfig = { clientIP: { timeoutSeconds: 100 + Math.floor(r() * 3) } };
    }
  });
}

function randomSlice(r: () => number, i: number): EndpointSlice {
  return makeEndpointSlice(`ns${i % 3}`, `svc${i}`, 1, (e) => {
    e.endpoints = Array.from({ length: Math.floor(r() * 4) }, (_, k) => ({
      addresses: [`10.180.${i}.${1 + Math.floor(r() * 5) + k * 10}`],
      ...(r() < 0.5 ? { nodeName: 'test-node' } : {}),
      ...(r() < 0.2 ? { conditions: { ready: false, serving: true, terminating: true } } : {}),
    }));
    e.ports = [
      { name: 'p80', port: 8080, protocol: 'TCP' },
      { name: 'dns', port: 53, protocol: 'UDP' },
    ];
  });
}

describe('NftProxier partial syncs', () => {
  it.each(Array.from({ length: 24 }, (_, i) => i + 1))('seed %i: twenty rounds of changes end in the table a full sync writes', (seed) => {
    const r = rng(seed);
    const clock = new ManualClock(0);
    const { proxier } = upstreamNftProxier('IPv4', clock);
    const services = new Map<number, Service>();
    const slices = new Map<number, EndpointSlice>();
    for (let round = 0; round < 20; round++) {
      for (let n = 0; n < 3; n++) {
        const i = Math.floor(r() * 8);
        const what = r();
        if (what < 0.4) {
          const s = randomService(r, i);
          services.set(i, s);
          proxier.onServiceAdd(s);
        } else if (what < 0.8) {
          const e = randomSlice(r, i);
          slices.set(i, e);
          proxier.onEndpointSliceAdd(e);
        } else if (services.has(i)) {
          proxier.onServiceDelete(services.get(i)!);
          services.delete(i);
        }
      }
      const result = proxier.sync();
      expect(result.full).toBe(round === 0);
      clock.advance(700);

      const { proxier: fresh } = upstreamNftProxier('IPv4', new ManualClock(0));
      populateNft(fresh, [...services.values(), ...slices.values()]);
      fresh.sync();
      // Stale chains are flushed and deleted a second later: compare what the two tables hold in use.
      const inUse = (text: string) =>
        canonicalNft(text)
          .split('\n')
          .filter((l) => !/^add chain ip kube-proxy \S*\//.test(l))
          .join('\n');
      expect(inUse(dumpText(proxier.table()!))).toBe(inUse(dumpText(fresh.table()!)));
    }
  });

  it("writes only the changed Service's chains on an endpoint change, as upstream: no map flushed, elements left alone", () => {
    const clock = new ManualClock(0);
    const { proxier } = upstreamNftProxier('IPv4', clock);
    const svc = makeService('ns1', 'svc1', (s) => {
      s.spec.clusterIP = '172.30.0.41';
      s.spec.ports = [{ name: 'p80', port: 80, protocol: 'TCP' }];
    });
    const slice = (ips: string[]) =>
      makeEndpointSlice('ns1', 'svc1', 1, (e) => {
        e.endpoints = ips.map((ip) => ({ addresses: [ip] }));
        e.ports = [{ name: 'p80', port: 80, protocol: 'TCP' }];
      });
    populateNft(proxier, [svc, slice(['10.180.0.1'])]);
    proxier.sync();
    proxier.onEndpointSliceUpdate(undefined, slice(['10.180.0.1', '10.180.0.2']));
    const partial = proxier.sync();
    expect(partial.full).toBe(false);
    expect(partial.text).not.toContain('flush map');
    expect(partial.text).not.toContain('add element');
    // Every chain of the changed port is written again, the endpoint chain that did not change too (upstream's TestSyncProxyRulesRepeated counts them).
    expect(partial.text.split('\n').filter((l) => l.startsWith('flush chain'))).toEqual([
      'flush chain ip kube-proxy endpoint-5OJB2KTY-ns1/svc1/tcp/p80__10.180.0.1/80',
      'flush chain ip kube-proxy endpoint-2ZNDXFAB-ns1/svc1/tcp/p80__10.180.0.2/80',
      'flush chain ip kube-proxy service-ULMVA6XW-ns1/svc1/tcp/p80',
    ]);
    proxier.onServiceDelete(svc);
    const removed = proxier.sync();
    expect(removed.text).toContain('delete element ip kube-proxy service-ips { 172.30.0.41 . tcp . 80 }\n');
    expect(removed.text).toContain('delete element ip kube-proxy cluster-ips { 172.30.0.41 }\n');
  });
});
