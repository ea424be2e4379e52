import { KubeObject } from '../store/types';
import { availableAt, canonicalJson, computeHash, fnv32a, isPodActive, isPodAvailable, safeEncodeString, scaledValue, WakeUps } from './pod-template';

const bytes = (text: string) => new TextEncoder().encode(text);

function pod(status: Record<string, unknown>, deletionTimestamp?: string): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'p', uid: 'u', resourceVersion: '1', generation: 1, creationTimestamp: '2026-01-01T00:00:00Z', ...(deletionTimestamp ? { deletionTimestamp } : {}) },
    spec: { containers: [] },
    status,
  };
}

describe('pod-template helpers', () => {
  it('computes FNV-1a 32 as its reference vectors', () => {
    expect(fnv32a(bytes(''))).toBe(0x811c9dc5);
    expect(fnv32a(bytes('a'))).toBe(0xe40c292c);
    expect(fnv32a(bytes('foobar'))).toBe(0xbf9cf968);
  });

  it('safe-encodes as rand.SafeEncodeString: digits become 4-9 and b, c, d, f', () => {
    expect(safeEncodeString('0123456789')).toBe('456789bcdf');
  });

  it('hashes templates by content, whatever the key order, and folds in the collision count', () => {
    const a = { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'nginx' }] } };
    const b = { spec: { containers: [{ image: 'nginx', name: 'c' }] }, metadata: { labels: { app: 'web' } } };
    expect(canonicalJson(a)).toBe('{"metadata":{"labels":{"app":"web"}},"spec":{"containers":[{"image":"nginx","name":"c"}]}}');
    expect(computeHash(a)).toBe(computeHash(b));
    expect(computeHash(a)).toMatch(/^[456789bcdf]{1,10}$/);
    expect(computeHash(a, 1)).not.toBe(computeHash(a));
    expect(computeHash(a, 0)).not.toBe(computeHash(a));
  });

  it('scales int-or-percent values as upstream rounds them', () => {
    expect(scaledValue('25%', 10, true)).toBe(3);
    expect(scaledValue('25%', 10, false)).toBe(2);
    expect(scaledValue(2, 10, true)).toBe(2);
    expect(scaledValue('0%', 10, true)).toBe(0);
  });

  it('tells active and available pods apart', () => {
    const ready = { phase: 'Running', conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: '2026-01-01T00:00:00Z' }] };
    expect(isPodActive(pod(ready))).toBe(true);
    expect(isPodActive(pod(ready, '2026-01-01T00:00:30Z'))).toBe(false);
    expect(isPodActive(pod({ phase: 'Succeeded' }))).toBe(false);
    const t0 = Date.UTC(2026, 0, 1);
    expect(isPodAvailable(pod(ready), 0, t0)).toBe(true);
    expect(isPodAvailable(pod(ready), 10, t0 + 10_000)).toBe(false);
    expect(isPodAvailable(pod(ready), 10, t0 + 11_000)).toBe(true);
    expect(availableAt(pod(ready), 10)).toBe(t0 + 11_000);
  });

  it('keeps only future wake-ups, the earliest per key', () => {
    const asked: number[] = [];
    const w = new WakeUps((at) => asked.push(at));
    w.at('a', 50, 100); // past: ignored
    w.at('a', 300, 100);
    w.at('a', 200, 100);
    w.at('b', 400, 100);
    expect(asked).toEqual([300, 200, 400]);
    expect(w.take(199)).toEqual([]);
    expect(w.take(250)).toEqual(['a']);
    expect(w.take(1000)).toEqual(['b']);
    expect(w.size).toBe(0);
  });
});
