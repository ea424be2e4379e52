import { ManualClock } from '../../common/clock';
import { SeededRandom } from '../../common/random';
import { parseFieldSelector } from './field-selector';
import { parseLabelSelector } from './label-selector';
import { deepEqual, ObjectStore } from './object-store';
import { refusalOf } from '../../../test/support/common/domain-error';
import { namespaces, newMemoryStore, pod, pods, services } from '../../../test/support/cluster/store';
import { WatchEvent } from './types';

const newStore = () => newMemoryStore();

describe('ObjectStore', () => {
  it('fills metadata as the API server does', () => {
    const { store } = newStore();
    const p = store.create(pods, pod('web-1', { app: 'web' }), 'default');
    expect(p.apiVersion).toBe('v1');
    expect(p.kind).toBe('Pod');
    expect(p.metadata).toMatchObject({
      name: 'web-1',
      namespace: 'default',
      resourceVersion: '2',
      generation: 1,
      creationTimestamp: '2026-01-01T00:00:00Z',
      labels: { app: 'web' },
    });
    expect(p.metadata.uid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(Object.isFrozen(p.metadata)).toBe(true);
  });

  it('keeps a handed-over request body as it is (no copy), and checks it as any input: a body nested too deep is a 400', () => {
    const { store } = newStore();
    const body = pod('kept');
    const stored = store.create(pods, body, 'default', { handedOver: true });
    expect(stored.spec).toBe(body.spec);
    expect(Object.isFrozen(body.spec)).toBe(true);
    const copied = pod('copied');
    expect(store.create(pods, copied, 'default').spec).not.toBe(copied.spec);
    let deep: Record<string, unknown> = {};
    const annotations = deep;
    for (let i = 0; i < 120; i++) deep = deep.a = {};
    const err = refusalOf(() => store.create(pods, { ...pod('deep'), metadata: { name: 'deep', annotations } } as never, 'default', { handedOver: true }));
    expect(err.code).toBe('BAD_REQUEST');
    expect(err.message).toMatch(/^the request body nests deeper than 100 levels at metadata\.annotations\.a\.a/);
    expect(store.tryGet(pods, 'default', 'deep')).toBeUndefined();
  });

  it('refuses a duplicate name with AlreadyExists, and a missing namespace with NotFound', () => {
    const { store } = newStore();
    store.create(pods, pod('a'), 'default');
    const dup = refusalOf(() => store.create(pods, pod('a'), 'default'));
    expect(dup.code).toBe('ALREADY_EXISTS');
    expect(dup.message).toBe('pods "a" already exists');
    const ns = refusalOf(() => store.create(pods, pod('a'), 'nowhere'));
    expect(ns.code).toBe('NOT_FOUND');
    expect(ns.message).toBe('namespaces "nowhere" not found');
  });

  it('appends a five-character suffix to generateName', () => {
    const { store } = newStore();
    const p = store.create(pods, { metadata: { generateName: 'web-' }, spec: {} }, 'default');
    expect(p.metadata.name).toMatch(/^web-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
  });

  it('validates names and labels with Kubernetes messages', () => {
    const { store } = newStore();
    const bad = refusalOf(() => store.create(pods, pod('Web_1', { 'bad key': 'v', ok: 'not ok!' }), 'default'));
    expect(bad.code).toBe('INVALID');
    expect(bad.causes.map((c) => c.field)).toEqual(['metadata.name', 'metadata.labels', 'metadata.labels']);
    expect(bad.message).toContain('Pod "Web_1" is invalid: [metadata.name: Invalid value: "Web_1": a lowercase RFC 1123 subdomain');
    expect(bad.message).toContain(
      `metadata.labels: Invalid value: "bad key": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')`,
    );
    expect(store.list(pods).items).toHaveLength(0);
  });

  it('takes every key as data: label keys such as constructor are accepted, __proto__ is judged by the label-key syntax, nothing reaches a prototype', () => {
    const { store } = newStore();
    const prototypes = [Object.prototype, Object.getPrototypeOf(structuredClone({}))];
    const before = prototypes.map((p) => Object.getOwnPropertyNames(p).sort());
    const input = JSON.parse('{"metadata":{"name":"p","labels":{"__proto__":"x"}},"spec":{}}');
    const bad = refusalOf(() => store.create(pods, input, 'default'));
    expect(bad.code).toBe('INVALID');
    expect(bad.message).toContain('Pod "p" is invalid: metadata.labels: Invalid value: "__proto__": name part must consist of alphanumeric characters');
    const ok = store.create(pods, pod('p', { constructor: 'a', toString: 'b', hasOwnProperty: 'c', prototype: 'd' }), 'default');
    expect(ok.metadata.labels).toEqual({ constructor: 'a', toString: 'b', hasOwnProperty: 'c', prototype: 'd' });
    expect(store.list(pods, { labelSelector: parseLabelSelector('toString=b') }).items).toHaveLength(1);
    expect(store.list(pods, { labelSelector: parseLabelSelector('valueOf') }).items).toHaveLength(0);
    const patched = store.patch(pods, 'default', 'p', JSON.parse('{"spec":{"__proto__":{"polluted":true}}}'));
    expect(Object.getOwnPropertyDescriptor(patched.spec, '__proto__')?.value).toEqual({ polluted: true });
    expect((patched.spec as Record<string, unknown>).polluted).toBeUndefined();
    expect(prototypes.map((p) => Object.getOwnPropertyNames(p).sort())).toEqual(before);
  });

  it('compares objects by their own keys: a __proto__ key is not the prototype', () => {
    expect(deepEqual(JSON.parse('{"__proto__":{},"x":1}'), { x: 1, z: 1 })).toBe(false);
    expect(deepEqual(JSON.parse('{"__proto__":{},"x":1}'), JSON.parse('{"x":1,"__proto__":{}}'))).toBe(true);
    expect(deepEqual({ constructor: 1, x: 1 }, { x: 1, y: 1 })).toBe(false);
  });

  it('checks a patched object as the API server does: a stale resourceVersion is a Conflict, whatever the patch type; a lost name is refused', () => {
    const { store } = newStore();
    const created = store.create(pods, pod('a'), 'default');
    store.patch(pods, 'default', 'a', { metadata: { labels: { v: '2' } } });
    const stale = [{ op: 'replace', path: '/metadata/resourceVersion', value: created.metadata.resourceVersion }];
    const conflict = refusalOf(() => store.patch(pods, 'default', 'a', stale, { patchType: 'json' }));
    expect(conflict.code).toBe('CONFLICT');
    expect(conflict.message).toBe('Operation cannot be fulfilled on pods "a": the object has been modified; please apply your changes to the latest version and try again');
    expect(refusalOf(() => store.patch(pods, 'default', 'a', { metadata: { resourceVersion: created.metadata.resourceVersion } }, { patchType: 'strategic' })).code).toBe('CONFLICT');
    expect(refusalOf(() => store.patchStatus(pods, 'default', 'a', stale, { patchType: 'json' })).code).toBe('CONFLICT');
    const noName = refusalOf(() => store.patch(pods, 'default', 'a', { $patch: 'delete' }, { patchType: 'strategic' }));
    expect([noName.code, noName.message]).toEqual(['BAD_REQUEST', 'the name of the object (a based on URL) was undeterminable: name must be provided']);
    expect(refusalOf(() => store.patch(pods, 'default', 'a', [{ op: 'remove', path: '/metadata/name' }], { patchType: 'json' })).message).toBe(
      'the name of the object (a based on URL) was undeterminable: name must be provided',
    );
    expect(refusalOf(() => store.patch(pods, 'default', 'a', { metadata: { name: 'b' } })).message).toBe('the name of the object (b) does not match the name on the URL (a)');
  });

  it('updates with optimistic concurrency: a stale resourceVersion is a Conflict', () => {
    const { store } = newStore();
    const created = store.create(pods, pod('a'), 'default');
    const updated = store.update(pods, 'default', 'a', {
      ...created,
      metadata: { ...created.metadata, labels: { v: '2' } },
    });
    expect(updated.metadata.resourceVersion).toBe('3');
    expect(updated.metadata.generation).toBe(1);
    const stale = refusalOf(() => store.update(pods, 'default', 'a', { ...created, spec: { nodeName: 'x' } }));
    expect(stale.code).toBe('CONFLICT');
    expect(stale.message).toBe(
      'Operation cannot be fulfilled on pods "a": the object has been modified; please apply your changes to the latest version and try again',
    );
  });

  it('bumps generation when the spec changes, and not for an identical write', () => {
    const { store } = newStore();
    store.create(pods, pod('a'), 'default');
    const same = store.patch(pods, 'default', 'a', { metadata: { labels: {} } });
    expect(same.metadata.resourceVersion).toBe('2');
    const changed = store.patch(pods, 'default', 'a', { spec: { nodeName: 'n1' } });
    expect(changed.metadata.generation).toBe(2);
    expect((changed.spec as { nodeName: string }).nodeName).toBe('n1');
  });

  it('applies JSON merge patches: null deletes, arrays replace', () => {
    const { store } = newStore();
    store.create(pods, { metadata: { name: 'a', labels: { x: '1', y: '2' } }, spec: { list: [1, 2] } }, 'default');
    const p = store.patch(pods, 'default', 'a', { metadata: { labels: { x: null, z: '3' } }, spec: { list: [3] } });
    expect(p.metadata.labels).toEqual({ y: '2', z: '3' });
    expect(p.spec).toEqual({ list: [3] });
  });

  it('lists with label and field selectors', () => {
    const { store } = newStore();
    store.create(pods, pod('a', { app: 'web', tier: 'front' }, 'n1'), 'default');
    store.create(pods, pod('b', { app: 'web' }, 'n2'), 'default');
    store.create(pods, pod('c', { app: 'db' }, 'n1'), 'default');
    const names = (labels?: string, fields?: string) =>
      store
        .list(pods, { labelSelector: parseLabelSelector(labels), fieldSelector: parseFieldSelector(fields, 'Pod') })
        .items.map((p) => p.metadata.name);
    expect(names('app=web')).toEqual(['a', 'b']);
    expect(names('app in (web,db),!tier')).toEqual(['b', 'c']);
    expect(names('app!=web')).toEqual(['c']);
    expect(names(undefined, 'spec.nodeName=n1')).toEqual(['a', 'c']);
    expect(names('app=web', 'metadata.name!=a')).toEqual(['b']);
    expect(refusalOf(() => parseFieldSelector('spec.foo=1', 'Pod')).message).toBe('field label not supported: spec.foo');
  });

  it('deleting a namespace deletes what is in it', () => {
    const { store } = newStore();
    store.create(namespaces, { metadata: { name: 'prod' } });
    store.create(pods, pod('a'), 'prod');
    store.create(services, { metadata: { name: 's' }, spec: {} }, 'prod');
    store.create(pods, pod('b'), 'default');
    store.delete(namespaces, undefined, 'prod');
    expect(store.list(pods).items.map((p) => p.metadata.name)).toEqual(['b']);
    expect(store.list(services).items).toHaveLength(0);
  });

  it('watches from a resourceVersion and sees later events', () => {
    const { store } = newStore();
    store.create(pods, pod('a'), 'default');
    const from = store.resourceVersion;
    store.create(pods, pod('b'), 'default');
    const seen: WatchEvent[] = [];
    const stop = store.watch(pods, { resourceVersion: from }, (e) => seen.push(e));
    store.patch(pods, 'default', 'a', { metadata: { labels: { x: 'y' } } });
    store.delete(pods, 'default', 'b');
    stop();
    store.delete(pods, 'default', 'a');
    expect(seen.map((e) => `${e.type} ${e.object.metadata.name}`)).toEqual(['ADDED b', 'MODIFIED a', 'DELETED b']);
  });

  it('answers a watch from a version older than its history with Expired', () => {
    const clock = new ManualClock();
    const store = new ObjectStore(clock, new SeededRandom(1), 3);
    store.create(namespaces, { metadata: { name: 'default' } });
    for (let i = 0; i < 6; i++) store.create(pods, pod(`p${i}`), 'default');
    expect(refusalOf(() => store.watch(pods, { resourceVersion: '1' }, () => undefined)).code).toBe('EXPIRED');
  });

  it('bounds its history in bytes: large versions push the oldest out, and a watcher that fell behind gets Expired', () => {
    const clock = new ManualClock();
    const store = new ObjectStore(clock, new SeededRandom(1), { events: 1000, bytes: 1_000_000 });
    store.create(namespaces, { metadata: { name: 'default' } });
    const first = store.create(pods, pod('big'), 'default').metadata.resourceVersion;
    let last = first;
    for (let i = 0; i < 20; i++) {
      last = store.patch(pods, 'default', 'big', { metadata: { annotations: { blob: String.fromCharCode(97 + i).repeat(200_000) } } }).metadata.resourceVersion;
    }
    const error = refusalOf(() => store.watch(pods, { resourceVersion: first }, () => undefined));
    expect(error.code).toBe('EXPIRED');
    expect(error.message).toMatch(new RegExp(`^too old resource version: ${first} \\(\\d+\\)$`));
    // About 1 MB of 200 KB versions: the last few are still there.
    const seen: WatchEvent[] = [];
    store.watch(pods, { resourceVersion: String(Number(last) - 3) }, (e) => seen.push(e));
    expect(seen.map((e) => e.object.metadata.resourceVersion)).toEqual([String(Number(last) - 2), String(Number(last) - 1), last]);
  });

  it('undoes a whole transaction when any part fails, and publishes nothing of it', () => {
    const { store } = newStore();
    const seen: string[] = [];
    store.subscribe((e) => seen.push(e.object.metadata.name));
    const version = store.resourceVersion;
    expect(() =>
      store.transaction(() => {
        store.create(pods, pod('a'), 'default');
        store.create(pods, pod('b'), 'default');
        store.create(pods, pod('a'), 'default');
      }),
    ).toThrow('pods "a" already exists');
    expect(store.list(pods).items).toHaveLength(0);
    expect(store.resourceVersion).toBe(version);
    expect(seen).toEqual([]);
  });

  it('never hands out a version twice: one given to a write that was undone is skipped', () => {
    const { store } = newStore();
    let undone = '';
    expect(() =>
      store.transaction(() => {
        undone = store.create(pods, pod('a'), 'default').metadata.resourceVersion;
        throw new Error('changed my mind');
      }),
    ).toThrow('changed my mind');
    const next = store.create(pods, pod('b'), 'default').metadata.resourceVersion;
    expect(Number(next)).toBeGreaterThan(Number(undone));
    expect(store.resourceVersion).toBe(next);
  });

  it('uses no version for a dry run: a create comes back without one, an update with the current one', () => {
    const { store } = newStore();
    const before = store.resourceVersion;
    const created = store.create(pods, pod('a'), 'default', { dryRun: true });
    expect(created.metadata.resourceVersion).toBeFalsy(); // empty, left out of the JSON
    expect(store.resourceVersion).toBe(before);
    const stored = store.create(pods, pod('a'), 'default');
    const updated = store.update(pods, 'default', 'a', { ...pod('a'), metadata: { name: 'a', labels: { x: 'y' } } }, { dryRun: true });
    expect(updated.metadata.labels).toEqual({ x: 'y' });
    expect(updated.metadata.resourceVersion).toBe(stored.metadata.resourceVersion);
    expect(store.create(pods, pod('b'), 'default').metadata.resourceVersion).toBe(String(Number(stored.metadata.resourceVersion) + 1));
  });

  it('keeps a committed write when a commit hook fails, reporting the failure and running the other hooks', () => {
    const { store } = newStore();
    const faults: string[] = [];
    store.onFault((source, e) => faults.push(`${source}: ${(e as Error).message}`));
    let later = 0;
    store.onCommit(() => {
      throw new Error('settle gave up');
    });
    store.onCommit(() => later++);
    const seen: string[] = [];
    store.subscribe((e) => seen.push(`${e.type} ${e.object.metadata.resourceVersion}`));
    const created = store.create(pods, pod('a'), 'default');
    expect(store.get(pods, 'default', 'a')).toBe(created);
    expect(store.resourceVersion).toBe(created.metadata.resourceVersion);
    expect(seen).toEqual([`ADDED ${created.metadata.resourceVersion}`]);
    expect(faults).toEqual(['commit hook: settle gave up']);
    expect(later).toBe(1);
    // The next write gets a version of its own.
    expect(Number(store.create(pods, pod('b'), 'default').metadata.resourceVersion)).toBeGreaterThan(Number(created.metadata.resourceVersion));
  });

  it('without a fault handler, throws a commit hook\'s error after the write has committed', () => {
    const { store } = newStore();
    store.onCommit(() => {
      throw new Error('settle gave up');
    });
    expect(() => store.create(pods, pod('a'), 'default')).toThrow('settle gave up');
    expect(store.get(pods, 'default', 'a').metadata.resourceVersion).toBe(store.resourceVersion);
  });

  it('runs strategy rollbacks when a transaction fails', () => {
    const { store } = newStore();
    const held = new Set<string>();
    store.registerStrategy(services, {
      prepareCreate: (draft) => {
        held.add(draft.metadata.name);
        return () => held.delete(draft.metadata.name);
      },
    });
    expect(() =>
      store.transaction(() => {
        store.create(services, { metadata: { name: 's1' }, spec: {} }, 'default');
        throw new Error('later failure');
      }),
    ).toThrow('later failure');
    expect(held.size).toBe(0);
  });
});
