/**
 * Upstream's own test cases (kubernetes/kubernetes pkg/proxy/iptables/
 * proxier_test.go), expressed with our builders. Where upstream gives the
 * expected restore text, it is transcribed under fixtures/kube-proxy/upstream/
 * and our output must equal it after the canonical sort; elsewhere the same
 * assertions upstream makes are made here.
 */
import { chainRules, checkRuleJumps, parseRestore, sortRestore } from '../../test/support/kube-proxy/restore-text';
import { goldenPair, readFixture } from '../../test/support/kube-proxy/golden';
import { overallObjects } from '../../test/support/kube-proxy/upstream-cases';
import {
  makeEndpointSlice,
  makeService,
  populate,
  TEST_NODE_NAME,
  upstreamTestProxier,
} from '../../test/support/kube-proxy/builders';
import type { Endpoint, EndpointSlice, Service } from './types';

function natRuleCount(text: string): number {
  const nat = parseRestore(text).find((t) => t.name === 'nat')!;
  let n = 0;
  for (const rules of nat.rules.values()) n += rules.length;
  return n;
}

describe('TestOverallIPTablesRules', () => {
  it('matches upstream expected text', () => {
    const { proxier } = upstreamTestProxier();
    populate(proxier, overallObjects());
    const result = proxier.sync();
    expect(result.full).toBe(true);
    const { actual, expected } = goldenPair(result.text, 'upstream/overall.rules');
    expect(actual).toBe(expected);
    expect(checkRuleJumps(expected)).toEqual([]);
    expect(checkRuleJumps(result.text)).toEqual([]);
    expect(result.natRulesTotal).toBe(natRuleCount(result.text));
    expect(result.lines).toBe(result.text.split('\n').length - 1);
  });
});

describe('TestBadIPs', () => {
  it('rewrites sloppy IPs and CIDRs canonically', () => {
    const { proxier } = upstreamTestProxier();
    populate(proxier, [
      makeService('ns1', 'svc1', (s) => {
        s.spec.type = 'LoadBalancer';
        s.spec.clusterIP = '172.30.0.041';
        s.spec.ports = [{ name: 'p80', port: 80, protocol: 'TCP', nodePort: 3001 }];
        s.status = { loadBalancer: { ingress: [{ ip: '1.2.3.004' }] } };
        s.spec.externalIPs = ['192.168.099.022'];
        s.spec.loadBalancerSourceRanges = ['203.0.113.000/025'];
      }),
      makeEndpointSlice('ns1', 'svc1', 1, (e) => {
        e.endpoints = [{ addresses: ['10.180.00.001'] }];
        e.ports = [{ name: 'p80', port: 80, protocol: 'TCP' }];
      }),
    ]);
    const { actual, expected } = goldenPair(proxier.sync().text, 'upstream/bad-ips.rules');
    expect(actual).toBe(expected);
    expect(checkRuleJumps(actual)).toEqual([]);
  });
});

