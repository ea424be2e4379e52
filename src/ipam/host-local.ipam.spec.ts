import fc from 'fast-check';
import { Netmask } from 'netmask';
import { formatIPv4, tryParseIPv4 } from '../common/ipv4';
import { HostLocalIpam } from './host-local.ipam';
import { refusalOf as thrown } from '../../test/support/common/domain-error';

const FULL = 'no IP addresses available in range set: 10.244.1.1-10.244.1.254';

describe('HostLocalIpam', () => {
  it('gives the first pod .2, the 253rd .254, and refuses the 254th', () => {
    const ipam = HostLocalIpam.create('10.244.1.0/24');
    expect(ipam.gateway()).toBe('10.244.1.1');
    expect(ipam.rangeSet()).toBe('10.244.1.1-10.244.1.254');
    const ips = Array.from({ length: 253 }, (_, i) => ipam.allocate(`pod-${i + 1}`));
    expect(ips[0]).toBe('10.244.1.2');
    expect(ips[252]).toBe('10.244.1.254');
    expect(new Set(ips).size).toBe(253);
    expect(thrown(() => ipam.allocate('pod-254'))).toMatchObject({ code: 'NO_IP_AVAILABLE', message: FULL });
    expect(ipam.stats()).toEqual({ kind: 'HostLocal', range: '10.244.1.0/24', size: 253, used: 253, free: 0, staticBand: null });
  });

  it('continues after the last reserved address, not at the freed one', () => {
    const ipam = HostLocalIpam.create('10.244.1.0/24');
    expect(ipam.allocate('a')).toBe('10.244.1.2');
    expect(ipam.allocate('b')).toBe('10.244.1.3');
    ipam.release('a');
    expect(ipam.allocate('c')).toBe('10.244.1.4');
    ipam.release('c');
    expect(ipam.allocate('c')).toBe('10.244.1.5');
  });

  it('wraps past the end, skipping the gateway', () => {
    const ipam = HostLocalIpam.create('10.244.1.0/24');
    for (let i = 0; i < 253; i++) ipam.allocate(`pod-${i}`);
    ipam.release('pod-98'); // 10.244.1.100
    ipam.release('pod-0'); // 10.244.1.2
    expect(ipam.allocate('x')).toBe('10.244.1.2');
    expect(ipam.allocate('y')).toBe('10.244.1.100');
    expect(thrown(() => ipam.allocate('z')).code).toBe('NO_IP_AVAILABLE');
  });

  it('refuses a second address for the same owner', () => {
    const ipam = HostLocalIpam.create('10.244.1.0/24');
    ipam.allocate('default/web-0');
    expect(thrown(() => ipam.allocate('default/web-0'))).toMatchObject({
      code: 'INVALID',
      message: '10.244.1.2 has been allocated to default/web-0, duplicate allocation is not allowed',
    });
    expect(thrown(() => ipam.allocateSpecific('default/web-0', '10.244.1.50')).code).toBe('INVALID');
    expect(thrown(() => ipam.allocate('')).code).toBe('INVALID');
  });

  it('knows who holds what', () => {
    const ipam = HostLocalIpam.create('10.244.1.0/24');
    ipam.allocate('uid-1');
    ipam.allocate('uid-2');
    expect(ipam.ownerOf('10.244.1.3')).toBe('uid-2');
    expect(ipam.ownerOf('10.244.1.4')).toBeUndefined();
    expect(ipam.ownerOf('garbage')).toBeUndefined();
    expect(ipam.ipOf('uid-1')).toBe('10.244.1.2');
    expect(ipam.ipOf('uid-9')).toBeUndefined();
    expect(ipam.allocations()).toEqual([
      { ip: '10.244.1.2', owner: 'uid-1' },
      { ip: '10.244.1.3', owner: 'uid-2' },
    ]);
    ipam.release('uid-1');
    ipam.release('uid-1'); // unknown owner: a no-op
    expect(ipam.ownerOf('10.244.1.2')).toBeUndefined();
    expect(ipam.stats()).toMatchObject({ used: 1, free: 252 });
  });

  it('reserves requested addresses with host-local texts, and continues after them', () => {
    const ipam = HostLocalIpam.create('10.244.1.0/24');
    expect(ipam.allocateSpecific('a', '10.244.1.100')).toBe('10.244.1.100');
    expect(ipam.allocate('b')).toBe('10.244.1.101');
    expect(thrown(() => ipam.allocateSpecific('c', '10.244.1.100'))).toMatchObject({
      code: 'IP_ALREADY_ALLOCATED',
      message: 'requested IP address 10.244.1.100 is not available in range set 10.244.1.1-10.244.1.254',
    });
    expect(thrown(() => ipam.allocateSpecific('c', '10.244.1.1'))).toMatchObject({
      code: 'INVALID',
      message: "requested ip 10.244.1.1 is subnet's gateway",
    });
    for (const ip of ['10.244.1.0', '10.244.1.255', '10.244.2.5']) {
      expect(thrown(() => ipam.allocateSpecific('c', ip))).toMatchObject({
        code: 'IP_NOT_IN_RANGE',
        message: `${ip} not in range set 10.244.1.1-10.244.1.254`,
      });
    }
    expect(thrown(() => ipam.allocateSpecific('c', 'ten.one')).code).toBe('INVALID');
  });

  it.each([
    ['10.0.0.0/31', 'Network 10.0.0.0/31 too small to allocate from'],
    ['10.0.0.0/32', 'Network 10.0.0.0/32 too small to allocate from'],
    ['10.244.1.7/24', 'Network has host bits set. For a subnet mask of length 24 the network address is 10.244.1.0'],
    ['10.244.1.0', 'invalid CIDR address: 10.244.1.0'],
    ['fd00::/127', 'Network fd00::/127 too small to allocate from'],
    ['fd00::1/64', 'Network has host bits set. For a subnet mask of length 64 the network address is fd00::'],
    ['10.0.0.0/7', 'Network 10.0.0.0/7 too large: the emulator tracks at most /8 per node'],
  ])('refuses subnet %s', (subnet, message) => {
    expect(thrown(() => HostLocalIpam.create(subnet))).toMatchObject({ code: 'INVALID', message });
  });

  it('hands IPv6 pods ::2 onwards from a /64, the gateway ::1, the range to the last address', () => {
    const ipam = HostLocalIpam.create('fd00:10:244:1::/64');
    expect(ipam.family).toBe('IPv6');
    expect(ipam.gateway()).toBe('fd00:10:244:1::1');
    expect(ipam.rangeSet()).toBe('fd00:10:244:1::1-fd00:10:244:1:ffff:ffff:ffff:ffff');
    expect([ipam.allocate('a'), ipam.allocate('b')]).toEqual(['fd00:10:244:1::2', 'fd00:10:244:1::3']);
    expect(ipam.allocateSpecific('c', 'fd00:10:244:1::a')).toBe('fd00:10:244:1::a');
    expect(ipam.ownerOf('fd00:10:244:1::a')).toBe('c');
    expect(thrown(() => ipam.allocateSpecific('d', '10.244.1.5')).code).toBe('IP_NOT_IN_RANGE');
    ipam.release('a');
    expect(ipam.allocations().map((x) => x.ip)).toEqual(['fd00:10:244:1::3', 'fd00:10:244:1::a']);
  });

  it('fills a small IPv6 subnet to its last address (no broadcast in IPv6)', () => {
    const ipam = HostLocalIpam.create('fd00::/126');
    expect([ipam.allocate('a'), ipam.allocate('b')]).toEqual(['fd00::2', 'fd00::3']);
    expect(thrown(() => ipam.allocate('c')).message).toBe('no IP addresses available in range set: fd00::1-fd00::3');
  });

  it('fits one pod in a /30', () => {
    const ipam = HostLocalIpam.create('10.0.0.0/30');
    expect(ipam.allocate('only')).toBe('10.0.0.2');
    expect(thrown(() => ipam.allocate('more')).message).toBe('no IP addresses available in range set: 10.0.0.1-10.0.0.2');
  });

  it.each(['10.244.1.0/27', '10.244.1.0/29'])(
    'never holds an address twice in %s and keeps used + free == size',
    (subnet) => {
      const net = new Netmask(subnet);
      const base = tryParseIPv4(net.base)!;
      const hosts = net.size - 2;
      type Op = { kind: 'take'; owner: number } | { kind: 'pick'; owner: number; host: number } | { kind: 'release'; owner: number };
      const owner = fc.integer({ min: 0, max: 40 });
      const op: fc.Arbitrary<Op> = fc.oneof(
        owner.map<Op>((o) => ({ kind: 'take', owner: o })),
        fc.tuple(owner, fc.integer({ min: -1, max: hosts + 2 })).map<Op>(([o, host]) => ({ kind: 'pick', owner: o, host })),
        owner.map<Op>((o) => ({ kind: 'release', owner: o })),
      );
      fc.assert(
        fc.property(fc.array(op, { maxLength: 150 }), (ops) => {
          const ipam = HostLocalIpam.create(subnet);
          const model = new Map<string, string>(); // owner -> ip
          let lastReserved = 0; // host number; 0 = none yet, so the search starts at host 1 (the gateway)
          const hostOf = (ip: string) => tryParseIPv4(ip)! - base;
          /** host-local's round robin, written out: from lastReserved + 1, wrapping, skipping the gateway. */
          const expectedNext = (held: Set<string>) => {
            for (let step = 0; step < hosts; step++) {
              const host = ((lastReserved + step) % hosts) + 1;
              const ip = formatIPv4(base + host);
              if (host !== 1 && !held.has(ip)) return ip;
            }
            return undefined;
          };
          for (const o of ops) {
            const who = `pod-${o.owner}`;
            const held = new Set(model.values());
            if (o.kind === 'release') {
              ipam.release(who);
              model.delete(who);
            } else if (model.has(who)) {
              const e = thrown(() => (o.kind === 'take' ? ipam.allocate(who) : ipam.allocateSpecific(who, net.first)));
              expect(e.code).toBe('INVALID');
            } else if (o.kind === 'take') {
              if (held.size === hosts - 1) {
                expect(thrown(() => ipam.allocate(who)).code).toBe('NO_IP_AVAILABLE');
                continue;
              }
              const ip = ipam.allocate(who);
              expect(ip).toBe(expectedNext(held));
              lastReserved = hostOf(ip);
              expect(held.has(ip)).toBe(false);
              expect(net.contains(ip) && ip !== net.base && ip !== net.broadcast && ip !== ipam.gateway()).toBe(true);
              model.set(who, ip);
            } else {
              const ip = formatIPv4(base + o.host);
              const code = (() => {
                if (o.host < 1 || o.host > hosts) return 'IP_NOT_IN_RANGE';
                if (o.host === 1) return 'INVALID';
                if (held.has(ip)) return 'IP_ALREADY_ALLOCATED';
                return undefined;
              })();
              if (code) {
                expect(thrown(() => ipam.allocateSpecific(who, ip)).code).toBe(code);
              } else {
                expect(ipam.allocateSpecific(who, ip)).toBe(ip);
                lastReserved = o.host;
                model.set(who, ip);
              }
            }
            const stats = ipam.stats();
            expect(stats.used).toBe(model.size);
            expect(stats.used + stats.free).toBe(stats.size);
            expect(stats.size).toBe(hosts - 1);
          }
          for (const [who, ip] of model) expect(ipam.ownerOf(ip)).toBe(who);
        }),
      );
    },
  );
});
