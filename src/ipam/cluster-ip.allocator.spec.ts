import fc from 'fast-check';
import { Netmask } from 'netmask';
import { formatIPv4, tryParseIPv4 } from '../common/ipv4';
import { SeededRandom } from '../common/random';
import { ClusterIpAllocator } from './cluster-ip.allocator';
import { refusalOf as thrown } from '../../test/support/common/domain-error';

const create = (cidr: string, seed = 1) => ClusterIpAllocator.create(cidr, new SeededRandom(seed));
const v4 = (ip: string) => tryParseIPv4(ip)!;

describe('ClusterIpAllocator.create', () => {
  it.each([
    ['10.96.0.0/12', 1_048_574, { first: '10.96.0.1', last: '10.96.1.0', size: 256 }],
    ['10.96.0.0/16', 65_534, { first: '10.96.0.1', last: '10.96.1.0', size: 256 }],
    ['10.96.0.0/20', 4_094, { first: '10.96.0.1', last: '10.96.1.0', size: 256 }],
    ['10.96.0.0/22', 1_022, { first: '10.96.0.1', last: '10.96.0.64', size: 64 }],
    ['10.96.0.0/24', 254, { first: '10.96.0.1', last: '10.96.0.16', size: 16 }],
    ['10.96.0.0/26', 62, { first: '10.96.0.1', last: '10.96.0.16', size: 16 }],
    ['10.96.0.0/27', 30, { first: '10.96.0.1', last: '10.96.0.16', size: 16 }],
    ['10.96.0.0/28', 14, null],
    ['10.96.0.0/29', 6, null],
  ])('%s has %d usable addresses and static band %j', (cidr, size, staticBand) => {
    expect(create(cidr).stats()).toEqual({ kind: 'ClusterIP', range: cidr, size, used: 0, free: size, staticBand });
  });

  it.each([
    ['10.0.0.0/8', 'specified --service-cluster-ip-range is too large; for 32-bit addresses, the mask must be >= 12'],
    ['10.96.0.0/11', 'specified --service-cluster-ip-range is too large; for 32-bit addresses, the mask must be >= 12'],
    ['fd00::/107', 'specified --service-cluster-ip-range is too large; for 128-bit addresses, the mask must be >= 108'],
    ['fd00::/64', 'specified --service-cluster-ip-range is too large; for 128-bit addresses, the mask must be >= 108'],
    ['10.96.0.0/30', 'the service cluster IP range must be at least 8 IP addresses'],
    ['10.96.0.0/32', 'the service cluster IP range must be at least 8 IP addresses'],
    ['fd00::/126', 'the service cluster IP range must be at least 8 IP addresses'],
    ['10.96.0.1/12', 'invalid CIDR address: 10.96.0.1/12: must be in canonical form ("10.96.0.0/12")'],
    ['fd00::1/112', 'invalid CIDR address: fd00::1/112: must be in canonical form ("fd00::/112")'],
    ['10.96.0.0', 'invalid CIDR address: 10.96.0.0'],
    ['10.96.0.0/33', 'invalid CIDR address: 10.96.0.0/33'],
    ['010.96.0.0/12', 'invalid CIDR address: 010.96.0.0/12'],
    ['banana', 'invalid CIDR address: banana'],
  ])('refuses %s: %s', (cidr, message) => {
    expect(thrown(() => create(cidr))).toMatchObject({ code: 'INVALID', message });
  });

  it('keeps the bitmap of a /12 well under 1 MiB', () => {
    expect(create('10.96.0.0/12').bitmapBytes()).toBeLessThan(1024 * 1024);
  });
});

