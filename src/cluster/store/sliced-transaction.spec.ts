import { DomainError } from '../../common/domain-error';
import { ObjectStore } from './object-store';
import { configmaps, newMemoryStore } from '../../../test/support/cluster/store';
import { StoredEvent } from './types';

function newStore() {
  const { store } = newMemoryStore();
  const events: StoredEvent[] = [];
  store.subscribe((e) => events.push(e));
  let commits = 0;
  store.onCommit(() => commits++);
  return { store, events, commits: () => commits };
}

/** Creates ConfigMaps `first`…`first + count - 1`, one a step; the last step may throw. */
function* creating(store: ObjectStore, count: number, options: { first?: number; failAt?: number; log?: string[] } = {}): Generator<void, string[]> {
  const names: string[] = [];
  for (let i = 0; i < count; i++) {
    const name = `cm-${(options.first ?? 0) + i}`;
    if (i === options.failAt) throw new DomainError('INVALID', `step ${i} is bad`);
    store.create(configmaps, { metadata: { name }, data: { i: String(i) } }, 'default');
    options.log?.push(name);
    names.push(name);
    yield;
  }
  return names;
}

const names = (store: ObjectStore) => store.list(configmaps, { namespace: 'default' }).items.map((o) => o.metadata.name);

/** A `yieldTo` that counts the slices and lets `between` look at the store from outside. */
function counting(between?: (slice: number) => void) {
  let slices = 0;
  return {
    slices: () => slices,
    yieldTo: async () => {
      slices++;
      between?.(slices);
      await new Promise((resolve) => setImmediate(resolve));
    },
  };
}

describe('ObjectStore.transactionInSlices', () => {
  it('applies every step, giving the event loop back between slices, and publishes its events in order once all are done', async () => {
    const { store, events, commits } = newStore();
    const before = events.length;
    const seenBetween: number[] = [];
    const turns = counting(() => seenBetween.push(events.length - before));
    const result = await store.transactionInSlices(creating(store, 5), { sliceMs: 0, yieldTo: turns.yieldTo });
    expect(result).toEqual(['cm-0', 'cm-1', 'cm-2', 'cm-3', 'cm-4']);
    expect(turns.slices()).toBe(5);
    expect(seenBetween).toEqual([0, 0, 0, 0, 0]); // no watcher saw any of it while it ran
    const published = events.slice(before);
    expect(published.map((e) => e.object.metadata.name)).toEqual(result);
    expect(published.map((e) => e.resourceVersion)).toEqual([...published.map((e) => e.resourceVersion)].sort((a, b) => a - b));
    expect(store.resourceVersion).toBe(String(published[4].resourceVersion));
    expect(store.isHeld).toBe(false);
    expect(commits()).toBe(1);
  });

  it('publishes a large batch\'s events in slices too, and lets the store go only once all are out', async () => {
    const { store, events } = newStore();
    const before = events.length;
    const turns = counting();
    const result = await store.transactionInSlices(creating(store, 300), { sliceMs: 0, yieldTo: turns.yieldTo });
    expect(result).toHaveLength(300);
    expect(events.length - before).toBe(300);
    expect(store.isHeld).toBe(false);
    expect(turns.slices()).toBeGreaterThan(300); // a slice a step, then slices of events
  });

  it('undoes everything when a step throws: no object, no event, the version as before', async () => {
    const { store, events } = newStore();
    const before = { events: events.length, version: store.resourceVersion };
    await expect(store.transactionInSlices(creating(store, 5, { failAt: 3 }), { sliceMs: 0 })).rejects.toThrow('step 3 is bad');
    expect(names(store)).toEqual([]);
    expect(events).toHaveLength(before.events);
    expect(store.resourceVersion).toBe(before.version);
    expect(store.isHeld).toBe(false);
    // The next write gets a version never handed out before.
    const next = store.create(configmaps, { metadata: { name: 'after' } }, 'default');
    expect(Number(next.metadata.resourceVersion)).toBeGreaterThan(Number(before.version) + 3);
  });

  it('with rollBack, returns the steps\' result and keeps nothing (a dry run)', async () => {
    const { store, events } = newStore();
    const before = events.length;
    expect(await store.transactionInSlices(creating(store, 3), { sliceMs: 0, rollBack: true })).toEqual(['cm-0', 'cm-1', 'cm-2']);
    expect(names(store)).toEqual([]);
    expect(events).toHaveLength(before);
  });

  it('holds the store: a read from outside between slices first finishes it, so it is never seen half done', async () => {
    const { store } = newStore();
    const log: string[] = [];
    let seen: string[] | undefined;
    const turns = counting((slice) => {
      if (slice === 2) seen = names(store);
    });
    const done = store.transactionInSlices(creating(store, 6, { log }), { sliceMs: 0, yieldTo: turns.yieldTo });
    expect(await done).toHaveLength(6);
    expect(seen).toEqual(['cm-0', 'cm-1', 'cm-2', 'cm-3', 'cm-4', 'cm-5']);
    expect(turns.slices()).toBe(2); // it ended inside the read
  });

  it('holds the store: a write from outside between slices comes after the whole batch, with a later version', async () => {
    const { store, events } = newStore();
    const turns = counting((slice) => {
      if (slice === 1) store.create(configmaps, { metadata: { name: 'outsider' } }, 'default');
    });
    const result = await store.transactionInSlices(creating(store, 4), { sliceMs: 0, yieldTo: turns.yieldTo });
    expect(result).toHaveLength(4);
    const order = events.filter((e) => e.resource === 'configmaps').map((e) => e.object.metadata.name);
    expect(order).toEqual(['cm-0', 'cm-1', 'cm-2', 'cm-3', 'outsider']);
    const versions = events.map((e) => e.resourceVersion);
    expect(versions).toEqual([...versions].sort((a, b) => a - b));
  });

  it('a failing batch finished from outside is still undone as a whole, and its caller gets the error', async () => {
    const { store } = newStore();
    const turns = counting((slice) => {
      if (slice === 1) expect(names(store)).toEqual([]);
    });
    await expect(store.transactionInSlices(creating(store, 4, { failAt: 2 }), { sliceMs: 0, yieldTo: turns.yieldTo })).rejects.toThrow('step 2 is bad');
    expect(names(store)).toEqual([]);
  });

  it('runs sliced transactions one after the other, and `unlocked()` waits for them', async () => {
    const { store } = newStore();
    const log: string[] = [];
    const a = store.transactionInSlices(creating(store, 3, { log }), { sliceMs: 0 });
    const b = store.transactionInSlices(creating(store, 3, { first: 10, log }), { sliceMs: 0 });
    expect(store.isHeld).toBe(true);
    const waited = store.unlocked().then(() => log.length);
    await Promise.all([a, b]);
    expect(log).toEqual(['cm-0', 'cm-1', 'cm-2', 'cm-10', 'cm-11', 'cm-12']);
    expect(await waited).toBeGreaterThanOrEqual(3);
    expect(store.isHeld).toBe(false);
  });

  it('inside a transaction, runs at once as part of it', async () => {
    const { store } = newStore();
    let inner: Promise<string[]> | undefined;
    store.transaction(() => {
      inner = store.transactionInSlices(creating(store, 3), { sliceMs: 0 });
      expect(store.isHeld).toBe(false);
    });
    expect(await inner).toHaveLength(3);
    expect(names(store)).toHaveLength(3);
  });
});
