/**
 * The Services and EndpointSlices of upstream's TestOverallIPTablesRules and
 * TestOverallNFTablesRules (pkg/proxy/{iptables,nftables}/proxier_test.go):
 * the same six Services in both, written with our builders.
 */
import { makeEndpointSlice, makeService, TEST_NODE_NAME } from './builders';
import type { Endpoint, EndpointSlice, Service } from '../../../src/kube-proxy/types';

function overallServices(): Service[] {
  return [
    makeService('ns1', 'svc1', (s) => {
      s.spec.clusterIP = '172.30.0.41';
      s.spec.ports = [{ name: 'p80', port: 80, protocol: 'TCP' }];
    }),
    makeService('ns2', 'svc2', (s) => {
      s.spec.type = 'LoadBalancer';
      s.spec.externalTrafficPolicy = 'Local';
      s.spec.clusterIP = '172.30.0.42';
      s.spec.ports = [{ name: 'p80', port: 80, protocol: 'TCP', nodePort: 3001 }];
      s.status = { loadBalancer: { ingress: [{ ip: '1.2.3.4' }] } };
      s.spec.externalIPs = ['192.168.99.22'];
      s.spec.healthCheckNodePort = 30000;
    }),
    makeService('ns3', 'svc3', (s) => {
      s.spec.type = 'NodePort';
      s.spec.clusterIP = '172.30.0.43';
      s.spec.ports = [{ name: 'p80', port: 80, protocol: 'TCP', nodePort: 3003 }];
    }),
    makeService('ns4', 'svc4', (s) => {
      s.spec.type = 'NodePort';
      s.spec.clusterIP = '172.30.0.44';
      s.spec.externalIPs = ['192.168.99.33'];
      s.spec.ports = [{ name: 'p80', port: 80, protocol: 'TCP', targetPort: 80 }];
    }),
    makeService('ns5', 'svc5', (s) => {
      s.spec.type = 'LoadBalancer';
      s.spec.externalTrafficPolicy = 'Cluster';
      s.spec.clusterIP = '172.30.0.45';
      s.spec.ports = [{ name: 'p80', port: 80, protocol: 'TCP', nodePort: 3002 }];
      s.status = { loadBalancer: { ingress: [{ ip: '5.6.7.8' }] } };
      s.spec.healthCheckNodePort = 30000;
      s.spec.loadBalancerSourceRanges = [' 203.0.113.0/25'];
      s.spec.sessionAffinity = 'ClientIP';
      s.spec.sessionAffinityConfig = { clientIP: { timeoutSeconds: 10800 } };
    }),
    makeService('ns6', 'svc6', (s) => {
      s.spec.type = 'ClusterIP';
      s.spec.clusterIP = '172.30.0.46';
      s.spec.ports = [{ name: 'p80', port: 80, protocol: 'TCP', targetPort: 80 }];
    }),
  ];
}

const slice = (ns: string, svc: string, endpoints: Endpoint[]): EndpointSlice =>
  makeEndpointSlice(ns, svc, 1, (e) => {
    e.endpoints = endpoints;
    e.ports = [{ name: 'p80', port: 80, protocol: 'TCP' }];
  });

/** The six Services and their slices (svc6 has none), in upstream's order. */
export function overallObjects(): (Service | EndpointSlice)[] {
  return [
    ...overallServices(),
    slice('ns1', 'svc1', [{ addresses: ['10.180.0.1'] }]),
    slice('ns2', 'svc2', [{ addresses: ['10.180.0.2'] }]),
    slice('ns3', 'svc3', [{ addresses: ['10.180.0.3'] }]),
    slice('ns4', 'svc4', [{ addresses: ['10.180.0.4'] }, { addresses: ['10.180.0.5'], nodeName: TEST_NODE_NAME }]),
    slice('ns5', 'svc5', [{ addresses: ['10.180.0.3'] }]),
  ];
}
