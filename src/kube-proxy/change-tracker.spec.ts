/**
 * Stages 1-2: change tracking and the service / endpoint maps, with cases
 * ported from upstream's TestUpdateEndpointsMap, TestBuildServiceMap*,
 * TestHealthCheckNodePortWhenTerminating.
 */
import { EndpointsChangeTracker, EndpointsMap, ServiceChangeTracker, ServicePortMap } from './change-tracker';
import { makeEndpointSlice, makeService, TEST_NODE_NAME } from '../../test/support/kube-proxy/builders';
import type { Endpoint, EndpointPort, EndpointSlice, Service, ServicePort } from './types';

type Expectation = Record<string, [string, boolean][]>;

function snapshot(map: EndpointsMap): Expectation {
  const out: Expectation = {};
  for (const key of [...map.keys()].sort()) out[key] = map.get(key)!.map((e) => [e.endpoint, e.isLocal]);
  return out;
}

const sl = (ns: string, name: string, n: number, endpoints: Endpoint[], ports: EndpointPort[]) =>
  makeEndpointSlice(ns, name, n, (e) => {
    e.endpoints = endpoints;
    e.ports = ports;
  });
const udp = (name: string, port: number): EndpointPort => ({ name, port, protocol: 'UDP' });
const at = (ip: string, local = false): Endpoint => ({ addresses: [ip], ...(local ? { nodeName: TEST_NODE_NAME } : {}) });

const subset1 = (n = 1) => sl('ns1', 'ep1', n, [at('10.1.1.1')], [udp('p11', 11)]);
const subset2 = (n = 2) => sl('ns1', 'ep1', n, [at('10.1.1.2')], [udp('p12', 12)]);
const namedPortLocal = () => [sl('ns1', 'ep1', 1, [at('10.1.1.1', true)], [udp('p11', 11)])];
const namedPort = () => [subset1()];
const namedPortsLocalNoLocal = () => [sl('ns1', 'ep1', 1, [at('10.1.1.1'), at('10.1.1.2', true)], [udp('p11', 11), udp('p12', 12)])];
const complexBefore = () => [
  subset1(),
  undefined,
  sl('ns2', 'ep2', 1, [at('10.2.2.2', true), at('10.2.2.22', true)], [udp('p22', 22)]),
  sl('ns2', 'ep2', 2, [at('10.2.2.3', true)], [udp('p23', 23)]),
  undefined,
  sl('ns4', 'ep4', 1, [at('10.4.4.4', true), at('10.4.4.5', true)], [udp('p44', 44)]),
  sl('ns4', 'ep4', 2, [at('10.4.4.6', true)], [udp('p45', 45)]),
];
const complexAfter = () => [
  sl('ns1', 'ep1', 1, [at('10.1.1.1'), at('10.1.1.11')], [udp('p11', 11)]),
  sl('ns1', 'ep1', 2, [at('10.1.1.2')], [udp('p12', 12), udp('p122', 122)]),
  undefined,
  undefined,
  sl('ns3', 'ep3', 1, [at('10.3.3.3')], [udp('p33', 33)]),
  sl('ns4', 'ep4', 1, [at('10.4.4.4', true)], [udp('p44', 44)]),
  undefined,
];

