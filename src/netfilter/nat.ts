/**
 * How conntrack turns a NAT target's range into one address and port for a
 * new connection (the kernel's `get_unique_tuple`), so that the reply tuple
 * stays unique in the connection table.
 *
 * - **Address.** A single address is taken as is. From a range, the kernel
 *   hashes the connection's source address (Bob Jenkins' lookup3 `jhash2`
 *   over the 16-byte address field, seeded with the destination address, or
 *   with 0 under `--persistent`) and scales the hash onto the range; this is
 *   reproduced exactly. A SNAT whose range already holds the source keeps it.
 * - **Port.** With no port range, a DNAT keeps the destination port; a
 *   source NAT keeps the source port while the resulting tuple is unused.
 *   With a range, a port already inside it is kept while unused. Otherwise
 *   (or always with `--random` / `--random-fully`) a port is searched in the
 *   range, or for a source NAT without one in 1-511, 600-1023 or 1024-65535
 *   depending on the original port, from a random offset (DNAT without
 *   `--random`: from the start of the range).
 *
 * The engine enumerating paths passes no `Random`: then the search starts at
 * the packet's own port (or the range's start), and the outcome says the
 * port was chosen at random.
 */
import type { Random } from '../common/random';
import type { IpAddress } from './address';
import type { Connection, Tuple } from './conntrack';
import type { NatAction } from './types';
import { isIcmpProtocol } from './icmp';

export interface NatChoice {
  readonly address: IpAddress;
  readonly port: number;
  /** The kernel would pick the port at random here (an enumerating engine cannot say which). */
  readonly portRandom: boolean;
}

/** Whether a connection other than `self` already uses a tuple. */
export type TupleTaken = (tuple: Tuple) => boolean;

const MAX_ATTEMPTS = 128;

