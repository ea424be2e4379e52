/**
 * Stage 5: the stateless renderer, and the validation of what it is given.
 */
import { renderNftRules, renderRules, type RenderRequest } from './render';
import { chainRules } from '../../test/support/kube-proxy/restore-text';
import { refusalOf as thrown } from '../../test/support/common/domain-error';

const service = {
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name: 'web', namespace: 'shop' },
  spec: { type: 'NodePort', clusterIP: '10.96.12.34', ports: [{ name: 'http', port: 80, targetPort: 8080, nodePort: 30080, protocol: 'TCP' }] },
};
const slice = {
  apiVersion: 'discovery.k8s.io/v1',
  kind: 'EndpointSlice',
  metadata: { name: 'web-abcde', namespace: 'shop', labels: { 'kubernetes.io/service-name': 'web' } },
  addressType: 'IPv4',
  endpoints: [
    { addresses: ['10.244.1.7'], conditions: { ready: true }, nodeName: 'node-b' },
    { addresses: ['10.244.0.5'], conditions: { ready: true }, nodeName: 'node-a' },
  ],
  ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
};
const node = {
  name: 'node-a',
  addresses: ['192.168.0.2'],
  interfaces: [
    { name: 'eth0', addresses: ['192.168.0.2/24'] },
    { name: 'lo', addresses: ['127.0.0.1/8'] },
  ],
};
const request = (over: Partial<RenderRequest> = {}): RenderRequest => ({
  config: { apiVersion: 'kubeproxy.config.k8s.io/v1alpha1', kind: 'KubeProxyConfiguration', clusterCIDR: '10.244.0.0/16' },
  node,
  objects: [service, slice],
  format: 'restore',
  ...over,
});

