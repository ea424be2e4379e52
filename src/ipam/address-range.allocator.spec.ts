import { DomainError } from '../common/domain-error';
import { AddressRangeAllocator } from './address-range.allocator';

describe('AddressRangeAllocator', () => {
  it('numbers nodes in a CIDR as kind does: .2, .3, ...', () => {
    const nodes = AddressRangeAllocator.create('NodeAddress', '172.18.0.0/16');
    expect([nodes.allocateNext(), nodes.allocateNext(), nodes.allocateNext()]).toEqual([
      '172.18.0.2',
      '172.18.0.3',
      '172.18.0.4',
    ]);
    expect(nodes.stats()).toMatchObject({ kind: 'NodeAddress', size: 65533, used: 3 });
  });

  it('hands out a LoadBalancer pool lowest-free first, reusing freed addresses', () => {
    const pool = AddressRangeAllocator.create('LoadBalancer', '172.18.255.200-172.18.255.202');
    expect(pool.allocateNext()).toBe('172.18.255.200');
    expect(pool.allocate('172.18.255.202')).toBe(true);
    expect(pool.allocate('172.18.255.202')).toBe(false);
    expect(pool.allocate('172.18.255.203')).toBe(false);
    expect(pool.allocateNext()).toBe('172.18.255.201');
    expect(pool.allocateNext()).toBeUndefined();
    pool.release('172.18.255.200');
    expect(pool.allocateNext()).toBe('172.18.255.200');
    expect(pool.stats()).toEqual({
      kind: 'LoadBalancer',
      range: '172.18.255.200-172.18.255.202',
      size: 3,
      used: 3,
      free: 0,
      staticBand: null,
    });
  });

  it("numbers nodes in kind's IPv6 network the same way, tracking the first 65,536 addresses of a /64", () => {
    const nodes = AddressRangeAllocator.create('NodeAddress', 'fc00:f853:ccd:e793::/64');
    expect(nodes.family).toBe('IPv6');
    expect([nodes.allocateNext(), nodes.allocateNext()]).toEqual(['fc00:f853:ccd:e793::2', 'fc00:f853:ccd:e793::3']);
    expect(nodes.allocate('fc00:f853:ccd:e793::9')).toBe(true);
    expect(nodes.allocate('FC00:F853:CCD:E793::9')).toBe(false);
    expect(nodes.allocate('fc00:f853:ccd:e794::9')).toBe(false);
    expect(nodes.contains('fc00:f853:ccd:e793::1')).toBe(false);
    expect(nodes.contains('172.18.0.2')).toBe(false);
    nodes.release('fc00:f853:ccd:e793::2');
    expect(nodes.allocateNext()).toBe('fc00:f853:ccd:e793::2');
    expect(nodes.stats()).toMatchObject({ range: 'fc00:f853:ccd:e793::/64', size: 65536, used: 3 });
    // A small one holds its network's addresses but the network and ::1.
    const small = AddressRangeAllocator.create('NodeAddress', 'fd00::/125');
    expect(small.stats().size).toBe(6);
    expect(AddressRangeAllocator.create('NodeAddress', '172.18.0.0/16').family).toBe('IPv4');
  });

  it.each(['banana', 'fd00::1/64', 'fd00::/126', '172.18.255.250-172.18.255.200', '10.0.0.0/30', '10.0.0.1/24', '10.0.0.0/8'])(
    'refuses %p',
    (range) => expect(() => AddressRangeAllocator.create('LoadBalancer', range)).toThrow(DomainError),
  );
});
