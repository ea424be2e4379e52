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

  describe('following the wall clock', () => {
    beforeEach(() => jest.useFakeTimers({ now: Date.UTC(2026, 0, 1) }));
    afterEach(() => jest.useRealTimers());

    it('reports a timer that throws instead of crashing, and goes on from there without losing time', () => {
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
      jest.advanceTimersByTime(100);
      expect(faults).toEqual(['clock tick: boom']);
      jest.advanceTimersByTime(100);
      clock.stopRealTime();
      expect(ran).toEqual([70]);
      expect(clock.now() - start).toBe(200);
    });

    it('skips a tick while the gate does not hold, and catches up on the next', () => {
      const clock = new SimulationClock(0);
      let ready = false;
      clock.gateTimers({ ready: () => ready, settle: () => undefined, whenReady: async () => undefined });
      clock.startRealTime(100);
      const start = clock.now();
      const ran: number[] = [];
      clock.after(50, 't', () => ran.push(clock.now() - start));
      jest.advanceTimersByTime(100);
      expect(ran).toEqual([]);
      expect(clock.now()).toBe(start);
      ready = true;
      jest.advanceTimersByTime(100);
      clock.stopRealTime();
      expect(ran).toEqual([50]);
      expect(clock.now() - start).toBe(200);
    });
  });
});
