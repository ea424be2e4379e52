import { compileSelector } from '../store/label-selector';
import { KubeObject } from '../store/types';
import { SortedNumbers, StatefulSetPods } from './statefulset-pods';
import { ordinalOf } from './statefulset.controller';

const LABEL = 'controller-revision-hash';
const set = { metadata: { name: 'web' } } as KubeObject;

function pod(name: string, o: { revision?: string; ready?: boolean; labels?: Record<string, string>; deleting?: boolean } = {}): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: 'default',
      uid: `uid-${name}`,
      labels: o.labels ?? { app: 'web', [LABEL]: o.revision ?? 'web-1' },
      ...(o.deleting ? { deletionTimestamp: '2026-01-01T00:00:00Z' } : {}),
    },
    spec: {},
    status: { phase: 'Running', conditions: [{ type: 'Ready', status: o.ready === false ? 'False' : 'True', lastTransitionTime: '2026-01-01T00:00:00Z' }] },
  } as KubeObject;
}

function followed(...pods: KubeObject[]): StatefulSetPods {
  const out = new StatefulSetPods((p) => ordinalOf(p, set), compileSelector({ matchLabels: { app: 'web' } }), LABEL);
  for (const p of pods) out.podChanged(p.metadata.name, p);
  return out;
}

const shape = (o: Partial<{ start: number; replicas: number; update: string; current: string }> = {}) => ({
  start: 0,
  replicas: 3,
  minReadySeconds: 0,
  current: 'web-1',
  update: 'web-1',
  retention: 'Retain/Retain',
  ...o,
});
const names = (pods: Iterable<KubeObject>) => [...pods].map((p) => p.metadata.name);
const members = (s: SortedNumbers, to = 10) => Array.from({ length: to }, (_, i) => i).filter((i) => s.has(i));

describe('SortedNumbers', () => {
  it('keeps its members sorted, once each, and finds the nearest at least or at most a number', () => {
    const s = new SortedNumbers();
    for (const n of [5, 1, 9, 5, 3]) s.add(n);
    expect(s.size).toBe(4);
    expect(members(s)).toEqual([1, 3, 5, 9]);
    expect([s.atLeast(4), s.atLeast(9), s.atLeast(10), s.atMost(4), s.atMost(0), s.atMost(Infinity)]).toEqual([5, 9, undefined, 3, undefined, 9]);
    s.delete(5);
    s.delete(7);
    expect(members(s)).toEqual([1, 3, 9]);
    s.fill(3);
    expect(members(s)).toEqual([0, 1, 2]);
  });
});

describe("StatefulSetPods: one set's pods between syncs", () => {
  it('counts its pods as computeReplicaStatus does, and keeps the counts as pods change', () => {
    const pods = followed(pod('web-0'), pod('web-1', { ready: false }), pod('web-2', { revision: 'web-2', deleting: true }));
    pods.refresh(shape({ update: 'web-2' }));
    expect(pods.replicaCounts(0, () => undefined)).toEqual({ replicas: 3, ready: 2, available: 2, current: 2, updated: 0 });
    pods.podChanged('web-1', pod('web-1', { revision: 'web-2' }));
    pods.podChanged('web-2', undefined);
    pods.refresh(shape({ update: 'web-2' }));
    expect(pods.replicaCounts(0, () => undefined)).toEqual({ replicas: 2, ready: 2, available: 2, current: 1, updated: 1 });
  });

  it('hands out the replicas that may need work, the pods not at the update revision, and the condemned, highest first', () => {
    const pods = followed(pod('web-0'), pod('web-1'), pod('web-01'), pod('web-4'), pod('web-3', { revision: 'web-2' }), pod('stray-0'));
    pods.refresh(shape({ replicas: 2, update: 'web-2' }));
    expect(members(pods.unsteady)).toEqual([0, 1]);
    pods.steady(0);
    expect(members(pods.unsteady)).toEqual([1]);
    // `web-01` and `web-1` are both ordinal 1: the later name is the replica, as a list sorted by name leaves it.
    expect(pods.replicaAt(1)?.metadata.name).toBe('web-1');
    expect(members(pods.outdated)).toEqual([0, 1]);
    expect(names(pods.condemnedDescending())).toEqual(['web-4', 'web-3']);
    expect(names(pods.condemnedAscending())).toEqual(['web-3', 'web-4']);
    // An event of web-0 makes it looked at again; a pod whose labels no longer match is not claimed.
    pods.podChanged('web-0', pod('web-0', { labels: { app: 'other' } }));
    pods.refresh(shape({ replicas: 2, update: 'web-2' }));
    expect(members(pods.unsteady)).toEqual([0, 1]);
    expect(pods.replicaAt(0)).toBeUndefined();
    expect(names(pods.claimed())).toEqual(['web-01', 'web-1', 'web-3', 'web-4']);
    expect(names(pods.all())).toEqual(['web-0', 'web-01', 'web-1', 'web-3', 'web-4']);
  });

  it('rebuilds everything when what it depends on changes (here the replica count)', () => {
    const pods = followed(pod('web-0'), pod('web-1'), pod('web-2'));
    pods.refresh(shape());
    pods.steady(0);
    pods.steady(1);
    pods.steady(2);
    pods.refresh(shape());
    expect(members(pods.unsteady)).toEqual([]);
    pods.refresh(shape({ replicas: 2 }));
    expect(members(pods.unsteady)).toEqual([0, 1]);
    expect(names(pods.condemnedDescending())).toEqual(['web-2']);
  });
});