describe('TestSyncProxyRulesRepeated', () => {
  it('writes only changed Services on partial syncs, deletes stale chains, and recovers from a failed partial restore', () => {
    let failNext = false;
    const { proxier } = upstreamTestProxier({
      restore: () => {
        if (failNext) {
          failNext = false;
          throw new Error('iptables-restore: Couldn\'t load target `KUBE-SEP-AYCN5HPXMIRJNJXU\'');
        }
      },
    });
    const step = (n: number, check = true) => {
      const r = proxier.sync();
      const { actual, expected } = goldenPair(r.text, `upstream/repeated-${n}.rules`);
      expect(actual).toBe(expected);
      if (check) expect(checkRuleJumps(r.text)).toEqual([]);
      return r;
    };
    const svc = (ns: string, name: string, ip: string, port: number, portName: string) =>
      makeService(ns, name, (s) => {
        s.spec.type = 'ClusterIP';
        s.spec.clusterIP = ip;
        s.spec.ports = [{ name: portName, port, protocol: 'TCP' }];
      });
    const eps = (ns: string, name: string, ips: string[], port: number, portName: string) =>
      makeEndpointSlice(ns, name, 1, (e) => {
        e.endpoints = ips.map((ip) => ({ addresses: [ip] }));
        e.ports = [{ name: portName, port, protocol: 'TCP' }];
      });

    const svc2 = svc('ns2', 'svc2', '172.30.0.42', 8080, 'p8080');
    populate(proxier, [
      svc('ns1', 'svc1', '172.30.0.41', 80, 'p80'),
      svc2,
      eps('ns1', 'svc1', ['10.0.1.1'], 80, 'p80'),
      eps('ns2', 'svc2', ['10.0.2.1'], 8080, 'p8080'),
    ]);
    const first = step(1);
    expect(first.full).toBe(true);
    expect(first.natRules).toBe(natRuleCount(readFixture('upstream/repeated-1.rules')));
    let total = first.natRulesTotal;

    // Add a Service and its endpoints: only its chains are written.
    populate(proxier, [svc('ns3', 'svc3', '172.30.0.43', 80, 'p80'), eps('ns3', 'svc3', ['10.0.3.1'], 80, 'p80')]);
    const second = step(2, false);
    expect(second.full).toBe(false);
    expect(second.natRulesTotal).toBe((total += 5));

    // Delete a Service: its chains are flushed and deleted.
    proxier.onServiceDelete(svc2);
    const third = step(3, false);
    expect(third.deletedChains).toEqual(['KUBE-SEP-UHEGFW77JX3KXTOV', 'KUBE-SVC-2VJB64SDSIJUP5T6']);
    expect(third.natRulesTotal).toBe((total -= 5));

    // A Service without endpoints: only a REJECT rule in filter.
    const svc4 = svc('ns4', 'svc4', '172.30.0.44', 80, 'p80');
    populate(proxier, [svc4]);
    expect(step(4, false).natRulesTotal).toBe(total);

    // Its endpoints arrive.
    populate(proxier, [eps('ns4', 'svc4', ['10.0.4.1'], 80, 'p80')]);
    expect(step(5, false).natRulesTotal).toBe((total += 5));

    // An endpoint of svc3 changes IP: its SVC and SEP chains are rewritten, the old SEP deleted.
    const eps3 = eps('ns3', 'svc3', ['10.0.3.2'], 80, 'p80');
    proxier.onEndpointSliceUpdate(undefined, eps3);
    expect(step(6, false).natRulesTotal).toBe(total);

    // An endpoint is added to svc3.
    proxier.onEndpointSliceUpdate(eps3, eps('ns3', 'svc3', ['10.0.3.2', '10.0.3.3'], 80, 'p80'));
    expect(step(7, false).natRulesTotal).toBe((total += 3));

    // No changes: only the top-level chains.
    const eighth = step(8, false);
    expect(eighth.servicePortsWritten).toBe(0);
    expect(proxier.status().needFullSync).toBe(false);

    // A partial restore that fails makes the next sync a full one.
    failNext = true;
    proxier.onServiceDelete(svc4);
    const failed = proxier.sync();
    expect(failed.ok).toBe(false);
    expect(failed.full).toBe(false);
    expect(proxier.status().needFullSync).toBe(true);
    expect(proxier.status().counters.partialRestoreFailures).toBe(1);

    const retried = step(9);
    expect(retried.full).toBe(true);
    expect(retried.ok).toBe(true);
    expect(retried.natRulesTotal).toBe((total -= 5));
  });
});

