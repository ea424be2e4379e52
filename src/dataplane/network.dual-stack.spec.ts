import { newCluster } from '../../test/support/cluster/cluster';
import { buildAddressPools, readConfig } from '../config/app-config';
import { SeededRandom } from '../common/random';
import { tryParseIPv6 } from '../ipam/ipv6';
import { ClusterNetwork } from './network';

const DUAL = { serviceClusterIpRange: '10.96.0.0/16,fd00:10:96::/112', clusterCidr: '10.244.0.0/16,fd00:10:244::/56', nodeCidrMaskSize: undefined };
const IPV6 = { serviceClusterIpRange: 'fd00:10:96::/112', clusterCidr: 'fd00:10:244::/56', nodeCidrMaskSize: undefined };

function cluster(overrides: object) {
  const c = newCluster(overrides);
  const t = (key: string) => c.store.resourceType(key);
  for (const name of ['n0', 'n1']) c.store.create(t('nodes'), { metadata: { name } });
  c.store.create(t('pods'), { metadata: { name: 'p' }, spec: { nodeName: 'n1', containers: [{ name: 'c', image: 'nginx' }] } }, 'default');
  return c;
}

const addresses = (c: ReturnType<typeof newCluster>, node: string) => (c.store.get(c.store.resourceType('nodes'), undefined, node).status as { addresses: unknown[] }).addresses;

describe('the pod network of a dual-stack cluster', () => {
  it('gives nodes an InternalIP of each family, the primary first, and frees both with the node', () => {
    const c = cluster(DUAL);
    expect(addresses(c, 'n1')).toEqual([
      { type: 'InternalIP', address: '172.18.0.3' },
      { type: 'InternalIP', address: 'fc00:f853:ccd:e793::3' },
      { type: 'Hostname', address: 'n1' },
    ]);
    const six = cluster(IPV6);
    expect(addresses(six, 'n0')).toEqual([
      { type: 'InternalIP', address: 'fc00:f853:ccd:e793::2' },
      { type: 'InternalIP', address: '172.18.0.2' },
      { type: 'Hostname', address: 'n0' },
    ]);
    // An IPv4 cluster's nodes keep one address.
    expect(addresses(cluster({}), 'n0')).toEqual([
      { type: 'InternalIP', address: '172.18.0.2' },
      { type: 'Hostname', address: 'n0' },
    ]);
    c.store.delete(c.store.resourceType('nodes'), undefined, 'n0');
    expect(c.pools.nodeAddressesIPv6!.has('fc00:f853:ccd:e793::2')).toBe(false);
    c.store.create(c.store.resourceType('nodes'), { metadata: { name: 'given' }, status: { addresses: [{ type: 'InternalIP', address: 'fc00:f853:ccd:e793::77' }] } });
    expect(addresses(c, 'given')).toEqual([
      { type: 'InternalIP', address: '172.18.0.2' },
      { type: 'InternalIP', address: 'fc00:f853:ccd:e793::77' },
      { type: 'Hostname', address: 'given' },
    ]);
    expect(c.pools.nodeAddressesIPv6!.has('fc00:f853:ccd:e793::77')).toBe(true);
  });

  it("builds flannel's IPv6 devices and routes with vxlan, and routes via the peers' IPv6 node addresses with host-gw", () => {
    const c = cluster(DUAL);
    const vxlan = new ClusterNetwork(c);
    expect(vxlan.interfaces('n0').map((i) => [i.name, i.mtu, i.addresses])).toEqual([
      ['lo', 65536, ['127.0.0.1/8', '::1/128']],
      ['eth0', 1500, ['172.18.0.2/16', 'fc00:f853:ccd:e793::2/64']],
      ['cni0', 1450, ['10.244.0.1/24', 'fd00:10:244::1/64']],
      ['flannel.1', 1450, ['10.244.0.0/32']],
      ['flannel-v6.1', 1430, ['fd00:10:244::/128']],
    ]);
    expect(vxlan.routes('n0').filter((r) => r.includes(':'))).toEqual([
      'fc00:f853:ccd:e793::/64 dev eth0 proto kernel metric 256',
      'fd00:10:244::/64 dev cni0 proto kernel metric 256',
      'fd00:10:244:: dev flannel-v6.1 proto kernel metric 256',
      'default via fc00:f853:ccd:e793::1 dev eth0',
      'fd00:10:244:1::/64 via fd00:10:244:1:: dev flannel-v6.1 onlink',
    ]);
    const hostGw = new ClusterNetwork(c, { overlay: 'host-gw' });
    expect(hostGw.interfaces('n0').map((i) => i.name)).toEqual(['lo', 'eth0', 'cni0']);
    expect(hostGw.routes('n0')).toContain('fd00:10:244:1::/64 via fc00:f853:ccd:e793::3 dev eth0');
  });

  it('finds pods and nodes by their IPv6 addresses', () => {
    const c = cluster(DUAL);
    const network = new ClusterNetwork(c);
    const pod = network.pod('default', 'p')!;
    expect([pod.ip, pod.ip6]).toEqual(['10.244.1.2', 'fd00:10:244:1::2']);
    expect(network.podByAddress(tryParseIPv6('fd00:10:244:1::2')!)?.name).toBe('p');
    expect(network.nodeForPodAddress(tryParseIPv6('fd00:10:244:1::9')!)?.name).toBe('n1');
    expect(network.nodeByAddress(tryParseIPv6('fc00:f853:ccd:e793::3')!)?.name).toBe('n1');
    expect(network.nodeByPodNetwork(tryParseIPv6('fd00:10:244:1::')!)?.name).toBe('n1');
    expect(network.engine('n1', 'ipv6').ruleset.family).toBe('ipv6');
    // An IPv4 cluster's nodes have no IPv6 side to run.
    const v4 = new ClusterNetwork(cluster({}));
    expect(() => v4.engine('n1', 'ipv6')).toThrow('node n1 has no ip6tables tables: the cluster has no IPv6 range');
    expect(v4.interfaces('n0')[0].addresses).toEqual(['127.0.0.1/8']);
  });

  it('takes the IPv6 node network from NODE_NETWORK_IPV6, and refuses one of the wrong family naming the variable', () => {
    const random = new SeededRandom(1);
    expect(buildAddressPools(readConfig({ IP_FAMILY: 'dual', NODE_NETWORK_IPV6: 'fd00:ab::/64' }), random).nodeAddressesIPv6?.range).toBe('fd00:ab::/64');
    expect(() => buildAddressPools(readConfig({ IP_FAMILY: 'dual', NODE_NETWORK_IPV6: '10.0.0.0/16' }), random)).toThrow(/NODE_NETWORK_IPV6.*is not an IPv6 network/);
    expect(() => buildAddressPools(readConfig({ NODE_NETWORK: 'fd00::/64' }), random)).toThrow(/NODE_NETWORK.*is not an IPv4 network/);
    expect(buildAddressPools(readConfig({}), random).nodeAddressesIPv6).toBeUndefined();
  });
});
