import { followCurrent } from './follow-current';

class Counter {
  count = 0;
  constructor(readonly name: string) {}
  increment(): number {
    return ++this.count;
  }
}

describe('followCurrent', () => {
  it('reads, calls and writes whatever object is current at the time', () => {
    let current = new Counter('first');
    const first = current;
    const stand = followCurrent(() => current);
    expect(stand.increment()).toBe(1);
    expect(stand.name).toBe('first');
    current = new Counter('second');
    expect(stand.name).toBe('second');
    expect(stand.increment()).toBe(1);
    stand.count = 7;
    expect(current.count).toBe(7);
    expect(first.count).toBe(1);
    expect('increment' in stand).toBe(true);
    expect(stand instanceof Counter).toBe(true);
  });

  it('runs a method taken off it with the current object as this', () => {
    let current = new Counter('a');
    const stand = followCurrent(() => current);
    const increment = stand.increment;
    current = new Counter('b');
    // The method was bound when it was read: it counts on the object current then.
    increment();
    expect(current.count).toBe(0);
    expect(stand.increment()).toBe(1);
  });

  it('hands back a function set on the current object itself as it is (a spy stays the spy)', () => {
    const current = new Counter('a');
    const stand = followCurrent(() => current);
    const spy = jest.spyOn(stand, 'increment');
    expect(stand.increment).toBe(spy);
    stand.increment();
    expect(spy).toHaveBeenCalledTimes(1);
    expect(current.count).toBe(1);
  });
});