function rol32(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

/**
 * lookup3's `hashword` (Bob Jenkins, public domain), as the kernel's
 * `jhash2`: 32-bit words, seeded with `initval`.
 */
export function jhash2(words: readonly number[], initval: number): number {
  let a = (0xdeadbeef + (words.length << 2) + initval) >>> 0;
  let b = a;
  let c = a;
  let i = 0;
  let length = words.length;
  while (length > 3) {
    a = (a + words[i]) >>> 0;
    b = (b + words[i + 1]) >>> 0;
    c = (c + words[i + 2]) >>> 0;
    // mix(a, b, c)
    a = (a - c) >>> 0; a = (a ^ rol32(c, 4)) >>> 0; c = (c + b) >>> 0;
    b = (b - a) >>> 0; b = (b ^ rol32(a, 6)) >>> 0; a = (a + c) >>> 0;
    c = (c - b) >>> 0; c = (c ^ rol32(b, 8)) >>> 0; b = (b + a) >>> 0;
    a = (a - c) >>> 0; a = (a ^ rol32(c, 16)) >>> 0; c = (c + b) >>> 0;
    b = (b - a) >>> 0; b = (b ^ rol32(a, 19)) >>> 0; a = (a + c) >>> 0;
    c = (c - b) >>> 0; c = (c ^ rol32(b, 4)) >>> 0; b = (b + a) >>> 0;
    length -= 3;
    i += 3;
  }
  if (length === 0) return c;
  if (length >= 3) c = (c + words[i + 2]) >>> 0;
  if (length >= 2) b = (b + words[i + 1]) >>> 0;
  a = (a + words[i]) >>> 0;
  // final(a, b, c)
  c = (c ^ b) >>> 0; c = (c - rol32(b, 14)) >>> 0;
  a = (a ^ c) >>> 0; a = (a - rol32(c, 11)) >>> 0;
  b = (b ^ a) >>> 0; b = (b - rol32(a, 25)) >>> 0;
  c = (c ^ b) >>> 0; c = (c - rol32(b, 16)) >>> 0;
  a = (a ^ c) >>> 0; a = (a - rol32(c, 4)) >>> 0;
  b = (b ^ a) >>> 0; b = (b - rol32(a, 14)) >>> 0;
  c = (c ^ b) >>> 0; c = (c - rol32(b, 24)) >>> 0;
  return c;
}

/** An IPv4 address as the kernel reads its network-order bytes into a u32 on a little-endian machine. */
function wireWord(address: number): number {
  return (((address & 0xff) << 24) | ((address & 0xff00) << 8) | ((address >>> 8) & 0xff00) | (address >>> 24)) >>> 0;
}

/** The four words of an IPv6 address, most significant first, each as the kernel reads it (`wireWord`). */
function wireWords6(address: bigint): number[] {
  return [96n, 64n, 32n, 0n].map((shift) => wireWord(Number((address >> shift) & 0xffffffffn)));
}

/** `reciprocal_scale(j, dist)`: (j * dist) >> 32, exactly. */
function reciprocalScale(j: number, dist: number): number {
  return dist < 0x200000 ? Math.floor((j * dist) / 4294967296) : Number((BigInt(j) * BigInt(dist)) >> 32n);
}

/**
 * An IPv6 range, word by word as `find_best_ips_proto` does it: each 32-bit
 * word is scaled into its own span until one falls short of the maximum's,
 * after which the later words range freely; without `--persistent` the hash
 * takes in the next destination word after each.
 */
function rangeAddress6(min: bigint, max: bigint, tuple: Tuple, persistent: boolean): bigint {
  const dst = typeof tuple.destination === 'bigint' ? wireWords6(tuple.destination) : [0, 0, 0, 0];
  let j = jhash2(typeof tuple.source === 'bigint' ? wireWords6(tuple.source) : [0, 0, 0, 0], persistent ? 0 : dst[3]);
  let full = false;
  let out = 0n;
  for (let i = 0; i < 4; i++) {
    const shift = BigInt(96 - 32 * i);
    const maxWord = Number((max >> shift) & 0xffffffffn);
    let minWord = 0;
    let dist = 0xffffffff;
    if (!full) {
      minWord = Number((min >> shift) & 0xffffffffn);
      dist = (maxWord - minWord + 1) >>> 0;
    }
    const word = (minWord + reciprocalScale(j, dist)) >>> 0;
    out |= BigInt(word) << shift;
    if (word !== maxWord) full = true;
    if (!persistent) j = (j ^ dst[i]) >>> 0;
  }
  return out;
}

/** The address a range gives a connection (`find_best_ips_proto`). */
export function rangeAddress(min: IpAddress, max: IpAddress, tuple: Tuple, persistent: boolean): IpAddress {
  if (min === max) return min;
  if (typeof min === 'bigint' || typeof max === 'bigint') return rangeAddress6(BigInt(min), BigInt(max), tuple, persistent);
  if (typeof tuple.source !== 'number' || typeof tuple.destination !== 'number') return min;
  const j = jhash2([wireWord(tuple.source), 0, 0, 0], persistent ? 0 : wireWord(tuple.destination));
  const dist = max - min + 1;
  // reciprocal_scale: (j * dist) >> 32, exactly (the product may pass 2^53).
  const scaled = dist < 0x200000 ? Math.floor((j * dist) / 4294967296) : Number((BigInt(j) * BigInt(dist)) >> 32n);
  return (min + scaled) >>> 0;
}

function withSource(t: Tuple, address: IpAddress, port: number): Tuple {
  return { protocol: t.protocol, source: address, sourcePort: port, destination: t.destination, destinationPort: t.destinationPort };
}

function withDestination(t: Tuple, address: IpAddress, port: number): Tuple {
  return { protocol: t.protocol, source: t.source, sourcePort: t.sourcePort, destination: address, destinationPort: port };
}

function replyOf(t: Tuple): Tuple {
  return { protocol: t.protocol, source: t.destination, sourcePort: t.destinationPort, destination: t.source, destinationPort: t.sourcePort };
}

const KEEP_CACHE = new Map<number, NatChoice>();

/** The common answer "keep address and port": shared objects, no allocation per connection. */
function keep(address: IpAddress, port: number): NatChoice {
  if (typeof address === 'bigint') return { address, port, portRandom: false };
  const key = address * 65536 + port;
  let choice = KEEP_CACHE.get(key);
  if (choice === undefined) {
    choice = Object.freeze({ address, port, portRandom: false });
    if (KEEP_CACHE.size < 65536) KEEP_CACHE.set(key, choice);
  }
  return choice;
}

/**
 * The mapping for a connection whose original tuple is now `tuple` (after
 * any earlier manipulation). `address` overrides the range's addresses
 * (MASQUERADE's interface address). `taken` answers whether a reply tuple is
 * used by another connection.
 */
export function chooseMapping(
  action: NatAction,
  manip: 'DST' | 'SRC',
  tuple: Tuple,
  taken: TupleTaken,
  random: Random | undefined,
  address?: IpAddress,
): NatChoice {
  if (isIcmpProtocol(tuple.protocol)) return chooseIcmpMapping(action, manip, tuple, taken, random, address);
  const r = action.range;
  if (manip === 'DST' && address === undefined && r.minAddress !== undefined && r.minAddress === r.maxAddress) {
    // kube-proxy's DNAT: one address, and one port or none. Nothing to search.
    if (r.minPort === undefined) return keep(r.minAddress, tuple.destinationPort);
    if (r.minPort === r.maxPort) return keep(r.minAddress, r.minPort);
  }
  const currentAddress = manip === 'DST' ? tuple.destination : tuple.source;
  const currentPort = manip === 'DST' ? tuple.destinationPort : tuple.sourcePort;
  const randomAll = action.random || action.randomFully;
  const used = (a: IpAddress, p: number): boolean => taken(replyOf(manip === 'DST' ? withDestination(tuple, a, p) : withSource(tuple, a, p)));

  const specified = r.minPort !== undefined;
  const portInRange = !specified || (currentPort >= r.minPort! && currentPort <= r.maxPort!);

  // 1. The address. A source NAT first tries the tuple as it is.
  const minAddress = address ?? r.minAddress;
  const maxAddress = address ?? r.maxAddress;
  if (
    manip === 'SRC' &&
    !randomAll &&
    portInRange &&
    (minAddress === undefined || (currentAddress >= minAddress && currentAddress <= maxAddress!)) &&
    !used(currentAddress, currentPort)
  ) {
    return keep(currentAddress, currentPort);
  }
  const chosen = minAddress === undefined ? currentAddress : rangeAddress(minAddress, maxAddress!, tuple, action.persistent);

  // 2. The port: keep it when allowed and free.
  if (!randomAll) {
    if (specified) {
      if (portInRange && (r.minPort === r.maxPort || !used(chosen, currentPort))) return keep(chosen, currentPort);
    } else if (manip === 'DST' || !used(chosen, currentPort)) {
      return keep(chosen, currentPort);
    }
  }
  if (!specified && manip === 'DST') return keep(chosen, currentPort);

  // 3. Search a free port (nf_nat_l4proto_unique_tuple).
  let min: number;
  let size: number;
  if (specified) {
    min = r.minPort!;
    size = r.maxPort! - min + 1;
  } else if (currentPort < 1024) {
    if (currentPort < 512) {
      min = 1;
      size = 511;
    } else {
      min = 600;
      size = 424;
    }
  } else {
    min = 1024;
    size = 65535 - 1024 + 1;
  }
  const drawsRandom = randomAll || manip !== 'DST';
  // An enumerating engine cannot draw: it starts from the packet's own port when the range holds it.
  let offset = 0;
  if (drawsRandom && random !== undefined) offset = random.int(65536);
  else if (drawsRandom && currentPort >= min && currentPort < min + size) offset = currentPort - min;
  let attempts = Math.min(size, MAX_ATTEMPTS);
  for (;;) {
    for (let i = 0; i < attempts; i++, offset++) {
      const port = min + (offset % size);
      if (!used(chosen, port)) return { address: chosen, port, portRandom: drawsRandom };
    }
    attempts >>= 1;
    if (attempts === 0 || random === undefined) break;
    offset = random.int(65536);
  }
  if (random === undefined) {
    // An enumerating engine scans the whole range rather than giving up.
    for (let i = 0; i < size; i++) {
      const port = min + ((offset + i) % size);
      if (!used(chosen, port)) return { address: chosen, port, portRandom: drawsRandom };
    }
  }
  // The kernel takes the last port tried; the clash then drops the packet at confirmation.
  return { address: chosen, port: min + ((offset - 1 + size) % size), portRandom: drawsRandom };
}

/**
 * An ICMP query's mapping: the address as for any protocol, and the
 * identifier as its "port", whichever side is mapped (the kernel keeps the id
 * on the tuple's source side both ways). The id is kept while the reply tuple
 * is free; otherwise one is searched in 0-65535, from a random offset for
 * source NAT and `--random`, from 0 for destination NAT.
 * `tuple` is in the request's orientation: its `sourcePort` is the id.
 */
function chooseIcmpMapping(action: NatAction, manip: 'DST' | 'SRC', tuple: Tuple, taken: TupleTaken, random: Random | undefined, address?: IpAddress): NatChoice {
  const r = action.range;
  const id = tuple.sourcePort;
  const currentAddress = manip === 'DST' ? tuple.destination : tuple.source;
  const randomAll = action.random || action.randomFully;
  const used = (a: IpAddress, i: number): boolean =>
    taken(replyOf(manip === 'DST' ? { protocol: tuple.protocol, source: tuple.source, sourcePort: i, destination: a, destinationPort: tuple.destinationPort } : withSource(tuple, a, i)));
  const minAddress = address ?? r.minAddress;
  const maxAddress = address ?? r.maxAddress;
  if (manip === 'SRC' && !randomAll && (minAddress === undefined || (currentAddress >= minAddress && currentAddress <= maxAddress!)) && !used(currentAddress, id)) {
    return keep(currentAddress, id);
  }
  const chosen = minAddress === undefined ? currentAddress : rangeAddress(minAddress, maxAddress!, tuple, action.persistent);
  if (!randomAll && !used(chosen, id)) return keep(chosen, id);
  const drawsRandom = randomAll || manip !== 'DST';
  // An enumerating engine cannot draw: it starts from the packet's own id.
  let offset = drawsRandom ? (random !== undefined ? random.int(65536) : id) : 0;
  for (let i = 0; i < 65536; i++, offset++) {
    const candidate = offset & 0xffff;
    if (!used(chosen, candidate)) return { address: chosen, port: candidate, portRandom: drawsRandom };
  }
  return { address: chosen, port: id, portRandom: drawsRandom };
}

/** The reply tuple of a connection after a mapping at `manip`. */
export function applyMapping(c: Connection, manip: 'DST' | 'SRC', choice: NatChoice): void {
  const r = c.reply;
  // An ICMP query's reply tuple holds the id on its destination side, for either mapping.
  if (isIcmpProtocol(r.protocol) && manip === 'DST') {
    c.reply = { protocol: r.protocol, source: choice.address, sourcePort: r.sourcePort, destination: r.destination, destinationPort: choice.port };
    return;
  }
  c.reply =
    manip === 'DST'
      ? { protocol: r.protocol, source: choice.address, sourcePort: choice.port, destination: r.destination, destinationPort: r.destinationPort }
      : { protocol: r.protocol, source: r.source, sourcePort: r.sourcePort, destination: choice.address, destinationPort: choice.port };
}
