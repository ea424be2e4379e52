import { demoCluster } from '../../test/support/dataplane/demo';
import { TrafficSimulator } from '../dataplane/traffic';
import { readServiceRules } from '../kube-proxy/rules-view';
import { printIptablesSave } from '../netfilter/iptables-save.printer';
import { parseRuleset } from '../netfilter/iptables-text.parser';
import type { Cluster } from './cluster';
import { diffNodeRules } from './node-rules-diff';
import { nodeRulesDiffText } from './node-rules-diff-text';

describe("a node's rules against what kube-proxy would write now", () => {
  let cluster: Cluster;
  const type = (key: string) => cluster.store.resourceType(key);
  const saved = () => printIptablesSave(cluster.kubeProxies.proxy('kind-worker').ruleset);
  const put = (text: string) => cluster.kubeProxies.importRules('kind-worker', parseRuleset(text), { rules: 0, kept: 0 });
  const messages = () => diffNodeRules(cluster, 'kind-worker').findings.map((f) => `${f.kind}: ${f.message}`);

  beforeEach(() => {
    cluster = demoCluster();
  });

  it("leaves other programs' chains out: flannel's rules beside kube-proxy's change nothing", () => {
    new TrafficSimulator(cluster).send({ from: 'pod/default/db-0', to: 'web:80' });
    const diff = diffNodeRules(cluster, 'kind-worker');
    expect(diff.ignoredChains).toEqual(['filter/FLANNEL-FWD', 'nat/FLANNEL-POSTRTG']);
    expect(diff.upToDate).toBe(true);
    expect(nodeRulesDiffText(diff).slice(-2)).toEqual(['', 'Not compared (chains of other programs): filter/FLANNEL-FWD, nat/FLANNEL-POSTRTG']);
  });

  it('a Service gone from the cluster is stale, with the reason', () => {
    put(saved());
    cluster.store.delete(type('services'), 'default', 'db');
    expect(messages()).toEqual([expect.stringMatching(/^stale: default\/db:postgres is stale \(Service default\/db is gone\): the node still has cluster IP 10\.[\d.]+:5432\/TCP -> KUBE-SVC-\w{16}, 1 endpoint$/)]);
  });

  it('a Service whose only pod is gone: the node still sends it there, kube-proxy would reject it', () => {
    put(saved());
    cluster.store.delete(type('pods'), 'default', 'db-0');
    cluster.clock.advance(120_000);
    const found = messages();
    expect(found).toEqual([
      expect.stringMatching(/^stale: default\/db:postgres has a stale endpoint 10\.244\.\d+\.\d+:5432 \(no pod has address 10\.244\.\d+\.\d+: pod gone\)$/),
      'differs: default/db:postgres: the node sends it to 1 endpoint, but kube-proxy would now reject it: it has no endpoints',
    ]);
  });

  it('a changed ClusterIP is one entry-point difference, not a list of rules', () => {
    const text = saved();
    const ip = /-d (\S+)\/32 -p tcp -m comment --comment "default\/db:postgres cluster IP"/.exec(text)![1];
    put(text.split(`${ip}/32`).join('10.96.99.99/32'));
    expect(messages()).toEqual([
      `differs: default/db:postgres: the node has cluster IP 10.96.99.99:5432/TCP, which kube-proxy would not write now; kube-proxy would write cluster IP ${ip}:5432/TCP, which the node lacks`,
    ]);
  });

  it('a rule about no Service port is named with its table', () => {
    put(saved().replace(/-A KUBE-POSTROUTING -m comment --comment "kubernetes service traffic requiring SNAT" -j MASQUERADE --random-fully\n/, ''));
    expect(messages()).toEqual([
      'differs: kube-proxy would write a rule the node lacks: nat: -A KUBE-POSTROUTING -m comment --comment "kubernetes service traffic requiring SNAT" -j MASQUERADE --random-fully',
    ]);
  });

  it('finds the endpoints of rules without per-endpoint comments (as kube-proxy writes them in large clusters) through the jumps', () => {
    const text = saved()
      .split('\n')
      .map((line) => (/^-A KUBE-(SVC|SEP)-/.test(line) && !line.includes('cluster IP') ? line.replace(/ -m comment --comment "[^"]*"/, '') : line))
      .join('\n');
    const view = readServiceRules(parseRuleset(text));
    const web = view.ports.get('default/web:http')!;
    expect([...web.endpoints.keys()].sort()).toEqual(['10.244.1.2:8080', '10.244.1.3:8080', '10.244.2.3:8080']);
    expect([...web.paths.values()][0].map((j) => j.probability)).toEqual(['0.33333333349', '0.50000000000', null]);
    expect(view.other.some((line) => line.includes('KUBE-SEP'))).toBe(false);
  });
});
