import { SimulationClock } from './simulation-clock';

describe('SimulationClock', () => {
  it('runs due timers in time order, then in the order they were set, with now() at each timer', () => {
    const clock = new SimulationClock(0);
    const seen: string[] = [];
    clock.after(5000, 'b', () => seen.push(`b@${clock.now()}`));
    clock.after(1000, 'a', () => seen.push(`a@${clock.now()}`));
    clock.after(5000, 'c', () => seen.push(`c@${clock.now()}`));
    clock.every(2000, 'tick', () => seen.push(`tick@${clock.now()}`));
    expect(clock.advance(4000)).toBe(3);
    expect(seen).toEqual(['a@1000', 'tick@2000', 'tick@4000']);
    clock.advance(2000);
    expect(seen.slice(3)).toEqual(['b@5000', 'c@5000', 'tick@6000']);
    expect(clock.now()).toBe(6000);
  });

  it('runs timers that timers set, when they fall due in the same advance', () => {
    const clock = new SimulationClock(0);
    const seen: number[] = [];
    clock.after(1000, 'outer', () => clock.after(500, 'inner', () => seen.push(clock.now())));
    clock.advance(2000);
    expect(seen).toEqual([1500]);
  });

  it('cancels timers and refuses to go back', () => {
    const clock = new SimulationClock(0);
    let ran = false;
    const timer = clock.after(10, 'x', () => (ran = true));
    clock.cancel(timer);
    clock.advance(100);
    expect(ran).toBe(false);
    expect(() => clock.advance(-1)).toThrow(RangeError);
  });

  it('coalesces a quiet timer over a stretch where nothing else runs: one run, at its last due time', () => {
    const clock = new SimulationClock(0);
    const seen: string[] = [];
    clock.every(10_000, 'lease', () => seen.push(`lease@${clock.now()}`), { quiet: true });
    expect(clock.advance(30 * 86_400_000)).toBe(1);
    expect(seen).toEqual([`lease@${30 * 86_400_000}`]);
    expect(clock.pending()[0].at).toBe(30 * 86_400_000 + 10_000);
  });

  it('runs a quiet timer that fell due before any other timer runs, so that timer sees it up to date', () => {
    const clock = new SimulationClock(0);
    const seen: string[] = [];
    clock.every(10_000, 'lease', () => seen.push(`lease@${clock.now()}`), { quiet: true });
    clock.after(45_000, 'check', () => seen.push(`check@${clock.now()}`));
    clock.after(47_000, 'check again', () => seen.push(`check@${clock.now()}`));
    clock.advance(100_000);
    expect(seen).toEqual(['lease@40000', 'check@45000', 'check@47000', 'lease@100000']);
  });

  it('advances in slices that yield, reaching what one advance reaches; later advances wait their turn', async () => {
    const timeline = (clock: SimulationClock, seen: string[]) => {
      for (let i = 1; i <= 5; i++) clock.after(i * 1000, `t${i}`, () => seen.push(`t${i}@${clock.now()}`));
      clock.every(2500, 'quiet', () => seen.push(`q@${clock.now()}`), { quiet: true });
    };
    const once: string[] = [];
    const whole = new SimulationClock(0);
    timeline(whole, once);
    whole.advance(6000);
    whole.advance(1000);

    const sliced: string[] = [];
    const clock = new SimulationClock(0);
    timeline(clock, sliced);
    const between: number[] = [];
    const yieldTo = async () => {
      between.push(clock.now());
      await Promise.resolve();
    };
    const first = clock.advanceSliced(6000, { sliceMs: 0, yieldTo });
    const second = clock.advanceSliced(1000, { sliceMs: 0, yieldTo });
    expect(clock.busy).toBe(true);
    expect(() => clock.advance(1)).toThrow('the clock is already advancing');
    await Promise.all([first, second]);
    expect(sliced).toEqual(once);
    expect(clock.now()).toBe(7000);
    expect(clock.busy).toBe(false);
    // A slice ends after each timer here (sliceMs 0), with quiet timers brought up to date.
    expect(between).toEqual([1000, 2000, 3000, 4000, 5000]);
  });

  it('a sliced advance runs every timer due at its very target, however its slices fall', async () => {
    const clock = new SimulationClock(0);
    const seen: string[] = [];
    for (const name of ['a', 'b', 'c']) clock.after(10_000, name, () => seen.push(`${name}@${clock.now()}`));
    await clock.advanceSliced(10_000, { sliceMs: 0, yieldTo: async () => undefined });
    expect(seen).toEqual(['a@10000', 'b@10000', 'c@10000']);
    expect(clock.pending()).toEqual([]);
  });

  it('runs timers only once the gate holds: before an advance, and before each slice of a sliced one', async () => {
    const clock = new SimulationClock(0);
    const log: string[] = [];
    let ready = true;
    clock.gateTimers({
      ready: () => ready,
      settle: () => {
        log.push('settled at once');
        ready = true;
      },
      whenReady: async () => {
        await Promise.resolve();
        log.push('settled');
        ready = true;
      },
    });
    for (let i = 1; i <= 3; i++) clock.after(i * 1000, `t${i}`, () => log.push(`t${i}`));
    // A write between two slices leaves the cluster settling.
    const yieldTo = async () => {
      ready = false;
      await Promise.resolve();
    };
    await clock.advanceSliced(2000, { sliceMs: 0, yieldTo });
    expect(log).toEqual(['t1', 'settled', 't2']);
    ready = false;
    clock.advance(1000);
    expect(log).toEqual(['t1', 'settled', 't2', 'settled at once', 't3']);
  });

  it('reports a timer that throws, retries it with a doubling delay, and goes on to the end of the advance', async () => {
    const clock = new SimulationClock(0);
    const faults: string[] = [];
    clock.onFault((source, e) => faults.push(`${source}@${clock.now()}: ${(e as Error).message}`));
    let attempts = 0;
    const flaky = clock.after(1000, 'flaky', () => {
      if (++attempts < 4) throw new Error(`attempt ${attempts}`);
    });
    const ran: number[] = [];
    clock.after(1500, 'next', () => ran.push(clock.now()));
    await clock.advanceSliced(60_000);
    expect(clock.now()).toBe(60_000);
    expect(ran).toEqual([1500]);
    // Retried 1 s, 2 s and 4 s after each failure; the fourth run succeeds and it is not run again.
    expect(faults).toEqual(['clock timer "flaky"@1000: attempt 1', 'clock timer "flaky"@2000: attempt 2', 'clock timer "flaky"@4000: attempt 3']);
    expect(attempts).toBe(4);
    expect(clock.nextRun(flaky)).toBeUndefined();
  });

  it('keeps its id across retries, so a failing timer can still be cancelled', () => {
    const clock = new SimulationClock(0);
    clock.onFault(() => undefined);
    let attempts = 0;
    const timer = clock.after(1000, 'broken', () => {
      attempts++;
      throw new Error('boom');
    });
    clock.advance(1000);
    expect(clock.nextRun(timer)).toBe(2000);
    clock.cancel(timer);
    clock.advance(10_000);
    expect(attempts).toBe(1);
  });

  it('ends a slice when a timer leaves the cluster settling, and runs the next timer only once it settled', async () => {
    const clock = new SimulationClock(0);
    const log: string[] = [];
    let ready = true;
    let release: () => void = () => undefined;
    clock.gateTimers({
      ready: () => ready,
      settle: () => {
        ready = true;
      },
      whenReady: () =>
        new Promise<void>((resolve) => {
          release = () => {
            log.push('settled');
            ready = true;
            resolve();
          };
        }),
    });
    clock.after(1000, 'evict', () => {
      log.push(`evict, running at once: ${clock.runningAtOnce}`);
      ready = false; // its write started a long settle
    });
    clock.after(1000, 'next', () => log.push('next'));
    const done = clock.advanceSliced(2000, { sliceMs: 1_000_000 });
    for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
    expect(log).toEqual(['evict, running at once: false']);
    release();
    await done;
    expect(log).toEqual(['evict, running at once: false', 'settled', 'next']);
  });

  describe('following the wall clock', () => {
    beforeEach(() => jest.useFakeTimers({ now: Date.UTC(2026, 0, 1) }));
    afterEach(() => jest.useRealTimers());

    it('reports a timer that throws instead of crashing, and goes on from there without losing time', async () => {
      const clock = new SimulationClock(0);
      const faults: string[] = [];
      clock.onFault((source, e) => faults.push(`${source}: ${(e as Error).message}`));
      clock.startRealTime(100);
      const start = clock.now();
      const ran: number[] = [];
      clock.after(50, 'broken', () => {
        throw new Error('boom');
      });
      clock.after(70, 'fine', () => ran.push(clock.now() - start));
      await jest.advanceTimersByTimeAsync(100);
      expect(faults).toEqual(['clock timer "broken": boom']);
      await jest.advanceTimersByTimeAsync(100);
      clock.stopRealTime();
      expect(ran).toEqual([70]);
      expect(clock.now() - start).toBe(200);
    });

    it('skips a tick while the gate does not hold, and catches up on the next', async () => {
      const clock = new SimulationClock(0);
      let ready = false;
      clock.gateTimers({ ready: () => ready, settle: () => undefined, whenReady: async () => undefined });
      clock.startRealTime(100);
      const start = clock.now();
      const ran: number[] = [];
      clock.after(50, 't', () => ran.push(clock.now() - start));
      await jest.advanceTimersByTimeAsync(100);
      expect(ran).toEqual([]);
      expect(clock.now()).toBe(start);
      ready = true;
      await jest.advanceTimersByTimeAsync(100);
      clock.stopRealTime();
      expect(ran).toEqual([50]);
      expect(clock.now() - start).toBe(200);
    });
  });
});
