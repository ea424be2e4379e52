/**
 * Connection tracking, as the traversal engine needs it.
 *
 * A connection is known by two tuples (protocol, source, source port,
 * destination, destination port): the **original** one, as its first packet
 * had it before any NAT, and the **reply** one, as answers will look once
 * NAT is applied (a DNAT to 10.244.1.5:8080 makes replies come *from*
 * 10.244.1.5:8080; a SNAT to 192.168.0.2 makes them go *to* 192.168.0.2).
 * A packet matching either tuple belongs to the connection, in that
 * direction.
 *
 * As in Linux:
 * - the lookup runs before the tables (after `raw`); a new connection is
 *   only entered into the table ("confirmed") at the last hook, POSTROUTING
 *   or INPUT, if the packet was not dropped on the way;
 * - `--ctstate` is NEW for original-direction packets until a reply was seen,
 *   then ESTABLISHED; reply-direction packets are ESTABLISHED; ICMP errors
 *   about a connection are RELATED; a TCP packet that cannot start a
 *   connection (RST, FIN, SYN/ACK, or no flags, with no entry) is INVALID;
 * - NAT bindings are made once, for the first packet, and then replayed (see
 *   nat-stage.ts); `dnat` / `snat` say whether the connection has them
 *   (`--ctstate DNAT` / `SNAT`);
 * - entries time out on the injected clock, with the kernel's default
 *   timeouts (`CONNTRACK_TIMEOUTS`, in seconds, from the
 *   `nf_conntrack_*_timeout_*` sysctls);
 * - the table holds at most `maxEntries` (`nf_conntrack_max`, 262144 by
 *   default); when full, the oldest connection that never saw a reply is
 *   dropped to make room (the kernel's "early drop"), else the new packet is.
 *
 * TCP is tracked by its flags with the kernel's main states (SYN_SENT,
 * SYN_RECV, ESTABLISHED, FIN_WAIT, CLOSE_WAIT, LAST_ACK, TIME_WAIT, CLOSE);
 * sequence-number windows are not checked.
 */
import type { Clock } from '../common/clock';
import { foldAddress, formatIp, type IpAddress } from './address';
import { icmpTupleText, isIcmpProtocol, isIcmpRequest } from './icmp';
import { PROTOCOL_NUMBERS, TCP_FLAGS, type CtState, type Protocol } from './types';

export type Direction = 'original' | 'reply';

export interface Tuple {
  readonly protocol: Protocol;
  readonly source: IpAddress;
  readonly sourcePort: number;
  readonly destination: IpAddress;
  readonly destinationPort: number;
}

export type TcpState =
  | 'SYN_SENT'
  | 'SYN_RECV'
  | 'ESTABLISHED'
  | 'FIN_WAIT'
  | 'CLOSE_WAIT'
  | 'LAST_ACK'
  | 'TIME_WAIT'
  | 'CLOSE';

/**
 * Linux's default timeouts, in seconds (net.netfilter.nf_conntrack_*):
 * tcp_timeout_syn_sent 120, syn_recv 60, established 432000 (5 days),
 * fin_wait 120, close_wait 60, last_ack 30, time_wait 120, close 10;
 * udp_timeout 30 (no reply yet), udp_timeout_stream 120 (replied);
 * icmp_timeout 30; sctp: 3 s until the association is answered
 * (COOKIE_WAIT / COOKIE_ECHOED), then 210 s (ESTABLISHED);
 * generic_timeout 600 for other protocols.
 */
export const CONNTRACK_TIMEOUTS = Object.freeze({
  tcp: Object.freeze({
    SYN_SENT: 120,
    SYN_RECV: 60,
    ESTABLISHED: 432000,
    FIN_WAIT: 120,
    CLOSE_WAIT: 60,
    LAST_ACK: 30,
    TIME_WAIT: 120,
    CLOSE: 10,
  } satisfies Record<TcpState, number>),
  udpUnreplied: 30,
  udpReplied: 120,
  icmp: 30,
  sctpUnreplied: 3,
  sctpEstablished: 210,
  generic: 600,
});

export type ConntrackTimeouts = typeof CONNTRACK_TIMEOUTS;

/** `nf_conntrack_max`'s usual default. */
export const DEFAULT_CONNTRACK_MAX = 262144;

