import { endpointChainBase, isServiceChainName, servicePortChainBase } from './names';

describe('nftables chain names', () => {
  it('hashes service ports as upstream names them (TestOverallNFTablesRules)', () => {
    expect(servicePortChainBase('ns1', 'svc1', 'TCP', 'p80')).toBe('ULMVA6XW-ns1/svc1/tcp/p80');
    expect(servicePortChainBase('ns2', 'svc2', 'tcp', 'p80')).toBe('42NFTM6N-ns2/svc2/tcp/p80');
    expect(servicePortChainBase('ns3', 'svc3', 'tcp', 'p80')).toBe('4AT6LBPK-ns3/svc3/tcp/p80');
    expect(servicePortChainBase('ns4', 'svc4', 'tcp', 'p80')).toBe('LAUZTJTB-ns4/svc4/tcp/p80');
    expect(servicePortChainBase('ns5', 'svc5', 'tcp', 'p80')).toBe('HVFWP5L3-ns5/svc5/tcp/p80');
  });

  it('hashes endpoints with their address and port', () => {
    expect(endpointChainBase('ns1', 'svc1', 'tcp', 'p80', '10.180.0.1', 80)).toBe('5OJB2KTY-ns1/svc1/tcp/p80__10.180.0.1/80');
    expect(endpointChainBase('ns2', 'svc2', 'tcp', 'p80', '10.180.0.2', 80)).toBe('SGOXE6O3-ns2/svc2/tcp/p80__10.180.0.2/80');
    expect(endpointChainBase('ns4', 'svc4', 'tcp', 'p80', '10.180.0.4', 80)).toBe('UNZV3OEC-ns4/svc4/tcp/p80__10.180.0.4/80');
    expect(endpointChainBase('ns4', 'svc4', 'tcp', 'p80', '10.180.0.5', 80)).toBe('5RFCDDV7-ns4/svc4/tcp/p80__10.180.0.5/80');
    expect(endpointChainBase('ns5', 'svc5', 'tcp', 'p80', '10.180.0.3', 80)).toBe('GTK6MW7G-ns5/svc5/tcp/p80__10.180.0.3/80');
  });

  it('writes IPv6 colons as dots and cuts a name past 240 characters with "..."', () => {
    expect(endpointChainBase('ns1', 'svc1', 'tcp', 'p80', 'fd00:10:180::1', 80)).toMatch(/^[A-Z2-7]{8}-ns1\/svc1\/tcp\/p80__fd00\.10\.180\.\.1\/80$/);
    const long = servicePortChainBase('n'.repeat(63), 's'.repeat(63), 'tcp', 'p'.repeat(63));
    expect(long.length).toBeLessThanOrEqual(240);
    const longer = endpointChainBase('n'.repeat(63), 's'.repeat(63), 'sctp', 'p'.repeat(63), 'fd00:1111:2222:3333:4444:5555:6666:7777', 65535);
    expect(longer).toHaveLength(240);
    expect(longer.endsWith('...')).toBe(true);
    expect(isServiceChainName(longer)).toBe(true);
    expect(isServiceChainName('services')).toBe(false);
  });
});
