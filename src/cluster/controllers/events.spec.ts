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
});
