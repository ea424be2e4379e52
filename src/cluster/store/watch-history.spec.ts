import { KubeObject, StoredEvent } from './types';
import { WatchHistory } from './watch-history';

function event(resourceVersion: number): StoredEvent {
  const object = { metadata: { name: `o${resourceVersion}`, resourceVersion: String(resourceVersion) } } as KubeObject;
  return { type: 'ADDED', object, resource: 'pods', resourceVersion };
}

function versions(history: WatchHistory, since = 0): number[] {
  return [...history.since(since)].map((e) => e.resourceVersion);
}

describe('WatchHistory', () => {
  it('keeps at most its event count, dropping the oldest', () => {
    const history = new WatchHistory({ events: 3, bytes: 1e9 });
    for (let v = 1; v <= 5; v++) history.push(event(v), 10);
    expect(versions(history)).toEqual([3, 4, 5]);
    expect(history.oldestVersion()).toBe(3);
    expect(history.size).toBe(30);
  });

  it('keeps at most its byte budget, dropping the oldest', () => {
    const history = new WatchHistory({ events: 100, bytes: 250 });
    for (let v = 1; v <= 5; v++) history.push(event(v), 100);
    expect(versions(history)).toEqual([4, 5]);
    expect(history.size).toBe(200);
  });

  it('always keeps the newest event, even one over the budget', () => {
    const history = new WatchHistory({ events: 100, bytes: 50 });
    history.push(event(1), 10);
    history.push(event(2), 500);
    expect(versions(history)).toEqual([2]);
  });

  it('answers the events after a version, across compactions', () => {
    const history = new WatchHistory({ events: 10, bytes: 1e9 });
    for (let v = 1; v <= 5000; v++) history.push(event(v), 1);
    expect(history.length).toBe(10);
    expect(versions(history, 4997)).toEqual([4998, 4999, 5000]);
  });
});
