import { microTime } from '../../common/clock';
import { KUBE_CONTROLLER_MANAGER_ELECTION, LeaderElector, LeaseLock, LeaseRecord, WallTimer } from './leader-elector';

/** Wall time that moves only when told; sleepers wake in time order. */
class FakeWall implements WallTimer {
  private current = Date.UTC(2026, 11, 7, 20, 0, 0);
  private sleepers: Array<{ at: number; seq: number; wake: () => void }> = [];
  private seq = 0;
  now(): number {
    return this.current;
  }
  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.sleepers.push({ at: this.current + ms, seq: this.seq++, wake: resolve }));
  }
  /** Moves time forward by `ms`, waking each sleeper at its time and letting what it started run. */
  async advance(ms: number): Promise<void> {
    const target = this.current + ms;
    await flush();
    for (;;) {
      this.sleepers.sort((a, b) => a.at - b.at || a.seq - b.seq);
      const next = this.sleepers[0];
      if (!next || next.at > target) break;
      this.sleepers.shift();
      this.current = Math.max(this.current, next.at);
      next.wake();
      await flush();
    }
    this.current = target;
  }
}

const flush = async () => {
  for (let i = 0; i < 20; i++) await Promise.resolve();
};

/** The Lease in memory, with resourceVersions and optimistic updates, and switches to make it fail. */
class MemoryLock implements LeaseLock {
  record: LeaseRecord | undefined;
  version = 0;
  writes: LeaseRecord[] = [];
  failing = false;
  /** While set, calls never answer (an etcd that does not). */
  hanging = false;
  private hang<T>(value: T): Promise<T> {
    if (this.hanging) return new Promise(() => undefined);
    if (this.failing) return Promise.reject(new Error('etcd unavailable'));
    return Promise.resolve(value);
  }
  get() {
    return this.hang(this.record ? { record: { ...this.record }, resourceVersion: String(this.version) } : undefined);
  }
  create(record: LeaseRecord) {
    return this.hang(undefined).then(() => {
      if (this.record) return false;
      this.set(record);
      return true;
    });
  }
  update(record: LeaseRecord, resourceVersion: string) {
    return this.hang(undefined).then(() => {
      if (resourceVersion !== String(this.version)) return false;
      this.set(record);
      return true;
    });
  }
  private set(record: LeaseRecord) {
    this.record = { ...record };
    this.version++;
    this.writes.push({ ...record });
  }
}

function candidate(lock: LeaseLock, wall: FakeWall, identity: string, log: string[], random = () => 0) {
  const elector = new LeaderElector(
    lock,
    { identity, ...KUBE_CONTROLLER_MANAGER_ELECTION },
    {
      onStartedLeading: () => log.push(`${identity} started`),
      onStoppedLeading: () => log.push(`${identity} stopped`),
      onNewLeader: (who) => log.push(`${identity} sees ${who}`),
    },
    wall,
    random,
  );
  const done = elector.run();
  return { elector, done };
}

