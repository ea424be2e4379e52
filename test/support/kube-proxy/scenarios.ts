/**
 * Golden scenarios: one per feature of the rule layout. Each is a render
 * request (configuration, node, objects) built with the small helpers, the
 * expected restore text in `fixtures/kube-proxy/scenarios/<name>.rules`, the
 * same request as JSON in `<name>.json` (for the REST endpoint and the kernel
 * suite), and, where upstream has them, upstream's packet-flow expectations
 * (`flows`), kept as data for the netfilter engine to run.
 *
 * Unless a scenario says otherwise it uses upstream's fake node and proxier
 * settings (reference §17.1): node test-node 192.168.0.2, pod CIDR
 * 10.0.0.0/8, mark 0x4000, no --random-fully, nfacct counters present.
 */
import {
  DEFAULT_EMULATION,
  UPSTREAM_TEST_EMULATION,
  type KubeProxyConfiguration,
  type ProxierEmulation,
} from '../../../src/kube-proxy/config';
import type { Endpoint, EndpointPort, EndpointSlice, IpFamily, NodeInfo, Protocol, Service } from '../../../src/kube-proxy/types';
import {
  makeEndpointSlice,
  makeService,
  TEST_EXTERNAL_CLIENT,
  TEST_EXTERNAL_CLIENT_BLOCKED,
  TEST_NODE_IP,
  TEST_NODE_IP_ALT,
  TEST_NODE_NAME,
  UPSTREAM_TEST_CONFIG,
  UPSTREAM_TEST_NODE,
} from './builders';

/** One packet and what kube-proxy's rules do with it (upstream `packetFlowTest`, reference §17.2). */
export interface PacketFlow {
  name: string;
  sourceIP: string;
  /** Default TCP. */
  protocol?: Protocol;
  destIP: string;
  destPort: number;
  /** DNAT targets ("ip:port, ip:port" meaning any of them), ACCEPT/DROP/REJECT, or "" for no match. */
  output: string;
  masq: boolean;
}

export interface RenderScenario {
  name: string;
  description: string;
  /** The upstream test this reproduces, if any. */
  upstream?: string;
  request: {
    config: KubeProxyConfiguration;
    node: NodeInfo;
    family: IpFamily;
    emulation: Partial<ProxierEmulation>;
    objects: (Service | EndpointSlice)[];
  };
  flows: PacketFlow[];
}

const POD = '10.0.0.2';

function scenario(
  name: string,
  description: string,
  objects: (Service | EndpointSlice)[],
  opts: {
    upstream?: string;
    config?: KubeProxyConfiguration;
    node?: NodeInfo;
    family?: IpFamily;
    emulation?: Partial<ProxierEmulation>;
    flows?: PacketFlow[];
  } = {},
): RenderScenario {
  return {
    name,
    description,
    ...(opts.upstream ? { upstream: opts.upstream } : {}),
    request: {
      config: { ...UPSTREAM_TEST_CONFIG, ...(opts.config ?? {}) },
      node: opts.node ?? { ...UPSTREAM_TEST_NODE },
      family: opts.family ?? 'IPv4',
      emulation: { ...(opts.emulation ?? UPSTREAM_TEST_EMULATION) },
      objects,
    },
    flows: opts.flows ?? [],
  };
}

function flow(name: string, sourceIP: string, destIP: string, destPort: number, output: string, masq = false, protocol?: Protocol): PacketFlow {
  return { name, sourceIP, ...(protocol ? { protocol } : {}), destIP, destPort, output, masq };
}

function slice(ns: string, svc: string, endpoints: Endpoint[], ports: EndpointPort[], edit?: (s: EndpointSlice) => void): EndpointSlice {
  return makeEndpointSlice(ns, svc, 1, (e) => {
    e.endpoints = endpoints;
    e.ports = ports;
    edit?.(e);
  });
}

const p80: EndpointPort[] = [{ name: 'p80', port: 80, protocol: 'TCP' }];
const unnamed80: EndpointPort[] = [{ name: '', port: 80, protocol: 'TCP' }];
const ep = (ip: string, nodeName?: string, conditions?: Endpoint['conditions']): Endpoint => ({
  addresses: [ip],
  ...(nodeName ? { nodeName } : {}),
  ...(conditions ? { conditions } : {}),
});
const ready = { ready: true, serving: true, terminating: false };
const servingTerminating = { ready: false, serving: true, terminating: true };
const notServing = { ready: false, serving: false, terminating: true };

// ---------------------------------------------------------------------------

