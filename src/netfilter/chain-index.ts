/**
 * Fast classification: which rules of a chain can possibly match a packet.
 *
 * A kube-proxy node with 10,000 Services has a `KUBE-SERVICES` chain of
 * 10,000+ rules, each testing one destination address, protocol and port.
 * Walking it rule by rule costs as much as the kernel's 234 µs for a
 * Service near the end. Instead, each rule is filed under a key that the
 * packet must have for the rule to match:
 *
 * - `exact`: destination address (`-d A/32`), protocol and destination port
 *   (a single `--dport` of `-m tcp|udp|sctp`);
 * - `port`: protocol and destination port, any destination (NodePorts);
 * - `dest`: destination address only;
 * - everything else is a **wildcard** (negations, ranges, other matches).
 *
 * A packet's candidates are its three buckets and the wildcard list, merged
 * back into rule order. Because a rule is filed only under a condition it
 * certainly tests, every rule left out cannot match the packet, and walking
 * the candidates in order gives exactly the first match a linear walk finds.
 *
 * One subtlety keeps side effects identical: the kernel evaluates a rule's
 * matches in order and stops at the first that fails, so a stateful match
 * (`recent`, `statistic`'s draw or nth counter, `nfacct`) placed before the
 * port test still runs for packets of other ports. A key taken from a `-m`
 * match is therefore used only when every match before it is pure; keys
 * from the IP header (`-d`, `-p`) are always safe, as the header is checked
 * first.
 */
import { IPV6_ALL_ONES, type IpAddress } from './address';
import type { Chain } from './chain';
import { SctpMatch } from './matches/sctp.match';
import { TcpMatch } from './matches/tcp.match';
import type { PortCondition } from './matches/transport';
import { UdpMatch } from './matches/udp.match';
import type { Rule } from './rule';
import type { Match, Packet, Protocol } from './types';

/** Chains shorter than this are walked linearly: an index would not pay for itself. */
export const INDEX_MIN_RULES = 16;

const PROTOCOL_CODE: Readonly<Record<Protocol, number>> = { tcp: 1, udp: 2, sctp: 3, icmp: 0, icmpv6: 0 };
const CODE_OF_NUMBER = new Map<number, number>([
  [6, 1],
  [17, 2],
  [132, 3],
]);

const EMPTY: readonly number[] = Object.freeze([]);

/**
 * An address as an index key: IPv4 as is; IPv6 by its low 32 bits. Two IPv6
 * addresses may share a key: their rules then share a bucket, and every
 * candidate is still matched in full, so a shared key costs time, never a
 * wrong answer.
 */
function addressKey(address: IpAddress): number {
  return typeof address === 'number' ? address : Number(address & 0xffffffffn);
}

function exactKey(destination: number, code: number, port: number): number {
  return destination * 262144 + code * 65536 + port;
}

function portKey(code: number, port: number): number {
  return code * 65536 + port;
}

function singlePort(condition: PortCondition): number | undefined {
  return !condition.invert && condition.range.min === condition.range.max ? condition.range.min : undefined;
}

/** The protocol code and destination port a rule certainly requires, if it says so. */
function transportKey(rule: Rule): { code: number | undefined; port: number | undefined } {
  let code: number | undefined;
  const p = rule.protocol;
  if (p !== undefined && !p.invert) code = CODE_OF_NUMBER.get(p.number) ?? -1;
  let port: number | undefined;
  const matches: readonly Match[] = rule.matches;
  for (let i = 0; i < matches.length; i++) {
    const m: Match = matches[i];
    const pure = m.stateful !== true && m.probability === undefined;
    let matchCode: number | undefined;
    if (m instanceof TcpMatch) matchCode = 1;
    else if (m instanceof UdpMatch) matchCode = 2;
    else if (m instanceof SctpMatch) matchCode = 3;
    if (matchCode !== undefined) {
      if (code === undefined) code = matchCode;
      if (port === undefined && code === matchCode) {
        port = singlePort((m as TcpMatch | UdpMatch | SctpMatch).destinationPort);
      }
      continue;
    }
    // A match with side effects (or a random draw) must still run for
    // packets that a later key would leave out: stop taking keys here.
    if (!pure) break;
  }
  if (code === -1) code = undefined; // a protocol without ports (icmp, gre, ...)
  return { code, port };
}

