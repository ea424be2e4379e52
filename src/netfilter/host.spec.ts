import { DomainError } from '../common/domain-error';
import { tryParseIPv4 } from '../common/ipv4';
import { Host } from './host';
import { formatIp } from './address';

const ip = (text: string): number => tryParseIPv4(text)!;

const node = Host.create({
  interfaces: [
    { name: 'eth0', addresses: ['192.168.0.2/24', '192.168.0.7/24', '172.16.5.1/16'] },
    { name: 'cni0', addresses: ['10.244.1.1/24'] },
    { name: 'flannel.1', addresses: ['10.244.1.0/32'] },
  ],
  routes: [
    { destination: 'default', via: '192.168.0.1' },
    { destination: '10.244.2.0/24', via: '10.244.2.0', interface: 'flannel.1', onlink: true },
    { destination: '10.244.0.0/16', via: '192.168.0.9', src: '192.168.0.7' },
    { destination: '198.51.100.0/24', type: 'blackhole' },
  ],
});

describe('Host', () => {
  it('adds lo when it is not given, and derives the connected routes (not for /32, not for secondary addresses)', () => {
    expect(node.interfaces.map((i) => i.name)).toEqual(['lo', 'eth0', 'cni0', 'flannel.1']);
    expect(node.describe().routes.slice(0, 3)).toEqual([
      '192.168.0.0/24 dev eth0 proto kernel scope link src 192.168.0.2',
      '172.16.0.0/16 dev eth0 proto kernel scope link src 172.16.5.1',
      '10.244.1.0/24 dev cni0 proto kernel scope link src 10.244.1.1',
    ]);
  });

  it('answers addrtype as the kernel does', () => {
    expect(node.addressType(ip('192.168.0.2'))).toBe('LOCAL');
    expect(node.addressType(ip('192.168.0.7'))).toBe('LOCAL');
    expect(node.addressType(ip('10.244.1.0'))).toBe('LOCAL');
    expect(node.addressType(ip('127.0.0.1'))).toBe('LOCAL');
    expect(node.addressType(ip('127.1.2.3'))).toBe('LOCAL'); // local 127.0.0.0/8 dev lo
    expect(node.addressType(ip('127.255.255.255'))).toBe('BROADCAST');
    expect(node.addressType(ip('192.168.0.255'))).toBe('BROADCAST');
    expect(node.addressType(ip('192.168.0.0'))).toBe('UNICAST'); // no network broadcast route on current kernels
    expect(node.addressType(ip('255.255.255.255'))).toBe('BROADCAST');
    expect(node.addressType(ip('0.0.0.0'))).toBe('BROADCAST');
    expect(node.addressType(ip('224.0.0.1'))).toBe('MULTICAST');
    expect(node.addressType(ip('8.8.8.8'))).toBe('UNICAST');
    // --limit-iface-in/out: a local route on another device counts as UNICAST.
    expect(node.addressType(ip('192.168.0.2'), 'eth0')).toBe('LOCAL');
    expect(node.addressType(ip('192.168.0.2'), 'cni0')).toBe('UNICAST');
  });

  it('looks routes up by longest prefix', () => {
    const r = (d: string) => {
      const found = node.lookup(ip(d));
      return found.kind === 'unicast' ? `${found.interface} ${formatIp(found.nextHop)}` : found.kind;
    };
    expect(r('10.244.1.5')).toBe('cni0 10.244.1.5');
    expect(r('10.244.2.3')).toBe('flannel.1 10.244.2.0');
    expect(r('10.244.3.3')).toBe('eth0 192.168.0.9');
    expect(r('8.8.8.8')).toBe('eth0 192.168.0.1');
    expect(r('198.51.100.1')).toBe('unreachable');
    expect(r('192.168.0.7')).toBe('local');
    expect(Host.create({ interfaces: [{ name: 'eth0', addresses: ['192.168.0.2/24'] }] }).lookup(ip('8.8.8.8')).kind).toBe('unreachable');
  });

  it('picks source addresses: the route src, else the egress interface address on the next hop subnet', () => {
    const src = (d: string) => formatIp(node.sourceAddressFor(ip(d))!);
    expect(src('8.8.8.8')).toBe('192.168.0.2');
    expect(src('10.244.3.3')).toBe('192.168.0.7'); // route src
    expect(src('10.244.1.9')).toBe('10.244.1.1');
    expect(src('172.16.9.9')).toBe('172.16.5.1');
    expect(src('127.0.0.5')).toBe('127.0.0.1');
    expect(src('192.168.0.7')).toBe('192.168.0.2'); // local route of a secondary address: the primary as source
    // MASQUERADE ignores route src: inet_select_addr on the egress device.
    expect(formatIp(node.masqueradeAddress('eth0', ip('192.168.0.9'))!)).toBe('192.168.0.2');
    expect(formatIp(node.masqueradeAddress('eth0', ip('172.16.0.1'))!)).toBe('172.16.5.1');
    expect(formatIp(node.masqueradeAddress('flannel.1', ip('10.244.2.0'))!)).toBe('10.244.1.0');
    expect(formatIp(node.masqueradeAddress('cni0', ip('10.244.1.5'))!)).toBe('10.244.1.1');
  });

  it('refuses bad descriptions with the field at fault', () => {
    const fails = (spec: Parameters<typeof Host.create>[0], field: string) => {
      try {
        Host.create(spec);
        throw new Error('accepted');
      } catch (e) {
        expect(e).toBeInstanceOf(DomainError);
        expect((e as DomainError).causes[0].field).toBe(field);
      }
    };
    fails({ interfaces: [{ name: 'eth0', addresses: ['192.168.0.300/24'] }] }, 'host.interfaces[0].addresses[0]');
    fails({ interfaces: [{ name: 'eth0' }, { name: 'eth0' }] }, 'host.interfaces[1].name');
    fails({ interfaces: [{ name: 'eth0', addresses: ['192.168.0.2/24'] }], routes: [{ destination: 'default', via: '10.0.0.1' }] }, 'host.routes[0].via');
    fails({ interfaces: [{ name: 'eth0', addresses: ['192.168.0.2/24'] }], routes: [{ destination: '10.0.0.1/8', interface: 'eth0' }] }, 'host.routes[0].destination');
    fails({ interfaces: [{ name: 'eth0', addresses: ['192.168.0.2/24'] }], routes: [{ destination: '10.0.0.0/8', interface: 'eth7' }] }, 'host.routes[0].interface');
    fails({ interfaces: [{ name: 'eth0', addresses: ['192.168.0.2/24'] }], routes: [{ destination: '10.0.0.0/8', interface: 'eth0', src: '1.1.1.1' }] }, 'host.routes[0].src');
  });

  it('the default node of the trace API', () => {
    expect(Host.defaultNode().describe()).toEqual({
      interfaces: [
        { name: 'lo', addresses: ['127.0.0.1/8'] },
        { name: 'eth0', addresses: ['192.168.0.2/24'] },
      ],
      routes: ['192.168.0.0/24 dev eth0 proto kernel scope link src 192.168.0.2', 'default via 192.168.0.1 dev eth0'],
    });
  });
});