function clusterIPGeneral(): RenderScenario {
  return scenario(
    'cluster-ip-general',
    'ClusterIP Services: one endpoint, several endpoints, a targetPort, TCP/UDP/SCTP on the same port, hairpin.',
    [
      makeService('ns1', 'svc1', (s) => {
        s.spec.clusterIP = '172.30.0.41';
        s.spec.ports = [{ name: 'http', port: 80, protocol: 'TCP' }];
      }),
      makeService('ns2', 'svc2', (s) => {
        s.spec.clusterIP = '172.30.0.42';
        s.spec.ports = [
          { name: 'http', port: 80, protocol: 'TCP' },
          { name: 'https', port: 443, protocol: 'TCP', targetPort: 8443 },
          { name: 'dns-udp', port: 53, protocol: 'UDP' },
          { name: 'dns-tcp', port: 53, protocol: 'TCP', targetPort: 5353 },
          { name: 'dns-sctp', port: 53, protocol: 'SCTP' },
        ];
      }),
      slice('ns1', 'svc1', [ep('10.180.0.1', TEST_NODE_NAME)], [{ name: 'http', port: 80, protocol: 'TCP' }]),
      slice(
        'ns2',
        'svc2',
        [ep('10.180.0.1', TEST_NODE_NAME), ep('10.180.2.1', 'node2')],
        [
          { name: 'http', port: 80, protocol: 'TCP' },
          { name: 'https', port: 8443, protocol: 'TCP' },
          { name: 'dns-udp', port: 53, protocol: 'UDP' },
          { name: 'dns-tcp', port: 5353, protocol: 'TCP' },
          { name: 'dns-sctp', port: 53, protocol: 'SCTP' },
        ],
      ),
    ],
    {
      upstream: 'TestClusterIPGeneral',
      flows: [
        flow('simple clusterIP', '10.180.0.2', '172.30.0.41', 80, '10.180.0.1:80'),
        flow('hairpin to cluster IP', '10.180.0.1', '172.30.0.41', 80, '10.180.0.1:80', true),
        flow('clusterIP with multiple endpoints', '10.180.0.2', '172.30.0.42', 80, '10.180.0.1:80, 10.180.2.1:80'),
        flow('clusterIP with TargetPort', '10.180.0.2', '172.30.0.42', 443, '10.180.0.1:8443, 10.180.2.1:8443'),
        flow('clusterIP with TCP, UDP, and SCTP on same port (TCP)', '10.180.0.2', '172.30.0.42', 53, '10.180.0.1:5353, 10.180.2.1:5353', false, 'TCP'),
        flow('clusterIP with TCP, UDP, and SCTP on same port (UDP)', '10.180.0.2', '172.30.0.42', 53, '10.180.0.1:53, 10.180.2.1:53', false, 'UDP'),
        flow('clusterIP with TCP, UDP, and SCTP on same port (SCTP)', '10.180.0.2', '172.30.0.42', 53, '10.180.0.1:53, 10.180.2.1:53', false, 'SCTP'),
        flow('TCP-only port does not match UDP traffic', '10.180.0.2', '172.30.0.42', 80, '', false, 'UDP'),
        flow("svc1 does not accept svc2's ports", '10.180.0.2', '172.30.0.41', 443, ''),
      ],
    },
  );
}

function noEndpointsReject(): RenderScenario {
  return scenario(
    'no-endpoints-reject',
    'A LoadBalancer Service with an external IP and no endpoints: REJECT in filter for every entry point, no nat chains.',
    [
      makeService('ns1', 'svc1', (s) => {
        s.spec.type = 'LoadBalancer';
        s.spec.clusterIP = '172.30.0.41';
        s.spec.externalIPs = ['192.168.99.11'];
        s.spec.ports = [{ name: 'p80', protocol: 'TCP', port: 80, nodePort: 3001 }];
        s.status = { loadBalancer: { ingress: [{ ip: '1.2.3.4' }] } };
      }),
    ],
    {
      upstream: 'TestNoEndpointsReject',
      flows: [
        flow('pod to cluster IP with no endpoints', POD, '172.30.0.41', 80, 'REJECT'),
        flow('external to external IP with no endpoints', TEST_EXTERNAL_CLIENT, '192.168.99.11', 80, 'REJECT'),
        flow('pod to NodePort with no endpoints', POD, TEST_NODE_IP, 3001, 'REJECT'),
        flow('external to NodePort with no endpoints', TEST_EXTERNAL_CLIENT, TEST_NODE_IP, 3001, 'REJECT'),
        flow('pod to LoadBalancer IP with no endpoints', POD, '1.2.3.4', 80, 'REJECT'),
        flow('external to LoadBalancer IP with no endpoints', TEST_EXTERNAL_CLIENT, '1.2.3.4', 80, 'REJECT'),
      ],
    },
  );
}

function loadBalancerSourceRanges(): RenderScenario {
  const out = '10.180.0.1:80';
  return scenario(
    'load-balancer-source-ranges',
    'Two LB IPs with loadBalancerSourceRanges: KUBE-FW, the node-IP range letting the VIPs in as sources, the KUBE-PROXY-FIREWALL drop; NodePorts bypass the ranges.',
    [
      makeService('ns1', 'svc1', (s) => {
        s.spec.type = 'LoadBalancer';
        s.spec.clusterIP = '172.30.0.41';
        s.spec.ports = [{ name: 'p80', port: 80, protocol: 'TCP', nodePort: 3001 }];
        s.status = { loadBalancer: { ingress: [{ ip: '1.2.3.4' }, { ip: '5.6.7.8' }] } };
        s.spec.loadBalancerSourceRanges = ['192.168.0.0/24', ' 203.0.113.0/25'];
      }),
      slice('ns1', 'svc1', [ep('10.180.0.1')], p80),
    ],
    {
      upstream: 'TestLoadBalancer',
      flows: [
        flow('pod to cluster IP', POD, '172.30.0.41', 80, out),
        flow('external to nodePort', TEST_EXTERNAL_CLIENT, TEST_NODE_IP, 3001, out, true),
        flow('nodePort bypasses LoadBalancerSourceRanges', TEST_EXTERNAL_CLIENT_BLOCKED, TEST_NODE_IP, 3001, out, true),
        flow('accepted external to LB1', TEST_EXTERNAL_CLIENT, '1.2.3.4', 80, out, true),
        flow('accepted external to LB2', TEST_EXTERNAL_CLIENT, '5.6.7.8', 80, out, true),
        flow('blocked external to LB1', TEST_EXTERNAL_CLIENT_BLOCKED, '1.2.3.4', 80, 'DROP'),
        flow('blocked external to LB2', TEST_EXTERNAL_CLIENT_BLOCKED, '5.6.7.8', 80, 'DROP'),
        flow('pod to LB1 (blocked by LoadBalancerSourceRanges)', POD, '1.2.3.4', 80, 'DROP'),
        flow('pod to LB2 (blocked by LoadBalancerSourceRanges)', POD, '5.6.7.8', 80, 'DROP'),
        flow('node to LB1 (allowed by LoadBalancerSourceRanges)', TEST_NODE_IP, '1.2.3.4', 80, out, true),
        flow('node to LB2 (allowed by LoadBalancerSourceRanges)', TEST_NODE_IP, '5.6.7.8', 80, out, true),
        flow('same node to LB1, SNATted to LB1 (implicitly allowed)', '1.2.3.4', '1.2.3.4', 80, out, true),
        flow('same node to LB2, SNATted to LB2 (implicitly allowed)', '5.6.7.8', '5.6.7.8', 80, out, true),
      ],
    },
  );
}