export class ChainIndex {
  private readonly exact = new Map<number, number[]>();
  private readonly port = new Map<number, number[]>();
  private readonly dest = new Map<number, number[]>();
  private readonly wildcard: number[] = [];
  /** Merged candidate lists of packets that hit an exact bucket, by that bucket's key (bounded by the rules). */
  private readonly mergedByExact = new Map<number, readonly number[]>();
  /** How many rules went into a keyed bucket (for diagnostics and tests). */
  readonly keyed: number;

  constructor(rules: readonly Rule[]) {
    let keyed = 0;
    for (let i = 0; i < rules.length; i++) {
      const rule = rules[i];
      const d = rule.destination;
      const destination = d !== undefined && !d.invert && (d.mask === 0xffffffff || d.mask === IPV6_ALL_ONES) ? addressKey(d.address) : undefined;
      const { code, port } = transportKey(rule);
      let bucket: Map<number, number[]> | undefined;
      let key = 0;
      if (code !== undefined && port !== undefined) {
        if (destination !== undefined) {
          bucket = this.exact;
          key = exactKey(destination, code, port);
        } else {
          bucket = this.port;
          key = portKey(code, port);
        }
      } else if (destination !== undefined) {
        bucket = this.dest;
        key = destination;
      }
      if (bucket === undefined) {
        this.wildcard.push(i);
        continue;
      }
      keyed++;
      const list = bucket.get(key);
      if (list) list.push(i);
      else bucket.set(key, [i]);
    }
    this.keyed = keyed;
  }

  /** Positions of the rules that may match `packet`, ascending. */
  candidates(packet: Packet): readonly number[] {
    const code = PROTOCOL_CODE[packet.protocol];
    const destination = addressKey(packet.destination);
    const key = code === 0 ? -1 : exactKey(destination, code, packet.destinationPort);
    const a = key < 0 ? undefined : this.exact.get(key);
    if (a !== undefined) {
      const cached = this.mergedByExact.get(key);
      if (cached !== undefined) return cached;
    }
    const b = code === 0 ? undefined : this.port.get(portKey(code, packet.destinationPort));
    const c = this.dest.get(destination);
    const w = this.wildcard;
    if (a === undefined && b === undefined && c === undefined) return w.length > 0 ? w : EMPTY;
    let merged: readonly number[] = w;
    if (a !== undefined) merged = merge(merged, a);
    if (b !== undefined) merged = merge(merged, b);
    if (c !== undefined) merged = merge(merged, c);
    if (a !== undefined) this.mergedByExact.set(key, merged);
    return merged;
  }
}

function merge(x: readonly number[], y: readonly number[]): readonly number[] {
  if (x.length === 0) return y;
  if (y.length === 0) return x;
  const out = new Array<number>(x.length + y.length);
  let i = 0;
  let j = 0;
  let k = 0;
  while (i < x.length && j < y.length) out[k++] = x[i] < y[j] ? x[i++] : y[j++];
  while (i < x.length) out[k++] = x[i++];
  while (j < y.length) out[k++] = y[j++];
  return out;
}

interface Cached {
  modCount: number;
  index: ChainIndex;
}

const cache = new WeakMap<Chain, Cached>();

/**
 * The index of a chain, built on first need and rebuilt after the chain
 * changes; undefined for short chains (walk them linearly).
 */
export function chainIndex(chain: Chain, minRules = INDEX_MIN_RULES): ChainIndex | undefined {
  if (chain.length < minRules) return undefined;
  const cached = cache.get(chain);
  if (cached !== undefined && cached.modCount === chain.modCount) return cached.index;
  const index = new ChainIndex(chain.rules);
  cache.set(chain, { modCount: chain.modCount, index });
  return index;
}
