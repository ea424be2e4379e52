/**
 * The kube-proxy benchmarks' workload (the performance anchors' shape): N
 * Services of 10 endpoints each over 50 nodes, every tenth a NodePort Service
 * on UDP/53, the rest ClusterIP on TCP/80.
 */
import { LABEL_SERVICE_NAME, type EndpointSlice, type Service } from '../../src/kube-proxy/types';

export const ENDPOINTS = 10;

export function service(i: number): Service {
  const nodePort = i % 10 === 0;
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { namespace: `ns${i % 100}`, name: `svc-${i}` },
    spec: {
      type: nodePort ? 'NodePort' : 'ClusterIP',
      clusterIP: `10.96.${(i >> 8) & 255}.${i & 255}`,
      ports: [nodePort ? { name: 'dns', port: 53, protocol: 'UDP', nodePort: 30000 + ((i / 10) % 2768) } : { name: 'http', port: 80, protocol: 'TCP' }],
    },
  };
}

export function slice(i: number, generation = 0): EndpointSlice {
  const nodePort = i % 10 === 0;
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { namespace: `ns${i % 100}`, name: `svc-${i}-abcde`, labels: { [LABEL_SERVICE_NAME]: `svc-${i}` } },
    addressType: 'IPv4',
    endpoints: Array.from({ length: ENDPOINTS }, (_, k) => {
      const n = i * ENDPOINTS + k + generation;
      return {
        addresses: [`10.${64 + ((n >> 16) & 63)}.${(n >> 8) & 255}.${n & 255}`],
        conditions: { ready: true },
        nodeName: `node-${n % 50}`,
      };
    }),
    ports: [nodePort ? { name: 'dns', port: 53, protocol: 'UDP' } : { name: 'http', port: 8080, protocol: 'TCP' }],
  };
}
