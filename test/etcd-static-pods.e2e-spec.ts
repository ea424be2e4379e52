/**
 * Static pods across a restart on etcd, as a user sees them: kube-netsim (the
 * real entry point) starts the demo cluster on a real etcd (kubeadm init's
 * four static pods on kind-control-plane), a manifest is added on
 * kind-worker through the API, kube-netsim is killed with SIGKILL and started
 * again on the same etcd. Once it takes the Lease over, its kubelets find the
 * same manifests (kept in etcd beside the objects, as a node keeps them on its
 * disk) and the same mirror pods: none removed, none made again, none twice.
 */
import { describeWithEtcd, EtcdServer, startEtcd } from './support/etcd';
import { ApiObject, call, killMain, list } from './support/main-api';
import { MainProcess, startMain } from './support/main-process';

const MIRROR = 'kubernetes.io/config.mirror';
const PROBE = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'probe', namespace: 'default' }, spec: { containers: [{ name: 'c', image: 'busybox' }] } };

async function until<T>(what: string, get: () => T | Promise<T>, ok: (value: T) => boolean, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await get();
    if (ok(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

describeWithEtcd('etcd static pods e2e')('kube-netsim on etcd: static pods after a restart (e2e)', () => {
  let etcd: EtcdServer;
  let main: MainProcess | undefined;
  const env = () => ({ STORE: 'etcd', ETCD_ENDPOINTS: etcd.endpoint, DATA_DIR: 'none', CLOCK: 'manual' });
  const mirrors = async () =>
    (await list(main!, '/api/v1/pods'))
      .filter((p) => (p.metadata as ApiObject['metadata'] & { annotations?: Record<string, string> }).annotations?.[MIRROR])
      .map((p) => `${p.metadata.namespace}/${p.metadata.name} ${p.metadata.uid} ${JSON.stringify(p.spec)}`)
      .sort();
  const manifests = async (node: string) => (await call(main!, 'GET', `/netsim/v1/nodes/${node}/manifests`)).body;
  const keys = (prefix: string) => etcd.etcdctl('get', prefix, '--prefix', '--keys-only').split('\n').filter(Boolean).sort();

  beforeAll(async () => {
    etcd = await startEtcd();
  }, 60_000);
  afterAll(async () => {
    main?.stop();
    await etcd?.stop();
  });

  it('keeps the manifests in etcd and finds the same mirror pods after kill -9 and a takeover', async () => {
    main = await startMain(env());
    const put = await call(main, 'PUT', '/netsim/v1/nodes/kind-worker/manifests/probe.yaml', PROBE);
    expect(put.status).toBe(200);
    const before = await until('the five mirror pods', mirrors, (m) => m.length === 5);
    expect(before.map((m) => m.split(' ')[0])).toEqual([
      'default/probe-kind-worker',
      'kube-system/etcd-kind-control-plane',
      'kube-system/kube-apiserver-kind-control-plane',
      'kube-system/kube-controller-manager-kind-control-plane',
      'kube-system/kube-scheduler-kind-control-plane',
    ]);
    const controlPlane = await manifests('kind-control-plane');
    const worker = await manifests('kind-worker');
    // The manifests sit beside the objects, outside the API server's prefix (etcdctl get /registry shows what it shows on a real control plane).
    const files = ['etcd.yaml', 'kube-apiserver.yaml', 'kube-controller-manager.yaml', 'kube-scheduler.yaml'].map((f) => `/kube-netsim/registry/manifests/kind-control-plane/${f}`);
    await until('the manifests and mirror pods in etcd', () => [...keys('/kube-netsim/registry/manifests/'), ...keys('/registry/pods/')], (k) =>
      [...files, '/kube-netsim/registry/manifests/kind-worker/probe.yaml', '/registry/pods/default/probe-kind-worker', '/registry/pods/kube-system/etcd-kind-control-plane'].every((f) => k.includes(f)),
    );
    expect(JSON.parse(etcd.etcdctl('get', '/kube-netsim/registry/manifests/kind-worker/probe.yaml', '--print-value-only'))).toEqual(PROBE);

    await killMain(main);
    main = await startMain(env());
    expect(main.line).toMatch(/objects from etcd/);
    // The old leader's Lease is still held: this process follows until it expires, then takes over and its kubelets sync.
    await until('the takeover', () => main!.stderr(), (s) => s.includes('successfully acquired lease'), 60_000);
    await new Promise((resolve) => setTimeout(resolve, 2000));
    expect(await mirrors()).toEqual(before);
    expect(await manifests('kind-control-plane')).toEqual(controlPlane);
    expect(await manifests('kind-worker')).toEqual(worker);

    // The directories still go on: a manifest removed after the restart goes from etcd, and its mirror pod with it.
    expect((await call(main, 'DELETE', '/netsim/v1/nodes/kind-worker/manifests/probe.yaml')).status).toBe(200);
    await until('the manifest gone from etcd', () => keys('/kube-netsim/registry/manifests/'), (k) => k.length === 4 && k.every((key, i) => key === files[i]));
    expect((await mirrors()).map((m) => m.split(' ')[0])).not.toContain('default/probe-kind-worker');
  }, 180_000);
});