describe('TestSyncProxyRulesLargeClusterMode', () => {
  const THRESHOLD = 1000;

  function countEndpointsAndComments(text: string, match: string): [string, number, number] {
    let matched = '';
    let endpoints = 0;
    let comments = 0;
    for (const line of text.split('\n')) {
      if (line.startsWith('-A KUBE-SEP-') && line.includes('-j DNAT')) {
        endpoints++;
        if (line.includes('--comment')) comments++;
        if (line.includes(match)) matched = line;
      }
    }
    return [matched, endpoints, comments];
  }

  it('drops per-endpoint comments above 1,000 endpoints and throttles stale-chain cleanup', () => {
    const { proxier, clock } = upstreamTestProxier({ iptables: { masqueradeAll: true, syncPeriod: '30s' } });
    const many = (prefix: string) =>
      Array.from({ length: THRESHOLD / 2 - 1 }, (_, i) => ({ addresses: [`${prefix}.${i % 256}.${Math.floor(i / 256)}`] }));
    const svc = (ns: string, name: string, ip: string, port: number) =>
      makeService(ns, name, (s) => {
        s.spec.type = 'ClusterIP';
        s.spec.clusterIP = ip;
        s.spec.ports = [{ name: `p${port}`, port, protocol: 'TCP' }];
      });
    const slice = (ns: string, name: string, port: number, endpoints: Endpoint[]) =>
      makeEndpointSlice(ns, name, 1, (e) => {
        e.endpoints = endpoints;
        e.ports = [{ name: `p${port}`, port, protocol: 'TCP' }];
      });
    populate(proxier, [
      svc('ns1', 'svc1', '172.30.0.41', 80),
      svc('ns2', 'svc2', '172.30.0.42', 8080),
      svc('ns3', 'svc3', '172.30.0.43', 8081),
      slice('ns1', 'svc1', 80, many('10.0')),
      slice('ns2', 'svc2', 8080, many('10.1')),
    ]);
    let expectedEndpoints = 2 * (THRESHOLD / 2 - 1);

    let [first, n, comments] = countEndpointsAndComments(proxier.sync().text, '10.0.0.0');
    expect(first).toBe('-A KUBE-SEP-DKGQUZGBKLTPAR56 -m comment --comment ns1/svc1:p80 -m tcp -p tcp -j DNAT --to-destination 10.0.0.0:80');
    expect(n).toBe(expectedEndpoints);
    expect(comments).toBe(n);

    proxier.onEndpointSliceAdd(
      slice('ns3', 'svc3', 8081, [{ addresses: ['203.0.113.4'] }, { addresses: ['203.0.113.8'] }, { addresses: ['203.0.113.12'] }]),
    );
    let r = proxier.sync();
    expect(r.largeClusterMode).toBe(true);
    [first, n, comments] = countEndpointsAndComments(r.text, '203.0.113.4');
    expect(first).toBe('-A KUBE-SEP-RUVVH7YV3PHQBDOS -m tcp -p tcp -j DNAT --to-destination 203.0.113.4:8081');
    // Only svc3 was written; a partial sync does not rewrite the others when the mode flips.
    expect(n).toBe(3);
    expect(comments).toBe(0);

    // A forced full sync rewrites everything without comments.
    proxier.forceFullSync();
    expectedEndpoints += 3;
    [first, n, comments] = countEndpointsAndComments(proxier.sync().text, '10.0.0.0');
    expect(first).toBe('-A KUBE-SEP-DKGQUZGBKLTPAR56 -m tcp -p tcp -j DNAT --to-destination 10.0.0.0:80');
    expect(n).toBe(expectedEndpoints);
    expect(comments).toBe(0);

    const svc4 = svc('ns4', 'svc4', '172.30.0.44', 8082);
    populate(proxier, [svc4, slice('ns4', 'svc4', 8082, [{ addresses: ['10.4.0.1'] }])]);
    let svc4Endpoint: string;
    [svc4Endpoint, n] = countEndpointsAndComments(proxier.sync().text, '10.4.0.1');
    expect(svc4Endpoint).toBe('-A KUBE-SEP-SU5STNODRYEWJAUF -m tcp -p tcp -j DNAT --to-destination 10.4.0.1:8082');
    expect(n).toBe(1);

    // Cleanup ran less than syncPeriod ago: the deleted Service's chains stay for now.
    proxier.onServiceDelete(svc4);
    r = proxier.sync();
    [svc4Endpoint, n] = countEndpointsAndComments(r.text, '10.4.0.1');
    expect(svc4Endpoint).toBe('');
    expect(n).toBe(0);
    expect(r.text).not.toContain('-X ');

    // Once syncPeriod has passed they are deleted.
    clock.advance(30_000 + 1);
    r = proxier.sync();
    [svc4Endpoint, n] = countEndpointsAndComments(r.text, '10.4.0.1');
    expect(svc4Endpoint).toBe('');
    expect(n).toBe(0);
    expect(r.text).toContain('-X KUBE-SVC-EBDQOQU5SJFXRIL3');
    expect(r.text).toContain('-X KUBE-SEP-SU5STNODRYEWJAUF');

    proxier.forceFullSync();
    [, n] = countEndpointsAndComments(proxier.sync().text, '10.0.0.0');
    expect(n).toBe(expectedEndpoints);
  });
});

