/**
 * Static pods and stopped kubelets across a restart on etcd, as a user sees
 * them: kube-netsim (the real entry point) starts the demo cluster on a real
 * etcd (kubeadm init's four static pods on kind-control-plane), a manifest is
 * added on kind-worker through the API, kind-worker2's kubelet is stopped and
 * a manifest put for it (no mirror pod follows, so no object write carries
 * it), and kube-netsim is killed with SIGKILL the moment that is answered,
 * then started again on the same etcd. Once it takes the Lease over, its
 * kubelets find the same manifests (kept in etcd beside the objects, as a
 * node keeps them on its disk) and the same mirror pods: none removed, none
 * made again, none twice; kind-worker2's kubelet is still stopped, and runs
 * its static pod once started.
 */
import { describeWithEtcd, EtcdServer, startEtcd } from './support/etcd';
import { ApiObject, call, killMain, list } from './support/main-api';
import { MainProcess, startMain } from './support/main-process';

const MIRROR = 'kubernetes.io/config.mirror';
const LATER = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'later', namespace: 'default' }, spec: { containers: [{ name: 'c', image: 'busybox' }] } };
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

  it('keeps the manifests and the stopped kubelets in etcd, each durable once answered, and finds them after kill -9 and a takeover', async () => {
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

    // A stopped kubelet, and a manifest for it: each durable once answered, though no object write follows (kill -9 at once).
    expect((await call(main, 'POST', '/netsim/v1/nodes/kind-worker2/kubelet/stop')).body).toEqual({ node: 'kind-worker2', kubelet: 'stopped' });
    const later = await call(main, 'PUT', '/netsim/v1/nodes/kind-worker2/manifests/later.yaml', LATER);
    expect(later.status).toBe(200);
    expect((later.body as { mirrorPod: unknown }).mirrorPod).toBeNull();
    await killMain(main);
    expect(keys('/kube-netsim/registry/manifests/kind-worker2/')).toEqual(['/kube-netsim/registry/manifests/kind-worker2/later.yaml']);
    expect(etcd.etcdctl('get', '/kube-netsim/registry/kubelets/kind-worker2', '--print-value-only').trim()).toBe('{"running":false}');
    const worker2 = [{ file: 'later.yaml', pod: LATER }];

    main = await startMain(env());
    expect(main.line).toMatch(/objects from etcd/);
    // The old leader's Lease is still held: this process follows until it expires, then takes over and its kubelets sync.
    await until('the takeover', () => main!.stderr(), (s) => s.includes('successfully acquired lease'), 60_000);
    await new Promise((resolve) => setTimeout(resolve, 2000));
    expect(await mirrors()).toEqual(before);
    expect(await manifests('kind-control-plane')).toEqual(controlPlane);
    expect(await manifests('kind-worker')).toEqual(worker);
    expect((await manifests('kind-worker2')).manifests).toEqual(worker2);
    // kind-worker2's kubelet is still stopped (as a snapshot says), so it has not run its static pod; started, it does.
    const snapshot = (await call(main, 'GET', '/netsim/v1/snapshot')).body as { kubelets: Array<{ node: string; running: boolean }> };
    expect(snapshot.kubelets.find((k) => k.node === 'kind-worker2')).toEqual({ node: 'kind-worker2', running: false, manifests: worker2 });
    expect((await call(main, 'POST', '/netsim/v1/nodes/kind-worker2/kubelet/start')).status).toBe(200);
    await until('the mirror pod of later.yaml', mirrors, (m) => m.some((p) => p.startsWith('default/later-kind-worker2 ')));
    expect(keys('/kube-netsim/registry/kubelets/')).toEqual([]);

    // The directories still go on: a manifest removed after the restart goes from etcd, and its mirror pod with it.
    expect((await call(main, 'DELETE', '/netsim/v1/nodes/kind-worker/manifests/probe.yaml')).status).toBe(200);
    const left = [...files, '/kube-netsim/registry/manifests/kind-worker2/later.yaml'];
    await until('the manifest gone from etcd', () => keys('/kube-netsim/registry/manifests/'), (k) => k.length === 5 && k.every((key, i) => key === left[i]));
    expect((await mirrors()).map((m) => m.split(' ')[0])).not.toContain('default/probe-kind-worker');
  }, 180_000);
});
