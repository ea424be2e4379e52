import { heldMs, LoopWatch } from './support/oracle';

/** The fuzz suite's `/healthz` property is only as good as its watch: these say what it counts. */
describe('LoopWatch: what counts as holding the event loop', () => {
  it('takes the garbage collector’s pauses inside a block out of it, and only those', () => {
    const block = { start: 1000, end: 1400, cpuMs: 400 };
    expect(heldMs(block, [])).toBe(400);
    expect(heldMs(block, [{ start: 1100, end: 1300 }])).toBe(200);
    // A pause that began before the block or ran past it counts only where they overlap.
    expect(heldMs(block, [{ start: 900, end: 1050 }, { start: 1350, end: 1500 }])).toBe(300);
    expect(heldMs(block, [{ start: 500, end: 900 }, { start: 1400, end: 1600 }])).toBe(400);
  });

  it('counts a request that burns 400 ms of CPU without yielding', async () => {
    const watch = new LoopWatch(250);
    try {
      watch.start();
      await new Promise((resolve) => setTimeout(resolve, 30));
      // Busy on the loop until this process has used 400 ms of CPU (not wall time: a loaded machine stretches wall time, not this).
      const from = process.cpuUsage();
      for (let used = 0; used < 400_000; ) {
        const d = process.cpuUsage(from);
        used = d.user + d.system;
      }
      expect(await watch.stop()).toBeGreaterThan(250);
    } finally {
      watch.close();
    }
  });

  it('does not count a request that waits 400 ms on timers, the loop free', async () => {
    const watch = new LoopWatch(250);
    try {
      watch.start();
      for (let i = 0; i < 40; i++) await new Promise((resolve) => setTimeout(resolve, 10));
      expect(await watch.stop()).toBeUndefined();
    } finally {
      watch.close();
    }
  });
});