describe('TestNodePorts', () => {
  const firewallRule =
    '-A KUBE-FIREWALL -m comment --comment "block incoming localnet connections" -d 127.0.0.0/8 ! -s 127.0.0.0/8 -m conntrack ! --ctstate RELATED,ESTABLISHED,DNAT -j DROP';
  const tail = '-A KUBE-SERVICES -m comment --comment "kubernetes service nodeports; NOTE: this must be the last rule in this chain"';

  it.each([
    ['ipv4, localhost-nodeports enabled', 'IPv4', true, undefined, true, [`${tail} -m addrtype --dst-type LOCAL -j KUBE-NODEPORTS`]],
    ['ipv4, localhost-nodeports disabled', 'IPv4', false, undefined, false, [`${tail} -m addrtype --dst-type LOCAL ! -d 127.0.0.0/8 -j KUBE-NODEPORTS`]],
    [
      'ipv4, localhost-nodeports disabled, localhost in nodeport-addresses',
      'IPv4',
      false,
      ['192.168.0.0/24', '127.0.0.1/32'],
      false,
      [`${tail} -d 192.168.0.2 -j KUBE-NODEPORTS`],
    ],
    [
      'ipv4, localhost-nodeports enabled, multiple nodeport-addresses',
      'IPv4',
      false,
      ['192.168.0.0/24', '192.168.1.0/24', '2001:db8::/64'],
      false,
      [`${tail} -d 192.168.0.2 -j KUBE-NODEPORTS`, `${tail} -d 192.168.1.2 -j KUBE-NODEPORTS`],
    ],
    ['ipv6, localhost-nodeports enabled', 'IPv6', true, undefined, false, [`${tail} -m addrtype --dst-type LOCAL ! -d ::1/128 -j KUBE-NODEPORTS`]],
    ['ipv6, localhost-nodeports disabled', 'IPv6', false, undefined, false, [`${tail} -m addrtype --dst-type LOCAL ! -d ::1/128 -j KUBE-NODEPORTS`]],
    [
      'ipv6, localhost-nodeports disabled, multiple nodeport-addresses',
      'IPv6',
      false,
      ['192.168.0.0/24', '192.168.1.0/24', '2001:db8::/64'],
      false,
      [`${tail} -d 2001:db8::1 -j KUBE-NODEPORTS`],
    ],
  ] as const)('%s', (_name, family, localhostNodePorts, nodePortAddresses, expectFirewall, tails) => {
    const v4 = family === 'IPv4';
    const { proxier } = upstreamTestProxier({
      family,
      config: { nodePortAddresses: nodePortAddresses ? [...nodePortAddresses] : null },
      iptables: { localhostNodePorts },
    });
    populate(proxier, [
      makeService('ns1', 'svc1', (s) => {
        s.spec.type = 'NodePort';
        s.spec.clusterIP = v4 ? '172.30.0.41' : 'fd00:172:30::41';
        s.spec.ports = [{ name: 'p80', port: 80, protocol: 'TCP', nodePort: 3001 }];
      }),
      makeEndpointSlice('ns1', 'svc1', 1, (e) => {
        e.addressType = family;
        e.endpoints = [
          { addresses: [v4 ? '10.180.0.1' : 'fd00:10:180::1'] },
          { addresses: [v4 ? '10.180.2.1' : 'fd00:10:180::2:1'], nodeName: TEST_NODE_NAME },
        ];
        e.ports = [{ name: 'p80', port: 80, protocol: 'TCP' }];
      }),
    ]);
    const text = proxier.sync().text;
    expect(chainRules(text, 'filter', 'KUBE-FIREWALL')).toEqual(expectFirewall ? [firewallRule] : []);
    const services = chainRules(text, 'nat', 'KUBE-SERVICES');
    expect(services.slice(-tails.length)).toEqual(tails);
    expect(checkRuleJumps(text)).toEqual([]);
    if (!v4) {
      expect(text).toContain('-A KUBE-SEP-');
      expect(text).toContain('--to-destination [fd00:10:180::1]:80');
      expect(text).not.toContain('127.0.0.0/8');
    }
  });
});

