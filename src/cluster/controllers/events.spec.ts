import { newCluster } from '../cluster.testing';
import { resourceTypeByKey } from '../store/resource-types';
import { WatchEvent } from '../store/types';
import { recordEvent } from './events';

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
