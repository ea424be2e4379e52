import { printIptablesSave } from '../../netfilter/iptables-save.printer';
import { newCluster } from '../../../test/support/cluster/cluster';
import { resourceTypeByKey } from '../store/resource-types';

const t = (key: string) => resourceTypeByKey(key)!;

function cluster() {
  const c = newCluster();
  c.store.create(t('nodes'), { metadata: { name: 'cp', labels: { 'node-role.kubernetes.io/control-plane': '' } } });
  c.store.create(t('nodes'), { metadata: { name: 'w1' } });
  return c;
}

describe('KubeProxyController', () => {
  it("programs each node's tables with upstream's layout, jump rules included", () => {
    const c = cluster();
    const text = printIptablesSave(c.kubeProxies.proxy('w1').ruleset);
    expect(text).toContain('-A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES');
    expect(text).toContain('-A POSTROUTING -m comment --comment "kubernetes postrouting rules" -j KUBE-POSTROUTING');
    expect(text).toContain(
      '-A KUBE-SERVICES -d 10.96.0.1/32 -p tcp -m comment --comment "default/kubernetes:https cluster IP" -m tcp --dport 443 -j KUBE-SVC-NPX46M4PTMTKRN6Y',
    );
    expect(text).toMatch(/-A KUBE-SEP-\w+ -p tcp -m comment --comment "default\/kubernetes:https" -m tcp -j DNAT --to-destination 172\.18\.0\.2:6443/);
    // The jump rules are there once, at the top of their chains, in the order a real node shows them.
    const input = text.split('\n').filter((l) => l.startsWith('-A INPUT'));
    expect(input).toEqual([
      '-A INPUT -m conntrack --ctstate NEW -m comment --comment "kubernetes load balancer firewall" -j KUBE-PROXY-FIREWALL',
      '-A INPUT -m comment --comment "kubernetes health check service ports" -j KUBE-NODEPORTS',
      '-A INPUT -m conntrack --ctstate NEW -m comment --comment "kubernetes externally-visible service portals" -j KUBE-EXTERNAL-SERVICES',
      '-A INPUT -j KUBE-FIREWALL',
    ]);
  });

  it('follows Services and endpoints with partial syncs', () => {
    const c = cluster();
    c.kubeProxies.proxy('w1');
    c.store.create(t('services'), { metadata: { name: 'web' }, spec: { selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 8080 }] } }, 'default');
    c.store.create(t('pods'), { metadata: { name: 'web-1', labels: { app: 'web' } }, spec: { nodeName: 'w1', containers: [{ name: 'c', image: 'x' }] } }, 'default');
    const proxy = c.kubeProxies.proxy('w1');
    const text = printIptablesSave(proxy.ruleset, { tables: ['nat'] });
    expect(text).toMatch(/-A KUBE-SEP-\w+ -p tcp -m comment --comment "default\/web:http" -m tcp -j DNAT --to-destination 10\.244\.1\.2:8080/);
    const status = proxy.proxier.status();
    expect(status.lastSync?.full).toBe(false);
    expect(status.counters.fullSyncs).toBe(1);
    c.store.delete(t('services'), 'default', 'web');
    const after = printIptablesSave(c.kubeProxies.proxy('w1').ruleset, { tables: ['nat'] });
    expect(after).not.toContain('default/web');
  });

  it('batches changes by minSyncPeriod on the simulated clock when configured so', () => {
    const c = cluster();
    c.kubeProxies.setNodeConfig('w1', { iptables: { minSyncPeriod: '1s' } } as never);
    c.store.create(t('services'), { metadata: { name: 'a' }, spec: { ports: [{ port: 80 }] } }, 'default');
    expect(printIptablesSave(c.kubeProxies.proxy('w1').ruleset)).not.toContain('default/a');
    c.advance(1);
    expect(printIptablesSave(c.kubeProxies.proxy('w1').ruleset)).toContain('default/a');
  });

  it('sets the next sync timer when a configuration replaces a proxier, not at the next unrelated write', () => {
    const c = cluster();
    const syncTimers = () => c.clock.pending().filter((timer) => timer.name === 'kube-proxy w1: sync');
    expect(syncTimers()).toEqual([]);
    c.kubeProxies.setNodeConfig('w1', { iptables: { minSyncPeriod: '1s', syncPeriod: '1h' } } as never);
    // No store write since: the new proxier synced once and its periodic sync is due an hour later.
    expect(syncTimers().map((timer) => timer.at - c.clock.now())).toEqual([3_600_000]);
    const before = c.clock.pending();
    c.store.commit(); // a settle with nothing to do (a refused batch lets go of the store so) changes no timer
    expect(c.clock.pending()).toEqual(before);
  });
});
