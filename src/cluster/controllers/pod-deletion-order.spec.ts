import fc from 'fast-check';
import { KubeObject } from '../store/types';
import { podsToDelete, podsToDeleteSteps, smallest } from './pod-deletion-order';

describe('the order a scale-down deletes pods in', () => {
  it('ranks doubled-up nodes and pod-deletion-cost in the order upstream deletes', () => {
    const pod = (name: string, node: string, extra: Partial<KubeObject['metadata']> = {}): KubeObject => ({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name, uid: name, resourceVersion: '1', generation: 1, creationTimestamp: '2026-01-01T00:00:00Z', ...extra },
      spec: { nodeName: node, containers: [] },
      status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: '2026-01-01T00:00:00Z' }] },
    });
    const now = Date.UTC(2026, 0, 1, 1);
    const a = pod('a', 'n1');
    const b = pod('b', 'n2');
    const c2 = pod('c', 'n2');
    // n2 has two pods: one of them goes first.
    expect(podsToDelete([a, b, c2], [a, b, c2], 1, now).map((p) => p.metadata.name)).toEqual(['b']);
    // A lower deletion cost beats being doubled up.
    const cheap = pod('a', 'n1', { annotations: { 'controller.kubernetes.io/pod-deletion-cost': '-10' } });
    expect(podsToDelete([cheap, b, c2], [cheap, b, c2], 1, now).map((p) => p.metadata.name)).toEqual(['a']);
    // Unscheduled first.
    const pending: KubeObject = { ...pod('z', ''), spec: { containers: [] }, status: { phase: 'Pending' } };
    expect(podsToDelete([a, pending], [a, pending], 1, now).map((p) => p.metadata.name)).toEqual(['z']);
  });

  it('chooses the first pods of the full order with a bounded heap: the same pods, in the same order, as sorting them all', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 50 }), { maxLength: 300 }), fc.nat(300), (values, count) => {
        const items = values.map((v, i) => ({ v, i }));
        const compare = (a: { v: number; i: number }, b: { v: number; i: number }) => a.v - b.v || a.i - b.i;
        expect(smallest(items, count, compare)).toEqual([...items].sort(compare).slice(0, count));
      }),
    );
  });

  it('ranks thousands of candidates in steps, choosing the same pods in the same order whatever order they come in', () => {
    const pod = (i: number): KubeObject => ({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name: `p-${String(i).padStart(5, '0')}`,
        uid: `u-${(i * 7919) % 5003}`,
        resourceVersion: '1',
        generation: 1,
        // One creation and ready time for all: the logarithmic time comparison (uid on equal ranks, name on equal
        // times) is not transitive across both, upstream's neither, so only then is the order the same from any start.
        creationTimestamp: '2026-01-01T00:00:00Z',
        ...(i % 11 === 0 ? { annotations: { 'controller.kubernetes.io/pod-deletion-cost': String(i % 3) } } : {}),
      },
      spec: { nodeName: i % 17 === 0 ? '' : `n${i % 40}`, containers: [] },
      status: { phase: i % 17 === 0 ? 'Pending' : 'Running', conditions: [{ type: 'Ready', status: i % 5 === 0 ? 'False' : 'True', lastTransitionTime: '2026-01-01T00:30:00Z' }] },
    });
    const pods = Array.from({ length: 5_000 }, (_, i) => pod(i));
    const now = Date.UTC(2026, 0, 1, 1);
    const steps = podsToDeleteSteps(pods, pods, 500, now);
    let yields = 0;
    let step = steps.next();
    for (; !step.done; step = steps.next()) yields++;
    expect(yields).toBe(2); // 5,000 candidates, 2,000 a step
    const names = (list: KubeObject[]) => list.map((p) => p.metadata.name);
    expect(names(step.value)).toEqual(names(podsToDelete([...pods].reverse(), pods, 500, now)));
    // The first of 500 are the first of 100: one order, cut at any count.
    expect(names(step.value).slice(0, 100)).toEqual(names(podsToDelete(pods, pods, 100, now)));
    // Unscheduled pods (every 17th) go first.
    expect(step.value.slice(0, 295).every((p) => (p.spec as { nodeName: string }).nodeName === '')).toBe(true);
  });
});