function nodePorts(
  name: string,
  description: string,
  family: IpFamily,
  localhostNodePorts: boolean,
  nodePortAddresses: string[] | null,
  allowAltNodeIP: boolean,
): RenderScenario {
  const v4 = family === 'IPv4';
  const svcIP = v4 ? '172.30.0.41' : 'fd00:172:30::41';
  const ep1 = v4 ? '10.180.0.1' : 'fd00:10:180::1';
  const ep2 = v4 ? '10.180.2.1' : 'fd00:10:180::2:1';
  const join = (ip: string) => (v4 ? `${ip}:80` : `[${ip}]:80`);
  const output = `${join(ep1)}, ${join(ep2)}`;
  const pod = v4 ? POD : 'fd00:10::2';
  const external = v4 ? TEST_EXTERNAL_CLIENT : '2600:5200::1';
  const nodeIP = v4 ? TEST_NODE_IP : '2001:db8::1';
  const altNodeIP = v4 ? TEST_NODE_IP_ALT : '2001:db8:1::2';
  const localhost = v4 ? '127.0.0.1' : '::1';
  const flows = [
    flow('pod to cluster IP', pod, svcIP, 80, output),
    flow('external to nodePort', external, nodeIP, 3001, output, true),
    flow('node to nodePort', nodeIP, nodeIP, 3001, output, true),
    v4 && localhostNodePorts
      ? flow('localhost to nodePort gets masqueraded', localhost, localhost, 3001, output, true)
      : flow('localhost to nodePort is ignored', localhost, localhost, 3001, ''),
    allowAltNodeIP
      ? flow('external to nodePort on secondary IP', external, altNodeIP, 3001, output, true)
      : flow('secondary nodeIP ignores NodePorts', external, altNodeIP, 3001, ''),
  ];
  return scenario(
    name,
    description,
    [
      makeService('ns1', 'svc1', (s) => {
        s.spec.type = 'NodePort';
        s.spec.clusterIP = svcIP;
        s.spec.ports = [{ name: 'p80', port: 80, protocol: 'TCP', nodePort: 3001 }];
      }),
      slice('ns1', 'svc1', [ep(ep1), ep(ep2, TEST_NODE_NAME)], p80, (e) => (e.addressType = family)),
    ],
    {
      upstream: 'TestNodePorts',
      family,
      config: { nodePortAddresses, iptables: { localhostNodePorts } },
      flows,
    },
  );
}

function healthCheckNodePort(): RenderScenario {
  return scenario(
    'health-check-node-port',
    'eTP=Local LoadBalancer without endpoints: its healthCheckNodePort is accepted in filter KUBE-NODEPORTS; nodePortAddresses 127.0.0.0/8.',
    [
      makeService('ns1', 'svc1', (s) => {
        s.spec.type = 'LoadBalancer';
        s.spec.clusterIP = '172.30.0.42';
        s.spec.ports = [{ name: 'p80', port: 80, protocol: 'TCP', nodePort: 3001 }];
        s.spec.healthCheckNodePort = 30000;
        s.spec.externalTrafficPolicy = 'Local';
      }),
    ],
    {
      upstream: 'TestHealthCheckNodePort',
      config: { nodePortAddresses: ['127.0.0.0/8'] },
      flows: [flow('firewall accepts HealthCheckNodePort', '1.2.3.4', TEST_NODE_IP, 30000, 'ACCEPT')],
    },
  );
}

function externalTrafficPolicy(local: boolean): RenderScenario {
  const both = '10.180.0.1:80, 10.180.2.1:80';
  const onlyLocal = '10.180.2.1:80';
  return scenario(
    local ? 'external-traffic-policy-local' : 'external-traffic-policy-cluster',
    local
      ? 'eTP=Local: external traffic reaches only the local endpoint unmasqueraded; pods and the node short-circuit to every endpoint.'
      : 'eTP=Cluster: every external entry point masquerades and reaches every endpoint.',
    [
      makeService('ns1', 'svc1', (s) => {
        s.spec.type = 'LoadBalancer';
        s.spec.externalTrafficPolicy = local ? 'Local' : 'Cluster';
        s.spec.clusterIP = '172.30.0.41';
        s.spec.externalIPs = ['192.168.99.11'];
        s.spec.ports = [{ name: 'p80', port: 80, protocol: 'TCP', nodePort: 3001, targetPort: 80 }];
        if (local) s.spec.healthCheckNodePort = 30000;
        s.status = { loadBalancer: { ingress: [{ ip: '1.2.3.4' }] } };
      }),
      slice('ns1', 'svc1', [ep('10.180.0.1'), ep('10.180.2.1', TEST_NODE_NAME)], p80),
    ],
    {
      upstream: local ? 'TestExternalTrafficPolicyLocal' : 'TestExternalTrafficPolicyCluster',
      flows: local
        ? [
            flow('pod to cluster IP hits both endpoints, unmasqueraded', POD, '172.30.0.41', 80, both),
            flow('pod to external IP hits both endpoints, unmasqueraded', POD, '192.168.99.11', 80, both),
            flow('external to external IP hits only local endpoint, unmasqueraded', TEST_EXTERNAL_CLIENT, '192.168.99.11', 80, onlyLocal),
            flow('pod to LB IP hits only both endpoints, unmasqueraded', POD, '1.2.3.4', 80, both),
            flow('external to LB IP hits only local endpoint, unmasqueraded', TEST_EXTERNAL_CLIENT, '1.2.3.4', 80, onlyLocal),
            flow('pod to NodePort hits both endpoints, unmasqueraded', POD, TEST_NODE_IP, 3001, both),
            flow('external to NodePort hits only local endpoint, unmasqueraded', TEST_EXTERNAL_CLIENT, TEST_NODE_IP, 3001, onlyLocal),
          ]
        : [
            flow('pod to cluster IP hits both endpoints, unmasqueraded', POD, '172.30.0.41', 80, both),
            flow('pod to external IP hits both endpoints, masqueraded', POD, '192.168.99.11', 80, both, true),
            flow('external to external IP hits both endpoints, masqueraded', TEST_EXTERNAL_CLIENT, '192.168.99.11', 80, both, true),
            flow('pod to LB IP hits both endpoints, masqueraded', POD, '1.2.3.4', 80, both, true),
            flow('external to LB IP hits both endpoints, masqueraded', TEST_EXTERNAL_CLIENT, '1.2.3.4', 80, both, true),
            flow('pod to NodePort hits both endpoints, masqueraded', POD, TEST_NODE_IP, 3001, both, true),
            flow('external to NodePort hits both endpoints, masqueraded', TEST_EXTERNAL_CLIENT, TEST_NODE_IP, 3001, both, true),
          ],
    },
  );
}

