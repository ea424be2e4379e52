import { ProbabilityCache } from './chain-names';
import type { EndpointInfo } from './endpoint-slice-cache';
import { detectLocalByCIDR, NO_OP_DETECTOR } from './node-facts';
import { parseIpSloppy } from './ip';
import { compileServicePort, ownChainLines, ownChainRules, type RuleContext } from './service-rules';
import { servicePortsOf } from './service-port';
import { makeService } from '../../test/support/kube-proxy/builders';
import type { Service } from './types';
import { endpointChainName } from './chain-names';

function context(overrides: Partial<RuleContext> = {}): RuleContext {
  return {
    family: 'IPv4',
    masqueradeAll: false,
    detector: detectLocalByCIDR('10.0.0.0/8'),
    localhostNodePorts: true,
    nfacctLocalhostNodePorts: true,
    nodeIp: parseIpSloppy('192.168.0.2'),
    topology: { nodeName: 'test-node', topologyLabels: {}, preferSameTrafficDistribution: true },
    probabilities: new ProbabilityCache(),
    largeClusterMode: false,
    ...overrides,
  };
}

function sp(edit: (s: Service) => void) {
  const svc = makeService('ns1', 'svc1', (s) => {
    s.spec.clusterIP = '172.30.0.41';
    s.spec.ports = [{ name: 'p80', port: 80, protocol: 'TCP' }];
    edit(s);
  });
  return [...servicePortsOf(svc, 'IPv4').values()][0];
}

function eps(...ips: string[]): EndpointInfo[] {
  return ips.map((ip) => ({
    ip,
    port: 80,
    endpoint: `${ip}:80`,
    isLocal: false,
    ready: true,
    serving: true,
    terminating: false,
    nodeName: '',
    zone: '',
    chainName: endpointChainName('ns1/svc1:p80', 'tcp', `${ip}:80`),
  }));
}

const lines = (b: { text: string } | string[]) => (Array.isArray(b) ? b : b.text === '' ? [] : b.text.split('\n'));

