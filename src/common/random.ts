/**
 * Injected randomness. Every place that picks at random (ClusterIP and
 * NodePort start offsets, pod-name suffixes, sampled packet paths) takes a
 * `Random`, so tests and the REST API can make runs repeatable with a seed.
 */
export interface Random {
  /** A uniformly distributed integer in [0, maxExclusive). */
  int(maxExclusive: number): number;
  /** A uniformly distributed float in [0, 1). */
  float(): number;
}

/**
 * A small, fast, seedable generator (SplitMix32-style mixing over a 32-bit
 * state, as in "mulberry32"). Not cryptographic; it only needs to be
 * repeatable and well spread.
 */
export class SeededRandom implements Random {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  private next32(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }

  float(): number {
    return this.next32() / 4294967296;
  }

  int(maxExclusive: number): number {
    if (!Number.isInteger(maxExclusive) || maxExclusive <= 0) {
      throw new RangeError(`Random.int needs a positive integer bound, got ${maxExclusive}`);
    }
    return Math.floor(this.float() * maxExclusive);
  }
}

/** A generator seeded from the wall clock, for production use. */
export function unseededRandom(): Random {
  return new SeededRandom((Date.now() ^ (process.pid << 16)) >>> 0);
}

/**
 * A `Random` that draws from `base`, except inside `apart`, where it draws
 * from a source of its own: what is made there (an object the cluster
 * starts with) leaves `base`'s sequence, and so every name and uid drawn
 * after it, as it was.
 */
export class SetAsideRandom implements Random {
  private aside: Random | undefined;

  constructor(private readonly base: Random) {}

  int(maxExclusive: number): number {
    return (this.aside ?? this.base).int(maxExclusive);
  }

  float(): number {
    return (this.aside ?? this.base).float();
  }

  apart<T>(seed: number, f: () => T): T {
    const previous = this.aside;
    this.aside = new SeededRandom(seed);
    try {
      return f();
    } finally {
      this.aside = previous;
    }
  }
}