function internalTrafficPolicy(name: string, policy: 'Cluster' | 'Local', nodes: string[], output: string): RenderScenario {
  return scenario(
    `internal-traffic-policy-${name}`,
    `iTP=${policy} with endpoints on ${nodes.join(', ')}.`,
    [
      makeService('ns1', 'svc1', (s) => {
        s.spec.clusterIP = '172.30.1.1';
        s.spec.selector = { foo: 'bar' };
        s.spec.ports = [{ name: '', port: 80, protocol: 'TCP' }];
        s.spec.internalTrafficPolicy = policy;
      }),
      slice(
        'ns1',
        'svc1',
        nodes.map((n, i) => ep(`10.0.1.${i + 1}`, n, { ready: true })),
        unnamed80,
      ),
    ],
    { upstream: 'TestInternalTrafficPolicy', flows: [flow('pod to ClusterIP', POD, '172.30.1.1', 80, output)] },
  );
}

function terminating(policy: 'Local' | 'Cluster', name: string, endpoints: Endpoint[], flows: PacketFlow[]): RenderScenario {
  return scenario(
    `terminating-${policy.toLowerCase()}-${name}`,
    `eTP=${policy} LoadBalancer (no NodePort): ${name.replace(/-/g, ' ')}. Serving-terminating endpoints are used only when no ready ones exist.`,
    [
      makeService('ns1', 'svc1', (s) => {
        s.spec.clusterIP = '172.30.1.1';
        s.spec.type = 'LoadBalancer';
        s.spec.externalTrafficPolicy = policy;
        s.spec.ports = [{ name: '', targetPort: 80, port: 80, protocol: 'TCP' }];
        s.spec.healthCheckNodePort = 30000;
        s.status = { loadBalancer: { ingress: [{ ip: '1.2.3.4' }] } };
      }),
      slice('ns1', 'svc1', endpoints, unnamed80),
    ],
    { upstream: `TestTerminatingEndpointsTrafficPolicy${policy}`, flows },
  );
}

function terminatingScenarios(): RenderScenario[] {
  return [
    terminating(
      'Local',
      'ready-endpoints-exist',
      [
        ep('10.0.1.1', TEST_NODE_NAME, ready),
        ep('10.0.1.2', TEST_NODE_NAME, ready),
        ep('10.0.1.3', TEST_NODE_NAME, servingTerminating),
        ep('10.0.1.4', TEST_NODE_NAME, notServing),
        ep('10.0.1.5', 'node-1', ready),
      ],
      [
        flow('pod to clusterIP', POD, '172.30.1.1', 80, '10.0.1.1:80, 10.0.1.2:80, 10.0.1.5:80'),
        flow('external to LB', TEST_EXTERNAL_CLIENT, '1.2.3.4', 80, '10.0.1.1:80, 10.0.1.2:80'),
      ],
    ),
    terminating(
      'Local',
      'only-terminating-endpoints-exist',
      [
        ep('10.0.1.2', TEST_NODE_NAME, servingTerminating),
        ep('10.0.1.3', TEST_NODE_NAME, servingTerminating),
        ep('10.0.1.4', TEST_NODE_NAME, notServing),
        ep('10.0.1.5', 'node-1', ready),
      ],
      [
        flow('pod to clusterIP', POD, '172.30.1.1', 80, '10.0.1.5:80'),
        flow('external to LB', TEST_EXTERNAL_CLIENT, '1.2.3.4', 80, '10.0.1.2:80, 10.0.1.3:80'),
      ],
    ),
    terminating(
      'Local',
      'terminating-endpoints-on-remote-node',
      [ep('10.0.1.5', 'node-1', servingTerminating)],
      [
        flow('pod to clusterIP', POD, '172.30.1.1', 80, '10.0.1.5:80'),
        flow('external to LB, no locally-usable endpoints', TEST_EXTERNAL_CLIENT, '1.2.3.4', 80, 'DROP'),
      ],
    ),
    terminating(
      'Local',
      'no-usable-endpoints-on-any-node',
      [ep('10.0.1.5', TEST_NODE_NAME, notServing), ep('10.0.1.5', 'node-1', notServing)],
      [
        flow('pod to clusterIP, no usable endpoints', POD, '172.30.1.1', 80, 'REJECT'),
        flow('external to LB, no usable endpoints', TEST_EXTERNAL_CLIENT, '1.2.3.4', 80, 'REJECT'),
      ],
    ),
    terminating(
      'Cluster',
      'ready-endpoints-exist',
      [
        ep('10.0.1.1', TEST_NODE_NAME, ready),
        ep('10.0.1.2', TEST_NODE_NAME, ready),
        ep('10.0.1.3', 'another-node', servingTerminating),
        ep('10.0.1.4', 'another-node', notServing),
        ep('10.0.1.5', 'another-node', ready),
      ],
      [
        flow('pod to clusterIP', POD, '172.30.1.1', 80, '10.0.1.1:80, 10.0.1.2:80, 10.0.1.5:80'),
        flow('external to LB', TEST_EXTERNAL_CLIENT, '1.2.3.4', 80, '10.0.1.1:80, 10.0.1.2:80, 10.0.1.5:80', true),
      ],
    ),
    terminating(
      'Cluster',
      'only-terminating-endpoints-exist',
      [
        ep('10.0.1.2', TEST_NODE_NAME, servingTerminating),
        ep('10.0.1.3', TEST_NODE_NAME, servingTerminating),
        ep('10.0.1.4', 'another-node', notServing),
        ep('10.0.1.5', 'another-node', servingTerminating),
      ],
      [
        flow('pod to clusterIP', POD, '172.30.1.1', 80, '10.0.1.2:80, 10.0.1.3:80, 10.0.1.5:80'),
        flow('external to LB', TEST_EXTERNAL_CLIENT, '1.2.3.4', 80, '10.0.1.2:80, 10.0.1.3:80, 10.0.1.5:80', true),
      ],
    ),
    terminating(
      'Cluster',
      'terminating-endpoints-on-remote-node',
      [ep('10.0.1.5', 'node-1', servingTerminating)],
      [
        flow('pod to clusterIP', POD, '172.30.1.1', 80, '10.0.1.5:80'),
        flow('external to LB', TEST_EXTERNAL_CLIENT, '1.2.3.4', 80, '10.0.1.5:80', true),
      ],
    ),
    terminating(
      'Cluster',
      'no-usable-endpoints-on-any-node',
      [ep('10.0.1.5', TEST_NODE_NAME, notServing), ep('10.0.1.5', 'node-1', notServing)],
      [
        flow('pod to clusterIP', POD, '172.30.1.1', 80, 'REJECT'),
        flow('external to LB', TEST_EXTERNAL_CLIENT, '1.2.3.4', 80, 'REJECT'),
      ],
    ),
  ];
}

