import { buildCluster } from '../app.module';
import { loadClusterFile } from '../cluster/apply/cluster-file';
import type { Cluster } from '../cluster/cluster';
import { SimulationClock } from '../cluster/simulation-clock';
import { SeededRandom } from '../common/random';
import { readConfig } from '../config/app-config';
import { TrafficSimulator } from '../dataplane/traffic';
import { PodExec } from './pod-exec';

function demo(ipFamily: 'dual' | 'ipv6'): { cluster: Cluster; exec: PodExec } {
  const config = readConfig({ IP_FAMILY: ipFamily });
  const cluster = buildCluster(config, new SimulationClock(Date.UTC(2026, 0, 1)), new SeededRandom(1));
  loadClusterFile(cluster, config.clusterFile, process.cwd());
  cluster.store.create(cluster.store.resourceType('pods'), { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'client' }, spec: { containers: [{ name: 'client', image: 'busybox' }] } } as never, 'default');
  return { cluster, exec: new PodExec(cluster, new TrafficSimulator(cluster)) };
}

function sh(exec: PodExec, script: string) {
  const shell = exec.shell({ namespace: 'default', pod: 'client' });
  let out = '';
  let err = '';
  const status = shell.exec(['sh', '-c', script], (t) => (out += t), (t) => (err += t));
  return { out, err, status };
}

const clusterIPs = (cluster: Cluster, name: string) => (cluster.store.get(cluster.store.resourceType('services'), 'default', name).spec as { clusterIPs: string[] }).clusterIPs;
const webPods = (cluster: Cluster) =>
  new Set(
    cluster.store
      .list(cluster.store.resourceType('pods'), { namespace: 'default' })
      .items.map((p) => p.metadata.name)
      .filter((n) => n.startsWith('web-')),
  );

describe('PodExec over IPv6', () => {
  it('curls a dual-stack Service at its IPv6 ClusterIP in brackets, and an AAAA-only name', () => {
    const { cluster, exec } = demo('dual');
    const six = clusterIPs(cluster, 'web')[1];
    const r = sh(exec, `curl -s http://[${six}]:80/; curl -s web-v6`);
    expect(r.status).toBe(0);
    for (const name of r.out.trim().split('\n')) expect(webPods(cluster).has(name)).toBe(true);
    const verbose = sh(exec, 'curl -sv web-v6 -o /dev/null');
    expect(verbose.err).toContain(`* IPv6: ${clusterIPs(cluster, 'web-v6')[0]}\n* IPv4: (none)\n*   Trying [${clusterIPs(cluster, 'web-v6')[0]}]:80...`);
    const nc = sh(exec, `nc -zv ${six} 80`);
    expect(nc.err).toBe(`${six} ([${six}]:80) open\n`);
    expect(sh(exec, 'ip addr').out).toMatch(/inet 10\.244\.\d+\.\d+\/24 scope global eth0\n {4}inet6 fd00:10:244:\d*::\w+\/64 scope global\n/);
    expect(sh(exec, 'ip -6 route').out).toMatch(/^fd00:10:244:\w*::\/64 dev eth0 proto kernel metric 256 pref medium\nfe80::\/64 dev eth0 proto kernel metric 256 pref medium\ndefault via fd00:10:244:\w*::1 dev eth0 metric 1024 pref medium\n$/);
    expect(sh(exec, 'ip route').out).not.toContain(':');
    // An IPv6 address is pinged with ICMPv6 echo, through the nodes' ip6tables tables: a pod answers, a ClusterIP does not (iptables mode).
    const pod6 = (cluster.store.list(cluster.store.resourceType('pods'), { namespace: 'default' }).items.find((p) => p.metadata.name.startsWith('web-'))!.status as { podIPs: { ip: string }[] }).podIPs[1].ip;
    const pinged = sh(exec, `ping -c 1 ${pod6}`);
    expect(pinged).toMatchObject({ status: 0, err: '' });
    expect(pinged.out).toMatch(new RegExp(`^PING ${pod6} \\(${pod6}\\): 56 data bytes\n64 bytes from ${pod6}: seq=0 ttl=\\d+ time=0\\.100 ms\n`));
    expect(sh(exec, `ping -c 1 ${six}`)).toMatchObject({ status: 1, out: expect.stringContaining('1 packets transmitted, 0 packets received, 100% packet loss') });
  });

  it('on an IPv6-only cluster, a pod curls a Service by name', () => {
    const { cluster, exec } = demo('ipv6');
    const r = sh(exec, 'curl -s web; wget -qO- web');
    expect(r.err).toBe('');
    expect(r.status).toBe(0);
    for (const name of r.out.trim().split('\n')) expect(webPods(cluster).has(name)).toBe(true);
  });
});
