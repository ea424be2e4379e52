/**
 * Services and EndpointSlices in numbered variants, for property tests that
 * draw the numbers (partial syncs against full ones; iptables mode against
 * nftables mode).
 */
import { makeEndpointSlice, makeService, TEST_NODE_NAME } from './builders';
import type { Endpoint, EndpointSlice, Service } from '../../../src/kube-proxy/types';

/** Service `svc` (ClusterIP 172.30.0.{svc+10}) in one of 128 variants: type, port, traffic policies, affinity, source ranges, external IP by bit. */
export function variantService(svc: number, variant: number): Service {
  return makeService('ns', `svc${svc}`, (s) => {
    s.spec.clusterIP = `172.30.0.${svc + 10}`;
    const type = (['ClusterIP', 'NodePort', 'LoadBalancer'] as const)[variant % 3];
    s.spec.type = type;
    s.spec.ports = [{ name: 'p', port: 80 + (variant % 2), protocol: 'TCP', ...(type !== 'ClusterIP' ? { nodePort: 30000 + svc } : {}) }];
    if (variant & 4) s.spec.externalTrafficPolicy = type === 'ClusterIP' ? undefined : 'Local';
    if (variant & 8) s.spec.internalTrafficPolicy = 'Local';
    if (variant & 16) {
      s.spec.sessionAffinity = 'ClientIP';
      s.spec.sessionAffinityConfig = { clientIP: { timeoutSeconds: 60 } };
    }
    if (type === 'LoadBalancer') {
      s.status = { loadBalancer: { ingress: [{ ip: `1.2.3.${svc}` }] } };
      if (variant & 32) s.spec.loadBalancerSourceRanges = ['203.0.113.0/25', '192.168.0.0/24'];
    }
    if (variant & 64) s.spec.externalIPs = [`192.168.99.${svc}`];
  });
}

/** Slice `n` of Service `svc`: endpoints 10.1.{svc}.{k} (every third on this node), each ready, serving-terminating, terminating or unset by two bits of `state`. */
export function variantSlice(svc: number, n: number, endpoints: number[], state: number): EndpointSlice {
  return makeEndpointSlice('ns', `svc${svc}`, n, (e) => {
    e.ports = [{ name: 'p', port: 8080, protocol: 'TCP' }];
    e.endpoints = endpoints.map((k, i): Endpoint => {
      const bits = (state >> (i % 8)) & 3;
      return {
        addresses: [`10.1.${svc}.${k}`],
        ...(k % 3 === 0 ? { nodeName: TEST_NODE_NAME } : { nodeName: 'other' }),
        conditions: bits === 0 ? { ready: true } : bits === 1 ? { ready: false, serving: true, terminating: true } : bits === 2 ? { ready: false, serving: false, terminating: true } : {},
      };
    });
  });
}