/** TestInternalExternalMasquerade: three LoadBalancers (plain, eTP=Local, iTP=Local) under four masquerade settings. */
function masquerade(name: string, masqueradeAll: boolean, localDetector: boolean): RenderScenario {
  const all1 = '10.180.0.1:80, 10.180.1.1:80';
  const all2 = '10.180.0.2:80, 10.180.1.2:80';
  const all3 = '10.180.0.3:80, 10.180.1.3:80';
  const base: PacketFlow[] = [
    flow('pod to ClusterIP', POD, '172.30.0.41', 80, all1),
    flow('pod to NodePort', POD, TEST_NODE_IP, 3001, all1, true),
    flow('pod to LB', POD, '1.2.3.4', 80, all1, true),
    flow('node to ClusterIP', TEST_NODE_IP, '172.30.0.41', 80, all1, true),
    flow('node to NodePort', TEST_NODE_IP, TEST_NODE_IP, 3001, all1, true),
    flow('localhost to NodePort', '127.0.0.1', '127.0.0.1', 3001, all1, true),
    flow('node to LB', TEST_NODE_IP, '1.2.3.4', 80, all1, true),
    flow('external to ClusterIP', TEST_EXTERNAL_CLIENT, '172.30.0.41', 80, all1, true),
    flow('external to NodePort', TEST_EXTERNAL_CLIENT, TEST_NODE_IP, 3001, all1, true),
    flow('external to LB', TEST_EXTERNAL_CLIENT, '1.2.3.4', 80, all1, true),
    flow('pod to ClusterIP with eTP:Local', POD, '172.30.0.42', 80, all2),
    flow('pod to NodePort with eTP:Local', POD, TEST_NODE_IP, 3002, all2),
    flow('pod to LB with eTP:Local', POD, '5.6.7.8', 80, all2),
    flow('node to ClusterIP with eTP:Local', TEST_NODE_IP, '172.30.0.42', 80, all2, true),
    flow('node to NodePort with eTP:Local', TEST_NODE_IP, TEST_NODE_IP, 3001, all1, true),
    flow('localhost to NodePort with eTP:Local', '127.0.0.1', '127.0.0.1', 3002, all2, true),
    flow('node to LB with eTP:Local', TEST_NODE_IP, '5.6.7.8', 80, all2, true),
    flow('external to ClusterIP with eTP:Local', TEST_EXTERNAL_CLIENT, '172.30.0.42', 80, all2, true),
    flow('external to NodePort with eTP:Local', TEST_EXTERNAL_CLIENT, TEST_NODE_IP, 3002, '10.180.0.2:80'),
    flow('external to LB with eTP:Local', TEST_EXTERNAL_CLIENT, '5.6.7.8', 80, '10.180.0.2:80'),
    flow('pod to ClusterIP with iTP:Local', POD, '172.30.0.43', 80, '10.180.0.3:80'),
    flow('pod to NodePort with iTP:Local', POD, TEST_NODE_IP, 3003, all3, true),
    flow('pod to LB with iTP:Local', POD, '9.10.11.12', 80, all3, true),
    flow('node to ClusterIP with iTP:Local', TEST_NODE_IP, '172.30.0.43', 80, '10.180.0.3:80', true),
    flow('node to NodePort with iTP:Local', TEST_NODE_IP, TEST_NODE_IP, 3003, all3, true),
    flow('localhost to NodePort with iTP:Local', '127.0.0.1', '127.0.0.1', 3003, all3, true),
    flow('node to LB with iTP:Local', TEST_NODE_IP, '9.10.11.12', 80, all3, true),
    flow('external to ClusterIP with iTP:Local', TEST_EXTERNAL_CLIENT, '172.30.0.43', 80, '10.180.0.3:80', true),
    flow('external to NodePort with iTP:Local', TEST_EXTERNAL_CLIENT, TEST_NODE_IP, 3003, all3, true),
    flow('external to LB with iTP:Local', TEST_EXTERNAL_CLIENT, '9.10.11.12', 80, all3, true),
  ];
  const overrides: Record<string, Partial<PacketFlow>> = {};
  if (!localDetector) {
    // Without a detector all ClusterIP traffic counts as pod traffic, and there is no eTP short-circuit.
    for (const n of ['node to ClusterIP', 'node to ClusterIP with eTP:Local', 'node to ClusterIP with iTP:Local', 'external to ClusterIP', 'external to ClusterIP with eTP:Local', 'external to ClusterIP with iTP:Local']) {
      overrides[n] = { masq: false };
    }
    overrides['pod to NodePort with eTP:Local'] = { output: '10.180.0.2:80' };
    overrides['pod to LB with eTP:Local'] = { output: '10.180.0.2:80' };
  }
  if (masqueradeAll) {
    // --masquerade-all marks all ClusterIP traffic, whatever its source: the
    // no-detector masq:false overrides do not apply (upstream's
    // "masqueradeAll, no localDetector" case keeps the base expectations).
    for (const n of ['pod to ClusterIP', 'pod to ClusterIP with eTP:Local', 'pod to ClusterIP with iTP:Local']) {
      overrides[n] = { ...(overrides[n] ?? {}), masq: true };
    }
    for (const n of ['node to ClusterIP', 'node to ClusterIP with eTP:Local', 'node to ClusterIP with iTP:Local', 'external to ClusterIP', 'external to ClusterIP with eTP:Local', 'external to ClusterIP with iTP:Local']) {
      overrides[n] = { ...(overrides[n] ?? {}), masq: true };
    }
  }
  const flows = base.map((f) => ({ ...f, ...(overrides[f.name] ?? {}) }));
  const lb = (ns: string, svcName: string, ip: string, nodePort: number, hc: number, lbIP: string, edit: (s: Service) => void) =>
    makeService(ns, svcName, (s) => {
      s.spec.type = 'LoadBalancer';
      s.spec.clusterIP = ip;
      s.spec.ports = [{ name: 'p80', port: 80, protocol: 'TCP', nodePort }];
      s.spec.healthCheckNodePort = hc;
      s.status = { loadBalancer: { ingress: [{ ip: lbIP }] } };
      edit(s);
    });
  return scenario(
    `masquerade-${name}`,
    `Masquerading of ClusterIP, NodePort and LB traffic (masqueradeAll=${masqueradeAll}, local-traffic detector ${localDetector ? 'ClusterCIDR 10.0.0.0/8' : 'none'}).`,
    [
      lb('ns1', 'svc1', '172.30.0.41', 3001, 30001, '1.2.3.4', () => undefined),
      lb('ns2', 'svc2', '172.30.0.42', 3002, 30002, '5.6.7.8', (s) => (s.spec.externalTrafficPolicy = 'Local')),
      lb('ns3', 'svc3', '172.30.0.43', 3003, 30003, '9.10.11.12', (s) => (s.spec.internalTrafficPolicy = 'Local')),
      slice('ns1', 'svc1', [ep('10.180.0.1', TEST_NODE_NAME), ep('10.180.1.1', 'remote')], p80),
      slice('ns2', 'svc2', [ep('10.180.0.2', TEST_NODE_NAME), ep('10.180.1.2', 'remote')], p80),
      slice('ns3', 'svc3', [ep('10.180.0.3', TEST_NODE_NAME), ep('10.180.1.3', 'remote')], p80),
    ],
    {
      upstream: 'TestInternalExternalMasquerade',
      // No detector: a configuration without a cluster CIDR gives upstream's no-op detector.
      config: { clusterCIDR: localDetector ? UPSTREAM_TEST_CONFIG.clusterCIDR : '', iptables: { masqueradeAll } },
      flows,
    },
  );
}

