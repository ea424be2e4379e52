import { buildCluster } from '../../app.module';
import { loadClusterFile } from '../../cluster/apply/cluster-file';
import type { Cluster } from '../../cluster/cluster';
import { SimulationClock } from '../../cluster/simulation-clock';
import { SeededRandom } from '../../common/random';
import { readConfig } from '../../config/app-config';
import { decodeKubeProxyConfiguration } from '../../kube-proxy/config-decoding';
import type { TraceStep } from '../../netfilter/types';
import { TrafficSimulator } from '../traffic';
import { Diagnoser } from './diagnose';
import { dispatchedTo, nftMark, portChain } from './nft-trace-facts';
import { readTrace, serviceChain } from './trace-facts';

/** The demo cluster, kind-worker's kube-proxy in `mode` (docs/nftables.md "Run a node in nftables mode"). */
function demo(mode: 'iptables' | 'nftables', node = 'kind-worker'): Cluster {
  const config = readConfig({ CLUSTER_FILE: 'fixtures/clusters/demo.yaml' });
  const cluster = buildCluster(config, new SimulationClock(Date.UTC(2026, 0, 1)), new SeededRandom(1));
  loadClusterFile(cluster, config.clusterFile, process.cwd());
  if (mode === 'nftables') cluster.kubeProxies.setNodeConfig(node, decodeKubeProxyConfiguration({ mode: 'nftables', clusterCIDR: '10.244.0.0/16', nftables: { minSyncPeriod: '0s' } }).config);
  return cluster;
}

