/**
 * A node's kube-proxy mode (`KubeProxyConfiguration.mode`): nftables mode
 * writes the `kube-proxy` tables, each mode cleans up what the other left
 * when it starts (upstream `platformCleanup`), and a cluster can run nodes
 * in both modes at once, as one that is migrating does.
 */
import { printRuleset } from '../../nftables/list-printer';
import { tableKey } from '../../nftables/model';
import { printIptablesSave } from '../../netfilter/iptables-save.printer';
import { newCluster } from '../../../test/support/cluster/cluster';
import { resourceTypeByKey } from '../store/resource-types';

const t = (key: string) => resourceTypeByKey(key)!;
const NFT = { mode: 'nftables', nftables: { minSyncPeriod: '0s' } } as never;
const DUAL = { serviceClusterIpRange: '10.96.0.0/16,fd00:10:96::/112', clusterCidr: '10.244.0.0/16,fd00:10:244::/56', nodeCidrMaskSize: undefined };

function cluster(overrides = {}) {
  const c = newCluster(overrides);
  c.store.create(t('nodes'), { metadata: { name: 'w1' } });
  c.store.create(t('nodes'), { metadata: { name: 'w2' } });
  return c;
}

function addWeb(c: ReturnType<typeof cluster>) {
  c.store.create(t('services'), { metadata: { name: 'web' }, spec: { selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 8080 }] } }, 'default');
  c.store.create(t('pods'), { metadata: { name: 'web-1', labels: { app: 'web' } }, spec: { nodeName: 'w1', containers: [{ name: 'c', image: 'x' }] } }, 'default');
}