function sessionAffinity(): RenderScenario {
  return scenario(
    'session-affinity',
    'ClientIP session affinity with three endpoints: recent --rcheck rules before the probabilities, recent --set in each SEP.',
    [
      makeService('ns1', 'svc1', (s) => {
        s.spec.clusterIP = '172.30.0.41';
        s.spec.ports = [{ name: 'p80', port: 80, protocol: 'TCP' }];
        s.spec.sessionAffinity = 'ClientIP';
        s.spec.sessionAffinityConfig = { clientIP: { timeoutSeconds: 300 } };
      }),
      slice('ns1', 'svc1', [ep('10.180.0.1'), ep('10.180.0.11'), ep('10.180.0.2')], p80),
    ],
    { flows: [flow('pod to cluster IP', POD, '172.30.0.41', 80, '10.180.0.11:80, 10.180.0.1:80, 10.180.0.2:80')] },
  );
}

function loadBalancerIPMode(): RenderScenario {
  const lb = (name: string, ip: string, lbIP: string, ipMode?: 'VIP' | 'Proxy') =>
    makeService('ns1', name, (s) => {
      s.spec.type = 'LoadBalancer';
      s.spec.clusterIP = ip;
      s.spec.ports = [{ name: 'p80', port: 80, protocol: 'TCP', nodePort: 3001 + Number(ip.slice(-1)) }];
      s.status = { loadBalancer: { ingress: [{ ip: lbIP, ...(ipMode ? { ipMode } : {}) }, { hostname: 'lb.example.com' }] } };
    });
  return scenario(
    'load-balancer-ip-mode',
    'LB ingress ipMode: Proxy gets no rules for its IP, VIP and unset do; hostname-only ingress is ignored.',
    [
      lb('proxy', '10.20.30.41', '1.2.3.4', 'Proxy'),
      lb('vip', '10.20.30.42', '1.2.3.5', 'VIP'),
      lb('unset', '10.20.30.43', '1.2.3.6'),
      slice('ns1', 'proxy', [ep('10.180.0.1')], p80),
      slice('ns1', 'vip', [ep('10.180.0.2')], p80),
      slice('ns1', 'unset', [ep('10.180.0.3')], p80),
    ],
    { upstream: 'TestLoadBalancerIngressRouteTypeProxy' },
  );
}

