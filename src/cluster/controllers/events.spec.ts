import { newCluster } from '../../../test/support/cluster/cluster';
import { resourceTypeByKey } from '../store/resource-types';
import { WatchEvent } from '../store/types';
import { EXPIRE_BATCH, recordEvent } from './events';

const t = (key: string) => resourceTypeByKey(key)!;

describe('Events', () => {
  it('expire one hour after they were last written, as with kube-apiserver --event-ttl=1h; watchers see them go', () => {
    const c = newCluster();
    const ns = c.store.get(t('namespaces'), undefined, 'default');
    recordEvent(c.store, ns, 'Normal', 'First', 'one', { component: 'test' });
    recordEvent(c.store, ns, 'Normal', 'Second', 'two', { component: 'test' });
    const names = () => c.store.list(t('events'), { namespace: 'default' }).items.map((e) => `${e.reason} x${e.count as number}`);
    const seen: WatchEvent[] = [];
    c.store.watch(t('events'), { namespace: 'default', resourceVersion: c.store.resourceVersion }, (e) => seen.push(e));

    c.advance(1800);
    recordEvent(c.store, ns, 'Normal', 'Second', 'two', { component: 'test' }); // a repeat: written again, so it lives on
    c.advance(1799);
    expect(names()).toEqual(['First x1', 'Second x2']);
    c.advance(1);
    expect(names()).toEqual(['Second x2']);
    expect(seen.filter((e) => e.type === 'DELETED').map((e) => e.object.reason)).toEqual(['First']);
    c.advance(1800);
    expect(names()).toEqual([]);
  });

  it('expire in batches of EXPIRE_BATCH per timer run, so a clock advance can yield between them', () => {
    const c = newCluster();
    const ns = c.store.get(t('namespaces'), undefined, 'default');
    const deletedPerRun: number[] = [];
    let deleted = 0;
    c.store.watch(t('events'), { namespace: 'default', resourceVersion: c.store.resourceVersion }, (e) => {
      if (e.type === 'DELETED') deleted++;
    });
    const after = c.clock.after.bind(c.clock);
    jest.spyOn(c.clock, 'after').mockImplementation((delayMs, name, run) =>
      after(delayMs, name, name.startsWith('event-ttl') ? () => { const before = deleted; run(); deletedPerRun.push(deleted - before); } : run),
    );
    // A burst written at one simulated instant expires at one instant.
    for (let i = 0; i < 2 * EXPIRE_BATCH + 50; i++) recordEvent(c.store, ns, 'Normal', `Burst${i}`, 'burst', { component: 'test' });
    c.advance(3600);
    expect(c.store.list(t('events'), { namespace: 'default' }).items).toEqual([]);
    expect(deletedPerRun).toEqual([EXPIRE_BATCH, EXPIRE_BATCH, 50]);
  });

  it('are dropped when the API would refuse them (a 253-character pod name), never failing the component', () => {
    const c = newCluster();
    const faults: string[] = [];
    c.controllers.onFault((source, e) => faults.push(`${source}: ${(e as Error).message}`));
    c.store.create(t('nodes'), { metadata: { name: 'n0' } });
    const name = 'a'.repeat(253);
    c.store.create(t('pods'), { metadata: { name }, spec: { containers: [{ name: 'c', image: 'nginx' }] } }, 'default');
    const pod = c.store.get(t('pods'), 'default', name);
    expect((pod.spec as { nodeName?: string }).nodeName).toBe('n0');
    expect((pod.status as { phase?: string }).phase).toBe('Running');
    expect(c.store.list(t('events'), { namespace: 'default' }).items.filter((e) => (e.involvedObject as { name: string }).name === name)).toEqual([]);
    expect(faults).toEqual([]);
  });
});

describe('the event correlator', () => {
  const list = (c: ReturnType<typeof newCluster>) =>
    c.store
      .list(t('events'), { namespace: 'default' })
      .items.map((e) => `${(e.involvedObject as { fieldPath?: string }).fieldPath ?? '-'} ${e.reason as string} x${e.count as number} ${e.message as string}`)
      .sort();

  it('keys an Event on object, fieldPath, reason and message: a repeat counts, a different message or container is its own Event', () => {
    const c = newCluster();
    const ns = c.store.get(t('namespaces'), undefined, 'default');
    recordEvent(c.store, ns, 'Warning', 'Unhealthy', 'Liveness probe failed', { component: 'kubelet' }, 1, undefined, 'spec.containers{a}');
    recordEvent(c.store, ns, 'Warning', 'Unhealthy', 'Readiness probe failed', { component: 'kubelet' }, 1, undefined, 'spec.containers{a}');
    recordEvent(c.store, ns, 'Warning', 'Unhealthy', 'Liveness probe failed', { component: 'kubelet' }, 2, undefined, 'spec.containers{a}');
    recordEvent(c.store, ns, 'Warning', 'Unhealthy', 'Liveness probe failed', { component: 'kubelet' }, 1, undefined, 'spec.containers{b}');
    expect(list(c)).toEqual([
      'spec.containers{a} Unhealthy x1 Readiness probe failed',
      'spec.containers{a} Unhealthy x3 Liveness probe failed',
      'spec.containers{b} Unhealthy x1 Liveness probe failed',
    ]);
    expect(c.store.list(t('events'), { namespace: 'default' }).items.every((e) => /^default\.[0-9a-f]+$/.test(e.metadata.name))).toBe(true);
  });

  it('combines the 10th and later different messages of one object and reason within 10 minutes into one Event, as client-go aggregates', () => {
    const c = newCluster();
    const ns = c.store.get(t('namespaces'), undefined, 'default');
    for (let i = 1; i <= 12; i++) recordEvent(c.store, ns, 'Normal', 'Scaled', `to ${i}`, { component: 'test' });
    expect(list(c)).toEqual([...Array.from({ length: 9 }, (_, i) => `- Scaled x1 to ${i + 1}`), '- Scaled x3 (combined from similar events): to 12'].sort());
    c.advance(601);
    recordEvent(c.store, ns, 'Normal', 'Scaled', 'to 13', { component: 'test' });
    expect(list(c)).toContain('- Scaled x1 to 13');
  });
});
