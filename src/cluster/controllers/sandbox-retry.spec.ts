import { newCluster } from '../../../test/support/cluster/cluster';
import { resourceTypeByKey } from '../store/resource-types';

const t = (key: string) => resourceTypeByKey(key)!;
const pod = (name: string) => ({ metadata: { name }, spec: { nodeName: 'w1', containers: [{ name: 'app', image: 'nginx' }] } });

describe('pods whose node ran out of pod IPs', () => {
  it('wait Pending with the kubelet\'s FailedCreatePodSandBox event, and start once an address is released', () => {
    // A /30 pod CIDR: host-local hands out one address (.2; .1 is the gateway).
    const c = newCluster({ nodeCidrMaskSize: 30 });
    c.store.create(t('nodes'), { metadata: { name: 'w1' } });
    c.store.create(t('pods'), pod('a'), 'default');
    c.store.create(t('pods'), pod('b'), 'default');
    c.store.create(t('pods'), pod('c'), 'default');
    const phase = (name: string) => (c.store.get(t('pods'), 'default', name).status as { phase: string; podIP?: string });
    expect(phase('a')).toMatchObject({ phase: 'Running', podIP: '10.244.0.2' });
    expect(phase('b')).toMatchObject({ phase: 'Pending' });
    const failures = c.store.list(t('events'), { namespace: 'default' }).items.filter((e) => e.reason === 'FailedCreatePodSandBox');
    expect(failures.map((e) => (e.involvedObject as { name: string }).name).sort()).toEqual(['b', 'c']);
    expect(failures[0]).toMatchObject({ type: 'Warning', source: { component: 'kubelet', host: 'w1' } });
    expect(failures[0].message).toMatch(
      /^Failed to create pod sandbox: rpc error: code = Unknown desc = failed to setup network for sandbox "[0-9a-f]{64}": plugin type="flannel" failed \(add\): failed to delegate add: failed to allocate for range 0: no IP addresses available in range set: 10\.244\.0\.1-10\.244\.0\.2$/,
    );
    // As the kubelet reports it: Pending, the container ContainerCreating (kubectl's STATUS), one failed attempt each.
    expect(c.store.get(t('pods'), 'default', 'b').status).toMatchObject({
      phase: 'Pending',
      hostIP: expect.any(String),
      containerStatuses: [{ name: 'app', image: 'nginx', ready: false, started: false, restartCount: 0, state: { waiting: { reason: 'ContainerCreating' } } }],
    });
    const conditions = (c.store.get(t('pods'), 'default', 'b').status as { conditions: Array<{ type: string; status: string; reason?: string }> }).conditions;
    expect(conditions.map((k) => `${k.type} ${k.status}${k.reason ? ` ${k.reason}` : ''}`)).toEqual([
      'PodReadyToStartContainers False',
      'Initialized True',
      'Ready False ContainersNotReady',
      'ContainersReady False ContainersNotReady',
      'PodScheduled True',
    ]);
    const again = c.store.list(t('events'), { namespace: 'default' }).items.filter((e) => e.reason === 'FailedCreatePodSandBox');
    expect(again.map((e) => e.count)).toEqual([1, 1]);
    // No polling: nothing happens while the address stays taken.
    c.advance(3600);
    expect(phase('b').phase).toBe('Pending');
    c.store.delete(t('pods'), 'default', 'a', { gracePeriodSeconds: 0 });
    // The first to wait gets the address; the other still waits.
    expect(phase('b')).toMatchObject({ phase: 'Running', podIP: '10.244.0.2', containerStatuses: [{ ready: true, state: { running: {} } }] });
    expect(phase('c').phase).toBe('Pending');
    c.store.delete(t('pods'), 'default', 'b', { gracePeriodSeconds: 0 });
    expect(phase('c')).toMatchObject({ phase: 'Running', podIP: '10.244.0.2' });
  });

  it('a pod that ends (Failed or Succeeded) gives its address back at once, as the kubelet tears its sandbox down: a waiting pod starts', () => {
    const c = newCluster({ nodeCidrMaskSize: 30 });
    c.store.create(t('nodes'), { metadata: { name: 'w1' } });
    const probe = { exec: { command: ['false'] }, failureThreshold: 1 };
    c.store.create(t('pods'), { metadata: { name: 'a' }, spec: { nodeName: 'w1', restartPolicy: 'Never', containers: [{ name: 'app', image: 'nginx', livenessProbe: probe }] } }, 'default');
    c.store.create(t('pods'), pod('b'), 'default');
    const status = (name: string) => c.store.get(t('pods'), 'default', name).status as { phase: string; podIP?: string };
    expect(status('b').phase).toBe('Pending');
    c.advance(2); // a: killed at its first run, nginx gone 1 s later: Succeeded
    expect(status('a').phase).toBe('Succeeded');
    expect(status('b')).toMatchObject({ phase: 'Running', podIP: '10.244.0.2' });
    c.store.delete(t('pods'), 'default', 'a', { gracePeriodSeconds: 0 });
    expect(status('b')).toMatchObject({ phase: 'Running', podIP: '10.244.0.2' });
  });
});