function externalIPs(): RenderScenario {
  return scenario(
    'external-ips',
    'externalIPs on ClusterIP Services: through KUBE-EXT; eTP=Local with a local endpoint goes to KUBE-SVL.',
    [
      makeService('ns1', 'cluster', (s) => {
        s.spec.type = 'ClusterIP';
        s.spec.clusterIP = '172.30.0.41';
        s.spec.externalIPs = ['192.168.99.33', '192.168.99.34'];
        s.spec.ports = [{ name: 'http', port: 80, protocol: 'TCP' }];
      }),
      makeService('ns1', 'local', (s) => {
        s.spec.type = 'ClusterIP';
        s.spec.clusterIP = '172.30.0.42';
        s.spec.externalIPs = ['192.168.99.35'];
        s.spec.externalTrafficPolicy = 'Local';
        s.spec.ports = [{ name: 'http', port: 80, protocol: 'TCP' }];
      }),
      slice('ns1', 'cluster', [ep('10.180.0.1'), ep('10.180.0.2')], [{ name: 'http', port: 8080, protocol: 'TCP' }]),
      slice('ns1', 'local', [ep('10.180.0.3', TEST_NODE_NAME), ep('10.180.0.4', 'node2')], [{ name: 'http', port: 8080, protocol: 'TCP' }]),
    ],
    {
      flows: [
        flow('external to external IP', TEST_EXTERNAL_CLIENT, '192.168.99.33', 80, '10.180.0.1:8080, 10.180.0.2:8080', true),
        flow('external to eTP=Local external IP', TEST_EXTERNAL_CLIENT, '192.168.99.35', 80, '10.180.0.3:8080'),
        flow('pod to eTP=Local external IP', POD, '192.168.99.35', 80, '10.180.0.3:8080, 10.180.0.4:8080'),
      ],
    },
  );
}

function bothPoliciesLocal(): RenderScenario {
  const svc = (name: string, ip: string, nodePort: number) =>
    makeService('ns1', name, (s) => {
      s.spec.type = 'NodePort';
      s.spec.clusterIP = ip;
      s.spec.internalTrafficPolicy = 'Local';
      s.spec.externalTrafficPolicy = 'Local';
      s.spec.ports = [{ name: 'p80', port: 80, protocol: 'TCP', nodePort }];
    });
  return scenario(
    'both-policies-local',
    'iTP=Local and eTP=Local together: with a local endpoint both sides use KUBE-SVL; without one, DROP for the cluster IP and the NodePort, short-circuits kept.',
    [
      svc('with-local', '172.30.0.41', 3001),
      svc('without-local', '172.30.0.42', 3002),
      slice('ns1', 'with-local', [ep('10.180.0.1', TEST_NODE_NAME), ep('10.180.1.1', 'node2')], p80),
      slice('ns1', 'without-local', [ep('10.180.1.2', 'node2')], p80),
    ],
    {
      flows: [
        flow('pod to cluster IP with a local endpoint', POD, '172.30.0.41', 80, '10.180.0.1:80'),
        flow('external to NodePort with a local endpoint', TEST_EXTERNAL_CLIENT, TEST_NODE_IP, 3001, '10.180.0.1:80'),
        flow('pod to cluster IP without a local endpoint', POD, '172.30.0.42', 80, 'DROP'),
        flow('external to NodePort without a local endpoint', TEST_EXTERNAL_CLIENT, TEST_NODE_IP, 3002, 'DROP'),
        flow('pod to NodePort without a local endpoint (short-circuit)', POD, TEST_NODE_IP, 3002, '10.180.1.2:80'),
      ],
    },
  );
}

function detectLocal(name: string, description: string, config: KubeProxyConfiguration, node?: NodeInfo): RenderScenario {
  return scenario(
    `detect-local-${name}`,
    description,
    [
      makeService('ns1', 'svc1', (s) => {
        s.spec.type = 'LoadBalancer';
        s.spec.externalTrafficPolicy = 'Local';
        s.spec.clusterIP = '172.30.0.41';
        s.spec.ports = [{ name: 'p80', port: 80, protocol: 'TCP', nodePort: 3001 }];
        s.spec.healthCheckNodePort = 30001;
        s.status = { loadBalancer: { ingress: [{ ip: '1.2.3.4' }] } };
      }),
      slice('ns1', 'svc1', [ep('10.180.0.1', TEST_NODE_NAME), ep('10.180.1.1', 'node2')], p80),
    ],
    { config, node },
  );
}

function realDefaults(): RenderScenario {
  return scenario(
    'real-defaults',
    'The default emulation of a current node: mark printed as kube-proxy writes it (0x00004000), MASQUERADE --random-fully; the kubernetes Service.',
    [
      makeService('default', 'kubernetes', (s) => {
        s.spec.clusterIP = '10.96.0.1';
        s.spec.ports = [{ name: 'https', port: 443, protocol: 'TCP', targetPort: 6443 }];
      }),
      makeEndpointSlice('default', 'kubernetes', 1, (e) => {
        e.metadata.name = 'kubernetes';
        e.endpoints = [{ addresses: ['192.168.1.5'], conditions: { ready: true } }];
        e.ports = [{ name: 'https', port: 6443, protocol: 'TCP' }];
      }),
      makeService('kube-system', 'kube-dns', (s) => {
        s.spec.clusterIP = '10.96.0.10';
        s.spec.ports = [
          { name: 'dns', port: 53, protocol: 'UDP' },
          { name: 'dns-tcp', port: 53, protocol: 'TCP' },
        ];
      }),
      makeEndpointSlice('kube-system', 'kube-dns', 1, (e) => {
        e.endpoints = [
          { addresses: ['10.244.0.2'], nodeName: 'node-a', conditions: { ready: true } },
          { addresses: ['10.244.1.3'], nodeName: 'node-b', conditions: { ready: true } },
        ];
        e.ports = [
          { name: 'dns', port: 53, protocol: 'UDP' },
          { name: 'dns-tcp', port: 53, protocol: 'TCP' },
        ];
      }),
    ],
    {
      config: { clusterCIDR: '10.244.0.0/16' },
      node: { name: 'node-a', addresses: ['192.168.1.10'] },
      emulation: { ...DEFAULT_EMULATION },
    },
  );
}

function masqueradeBit(): RenderScenario {
  return scenario(
    'masquerade-bit',
    'iptables.masqueradeBit 5: every mark is 0x00000020 (Go %#08x), masqueradeAll on.',
    [
      makeService('ns1', 'svc1', (s) => {
        s.spec.clusterIP = '172.30.0.41';
        s.spec.ports = [{ name: 'p80', port: 80, protocol: 'TCP' }];
      }),
      slice('ns1', 'svc1', [ep('10.180.0.1')], p80),
    ],
    { config: { iptables: { masqueradeBit: 5, masqueradeAll: true } }, emulation: { ...UPSTREAM_TEST_EMULATION, markFormat: 'padded' } },
  );
}

