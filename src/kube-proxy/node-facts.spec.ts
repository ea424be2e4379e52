import { resolveConfig } from './config';
import { parseIpSloppy } from './ip';
import { localDetectorFor, NodePortAddresses, nodeInterfaces } from './node-facts';
import { UPSTREAM_TEST_NODE } from '../../test/support/kube-proxy/builders';

describe('localDetectorFor', () => {
  const node = { name: 'n', podCIDRs: ['10.244.3.0/24', 'fd00:3::/64'] };
  it.each([
    [{ clusterCIDR: '10.244.0.0/16' }, 'IPv4', '-s 10.244.0.0/16', '! -s 10.244.0.0/16'],
    [{ clusterCIDR: '10.244.0.0/16,fd00::/48' }, 'IPv6', '-s fd00::/48', '! -s fd00::/48'],
    [{ detectLocalMode: 'NodeCIDR' as const }, 'IPv4', '-s 10.244.3.0/24', '! -s 10.244.3.0/24'],
    [{ detectLocalMode: 'BridgeInterface' as const, detectLocal: { bridgeInterface: 'cni0' } }, 'IPv4', '-i cni0', '! -i cni0'],
    [{ detectLocalMode: 'InterfaceNamePrefix' as const, detectLocal: { interfaceNamePrefix: 'cali' } }, 'IPv4', '-i cali+', '! -i cali+'],
  ] as const)('%j (%s)', (config, family, ifLocal, ifNotLocal) => {
    const { detector, warning } = localDetectorFor(resolveConfig(config), node, family);
    expect(detector).toMatchObject({ implemented: true, ifLocal, ifNotLocal });
    expect(warning).toBeUndefined();
  });

  it('falls back to no detection without a CIDR of the family', () => {
    expect(localDetectorFor(resolveConfig({ clusterCIDR: '10.244.0.0/16' }), node, 'IPv6').detector.implemented).toBe(false);
    const r = localDetectorFor(resolveConfig({ detectLocalMode: 'NodeCIDR' }), { name: 'bare' }, 'IPv4');
    expect(r.detector.implemented).toBe(false);
    expect(r.warning).toBe('detectLocalMode is NodeCIDR but node bare has no IPv4 pod CIDR: no local-traffic detection');
  });
});

describe('NodePortAddresses', () => {
  const itfs = nodeInterfaces(UPSTREAM_TEST_NODE);
  it('matches everything by default, including IPv4 loopback', () => {
    const a = new NodePortAddresses('IPv4', []);
    expect(a.matchAll).toBe(true);
    expect(a.containsIPv4Loopback).toBe(true);
  });

  it('keeps only CIDRs of its own family', () => {
    const a = new NodePortAddresses('IPv4', ['192.168.0.0/24', '2001:db8::/64']);
    expect(a.matchAll).toBe(false);
    expect(a.containsIPv4Loopback).toBe(false);
    expect(a.nodeIps(itfs).map((ip) => ip.text)).toEqual(['192.168.0.2']);
    expect(new NodePortAddresses('IPv6', ['192.168.0.0/24', '2001:db8::/64']).nodeIps(itfs).map((ip) => ip.text)).toEqual(['2001:db8::1']);
  });

  it('falls back to matching everything when no CIDR is of its family', () => {
    expect(new NodePortAddresses('IPv6', ['192.168.0.0/24']).matchAll).toBe(true);
  });

  it('treats a zero CIDR among others as "all"', () => {
    expect(new NodePortAddresses('IPv4', ['10.0.0.0/8', '0.0.0.0/0']).matchAll).toBe(true);
  });

  it('knows a loopback CIDR', () => {
    const a = new NodePortAddresses('IPv4', ['127.0.0.0/8']);
    expect(a.containsIPv4Loopback).toBe(true);
    expect(a.nodeIps(itfs).map((ip) => ip.text)).toEqual(['127.0.0.1']);
  });

  it('reads "primary" as the primary node IP', () => {
    const a = new NodePortAddresses('IPv4', ['primary'], parseIpSloppy('192.168.1.2'));
    expect(a.nodeIps(itfs).map((ip) => ip.text)).toEqual(['192.168.1.2']);
  });

  it('gives the node lo and eth0 when it lists no interfaces', () => {
    expect(nodeInterfaces({ name: 'n', addresses: ['10.1.2.3'] })).toEqual([
      { name: 'lo', addresses: ['127.0.0.1/8', '::1/128'] },
      { name: 'eth0', addresses: ['10.1.2.3'] },
    ]);
  });
});