describe('ClusterIpAllocator, IPv4', () => {
  it('hands out the upper band of a /24 (.17-.254) first, then the static band, then is full', () => {
    const a = create('10.96.0.0/24', 5);
    const upper = Array.from({ length: 238 }, () => v4(a.allocateNext()));
    expect(new Set(upper).size).toBe(238);
    expect(Math.min(...upper)).toBe(v4('10.96.0.17'));
    expect(Math.max(...upper)).toBe(v4('10.96.0.254'));
    const lower = Array.from({ length: 16 }, () => a.allocateNext()).sort((x, y) => v4(x) - v4(y));
    expect(lower).toEqual(Array.from({ length: 16 }, (_, i) => `10.96.0.${i + 1}`));
    expect(thrown(() => a.allocateNext())).toMatchObject({ code: 'RANGE_FULL', message: 'range is full' });
    expect(a.stats()).toMatchObject({ used: 254, free: 0 });
  });

  it('hands out every address of a /28 (no band) exactly once', () => {
    const a = create('10.96.0.0/28');
    const got = Array.from({ length: 14 }, () => a.allocateNext()).sort((x, y) => v4(x) - v4(y));
    expect(got).toEqual(Array.from({ length: 14 }, (_, i) => `10.96.0.${i + 1}`));
    expect(thrown(() => a.allocateNext()).code).toBe('RANGE_FULL');
  });

  it('gives the same sequence for the same seed', () => {
    const picks = (seed: number) => {
      const a = create('10.96.0.0/12', seed);
      return Array.from({ length: 20 }, () => a.allocateNext());
    };
    expect(picks(2024)).toEqual(picks(2024));
    expect(picks(2024)).not.toEqual(picks(2025));
  });

  it('accepts requested IPs anywhere in the range, static band included', () => {
    const a = create('10.96.0.0/12');
    for (const ip of ['10.96.0.1', '10.96.0.10', '10.96.1.0', '10.96.1.1', '10.111.255.254']) a.allocate(ip);
    expect(a.has('10.96.0.10')).toBe(true);
    expect(a.stats().used).toBe(5);
  });

  it('refuses a taken IP', () => {
    const a = create('10.96.0.0/12');
    a.allocate('10.96.0.10');
    expect(thrown(() => a.allocate('10.96.0.10'))).toMatchObject({
      code: 'IP_ALREADY_ALLOCATED',
      message: 'provided IP is already allocated',
    });
  });

  it.each(['10.96.0.0', '10.111.255.255', '1.1.1.1', '10.112.0.0', 'fd00::1'])(
    'refuses %s as out of range of 10.96.0.0/12',
    (ip) => {
      expect(thrown(() => create('10.96.0.0/12').allocate(ip))).toMatchObject({
        code: 'IP_NOT_IN_RANGE',
        message: `the provided IP (${ip}) is not in the valid range. The range of valid IPs is 10.96.0.0/12`,
      });
    },
  );

  it.each(['', '10.96.0', '010.96.0.1', '10.96.0.1/32', 'kubernetes'])('refuses malformed IP %p as INVALID', (ip) => {
    const e = thrown(() => create('10.96.0.0/12').allocate(ip));
    expect(e.code).toBe('INVALID');
    expect(e.message).toContain('must be a valid IP address');
  });

  it('treats releasing a free or outside address as a no-op', () => {
    const a = create('10.96.0.0/24');
    a.allocate('10.96.0.20');
    a.release('10.96.0.21');
    a.release('10.96.0.0');
    a.release('10.96.0.255');
    a.release('192.168.0.1');
    expect(a.stats().used).toBe(1);
    a.release('10.96.0.20');
    expect(a.has('10.96.0.20')).toBe(false);
    a.release('10.96.0.20');
    expect(a.stats()).toMatchObject({ used: 0, free: 254 });
    a.allocate('10.96.0.20');
  });

  it('answers has/contains without throwing on anything', () => {
    const a = create('10.96.0.0/24');
    a.allocate('10.96.0.1');
    expect(a.has('10.96.0.1')).toBe(true);
    expect(a.has('10.96.0.2')).toBe(false);
    expect(a.has('nonsense')).toBe(false);
    expect(a.contains('10.96.0.254')).toBe(true);
    expect(a.contains('10.96.0.255')).toBe(false);
    expect(a.allocated()).toEqual(['10.96.0.1']);
  });
});