describe('renderRules', () => {
  it('renders the restore text of a full sync with the real default formatting', () => {
    const r = renderRules(request());
    expect(r.format).toBe('restore');
    expect(r.servicePorts).toBe(1);
    expect(r.endpoints).toBe(2);
    expect(r.text.startsWith('*filter\n:KUBE-SERVICES - [0:0]\n')).toBe(true);
    expect(r.text.endsWith('COMMIT\n')).toBe(true);
    expect(chainRules(r.text, 'nat', 'KUBE-MARK-MASQ')).toEqual(['-A KUBE-MARK-MASQ -j MARK --or-mark 0x00004000']);
    expect(r.text).toContain('-j MASQUERADE --random-fully');
    expect(r.text).toContain('--to-destination 10.244.0.5:8080');
    expect(r.lines).toBe(r.text.split('\n').length - 1);
    expect(r.bytes).toBe(Buffer.byteLength(r.text));
    expect(r.ensureRules).toHaveLength(14);
    expect(r.warnings).toEqual([]);
  });

  it('prints the mark as upstream tests do when asked', () => {
    const r = renderRules(request({ emulation: { markFormat: 'minimal', randomFully: false } }));
    expect(chainRules(r.text, 'nat', 'KUBE-MARK-MASQ')).toEqual(['-A KUBE-MARK-MASQ -j MARK --or-mark 0x4000']);
  });

  it('renders with defaults when the configuration is absent', () => {
    const r = renderRules({ node: { name: 'n' }, objects: [] });
    expect(r.warnings).toContain('detectLocalMode is ClusterCIDR but clusterCIDR has no IPv4 CIDR: no local-traffic detection');
  });

  it('warns about slices kube-proxy ignores', () => {
    const orphan = { ...slice, metadata: { name: 'x', namespace: 'shop' } };
    expect(renderRules(request({ objects: [orphan] })).warnings).toEqual([
      'objects[0]: EndpointSlice x has no kubernetes.io/service-name label; kube-proxy ignores it',
    ]);
  });

  it('refuses the save format until the netfilter printer exists', () => {
    const e = thrown(() => renderRules(request({ format: 'save' })));
    expect(e.code).toBe('INVALID');
    expect(e.causes[0]).toMatchObject({ field: 'format', reason: 'FieldValueNotSupported' });
  });

  it('names configuration fields as the request does', () => {
    const e = thrown(() => renderRules(request({ config: { iptables: { masqueradeBit: 99 } } })));
    expect(e.causes[0]).toMatchObject({ field: 'config.iptables.masqueradeBit', message: 'must be within the range [0, 31]; got 99' });
  });

  it.each([
    [{ ...service, spec: { ...service.spec, ports: [{ ...service.spec.ports[0], port: 70000 }] } }, 'objects[0].spec.ports[0].port', 'Invalid value: 70000: must be between 1 and 65535, inclusive'],
    [{ ...service, spec: { ...service.spec, ports: [{ ...service.spec.ports[0], protocol: 'ICMP' }] } }, 'objects[0].spec.ports[0].protocol', 'Unsupported value: "ICMP": supported values: "TCP", "UDP", "SCTP"'],
    [{ ...service, spec: { ...service.spec, clusterIP: '10.96.300.1' } }, 'objects[0].spec.clusterIP', 'Invalid value: "10.96.300.1": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)'],
    [{ ...service, spec: { ...service.spec, type: 'Ingress' } }, 'objects[0].spec.type', 'Unsupported value: "Ingress": supported values: "ClusterIP", "NodePort", "LoadBalancer", "ExternalName"'],
    [{ ...service, spec: { ...service.spec, externalIPs: ['nope'] } }, 'objects[0].spec.externalIPs[0]', 'Invalid value: "nope": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)'],
    [{ ...service, spec: { ...service.spec, loadBalancerSourceRanges: ['10.0.0.0/40'] } }, 'objects[0].spec.loadBalancerSourceRanges[0]', 'Invalid value: "10.0.0.0/40": must be a valid CIDR (e.g. 203.0.113.0/24)'],
    [{ ...service, spec: { ...service.spec, externalTrafficPolicy: 'Nearby' } }, 'objects[0].spec.externalTrafficPolicy', 'Unsupported value: "Nearby": supported values: "Cluster", "Local"'],
    [{ ...service, spec: { ...service.spec, sessionAffinity: 'ClientIP', sessionAffinityConfig: { clientIP: { timeoutSeconds: 0 } } } }, 'objects[0].spec.sessionAffinityConfig.clientIP.timeoutSeconds', 'Invalid value: 0: must be greater than 0 and less than 86400'],
    [{ ...service, status: { loadBalancer: { ingress: [{ ip: '1.2.3' }] } } }, 'objects[0].status.loadBalancer.ingress[0].ip', 'Invalid value: "1.2.3": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)'],
    [{ ...service, metadata: { name: 'Web' } }, 'objects[0].metadata.name', 'Invalid value: "Web": must be a valid DNS name of at most 63 characters'],
    [{ ...service, kind: 'Pod' }, 'objects[0].kind', 'Unsupported value: "Pod": supported values: "Service", "EndpointSlice"'],
    [
      { ...service, spec: { ...service.spec, ports: [service.spec.ports[0], { ...service.spec.ports[0], port: 81 }] } },
      'objects[0].spec.ports[1].name',
      'Duplicate value: "http"',
    ],
  ])('rejects a bad Service field (%#)', (bad, field, message) => {
    const e = thrown(() => renderRules(request({ objects: [bad, slice] })));
    expect(e.code).toBe('INVALID');
    expect(e.causes[0]).toMatchObject({ field, message });
  });

  it.each([
    [{ ...slice, addressType: 'IPv5' }, 'objects[1].addressType'],
    [{ ...slice, endpoints: [{ addresses: [] }] }, 'objects[1].endpoints[0].addresses'],
    [{ ...slice, endpoints: [{ addresses: ['fd00::1'] }] }, 'objects[1].endpoints[0].addresses[0]'],
    [{ ...slice, endpoints: [{ addresses: ['10.0.0.1'], conditions: { ready: 'yes' } }] }, 'objects[1].endpoints[0].conditions.ready'],
    [{ ...slice, ports: [{ name: 'http', port: -1 }] }, 'objects[1].ports[0].port'],
  ])('rejects a bad EndpointSlice field (%#)', (bad, field) => {
    expect(thrown(() => renderRules(request({ objects: [service, bad] }))).causes[0].field).toBe(field);
  });

  it('collects every problem, and refuses duplicate objects', () => {
    const e = thrown(() => renderRules(request({ objects: [service, { ...service, spec: { ...service.spec, clusterIP: 'x' } }, 42] })));
    expect(e.causes.map((c) => [c.field, c.reason])).toEqual([
      ['objects[1].spec.clusterIP', 'FieldValueInvalid'],
      ['objects[1].metadata.name', 'FieldValueDuplicate'],
      ['objects[2]', 'FieldValueInvalid'],
    ]);
    expect(e.message).toMatch(/^objects is invalid: objects\[1\]\.spec\.clusterIP: .* \(and 2 more\)$/);
  });

  it.each([
    [{ addresses: ['192.168.0.2'] }, 'node.name'],
    [{ name: 'n', addresses: ['192.168.0.300'] }, 'node.addresses[0]'],
    [{ name: 'n', interfaces: [{ name: 'eth0', addresses: ['192.168.0.2/33'] }] }, 'node.interfaces[0].addresses[0]'],
    [{ name: 'n', podCIDRs: ['10.0.0.0'] }, 'node.podCIDRs[0]'],
  ])('rejects bad node facts (%#)', (badNode, field) => {
    expect(thrown(() => renderRules(request({ node: badNode }))).causes[0].field).toBe(field);
  });

  it('refuses unknown emulation options', () => {
    expect(thrown(() => renderRules(request({ emulation: { turbo: true } as never }))).causes[0].field).toBe('emulation.turbo');
  });

  it('accepts sloppy legacy addresses and renders them canonically', () => {
    const sloppy = { ...service, spec: { ...service.spec, clusterIP: '10.96.012.034' } };
    expect(renderRules(request({ objects: [sloppy, slice] })).text).toContain('-d 10.96.12.34 --dport 80');
  });

  it('renders the IPv6 proxier', () => {
    const v6svc = { ...service, spec: { ...service.spec, clusterIP: 'fd00:96::12' } };
    const v6slice = { ...slice, addressType: 'IPv6', endpoints: [{ addresses: ['fd00:244::5'], nodeName: 'node-a' }] };
    const r = renderRules(request({ family: 'IPv6', config: { clusterCIDR: 'fd00:244::/56' }, node: { name: 'node-a', addresses: ['2001:db8::2'] }, objects: [v6svc, v6slice] }));
    expect(r.text).toContain('--to-destination [fd00:244::5]:8080');
    expect(r.text).toContain('! -d ::1/128');
  });
});

