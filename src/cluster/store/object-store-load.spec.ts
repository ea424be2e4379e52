import { ManualClock } from '../../common/clock';
import { DomainError } from '../../common/domain-error';
import { SeededRandom } from '../../common/random';
import { ObjectStore } from './object-store';
import { resourceTypeByKey } from './resource-types';
import { StoreBackend } from './store-backend';
import { KubeObject, StoredEvent, WatchEvent } from './types';

const namespaces = resourceTypeByKey('namespaces')!;
const pods = resourceTypeByKey('pods')!;

function newStore() {
  return new ObjectStore(new ManualClock(Date.UTC(2026, 0, 1)), new SeededRandom(7));
}

function entries(): Array<{ resource: string; object: KubeObject }> {
  const object = (kind: string, name: string, namespace?: string) =>
    ({ apiVersion: 'v1', kind, metadata: { name, ...(namespace ? { namespace } : {}), uid: `uid-${name}`, creationTimestamp: '2026-01-01T00:00:00Z' } }) as KubeObject;
  return [
    { resource: 'namespaces', object: object('Namespace', 'default') },
    { resource: 'pods', object: object('Pod', 'a', 'default') },
    { resource: 'pods', object: object('Pod', 'b', 'default') },
  ];
}

/** A backend that takes one revision per transaction, as etcd does, and records what it is given. */
class RecordingBackend implements StoreBackend {
  readonly name = 'recording';
  readonly versionPerTransaction = true;
  readonly pending = false;
  commits: StoredEvent[][] = [];
  constructor(private readonly revisions = 1) {}
  commit(changes: readonly StoredEvent[]): number {
    this.commits.push([...changes]);
    return this.revisions;
  }
  durable(): Promise<void> {
    return Promise.resolve();
  }
}

describe('ObjectStore.load (a snapshot restored as a new history)', () => {
  it('gives each object the next version after the revision it replaces, keeping everything else', () => {
    const store = newStore();
    const heard: string[] = [];
    store.subscribe((e) => heard.push(`${e.type} ${e.object.metadata.name} ${e.object.metadata.resourceVersion}`));
    store.load(entries(), 40);
    expect(store.list(pods).items.map((p) => [p.metadata.name, p.metadata.uid, p.metadata.resourceVersion])).toEqual([
      ['a', 'uid-a', '42'],
      ['b', 'uid-b', '43'],
    ]);
    expect(store.resourceVersion).toBe('43');
    expect(heard).toEqual(['ADDED default 41', 'ADDED a 42', 'ADDED b 43']);
    expect(Object.isFrozen(store.get(pods, 'default', 'a').metadata)).toBe(true);
    // The next write goes on from there.
    expect(store.create(pods, { metadata: { name: 'c' }, spec: { containers: [{ name: 'c', image: 'nginx' }] } }, 'default').metadata.resourceVersion).toBe('44');
  });

  it('starts a new history: a watch from a version before it is 410 Expired', () => {
    const store = newStore();
    store.load(entries(), 40);
    expect(() => store.watch(pods, { resourceVersion: '40' }, () => undefined)).toThrow(expect.objectContaining({ code: 'EXPIRED' }));
  });

  it('with a backend of one revision per transaction: one version for all, and the backend replaced at persistLoad', () => {
    const store = newStore();
    const backend = new RecordingBackend(3);
    store.useBackend(backend);
    store.load(entries(), 40);
    expect(store.list(pods).items.map((p) => p.metadata.resourceVersion)).toEqual(['41', '41']);
    expect(backend.commits).toEqual([]);
    const gone = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'old', namespace: 'default', uid: 'uid-old', resourceVersion: '12' } } as KubeObject;
    store.persistLoad([{ resource: 'pods', object: gone }]);
    expect(backend.commits[0].map((e) => `${e.type} ${e.object.metadata.name}`)).toEqual(['DELETED old', 'ADDED default', 'ADDED a', 'ADDED b']);
    // Three etcd transactions took three revisions: the store's version is the last.
    expect(store.resourceVersion).toBe('43');
  });

  it('refuses a store that has been written already', () => {
    const store = newStore();
    store.create(namespaces, { metadata: { name: 'default' } });
    expect(() => store.load(entries(), 40)).toThrow('a store is loaded before its first write');
  });
});

describe('ObjectStore.expireWatches', () => {
  it('ends each open watch with 410 Expired, and it hears nothing after', () => {
    const store = newStore();
    store.create(namespaces, { metadata: { name: 'default' } });
    const events: WatchEvent[] = [];
    const ended: DomainError[] = [];
    store.watch(namespaces, { resourceVersion: store.resourceVersion }, (e) => events.push(e), (e) => ended.push(e));
    // A watch that was stopped before is not ended again.
    const stop = store.watch(namespaces, {}, () => undefined, () => ended.push(new DomainError('EXPIRED', 'stopped')));
    stop();
    store.expireWatches('too old resource version: the cluster was reset; list again');
    expect(ended.map((e) => [e.code, e.message])).toEqual([['EXPIRED', 'too old resource version: the cluster was reset; list again']]);
    store.create(namespaces, { metadata: { name: 'later' } });
    expect(events).toEqual([]);
  });
});