describe('kube-proxy mode per node', () => {
  it('runs the nftables proxier on a node in nftables mode, and the iptables one on the others', () => {
    const c = cluster();
    addWeb(c);
    c.kubeProxies.setNodeConfig('w1', NFT);
    const w1 = c.kubeProxies.proxy('w1');
    expect(w1.mode).toBe('nftables');
    const list = printRuleset(w1.nftables);
    expect(list).toMatch(/^table ip kube-proxy \{\n\tcomment "rules for kube-proxy"\n/);
    expect(list).toMatch(/10\.\d+\.\d+\.\d+ \. tcp \. 80 : goto service-\w{8}-default\/web\/tcp\/http/);
    // The Service CIDR comes from the cluster: unallocated ClusterIPs are dropped.
    expect(list).toContain('ip daddr 10.96.0.0/12 drop comment "Drop traffic to unallocated ClusterIPs"');
    const w2 = c.kubeProxies.proxy('w2');
    expect(w2.mode).toBe('iptables');
    expect(w2.nftables.tables.size).toBe(0);
    expect(printIptablesSave(w2.ruleset)).toContain('-A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES');
  });

  it("removes iptables mode's chains and jumps when nftables mode starts, and keeps the kubelet's", () => {
    const c = cluster();
    addWeb(c);
    expect(printIptablesSave(c.kubeProxies.proxy('w1').ruleset)).toMatch(/KUBE-SEP-/);
    c.kubeProxies.setNodeConfig('w1', NFT);
    const save = printIptablesSave(c.kubeProxies.proxy('w1').ruleset);
    expect(save).not.toMatch(/KUBE-(SERVICES|NODEPORTS|POSTROUTING|EXTERNAL-SERVICES|FORWARD|SVC-|SEP-|EXT-|FW-|SVL-)/);
    // What upstream's iptables CleanupLeftovers leaves: the kubelet's chains and jumps, KUBE-MARK-MASQ,
    // KUBE-PROXY-FIREWALL (unlinked) and the canaries.
    expect(save.split('\n').filter((l) => l.startsWith('-A INPUT') || l.startsWith('-A OUTPUT') || l.startsWith('-A FORWARD') || l.startsWith('-A PREROUTING') || l.startsWith('-A POSTROUTING'))).toEqual([
      '-A INPUT -j KUBE-FIREWALL',
      '-A OUTPUT -j KUBE-FIREWALL',
    ]);
    for (const chain of ['KUBE-FIREWALL', 'KUBE-KUBELET-CANARY', 'KUBE-IPTABLES-HINT', 'KUBE-MARK-MASQ', 'KUBE-PROXY-FIREWALL', 'KUBE-PROXY-CANARY']) {
      expect(save).toContain(`:${chain} - [0:0]`);
    }
    expect(printRuleset(c.kubeProxies.proxy('w1').nftables)).toMatch(/endpoint-\w{8}-default\/web\/tcp\/http__10\.244\.\d+\.\d+\/8080/);
  });

  it("deletes nftables mode's tables when iptables mode starts again", () => {
    const c = cluster(DUAL);
    c.kubeProxies.setNodeConfig('w1', NFT);
    const nft = c.kubeProxies.proxy('w1').nftables;
    expect([...nft.tables.keys()]).toEqual([tableKey('ip', 'kube-proxy'), tableKey('ip6', 'kube-proxy')]);
    c.kubeProxies.setNodeConfig('w1', null);
    const w1 = c.kubeProxies.proxy('w1');
    expect(w1.mode).toBe('iptables');
    expect(w1.nftables.tables.size).toBe(0);
    expect(printIptablesSave(w1.ruleset)).toContain('-A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES');
    expect(printIptablesSave(w1.ipv6!.ruleset)).toContain('-A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES');
  });

  it('cleans the ip6tables side too on a dual-stack node, and writes both families', () => {
    const c = cluster(DUAL);
    expect(printIptablesSave(c.kubeProxies.proxy('w1').ipv6!.ruleset)).toContain('KUBE-SERVICES');
    c.kubeProxies.setNodeConfig('w1', NFT);
    const w1 = c.kubeProxies.proxy('w1');
    const save6 = printIptablesSave(w1.ipv6!.ruleset);
    expect(save6).not.toMatch(/KUBE-(SERVICES|NODEPORTS|POSTROUTING|SVC-|SEP-)/);
    expect(save6).toContain(':KUBE-KUBELET-CANARY - [0:0]');
    expect(printRuleset(w1.nftables)).toContain('ip6 daddr fd00:10:96::/112 drop comment "Drop traffic to unallocated ClusterIPs"');
  });

  it('batches changes by nftables.minSyncPeriod on the simulated clock', () => {
    const c = cluster();
    c.kubeProxies.setNodeConfig('w1', { mode: 'nftables', nftables: { minSyncPeriod: '1s' } } as never);
    c.store.create(t('services'), { metadata: { name: 'a' }, spec: { ports: [{ port: 80 }] } }, 'default');
    expect(printRuleset(c.kubeProxies.proxy('w1').nftables)).not.toContain('default/a');
    c.advance(1);
    expect(printRuleset(c.kubeProxies.proxy('w1').nftables)).toContain('comment "default/a"');
  });

  it('follows Services with partial syncs, and deletes stale chains by a sync more than a second later', () => {
    const c = cluster();
    c.kubeProxies.setNodeConfig('w1', NFT);
    addWeb(c);
    let w1 = c.kubeProxies.proxy('w1');
    expect(printRuleset(w1.nftables)).toContain('default/web/tcp/http');
    const status = () => (w1.proxier.status() as { lastSync?: { full: boolean; chainsDeleted: number }; counters: { fullSyncs: number }; staleChains?: number });
    expect(status().lastSync?.full).toBe(false);
    expect(status().counters.fullSyncs).toBe(1);
    c.store.delete(t('services'), 'default', 'web');
    w1 = c.kubeProxies.proxy('w1');
    // Flushed, not yet deleted: the chains are there, empty.
    expect(printRuleset(w1.nftables)).toMatch(/chain service-\w{8}-default\/web\/tcp\/http \{\n\t\}/);
    expect(status().staleChains).toBe(2);
    c.advance(2);
    c.store.create(t('services'), { metadata: { name: 'other' }, spec: { ports: [{ port: 81 }] } }, 'default');
    w1 = c.kubeProxies.proxy('w1');
    expect(printRuleset(w1.nftables)).not.toContain('default/web');
    expect(status().lastSync).toMatchObject({ full: false, chainsDeleted: 2 });
  });
});