describe('LeaderElector (client-go leaderelection semantics, on a fake wall clock)', () => {
  it('acquires a Lease that does not exist, with kube-controller-manager durations and MicroTimes', async () => {
    const wall = new FakeWall();
    const lock = new MemoryLock();
    const log: string[] = [];
    const a = candidate(lock, wall, 'host-a_1111', log);
    await wall.advance(0);
    expect(a.elector.isLeader).toBe(true);
    expect(log).toEqual(['host-a_1111 sees host-a_1111', 'host-a_1111 started']);
    expect(lock.record).toEqual({
      holderIdentity: 'host-a_1111',
      leaseDurationSeconds: 15,
      acquireTime: '2026-12-07T20:00:00.000000Z',
      renewTime: '2026-12-07T20:00:00.000000Z',
      leaseTransitions: 0,
    });
    a.elector.stop();
  });

  it('renews every retry period, keeping acquireTime and leaseTransitions', async () => {
    const wall = new FakeWall();
    const lock = new MemoryLock();
    const a = candidate(lock, wall, 'a', []);
    await wall.advance(0);
    await wall.advance(2000);
    await wall.advance(2000);
    expect(lock.writes.map((w) => w.renewTime)).toEqual([microTime(wall.now() - 4000), microTime(wall.now() - 2000), microTime(wall.now())]);
    expect(lock.record).toMatchObject({ acquireTime: microTime(wall.now() - 4000), leaseTransitions: 0, holderIdentity: 'a' });
    a.elector.stop();
  });

  it('a second candidate waits while the holder renews, and never writes', async () => {
    const wall = new FakeWall();
    const lock = new MemoryLock();
    const log: string[] = [];
    const a = candidate(lock, wall, 'a', log);
    await wall.advance(0);
    const b = candidate(lock, wall, 'b', log);
    for (let i = 0; i < 30; i++) await wall.advance(1000);
    expect(b.elector.isLeader).toBe(false);
    expect(b.elector.leader).toBe('a');
    expect(lock.writes.every((w) => w.holderIdentity === 'a')).toBe(true);
    expect(log).toContain('b sees a');
    a.elector.stop();
    b.elector.stop();
  });

  it('takes over once the record has not changed for the lease duration on its own clock, counting the transition', async () => {
    const wall = new FakeWall();
    const lock = new MemoryLock();
    const log: string[] = [];
    const a = candidate(lock, wall, 'a', log);
    await wall.advance(0);
    const b = candidate(lock, wall, 'b', log); // observes a's record at t=0
    await wall.advance(0);
    a.elector.stop(); // a dies: its last renewal was at t=0
    const died = wall.now();
    for (let i = 0; i < 40 && !b.elector.isLeader; i++) await wall.advance(500);
    const tookOver = Date.parse(lock.record!.acquireTime!);
    // Not before the lease duration, and within one retry period (jitter off) after it.
    expect(tookOver - died).toBeGreaterThanOrEqual(15_000);
    expect(tookOver - died).toBeLessThanOrEqual(15_000 + 2000);
    expect(lock.record).toMatchObject({ holderIdentity: 'b', leaseTransitions: 1, acquireTime: microTime(tookOver) });
    expect(log).toContain('b started');
    b.elector.stop();
  });

  it('with the time it saw the last renewal (a watch), takes over the moment the lease expires, not at its next retry', async () => {
    const wall = new FakeWall();
    const lock = new MemoryLock();
    const log: string[] = [];
    const a = candidate(lock, wall, 'a', log);
    await wall.advance(0);
    // b learns of each of a's renewals as it is written (what an etcd watch gives), with the jitter at its largest.
    let seenAt = new Map<string, number>();
    let lastVersion = lock.version;
    const get = lock.get.bind(lock);
    lock.get = async () => {
      const current = await get();
      return current && { ...current, observedAt: seenAt.get(current.resourceVersion) };
    };
    const b = candidate(lock, wall, 'b', log, () => 0.999);
    let died = 0;
    for (let t = 0; t < 40_000 && !b.elector.isLeader; t += 100) {
      if (lock.version !== lastVersion) {
        lastVersion = lock.version;
        seenAt = new Map([[String(lock.version), wall.now()]]);
      }
      if (t === 5000) {
        a.elector.stop(); // dies after its renewal at t = 4 s
        died = wall.now();
      }
      await wall.advance(100);
    }
    const lastRenewal = Date.parse(lock.writes.filter((w) => w.holderIdentity === 'a').pop()!.renewTime!);
    const tookOver = Date.parse(lock.record!.acquireTime!);
    expect(tookOver - lastRenewal).toBeGreaterThanOrEqual(15_000);
    expect(tookOver - lastRenewal).toBeLessThanOrEqual(15_000 + 100);
    expect(tookOver - died).toBeLessThan(15_000);
  });

  it('a read that answers late with a newer version counts from the answer, not from when it was asked', async () => {
    for (const killAt of [4100, 5000, 5900]) {
      const wall = new FakeWall();
      const lock = new MemoryLock();
      const a = candidate(lock, wall, 'a', []);
      await wall.advance(0);
      // b's reads take 1.9 s (a busy process): most of them span one of a's renewals.
      const get = lock.get.bind(lock);
      const slow = { ...lock, get: async () => (await wall.sleep(1900), get()), create: lock.create.bind(lock), update: lock.update.bind(lock) };
      const b = candidate(slow as LeaseLock, wall, 'b', []);
      for (let t = 0; t < 40_000 && !b.elector.isLeader; t += 100) {
        if (t === killAt) a.elector.stop();
        await wall.advance(100);
      }
      const lastRenewal = Date.parse(lock.writes.filter((w) => w.holderIdentity === 'a').pop()!.renewTime!);
      expect(Date.parse(lock.record!.acquireTime!) - lastRenewal).toBeGreaterThanOrEqual(15_000);
    }
  });

  it('a holder that cannot renew within the renew deadline stops leading, before another may take over', async () => {
    const wall = new FakeWall();
    const lock = new MemoryLock();
    const log: string[] = [];
    const a = candidate(lock, wall, 'a', log);
    await wall.advance(0);
    lock.failing = true; // etcd refuses from now on
    const lastRenew = wall.now();
    for (let i = 0; i < 14; i++) await wall.advance(1000);
    await a.done;
    expect(log).toEqual(['a sees a', 'a started', 'a stopped']);
    // Gave up within retryPeriod + renewDeadline of its last renewal: before the lease (15 s) expires for others.
    expect(a.elector.isLeader).toBe(false);
    expect(wall.now() - lastRenew).toBeLessThan(15_000);
  });

  it('a lock call that never answers counts as a failed renewal at the deadline', async () => {
    const wall = new FakeWall();
    const lock = new MemoryLock();
    const log: string[] = [];
    const a = candidate(lock, wall, 'a', log);
    await wall.advance(0);
    lock.hanging = true;
    await wall.advance(2000 + 10_000);
    await a.done;
    expect(log[log.length - 1]).toBe('a stopped');
  });

  it('a holder whose Lease was taken stops at its next renewal', async () => {
    const wall = new FakeWall();
    const lock = new MemoryLock();
    const log: string[] = [];
    const a = candidate(lock, wall, 'a', log);
    await wall.advance(0);
    lock.record = { ...lock.record, holderIdentity: 'intruder', leaseTransitions: 1 };
    lock.version++;
    await wall.advance(2000);
    await a.done;
    expect(log).toEqual(['a sees a', 'a started', 'a sees intruder', 'a stopped']);
  });

  it('a write that conflicts (another writer in between) is not leadership', async () => {
    const wall = new FakeWall();
    const lock = new MemoryLock();
    lock.record = { holderIdentity: 'old', leaseDurationSeconds: 15, leaseTransitions: 3 };
    lock.version = 7;
    const elector = new LeaderElector(lock, { identity: 'b', ...KUBE_CONTROLLER_MANAGER_ELECTION }, {}, wall);
    expect(await elector.tryAcquireOrRenew()).toBe(false); // first sight: not expired yet
    await wall.advance(16_000);
    const update = lock.update.bind(lock);
    lock.update = (record, version) => {
      lock.version++; // someone else wrote first
      return update(record, version);
    };
    expect(await elector.tryAcquireOrRenew()).toBe(false);
    expect(lock.record.holderIdentity).toBe('old');
  });

  it('never two leaders: candidates on one Lease, dying and coming back at random, on fake time', async () => {
    // A seeded interleaving: three candidates, each killed (stopped) at random and replaced by a new one.
    let seed = 20261207;
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const wall = new FakeWall();
    const lock = new MemoryLock();
    const log: string[] = [];
    let generation = 0;
    let candidates = [0, 1, 2].map((i) => candidate(lock, wall, `c${i}-${generation}`, log, random));
    let maxLeaders = 0;
    let leaderships = 0;
    for (let step = 0; step < 600; step++) {
      await wall.advance(Math.floor(random() * 1500));
      const leaders = candidates.filter((c) => c.elector.isLeader);
      maxLeaders = Math.max(maxLeaders, leaders.length);
      if (random() < 0.02) {
        // Kill one (the leader, half of the time) and start a new one in its place.
        const victim = leaders.length > 0 && random() < 0.5 ? leaders[0] : candidates[Math.floor(random() * candidates.length)];
        victim.elector.stop();
        generation++;
        candidates = candidates.map((c) => (c === victim ? candidate(lock, wall, `n${generation}`, log, random) : c));
      }
      if (random() < 0.01) lock.failing = !lock.failing; // etcd goes away and comes back
    }
    leaderships = log.filter((l) => l.endsWith(' started')).length;
    expect(maxLeaders).toBeLessThanOrEqual(1);
    expect(leaderships).toBeGreaterThan(3); // the interleaving did hand the Lease over
    for (const c of candidates) c.elector.stop();
  });
});
