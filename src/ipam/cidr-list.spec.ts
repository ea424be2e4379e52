import { SeededRandom } from '../common/random';
import { AddressPools, PoolConfigError } from './address-pools';
import { nodeMaskSizes, parseClusterCidrs, parseServiceCidrs } from './cidr-list';

const BASE = {
  serviceClusterIpRange: '10.96.0.0/12',
  serviceNodePortRange: '30000-32767',
  clusterCidr: '10.244.0.0/16',
  loadBalancerIpRange: '172.18.255.200-172.18.255.250',
  nodeNetwork: '172.18.0.0/16',
};

function refusal(run: () => unknown): string {
  try {
    run();
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error('expected a refusal');
}

describe('--service-cluster-ip-range lists (kube-apiserver)', () => {
  it('reads one CIDR per family, the primary first', () => {
    expect(parseServiceCidrs('fd00:10:96::/112, 10.96.0.0/12')).toEqual([
      { family: 'IPv6', cidr: 'fd00:10:96::/112' },
      { family: 'IPv4', cidr: '10.96.0.0/12' },
    ]);
  });

  it.each([
    ['banana', 'service-cluster-ip-range[0] is not a valid cidr'],
    ['10.96.0.0/12,banana', 'service-cluster-ip-range[1] is not an ip net'],
    ['10.96.0.0/12,fd00::/112,10.0.0.0/24', '--service-cluster-ip-range must not contain more than two entries'],
    ['10.96.0.0/12,10.0.0.0/24', '--service-cluster-ip-range[0] and --service-cluster-ip-range[1] must be of different IP family'],
    ['10.96.0.1/12', 'invalid CIDR address: 10.96.0.1/12: must be in canonical form ("10.96.0.0/12")'],
  ])('refuses %s: %s', (list, message) => {
    expect(refusal(() => parseServiceCidrs(list))).toBe(message);
  });

  it('refuses an IPv6 range larger than /108, primary or secondary, with the flag named as upstream', () => {
    const pools = (range: string) => () => AddressPools.create({ ...BASE, serviceClusterIpRange: range }, new SeededRandom(1));
    expect(refusal(pools('fd00::/107'))).toBe('specified --service-cluster-ip-range is too large; for 128-bit addresses, the mask must be >= 108');
    expect(refusal(pools('10.96.0.0/12,fd00::/96'))).toBe(
      'specified --service-cluster-ip-range[1] is too large; for 128-bit addresses, the mask must be >= 108',
    );
    expect(AddressPools.create({ ...BASE, serviceClusterIpRange: '10.96.0.0/12,fd00::/108' }, new SeededRandom(1)).serviceFamilies).toEqual([
      'IPv4',
      'IPv6',
    ]);
  });
});

describe('--cluster-cidr lists and node mask sizes (kube-controller-manager)', () => {
  it.each([
    ['10.244.0.0/16,10.245.0.0/16', 'len of ClusterCIDRs==2 and they are not configured as dual stack (at least one from each IPFamily'],
    ['10.244.0.0/16,fd00::/56,10.245.0.0/16', 'length of clusterCIDRs is:3 more than max allowed of 2'],
    ['10.244.0.0/16,nope', 'invalid CIDR address: nope'],
  ])('refuses %s: %s', (list, message) => {
    expect(refusal(() => parseClusterCidrs(list))).toBe(message);
  });

  const dual = parseClusterCidrs('10.244.0.0/16,fd00:10:244::/56');
  const v6 = parseClusterCidrs('fd00:10:244::/56');
  const v4 = parseClusterCidrs('10.244.0.0/16');

  it('defaults to /24 and /64, in the order of the CIDRs', () => {
    expect(nodeMaskSizes(dual, {})).toEqual([24, 64]);
    expect(nodeMaskSizes(parseClusterCidrs('fd00:10:244::/56,10.244.0.0/16'), { ipv6: 80 })).toEqual([80, 24]);
    expect(nodeMaskSizes(v6, {})).toEqual([64]);
    expect(nodeMaskSizes(v4, { any: 26 })).toEqual([26]);
  });

  it.each([
    [dual, { any: 24 }, 'usage of --node-cidr-mask-size is not allowed with dual-stack clusters'],
    [
      v4,
      { any: 24, ipv4: 24 },
      'usage of --node-cidr-mask-size-ipv4 and --node-cidr-mask-size-ipv6 is not allowed if --node-cidr-mask-size is set. For dual-stack clusters please unset it and use IPFamily specific flags',
    ],
    [v6, { ipv4: 24 }, 'usage of --node-cidr-mask-size-ipv4 is not allowed for a single-stack IPv6 cluster'],
    [v4, { ipv6: 64 }, 'usage of --node-cidr-mask-size-ipv6 is not allowed for a single-stack IPv4 cluster'],
  ])('refuses mask flags that do not fit the cluster (%#)', (cidrs, flags, message) => {
    expect(refusal(() => nodeMaskSizes(cidrs, flags))).toBe(message);
  });

  it('builds one pod CIDR allocator per family, and names the option at fault', () => {
    const pools = AddressPools.create({ ...BASE, clusterCidr: '10.244.0.0/16,fd00:10:244::/56' }, new SeededRandom(1));
    expect(pools.podFamilies).toEqual(['IPv4', 'IPv6']);
    expect(pools.podCidrsByFamily.get('IPv6')!.allocateNext()).toBe('fd00:10:244::/64');
    let error: unknown;
    try {
      AddressPools.create({ ...BASE, clusterCidr: '10.244.0.0/16,fd00::/56', nodeCidrMaskSize: 24 }, new SeededRandom(1));
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(PoolConfigError);
    expect((error as PoolConfigError).option).toBe('nodeCidrMaskSize');
  });
});
