import { ENDPOINTS_MAX_CAPACITY, truncateSubsets } from './endpoint-slice.controller';

const addresses = (n: number, prefix: string) => Array.from({ length: n }, (_, i) => ({ ip: `${prefix}.${i}` }));

describe('the Endpoints object over capacity', () => {
  it('is left alone up to 1,000 addresses', () => {
    const subsets = [{ addresses: addresses(600, 'r'), notReadyAddresses: addresses(400, 'n'), ports: [] }];
    expect(truncateSubsets(subsets)).toBe(false);
    expect(subsets[0].addresses).toHaveLength(600);
    expect(subsets[0].notReadyAddresses).toHaveLength(400);
  });

  it('keeps every ready address and cuts the not-ready ones when the ready ones fit', () => {
    const subsets = [{ addresses: addresses(900, 'r'), notReadyAddresses: addresses(300, 'n'), ports: [] }];
    expect(truncateSubsets(subsets)).toBe(true);
    expect(subsets[0].addresses).toHaveLength(900);
    expect(subsets[0].notReadyAddresses).toHaveLength(100);
  });

  it('shares the room between subsets in proportion, rounded up, and drops not-ready addresses when the ready ones alone are too many', () => {
    const subsets = [
      { addresses: addresses(15_001, 'a'), notReadyAddresses: addresses(10, 'x'), ports: [] },
      { addresses: addresses(4_999, 'b'), ports: [] },
    ];
    expect(truncateSubsets(subsets)).toBe(true);
    // 15,001 / 20,000 of 1,000 is 750.05: 751; the last subset gets the 249 left, not its 250.
    expect(subsets.map((s) => s.addresses.length)).toEqual([751, 249]);
    expect(subsets[0].addresses[0]).toEqual({ ip: 'a.0' });
    expect(subsets[0].notReadyAddresses).toBeUndefined();
    expect(subsets[0].addresses.length + subsets[1].addresses.length).toBe(ENDPOINTS_MAX_CAPACITY);
  });
});
