import fc from 'fast-check';
import { Netmask } from 'netmask';
import { PodCidrAllocator } from './pod-cidr.allocator';
import { refusalOf as thrown } from '../../test/support/common/domain-error';

const NOT_AVAILABLE = 'CIDR allocation failed; there are no remaining CIDRs left to allocate in the accepted range';

describe('PodCidrAllocator', () => {
  it('hands out 10.244.0.0/24, 10.244.1.0/24, ... and refuses the 257th node', () => {
    const a = PodCidrAllocator.create('10.244.0.0/16', 24);
    expect(a.stats()).toEqual({ kind: 'PodCIDR', range: '10.244.0.0/16', size: 256, used: 0, free: 256, staticBand: null });
    const blocks = Array.from({ length: 256 }, () => a.allocateNext());
    expect(blocks[0]).toBe('10.244.0.0/24');
    expect(blocks[1]).toBe('10.244.1.0/24');
    expect(blocks[255]).toBe('10.244.255.0/24');
    expect(thrown(() => a.allocateNext())).toMatchObject({ code: 'CIDR_NOT_AVAILABLE', message: NOT_AVAILABLE });
    expect(a.stats()).toMatchObject({ used: 256, free: 0 });
  });

  it('reuses a released block only after the cursor wraps', () => {
    const a = PodCidrAllocator.create('10.244.0.0/22', 24);
    expect([a.allocateNext(), a.allocateNext(), a.allocateNext()]).toEqual([
      '10.244.0.0/24',
      '10.244.1.0/24',
      '10.244.2.0/24',
    ]);
    a.release('10.244.1.0/24');
    expect(a.allocateNext()).toBe('10.244.3.0/24');
    expect(a.allocateNext()).toBe('10.244.1.0/24');
    expect(thrown(() => a.allocateNext()).code).toBe('CIDR_NOT_AVAILABLE');
  });

  it('skips blocks occupied by existing nodes', () => {
    const a = PodCidrAllocator.create('10.244.0.0/16', 24);
    a.occupy('10.244.0.0/24');
    a.occupy('10.244.2.0/24');
    a.occupy('10.244.2.0/24'); // again: a no-op
    expect(a.has('10.244.2.0/24')).toBe(true);
    expect(a.allocateNext()).toBe('10.244.1.0/24');
    expect(a.allocateNext()).toBe('10.244.3.0/24');
    expect(a.allocated()).toEqual(['10.244.0.0/24', '10.244.1.0/24', '10.244.2.0/24', '10.244.3.0/24']);
  });

  it('occupies every block a larger CIDR overlaps, such as an overlapping service range', () => {
    const a = PodCidrAllocator.create('10.0.0.0/8', 24);
    a.occupy('10.96.0.0/12');
    expect(a.stats().used).toBe(4096);
    expect(a.has('10.96.0.0/24')).toBe(true);
    expect(a.has('10.111.255.0/24')).toBe(true);
    expect(a.has('10.112.0.0/24')).toBe(false);
    const b = PodCidrAllocator.create('10.244.0.0/16', 24);
    b.occupy('10.0.0.0/8'); // contains the whole cluster CIDR
    expect(thrown(() => b.allocateNext()).code).toBe('CIDR_NOT_AVAILABLE');
  });

  it('occupies the whole block a smaller CIDR falls in', () => {
    const a = PodCidrAllocator.create('10.244.0.0/16', 24);
    a.occupy('10.244.0.64/26');
    expect(a.has('10.244.0.0/24')).toBe(true);
    expect(a.allocateNext()).toBe('10.244.1.0/24');
  });

  it.each([
    ['10.0.0.0/24', 'cidr 10.0.0.0/24 is out the range of cluster cidr 10.244.0.0/16'],
    ['10.245.0.0/24', 'cidr 10.245.0.0/24 is out the range of cluster cidr 10.244.0.0/16'],
    ['10.244.1.5/24', 'invalid CIDR address: 10.244.1.5/24: must be in canonical form ("10.244.1.0/24")'],
    ['10.244.1.0', 'invalid CIDR address: 10.244.1.0'],
    ['fd00::/64', 'cidr fd00::/64 is out the range of cluster cidr 10.244.0.0/16'],
  ])('refuses to occupy %s', (cidr, message) => {
    const a = PodCidrAllocator.create('10.244.0.0/16', 24);
    expect(thrown(() => a.occupy(cidr))).toMatchObject({ code: 'INVALID', message });
    expect(a.has(cidr)).toBe(false);
  });

  it('releases only whole node blocks; a free block is a no-op', () => {
    const a = PodCidrAllocator.create('10.244.0.0/16', 24);
    a.release('10.244.7.0/24');
    expect(thrown(() => a.release('10.244.0.0/23')).message).toBe('10.244.0.0/23 is not a /24 node CIDR of 10.244.0.0/16');
    expect(thrown(() => a.release('10.244.0.0/25')).code).toBe('INVALID');
    expect(thrown(() => a.release('10.9.0.0/24')).message).toBe('cidr 10.9.0.0/24 is out the range of cluster cidr 10.244.0.0/16');
  });

  it.each([
    [
      '10.244.0.0/16',
      8,
      'Controller: Invalid --cluster-cidr, mask size of cluster CIDR must be less than or equal to --node-cidr-mask-size configured for CIDR family',
    ],
    ['10.244.0.0/16', 33, 'invalid --node-cidr-mask-size 33: must be between 0 and 32 for IPv4'],
    ['10.244.0.0/16', 24.5, 'invalid --node-cidr-mask-size 24.5: must be between 0 and 32 for IPv4'],
    ['0.0.0.0/0', 32, 'New CIDR set failed; the node CIDR size is too big'],
    ['10.244.0.1/16', 24, 'invalid CIDR address: 10.244.0.1/16: must be in canonical form ("10.244.0.0/16")'],
    ['10.244.0.0/16/24', 24, 'invalid CIDR address: 10.244.0.0/16/24'],
    ['fd00:10:244::/48', 65, 'New CIDR set failed; the node CIDR size is too big'],
    ['fd00:10:244::/56', 129, 'invalid --node-cidr-mask-size 129: must be between 0 and 128 for IPv6'],
  ])('refuses cluster CIDR %s with node mask %d', (cidr, mask, message) => {
    expect(thrown(() => PodCidrAllocator.create(cidr, mask))).toMatchObject({ code: 'INVALID', message });
  });

  it('hands out IPv6 /64 node blocks from a /56, next-fit, and keeps them apart from IPv4', () => {
    const a = PodCidrAllocator.create('fd00:10:244::/56', 64);
    expect(a.family).toBe('IPv6');
    expect(a.size).toBe(256);
    expect([a.allocateNext(), a.allocateNext()]).toEqual(['fd00:10:244::/64', 'fd00:10:244:1::/64']);
    a.occupy('fd00:10:244:5::/64');
    expect(a.has('fd00:10:244:5::/64')).toBe(true);
    expect(a.has('10.244.0.0/24')).toBe(false);
    expect(thrown(() => a.occupy('fd00:10:245::/64')).message).toBe('cidr fd00:10:245::/64 is out the range of cluster cidr fd00:10:244::/56');
    a.release('fd00:10:244:1::/64');
    expect(a.allocated()).toEqual(['fd00:10:244::/64', 'fd00:10:244:5::/64']);
    expect(a.stats()).toMatchObject({ kind: 'PodCIDR', range: 'fd00:10:244::/56', size: 256, used: 2 });
  });

  it('allows 16 bits between an IPv6 cluster mask and the node mask, as upstream', () => {
    expect(PodCidrAllocator.create('fd00:10:244::/48', 64).size).toBe(65536);
  });

  it('accepts a node mask equal to the cluster mask (one block)', () => {
    const a = PodCidrAllocator.create('10.244.0.0/24', 24);
    expect(a.allocateNext()).toBe('10.244.0.0/24');
    expect(thrown(() => a.allocateNext()).code).toBe('CIDR_NOT_AVAILABLE');
  });

  it('hands out aligned, disjoint blocks inside the cluster CIDR (checked with netmask)', () => {
    fc.assert(
      fc.property(
        fc.ipV4(),
        fc.integer({ min: 8, max: 28 }),
        fc.integer({ min: 0, max: 6 }),
        fc.integer({ min: 1, max: 70 }),
        (anyIp, prefix, extra, count) => {
          const cluster = new Netmask(`${anyIp}/${prefix}`);
          const mask = Math.min(32, prefix + extra);
          const a = PodCidrAllocator.create(`${cluster.base}/${prefix}`, mask);
          const blocks: Netmask[] = [];
          for (let i = 0; i < Math.min(count, a.size); i++) {
            const text = a.allocateNext();
            const block = new Netmask(text);
            expect(block.toString()).toBe(text); // aligned: no host bits
            expect(block.bitmask).toBe(mask);
            expect(cluster.contains(block)).toBe(true);
            for (const other of blocks) expect(other.contains(block.base) || block.contains(other.base)).toBe(false);
            blocks.push(block);
          }
          if (count >= a.size) expect(thrown(() => a.allocateNext()).code).toBe('CIDR_NOT_AVAILABLE');
        },
      ),
    );
  });

  it('occupies exactly the CIDRs that overlap the cluster CIDR (checked with netmask)', () => {
    fc.assert(
      fc.property(fc.ipV4(), fc.integer({ min: 1, max: 32 }), (anyIp, prefix) => {
        const probe = new Netmask(`${anyIp}/${prefix}`);
        const cluster = new Netmask('10.244.0.0/16');
        const overlaps = cluster.contains(probe) || probe.contains(cluster);
        const a = PodCidrAllocator.create('10.244.0.0/16', 24);
        if (overlaps) {
          a.occupy(probe.toString());
          expect(a.stats().used).toBe(prefix <= 24 ? Math.min(256, 2 ** (24 - Math.max(prefix, 16))) : 1);
        } else {
          expect(thrown(() => a.occupy(probe.toString())).code).toBe('INVALID');
        }
      }),
    );
  });
});