/** The words that name iptables mode's chains, replaced by the nft chains' names: the rest of the text must be the same in both modes. */
function neutral(text: string): string {
  return text
    .replace(/KUBE-SEP-\w+|endpoint-\w{8}-[^\s"]+?__[^\s"]+?\/\d+(?=[\s):,"]|$)/g, 'ENDPOINT-CHAIN')
    .replace(/KUBE-(SVC|EXT)-\w+|(service|external)-\w{8}-[^\s)"]+/g, 'SERVICE-CHAIN')
    .replace(/KUBE-MARK-MASQ|mark-for-masquerade/g, 'MARK-CHAIN')
    .replace(/! -s ([^\s"]+)|ip saddr != ([^\s"]+)/g, 'NOT-FROM $1$2')
    .replace(/KUBE-POSTROUTING|masquerading then/g, (m) => (m === 'masquerading then' ? 'MASQ-CHAIN then' : 'MASQ-CHAIN'));
}

describe("the text forms through a node in nftables mode: kube-proxy's nft chains named where iptables mode names its KUBE- chains", () => {
  it('reads the nft chain names: the Service port, the endpoint, the dispatch, the mark', () => {
    expect(portChain('service-SUSTUHLJ-default/web/tcp/http')).toEqual({ kind: 'service', service: { namespace: 'default', name: 'web', port: 'http' }, endpoint: undefined });
    expect(portChain('endpoint-SVLGPL42-default/web/tcp/http__10.244.1.2/8080')).toEqual({ kind: 'endpoint', service: { namespace: 'default', name: 'web', port: 'http' }, endpoint: '10.244.1.2/8080' });
    expect(portChain('external-GCGJYZ2R-default/web-nodeport/tcp/')).toMatchObject({ kind: 'external', service: { namespace: 'default', name: 'web-nodeport', port: '' } });
    expect(portChain('KUBE-SVC-CDGGSHYLG3RE2FKL')).toBeUndefined();
    expect(portChain('services')).toBeUndefined();
    const step: Omit<TraceStep, 'action'> = { hook: 'PREROUTING', table: 'ip kube-proxy', chain: 'services', ruleNumber: 1, rule: 'ip daddr . meta l4proto . th dport vmap @service-ips # handle 45' };
    expect(dispatchedTo({ ...step, action: 'vmap @service-ips: goto service-SUSTUHLJ-default/web/tcp/http' })).toEqual({ map: '@service-ips', chain: 'service-SUSTUHLJ-default/web/tcp/http' });
    expect(dispatchedTo({ ...step, action: 'jump mark-for-masquerade' })).toBeUndefined();
    expect(dispatchedTo({ ...step, action: 'goto endpoint-SVLGPL42-default/web/tcp/http__10.244.1.2/8080' })).toBeUndefined();
    expect(nftMark('mark set mark or 0x004000 # handle 27')).toBe('0x4000');
    expect(nftMark('meta mark set meta mark | 0x00004000')).toBe('0x4000');
  });

  const cases = [
    { name: 'a pod to a ClusterIP, hairpin included', from: (c: Cluster) => `pod/default/${webPodOn(c, 'kind-worker')}`, to: 'web:80' },
    { name: 'the outside to a NodePort (externalTrafficPolicy: Cluster)', from: () => 'external/172.18.0.99', to: '172.18.0.3:30080' },
    { name: 'a node to a ClusterIP (not pod traffic: masqueraded)', from: () => 'node/kind-worker', to: '10.104.224.11:80' },
  ];

  it.each(cases)('$name: the same verdicts, notes and diagnosis as in iptables mode, the chains named in nft', ({ from, to }) => {
    const texts = (['iptables', 'nftables'] as const).map((mode) => {
      const cluster = demo(mode);
      const request = { from: from(cluster), to };
      const answer = new TrafficSimulator(cluster).send(request);
      const diagnosis = new Diagnoser(new TrafficSimulator(cluster)).diagnose(request);
      return {
        verdicts: answer.outcomes.map((o) => [o.verdict.message, ...o.verdict.notes.map((n) => n.message)].map(neutral)),
        checks: diagnosis.checks.map((c) => `${c.status} ${c.name}: ${neutral(c.message)}`),
        chains: answer.outcomes.map((o) => serviceChain(o.hops.flatMap((h) => h.rules))),
        facts: answer.outcomes.map((o) => readTrace(o.hops)),
      };
    });
    const [iptables, nftables] = texts;
    expect(nftables.verdicts).toEqual(iptables.verdicts);
    expect(nftables.checks).toEqual(iptables.checks);
    for (const c of iptables.chains) expect(c).toMatch(/^KUBE-(SVC|EXT)-/);
    for (const c of nftables.chains) expect(c).toMatch(/^(service|external)-\w{8}-default\//);
    for (const [i, f] of nftables.facts.entries()) {
      expect(comparable(f)).toEqual(comparable(iptables.facts[i]));
      for (const m of f.masquerade) expect([m.markChain, m.masqueradeChain]).toEqual(['mark-for-masquerade', 'masquerading']);
    }
    // The notes that name chains name nft ones.
    const notes = nftables.verdicts.flat().join('\n');
    expect(notes).not.toMatch(/KUBE-/);
  });
});

describe('session affinity through a node in nftables mode', () => {
  it("a pinned connection's note names the endpoint's affinity set where iptables mode names its recent list", () => {
    const notes = (['iptables', 'nftables'] as const).map((mode) => {
      const cluster = demo(mode, 'kind-worker2');
      cluster.store.patch(cluster.store.resourceType('services'), 'default', 'web', { spec: { sessionAffinity: 'ClientIP' } });
      const { outcomes } = new TrafficSimulator(cluster).send({ from: 'pod/default/db-0', to: 'web:80', mode: 'sample', count: 10, seed: 4 });
      return outcomes.map((o) => [o.connections, o.verdict.notes.map((n) => `${n.reason}: ${n.message}`)] as const);
    });
    for (const [i, [connections, texts]] of notes[1].entries()) {
      expect(connections).toBe(notes[0][i][0]);
      expect(texts.map((t) => t.replace(/to \S+ within/, 'to ENDPOINT within').replace(/\(set @affinity-\w{8}-default\/web\/tcp\/http__10\.244\.\d+\.\d+\/8080\)/, '(LIST)'))).toEqual(
        notes[0][i][1].map((t) => t.replace(/to \S+ within/, 'to ENDPOINT within').replace(/\(recent list KUBE-SEP-\w+\)/, '(LIST)')),
      );
    }
    const pinned = notes[1].find(([, texts]) => texts.length > 0)![1][0];
    const endpoint = /sent to (\S+):8080 within the last 10800 s/.exec(pinned)![1];
    expect(pinned).toContain(`(set @affinity-`);
    expect(pinned).toContain(`__${endpoint}/8080)`);
  });
});

describe('refusals through a node in nftables mode, explained', () => {
  const send = (cluster: Cluster, to: string) => new TrafficSimulator(cluster).send({ from: 'pod/default/db-0', to }).outcomes.map((o) => o.verdict);

  it("a Service scaled to zero: the no-endpoint-services map's reject, explained as in iptables mode", () => {
    const verdicts = (['iptables', 'nftables'] as const).map((mode) => {
      const cluster = demo(mode, 'kind-worker2');
      cluster.store.patch(cluster.store.resourceType('deployments.apps'), 'default', 'web', { spec: { replicas: 0 } });
      cluster.clock.advance(41_000);
      return send(cluster, 'web:80');
    });
    expect(verdicts[0]).toEqual([expect.objectContaining({ reason: 'ScaledToZero', client: 'connection-refused' })]);
    expect(verdicts[1]).toEqual([{ ...verdicts[0][0], message: verdicts[0][0].message.replace(/\(".*"\)\.$/, '(its no-endpoint-services map sends 10.104.224.11:80 to reject-chain).') }]);
  });

  it("a NodePort with externalTrafficPolicy: Local on a node without its endpoints: the no-endpoint-nodeports map's drop, explained as in iptables mode", () => {
    const verdicts = (['iptables', 'nftables'] as const).map((mode) => {
      const cluster = demo(mode, 'kind-control-plane');
      cluster.store.patch(cluster.store.resourceType('services'), 'default', 'web-nodeport', { spec: { externalTrafficPolicy: 'Local' } });
      return new TrafficSimulator(cluster).send({ from: 'external/172.18.0.99', to: '172.18.0.2:30080' }).outcomes.map((o) => o.verdict);
    });
    expect(verdicts[0]).toEqual([expect.objectContaining({ reason: 'NoLocalEndpoints', client: 'timed-out' })]);
    expect(verdicts[1]).toEqual([{ ...verdicts[0][0], message: verdicts[0][0].message.replace(/\(".*"\)\.$/, '(its no-endpoint-nodeports map drops 172.18.0.2:30080).') }]);
  });

  it("loadBalancerSourceRanges: the Service port's firewall chain drops the client, explained as in iptables mode", () => {
    const verdicts = (['iptables', 'nftables'] as const).map((mode) => {
      const cluster = demo(mode, 'kind-worker');
      const services = cluster.store.resourceType('services');
      cluster.store.patch(services, 'default', 'web-nodeport', { spec: { type: 'LoadBalancer', loadBalancerSourceRanges: ['10.0.0.0/8'] } });
      const lb = (cluster.store.get(services, 'default', 'web-nodeport').status as { loadBalancer: { ingress: { ip: string }[] } }).loadBalancer.ingress[0].ip;
      return new TrafficSimulator(cluster).send({ from: { external: '203.0.113.7' }, to: `${lb}:80` }).outcomes.filter((o) => o.hops[1]?.node === 'kind-worker').map((o) => o.verdict);
    });
    expect(verdicts[0]).toEqual([expect.objectContaining({ reason: 'SourceRangeRefused', client: 'timed-out' })]);
    expect(verdicts[1]).toEqual([
      { ...verdicts[0][0], message: verdicts[0][0].message.replace(/\(".*"\)\.$/, '(firewall-GCGJYZ2R-default/web-nodeport/tcp/http: ip saddr != { 10.0.0.0/8 } drop).') },
    ]);
  });

  it("a ClusterIP's unknown port: rejected by cluster-ips-check (iptables mode lets it leave the cluster)", () => {
    expect(send(demo('nftables', 'kind-worker2'), 'db:5433')).toEqual([
      {
        reason: 'PortNotInService',
        client: 'connection-refused',
        message: `10.96.239.89 is default/db's ClusterIP, which has no port 5433 (its ports: 5432/TCP): kube-proxy on kind-worker2 rejects the connection ("Reject traffic to invalid ports of ClusterIPs").`,
        notes: [],
      },
    ]);
  });

  it('an unallocated address of the Service CIDR: dropped by cluster-ips-check', () => {
    expect(send(demo('nftables', 'kind-worker2'), '10.96.5.5:80')).toEqual([
      { reason: 'Dropped', client: 'timed-out', message: `10.96.5.5 is in the Service CIDR but no Service's ClusterIP: kube-proxy on kind-worker2 drops the packet ("Drop traffic to unallocated ClusterIPs").`, notes: [] },
    ]);
  });
});

/** A trace's facts with the chains' names made neutral, the mark and masquerade chains left out. */
function comparable(facts: ReturnType<typeof readTrace>): unknown {
  return JSON.parse(neutral(JSON.stringify({ ...facts, masquerade: facts.masquerade.map(({ markChain: _m, masqueradeChain: _q, ...m }) => m) })));
}

function webPodOn(cluster: Cluster, node: string): string {
  const pods = cluster.store.list(cluster.store.resourceType('pods'), { namespace: 'default' }).items as { metadata: { name: string; labels?: Record<string, string> }; spec: { nodeName?: string } }[];
  return pods.find((p) => p.metadata.labels?.app === 'web' && p.spec.nodeName === node)!.metadata.name;
}
