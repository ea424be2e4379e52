import { drain, runInSlices } from './slices';

function* counting(n: number, log: string[]): Generator<void, string> {
  for (let i = 0; i < n; i++) {
    log.push(`step ${i}`);
    yield;
  }
  return `counted ${n}`;
}

describe('drain and runInSlices', () => {
  it('drain runs every step at once', () => {
    const log: string[] = [];
    expect(drain(counting(3, log))).toBe('counted 3');
    expect(log).toEqual(['step 0', 'step 1', 'step 2']);
  });

  it('runInSlices gives the event loop a turn between two slices, the steps in the same order', async () => {
    const log: string[] = [];
    setImmediate(() => log.push('turn'));
    // A slice of 0 ms ends after every step.
    await expect(runInSlices(counting(3, log), 0)).resolves.toBe('counted 3');
    expect(log).toEqual(['step 0', 'turn', 'step 1', 'step 2']);
  });

  it('runInSlices runs a short piece of work in one slice', async () => {
    const log: string[] = [];
    setImmediate(() => log.push('turn'));
    await runInSlices(counting(3, log), 10_000);
    expect(log).toEqual(['step 0', 'step 1', 'step 2']);
  });
});