function topologyZone(): RenderScenario {
  const hinted = (ip: string, zone: string, nodeName: string): Endpoint => ({
    addresses: [ip],
    nodeName,
    zone,
    conditions: { ready: true },
    hints: { forZones: [{ name: zone }] },
  });
  return scenario(
    'topology-same-zone',
    'Topology-aware routing: every ready endpoint has a zone hint and one names the node\'s zone, so the cluster chain keeps only that zone\'s endpoints.',
    [
      makeService('ns1', 'svc1', (s) => {
        s.spec.clusterIP = '172.30.0.41';
        s.spec.ports = [{ name: 'p80', port: 80, protocol: 'TCP' }];
      }),
      slice('ns1', 'svc1', [hinted('10.180.0.1', 'zone-a', 'node-a1'), hinted('10.180.0.2', 'zone-a', 'node-a2'), hinted('10.180.1.1', 'zone-b', 'node-b1')], p80),
    ],
    {
      node: { ...UPSTREAM_TEST_NODE, labels: { 'topology.kubernetes.io/zone': 'zone-a' } },
      flows: [flow('pod to cluster IP stays in zone-a', POD, '172.30.0.41', 80, '10.180.0.1:80, 10.180.0.2:80')],
    },
  );
}

function headlessAndExternalName(): RenderScenario {
  return scenario(
    'skipped-services',
    'Headless, ExternalName and IP-less Services get no rules; an EndpointSlice without its Service gets none either.',
    [
      makeService('ns1', 'headless', (s) => {
        s.spec.clusterIP = 'None';
        s.spec.ports = [{ name: 'p80', port: 80, protocol: 'TCP' }];
      }),
      makeService('ns1', 'external-name', (s) => {
        s.spec.type = 'ExternalName';
        s.spec.externalName = 'example.com';
        s.spec.clusterIP = '172.30.0.45';
        s.spec.ports = [{ name: 'p80', port: 80, protocol: 'TCP' }];
      }),
      slice('ns1', 'headless', [ep('10.180.0.1')], p80),
      slice('ns1', 'orphan', [ep('10.180.0.2')], p80),
    ],
  );
}

export function scenarios(): RenderScenario[] {
  return [
    clusterIPGeneral(),
    noEndpointsReject(),
    loadBalancerSourceRanges(),
    nodePorts('node-port-localhost', 'NodePort, IPv4, localhost NodePorts on (the default): KUBE-FIREWALL, nfacct localhost rule, addrtype tail rule.', 'IPv4', true, null, true),
    nodePorts('node-port-no-localhost', 'NodePort, IPv4, iptables.localhostNodePorts false: no KUBE-FIREWALL, tail rule excludes 127.0.0.0/8.', 'IPv4', false, null, true),
    nodePorts('node-port-addresses', 'NodePort with nodePortAddresses 192.168.0.0/24 and 127.0.0.1/32 without localhost NodePorts: one tail rule per node IP, loopback skipped.', 'IPv4', false, ['192.168.0.0/24', '127.0.0.1/32'], false),
    nodePorts('node-port-addresses-multiple', 'NodePort with nodePortAddresses of both families: only this family\'s CIDRs count.', 'IPv4', false, ['192.168.0.0/24', '192.168.1.0/24', '2001:db8::/64'], true),
    nodePorts('node-port-ipv6', 'NodePort on the IPv6 proxier: no KUBE-FIREWALL, tail rule excludes ::1, bracketed DNAT targets.', 'IPv6', true, null, true),
    nodePorts('node-port-ipv6-addresses', 'NodePort on the IPv6 proxier with nodePortAddresses of both families.', 'IPv6', false, ['192.168.0.0/24', '192.168.1.0/24', '2001:db8::/64'], false),
    healthCheckNodePort(),
    externalTrafficPolicy(true),
    externalTrafficPolicy(false),
    internalTrafficPolicy('cluster', 'Cluster', [TEST_NODE_NAME, 'node1', 'node2'], '10.0.1.1:80, 10.0.1.2:80, 10.0.1.3:80'),
    internalTrafficPolicy('local-one-local', 'Local', [TEST_NODE_NAME, 'node1', 'node2'], '10.0.1.1:80'),
    internalTrafficPolicy('local-multiple-local', 'Local', [TEST_NODE_NAME, TEST_NODE_NAME, 'node2'], '10.0.1.1:80, 10.0.1.2:80'),
    internalTrafficPolicy('local-no-local', 'Local', ['node0', 'node1', 'node2'], 'DROP'),
    ...terminatingScenarios(),
    masquerade('base', false, true),
    masquerade('no-detector', false, false),
    masquerade('all', true, true),
    masquerade('all-no-detector', true, false),
    sessionAffinity(),
    loadBalancerIPMode(),
    externalIPs(),
    bothPoliciesLocal(),
    detectLocal('node-cidr', 'detectLocalMode NodeCIDR: the node\'s pod CIDR decides what is local.', { detectLocalMode: 'NodeCIDR', clusterCIDR: '' }, {
      ...UPSTREAM_TEST_NODE,
      podCIDRs: ['10.0.5.0/24'],
    }),
    detectLocal('bridge-interface', 'detectLocalMode BridgeInterface: traffic arriving on cbr0 is local.', {
      detectLocalMode: 'BridgeInterface',
      detectLocal: { bridgeInterface: 'cbr0' },
    }),
    detectLocal('interface-name-prefix', 'detectLocalMode InterfaceNamePrefix: traffic arriving on veth* is local.', {
      detectLocalMode: 'InterfaceNamePrefix',
      detectLocal: { interfaceNamePrefix: 'veth' },
    }),
    realDefaults(),
    masqueradeBit(),
    topologyZone(),
    headlessAndExternalName(),
  ];
}
