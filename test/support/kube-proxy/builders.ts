/**
 * Small builders for Services, EndpointSlices and test proxiers, in the
 * style of upstream's `makeTestService` / `makeTestEndpointSlice`, and the
 * settings of upstream's `NewFakeProxier` (reference §17.1) so that upstream
 * test cases can be expressed one to one.
 */
import { ManualClock } from '../../../src/common/clock';
import { UPSTREAM_TEST_EMULATION, type KubeProxyConfiguration, type ProxierEmulation } from '../../../src/kube-proxy/config';
import { Proxier, type ProxierOptions } from '../../../src/kube-proxy/proxier';
import { LABEL_SERVICE_NAME, type EndpointSlice, type IpFamily, type NodeInfo, type Service } from '../../../src/kube-proxy/types';

export const TEST_NODE_NAME = 'test-node';
export const TEST_NODE_IP = '192.168.0.2';
export const TEST_NODE_IP_ALT = '192.168.1.2';
export const TEST_EXTERNAL_IP = '192.168.99.11';
export const TEST_NODE_IPV6 = '2001:db8::1';
export const TEST_NODE_IPV6_ALT = '2001:db8:1::2';
export const TEST_EXTERNAL_CLIENT = '203.0.113.2';
export const TEST_EXTERNAL_CLIENT_BLOCKED = '203.0.113.130';

/** Upstream's fake node: `lo` and `eth0` with the test addresses; node IP 192.168.0.2 for both families. */
export const UPSTREAM_TEST_NODE: Readonly<NodeInfo> = Object.freeze({
  name: TEST_NODE_NAME,
  addresses: [TEST_NODE_IP],
  interfaces: [
    { name: 'lo', addresses: ['127.0.0.1/8', '::1/128'] },
    {
      name: 'eth0',
      addresses: [`${TEST_NODE_IP}/24`, `${TEST_NODE_IP_ALT}/24`, `${TEST_EXTERNAL_IP}/24`, `${TEST_NODE_IPV6}/64`, `${TEST_NODE_IPV6_ALT}/64`],
    },
  ],
});

/** Upstream's fake proxier: local traffic detected by pod CIDR 10.0.0.0/8 (fd00:10::/64 on IPv6). */
export const UPSTREAM_TEST_CONFIG: Readonly<KubeProxyConfiguration> = Object.freeze({
  apiVersion: 'kubeproxy.config.k8s.io/v1alpha1',
  kind: 'KubeProxyConfiguration',
  clusterCIDR: '10.0.0.0/8,fd00:10::/64',
  detectLocalMode: 'ClusterCIDR',
});

export function makeService(namespace: string, name: string, edit?: (svc: Service) => void): Service {
  const svc: Service = { apiVersion: 'v1', kind: 'Service', metadata: { namespace, name }, spec: {}, status: {} };
  edit?.(svc);
  return svc;
}

/** An EndpointSlice `<service>-<n>` labelled for its Service; IPv4 unless the edit says otherwise. */
export function makeEndpointSlice(
  namespace: string,
  serviceName: string,
  sliceNum: number,
  edit?: (slice: EndpointSlice) => void,
): EndpointSlice {
  const slice: EndpointSlice = {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { namespace, name: `${serviceName}-${sliceNum}`, labels: { [LABEL_SERVICE_NAME]: serviceName } },
    addressType: 'IPv4',
    endpoints: [],
    ports: [],
  };
  edit?.(slice);
  return slice;
}

export interface TestProxierOptions extends Partial<Omit<ProxierOptions, 'emulation' | 'config'>> {
  config?: KubeProxyConfiguration;
  /** Merged over `UPSTREAM_TEST_CONFIG`'s iptables section and fields. */
  iptables?: KubeProxyConfiguration['iptables'];
  emulation?: Partial<ProxierEmulation>;
  family?: IpFamily;
}

/** A proxier set up as upstream's `NewFakeProxier`, on a manual clock. */
export function upstreamTestProxier(options: TestProxierOptions = {}): { proxier: Proxier; clock: ManualClock } {
  const clock = options.clock instanceof ManualClock ? options.clock : new ManualClock();
  const config: KubeProxyConfiguration = {
    ...UPSTREAM_TEST_CONFIG,
    ...(options.config ?? {}),
    iptables: { ...(options.config?.iptables ?? {}), ...(options.iptables ?? {}) },
  };
  const proxier = new Proxier({
    ...options,
    node: options.node ?? UPSTREAM_TEST_NODE,
    clock,
    config,
    family: options.family ?? 'IPv4',
    emulation: { ...UPSTREAM_TEST_EMULATION, ...(options.emulation ?? {}) },
  });
  return { proxier, clock };
}

/** Adds Services and slices to a proxier, as upstream's `makeServiceMap` / `populateEndpointSlices`. */
export function populate(proxier: Proxier, objects: readonly (Service | EndpointSlice)[]): void {
  for (const o of objects) {
    if ('spec' in o) proxier.onServiceAdd(o);
    else proxier.onEndpointSliceAdd(o);
  }
}