export class Connection {
  private static nextId = 1;
  /** A process-wide id, increasing. */
  readonly id = Connection.nextId++;
  /** The reply tuple, final once the NAT bindings are made (before confirmation). */
  reply: Tuple;
  /** The connection has destination NAT (`--ctstate DNAT`). */
  dnat = false;
  /** The connection has source NAT (`--ctstate SNAT`), by SNAT or MASQUERADE. */
  snat = false;
  /** The source NAT came from MASQUERADE, on this interface. */
  masquerade = false;
  masqueradeInterface: string | undefined;
  seenReply = false;
  /** Replied to (UDP) or fully established (TCP): not dropped early when the table is full. */
  assured = false;
  /** Protocol state: a TCP state, or "UNREPLIED" / "REPLIED" for the others. */
  state: string;
  /** The connection mark (CONNMARK). */
  mark = 0;
  /** When it expires, in ms of the tracker's clock. */
  expires = 0;
  confirmed = false;

  constructor(
    readonly original: Tuple,
    state: string,
    readonly createdAt: number,
  ) {
    this.reply = invertTuple(original);
    this.state = state;
  }

  /** A copy, for an engine that explores a path without changing the table. */
  clone(): Connection {
    const copy = Object.create(Connection.prototype) as Connection;
    Object.assign(copy, this);
    return copy;
  }
}

export function invertTuple(t: Tuple): Tuple {
  return {
    protocol: t.protocol,
    source: t.destination,
    sourcePort: t.destinationPort,
    destination: t.source,
    destinationPort: t.sourcePort,
  };
}

export function tupleEquals(a: Tuple, b: Tuple): boolean {
  return (
    a.source === b.source &&
    a.destination === b.destination &&
    a.sourcePort === b.sourcePort &&
    a.destinationPort === b.destinationPort &&
    a.protocol === b.protocol
  );
}

/** A 30-bit hash of a tuple: a small-integer key, the cheapest kind for a Map (no string to build). */
function tupleHash(t: Tuple): number {
  let h = Math.imul(foldAddress(t.source) ^ 0x9e3779b9, 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 15) ^ foldAddress(t.destination), 0xc2b2ae35);
  h = Math.imul(h ^ (h >>> 13) ^ ((t.sourcePort << 16) | t.destinationPort), 0x27d4eb2d);
  h = Math.imul(h ^ (h >>> 15) ^ PROTOCOL_NUMBERS[t.protocol], 0x165667b1);
  return (h ^ (h >>> 16)) & 0x3fffffff;
}

/**
 * Confirmed connections by both their tuples, in one hash table: a lookup or
 * a "is this tuple taken?" costs one probe. Keys are a 30-bit hash of the
 * tuple; connections whose tuples hash alike share an array.
 */
class TupleTable {
  private readonly map = new Map<number, Connection | Connection[]>();

  /** The connection holding `t` as its original or reply tuple, and which. */
  get(t: Tuple): Connection | undefined {
    const found = this.map.get(tupleHash(t));
    if (found === undefined) return undefined;
    if (!Array.isArray(found)) return tupleEquals(found.original, t) || tupleEquals(found.reply, t) ? found : undefined;
    for (const c of found) if (tupleEquals(c.original, t) || tupleEquals(c.reply, t)) return c;
    return undefined;
  }

  add(c: Connection): void {
    this.put(tupleHash(c.original), c);
    this.put(tupleHash(c.reply), c);
  }

  delete(c: Connection): void {
    this.drop(tupleHash(c.original), c);
    this.drop(tupleHash(c.reply), c);
  }

  clear(): void {
    this.map.clear();
  }

  private put(h: number, c: Connection): void {
    const found = this.map.get(h);
    if (found === undefined) this.map.set(h, c);
    else if (Array.isArray(found)) found.push(c);
    else this.map.set(h, [found, c]);
  }

  private drop(h: number, c: Connection): void {
    const found = this.map.get(h);
    if (found === c) {
      this.map.delete(h);
    } else if (Array.isArray(found)) {
      const i = found.indexOf(c);
      if (i < 0) return;
      found.splice(i, 1);
      if (found.length === 1) this.map.set(h, found[0]);
    }
  }
}

/** TCP flags that a packet without explicit flags is taken to carry, given what conntrack knows. */
export function defaultTcpFlags(found: { connection: Connection; direction: Direction } | undefined): number {
  if (found === undefined) return TCP_FLAGS.SYN;
  const c = found.connection;
  if (found.direction === 'reply' && c.state === 'SYN_SENT') return TCP_FLAGS.SYN | TCP_FLAGS.ACK;
  return TCP_FLAGS.ACK;
}

