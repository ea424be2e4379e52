import { newCluster } from '../../test/support/cluster/cluster';
import { EndpointSlice } from './controllers/endpoint-slice.controller';
import { resourceTypeByKey } from './store/resource-types';
import { KubeObject } from './store/types';

const t = (key: string) => resourceTypeByKey(key)!;

function pod(name: string, node: string, labels: Record<string, string>, ports: Array<{ name?: string; containerPort: number }> = []) {
  return { metadata: { name, labels }, spec: { nodeName: node, containers: [{ name: 'app', image: 'nginx', ports }] } };
}

const statusOf = (o: KubeObject) => o.status as Record<string, unknown>;

describe('Cluster', () => {
  it('starts with the system namespaces and default/kubernetes on the first service address', () => {
    const c = newCluster();
    expect(c.store.list(t('namespaces')).items.map((n) => n.metadata.name)).toEqual([
      'default',
      'kube-node-lease',
      'kube-public',
      'kube-system',
    ]);
    const k = c.store.get(t('services'), 'default', 'kubernetes');
    expect((k.spec as { clusterIP: string }).clusterIP).toBe('10.96.0.1');
  });

  it('gives nodes pod CIDRs and addresses in order, and a node past the last block CIDRNotAvailable', () => {
    const c = newCluster({ clusterCidr: '10.244.0.0/23' });
    const n0 = c.store.create(t('nodes'), { metadata: { name: 'n0' } });
    const n1 = c.store.create(t('nodes'), { metadata: { name: 'n1' } });
    expect((n0.spec as { podCIDR: string }).podCIDR).toBe('10.244.0.0/24');
    expect((n1.spec as { podCIDR: string }).podCIDR).toBe('10.244.1.0/24');
    expect(statusOf(n0).addresses).toEqual([
      { type: 'InternalIP', address: '172.18.0.2' },
      { type: 'Hostname', address: 'n0' },
    ]);
    const n2 = c.store.create(t('nodes'), { metadata: { name: 'n2' } });
    expect((n2.spec as { podCIDR?: string }).podCIDR).toBeUndefined();
    expect(statusOf(n2).conditions).toEqual(
      expect.arrayContaining([expect.objectContaining({ type: 'NetworkUnavailable', status: 'True', reason: 'CIDRNotAvailable' })]),
    );
    const events = c.store.list(t('events'), { namespace: 'default' }).items;
    expect(events.map((e) => e.message)).toContain('Node n2 status is now: CIDRNotAvailable');
  });

  it('starts bound pods with host-local IPs and frees them when the pods go', () => {
    const c = newCluster();
    c.store.create(t('nodes'), { metadata: { name: 'n0' } });
    c.store.create(t('pods'), pod('a', 'n0', { app: 'web' }), 'default');
    c.store.create(t('pods'), pod('b', 'n0', { app: 'web' }), 'default');
    const a = c.store.get(t('pods'), 'default', 'a');
    expect(statusOf(a)).toMatchObject({ phase: 'Running', podIP: '10.244.0.2', hostIP: '172.18.0.2' });
    expect(statusOf(c.store.get(t('pods'), 'default', 'b')).podIP).toBe('10.244.0.3');
    const terminating = c.store.delete(t('pods'), 'default', 'a');
    expect(terminating.metadata.deletionTimestamp).toBe('2026-01-01T00:00:30Z'); // terminationGracePeriodSeconds 30
    expect(c.pools.existingNodeIpam('n0')!.stats().used).toBe(2);
    c.advance(0.5);
    expect(c.store.tryGet(t('pods'), 'default', 'a')).toBeDefined();
    c.advance(0.5); // nginx exits on SIGTERM: the kubelet removes the pod 1 s after the delete
    expect(c.store.tryGet(t('pods'), 'default', 'a')).toBeUndefined();
    expect(c.pools.existingNodeIpam('n0')!.stats().used).toBe(1);
  });

  it('deletes at once with gracePeriodSeconds 0', () => {
    const c = newCluster();
    c.store.create(t('nodes'), { metadata: { name: 'n0' } });
    c.store.create(t('pods'), pod('a', 'n0', {}), 'default');
    c.store.delete(t('pods'), 'default', 'a', { gracePeriodSeconds: 0 });
    expect(c.store.tryGet(t('pods'), 'default', 'a')).toBeUndefined();
  });

  it('keeps EndpointSlices and Endpoints in step with the pods a Service selects', () => {
    const c = newCluster();
    c.store.create(t('nodes'), { metadata: { name: 'n0', labels: { 'topology.kubernetes.io/zone': 'z1' } } });
    c.store.create(
      t('services'),
      { metadata: { name: 'web' }, spec: { selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 'http' }] } },
      'default',
    );
    c.store.create(t('pods'), pod('a', 'n0', { app: 'web' }, [{ name: 'http', containerPort: 8080 }]), 'default');
    c.store.create(t('pods'), pod('b', 'n0', { app: 'web' }, [{ name: 'http', containerPort: 8080 }]), 'default');
    c.store.create(t('pods'), pod('x', 'n0', { app: 'other' }), 'default');
    const slices = c.store
      .list(t('endpointslices.discovery.k8s.io'), { namespace: 'default' })
      .items.filter((s) => s.metadata.labels?.['kubernetes.io/service-name'] === 'web') as EndpointSlice[];
    expect(slices).toHaveLength(1);
    expect(slices[0].metadata.name).toMatch(/^web-[a-z0-9]{5}$/);
    expect(slices[0].ports).toEqual([{ name: 'http', port: 8080, protocol: 'TCP' }]);
    expect(slices[0].endpoints.map((e) => [e.addresses[0], e.conditions.ready, e.nodeName, e.zone])).toEqual([
      ['10.244.0.2', true, 'n0', 'z1'],
      ['10.244.0.3', true, 'n0', 'z1'],
    ]);
    const ep = c.store.get(t('endpoints'), 'default', 'web');
    expect(ep.subsets).toEqual([
      {
        addresses: [
          expect.objectContaining({ ip: '10.244.0.2', nodeName: 'n0' }),
          expect.objectContaining({ ip: '10.244.0.3', nodeName: 'n0' }),
        ],
        ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
      },
    ]);
    c.store.delete(t('pods'), 'default', 'a');
    const during = c.store.get(t('endpointslices.discovery.k8s.io'), 'default', slices[0].metadata.name) as EndpointSlice;
    expect(during.endpoints.map((e) => [e.addresses[0], e.conditions])).toEqual([
      ['10.244.0.2', { ready: false, serving: true, terminating: true }],
      ['10.244.0.3', { ready: true, serving: true, terminating: false }],
    ]);
    c.advance(30);
    const after = c.store.get(t('endpointslices.discovery.k8s.io'), 'default', slices[0].metadata.name) as EndpointSlice;
    expect(after.endpoints.map((e) => e.addresses[0])).toEqual(['10.244.0.3']);
  });

  it('keeps slices of 100 endpoints in pod name order as single pods come, change and go; a node changing zone shows on its endpoints', () => {
    const c = newCluster();
    c.store.create(t('nodes'), { metadata: { name: 'n0' } });
    c.store.create(t('nodes'), { metadata: { name: 'n1' } });
    c.store.create(t('services'), { metadata: { name: 'web' }, spec: { selector: { app: 'web' }, ports: [{ port: 80 }] } }, 'default');
    const names = Array.from({ length: 120 }, (_, i) => `p${String(i).padStart(3, '0')}`);
    // Created out of name order, so the slices' order is the controller's doing.
    for (const name of [...names].reverse()) c.store.create(t('pods'), pod(name, Number(name.slice(1)) % 2 ? 'n1' : 'n0', { app: 'web' }), 'default');
    const webSlices = () =>
      (c.store.list(t('endpointslices.discovery.k8s.io'), { namespace: 'default' }).items as EndpointSlice[])
        .filter((s) => s.metadata.labels?.['kubernetes.io/service-name'] === 'web')
        .sort((a, b) => (a.metadata.name < b.metadata.name ? -1 : 1));
    const podsIn = () => webSlices().map((s) => s.endpoints.map((e) => e.targetRef!.name));
    expect(podsIn()).toEqual([names.slice(0, 100), names.slice(100)]);
    c.store.delete(t('pods'), 'default', 'p050');
    c.advance(30);
    c.store.patch(t('pods'), 'default', 'p010', { metadata: { labels: { app: 'other' } } });
    const left = names.filter((n) => n !== 'p050' && n !== 'p010');
    expect(podsIn()).toEqual([left.slice(0, 100), left.slice(100)]);
    c.store.patch(t('nodes'), undefined, 'n1', { metadata: { labels: { 'topology.kubernetes.io/zone': 'z9' } } });
    c.store.patch(t('pods'), 'default', 'p010', { metadata: { labels: { app: 'web' } } });
    const zones = new Set(webSlices().flatMap((s) => s.endpoints.filter((e) => e.nodeName === 'n1').map((e) => e.zone)));
    expect([...zones]).toEqual(['z9']);
    expect(podsIn().flat()).toEqual(names.filter((n) => n !== 'p050'));
  });

  it('points default/kubernetes at the control-plane nodes on 6443', () => {
    const c = newCluster();
    c.store.create(t('nodes'), { metadata: { name: 'cp', labels: { 'node-role.kubernetes.io/control-plane': '' } } });
    const slice = c.store.get(t('endpointslices.discovery.k8s.io'), 'default', 'kubernetes') as EndpointSlice;
    expect(slice.endpoints.map((e) => e.addresses[0])).toEqual(['172.18.0.2']);
    expect(slice.ports).toEqual([{ name: 'https', port: 6443, protocol: 'TCP' }]);
  });

  it('is deterministic: the same seed gives the same names and addresses', () => {
    const run = () => {
      const c = newCluster({}, 42);
      c.store.create(t('nodes'), { metadata: { name: 'n0' } });
      const s = c.store.create(t('services'), { metadata: { name: 'web' }, spec: { selector: { app: 'web' }, ports: [{ port: 80 }] } }, 'default');
      c.store.create(t('pods'), pod('a', 'n0', { app: 'web' }), 'default');
      const slices = c.store.list(t('endpointslices.discovery.k8s.io'), { namespace: 'default' }).items.map((x) => x.metadata.name);
      return JSON.stringify([(s.spec as { clusterIP: string }).clusterIP, s.metadata.uid, slices]);
    };
    expect(run()).toBe(run());
  });

  it('runs timers on a settled cluster when settling in slices: a sliced advance waits for a settle under way', async () => {
    const c = newCluster();
    c.settleInSlices(0); // every controller sync ends a slice
    const deployment = {
      metadata: { name: 'web' },
      spec: {
        replicas: 3,
        selector: { matchLabels: { app: 'web' } },
        template: { metadata: { labels: { app: 'web' } }, spec: { schedulerName: 'manual', containers: [{ name: 'app', image: 'nginx' }] } },
      },
    };
    c.store.create(t('deployments.apps'), deployment, 'default');
    expect(c.store.list(t('pods'), { namespace: 'default' }).items).toHaveLength(0); // the Deployment and ReplicaSet syncs are still to come
    const seen: number[] = [];
    c.clock.after(0, 'count pods', () => seen.push(c.store.list(t('pods'), { namespace: 'default' }).items.length));
    await c.advanceSliced(1, { sliceMs: 0 });
    expect(seen).toEqual([3]);
  });
});
