import { canonicalIp, cidrContainsIp, interfaceAddressIp, isLoopback, joinHostPort, parseCidrSloppy, parseIpSloppy } from './ip';

describe('sloppy IP parsing', () => {
  it.each([
    ['172.30.0.041', '172.30.0.41'],
    ['192.168.099.022', '192.168.99.22'],
    ['10.180.00.001', '10.180.0.1'],
    ['1.2.3.004', '1.2.3.4'],
    ['010.0.0.1', '10.0.0.1'],
    ['2001:DB8::1', '2001:db8::1'],
    ['fd00:10:180:0:0:0:2:1', 'fd00:10:180::2:1'],
    ['::ffff:10.0.0.1', '10.0.0.1'],
  ])('%s is %s', (text, canonical) => {
    expect(canonicalIp(text)).toBe(canonical);
  });

  it.each(['', '1.2.3', '1.2.3.256', '1.2.3.4.5', 'a.b.c.d', '1::2::3', '10.0.0.1/8', ' 10.0.0.1'])('refuses %p', (text) => {
    expect(parseIpSloppy(text)).toBeUndefined();
  });

  it('knows the family', () => {
    expect(parseIpSloppy('10.0.0.1')?.family).toBe('IPv4');
    expect(parseIpSloppy('fd00::1')?.family).toBe('IPv6');
  });
});

describe('sloppy CIDR parsing', () => {
  it.each([
    ['203.0.113.000/025', '203.0.113.0/25'],
    ['10.0.0.1/8', '10.0.0.0/8'],
    ['0.0.0.0/0', '0.0.0.0/0'],
    ['fd00:10::/64', 'fd00:10::/64'],
    ['2001:db8::1/64', '2001:db8::/64'],
  ])('%s is %s', (text, canonical) => {
    expect(parseCidrSloppy(text)?.text).toBe(canonical);
  });

  it.each(['10.0.0.0', '10.0.0.0/33', '10.0.0.0/x', 'fd00::/129', ' 10.0.0.0/8'])('refuses %p', (text) => {
    expect(parseCidrSloppy(text)).toBeUndefined();
  });

  it('tests membership per family', () => {
    const v4 = parseCidrSloppy('192.168.0.0/24')!;
    expect(cidrContainsIp(v4, parseIpSloppy('192.168.0.2')!)).toBe(true);
    expect(cidrContainsIp(v4, parseIpSloppy('192.168.1.2')!)).toBe(false);
    expect(cidrContainsIp(v4, parseIpSloppy('2001:db8::1')!)).toBe(false);
    const v6 = parseCidrSloppy('2001:db8::/64')!;
    expect(cidrContainsIp(v6, parseIpSloppy('2001:db8::1')!)).toBe(true);
    expect(cidrContainsIp(v6, parseIpSloppy('2001:db8:1::2')!)).toBe(false);
  });
});

describe('helpers', () => {
  it('joins hosts and ports as Go does', () => {
    expect(joinHostPort('10.0.0.1', 80)).toBe('10.0.0.1:80');
    expect(joinHostPort('fd00::1', 80)).toBe('[fd00::1]:80');
  });

  it('knows loopback addresses', () => {
    expect(isLoopback(parseIpSloppy('127.0.0.1')!)).toBe(true);
    expect(isLoopback(parseIpSloppy('127.255.0.1')!)).toBe(true);
    expect(isLoopback(parseIpSloppy('::1')!)).toBe(true);
    expect(isLoopback(parseIpSloppy('10.0.0.1')!)).toBe(false);
  });

  it('reads interface addresses with or without a prefix', () => {
    expect(interfaceAddressIp('192.168.0.2/24')?.text).toBe('192.168.0.2');
    expect(interfaceAddressIp('192.168.0.2')?.text).toBe('192.168.0.2');
    expect(interfaceAddressIp('192.168.0.2/99')).toBeUndefined();
  });
});
