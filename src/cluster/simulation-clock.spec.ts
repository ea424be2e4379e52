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
});
