import { InMemoryRecentStore, MapMatchState } from './recent-store';

describe('revisions of match state', () => {
  it('a recent store counts its own changes, not its reads nor its forks', () => {
    const store = new InMemoryRecentStore();
    store.touch('KUBE-SEP-A', 1, 1000, 10800);
    expect(store.revision).toBe(1);
    store.get('KUBE-SEP-A', 1);
    store.remove('KUBE-SEP-A', 2); // not there: nothing changes
    expect(store.revision).toBe(1);
    const fork = store.fork();
    fork.touch('KUBE-SEP-A', 2, 2000, 10800);
    fork.remove('KUBE-SEP-A', 1);
    expect(fork.revision).toBe(2);
    expect(store.revision).toBe(1);
    store.remove('KUBE-SEP-A', 1);
    expect(store.revision).toBe(2);
  });

  it('nth counters count their writes; a fork keeps its own', () => {
    const state = new MapMatchState();
    const rule = {};
    state.set(rule, 1);
    state.get(rule);
    const fork = state.fork();
    fork.set(rule, 2);
    expect([state.revision, fork.revision, state.get(rule), fork.get(rule)]).toEqual([1, 1, 1, 2]);
  });
});
