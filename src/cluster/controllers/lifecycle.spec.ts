import { newCluster } from '../../../test/support/cluster/cluster';
import { EndpointSlice } from './endpoint-slice.controller';
import { resourceTypeByKey } from '../store/resource-types';
import { KubeObject } from '../store/types';

const t = (key: string) => resourceTypeByKey(key)!;
type Conditions = Array<{ type: string; status: string; reason?: string; message?: string }>;
const conditions = (o: KubeObject) => ((o.status as { conditions?: Conditions }).conditions ?? []);
const condition = (o: KubeObject, type: string) => conditions(o).find((c) => c.type === type);

function threeNodes() {
  const c = newCluster();
  c.store.create(t('nodes'), {
    metadata: { name: 'cp', labels: { 'node-role.kubernetes.io/control-plane': '' } },
    spec: { taints: [{ key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' }] },
  });
  c.store.create(t('nodes'), { metadata: { name: 'w1' } });
  c.store.create(t('nodes'), { metadata: { name: 'w2' } });
  return c;
}

const pod = (name: string, extra: Record<string, unknown> = {}) => ({
  metadata: { name, labels: { app: 'web' } },
  spec: { containers: [{ name: 'c', image: 'nginx', ports: [{ containerPort: 80 }] }], ...extra },
});

describe('scheduler', () => {
  it('binds unbound pods, spreading them by least allocation, and records Scheduled', () => {
    const c = threeNodes();
    for (const name of ['a', 'b', 'c', 'd']) c.store.create(t('pods'), pod(name), 'default');
    const nodes = ['a', 'b', 'c', 'd'].map((n) => (c.store.get(t('pods'), 'default', n).spec as { nodeName: string }).nodeName);
    expect(nodes).toEqual(['w1', 'w2', 'w1', 'w2']);
    const a = c.store.get(t('pods'), 'default', 'a');
    expect(condition(a, 'PodScheduled')?.status).toBe('True');
    expect((a.status as { phase: string }).phase).toBe('Running');
    const events = c.store.list(t('events'), { namespace: 'default' }).items.map((e) => `${e.reason}: ${e.message}`);
    expect(events).toContain('Scheduled: Successfully assigned default/a to w1');
  });

  it("explains an unschedulable pod in Kubernetes' words, and places it once a node fits", () => {
    const c = threeNodes();
    c.store.create(t('pods'), pod('big', { containers: [{ name: 'c', image: 'x', resources: { requests: { cpu: '16' } } }] }), 'default');
    const big = c.store.get(t('pods'), 'default', 'big');
    expect(condition(big, 'PodScheduled')).toMatchObject({
      status: 'False',
      reason: 'Unschedulable',
      message: '0/3 nodes are available: 1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }, 2 Insufficient cpu.',
    });
    expect(c.store.list(t('events'), { namespace: 'default' }).items.map((e) => e.reason)).toContain('FailedScheduling');
    c.store.create(t('nodes'), { metadata: { name: 'huge' }, status: { capacity: { cpu: '32' } } });
    expect((c.store.get(t('pods'), 'default', 'big').spec as { nodeName: string }).nodeName).toBe('huge');
  });

  it('honours nodeSelector and tolerations', () => {
    const c = threeNodes();
    c.store.create(t('pods'), pod('sel', { nodeSelector: { 'kubernetes.io/hostname': 'w2' } }), 'default');
    c.store.create(
      t('pods'),
      pod('cp-only', {
        nodeSelector: { 'node-role.kubernetes.io/control-plane': '' },
        tolerations: [{ key: 'node-role.kubernetes.io/control-plane', operator: 'Exists', effect: 'NoSchedule' }],
      }),
      'default',
    );
    expect((c.store.get(t('pods'), 'default', 'sel').spec as { nodeName: string }).nodeName).toBe('w2');
    expect((c.store.get(t('pods'), 'default', 'cp-only').spec as { nodeName: string }).nodeName).toBe('cp');
  });
});

describe('kubelet: termination', () => {
  const gone = (c: ReturnType<typeof threeNodes>, name: string) => c.store.tryGet(t('pods'), 'default', name) === undefined;
  const deleted = (extra: Record<string, unknown> = {}, annotations?: Record<string, string>) => {
    const c = threeNodes();
    const body = pod('p', extra);
    c.store.create(t('pods'), { ...body, metadata: { ...body.metadata, annotations } }, 'default');
    c.store.delete(t('pods'), 'default', 'p');
    return c;
  };

  it('a container that handles SIGTERM (nginx) exits: the pod is gone 1 s after the delete, not 30 s', () => {
    const c = deleted();
    expect(c.store.get(t('pods'), 'default', 'p').metadata.deletionGracePeriodSeconds).toBe(30);
    c.advance(0.999);
    expect(gone(c, 'p')).toBe(false);
    c.advance(0.001);
    expect(gone(c, 'p')).toBe(true);
    const events = c.store.list(t('events'), { namespace: 'default' }).items.map((e) => `${e.type} ${e.reason}: ${e.message}`);
    expect(events).toContain('Normal Killing: Stopping container c');
  });

  it('the ignore-sigterm annotation keeps the pod Terminating for its whole grace period, then it is killed', () => {
    const c = deleted({}, { 'kube-netsim.io/ignore-sigterm': 'true' });
    c.advance(29);
    expect(gone(c, 'p')).toBe(false);
    c.advance(1);
    expect(gone(c, 'p')).toBe(true);
  });

  it('sleep as PID 1 ignores SIGTERM, as on a real node, unless the annotation says "false"', () => {
    const sleeper = { containers: [{ name: 'c', image: 'busybox', command: ['sleep', '3600'] }] };
    const c = deleted(sleeper);
    c.advance(29);
    expect(gone(c, 'p')).toBe(false);
    c.advance(1);
    expect(gone(c, 'p')).toBe(true);
    const d = deleted(sleeper, { 'kube-netsim.io/ignore-sigterm': 'false' });
    d.advance(1);
    expect(gone(d, 'p')).toBe(true);
  });

  it('sleep given as args without a command (kubectl run --image=busybox -- sleep 3600) is PID 1 too; args to an entry point are not', () => {
    const c = deleted({ containers: [{ name: 'c', image: 'busybox', args: ['sleep', '3600'] }] });
    c.advance(29);
    expect(gone(c, 'p')).toBe(false);
    c.advance(1);
    expect(gone(c, 'p')).toBe(true);
    const d = deleted({ containers: [{ name: 'c', image: 'nginx', args: ['nginx', '-g', 'daemon off;'] }] });
    d.advance(1);
    expect(gone(d, 'p')).toBe(true);
  });

  it('a preStop sleep delays SIGTERM by its seconds, within the grace period', () => {
    const withHook = (preStop: unknown, grace?: number) =>
      deleted({
        containers: [{ name: 'c', image: 'nginx', lifecycle: { preStop } }],
        ...(grace === undefined ? {} : { terminationGracePeriodSeconds: grace }),
      });
    const c = withHook({ sleep: { seconds: 5 } });
    c.advance(5);
    expect(gone(c, 'p')).toBe(false); // SIGTERM at 5 s
    c.advance(1);
    expect(gone(c, 'p')).toBe(true);
    const e = withHook({ exec: { command: ['/bin/sh', '-c', 'sleep 5'] } });
    e.advance(5);
    expect(gone(e, 'p')).toBe(false);
    e.advance(1);
    expect(gone(e, 'p')).toBe(true);
    const short = withHook({ sleep: { seconds: 60 } }, 10); // the grace period still bounds it
    short.advance(9);
    expect(gone(short, 'p')).toBe(false);
    short.advance(1);
    expect(gone(short, 'p')).toBe(true);
  });

  it('while it terminates, its endpoint is serving but not ready, then leaves the slice', () => {
    const c = threeNodes();
    c.store.create(t('services'), { metadata: { name: 'web' }, spec: { selector: { app: 'web' }, ports: [{ port: 80 }] } }, 'default');
    c.store.create(t('pods'), pod('p'), 'default');
    c.store.delete(t('pods'), 'default', 'p');
    const endpoints = () =>
      c.store.list(t('endpointslices.discovery.k8s.io'), { namespace: 'default' }).items
        .filter((s) => s.metadata.labels?.['kubernetes.io/service-name'] === 'web')
        .flatMap((s) => (s as unknown as EndpointSlice).endpoints ?? []);
    expect(endpoints().map((e) => e.conditions)).toEqual([{ ready: false, serving: true, terminating: true }]);
    c.advance(1);
    expect(endpoints()).toEqual([]);
  });
});

describe('kubelet and node lifecycle', () => {
  it('renews each node lease every 10 s', () => {
    const c = threeNodes();
    const renewTime = () => (c.store.get(t('leases.coordination.k8s.io'), 'kube-node-lease', 'w1').spec as { renewTime: string }).renewTime;
    expect(renewTime()).toBe('2026-01-01T00:00:00.000000Z');
    c.advance(25);
    expect(renewTime()).toBe('2026-01-01T00:00:20.000000Z');
  });

  it('a stopped kubelet: Unknown after 40 s, pods evicted 300 s later, Ready again when it returns', () => {
    const c = threeNodes();
    c.store.create(t('services'), { metadata: { name: 'web' }, spec: { selector: { app: 'web' }, ports: [{ port: 80 }] } }, 'default');
    c.store.create(t('pods'), pod('a', { nodeName: 'w1' }), 'default');
    c.store.create(t('pods'), pod('b', { nodeName: 'w2' }), 'default');
    const slice = () =>
      c.store.list(t('endpointslices.discovery.k8s.io'), { namespace: 'default' }).items.find((s) => s.metadata.labels?.['kubernetes.io/service-name'] === 'web') as EndpointSlice;

    c.kubelets.stop('w1');
    c.advance(39);
    expect(condition(c.store.get(t('nodes'), undefined, 'w1'), 'Ready')?.status).toBe('True');
    c.advance(2); // 41 s after the last renewal
    const w1 = c.store.get(t('nodes'), undefined, 'w1');
    expect(condition(w1, 'Ready')).toMatchObject({ status: 'Unknown', reason: 'NodeStatusUnknown', message: 'Kubelet stopped posting node status.' });
    expect((w1.spec as { taints: Array<{ key: string; effect: string }> }).taints.map((x) => `${x.key}:${x.effect}`)).toEqual([
      'node.kubernetes.io/unreachable:NoSchedule',
      'node.kubernetes.io/unreachable:NoExecute',
    ]);
    expect(slice().endpoints.map((e) => [e.addresses[0], e.conditions.ready])).toEqual([
      ['10.244.1.2', false],
      ['10.244.2.2', true],
    ]);

    c.advance(298); // 339 s: the taint went on at 40 s, so 299 s of the 300 s toleration have passed
    expect(c.store.get(t('pods'), 'default', 'a').metadata.deletionTimestamp).toBeUndefined();
    c.advance(1); // 340 s: the toleration is up
    const evicted = c.store.get(t('pods'), 'default', 'a');
    expect(evicted.metadata.deletionTimestamp).toBeDefined(); // terminating: its kubelet is not there to remove it
    expect(slice().endpoints.find((e) => e.addresses[0] === '10.244.1.2')?.conditions).toEqual({ ready: false, serving: false, terminating: true });
    // New pods do not land on the unreachable node.
    c.store.create(t('pods'), pod('replacement'), 'default');
    expect((c.store.get(t('pods'), 'default', 'replacement').spec as { nodeName: string }).nodeName).toBe('w2');

    c.kubelets.start('w1');
    expect(condition(c.store.get(t('nodes'), undefined, 'w1'), 'Ready')?.status).toBe('True');
    expect((c.store.get(t('nodes'), undefined, 'w1').spec as { taints?: unknown[] }).taints).toEqual([]);
    expect(c.store.tryGet(t('pods'), 'default', 'a')).toBeDefined(); // back, its kubelet sends SIGTERM: nginx exits
    c.advance(1);
    expect(c.store.tryGet(t('pods'), 'default', 'a')).toBeUndefined();
  });

  it('a node whose status lost its conditions is marked NotReady once, with the conditions its kubelet never posted added as Unknown', () => {
    const c = threeNodes();
    const w1 = c.store.get(t('nodes'), undefined, 'w1');
    c.kubelets.stop('w1');
    c.store.updateStatus(t('nodes'), undefined, 'w1', { ...w1, status: { ...(w1.status as object), conditions: [] } });
    c.advance(3600); // an hour of 5 s monitor ticks
    const node = c.store.get(t('nodes'), undefined, 'w1');
    expect(conditions(node).map((x) => `${x.type}=${x.status}`).sort()).toEqual(['DiskPressure=Unknown', 'MemoryPressure=Unknown', 'PIDPressure=Unknown', 'Ready=Unknown']);
    expect(condition(node, 'Ready')).toMatchObject({ reason: 'NodeStatusNeverUpdated', message: 'Kubelet never posted node status.' });
    const notReady = c.store.list(t('events'), { namespace: 'default' }).items.filter((e) => e.reason === 'NodeNotReady' && (e.involvedObject as { name: string }).name === 'w1');
    expect(notReady.map((e) => e.count)).toEqual([1]);
  });

  it('a 30-day advance costs what happens in it: leases show their last renewal, each change lands at its exact time', () => {
    const c = threeNodes();
    c.store.create(t('pods'), pod('a', { nodeName: 'w1' }), 'default');
    c.kubelets.stop('w1');
    const days30 = 30 * 86_400_000;
    // Polling would run 518,400 health checks and 777,600 renewals; what happens here is a handful of timers.
    expect(c.clock.advance(days30)).toBeLessThan(20);
    c.store.commit();
    const lease = (node: string) => (c.store.get(t('leases.coordination.k8s.io'), 'kube-node-lease', node).spec as { renewTime: string }).renewTime;
    expect(lease('w2')).toBe('2026-01-31T00:00:00.000000Z');
    expect(lease('w1')).toBe('2026-01-01T00:00:00.000000Z');
    expect(condition(c.store.get(t('nodes'), undefined, 'w2'), 'Ready')?.status).toBe('True');
    expect(condition(c.store.get(t('nodes'), undefined, 'w1'), 'Ready')).toMatchObject({ status: 'Unknown', lastTransitionTime: '2026-01-01T00:00:40Z' });
    // Evicted when the 300 s toleration of the taint put on at 40 s ran out; terminating, as its kubelet is gone.
    expect(c.store.get(t('pods'), 'default', 'a').metadata.deletionTimestamp).toBe('2026-01-01T00:06:10Z');
  });

  it('runs static pods from manifests and keeps their read-only mirror pods', () => {
    const c = threeNodes();
    const mirror = c.kubelets.staticPods.putManifest('cp', 'etcd.yaml', {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'etcd', namespace: 'kube-system' },
      spec: { hostNetwork: true, containers: [{ name: 'etcd', image: 'registry.k8s.io/etcd:3.5.16-0' }] },
    });
    expect(mirror?.metadata.name).toBe('etcd-cp');
    const etcd = c.store.get(t('pods'), 'kube-system', 'etcd-cp');
    expect(etcd.metadata.annotations?.['kubernetes.io/config.mirror']).toBeDefined();
    expect((etcd.status as { podIP: string }).podIP).toBe('172.18.0.2');
    c.store.delete(t('pods'), 'kube-system', 'etcd-cp', { gracePeriodSeconds: 0 });
    expect(c.store.get(t('pods'), 'kube-system', 'etcd-cp').metadata.uid).not.toBe(etcd.metadata.uid); // back at once
    expect(() => c.store.patch(t('pods'), 'kube-system', 'etcd-cp', { spec: { containers: [{ name: 'etcd', image: 'other' }] } })).toThrow(
      'a mirror pod may not be modified',
    );
    c.kubelets.staticPods.deleteManifest('cp', 'etcd.yaml');
    expect(c.store.tryGet(t('pods'), 'kube-system', 'etcd-cp')).toBeUndefined();
  });
});
