/**
 * bench/traffic-ipv6: simulated traffic over IPv6 beside IPv4 on the dual-stack demo
 * (`IP_FAMILY=dual`, fixtures/clusters/dual-stack.yaml: three nodes, the `web` Deployment behind
 * dual-stack Services): enumerated traces per second (the answer cache off, so each is worked out)
 * from a pod to a dual-stack Service by name, once by its A record and once by its AAAA record
 * (`family: ipv6`), and from an outside client to a NodePort on a node's IPv4 and IPv6 address;
 * and the first trace of each family (the first one syncs the nodes' kube-proxies, both
 * families). Prints figures and the IPv6 / IPv4 ratio (target: within 1.5x); asserts nothing.
 */
import { familyDemoCluster } from '../test/support/dataplane/demo';
import { TrafficSimulator, type TrafficRequest } from '../src/dataplane/traffic';
import { ms, median, timed } from './support/timing';

function rate(seconds: number, send: () => void): number {
  const start = process.hrtime.bigint();
  const until = start + BigInt(Math.round(seconds * 1e9));
  let n = 0;
  while (process.hrtime.bigint() < until) {
    send();
    n++;
  }
  return n / (Number(process.hrtime.bigint() - start) / 1e9);
}

function main(): void {
  const cluster = familyDemoCluster('dual');
  cluster.clock.advance(120_000);
  const sim = new TrafficSimulator(cluster, { answerCacheSize: 0 });
  const pods = cluster.store.list(cluster.store.resourceType('pods'), { namespace: 'default' }).items;
  const client = pods.find((p) => (p.spec as { nodeName?: string }).nodeName === 'kind-worker2')!.metadata.name;
  const from = `pod/default/${client}`;

  const first4 = timed(() => sim.send({ from, to: 'web:80' }));
  const first6 = timed(() => sim.send({ from, to: 'web:80', family: 'ipv6' }));
  console.log(`traffic-ipv6: first trace: IPv4 ${ms(first4.wall)} (kube-proxies sync, both families), then IPv6 ${ms(first6.wall)} (flannel's IPv6 rules loaded)`);

  const pairs: [string, TrafficRequest, TrafficRequest][] = [
    ['pod -> dual-stack Service by name (3 endpoints, 2 nodes, VXLAN)', { from, to: 'web:80' }, { from, to: 'web:80', family: 'ipv6' }],
    [
      'outside client -> NodePort (3 endpoints, masquerade)',
      { from: 'external/172.18.0.99', to: '172.18.0.3:30090' },
      { from: 'external/fc00:f853:ccd:e793::99', to: '[fc00:f853:ccd:e793::3]:30090' },
    ],
  ];
  for (const [name, v4, v6] of pairs) {
    // Three alternating rounds of each, medians compared.
    const r4: number[] = [];
    const r6: number[] = [];
    for (let round = 0; round < 3; round++) {
      r4.push(rate(1, () => sim.send(v4)));
      r6.push(rate(1, () => sim.send(v6)));
    }
    const [m4, m6] = [median(r4), median(r6)];
    console.log(`traffic-ipv6: ${name}: IPv4 ${m4.toFixed(0)}/s (${ms(1000 / m4)} each), IPv6 ${m6.toFixed(0)}/s (${ms(1000 / m6)} each), IPv6 / IPv4 time ${(m4 / m6).toFixed(2)}x`);
  }
}

main();
