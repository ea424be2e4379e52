import { DomainError } from '../common/domain-error';
import { formatIPv4Cidr, IPv4Cidr, prefixMask } from '../common/ipv4';
import { SeededRandom } from '../common/random';
import { AllocationBitmap } from './allocation-bitmap';
import { formatCidr, parseCidr } from './ip-address';
import { RangeStats } from './types';

/**
 * The emulator keeps one bit per node block; 2^24 blocks (2 MiB) is the most
 * it agrees to hold. Upstream has no such limit for IPv4 (it limits IPv6 to
 * 16 bits), but a /8 cut into /32s is far beyond any real cluster.
 */
const MAX_BLOCK_BITS = 24;

/**
 * Node pod CIDRs, as kube-controller-manager's node IPAM (RangeAllocator over
 * a `cidrset`) assigns them from `--cluster-cidr` in `--node-cidr-mask-size`
 * blocks. IPv4 only.
 *
 * Next-fit: the search starts at the block after the last one handed out and
 * wraps, so a fresh allocator gives 10.244.0.0/24, 10.244.1.0/24, ... and a
 * released block comes back only after the cursor has wrapped.
 */
export class PodCidrAllocator {
  /** The next block index to try. */
  private cursor = 0;

  private constructor(
    private readonly cluster: IPv4Cidr,
    readonly nodeMaskSize: number,
    private readonly blocks: AllocationBitmap,
  ) {}

  static create(clusterCidr: string, nodeMaskSize: number): PodCidrAllocator {
    const parsed = parseCidr(clusterCidr);
    if (parsed.family !== 'IPv4') {
      throw new DomainError('INVALID', `invalid --cluster-cidr ${formatCidr(parsed)}: only IPv4 cluster CIDRs are emulated`);
    }
    if (!Number.isInteger(nodeMaskSize) || nodeMaskSize < 0 || nodeMaskSize > 32) {
      throw new DomainError('INVALID', `invalid --node-cidr-mask-size ${nodeMaskSize}: must be between 0 and 32 for IPv4`);
    }
    if (parsed.prefix > nodeMaskSize) {
      throw new DomainError(
        'INVALID',
        'Controller: Invalid --cluster-cidr, mask size of cluster CIDR must be less than or equal to --node-cidr-mask-size configured for CIDR family',
      );
    }
    if (nodeMaskSize - parsed.prefix > MAX_BLOCK_BITS) {
      throw new DomainError('INVALID', 'New CIDR set failed; the node CIDR size is too big');
    }
    const count = 2 ** (nodeMaskSize - parsed.prefix);
    // Next-fit never draws a random number; the bitmap still wants a source.
    const blocks = new AllocationBitmap(count, new SeededRandom(0));
    return new PodCidrAllocator({ network: parsed.network, prefix: parsed.prefix }, nodeMaskSize, blocks);
  }

  /** The cluster CIDR, e.g. `10.244.0.0/16`. */
  get clusterCidr(): string {
    return formatIPv4Cidr(this.cluster);
  }

  /** Number of node blocks in the cluster CIDR. */
  get size(): number {
    return this.blocks.max;
  }

  /** Hands out the next free block after the last one handed out, wrapping. */
  allocateNext(): string {
    const index = this.blocks.nextFree(this.cursor);
    if (index === undefined) {
      throw new DomainError(
        'CIDR_NOT_AVAILABLE',
        'CIDR allocation failed; there are no remaining CIDRs left to allocate in the accepted range',
      );
    }
    this.blocks.allocate(index);
    this.cursor = (index + 1) % this.blocks.max;
    return this.blockAt(index);
  }

  /**
   * Marks every block `cidr` overlaps as taken: an existing node's podCIDR at
   * start-up, or a part of the service range that overlaps the cluster CIDR.
   * Occupying a taken block is a no-op; the cursor does not move.
   */
  occupy(cidr: string): void {
    const [first, last] = this.blockIndices(cidr);
    for (let i = first; i <= last; i++) this.blocks.allocate(i);
  }

  /** Frees a node block; freeing a free block is a no-op. */
  release(cidr: string): void {
    const [first, last] = this.blockIndices(cidr);
    if (first !== last || this.parse(cidr).prefix !== this.nodeMaskSize) {
      throw new DomainError('INVALID', `${cidr} is not a /${this.nodeMaskSize} node CIDR of ${this.clusterCidr}`);
    }
    this.blocks.release(first);
  }

  /** Whether every block of `cidr` is taken; false for a CIDR outside the cluster CIDR. */
  has(cidr: string): boolean {
    let range: [number, number];
    try {
      range = this.blockIndices(cidr);
    } catch {
      return false;
    }
    for (let i = range[0]; i <= range[1]; i++) if (!this.blocks.has(i)) return false;
    return true;
  }

  /** Every taken block, in address order. */
  allocated(): string[] {
    return [...this.blocks.offsets()].map((index) => this.blockAt(index));
  }

  stats(): RangeStats {
    return {
      kind: 'PodCIDR',
      range: this.clusterCidr,
      size: this.blocks.max,
      used: this.blocks.count,
      free: this.blocks.free,
      staticBand: null,
    };
  }

  private blockAt(index: number): string {
    const network = this.cluster.network + index * 2 ** (32 - this.nodeMaskSize);
    return formatIPv4Cidr({ network, prefix: this.nodeMaskSize });
  }

  private parse(cidr: string): IPv4Cidr {
    const parsed = parseCidr(cidr);
    if (parsed.family !== 'IPv4') {
      throw new DomainError('INVALID', `cidr ${cidr} is out the range of cluster cidr ${this.clusterCidr}`);
    }
    return { network: parsed.network, prefix: parsed.prefix };
  }

  /** The first and last block index `cidr` overlaps; INVALID when it lies outside the cluster CIDR. */
  private blockIndices(cidr: string): [number, number] {
    const parsed = this.parse(cidr);
    const cluster = this.cluster;
    const overlaps =
      parsed.prefix <= cluster.prefix
        ? ((cluster.network & prefixMask(parsed.prefix)) >>> 0) === parsed.network
        : ((parsed.network & prefixMask(cluster.prefix)) >>> 0) === cluster.network;
    if (!overlaps) {
      throw new DomainError('INVALID', `cidr ${cidr} is out the range of cluster cidr ${this.clusterCidr}`);
    }
    if (parsed.prefix <= cluster.prefix) return [0, this.blocks.max - 1];
    const blockBits = 32 - this.nodeMaskSize;
    const first = Math.floor((parsed.network - cluster.network) / 2 ** blockBits);
    const span = parsed.prefix >= this.nodeMaskSize ? 1 : 2 ** (this.nodeMaskSize - parsed.prefix);
    return [first, first + span - 1];
  }
}
