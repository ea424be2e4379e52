import { Cluster } from '../cluster/cluster';
import { newCluster } from '../../test/support/cluster/cluster';
import { resourceTypeByKey } from '../cluster/store/resource-types';
import { PodExec } from '../exec/pod-exec';
import { NameResolver } from './names';
import { TrafficSimulator } from './traffic';

/** A StatefulSet's stable names through its headless Service: A records per pod, SRV per named port. */
const t = (key: string) => resourceTypeByKey(key)!;

function cluster(): Cluster {
  const c = newCluster();
  for (const name of ['w1', 'w2']) c.store.create(t('nodes'), { metadata: { name } });
  c.store.create(t('services'), { metadata: { name: 'nginx' }, spec: { clusterIP: 'None', selector: { app: 'nginx' }, ports: [{ name: 'web', port: 80 }] } }, 'default');
  c.store.create(
    t('statefulsets.apps'),
    {
      metadata: { name: 'web' },
      spec: {
        replicas: 2,
        serviceName: 'nginx',
        selector: { matchLabels: { app: 'nginx' } },
        template: { metadata: { labels: { app: 'nginx' } }, spec: { containers: [{ name: 'nginx', image: 'registry.k8s.io/nginx-slim:0.24', ports: [{ name: 'web', containerPort: 80 }] }] } },
      },
    },
    'default',
  );
  c.store.create(t('pods'), { metadata: { name: 'client' }, spec: { containers: [{ name: 'c', image: 'busybox' }] } }, 'default');
  return c;
}

const ipOf = (c: Cluster, pod: string) => (c.store.get(t('pods'), 'default', pod).status as { podIP: string }).podIP;
const SEARCH = ['default.svc.cluster.local', 'svc.cluster.local', 'cluster.local'];

function sh(exec: PodExec, script: string) {
  const shell = exec.shell({ namespace: 'default', pod: 'client' });
  let out = '';
  const status = shell.exec(['sh', '-c', script], (s) => (out += s), () => undefined);
  return { out, status };
}

describe('stable names of StatefulSet pods', () => {
  it('resolves web-0.nginx to web-0 alone, and the Service name to every ready pod', () => {
    const c = cluster();
    const names = new NameResolver(c);
    expect(names.resolve('web-0.nginx', SEARCH)).toMatchObject({ kind: 'addresses', fqdn: 'web-0.nginx.default.svc.cluster.local', addresses: [ipOf(c, 'web-0')] });
    expect(names.resolve('web-1.nginx.default.svc.cluster.local', [])).toMatchObject({ addresses: [ipOf(c, 'web-1')] });
    expect(names.resolve('web-2.nginx', SEARCH).kind).toBe('nxdomain');
    expect(names.resolve('nginx', SEARCH)).toMatchObject({ addresses: [ipOf(c, 'web-0'), ipOf(c, 'web-1')].sort() });
  });

  it('answers SRV for the named port, one record per pod with its stable name', () => {
    const c = cluster();
    const srv = new NameResolver(c).resolveSrv('_web._tcp.nginx', SEARCH);
    expect(srv).toEqual({
      kind: 'srv',
      name: '_web._tcp.nginx',
      fqdn: '_web._tcp.nginx.default.svc.cluster.local',
      records: expect.arrayContaining([
        { priority: 0, weight: 50, port: 80, target: 'web-0.nginx.default.svc.cluster.local', address: ipOf(c, 'web-0') },
        { priority: 0, weight: 50, port: 80, target: 'web-1.nginx.default.svc.cluster.local', address: ipOf(c, 'web-1') },
      ]),
    });
    expect(new NameResolver(c).resolveSrv('_http._tcp.nginx', SEARCH).kind).toBe('nxdomain');
  });

  it('prints them with nslookup and dig in kubectl exec, and curl reaches the named pod', () => {
    const c = cluster();
    const exec = new PodExec(c, new TrafficSimulator(c));
    expect(sh(exec, 'nslookup web-0.nginx')).toEqual({
      status: 0,
      out: `Server:\t\t10.96.0.10\nAddress:\t10.96.0.10#53\n\nName:\tweb-0.nginx.default.svc.cluster.local\nAddress: ${ipOf(c, 'web-0')}\n\n`,
    });
    const srv = sh(exec, 'nslookup -type=srv _web._tcp.nginx');
    expect(srv.out).toContain('_web._tcp.nginx.default.svc.cluster.local\tservice = 0 50 80 web-1.nginx.default.svc.cluster.local.\n');
    expect(sh(exec, 'dig +short SRV _web._tcp.nginx.default.svc.cluster.local').out.split('\n').sort()).toEqual(
      ['', '0 50 80 web-0.nginx.default.svc.cluster.local.', '0 50 80 web-1.nginx.default.svc.cluster.local.'],
    );
    expect(sh(exec, 'curl -s web-1.nginx')).toEqual({ status: 0, out: 'web-1\n' });
  });

  it('follows a pod recreated elsewhere: the same name, its new address', () => {
    const c = cluster();
    const before = ipOf(c, 'web-0');
    c.store.delete(t('pods'), 'default', 'web-0', { gracePeriodSeconds: 0 });
    const after = ipOf(c, 'web-0');
    expect(after).not.toBe(before);
    expect(new NameResolver(c).resolve('web-0.nginx', SEARCH)).toMatchObject({ addresses: [after] });
  });
});