/**
 * The state of a packet that no connection knows: NEW if it can start one,
 * INVALID if not (a TCP RST, FIN, SYN/ACK or flagless packet; an ICMP error).
 */
export function newConnectionState(protocol: Protocol, tcpFlags: number, icmpType?: number): { ctstate: CtState; state: string } {
  if (protocol === 'tcp') {
    const f = tcpFlags;
    if (f & TCP_FLAGS.RST) return { ctstate: 'INVALID', state: '' };
    if (f & TCP_FLAGS.SYN) return f & TCP_FLAGS.ACK ? { ctstate: 'INVALID', state: '' } : { ctstate: 'NEW', state: 'SYN_SENT' };
    if (f & TCP_FLAGS.FIN) return { ctstate: 'INVALID', state: '' };
    // nf_conntrack_tcp_loose=1 (the default) picks up a connection mid-stream.
    if (f & TCP_FLAGS.ACK) return { ctstate: 'NEW', state: 'ESTABLISHED' };
    return { ctstate: 'INVALID', state: '' };
  }
  // Only a query (echo, timestamp, information, address mask request) starts an ICMP connection:
  // a reply nobody asked for, an error, or a type without an answer is INVALID.
  // ICMPv6 likewise: only echo-request (128) and node information query (139) start one.
  if (isIcmpProtocol(protocol) && icmpType !== undefined && !isIcmpRequest(icmpType, protocol)) return { ctstate: 'INVALID', state: '' };
  return { ctstate: 'NEW', state: 'UNREPLIED' };
}

export interface ConntrackOptions {
  readonly clock: Clock;
  readonly maxEntries?: number;
  readonly timeouts?: ConntrackTimeouts;
}

/** One line of `conntrack -L`, as data. */
export interface ConntrackListEntry {
  readonly id: number;
  readonly protocol: Protocol;
  /** Seconds left. */
  readonly timeout: number;
  readonly state: string;
  readonly original: TupleView;
  readonly reply: TupleView;
  readonly flags: readonly string[];
  readonly mark: number;
  readonly dnat: boolean;
  readonly snat: boolean;
  readonly masquerade: boolean;
  /** The line as `conntrack -L` prints it. */
  readonly text: string;
}

export interface TupleView {
  readonly source: string;
  readonly sourcePort: number;
  readonly destination: string;
  readonly destinationPort: number;
}

function tupleView(t: Tuple): TupleView {
  return {
    source: formatIp(t.source),
    sourcePort: t.sourcePort,
    destination: formatIp(t.destination),
    destinationPort: t.destinationPort,
  };
}

export class ConnectionTracker {
  readonly clock: Clock;
  readonly maxEntries: number;
  readonly timeouts: ConntrackTimeouts;
  private readonly table = new TupleTable();
  /** Confirmed connections, oldest first; removed ones stay as holes until the list is compacted. */
  private aged: Connection[] = [];
  /** Index of the first entry of `aged` that may still be live. */
  private head = 0;
  private live = 0;
  private insertsSinceSweep = 0;
  private changes = 0;

  constructor(options: ConntrackOptions) {
    this.clock = options.clock;
    this.maxEntries = options.maxEntries ?? DEFAULT_CONNTRACK_MAX;
    this.timeouts = options.timeouts ?? CONNTRACK_TIMEOUTS;
  }

  /**
   * Grows with every change to the table (a connection entered, updated or
   * removed), so that a cache of answers that read it can tell it is stale.
   */
  get revision(): number {
    return this.changes;
  }

  /** Connections in the table (expired ones may linger until looked at or swept). */
  get size(): number {
    return this.live;
  }

  /** Live (confirmed, not removed) connections in age order, expired ones included. */
  private *members(): Generator<Connection> {
    for (let i = this.head; i < this.aged.length; i++) if (this.aged[i].confirmed) yield this.aged[i];
  }

  /** The connection a packet's tuple belongs to, and in which direction; expired ones are removed. */
  lookup(tuple: Tuple): { connection: Connection; direction: Direction } | undefined {
    const connection = this.table.get(tuple);
    if (connection === undefined) return undefined;
    if (connection.expires <= this.clock.now()) {
      this.remove(connection);
      return undefined;
    }
    return { connection, direction: tupleEquals(connection.original, tuple) ? 'original' : 'reply' };
  }

  /** As `lookup`, but changes nothing: an expired connection is simply not found. */
  find(tuple: Tuple): { connection: Connection; direction: Direction } | undefined {
    const connection = this.table.get(tuple);
    if (connection === undefined || connection.expires <= this.clock.now()) return undefined;
    return { connection, direction: tupleEquals(connection.original, tuple) ? 'original' : 'reply' };
  }

