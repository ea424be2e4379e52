import { DomainError } from '../common/domain-error';
import { SeededRandom } from '../common/random';
import { AllocationBitmap } from './allocation-bitmap';
import { addressBits, formatCidr, IpCidr, parseCidr } from './ip-address';
import { IpFamily, RangeStats } from './types';

/**
 * The emulator keeps one bit per node block; 2^24 blocks (2 MiB) is the most
 * it agrees to hold for IPv4. Upstream has no such limit for IPv4, but a /8
 * cut into /32s is far beyond any real cluster. For IPv6 the limit is
 * upstream's own: at most 16 bits between the cluster and the node mask.
 */
const MAX_BLOCK_BITS: Record<IpFamily, number> = { IPv4: 24, IPv6: 16 };

/** A CIDR's network as a `bigint`, so that one arithmetic serves both families. */
interface Block {
  family: IpFamily;
  network: bigint;
  prefix: number;
}

function toBlock(cidr: IpCidr): Block {
  return { family: cidr.family, network: BigInt(cidr.network), prefix: cidr.prefix };
}

function blockText(block: Block): string {
  return block.family === 'IPv4'
    ? formatCidr({ family: 'IPv4', network: Number(block.network), prefix: block.prefix })
    : formatCidr({ family: 'IPv6', network: block.network, prefix: block.prefix });
}

/**
 * Node pod CIDRs, as kube-controller-manager's node IPAM (RangeAllocator over
 * a `cidrset`) assigns them from `--cluster-cidr` in `--node-cidr-mask-size`
 * blocks, for one family (a dual-stack cluster has one allocator per family).
 *
 * Next-fit: the search starts at the block after the last one handed out and
 * wraps, so a fresh allocator gives 10.244.0.0/24, 10.244.1.0/24, ... and a
 * released block comes back only after the cursor has wrapped.
 */
export class PodCidrAllocator {
  /** The next block index to try. */
  private cursor = 0;

  private constructor(
    private readonly cluster: Block,
    readonly nodeMaskSize: number,
    private readonly blocks: AllocationBitmap,
  ) {}

  static create(clusterCidr: string, nodeMaskSize: number): PodCidrAllocator {
    const parsed = parseCidr(clusterCidr);
    const bits = addressBits(parsed.family);
    if (!Number.isInteger(nodeMaskSize) || nodeMaskSize < 0 || nodeMaskSize > bits) {
      throw new DomainError(
        'INVALID',
        `invalid --node-cidr-mask-size ${nodeMaskSize}: must be between 0 and ${bits} for ${parsed.family}`,
      );
    }
    if (parsed.prefix > nodeMaskSize) {
      throw new DomainError(
        'INVALID',
        'Controller: Invalid --cluster-cidr, mask size of cluster CIDR must be less than or equal to --node-cidr-mask-size configured for CIDR family',
      );
    }
    if (nodeMaskSize - parsed.prefix > MAX_BLOCK_BITS[parsed.family]) {
      throw new DomainError('INVALID', 'New CIDR set failed; the node CIDR size is too big');
    }
    const count = 2 ** (nodeMaskSize - parsed.prefix);
    // Next-fit never draws a random number; the bitmap still wants a source.
    const blocks = new AllocationBitmap(count, new SeededRandom(0));
    return new PodCidrAllocator(toBlock(parsed), nodeMaskSize, blocks);
  }

  get family(): IpFamily {
    return this.cluster.family;
  }

  /** The cluster CIDR, e.g. `10.244.0.0/16`. */
  get clusterCidr(): string {
    return blockText(this.cluster);
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

  private get bits(): number {
    return addressBits(this.cluster.family);
  }

  private blockAt(index: number): string {
    const network = this.cluster.network + (BigInt(index) << BigInt(this.bits - this.nodeMaskSize));
    return blockText({ family: this.cluster.family, network, prefix: this.nodeMaskSize });
  }

  private parse(cidr: string): Block {
    const parsed = parseCidr(cidr);
    if (parsed.family !== this.cluster.family) {
      throw new DomainError('INVALID', `cidr ${cidr} is out the range of cluster cidr ${this.clusterCidr}`);
    }
    return toBlock(parsed);
  }

  private mask(prefix: number): bigint {
    const all = (1n << BigInt(this.bits)) - 1n;
    return all ^ ((1n << BigInt(this.bits - prefix)) - 1n);
  }

  /** The first and last block index `cidr` overlaps; INVALID when it lies outside the cluster CIDR. */
  private blockIndices(cidr: string): [number, number] {
    const parsed = this.parse(cidr);
    const cluster = this.cluster;
    const overlaps =
      parsed.prefix <= cluster.prefix
        ? (cluster.network & this.mask(parsed.prefix)) === parsed.network
        : (parsed.network & this.mask(cluster.prefix)) === cluster.network;
    if (!overlaps) {
      throw new DomainError('INVALID', `cidr ${cidr} is out the range of cluster cidr ${this.clusterCidr}`);
    }
    if (parsed.prefix <= cluster.prefix) return [0, this.blocks.max - 1];
    const blockBits = BigInt(this.bits - this.nodeMaskSize);
    const first = Number((parsed.network - cluster.network) >> blockBits);
    const span = parsed.prefix >= this.nodeMaskSize ? 1 : 2 ** (this.nodeMaskSize - parsed.prefix);
    return [first, first + span - 1];
  }
}