describe('TestHealthCheckNodePort', () => {
  it('accepts the health check node port in filter KUBE-NODEPORTS until the Service goes', () => {
    const { proxier } = upstreamTestProxier({ config: { nodePortAddresses: ['127.0.0.0/8'] } });
    const svc = makeService('ns1', 'svc1', (s) => {
      s.spec.type = 'LoadBalancer';
      s.spec.clusterIP = '172.30.0.42';
      s.spec.ports = [{ name: 'p80', port: 80, protocol: 'TCP', nodePort: 3001 }];
      s.spec.healthCheckNodePort = 30000;
      s.spec.externalTrafficPolicy = 'Local';
    });
    populate(proxier, [svc]);
    let text = proxier.sync().text;
    expect(chainRules(text, 'filter', 'KUBE-NODEPORTS')).toEqual([
      '-A KUBE-NODEPORTS -m comment --comment "ns1/svc1:p80 health check node port" -m tcp -p tcp --dport 30000 -j ACCEPT',
    ]);
    // nodePortAddresses 127.0.0.0/8 keeps localhost NodePorts and narrows the tail rule to 127.0.0.1.
    expect(chainRules(text, 'nat', 'KUBE-SERVICES').at(-1)).toBe(
      '-A KUBE-SERVICES -m comment --comment "kubernetes service nodeports; NOTE: this must be the last rule in this chain" -d 127.0.0.1 -j KUBE-NODEPORTS',
    );
    proxier.onServiceDelete(svc);
    text = proxier.sync().text;
    expect(chainRules(text, 'filter', 'KUBE-NODEPORTS')).toEqual([]);
  });
});

describe('TestDropInvalidRule', () => {
  const rest = [
    '-A KUBE-FORWARD -m comment --comment "kubernetes forwarding rules" -m mark --mark 0x4000/0x4000 -j ACCEPT',
    '-A KUBE-FORWARD -m comment --comment "kubernetes forwarding conntrack rule" -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT',
  ];
  it.each([
    [false, false, ['-A KUBE-FORWARD -m conntrack --ctstate INVALID -j DROP']],
    [true, false, ['-A KUBE-FORWARD -m conntrack --ctstate INVALID -m nfacct --nfacct-name ct_state_invalid_dropped_pkts -j DROP']],
    [false, true, []],
  ])('nfacct %p, tcp_be_liberal %p', (nfacct, liberal, drop) => {
    const { proxier } = upstreamTestProxier({ emulation: { nfacctInvalidDropped: nfacct, conntrackTcpBeLiberal: liberal } });
    expect(chainRules(proxier.sync().text, 'filter', 'KUBE-FORWARD')).toEqual([...drop, ...rest]);
  });
});

describe('TestMasqueradeRule', () => {
  it.each([false, true])('randomFully %p', (randomFully) => {
    const { proxier } = upstreamTestProxier({ emulation: { randomFully } });
    expect(chainRules(proxier.sync().text, 'nat', 'KUBE-POSTROUTING')).toEqual([
      '-A KUBE-POSTROUTING -m mark ! --mark 0x4000/0x4000 -j RETURN',
      '-A KUBE-POSTROUTING -j MARK --xor-mark 0x4000',
      `-A KUBE-POSTROUTING -m comment --comment "kubernetes service traffic requiring SNAT" -j MASQUERADE${randomFully ? ' --random-fully' : ''}`,
    ]);
  });
});

describe('TestLoadBalancerIngressRouteTypeProxy', () => {
  it.each([
    ['ipMode Proxy', '10.20.30.41', '1.2.3.4', 'Proxy', false],
    ['ipMode VIP', '10.20.30.42', '1.2.3.5', 'VIP', true],
    ['ipMode nil', '10.20.30.43', '1.2.3.6', undefined, true],
  ] as const)('%s', (_name, clusterIP, lbIP, ipMode, expectRule) => {
    const { proxier } = upstreamTestProxier();
    populate(proxier, [
      makeService('ns1', 'svc1', (s) => {
        s.spec.type = 'LoadBalancer';
        s.spec.clusterIP = clusterIP;
        s.spec.ports = [{ name: 'p80', port: 80, protocol: 'TCP', nodePort: 3001 }];
        s.status = { loadBalancer: { ingress: [{ ip: lbIP, ...(ipMode ? { ipMode } : {}) }] } };
      }),
      makeEndpointSlice('ns1', 'svc1', 1, (e) => {
        e.endpoints = [{ addresses: ['10.180.0.1'] }];
        e.ports = [{ name: 'p80', port: 80, protocol: 'TCP' }];
      }),
    ]);
    const rules = chainRules(proxier.sync().text, 'nat', 'KUBE-SERVICES');
    expect(rules.some((r) => r.includes(` -d ${lbIP} `))).toBe(expectRule);
  });
});

