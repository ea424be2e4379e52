import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import request from 'supertest';
import { DEMO, startListeningApp, TestApp } from './support/test-app';

/**
 * The demo cluster seen with the real kubectl (v1.32), as a fresh kind cluster
 * shows itself: the control plane's static pods, kube-proxy and flannel as
 * DaemonSets on every node, CoreDNS, local-path storage; and a pod reaching
 * the API server through the `kubernetes` Service (docs/demo-cluster.md).
 */
const run = promisify(execFile);

interface Ran {
  stdout: string;
  stderr: string;
  code: number;
}

/** A generated suffix (`coredns-bd8578594-pt67d`, `kube-proxy-72jfp`) as `-*`, a row's runs of spaces as one, an age as AGE. */
function shape(table: string): string[] {
  return table
    .trim()
    .split('\n')
    .map((line) =>
      line
        .replace(/\b(coredns|local-path-provisioner|web)-[a-z0-9]{8,10}-[a-z0-9]{5}\b/, '$1-*-*')
        .replace(/\b(kube-proxy|kube-flannel-ds)-[a-z0-9]{5}\b/, '$1-*')
        .replace(/\s+/g, ' ')
        .replace(/ \d+[smh]$/, ' AGE'),
    );
}

describe('the demo cluster, as kind shows it (e2e)', () => {
  jest.setTimeout(60000);
  let t: TestApp;
  const kubectl = async (...args: string[]): Promise<Ran> => {
    try {
      const { stdout, stderr } = await run('kubectl', ['--server', `http://127.0.0.1:${t.port}`, ...args], { timeout: 30000 });
      return { stdout, stderr, code: 0 };
    } catch (e) {
      const err = e as { stdout?: string; stderr?: string; code?: number };
      if (typeof err.code !== 'number') throw e;
      return { stdout: err.stdout ?? '', stderr: err.stderr ?? '', code: err.code };
    }
  };

  beforeAll(async () => {
    t = await startListeningApp(DEMO);
    const created = await kubectl('run', 'client', '--image=busybox', '--', 'sleep', '3600');
    expect(created.code).toBe(0);
  });
  afterAll(() => t.close());

  it('get pods -A: kube-system, kube-flannel and local-path-storage as on kind, everything Running', async () => {
    // The control plane's containers are Ready once kubeadm's startup probes pass (initialDelaySeconds 10).
    const notYet = await kubectl('get', 'pods', '-n', 'kube-system', '-l', 'tier=control-plane');
    expect(shape(notYet.stdout).slice(1)).toEqual([
      'etcd-kind-control-plane 0/1 Running 0 AGE',
      'kube-apiserver-kind-control-plane 0/1 Running 0 AGE',
      'kube-controller-manager-kind-control-plane 0/1 Running 0 AGE',
      'kube-scheduler-kind-control-plane 0/1 Running 0 AGE',
    ]);
    await request(t.http).post('/netsim/v1/clock/advance').send({ seconds: 10 }).expect(200);
    const r = await kubectl('get', 'pods', '-A', '-o', 'custom-columns=NAMESPACE:.metadata.namespace,NAME:.metadata.name,READY:.status.containerStatuses[*].ready,STATUS:.status.phase,IP:.status.podIP,NODE:.spec.nodeName', '--sort-by=.metadata.name');
    expect(r.code).toBe(0);
    const rows = shape(r.stdout).filter((row) => !row.startsWith('default '));
    expect(rows.sort()).toEqual(
      [
        'NAMESPACE NAME READY STATUS IP NODE',
        'kube-flannel kube-flannel-ds-* true Running 172.18.0.2 kind-control-plane',
        'kube-flannel kube-flannel-ds-* true Running 172.18.0.3 kind-worker',
        'kube-flannel kube-flannel-ds-* true Running 172.18.0.4 kind-worker2',
        'kube-system coredns-*-* true Running 10.244.0.2 kind-control-plane',
        'kube-system coredns-*-* true Running 10.244.0.3 kind-control-plane',
        'kube-system etcd-kind-control-plane true Running 172.18.0.2 kind-control-plane',
        'kube-system kube-apiserver-kind-control-plane true Running 172.18.0.2 kind-control-plane',
        'kube-system kube-controller-manager-kind-control-plane true Running 172.18.0.2 kind-control-plane',
        'kube-system kube-proxy-* true Running 172.18.0.2 kind-control-plane',
        'kube-system kube-proxy-* true Running 172.18.0.3 kind-worker',
        'kube-system kube-proxy-* true Running 172.18.0.4 kind-worker2',
        'kube-system kube-scheduler-kind-control-plane true Running 172.18.0.2 kind-control-plane',
        'local-path-storage local-path-provisioner-*-* true Running 10.244.0.4 kind-control-plane',
      ].sort(),
    );
    // kubectl's own table, with READY and STATUS as on kind.
    const table = await kubectl('get', 'pods', '-n', 'kube-system');
    expect(shape(table.stdout)).toEqual(
      expect.arrayContaining([
        'NAME READY STATUS RESTARTS AGE',
        'etcd-kind-control-plane 1/1 Running 0 AGE',
        'kube-apiserver-kind-control-plane 1/1 Running 0 AGE',
        'kube-controller-manager-kind-control-plane 1/1 Running 0 AGE',
        'kube-scheduler-kind-control-plane 1/1 Running 0 AGE',
      ]),
    );
  });

  it('get ds -A: kube-proxy and kube-flannel-ds, one pod per node', async () => {
    const r = await kubectl('get', 'ds', '-A');
    expect(r.code).toBe(0);
    expect(shape(r.stdout)).toEqual([
      'NAMESPACE NAME DESIRED CURRENT READY UP-TO-DATE AVAILABLE NODE SELECTOR AGE',
      'kube-flannel kube-flannel-ds 3 3 3 3 3 <none> AGE',
      'kube-system kube-proxy 3 3 3 3 3 kubernetes.io/os=linux AGE',
    ]);
    const deployments = await kubectl('get', 'deploy', '-A');
    expect(shape(deployments.stdout)).toEqual([
      'NAMESPACE NAME READY UP-TO-DATE AVAILABLE AGE',
      'default web 3/3 3 3 AGE',
      'kube-system coredns 2/2 2 2 AGE',
      'local-path-storage local-path-provisioner 1/1 1 1 AGE',
    ]);
    expect(shape((await kubectl('get', 'sc')).stdout)).toEqual([
      'NAME PROVISIONER RECLAIMPOLICY VOLUMEBINDINGMODE ALLOWVOLUMEEXPANSION AGE',
      'standard (default) rancher.io/local-path Delete WaitForFirstConsumer false AGE',
    ]);
  });

  it('runs the StatefulSet web behind the headless Service nginx: web-0 and web-1 with their claims and stable names', async () => {
    expect(shape((await kubectl('get', 'sts')).stdout)).toEqual(['NAME READY AGE', 'web 2/2 AGE']);
    expect(shape((await kubectl('get', 'pods', '-l', 'app=nginx', '-o', 'custom-columns=NAME:.metadata.name,STATUS:.status.phase,NODE:.spec.nodeName')).stdout)).toEqual([
      'NAME STATUS NODE',
      'web-0 Running kind-worker',
      'web-1 Running kind-worker2',
    ]);
    expect(shape((await kubectl('get', 'pvc', '-o', 'custom-columns=NAME:.metadata.name,STATUS:.status.phase,CLASS:.spec.storageClassName')).stdout)).toEqual([
      'NAME STATUS CLASS',
      'www-web-0 Bound standard',
      'www-web-1 Bound standard',
    ]);
    const web0 = (await kubectl('get', 'pod', 'web-0', '-o', 'jsonpath={.status.podIP}')).stdout;
    const lookup = await kubectl('exec', 'client', '--', 'nslookup', 'web-0.nginx.default.svc.cluster.local');
    expect(lookup.stdout).toContain(`Name:\tweb-0.nginx.default.svc.cluster.local\nAddress: ${web0}\n`);
    const traced = await request(t.http).post('/netsim/v1/traffic').send({ from: 'pod/default/client', to: 'web-1.nginx:80' }).expect(200);
    expect(traced.body.outcomes).toEqual([expect.objectContaining({ result: 'delivered', destination: expect.objectContaining({ pod: 'default/web-1', port: 80 }) })]);
  });

  it("shows a mirror pod as kubeadm and the kubelet leave it", async () => {
    const r = await kubectl('get', 'pod', '-n', 'kube-system', 'kube-apiserver-kind-control-plane', '-o', 'json');
    const pod = JSON.parse(r.stdout);
    expect(pod.metadata.labels).toEqual({ component: 'kube-apiserver', tier: 'control-plane' });
    expect(pod.metadata.annotations).toMatchObject({
      'kubeadm.kubernetes.io/kube-apiserver.advertise-address.endpoint': '172.18.0.2:6443',
      'kubernetes.io/config.source': 'file',
    });
    expect(pod.metadata.ownerReferences).toEqual([expect.objectContaining({ kind: 'Node', name: 'kind-control-plane', controller: true })]);
    expect(pod.spec).toMatchObject({ hostNetwork: true, nodeName: 'kind-control-plane', priorityClassName: 'system-node-critical', priority: 2000001000 });
    expect(pod.spec.serviceAccountName).toBeUndefined();
    expect(pod.spec.tolerations).toEqual([{ operator: 'Exists', effect: 'NoExecute' }]);
    const edit = await kubectl('label', 'pod', '-n', 'kube-system', 'kube-apiserver-kind-control-plane', 'x=y');
    expect(edit.code).toBe(1);
    expect(edit.stderr).toContain('a mirror pod may not be modified');
  });

  it('endpoints of the kubernetes Service: the API server on kind-control-plane:6443', async () => {
    expect(shape((await kubectl('get', 'endpointslice', 'kubernetes')).stdout)).toEqual(['NAME ADDRESSTYPE PORTS ENDPOINTS AGE', 'kubernetes IPv4 6443 172.18.0.2 AGE']);
    expect(shape((await kubectl('get', 'ep', 'kubernetes')).stdout)).toEqual(['NAME ENDPOINTS AGE', 'kubernetes 172.18.0.2:6443 AGE']);
  });

  it('a pod connects to kubernetes.default:443 through the traffic engine, and the API server answers', async () => {
    const traced = await request(t.http).post('/netsim/v1/traffic').send({ from: 'pod/default/client', to: 'kubernetes.default:443' }).expect(200);
    expect(traced.body.outcomes).toEqual([
      expect.objectContaining({ result: 'delivered', probability: 1, destination: expect.objectContaining({ pod: 'kube-system/kube-apiserver-kind-control-plane', node: 'kind-control-plane', ip: '172.18.0.2', port: 6443 }) }),
    ]);
    const version = await kubectl('exec', 'client', '--', 'curl', '-sk', 'https://kubernetes.default/version');
    expect(version.code).toBe(0);
    expect(JSON.parse(version.stdout)).toMatchObject({ major: '1', minor: '32', gitVersion: 'v1.32.4' });
    const root = await kubectl('exec', 'client', '--', 'curl', '-sk', 'https://kubernetes.default/');
    expect(JSON.parse(root.stdout)).toMatchObject({ kind: 'Status', code: 403, reason: 'Forbidden', message: 'forbidden: User "system:anonymous" cannot get path "/"' });
    const unverified = await kubectl('exec', 'client', '--', 'curl', '-sS', 'https://kubernetes.default/version');
    expect(unverified.code).toBe(60);
    expect(unverified.stderr).toContain('curl: (60) SSL certificate problem: unable to get local issuer certificate');
    expect(unverified.stderr).toContain('command terminated with exit code 60');
  });

  it("runs iptables-save in a kube-proxy pod: that node's rules for the kubernetes Service", async () => {
    const name = (await kubectl('get', 'pods', '-n', 'kube-system', '-l', 'k8s-app=kube-proxy', '--field-selector', 'spec.nodeName=kind-worker2', '-o', 'jsonpath={.items[0].metadata.name}')).stdout;
    expect(name).toMatch(/^kube-proxy-[a-z0-9]{5}$/);
    const r = await kubectl('exec', '-n', 'kube-system', name, '--', 'iptables-save', '-t', 'nat');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('-A KUBE-SERVICES -d 10.96.0.1/32 -p tcp -m comment --comment "default/kubernetes:https cluster IP" -m tcp --dport 443 -j KUBE-SVC-NPX46M4PTMTKRN6Y\n');
    expect(r.stdout).toContain('-j DNAT --to-destination 172.18.0.2:6443\n');
    const rest = await request(t.http).get('/netsim/v1/nodes/kind-worker2/iptables?table=nat').expect(200);
    expect(r.stdout).toBe(rest.text);
  });
});
