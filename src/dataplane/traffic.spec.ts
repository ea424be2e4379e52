import type { Cluster } from '../cluster/cluster';
import { demoCluster } from '../../test/support/dataplane/demo';
import { printIptablesSave } from '../netfilter/iptables-save.printer';
import { NameResolver, searchPath } from './names';
import { ClusterNetwork } from './network';
import { TrafficSimulator } from './traffic';


const type = (cluster: Cluster, key: string) => cluster.store.resourceType(key);

describe('dataplane', () => {
  it('keeps an enumerated answer while nothing it reads changes, and only then', () => {
    const cluster = demoCluster();
    const sim = new TrafficSimulator(cluster);
    const request = { from: 'pod/default/db-0', to: 'web:80' };
    const first = sim.send(request);
    expect(first.outcomes.map((o) => o.probability)).toHaveLength(3);
    expect(sim.send({ ...request })).toBe(first);
    expect(Object.isFrozen(first.outcomes[0].hops[0])).toBe(true);
    expect(sim.send({ ...request, sourcePort: 40001 })).not.toBe(first);

    // A sampled connection with the same ports enters conntrack: the next enumeration follows it, to one pod.
    const sampled = sim.send({ ...request, mode: 'sample', count: 1, sourcePort: 40000, seed: 3 });
    const pod = Object.keys(sampled.samples!)[0];
    const after = sim.send(request);
    expect(after).not.toBe(first);
    expect(after.outcomes.map((o) => [o.probability, `pod/${o.destination?.pod}`])).toEqual([[1, pod]]);
    expect(sim.send(request)).toBe(after);

    // The connection times out on the clock (TCP SYN_RECV: 60 s): three pods again.
    cluster.clock.advance(61_000);
    const later = sim.send(request);
    expect(later).not.toBe(after);
    expect(later.outcomes).toHaveLength(3);

    // Objects change, the clock standing still: scaled to one replica, two pods terminate at once.
    const deployment = cluster.store.get(type(cluster, 'deployments.apps'), 'default', 'web');
    cluster.store.update(type(cluster, 'deployments.apps'), 'default', 'web', { ...deployment, spec: { ...(deployment.spec as object), replicas: 1 } });
    const scaled = sim.send(request);
    expect(scaled.outcomes.filter((o) => o.result === 'delivered')).toHaveLength(1);

    // A kube-proxy configuration changes: masqueradeAll puts the node's address in seenSource.
    const config = cluster.kubeProxies.clusterConfiguration();
    cluster.kubeProxies.setClusterConfig({ ...config, iptables: { ...config.iptables, masqueradeAll: true } } as typeof config);
    const masqueraded = sim.send(request);
    expect(masqueraded).not.toBe(scaled);
    expect(masqueraded.outcomes[0].seenSource).not.toBe(scaled.outcomes[0].seenSource);
  });

  it('gives each node flannel-style interfaces and routes (vxlan and host-gw)', () => {
    const cluster = demoCluster();
    const vxlan = new ClusterNetwork(cluster);
    expect(vxlan.routes('kind-worker')).toEqual([
      '172.18.0.0/16 dev eth0 proto kernel scope link src 172.18.0.3',
      '10.244.1.0/24 dev cni0 proto kernel scope link src 10.244.1.1',
      'default via 172.18.0.1 dev eth0',
      '10.244.0.0/24 via 10.244.0.0 dev flannel.1 onlink',
      '10.244.2.0/24 via 10.244.2.0 dev flannel.1 onlink',
    ]);
    expect(vxlan.interfaces('kind-worker').map((i) => `${i.name} ${i.mtu}`)).toEqual(['lo 65536', 'eth0 1500', 'cni0 1450', 'flannel.1 1450']);
    const hostGw = new ClusterNetwork(cluster, { overlay: 'host-gw' });
    expect(hostGw.routes('kind-worker')).toContain('10.244.2.0/24 via 172.18.0.4 dev eth0');
    expect(hostGw.interfaces('kind-worker').map((i) => i.name)).not.toContain('flannel.1');
    expect(() => vxlan.routes('nosuch')).toThrow(/not found/);
  });

  it("loads flannel's rules once per ruleset, beside kube-proxy's", () => {
    const cluster = demoCluster();
    const network = new ClusterNetwork(cluster);
    network.ruleset('kind-worker');
    network.ruleset('kind-worker');
    const text = printIptablesSave(cluster.kubeProxies.proxy('kind-worker').ruleset);
    expect(text.match(/-A POSTROUTING .*FLANNEL-POSTRTG/g)).toHaveLength(1);
    expect(text.match(/-A FORWARD .*FLANNEL-FWD/g)).toHaveLength(1);
    expect(text).toContain('-A FLANNEL-POSTRTG -s 10.244.0.0/16 ! -d 224.0.0.0/4 -m comment --comment "flanneld masq" -j MASQUERADE --random-fully');
    // kube-proxy's jump still comes first.
    expect(text.indexOf('-A POSTROUTING -m comment --comment "kubernetes postrouting rules"')).toBeLessThan(text.indexOf('-A POSTROUTING -m comment --comment "flanneld masq"'));
  });

  it('crosses host-gw without encapsulation, TTL 64 to 62', () => {
    const cluster = demoCluster();
    const sim = new TrafficSimulator(cluster, { network: new ClusterNetwork(cluster, { overlay: 'host-gw' }) });
    const web = cluster.store.list(type(cluster, 'pods')).items.find((p) => (p.spec as { nodeName?: string }).nodeName === 'kind-worker' && p.metadata.labels?.app === 'web')!;
    const { outcomes } = sim.send({ from: 'pod/default/db-0', to: `pod/default/${web.metadata.name}:8080` });
    expect(outcomes).toHaveLength(1);
    expect(outcomes[0].result).toBe('delivered');
    expect(outcomes[0].hops.every((h) => h.encapsulation === null)).toBe(true);
    expect(outcomes[0].hops[outcomes[0].hops.length - 1].ttl).toBe(62);
    expect(outcomes[0].reply.length).toBeGreaterThan(0);
  });

  it('later packets of a sampled connection follow its conntrack entry; enumerate changes nothing', () => {
    const cluster = demoCluster();
    const sim = new TrafficSimulator(cluster);
    const first = sim.send({ from: 'pod/default/db-0', to: 'web:80', mode: 'sample', count: 1, seed: 3, sourcePort: 41000 });
    const pod = Object.keys(first.samples!)[0];
    const again = sim.send({ from: 'pod/default/db-0', to: 'web:80', sourcePort: 41000 });
    expect(again.outcomes).toHaveLength(1);
    expect(`pod/${again.outcomes[0].destination!.pod}`).toBe(pod);
    const entries = sim.network.conntrack('kind-worker2').list().length;
    sim.send({ from: 'pod/default/db-0', to: 'web:80', sourcePort: 42000 });
    expect(sim.network.conntrack('kind-worker2').list()).toHaveLength(entries);
  });

  it('session affinity holds until it times out on the simulated clock', () => {
    const cluster = demoCluster();
    cluster.store.patch(type(cluster, 'services'), 'default', 'web', { spec: { sessionAffinity: 'ClientIP', sessionAffinityConfig: { clientIP: { timeoutSeconds: 60 } } } });
    const sim = new TrafficSimulator(cluster);
    const a = sim.send({ from: 'pod/default/db-0', to: 'web:80', mode: 'sample', count: 20, seed: 1 });
    expect(Object.values(a.samples!)).toEqual([20]);
    cluster.advance(61);
    const spread = new Set<string>();
    for (let seed = 1; seed <= 12; seed++) {
      cluster.advance(61);
      const s = sim.send({ from: 'pod/default/db-0', to: 'web:80', mode: 'sample', count: 1, seed, sourcePort: 20000 + seed * 10 });
      spread.add(Object.keys(s.samples!)[0]);
    }
    expect(spread.size).toBeGreaterThan(1);
  });

  it('resolves names through the search path, headless Services and ExternalName', () => {
    const cluster = demoCluster();
    const names = new NameResolver(cluster);
    const network = new ClusterNetwork(cluster);
    const search = searchPath(network.pod('default', 'db-0'));
    expect(search).toEqual(['default.svc.cluster.local', 'svc.cluster.local', 'cluster.local']);
    expect(names.resolve('kube-dns.kube-system', search)).toMatchObject({ kind: 'addresses', addresses: ['10.96.0.10'] });
    expect(names.resolve('kube-dns.kube-system.svc', search)).toMatchObject({ kind: 'addresses', addresses: ['10.96.0.10'] });
    expect(names.resolve('kube-dns', search)).toMatchObject({ kind: 'nxdomain' });
    expect(names.resolve('kube-dns', [])).toMatchObject({ kind: 'nxdomain' });
    cluster.store.create(type(cluster, 'services'), { metadata: { name: 'web-headless' }, spec: { clusterIP: 'None', selector: { app: 'web' }, ports: [{ port: 8080 }] } }, 'default');
    cluster.store.create(type(cluster, 'services'), { metadata: { name: 'alias' }, spec: { type: 'ExternalName', externalName: 'web.default.svc.cluster.local' } }, 'default');
    cluster.store.create(type(cluster, 'services'), { metadata: { name: 'outside' }, spec: { type: 'ExternalName', externalName: 'example.com' } }, 'default');
    const headless = names.resolve('web-headless', search);
    expect(headless.kind === 'addresses' && headless.addresses).toHaveLength(3);
    expect(names.resolve('alias', search)).toMatchObject({ kind: 'addresses', cname: ['web.default.svc.cluster.local'] });
    expect(names.resolve('outside', search)).toMatchObject({ kind: 'nxdomain', cname: ['example.com'] });
    const sim = new TrafficSimulator(cluster);
    const { outcomes } = sim.send({ from: 'pod/default/db-0', to: 'web-headless:8080' });
    expect(outcomes).toHaveLength(3);
    for (const o of outcomes) expect(o.probability).toBeCloseTo(1 / 3, 12);
  });

  it('answers a host process on its node, and refuses ports nobody declares', () => {
    const cluster = demoCluster();
    const sim = new TrafficSimulator(cluster);
    const fromNode = sim.send({ from: 'node/kind-control-plane', to: 'web.default.svc.cluster.local:80' });
    expect(fromNode.outcomes).toHaveLength(3);
    for (const o of fromNode.outcomes) {
      expect(o.result).toBe('delivered');
      expect(o.seenSource).toMatch(/^10\.244\.0\.0:/); // masqueraded to flannel.1 (KUBE-MARK-MASQ: source outside the cluster CIDR)
    }
    const toNode = sim.send({ from: 'pod/default/db-0', to: '172.18.0.3:22' });
    expect(toNode.outcomes).toEqual([expect.objectContaining({ result: 'refused', destination: expect.objectContaining({ node: 'kind-worker', pod: null }) })]);
    const out = sim.send({ from: 'pod/default/db-0', to: '8.8.8.8:53', protocol: 'udp' });
    expect(out.outcomes).toEqual([expect.objectContaining({ result: 'external' })]);
    expect(out.outcomes[0].hops[1].nat?.masquerade).toBe(true);
  });
});