describe('TestNoEndpointsMetric', () => {
  const eps = (nodes: string[]) =>
    makeEndpointSlice('ns1', 'svc1', 1, (e) => {
      e.ports = [{ name: '', port: 80, protocol: 'TCP' }];
      e.endpoints = nodes.map((nodeName, i) => ({ addresses: [`10.0.1.${i + 1}`], conditions: { ready: true }, nodeName }));
    });
  it.each([
    ['iTP set, local endpoints', 'Local', undefined, [TEST_NODE_NAME, 'node1', 'node2'], 0, 0],
    ['eTP set, local endpoints', undefined, 'Local', [TEST_NODE_NAME, 'node1', 'node2'], 0, 0],
    ['both set, local endpoints', 'Local', 'Local', [TEST_NODE_NAME, 'node1', 'node2'], 0, 0],
    ['iTP set, no local endpoints', 'Local', undefined, ['node0', 'node1', 'node2'], 1, 0],
    ['eTP set, no local endpoints', undefined, 'Local', ['node0', 'node1', 'node2'], 0, 1],
    ['both set, no local endpoints', 'Local', 'Local', ['node0', 'node1', 'node2'], 1, 1],
    ['both set, no endpoints at all', 'Local', 'Local', [], 0, 0],
  ] as const)('%s', (_name, itp, etp, nodes, internal, external) => {
    const { proxier } = upstreamTestProxier();
    const svc: Service = makeService('ns1', 'svc1', (s) => {
      s.spec.clusterIP = '172.30.1.1';
      s.spec.selector = { foo: 'bar' };
      s.spec.ports = [{ name: '', port: 80, protocol: 'TCP', nodePort: 123 }];
      if (itp) s.spec.internalTrafficPolicy = itp;
      if (etp) {
        s.spec.type = 'NodePort';
        s.spec.externalTrafficPolicy = etp;
      }
    });
    const slices: EndpointSlice[] = [eps([...nodes])];
    populate(proxier, [svc, ...slices]);
    expect(proxier.sync().noLocalEndpoints).toEqual({ internal, external });
  });
});

describe('the canonical sort (upstream TestSortIPTablesRules)', () => {
  it('orders chains and keeps the NodePort tail rule last', () => {
    const input = [
      '*nat',
      ':KUBE-SERVICES - [0:0]',
      ':KUBE-SEP-RS4RBKLTHTF2IUXJ - [0:0]',
      ':KUBE-AAAAA - [0:0]',
      ':KUBE-ZZZZZ - [0:0]',
      ':WHY-IS-THIS-CHAIN-HERE - [0:0]',
      '-A KUBE-SERVICES -m comment --comment "ns2/svc2:p80 cluster IP" svc2 line 1',
      '-A KUBE-SEP-RS4RBKLTHTF2IUXJ -m comment --comment ns2/svc2:p80 -m tcp -p tcp -j DNAT --to-destination 10.180.0.2:80',
      '-A KUBE-ZZZZZ -m comment --comment "mystery chain number 1"',
      '-A KUBE-SERVICES -m comment --comment ns2/svc2 svc2 line 2',
      '-A WHY-IS-THIS-CHAIN-HERE -j ACCEPT',
      '-A KUBE-SERVICES -m comment --comment "ns2/svc2 blah" svc2 line 3',
      '-A KUBE-AAAAA -m comment --comment "mystery chain number 2"',
      'COMMIT',
      '*filter',
      'COMMIT',
      '',
    ].join('\n');
    expect(sortRestore(input)).toBe(
      [
        '*filter',
        'COMMIT',
        '*nat',
        ':KUBE-SERVICES - [0:0]',
        ':KUBE-AAAAA - [0:0]',
        ':KUBE-SEP-RS4RBKLTHTF2IUXJ - [0:0]',
        ':KUBE-ZZZZZ - [0:0]',
        ':WHY-IS-THIS-CHAIN-HERE - [0:0]',
        '-A KUBE-SERVICES -m comment --comment "ns2/svc2:p80 cluster IP" svc2 line 1',
        '-A KUBE-SERVICES -m comment --comment ns2/svc2 svc2 line 2',
        '-A KUBE-SERVICES -m comment --comment "ns2/svc2 blah" svc2 line 3',
        '-A KUBE-AAAAA -m comment --comment "mystery chain number 2"',
        '-A KUBE-SEP-RS4RBKLTHTF2IUXJ -m comment --comment ns2/svc2:p80 -m tcp -p tcp -j DNAT --to-destination 10.180.0.2:80',
        '-A KUBE-ZZZZZ -m comment --comment "mystery chain number 1"',
        '-A WHY-IS-THIS-CHAIN-HERE -j ACCEPT',
        'COMMIT',
        '',
      ].join('\n'),
    );
  });

  it('sorts KUBE-SERVICES rules by Service, whatever the comment style', () => {
    const input = [
      '*nat',
      ':KUBE-SERVICES - [0:0]',
      '-A KUBE-SERVICES -m comment --comment "ns2/svc2:p80 cluster IP" svc2 line 1',
      '-A KUBE-SERVICES -m comment --comment "kubernetes service nodeports; NOTE: this must be the last rule in this chain" x',
      '-A KUBE-SERVICES -m comment --comment ns1/svc1 svc1 line 2',
      '-A KUBE-SERVICES -m comment --comment "ns1/svc1 blah" svc1 line 3',
      'COMMIT',
    ].join('\n');
    expect(chainRules(sortRestore(input), 'nat', 'KUBE-SERVICES')).toEqual([
      '-A KUBE-SERVICES -m comment --comment ns1/svc1 svc1 line 2',
      '-A KUBE-SERVICES -m comment --comment "ns1/svc1 blah" svc1 line 3',
      '-A KUBE-SERVICES -m comment --comment "ns2/svc2:p80 cluster IP" svc2 line 1',
      '-A KUBE-SERVICES -m comment --comment "kubernetes service nodeports; NOTE: this must be the last rule in this chain" x',
    ]);
  });
});