  /** Whether a live connection already uses this tuple, in either direction (`nf_conntrack_tuple_taken`). */
  isTaken(tuple: Tuple, ignore?: Connection): boolean {
    const c = this.table.get(tuple);
    return c !== undefined && c !== ignore && c.expires > this.clock.now();
  }

  /** A new, unconfirmed connection for a packet's tuple. */
  create(tuple: Tuple, state: string): Connection {
    const now = this.clock.now();
    const c = new Connection(tuple, state, now);
    c.expires = now + this.timeoutFor(c) * 1000;
    return c;
  }

  /**
   * Enters a connection into the table (conntrack confirm). False when a
   * tuple clashes with a live connection, or the table is full and nothing
   * may be dropped early: the kernel drops the packet then.
   */
  confirm(c: Connection): boolean {
    // A dead connection still holding a tuple makes way, as its timer would have.
    const a = this.table.get(c.original);
    if (a !== undefined) {
      if (a.expires > this.clock.now()) return false;
      this.remove(a);
    }
    const b = this.table.get(c.reply);
    if (b !== undefined) {
      if (b.expires > this.clock.now()) return false;
      this.remove(b);
    }
    if (++this.insertsSinceSweep >= 1024) this.sweep(2048);
    else if (this.aged.length - this.head > 2 * this.live + 1024) this.compact();
    if (this.live >= this.maxEntries && !this.earlyDrop()) return false;
    c.confirmed = true;
    this.changes++;
    this.table.add(c);
    this.aged.push(c);
    this.live++;
    return true;
  }

  /**
   * What the conntrack hook does with a packet of a known connection: note
   * the reply, move the TCP state along, refresh the timeout.
   */
  update(c: Connection, direction: Direction, tcpFlags: number): void {
    this.changes++;
    if (direction === 'reply') c.seenReply = true;
    const p = c.original.protocol;
    if (p === 'tcp') {
      c.state = nextTcpState(c.state as TcpState, direction, tcpFlags);
      if (c.state === 'ESTABLISHED' && c.seenReply) c.assured = true;
    } else if (direction === 'reply' || c.seenReply) {
      if (c.state !== 'REPLIED') c.state = 'REPLIED';
      // nf_conntrack_proto_icmp and _icmpv6 never mark a connection assured.
      if (direction === 'original' && !isIcmpProtocol(p)) c.assured = true;
    }
    c.expires = this.clock.now() + this.timeoutFor(c) * 1000;
  }

  /** The timeout a connection gets now, in seconds. */
  timeoutFor(c: Connection): number {
    const t = this.timeouts;
    switch (c.original.protocol) {
      case 'tcp':
        return t.tcp[c.state as TcpState] ?? t.tcp.ESTABLISHED;
      case 'udp':
        return c.seenReply ? t.udpReplied : t.udpUnreplied;
      case 'icmp':
      case 'icmpv6': // nf_conntrack_icmpv6_timeout: 30 s, as ICMP's
        return t.icmp;
      case 'sctp':
        return c.seenReply ? t.sctpEstablished : t.sctpUnreplied;
      default:
        return t.generic;
    }
  }

  remove(c: Connection): void {
    if (!c.confirmed) return;
    this.changes++;
    c.confirmed = false;
    this.table.delete(c);
    this.live--;
  }

  /** `conntrack -D` with a filter; returns how many went. */
  delete(filter: (c: Connection) => boolean = () => true): number {
    let n = 0;
    for (const c of [...this.members()]) {
      if (filter(c)) {
        this.remove(c);
        n++;
      }
    }
    return n;
  }

  flush(): void {
    this.changes++;
    for (const c of this.aged) c.confirmed = false;
    this.table.clear();
    this.aged = [];
    this.head = 0;
    this.live = 0;
  }

  /** Live connections, oldest first. */
  connections(): Connection[] {
    const now = this.clock.now();
    return [...this.members()].filter((c) => c.expires > now);
  }

  /** `conntrack -L`, as data with each line's text. */
  list(): ConntrackListEntry[] {
    const now = this.clock.now();
    return this.connections().map((c) => {
      const timeout = Math.max(0, Math.floor((c.expires - now) / 1000));
      const flags: string[] = [];
      if (!c.seenReply) flags.push('UNREPLIED');
      if (c.assured) flags.push('ASSURED');
      return {
        id: c.id,
        protocol: c.original.protocol,
        timeout,
        state: c.state,
        original: tupleView(c.original),
        reply: tupleView(c.reply),
        flags,
        mark: c.mark,
        dnat: c.dnat,
        snat: c.snat,
        masquerade: c.masquerade,
        text: formatConnection(c, timeout),
      };
    });
  }

