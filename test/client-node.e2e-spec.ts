import { CoreV1Api, KubeConfig, V1Service, Watch } from '@kubernetes/client-node';
import { startListeningApp, TestApp } from './support/test-app';

/** The official JavaScript client (1.4.x), no code of ours, against the emulator. */
describe('@kubernetes/client-node against kube-netsim (e2e)', () => {
  let t: TestApp;
  let kc: KubeConfig;
  beforeEach(async () => {
    t = await startListeningApp();
    kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: [{ name: 'netsim', server: `http://127.0.0.1:${t.port}`, skipTLSVerify: true }],
      users: [{ name: 'user' }],
      contexts: [{ name: 'netsim', cluster: 'netsim', user: 'user' }],
      currentContext: 'netsim',
    });
  });
  afterEach(() => t.close());

  it('creates a Service, lists pods and services, and sees Status errors', async () => {
    const core = kc.makeApiClient(CoreV1Api);
    const created = await core.createNamespacedService({
      namespace: 'default',
      body: { metadata: { name: 'api' }, spec: { selector: { app: 'api' }, ports: [{ port: 80, targetPort: 8080 }] } },
    });
    expect(created.spec?.clusterIP).toMatch(/^10\./);
    const pods = await core.listNamespacedPod({ namespace: 'default' });
    expect(pods.items).toEqual([]);
    const services = await core.listServiceForAllNamespaces();
    expect(services.items.map((s) => s.metadata?.name).sort()).toEqual(['api', 'kubernetes']);
    await expect(core.readNamespacedService({ namespace: 'default', name: 'nope' })).rejects.toMatchObject({ code: 404 });
  });

  it('watches Services', async () => {
    const seen: string[] = [];
    const watch = new Watch(kc);
    const done = new Promise<void>((resolve) => {
      void watch
        .watch(
          '/api/v1/namespaces/default/services',
          {},
          (type: string, object: V1Service) => {
            seen.push(`${type} ${object.metadata?.name}`);
            if (object.metadata?.name === 'watched') resolve();
          },
          () => undefined,
        )
        .then((req) => done.finally(() => req.abort()));
    });
    const core = kc.makeApiClient(CoreV1Api);
    await new Promise((r) => setTimeout(r, 200));
    await core.createNamespacedService({ namespace: 'default', body: { metadata: { name: 'watched' }, spec: { ports: [{ port: 80 }] } } });
    await done;
    expect(seen).toEqual(['ADDED kubernetes', 'ADDED watched']);
  });
});
