import { ManualClock } from '../../common/clock';
import { SeededRandom } from '../../common/random';
import { ObjectStore } from '../store/object-store';
import { Budget, Controller, ControllerManager, SteppedBatch, Steps } from './controller-manager';

/** A controller with `units` of work, doing one a round and noting the order it ran in. */
function counter(name: string, units: number, log: string[]): Controller & { left: number } {
  return {
    name,
    left: units,
    observe: () => undefined,
    reconcile() {
      if (this.left === 0) return false;
      this.left--;
      log.push(name);
      return true;
    },
  };
}

describe('ControllerManager', () => {
  it('settles at once by default', () => {
    const manager = new ControllerManager(new ObjectStore(new ManualClock(), new SeededRandom(1)));
    const log: string[] = [];
    manager.add(counter('a', 3, log));
    manager.add(counter('b', 2, log));
    manager.settle();
    expect(log).toEqual(['a', 'b', 'a', 'b', 'a']);
  });

  it('settles in slices that leave the event loop free, in the same order, and idle() resolves when done', async () => {
    const manager = new ControllerManager(new ObjectStore(new ManualClock(), new SeededRandom(1)));
    const log: string[] = [];
    const a = counter('a', 3, log);
    manager.add(a);
    manager.add(counter('b', 2, log));
    manager.settleInSlices({ sliceMs: 0 }); // every reconcile ends a slice
    manager.settle();
    expect(log).toEqual(['a']);
    let turns = 0;
    const tick = setInterval(() => turns++, 0);
    await manager.idle();
    clearInterval(tick);
    expect(log).toEqual(['a', 'b', 'a', 'b', 'a']);
    expect(a.left).toBe(0);
    await manager.idle(); // nothing under way: at once
  });

  it('finishes at once while told it must (a clock advance running its timers)', () => {
    const manager = new ControllerManager(new ObjectStore(new ManualClock(), new SeededRandom(1)));
    const log: string[] = [];
    manager.add(counter('a', 3, log));
    manager.settleInSlices({ sliceMs: 0, mustFinish: () => true });
    manager.settle();
    expect(log).toEqual(['a', 'a', 'a']);
  });

  it('tells `timed` of every reconcile while sliced, by controller name', async () => {
    const manager = new ControllerManager(new ObjectStore(new ManualClock(), new SeededRandom(1)));
    const log: string[] = [];
    manager.add(counter('a', 2, log));
    manager.add(counter('b', 1, log));
    const timed: string[] = [];
    manager.settleInSlices({ sliceMs: 0, timed: (name) => timed.push(name) });
    manager.settle();
    await manager.idle();
    // Two working rounds and the idle one that ends settling.
    expect(timed).toEqual(['a', 'b', 'a', 'b', 'a', 'b']);
  });

  it('counts rounds across slices: a controller that never settles ends in a reported SettleLimitError, not an endless settle', async () => {
    const manager = new ControllerManager(new ObjectStore(new ManualClock(), new SeededRandom(1)), 5);
    const faults: string[] = [];
    manager.onFault((source, e) => faults.push(`${source}: ${(e as Error).message}`));
    const log: string[] = [];
    const endless = counter('endless', Infinity, log);
    manager.add(endless);
    manager.settleInSlices({ sliceMs: 0 });
    manager.settle();
    await manager.idle();
    expect(log).toHaveLength(5);
    expect(faults).toEqual(['controllers: controllers did not settle after 5 rounds']);
    // The next settle starts afresh.
    manager.settle();
    await manager.idle();
    expect(log).toHaveLength(10);
  });

  it('finishes a sliced settle under way at once when asked (before a synchronous clock advance)', () => {
    const manager = new ControllerManager(new ObjectStore(new ManualClock(), new SeededRandom(1)));
    const log: string[] = [];
    manager.add(counter('a', 3, log));
    manager.settleInSlices({ sliceMs: 0 });
    manager.settle();
    expect(manager.isIdle).toBe(false);
    manager.finish();
    expect(manager.isIdle).toBe(true);
    expect(log).toEqual(['a', 'a', 'a']);
  });

  it('reports a controller that throws and goes on with the others, as a failed sync is logged upstream', () => {
    const manager = new ControllerManager(new ObjectStore(new ManualClock(), new SeededRandom(1)));
    const faults: string[] = [];
    manager.onFault((source, e) => faults.push(`${source}: ${(e as Error).message}`));
    const log: string[] = [];
    manager.add({
      name: 'broken',
      observe: () => undefined,
      reconcile: () => {
        throw new TypeError('cannot read x');
      },
    });
    manager.add(counter('b', 2, log));
    manager.settle();
    expect(log).toEqual(['b', 'b']);
    expect(faults).toEqual(['controller broken: cannot read x', 'controller broken: cannot read x', 'controller broken: cannot read x']);
  });

  /** A controller with a batch of `items`, one per step, noting each. */
  function stepped(name: string, items: number, log: string[]): Controller {
    const batch = new SteppedBatch();
    let left = items;
    return {
      name,
      observe: () => undefined,
      reconcile(budget?: Budget) {
        return batch.run(budget ?? { spent: () => false }, () => {
          if (left === 0) return undefined;
          const take = left;
          left = 0;
          return (function* (): Steps {
            for (let i = 0; i < take; i++) {
              log.push(`${name}${i}`);
              yield;
            }
          })();
        });
      },
      unfinished: () => batch.unfinished,
    };
  }

  it('cuts a batch between two steps when a slice is spent, and goes on with it before the next controller', async () => {
    const run = async (sliced: boolean) => {
      const manager = new ControllerManager(new ObjectStore(new ManualClock(), new SeededRandom(1)));
      const log: string[] = [];
      manager.add(stepped('a', 3, log));
      manager.add(counter('b', 1, log));
      const slices: number[] = [];
      if (sliced) manager.settleInSlices({ sliceMs: 0, timed: () => slices.push(log.length) });
      manager.settle();
      await manager.idle();
      return { log, slices };
    };
    const atOnce = await run(false);
    const inSlices = await run(true);
    expect(inSlices.log).toEqual(atOnce.log);
    expect(atOnce.log).toEqual(['a0', 'a1', 'a2', 'b']);
    // One step per slice (sliceMs 0): a's batch took three reconciles, and a fourth to find it done; then b.
    expect(inSlices.slices.slice(0, 5)).toEqual([1, 2, 3, 3, 4]);
  });
});
