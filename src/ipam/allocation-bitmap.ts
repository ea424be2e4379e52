import { Random } from '../common/random';

/**
 * The size of the lower "static" band of a range, as KEP-3070 (ClusterIPs:
 * divisor 16, cap 256, `size` = the whole CIDR including network and
 * broadcast) and KEP-3668 (NodePorts: divisor 32, cap 128, `size` = the port
 * count) define it: no band for ranges of 16 or fewer, otherwise
 * `size / divisor` (integer division) but at least 16 and at most `cap`.
 */
export function staticBandSize(size: number, divisor: number, cap: number): number {
  if (size <= 16) return 0;
  return Math.min(Math.max(16, Math.floor(size / divisor)), cap);
}

const FULL = 0xffffffff;

// Built-ins bound once: under Jest every global lookup (`Math.x`, `Number.x`)
// goes through the test context's global object and costs ~0.5 µs, which
// would dominate the hot scan loop.
const clz32 = Math.clz32;
const isInteger = Number.isInteger;

/** Index of the lowest set bit of a non-zero 32-bit value. */
function lowestBit(bits: number): number {
  return 31 - clz32(bits & -bits);
}

/**
 * One bit per offset in [0, max), as Kubernetes' `AllocationBitmap` keeps for
 * ClusterIPs and NodePorts, but in 32-bit words instead of a big integer.
 *
 * A second, 32 times smaller bitmap marks the words that are completely
 * full, so a scan skips 1,024 taken offsets per summary word it reads. Bits
 * past `max` in the last word are kept set, so they never look free.
 *
 * Dynamic allocation is Kubernetes' "random scan with offset": with a band
 * offset `o` > 0 it picks a random start in [o, max) and takes the first free
 * offset scanning forward and wrapping inside [o, max); only when that upper
 * band is full does it do the same inside [0, o). With `o` = 0 it is one
 * random-start scan over the whole range. The result is "first free after a
 * random point", not uniform over the free offsets, exactly as upstream.
 */
export class AllocationBitmap {
  readonly max: number;
  /** The band offset `o`: offsets below it are used dynamically only last. */
  readonly staticBand: number;
  private readonly words: Uint32Array;
  private readonly fullWords: Uint32Array;
  private allocated = 0;

  constructor(
    max: number,
    private readonly random: Random,
    staticBand = 0,
  ) {
    if (!Number.isInteger(max) || max < 0 || max > 2 ** 31) {
      throw new RangeError(`an allocation bitmap holds 0 to 2^31 offsets, not ${max}`);
    }
    if (!Number.isInteger(staticBand) || staticBand < 0) {
      throw new RangeError(`a static band is a whole number of offsets, not ${staticBand}`);
    }
    this.max = max;
    this.staticBand = Math.min(staticBand, max);
    const wordCount = Math.ceil(max / 32);
    this.words = new Uint32Array(wordCount);
    this.fullWords = new Uint32Array(Math.ceil(wordCount / 32));
    // Padding past `max` reads as taken, in the last word and in the summary.
    if (max % 32 !== 0) {
      this.words[wordCount - 1] = (FULL << (max % 32)) >>> 0;
    }
    if (wordCount % 32 !== 0) {
      this.fullWords[this.fullWords.length - 1] = (FULL << (wordCount % 32)) >>> 0;
    }
  }

  /** Number of offsets taken. */
  get count(): number {
    return this.allocated;
  }

  get free(): number {
    return this.max - this.allocated;
  }

  /** Bytes held by the bit arrays (the bitmap and its summary of full words). */
  get byteLength(): number {
    return this.words.byteLength + this.fullWords.byteLength;
  }

  has(offset: number): boolean {
    if (!this.isOffset(offset)) return false;
    return (this.words[offset >>> 5] & (1 << (offset & 31))) !== 0;
  }

  /**
   * Takes `offset`; false when it was already taken. An offset outside
   * [0, max) is a programming error (callers check their range first).
   */
  allocate(offset: number): boolean {
    if (!this.isOffset(offset)) {
      throw new RangeError(`offset ${offset} is outside the bitmap [0, ${this.max})`);
    }
    const w = offset >>> 5;
    const bit = 1 << (offset & 31);
    if ((this.words[w] & bit) !== 0) return false;
    this.words[w] |= bit;
    this.allocated++;
    if (this.words[w] === FULL) this.fullWords[w >>> 5] |= 1 << (w & 31);
    return true;
  }

  /** Frees `offset`; a no-op when it is free or outside the range. */
  release(offset: number): void {
    if (!this.isOffset(offset)) return;
    const w = offset >>> 5;
    const bit = 1 << (offset & 31);
    if ((this.words[w] & bit) === 0) return;
    this.words[w] &= ~bit;
    this.allocated--;
    this.fullWords[w >>> 5] &= ~(1 << (w & 31));
  }

  /** Takes a free offset by the random-scan-with-offset strategy; undefined when full. */
  allocateNext(): number | undefined {
    if (this.allocated >= this.max) return undefined;
    const band = this.staticBand;
    let offset = this.randomScan(band, this.max);
    if (offset < 0 && band > 0) offset = this.randomScan(0, band);
    if (offset < 0) return undefined;
    this.allocate(offset);
    return offset;
  }

  /**
   * The first free offset at or after `from`, wrapping once past the end;
   * undefined when the bitmap is full. Next-fit allocators (pod CIDRs,
   * host-local) build on this.
   */
  nextFree(from = 0): number | undefined {
    if (this.max === 0) return undefined;
    const start = this.isOffset(from) ? from : 0;
    let offset = this.firstFree(start, this.max);
    if (offset < 0) offset = this.firstFree(0, start);
    return offset < 0 ? undefined : offset;
  }

  /** Every taken offset, in increasing order. */
  *offsets(): IterableIterator<number> {
    for (let w = 0; w < this.words.length; w++) {
      let bits = this.words[w];
      if (w === this.words.length - 1 && this.max % 32 !== 0) bits &= ~(FULL << (this.max % 32));
      while (bits !== 0) {
        const b = lowestBit(bits);
        yield w * 32 + b;
        bits &= bits - 1;
      }
    }
  }

  private isOffset(offset: number): boolean {
    return isInteger(offset) && offset >= 0 && offset < this.max;
  }

  /** A random start in [lo, hi), then the first free offset with wrap inside [lo, hi); -1 if none. */
  private randomScan(lo: number, hi: number): number {
    if (hi <= lo) return -1;
    const start = lo + this.random.int(hi - lo);
    const found = this.firstFree(start, hi);
    return found >= 0 ? found : this.firstFree(lo, start);
  }

  /** The first free offset in [from, to), or -1. */
  private firstFree(from: number, to: number): number {
    if (from >= to) return -1;
    const lastWord = (to - 1) >>> 5;
    let w = from >>> 5;
    let bits = ~this.words[w] & (FULL << (from & 31));
    if (bits !== 0) return this.below(w * 32 + lowestBit(bits), to);
    w++;
    while (w <= lastWord) {
      const notFull = ~this.fullWords[w >>> 5] & (FULL << (w & 31));
      if (notFull === 0) {
        w = ((w >>> 5) + 1) * 32;
        continue;
      }
      w = (w & ~31) + lowestBit(notFull);
      if (w > lastWord) return -1;
      bits = ~this.words[w];
      return this.below(w * 32 + lowestBit(bits), to);
    }
    return -1;
  }

  private below(offset: number, to: number): number {
    return offset < to ? offset : -1;
  }
}