describe('EndpointsMap.update (upstream TestUpdateEndpointsMap)', () => {
  const cases: [string, (EndpointSlice | undefined)[], (EndpointSlice | undefined)[], Expectation, Expectation, Record<string, number>][] = [
    ['nothing', [], [], {}, {}, {}],
    [
      'no change, named port, local',
      namedPortLocal(),
      namedPortLocal(),
      { 'ns1/ep1:p11/UDP': [['10.1.1.1:11', true]] },
      { 'ns1/ep1:p11/UDP': [['10.1.1.1:11', true]] },
      { 'ns1/ep1': 1 },
    ],
    [
      'no change, multiple subsets',
      [subset1(), subset2()],
      [subset1(), subset2()],
      { 'ns1/ep1:p11/UDP': [['10.1.1.1:11', false]], 'ns1/ep1:p12/UDP': [['10.1.1.2:12', false]] },
      { 'ns1/ep1:p11/UDP': [['10.1.1.1:11', false]], 'ns1/ep1:p12/UDP': [['10.1.1.2:12', false]] },
      {},
    ],
    ['add an Endpoints', [undefined], namedPortLocal(), {}, { 'ns1/ep1:p11/UDP': [['10.1.1.1:11', true]] }, { 'ns1/ep1': 1 }],
    ['remove an Endpoints', namedPortLocal(), [undefined], { 'ns1/ep1:p11/UDP': [['10.1.1.1:11', true]] }, {}, {}],
    [
      'add an IP and port',
      namedPort(),
      namedPortsLocalNoLocal(),
      { 'ns1/ep1:p11/UDP': [['10.1.1.1:11', false]] },
      {
        'ns1/ep1:p11/UDP': [['10.1.1.1:11', false], ['10.1.1.2:11', true]],
        'ns1/ep1:p12/UDP': [['10.1.1.1:12', false], ['10.1.1.2:12', true]],
      },
      { 'ns1/ep1': 1 },
    ],
    [
      'rename a port',
      namedPort(),
      [sl('ns1', 'ep1', 1, [at('10.1.1.1')], [udp('p11-2', 11)])],
      { 'ns1/ep1:p11/UDP': [['10.1.1.1:11', false]] },
      { 'ns1/ep1:p11-2/UDP': [['10.1.1.1:11', false]] },
      {},
    ],
    [
      'renumber a port',
      namedPort(),
      [sl('ns1', 'ep1', 1, [at('10.1.1.1')], [udp('p11', 22)])],
      { 'ns1/ep1:p11/UDP': [['10.1.1.1:11', false]] },
      { 'ns1/ep1:p11/UDP': [['10.1.1.1:22', false]] },
      {},
    ],
    [
      'complex add and remove',
      complexBefore(),
      complexAfter(),
      {
        'ns1/ep1:p11/UDP': [['10.1.1.1:11', false]],
        'ns2/ep2:p22/UDP': [['10.2.2.22:22', true], ['10.2.2.2:22', true]],
        'ns2/ep2:p23/UDP': [['10.2.2.3:23', true]],
        'ns4/ep4:p44/UDP': [['10.4.4.4:44', true], ['10.4.4.5:44', true]],
        'ns4/ep4:p45/UDP': [['10.4.4.6:45', true]],
      },
      {
        // Sorted as strings: 10.1.1.11:11 before 10.1.1.1:11.
        'ns1/ep1:p11/UDP': [['10.1.1.11:11', false], ['10.1.1.1:11', false]],
        'ns1/ep1:p12/UDP': [['10.1.1.2:12', false]],
        'ns1/ep1:p122/UDP': [['10.1.1.2:122', false]],
        'ns3/ep3:p33/UDP': [['10.3.3.3:33', false]],
        'ns4/ep4:p44/UDP': [['10.4.4.4:44', true]],
      },
      { 'ns4/ep4': 1 },
    ],
    [
      'change from 0 endpoint address to 1 unnamed port',
      [makeEndpointSlice('ns1', 'ep1', 1)],
      namedPort(),
      {},
      { 'ns1/ep1:p11/UDP': [['10.1.1.1:11', false]] },
      {},
    ],
  ];

  it.each(cases)('%s', (_name, previous, current, before, after, localReady) => {
    const tracker = new EndpointsChangeTracker(TEST_NODE_NAME, 'IPv4');
    const map = new EndpointsMap();
    for (const s of previous) if (s) tracker.update(s);
    map.update(tracker);
    expect(snapshot(map)).toEqual(before);
    previous.forEach((prev, i) => {
      const cur = current[i];
      if (cur) tracker.update(cur);
      else if (prev) tracker.remove(prev);
    });
    map.update(tracker);
    expect(snapshot(map)).toEqual(after);
    expect(Object.fromEntries(map.localReadyEndpoints())).toEqual(localReady);
  });

  it('reports only Services whose slices changed', () => {
    const tracker = new EndpointsChangeTracker(TEST_NODE_NAME, 'IPv4');
    const map = new EndpointsMap();
    tracker.update(subset1());
    tracker.update(sl('ns2', 'ep2', 1, [at('10.2.2.2')], [udp('p22', 22)]));
    expect([...map.update(tracker).updatedServices].sort()).toEqual(['ns1/ep1', 'ns2/ep2']);
    expect(tracker.update(subset1())).toBe(false); // identical: no change
    tracker.update(subset2());
    expect([...map.update(tracker).updatedServices]).toEqual(['ns1/ep1']);
    expect([...map.update(tracker).updatedServices]).toEqual([]);
  });

  it('ignores slices of the other family, FQDN slices and slices without a service label', () => {
    const tracker = new EndpointsChangeTracker(TEST_NODE_NAME, 'IPv4');
    expect(tracker.update(makeEndpointSlice('ns1', 'a', 1, (e) => (e.addressType = 'IPv6')))).toBe(false);
    expect(tracker.update(makeEndpointSlice('ns1', 'a', 1, (e) => (e.addressType = 'FQDN')))).toBe(false);
    expect(tracker.update(makeEndpointSlice('ns1', 'a', 1, (e) => (e.metadata.labels = {})))).toBe(false);
    expect(tracker.hasPending()).toBe(false);
  });

  it('uses addresses[0] canonicalised, ignores ports without a number and defaults conditions', () => {
    const tracker = new EndpointsChangeTracker(TEST_NODE_NAME, 'IPv4');
    const map = new EndpointsMap();
    tracker.update(
      sl(
        'ns1',
        'svc1',
        1,
        [{ addresses: ['10.0.0.01', '10.0.0.2'] }, { addresses: ['10.0.0.3'], conditions: { ready: false, serving: null, terminating: true } }],
        [{ name: 'a', port: 80 }, { name: 'b', port: 0 }, { name: 'c', port: null }, { name: null, port: 81 }],
      ),
    );
    map.update(tracker);
    expect([...map.keys()]).toEqual(['ns1/svc1:a/TCP']);
    const eps = map.get('ns1/svc1:a/TCP')!;
    expect(eps.map((e) => [e.endpoint, e.ready, e.serving, e.terminating])).toEqual([
      ['10.0.0.1:80', true, true, false],
      ['10.0.0.3:80', false, true, true],
    ]);
  });

  it('collapses an ip:port listed in two slices, preferring a non-terminating copy', () => {
    const tracker = new EndpointsChangeTracker(TEST_NODE_NAME, 'IPv4');
    const map = new EndpointsMap();
    const p = [{ name: 'p', port: 80, protocol: 'TCP' as const }];
    tracker.update(sl('ns1', 'svc1', 1, [{ addresses: ['10.0.0.1'], conditions: { ready: true } }], p));
    tracker.update(sl('ns1', 'svc1', 2, [{ addresses: ['10.0.0.1'], conditions: { ready: false, terminating: true } }], p));
    map.update(tracker);
    expect(map.get('ns1/svc1:p/TCP')!.map((e) => [e.endpoint, e.ready])).toEqual([['10.0.0.1:80', true]]);
  });

  it('stops counting local endpoints as ready once they all terminate (TestHealthCheckNodePortWhenTerminating)', () => {
    const tracker = new EndpointsChangeTracker(TEST_NODE_NAME, 'IPv4');
    const map = new EndpointsMap();
    const port = [{ name: '', port: 80, protocol: 'TCP' as const }];
    const local = (ip: string, conditions: Endpoint['conditions']): Endpoint => ({ addresses: [ip], conditions, nodeName: TEST_NODE_NAME });
    tracker.update(
      sl('ns1', 'svc1', 1, [local('10.0.1.1', { ready: true }), local('10.0.1.2', { ready: true }), local('10.0.1.3', { ready: true }), local('10.0.1.4', { ready: false })], port),
    );
    map.update(tracker);
    expect(map.localReadyEndpoints().size).toBe(1);
    tracker.update(
      sl(
        'ns1',
        'svc1',
        1,
        [
          local('10.0.1.1', { ready: false, serving: true, terminating: false }),
          local('10.0.1.2', { ready: false, serving: true, terminating: true }),
          local('10.0.1.3', { ready: false, serving: true, terminating: true }),
          local('10.0.1.4', { ready: false, serving: false, terminating: true }),
        ],
        port,
      ),
    );
    map.update(tracker);
    expect(map.localReadyEndpoints().size).toBe(0);
  });
});