describe('renderNftRules', () => {
  const nftRequest = (over: Partial<RenderRequest> = {}): RenderRequest =>
    request({ config: { clusterCIDR: '10.244.0.0/16', mode: 'nftables' }, format: undefined, serviceCIDRs: ['10.96.0.0/12'], ...over });

  it('answers the nft transaction of the first sync, NodePorts on the primary node IP by default', () => {
    const r = renderNftRules(nftRequest());
    expect(r).toMatchObject({ format: 'nft', mode: 'nftables', family: 'IPv4', servicePorts: 1, endpoints: 2, warnings: [] });
    const lines = r.text.split('\n');
    expect(lines[0]).toBe('add table ip kube-proxy { comment "rules for kube-proxy" ; }');
    expect(lines).toContain('add element ip kube-proxy nodeport-ips { 192.168.0.2 }');
    expect(lines).toContain('add rule ip kube-proxy mark-for-masquerade mark set mark or 0x004000');
    expect(lines).toContain('add rule ip kube-proxy cluster-ips-check ip daddr { 10.96.0.0/12 } drop comment "Drop traffic to unallocated ClusterIPs"');
    expect(lines.filter((l) => /^add element ip kube-proxy service-nodeports \{ tcp \. 30080 : goto external-[A-Z2-7]{8}-shop\/web\/tcp\/http \}$/.test(l))).toHaveLength(1);
    expect(lines.filter((l) => l.includes('numgen random mod 2 vmap'))).toHaveLength(1);
    expect(r.lines).toBe(lines.length - 1);
  });

  it('takes every local address for NodePorts when nodePortAddresses holds the zero CIDR', () => {
    const r = renderNftRules(nftRequest({ config: { mode: 'nftables', clusterCIDR: '10.244.0.0/16', nodePortAddresses: ['0.0.0.0/0'] } }));
    expect(r.text).toContain('delete set ip kube-proxy nodeport-ips\n');
    expect(r.text).toContain('add rule ip kube-proxy services fib daddr type local ip daddr != 127.0.0.0/8 meta l4proto . th dport vmap @service-nodeports\n');
  });

  it('says when no Service CIDR of the family is given, and refuses the iptables formats', () => {
    expect(renderNftRules(nftRequest({ serviceCIDRs: undefined })).warnings).toEqual([
      'no IPv4 serviceCIDRs given: cluster-ips-check has no rule dropping traffic to unallocated ClusterIPs',
    ]);
    const e = thrown(() => renderNftRules(nftRequest({ format: 'restore' })));
    expect(e.causes[0]).toMatchObject({ field: 'format', reason: 'FieldValueNotSupported' });
    expect(thrown(() => renderNftRules(nftRequest({ serviceCIDRs: ['10.96.0.0/33'] }))).causes[0].field).toBe('serviceCIDRs[0]');
    expect(thrown(() => renderRules(nftRequest())).causes[0].field).toBe('config.mode');
  });

  it('prints the table as nft list ruleset shows it with format list', () => {
    const r = renderNftRules(nftRequest({ format: 'list' }));
    expect(r.format).toBe('list');
    expect(r.text.startsWith('table ip kube-proxy {\n\tcomment "rules for kube-proxy"\n\tset cluster-ips {\n')).toBe(true);
    expect(r.text).toContain('\tchain mark-for-masquerade {\n\t\tmeta mark set meta mark | 0x00004000\n\t}\n');
    expect(r.text).toContain('\t\ttype filter hook prerouting priority dstnat - 10; policy accept;\n');
  });
});