describe('the jump check (upstream TestCheckIPTablesRuleJumps)', () => {
  const wrap = (nat: string[]) => ['*filter', 'COMMIT', '*nat', ...nat, 'COMMIT', ''].join('\n');
  it.each([
    [
      'valid',
      [
        ':KUBE-MARK-MASQ - [0:0]',
        ':KUBE-SERVICES - [0:0]',
        ':KUBE-SVC-XPGD46QRK7WJZT7O - [0:0]',
        '-A KUBE-MARK-MASQ -j MARK --or-mark 0x4000',
        '-A KUBE-SERVICES -m comment --comment "ns1/svc1:p80 cluster IP" -m tcp -p tcp -d 10.20.30.41 --dport 80 -j KUBE-SVC-XPGD46QRK7WJZT7O',
        '-A KUBE-SVC-XPGD46QRK7WJZT7O -m comment --comment "ns1/svc1:p80 cluster IP" -m tcp -p tcp -d 10.20.30.41 --dport 80 ! -s 10.0.0.0/24 -j KUBE-MARK-MASQ',
      ],
      [],
    ],
    [
      "can't jump to chain that wasn't created",
      [':KUBE-SERVICES - [0:0]', '-A KUBE-SERVICES -m comment --comment "x" -j KUBE-SVC-XPGD46QRK7WJZT7O'],
      ['some chains in nat are used but were not created: KUBE-SVC-XPGD46QRK7WJZT7O'],
    ],
    [
      "can't jump to chain that has no rules",
      [':KUBE-SERVICES - [0:0]', ':KUBE-SVC-XPGD46QRK7WJZT7O - [0:0]', '-A KUBE-SERVICES -m comment --comment "x" -j KUBE-SVC-XPGD46QRK7WJZT7O'],
      ['some chains in nat are jumped to but have no rules: KUBE-SVC-XPGD46QRK7WJZT7O'],
    ],
    [
      "can't create chain and then not use it",
      [':KUBE-MARK-MASQ - [0:0]', ':KUBE-SERVICES - [0:0]', ':KUBE-SVC-XPGD46QRK7WJZT7O - [0:0]', '-A KUBE-SERVICES -m comment --comment "x"'],
      ['some chains in nat are created but not used: KUBE-SVC-XPGD46QRK7WJZT7O'],
    ],
  ])('%s', (_name, nat, problems) => {
    expect(checkRuleJumps(wrap(nat))).toEqual(problems);
  });
});
