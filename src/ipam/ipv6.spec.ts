import fc from 'fast-check';
import { formatIPv6, tryParseIPv6, tryParseIPv6Cidr } from './ipv6';

/** Node's WHATWG URL serialiser also prints IPv6 hosts in RFC 5952 form (without the IPv4-mapped rule). */
const viaUrl = (ip: string) => new URL(`http://[${ip}]/`).hostname.slice(1, -1);

describe('ipv6', () => {
  it.each([
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'], // the first run wins a tie
    ['2001:0:0:1:0:0:0:1', '2001:0:0:1::1'], // the longest run is compressed
    ['2001:db8:0:0:1:0:0:0', '2001:db8:0:0:1::'],
    ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'], // one zero group is not compressed
    ['2001:0DB8:0000:0000:0000:0000:0000:0001', '2001:db8::1'], // lower case, no leading zeros
    ['0:0:0:0:0:0:0:0', '::'],
    ['0:0:0:0:0:0:0:1', '::1'],
    ['1:0:0:0:0:0:0:0', '1::'],
    ['fd00:10:96::ffff', 'fd00:10:96::ffff'],
    ['::ffff:10.96.0.1', '::ffff:10.96.0.1'], // IPv4-mapped, RFC 5952 section 5
    ['::ffff:a60:1', '::ffff:10.96.0.1'],
    ['64:ff9b::10.0.0.1', '64:ff9b::a00:1'],
    ['1:2:3:4:5:6:7::', '1:2:3:4:5:6:7:0'],
  ])('prints %s as %s', (text, expected) => {
    expect(formatIPv6(tryParseIPv6(text)!)).toBe(expected);
  });

  it.each([
    '',
    ':',
    ':::',
    '1::2::3',
    '12345::',
    '1:2:3:4:5:6:7:8:9',
    '1:2:3:4:5:6:7:8::',
    '1:2:3:4:5:6:7',
    ':1::',
    '1:::2',
    '1:',
    ':1',
    '1::2:',
    '::1:',
    'fe80::1%eth0',
    '1.2.3.4::',
    '::1.2.3',
    '::01.2.3.4',
    '::1.2.3.4:5',
    ' ::1',
    'g::1',
    '10.96.0.1',
  ])('refuses %p', (text) => {
    expect(tryParseIPv6(text)).toBeUndefined();
  });

  it('parses CIDRs strictly unless told otherwise', () => {
    expect(tryParseIPv6Cidr('fd00::/108')).toEqual({ network: 0xfd00n << 112n, prefix: 108 });
    expect(tryParseIPv6Cidr('fd00::1/108')).toBeUndefined();
    expect(tryParseIPv6Cidr('fd00::1/108', false)).toEqual({ network: 0xfd00n << 112n, prefix: 108 });
    expect(tryParseIPv6Cidr('::/0')).toEqual({ network: 0n, prefix: 0 });
    expect(tryParseIPv6Cidr('fd00::/129')).toBeUndefined();
    expect(tryParseIPv6Cidr('fd00::/064')).toBeUndefined();
    expect(tryParseIPv6Cidr('fd00::')).toBeUndefined();
  });

  it('round-trips and matches the URL serialiser on every address fast-check makes', () => {
    fc.assert(
      fc.property(fc.ipV6(), (ip) => {
        const value = tryParseIPv6(ip);
        expect(value).toBeDefined();
        const printed = formatIPv6(value!);
        expect(tryParseIPv6(printed)).toBe(value);
        if (!printed.startsWith('::ffff:') || !printed.includes('.')) expect(printed).toBe(viaUrl(ip));
      }),
    );
  });
});