describe('ServicePortMap.update (upstream TestBuildServiceMap*)', () => {
  const port = (name: string, protocol: ServicePort['protocol'], p: number, nodePort: number, targetPort = 0): ServicePort => ({
    name,
    protocol,
    port: p,
    nodePort,
    targetPort,
  });
  const services = (): Service[] => [
    makeService('somewhere-else', 'cluster-ip', (s) => {
      s.spec.type = 'ClusterIP';
      s.spec.clusterIP = '172.30.55.4';
      s.spec.ports = [port('something', 'UDP', 1234, 4321), port('somethingelse', 'UDP', 1235, 5321), port('sctpport', 'SCTP', 1236, 6321)];
    }),
    makeService('somewhere-else', 'node-port', (s) => {
      s.spec.type = 'NodePort';
      s.spec.clusterIP = '172.30.55.10';
      s.spec.ports = [port('blahblah', 'UDP', 345, 678), port('moreblahblah', 'TCP', 344, 677), port('muchmoreblah', 'SCTP', 343, 676)];
    }),
    makeService('somewhere', 'load-balancer', (s) => {
      s.spec.type = 'LoadBalancer';
      s.spec.clusterIP = '172.30.55.11';
      s.spec.loadBalancerIP = '1.2.3.4';
      s.spec.ports = [port('foobar', 'UDP', 8675, 30061, 7000), port('baz', 'UDP', 8676, 30062, 7001)];
      s.status = { loadBalancer: { ingress: [{ ip: '1.2.3.4' }] } };
    }),
    makeService('somewhere', 'only-local-load-balancer', (s) => {
      s.spec.type = 'LoadBalancer';
      s.spec.clusterIP = '172.30.55.12';
      s.spec.loadBalancerIP = '5.6.7.8';
      s.spec.ports = [port('foobar2', 'UDP', 8677, 30063, 7002), port('baz', 'UDP', 8678, 30064, 7003)];
      s.status = { loadBalancer: { ingress: [{ ip: '5.6.7.8' }] } };
      s.spec.externalTrafficPolicy = 'Local';
      s.spec.healthCheckNodePort = 345;
    }),
  ];

  it('adds and removes service ports and health check node ports', () => {
    const tracker = new ServiceChangeTracker('IPv4');
    const map = new ServicePortMap();
    const svcs = services();
    for (const s of svcs) tracker.update(s);
    map.update(tracker);
    expect(map.size).toBe(10);
    expect(Object.fromEntries(map.healthCheckNodePorts())).toEqual({ 'somewhere/only-local-load-balancer': 345 });

    tracker.update(
      makeService('somewhere-else', 'cluster-ip', (s) => {
        s.spec.type = 'ClusterIP';
        s.spec.clusterIP = '172.30.55.4';
        s.spec.ports = [port('somethingelse', 'UDP', 1235, 5321)];
      }),
    );
    tracker.remove(svcs[1]);
    tracker.remove(svcs[2]);
    tracker.remove(svcs[3]);
    const result = map.update(tracker);
    expect(map.size).toBe(1);
    expect(map.healthCheckNodePorts().size).toBe(0);
    expect([...result.updatedServices].sort()).toEqual([
      'somewhere-else/cluster-ip',
      'somewhere-else/node-port',
      'somewhere/load-balancer',
      'somewhere/only-local-load-balancer',
    ]);
  });

  it('ignores headless and ExternalName Services', () => {
    const tracker = new ServiceChangeTracker('IPv4');
    const map = new ServicePortMap();
    tracker.update(makeService('somewhere-else', 'headless', (s) => ((s.spec.clusterIP = 'None'), (s.spec.ports = [port('rpc', 'UDP', 1234, 0)]))));
    tracker.update(makeService('somewhere-else', 'headless-without-port', (s) => (s.spec.clusterIP = 'None')));
    tracker.update(
      makeService('somewhere-else', 'external-name', (s) => {
        s.spec.type = 'ExternalName';
        s.spec.clusterIP = '172.30.55.4';
        s.spec.externalName = 'foo2.bar.com';
        s.spec.ports = [port('blah', 'UDP', 1235, 5321)];
      }),
    );
    expect(map.update(tracker).updatedServices.size).toBe(0);
    expect(map.size).toBe(0);
  });

  it('follows a Service changing type, and sees a no-op update as no change', () => {
    const tracker = new ServiceChangeTracker('IPv4');
    const map = new ServicePortMap();
    const v1 = makeService('somewhere', 'some-service', (s) => {
      s.spec.type = 'ClusterIP';
      s.spec.clusterIP = '172.30.55.4';
      s.spec.ports = [port('something', 'UDP', 1234, 4321), port('somethingelse', 'TCP', 1235, 5321)];
    });
    const v2 = makeService('somewhere', 'some-service', (s) => {
      s.spec.type = 'LoadBalancer';
      s.spec.clusterIP = '172.30.55.4';
      s.spec.ports = [port('something', 'UDP', 1234, 4321, 7002), port('somethingelse', 'TCP', 1235, 5321, 7003)];
      s.status = { loadBalancer: { ingress: [{ ip: '1.2.3.4' }] } };
      s.spec.externalTrafficPolicy = 'Local';
      s.spec.healthCheckNodePort = 345;
    });
    tracker.update(v1);
    map.update(tracker);
    expect(map.size).toBe(2);
    expect(map.healthCheckNodePorts().size).toBe(0);
    tracker.update(v2);
    expect(map.update(tracker).updatedServices.size).toBe(1);
    expect(map.healthCheckNodePorts().size).toBe(1);
    tracker.update(v2);
    expect(map.update(tracker).updatedServices.size).toBe(0);
    tracker.update(v1);
    map.update(tracker);
    expect(map.size).toBe(2);
    expect(map.healthCheckNodePorts().size).toBe(0);
  });

  it('keeps only the addresses of its own family', () => {
    const tracker = new ServiceChangeTracker('IPv6');
    const map = new ServicePortMap();
    tracker.update(
      makeService('ns1', 'dual', (s) => {
        s.spec.clusterIP = '172.30.0.1';
        s.spec.clusterIPs = ['172.30.0.1', 'fd00::1'];
        s.spec.ipFamilies = ['IPv4', 'IPv6'];
        s.spec.externalIPs = ['192.168.99.1', '2001:db8::99'];
        s.spec.loadBalancerSourceRanges = ['10.0.0.0/8', ' 2001:db8::/64'];
        s.spec.type = 'LoadBalancer';
        s.status = { loadBalancer: { ingress: [{ ip: '1.2.3.4' }, { ip: '2001:db8::4' }] } };
        s.spec.ports = [{ name: 'p', port: 80 }];
      }),
    );
    tracker.update(makeService('ns1', 'v4only', (s) => ((s.spec.clusterIP = '172.30.0.2'), (s.spec.ports = [{ port: 80 }]))));
    map.update(tracker);
    expect(map.size).toBe(1);
    const sp = map.get('ns1/dual:p/TCP')!;
    expect(sp).toMatchObject({ clusterIP: 'fd00::1', externalIPs: ['2001:db8::99'], loadBalancerVIPs: ['2001:db8::4'] });
    expect(sp.loadBalancerSourceRanges.map((c) => c.text)).toEqual(['2001:db8::/64']);
  });
});