describe('ClusterIpAllocator, IPv6', () => {
  it('uses 65,535 addresses of a /108 from network+1, the all-ones of the first 65,536 included', () => {
    const a = create('fd00:10:96::/108');
    expect(a.family).toBe('IPv6');
    expect(a.stats()).toEqual({
      kind: 'ClusterIP',
      range: 'fd00:10:96::/108',
      size: 65_535,
      used: 0,
      free: 65_535,
      staticBand: { first: 'fd00:10:96::1', last: 'fd00:10:96::100', size: 256 },
    });
    a.allocate('fd00:10:96::ffff');
    expect(thrown(() => a.allocate('fd00:10:96::1:0'))).toMatchObject({ code: 'IP_NOT_IN_RANGE' });
    expect(thrown(() => a.allocate('fd00:10:96::'))).toMatchObject({ code: 'IP_NOT_IN_RANGE' });
  });

  it('uses the all-ones last address of a small range', () => {
    const a = create('fd00::/120');
    expect(a.stats()).toMatchObject({ size: 255, staticBand: { first: 'fd00::1', last: 'fd00::10', size: 16 } });
    a.allocate('fd00::ff');
    expect(a.has('FD00:0:0:0:0:0:0:FF')).toBe(true);
  });

  it('prints CIDRs and addresses in RFC 5952 form', () => {
    const a = create('FD00:0010:0096:0000:0000:0000:0000:0000/112', 9);
    expect(a.cidr).toBe('fd00:10:96::/112');
    expect(a.allocateNext()).toMatch(/^fd00:10:96::[0-9a-f]{1,4}$/);
    expect(thrown(() => a.allocate('FD00:0:0:0:0:0:0:1'))).toMatchObject({
      code: 'IP_NOT_IN_RANGE',
      message: 'the provided IP (fd00::1) is not in the valid range. The range of valid IPs is fd00:10:96::/112',
    });
    expect(thrown(() => a.allocate('10.96.0.1')).code).toBe('IP_NOT_IN_RANGE');
  });

  it('fills a /125 and then is full', () => {
    const a = create('fd00::/125');
    const got = Array.from({ length: 7 }, () => a.allocateNext()).sort();
    expect(got).toEqual(['fd00::1', 'fd00::2', 'fd00::3', 'fd00::4', 'fd00::5', 'fd00::6', 'fd00::7']);
    expect(thrown(() => a.allocateNext()).code).toBe('RANGE_FULL');
  });
});

describe('ClusterIpAllocator properties', () => {
  type Op = { kind: 'next' } | { kind: 'take'; host: number } | { kind: 'release'; host: number };
  const op = (hosts: number): fc.Arbitrary<Op> =>
    fc.oneof(
      fc.constant<Op>({ kind: 'next' }),
      fc.integer({ min: -2, max: hosts + 1 }).map<Op>((host) => ({ kind: 'take', host })),
      fc.integer({ min: -2, max: hosts + 1 }).map<Op>((host) => ({ kind: 'release', host })),
    );

  it.each(['10.96.0.0/27', '10.96.0.0/29', '192.168.7.64/28'])(
    'never holds an address twice, never leaves %s, and keeps used + free == size',
    (cidr) => {
      const net = new Netmask(cidr);
      const base = v4(net.base);
      fc.assert(
        fc.property(fc.integer(), fc.array(op(net.size), { maxLength: 120 }), (seed, ops) => {
          const a = create(cidr, seed);
          const model = new Set<string>();
          const size = net.size - 2;
          for (const o of ops) {
            if (o.kind === 'next') {
              if (model.size === size) {
                expect(thrown(() => a.allocateNext()).code).toBe('RANGE_FULL');
                continue;
              }
              const ip = a.allocateNext();
              expect(model.has(ip)).toBe(false);
              expect(net.contains(ip) && ip !== net.base && ip !== net.broadcast).toBe(true);
              model.add(ip);
            } else {
              const ip = formatIPv4((base + o.host) >>> 0);
              const inside = o.host >= 1 && o.host <= size;
              if (o.kind === 'release') {
                a.release(ip);
                model.delete(ip);
              } else if (!inside) {
                expect(thrown(() => a.allocate(ip)).code).toBe('IP_NOT_IN_RANGE');
              } else if (model.has(ip)) {
                expect(thrown(() => a.allocate(ip)).code).toBe('IP_ALREADY_ALLOCATED');
              } else {
                a.allocate(ip);
                model.add(ip);
              }
            }
            const stats = a.stats();
            expect(stats.used).toBe(model.size);
            expect(stats.used + stats.free).toBe(stats.size);
          }
          expect(a.allocated().sort()).toEqual([...model].sort());
        }),
      );
    },
  );

  it('agrees with netmask on which canonical addresses a range contains', () => {
    fc.assert(
      fc.property(fc.ipV4(), fc.integer({ min: 12, max: 29 }), fc.ipV4(), (anyIp, prefix, probe) => {
        const net = new Netmask(`${anyIp}/${prefix}`);
        const a = create(`${net.base}/${prefix}`);
        const expected = net.contains(probe) && probe !== net.base && probe !== net.broadcast;
        expect(a.contains(probe)).toBe(expected);
        // the first and last usable addresses, and one past each end
        expect(a.contains(net.first)).toBe(true);
        expect(a.contains(net.last)).toBe(true);
        expect(a.contains(net.base)).toBe(false);
        expect(a.contains(net.broadcast!)).toBe(false);
        if (expected) a.allocate(probe);
        else expect(thrown(() => a.allocate(probe)).code).toBe('IP_NOT_IN_RANGE');
      }),
    );
  });
});
