import { DomainError } from '../common/domain-error';
import { Random } from '../common/random';
import { AllocationBitmap, staticBandSize } from './allocation-bitmap';
import { RangeStats } from './types';

const MAX_PORT = 65535;

/** A port range as `--service-node-port-range` takes it: `base-last`, `base+offset`, or one port. */
export interface PortRange {
  base: number;
  size: number;
}

const DIGITS = /^[0-9]{1,5}$/;

/** Parses `30000-32767`, `30000+2767` or `30000`; throws `INVALID` otherwise. */
export function parsePortRange(text: string): PortRange {
  const value = typeof text === 'string' ? text.trim() : '';
  const fail = (reason: string): never => {
    throw new DomainError('INVALID', `${reason}: ${text}`);
  };
  const hyphen = value.indexOf('-');
  const plus = value.indexOf('+');
  let low: string;
  let high: string | undefined;
  let offset: string | undefined;
  if (hyphen >= 0 && plus < 0) {
    low = value.slice(0, hyphen);
    high = value.slice(hyphen + 1);
  } else if (plus >= 0 && hyphen < 0) {
    low = value.slice(0, plus);
    offset = value.slice(plus + 1);
  } else if (plus < 0 && hyphen < 0) {
    low = value;
    high = value;
  } else {
    return fail('unable to parse port range');
  }
  const second = high ?? offset ?? '';
  if (!DIGITS.test(low) || !DIGITS.test(second)) return fail('unable to parse port range');
  const base = Number(low);
  const last = high !== undefined ? Number(high) : base + Number(offset);
  if (base > MAX_PORT || last > MAX_PORT) return fail(`the port range cannot be greater than ${MAX_PORT}`);
  if (last < base) return fail('end port cannot be less than start port');
  if (base < 1) return fail('the port range must start at port 1 or above');
  return { base, size: last - base + 1 };
}

export function formatPortRange(range: PortRange): string {
  return `${range.base}-${range.base + range.size - 1}`;
}

/**
 * Service NodePorts from `--service-node-port-range` (default 30000-32767),
 * as kube-apiserver's port allocator hands them out: the same bitmap as
 * ClusterIPs with offset = port - base, and a KEP-3668 static band of
 * min(max(16, size/32), 128) ports at the bottom (30000-30085 by default)
 * that dynamic allocation uses only once the rest is full.
 */
export class NodePortAllocator {
  private constructor(
    private readonly range: PortRange,
    private readonly bitmap: AllocationBitmap,
  ) {}

  static create(range: string, random: Random): NodePortAllocator {
    const parsed = parsePortRange(range);
    return new NodePortAllocator(parsed, new AllocationBitmap(parsed.size, random, staticBandSize(parsed.size, 32, 128)));
  }

  /** The range as `base-last`, e.g. `30000-32767`. */
  get portRange(): string {
    return formatPortRange(this.range);
  }

  get base(): number {
    return this.range.base;
  }

  get size(): number {
    return this.range.size;
  }

  /** Takes a requested port, which may lie anywhere in the range. */
  allocate(port: number): void {
    if (!Number.isInteger(port)) {
      throw new DomainError('INVALID', `invalid port ${String(port)}: must be a whole number`);
    }
    const offset = port - this.range.base;
    if (offset < 0 || offset >= this.range.size) {
      throw new DomainError(
        'PORT_NOT_IN_RANGE',
        `provided port is not in the valid range. The range of valid ports is ${this.portRange}`,
      );
    }
    if (!this.bitmap.allocate(offset)) {
      throw new DomainError('PORT_ALREADY_ALLOCATED', 'provided port is already allocated');
    }
  }

  /** Takes a free port: above the static band first, inside it only once the rest is full. */
  allocateNext(): number {
    const offset = this.bitmap.allocateNext();
    if (offset === undefined) throw new DomainError('RANGE_FULL', 'range is full');
    return this.range.base + offset;
  }

  /** Frees `port`; a no-op when it is free or outside the range. */
  release(port: number): void {
    this.bitmap.release(port - this.range.base);
  }

  has(port: number): boolean {
    return this.bitmap.has(port - this.range.base);
  }

  contains(port: number): boolean {
    return Number.isInteger(port) && port >= this.range.base && port < this.range.base + this.range.size;
  }

  /** Every allocated port, in increasing order. */
  allocated(): number[] {
    return [...this.bitmap.offsets()].map((offset) => this.range.base + offset);
  }

  stats(): RangeStats {
    const band = this.bitmap.staticBand;
    const base = this.range.base;
    return {
      kind: 'NodePort',
      range: this.portRange,
      size: this.bitmap.max,
      used: this.bitmap.count,
      free: this.bitmap.free,
      staticBand: band === 0 ? null : { first: String(base), last: String(base + band - 1), size: band },
    };
  }

  bitmapBytes(): number {
    return this.bitmap.byteLength;
  }
}