describe('compileServicePort', () => {
  it('writes a ClusterIP port with three endpoints: masquerade rule, probabilities 1/3, 1/2, then unconditional', () => {
    const ctx = context();
    const c = compileServicePort(sp(() => undefined), eps('10.1.0.1', '10.1.0.2', '10.1.0.3'), ctx);
    expect(lines(c.filterRules)).toEqual([]);
    expect(lines(c.natRules)).toEqual([
      '-A KUBE-SERVICES -m comment --comment "ns1/svc1:p80 cluster IP" -m tcp -p tcp -d 172.30.0.41 --dport 80 -j KUBE-SVC-XPGD46QRK7WJZT7O',
    ]);
    const own = lines(ownChainRules(c, ctx));
    expect(own[0]).toBe(
      '-A KUBE-SVC-XPGD46QRK7WJZT7O -m comment --comment "ns1/svc1:p80 cluster IP" -m tcp -p tcp -d 172.30.0.41 --dport 80 ! -s 10.0.0.0/8 -j KUBE-MARK-MASQ',
    );
    expect(own.slice(1, 4).map((l) => /--probability (\S+)/.exec(l)?.[1] ?? 'last')).toEqual(['0.3333333333', '0.5000000000', 'last']);
    expect(c.chains[0]).toBe('KUBE-SVC-XPGD46QRK7WJZT7O');
    expect(c.chains.slice(1).every((x) => x.startsWith('KUBE-SEP-'))).toBe(true);
    expect(lines(ownChainLines(c))).toEqual(c.chains.map((x) => `:${x} - [0:0]`));
  });

  it('writes no masquerade rule with a no-op detector, and an unconditional one with masqueradeAll', () => {
    const own = (ctx: RuleContext) => lines(ownChainRules(compileServicePort(sp(() => undefined), eps('10.1.0.1'), ctx), ctx));
    const noop = own(context({ detector: NO_OP_DETECTOR }));
    expect(noop.some((l) => l.includes('KUBE-MARK-MASQ') && l.includes('cluster IP'))).toBe(false);
    const all = own(context({ masqueradeAll: true }));
    expect(all[0]).toBe(
      '-A KUBE-SVC-XPGD46QRK7WJZT7O -m comment --comment "ns1/svc1:p80 cluster IP" -m tcp -p tcp -d 172.30.0.41 --dport 80 -j KUBE-MARK-MASQ',
    );
  });

  it('rejects in filter and owns no chains without endpoints', () => {
    const c = compileServicePort(sp(() => undefined), [], context());
    expect(lines(c.filterRules)).toEqual([
      '-A KUBE-SERVICES -m comment --comment "ns1/svc1:p80 has no endpoints" -m tcp -p tcp -d 172.30.0.41 --dport 80 -j REJECT',
    ]);
    expect(c.chains).toEqual([]);
    expect(c.natRules.lines + ownChainRules(c, context()).length).toBe(0);
  });

  it('drops per-endpoint comments in large-cluster mode but keeps the others', () => {
    const ctx = context({ largeClusterMode: true });
    const c = compileServicePort(sp(() => undefined), eps('10.1.0.1'), ctx);
    const own = lines(ownChainRules(c, ctx));
    expect(own[0]).toContain('--comment "ns1/svc1:p80 cluster IP"');
    expect(own.slice(1)).toEqual([
      `-A KUBE-SVC-XPGD46QRK7WJZT7O -j ${eps('10.1.0.1')[0].chainName}`,
      `-A ${eps('10.1.0.1')[0].chainName} -s 10.1.0.1 -j KUBE-MARK-MASQ`,
      `-A ${eps('10.1.0.1')[0].chainName} -m tcp -p tcp -j DNAT --to-destination 10.1.0.1:80`,
    ]);
  });

  it('omits the localhost nfacct NodePort rule without the counter or without localhost NodePorts', () => {
    const nodePort = sp((s) => {
      s.spec.type = 'NodePort';
      s.spec.ports = [{ name: 'p80', port: 80, protocol: 'TCP', nodePort: 30080 }];
    });
    const count = (ctx: RuleContext) => lines(compileServicePort(nodePort, eps('10.1.0.1'), ctx).natRules).filter((l) => l.includes('nfacct')).length;
    expect(count(context())).toBe(1);
    expect(count(context({ nfacctLocalhostNodePorts: false }))).toBe(0);
    expect(count(context({ localhostNodePorts: false }))).toBe(0);
    expect(count(context({ family: 'IPv6' }))).toBe(0);
  });

  it('lets LB VIPs in as sources only when a source range holds the node IP', () => {
    const withRanges = (ranges: string[]) =>
      sp((s) => {
        s.spec.type = 'LoadBalancer';
        s.spec.loadBalancerSourceRanges = ranges;
        s.status = { loadBalancer: { ingress: [{ ip: '1.2.3.4' }] } };
      });
    const vipRule = (ranges: string[]) =>
      lines(ownChainRules(compileServicePort(withRanges(ranges), eps('10.1.0.1'), context()), context())).some((l) => l.includes('-s 1.2.3.4 '));
    expect(vipRule(['203.0.113.0/25'])).toBe(false);
    expect(vipRule(['192.168.0.0/16'])).toBe(true);
  });

  it('reports the no-local-endpoints cases', () => {
    const local = sp((s) => {
      s.spec.internalTrafficPolicy = 'Local';
      s.spec.type = 'NodePort';
      s.spec.externalTrafficPolicy = 'Local';
      s.spec.ports = [{ name: 'p80', port: 80, protocol: 'TCP', nodePort: 30080 }];
    });
    const c = compileServicePort(local, eps('10.1.0.1'), context());
    expect([c.noLocalInternal, c.noLocalExternal]).toEqual([true, true]);
    expect(lines(c.filterRules)).toEqual([
      '-A KUBE-SERVICES -m comment --comment "ns1/svc1:p80 has no local endpoints" -m tcp -p tcp -d 172.30.0.41 --dport 80 -j DROP',
      '-A KUBE-EXTERNAL-SERVICES -m comment --comment "ns1/svc1:p80 has no local endpoints" -m addrtype --dst-type LOCAL -m tcp -p tcp --dport 30080 -j DROP',
    ]);
  });
});