  /** Removes up to `limit` expired connections, looking at the oldest few times that many. */
  sweep(limit = Infinity): number {
    this.insertsSinceSweep = 0;
    const now = this.clock.now();
    const aged = this.aged;
    let n = 0;
    let looked = 0;
    // Oldest first; a long run of live connections means the rest are mostly younger still.
    let liveRun = 0;
    for (let i = this.head; i < aged.length && looked < limit * 4 && liveRun < 256; i++) {
      const c = aged[i];
      if (!c.confirmed) continue;
      looked++;
      if (c.expires <= now) {
        this.remove(c);
        liveRun = 0;
        if (++n >= limit) break;
      } else {
        liveRun++;
      }
    }
    this.compact();
    return n;
  }

  /** The table is full: drop the oldest connection that never saw a reply, if one of the oldest is. */
  private earlyDrop(): boolean {
    if (this.sweep(64) > 0) return true;
    const aged = this.aged;
    let looked = 0;
    for (let i = this.head; i < aged.length && looked < 256; i++) {
      const c = aged[i];
      if (!c.confirmed) continue;
      looked++;
      if (!c.assured) {
        this.remove(c);
        return true;
      }
    }
    return false;
  }

  /** Skips removed connections at the front; drops the holes when they are most of the list. */
  private compact(): void {
    const aged = this.aged;
    while (this.head < aged.length && !aged[this.head].confirmed) this.head++;
    if (aged.length > 64 && this.live < (aged.length - this.head) / 2) {
      this.aged = aged.filter((c) => c.confirmed);
      this.head = 0;
    } else if (this.head > 4096 && this.head > aged.length / 2) {
      this.aged = aged.slice(this.head);
      this.head = 0;
    }
  }
}

function nextTcpState(state: TcpState, direction: Direction, f: number): TcpState {
  if (f & TCP_FLAGS.RST) return 'CLOSE';
  if (f & TCP_FLAGS.SYN) {
    if (f & TCP_FLAGS.ACK) return direction === 'reply' && (state === 'SYN_SENT' || state === 'SYN_RECV') ? 'SYN_RECV' : state;
    return state === 'TIME_WAIT' || state === 'CLOSE' ? 'SYN_SENT' : state;
  }
  if (f & TCP_FLAGS.FIN) {
    if (state === 'ESTABLISHED' || state === 'SYN_RECV') return 'FIN_WAIT';
    if (state === 'FIN_WAIT' || state === 'CLOSE_WAIT') return 'LAST_ACK';
    return state;
  }
  if (f & TCP_FLAGS.ACK) {
    if (state === 'SYN_RECV' && direction === 'original') return 'ESTABLISHED';
    if (state === 'FIN_WAIT') return 'CLOSE_WAIT';
    if (state === 'LAST_ACK') return 'TIME_WAIT';
  }
  return state;
}

/** One side of a connection; `requestSide` for the original tuple (an ICMP query keeps its request's orientation there). */
function formatTuple(t: Tuple, requestSide: boolean): string {
  let out = `src=${formatIp(t.source)} dst=${formatIp(t.destination)}`;
  if (!isIcmpProtocol(t.protocol)) out += ` sport=${t.sourcePort} dport=${t.destinationPort}`;
  else out += ' ' + icmpTupleText(t, requestSide, t.protocol);
  return out;
}

/**
 * `tcp      6 431999 ESTABLISHED src=... dst=... sport=... dport=... src=... [ASSURED] mark=0 use=1`;
 * `icmp     1 29 src=... dst=... type=8 code=0 id=7 [UNREPLIED] src=... dst=... type=0 code=0 id=7 mark=0 use=1`.
 */
export function formatConnection(c: Connection, timeout: number): string {
  const p = c.original.protocol;
  let out = `${p.padEnd(8)} ${PROTOCOL_NUMBERS[p]} ${timeout}`;
  if (p === 'tcp') out += ' ' + c.state;
  out += ' ' + formatTuple(c.original, true);
  if (!c.seenReply) out += ' [UNREPLIED]';
  out += ' ' + formatTuple(c.reply, false);
  if (c.assured) out += ' [ASSURED]';
  out += ` mark=${c.mark} use=1`;
  return out;
}
