import fc from 'fast-check';
import { cidrContains, formatIPv4, formatIPv4Cidr, tryParseIPv4, tryParseIPv4Cidr } from './ipv4';

describe('ipv4', () => {
  it('parses and formats canonical dotted quads', () => {
    expect(tryParseIPv4('10.96.0.1')).toBe(0x0a600001);
    expect(tryParseIPv4('255.255.255.255')).toBe(0xffffffff);
    expect(formatIPv4(0x0a600001)).toBe('10.96.0.1');
  });

  it.each(['010.0.0.1', '10.0.0', '127.1', '0x0a.0.0.1', '256.0.0.1', '1.2.3.4.5', '', ' 1.2.3.4', '1.2.3.-4'])(
    'refuses %p as Kubernetes does',
    (text) => expect(tryParseIPv4(text)).toBeUndefined(),
  );

  it('round-trips every canonical address', () => {
    fc.assert(fc.property(fc.ipV4(), (ip) => formatIPv4(tryParseIPv4(ip)!) === ip));
  });

  it('refuses octal and hex forms that fast-check generates', () => {
    fc.assert(
      fc.property(fc.ipV4Extended(), (ip) => {
        const parsed = tryParseIPv4(ip);
        return parsed === undefined || formatIPv4(parsed) === ip;
      }),
    );
  });

  it('parses CIDRs strictly, or leniently as iptables does', () => {
    expect(tryParseIPv4Cidr('192.168.0.5/24')).toBeUndefined();
    expect(formatIPv4Cidr(tryParseIPv4Cidr('192.168.0.5/24', false)!)).toBe('192.168.0.0/24');
    expect(tryParseIPv4Cidr('10.96.0.0/33')).toBeUndefined();
    expect(tryParseIPv4Cidr('10.96.0.0/012')).toBeUndefined();
    const c = tryParseIPv4Cidr('10.96.0.0/12')!;
    expect(cidrContains(c, tryParseIPv4('10.111.255.255')!)).toBe(true);
    expect(cidrContains(c, tryParseIPv4('10.112.0.0')!)).toBe(false);
    expect(cidrContains(tryParseIPv4Cidr('0.0.0.0/0')!, 1234)).toBe(true);
  });
});

describe('ipv4, sloppy', () => {
  it('reads leading zeros as decimal, as Go ParseIPSloppy (kube-proxy) does', () => {
    expect(formatIPv4(tryParseIPv4('192.168.099.022', true)!)).toBe('192.168.99.22');
    expect(formatIPv4(tryParseIPv4('010.0.0.1', true)!)).toBe('10.0.0.1');
    expect(tryParseIPv4('010.0.0.1')).toBeUndefined();
    expect(tryParseIPv4('0x0a.0.0.1', true)).toBeUndefined();
  });
});
