import { newCluster } from '../../../test/support/cluster/cluster';
import { resourceTypeByKey } from '../store/resource-types';
import { KubeObject } from '../store/types';
import { UNHEALTHY_ANNOTATION } from './readiness';

const t = (key: string) => resourceTypeByKey(key)!;
type Condition = { type: string; status: string; reason?: string; message?: string; lastTransitionTime?: string };
const condition = (o: KubeObject, type: string) => ((o.status as { conditions?: Condition[] }).conditions ?? []).find((c) => c.type === type);
const containerReady = (o: KubeObject) => (o.status as { containerStatuses: Array<{ ready: boolean }> }).containerStatuses[0].ready;

function cluster() {
  const c = newCluster();
  c.store.create(t('nodes'), { metadata: { name: 'w1' } });
  c.store.create(t('services'), { metadata: { name: 'web' }, spec: { selector: { app: 'web' }, ports: [{ port: 80, targetPort: 80 }] } }, 'default');
  return c;
}

const pod = (name: string, probe: Record<string, unknown>, annotations: Record<string, string> = {}) => ({
  metadata: { name, labels: { app: 'web' }, annotations },
  spec: { containers: [{ name: 'app', image: 'nginx', ports: [{ name: 'http', containerPort: 80 }], readinessProbe: probe }] },
});

function readyAddresses(c: ReturnType<typeof cluster>): string[] {
  return c.store
    .list(t('endpointslices.discovery.k8s.io'), { namespace: 'default' })
    .items.flatMap((s) => ((s as unknown as { endpoints?: Array<{ addresses: string[]; conditions: { ready: boolean } }> }).endpoints ?? []))
    .filter((e) => e.conditions.ready)
    .flatMap((e) => e.addresses);
}

const get = (c: ReturnType<typeof cluster>, name: string) => c.store.get(t('pods'), 'default', name);
const unhealthyEvents = (c: ReturnType<typeof cluster>) =>
  c.store
    .list(t('events'), { namespace: 'default' })
    .items.filter((e) => e.reason === 'Unhealthy')
    .map((e) => (e as unknown as { message: string }).message);

describe('readiness probes', () => {
  it('a pod whose probe passes is not ready before initialDelaySeconds, then ready and in the slice', () => {
    const c = cluster();
    c.store.create(t('pods'), pod('a', { httpGet: { path: '/', port: 'http' }, initialDelaySeconds: 5 }), 'default');
    expect(containerReady(get(c, 'a'))).toBe(false);
    expect(condition(get(c, 'a'), 'Ready')).toMatchObject({ status: 'False', reason: 'ContainersNotReady', message: 'containers with unready status: [app]' });
    expect(readyAddresses(c)).toEqual([]);
    c.advance(4.999);
    expect(containerReady(get(c, 'a'))).toBe(false);
    c.advance(0.001);
    expect(containerReady(get(c, 'a'))).toBe(true);
    expect(condition(get(c, 'a'), 'Ready')?.status).toBe('True');
    expect(condition(get(c, 'a'), 'ContainersReady')?.status).toBe('True');
    expect(readyAddresses(c)).toEqual([(get(c, 'a').status as { podIP: string }).podIP]);
  });

  it('a probe to a port the container does not declare fails: not ready, out of the slice, an Unhealthy event', () => {
    const c = cluster();
    c.store.create(t('pods'), pod('b', { tcpSocket: { port: 8080 } }), 'default');
    c.advance(60);
    const b = get(c, 'b');
    expect(containerReady(b)).toBe(false);
    expect(condition(b, 'Ready')?.status).toBe('False');
    expect(readyAddresses(c)).toEqual([]);
    const ip = (b.status as { podIP: string }).podIP;
    expect(unhealthyEvents(c)).toEqual([`Readiness probe failed: dial tcp ${ip}:8080: connect: connection refused`]);
  });

  it('the unhealthy annotation fails an httpGet probe with 500 after failureThreshold periods; removing it brings the pod back', () => {
    const c = cluster();
    c.store.create(t('pods'), pod('d', { httpGet: { path: '/healthz', port: 80 }, periodSeconds: 5, failureThreshold: 2 }), 'default');
    c.advance(1);
    expect(containerReady(get(c, 'd'))).toBe(true);
    const readySince = condition(get(c, 'd'), 'Ready')!.lastTransitionTime;
    const d = get(c, 'd');
    c.store.update(t('pods'), 'default', 'd', { ...d, metadata: { ...d.metadata, annotations: { [UNHEALTHY_ANNOTATION]: 'true' } } });
    c.advance(9.999);
    expect(containerReady(get(c, 'd'))).toBe(true);
    expect(condition(get(c, 'd'), 'Ready')!.lastTransitionTime).toBe(readySince);
    c.advance(0.001);
    expect(containerReady(get(c, 'd'))).toBe(false);
    expect(readyAddresses(c)).toEqual([]);
    expect(unhealthyEvents(c)).toEqual(['Readiness probe failed: HTTP probe failed with statuscode: 500']);
    const failing = get(c, 'd');
    c.store.update(t('pods'), 'default', 'd', { ...failing, metadata: { ...failing.metadata, annotations: {} } });
    c.advance(5);
    expect(containerReady(get(c, 'd'))).toBe(true);
    expect(readyAddresses(c)).toHaveLength(1);
  });

  it('exec probes: `cat /tmp/healthy` fails (the container has no such file), `true` passes', () => {
    const c = cluster();
    c.store.create(t('pods'), pod('e', { exec: { command: ['cat', '/tmp/healthy'] } }), 'default');
    c.store.create(t('pods'), pod('f', { exec: { command: ['sh', '-c', 'true'] } }), 'default');
    c.advance(30);
    expect(containerReady(get(c, 'e'))).toBe(false);
    expect(containerReady(get(c, 'f'))).toBe(true);
    // The command's output as the runtime hands it over, trailing newline included (kubectl trims it).
    expect(unhealthyEvents(c)).toEqual(["Readiness probe failed: cat: can't open '/tmp/healthy': No such file or directory\n"]);
  });

  it('a failing probe stays failing over a 30-day advance, with one Unhealthy event while the result does not change', () => {
    const c = cluster();
    c.store.create(t('pods'), pod('g', { tcpSocket: { port: 9999 } }), 'default');
    c.advance(600);
    expect(unhealthyEvents(c)).toHaveLength(1);
    c.advance(30 * 24 * 3600);
    expect(containerReady(get(c, 'g'))).toBe(false);
  });

  it('a change that falls due while the kubelet is stopped happens once it is started again', () => {
    const c = cluster();
    c.store.create(t('pods'), pod('h', { tcpSocket: { port: 80 } }), 'default');
    c.advance(1);
    expect(containerReady(get(c, 'h'))).toBe(true);
    c.kubelets.stop('w1');
    const h = get(c, 'h');
    c.store.update(t('pods'), 'default', 'h', { ...h, metadata: { ...h.metadata, annotations: { [UNHEALTHY_ANNOTATION]: 'true' } } });
    c.advance(35);
    expect(containerReady(get(c, 'h'))).toBe(true);
    c.kubelets.start('w1');
    c.advance(30);
    expect(containerReady(get(c, 'h'))).toBe(false);
  });
});
