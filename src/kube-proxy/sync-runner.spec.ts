import { ManualClock } from '../common/clock';
import { SyncRunner } from './sync-runner';

describe('SyncRunner', () => {
  it('runs a first request at once, then no sooner than minInterval, and at least every maxInterval', () => {
    const clock = new ManualClock(0);
    const runner = new SyncRunner(clock, 1000, 30_000, 3_600_000);
    expect(runner.nextRunAt()).toBeUndefined();
    runner.request();
    expect(runner.due()).toBe(true);
    runner.ran(0, true);
    expect(runner.nextRunAt()).toBe(3_600_000);
    clock.advance(200);
    runner.request();
    runner.request();
    expect(runner.nextRunAt()).toBe(1000);
    expect(runner.due()).toBe(false);
    clock.advance(800);
    expect(runner.due()).toBe(true);
    runner.ran(1000, true);
    expect(runner.isPending).toBe(false);
  });

  it('retries a failed run after retryInterval', () => {
    const clock = new ManualClock(0);
    const runner = new SyncRunner(clock, 1000, 30_000, 3_600_000);
    runner.request();
    runner.ran(0, false);
    expect(runner.nextRunAt()).toBe(30_000);
    runner.request();
    expect(runner.nextRunAt()).toBe(1000);
  });
});
