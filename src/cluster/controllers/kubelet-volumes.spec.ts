import { newCluster } from '../../../test/support/cluster/cluster';
import { resourceTypeByKey } from '../store/resource-types';
import { KubeObject } from '../store/types';

/** The kubelet and a pod's ConfigMap and Secret volumes: ContainerCreating until they exist. */
const t = (key: string) => resourceTypeByKey(key)!;
const pods = t('pods');

function oneNode() {
  const c = newCluster();
  c.store.create(t('nodes'), { metadata: { name: 'kind-worker' } });
  return c;
}

const podWith = (name: string, volumes: unknown[]) => ({
  metadata: { name },
  spec: { containers: [{ name: 'app', image: 'nginx', volumeMounts: (volumes as Array<{ name: string }>).map((v) => ({ name: v.name, mountPath: `/etc/${v.name}` })) }], volumes },
});

const waitingReason = (o: KubeObject) =>
  ((o.status as { containerStatuses?: Array<{ state: { waiting?: { reason: string } } }> }).containerStatuses ?? [])[0]?.state.waiting?.reason;
const phase = (o: KubeObject) => (o.status as { phase?: string }).phase;
const failedMounts = (c: ReturnType<typeof newCluster>, name: string) =>
  c.store
    .list(t('events'), { namespace: 'default' })
    .items.filter((e) => e.reason === 'FailedMount' && (e.involvedObject as { name: string }).name === name)
    .map((e) => `${e.type} ${(e.source as { component: string; host: string }).component}/${(e.source as { host: string }).host}: ${e.message}`);

describe('kubelet volume mounts', () => {
  it('keeps a pod whose ConfigMap is missing ContainerCreating, with the FailedMount event, and starts it once it appears', () => {
    const c = oneNode();
    c.store.create(pods, podWith('app', [{ name: 'config', configMap: { name: 'app-config' } }]), 'default');
    const waiting = c.store.get(pods, 'default', 'app');
    expect(phase(waiting)).toBe('Pending');
    expect(waitingReason(waiting)).toBe('ContainerCreating');
    expect((waiting.status as { podIP?: string }).podIP).toBeUndefined();
    expect(failedMounts(c, 'app')).toEqual(['Warning kubelet/kind-worker: MountVolume.SetUp failed for volume "config" : configmap "app-config" not found']);

    c.store.create(t('configmaps'), { metadata: { name: 'app-config' }, data: { 'app.conf': 'x' } }, 'default');
    const running = c.store.get(pods, 'default', 'app');
    expect(phase(running)).toBe('Running');
    expect((running.status as { podIP?: string }).podIP).toMatch(/^10\.244\./);
  });

  it('says so for a missing Secret, also one named in a projected volume', () => {
    const c = oneNode();
    c.store.create(pods, podWith('tls', [{ name: 'certs', secret: { secretName: 'web-tls' } }]), 'default');
    expect(failedMounts(c, 'tls')).toEqual(['Warning kubelet/kind-worker: MountVolume.SetUp failed for volume "certs" : secret "web-tls" not found']);
    c.store.create(pods, podWith('all', [{ name: 'bundle', projected: { sources: [{ configMap: { name: 'settings' } }] } }]), 'default');
    expect(failedMounts(c, 'all')).toEqual(['Warning kubelet/kind-worker: MountVolume.SetUp failed for volume "bundle" : configmap "settings" not found']);
    c.store.create(t('secrets'), { metadata: { name: 'web-tls' }, stringData: { a: 'b' } }, 'default');
    expect(phase(c.store.get(pods, 'default', 'tls'))).toBe('Running');
    expect(phase(c.store.get(pods, 'default', 'all'))).toBe('Pending');
  });

  it('does not wait for an optional ConfigMap, nor for emptyDir and hostPath volumes', () => {
    const c = oneNode();
    c.store.create(
      pods,
      podWith('app', [
        { name: 'maybe', configMap: { name: 'absent', optional: true } },
        { name: 'scratch', emptyDir: {} },
        { name: 'host', hostPath: { path: '/var/log' } },
      ]),
      'default',
    );
    expect(phase(c.store.get(pods, 'default', 'app'))).toBe('Running');
    expect(failedMounts(c, 'app')).toEqual([]);
  });
});
