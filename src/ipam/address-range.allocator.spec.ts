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

  it.each(['banana', '172.18.255.250-172.18.255.200', '10.0.0.0/30', '10.0.0.1/24', '10.0.0.0/8'])(
    'refuses %p',
    (range) => expect(() => AddressRangeAllocator.create('LoadBalancer', range)).toThrow(DomainError),
  );
});
