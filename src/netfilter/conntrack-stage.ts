/**
 * Connection tracking on a path: the lookup (priority -200, after raw) that
 * attaches a packet to its connection or starts one, RELATED packets (ICMP
 * errors, this host's answers to packets it refused), and confirmation
 * (last, at POSTROUTING or INPUT), when a new connection enters the table.
 * A sampled path writes the table; an enumerated one only reads it.
 */
import { defaultTcpFlags, invertTuple, newConnectionState, type Connection, type ConnectionTracker, type Direction, type Tuple } from './conntrack';
import { icmpTypeText, isIcmpError, isIcmpProtocol, isIcmpUntracked, tuplePorts } from './icmp';
import type { Ending } from './outcome';
import type { Run } from './path-run';
import type { Ruleset } from './ruleset';
import type { HookEntrySource } from './traversal';
import type { CtState } from './types';

/** The conntrack stages of a host's hooks, on its connection table. */
export class ConntrackStage {
  constructor(
    private readonly ruleset: Ruleset,
    private readonly conntrack: ConnectionTracker,
    private readonly nftables: HookEntrySource | undefined,
  ) {}

  /** The lookup of a run: a sampled packet also clears an expired entry, as the kernel's lookup does; enumeration changes nothing. */
  private lookup(run: Run, tuple: Tuple): { connection: Connection; direction: Direction } | undefined {
    return run.sampling ? this.conntrack.lookup(tuple) : this.conntrack.find(tuple);
  }

  /**
   * The conntrack lookup for the packet's own tuple, made once per path as
   * soon as the tuple is known (before raw, so that TCP flags left unset can
   * be what the connection would send next); the conntrack stage reuses it
   * (raw can change no address or port).
   */
  firstLookup(run: Run): { connection: Connection; direction: Direction } | undefined {
    if (!run.looked) {
      const p = run.packet;
      const ports = isIcmpProtocol(p.protocol) ? tuplePorts(p) : p;
      run.found = this.lookup(run, { protocol: p.protocol, source: p.source, sourcePort: ports.sourcePort, destination: p.destination, destinationPort: ports.destinationPort });
      run.looked = true;
      if (p.protocol === 'tcp' && p.tcpFlags === undefined) run.own().tcpFlags = defaultTcpFlags(run.found);
    }
    return run.found;
  }

  /** Keeps a sampled packet's connection mark in its connection (CONNMARK writes the connection at once). */
  keepConnectionMark(run: Run): void {
    const c = run.conn;
    if (c !== undefined && run.packet.ctmark !== undefined && c.mark !== run.packet.ctmark) c.mark = run.packet.ctmark;
  }

  /** The conntrack lookup (priority -200): attach the packet to its connection, or start one. */
  attach(run: Run): void {
    if (run.attached) return; // back in from lo: the packet keeps its connection
    if (!this.ruleset.tracksConnections && this.nftables?.usesConntrack !== true) {
      run.note('conntrack', 'off: no rule in this namespace uses connection tracking, so the kernel tracks nothing (no connection, nat rules do not run)');
      return;
    }
    const p = run.packet;
    if (p.ctstate === 'UNTRACKED') {
      run.ctstate = 'UNTRACKED';
      run.note('conntrack', 'not tracked (NOTRACK in raw)');
      return;
    }
    if (run.attachedTo !== undefined) {
      this.attachedIn(run, run.attachedTo.connection, run.attachedTo.direction === 'original' ? 'reply' : 'original');
      return;
    }
    if (run.related !== undefined || (isIcmpProtocol(p.protocol) && isIcmpError(p.icmpType, p.protocol))) {
      this.relatedIn(run);
      return;
    }
    if (isIcmpProtocol(p.protocol) && isIcmpUntracked(p.icmpType, p.protocol)) {
      // nf_conntrack_icmpv6's noct_valid_new: Neighbour Discovery, MLD and multicast router discovery are never tracked.
      run.ctstate = 'UNTRACKED';
      run.own().ctstate = 'UNTRACKED';
      const type = icmpTypeText(p.icmpType!, p.icmpCode ?? 0, p.protocol);
      run.note('conntrack', () => `UNTRACKED: conntrack never tracks ICMPv6 ${type} (nf_conntrack_icmpv6 noct_valid_new)`);
      return;
    }
    const found = this.firstLookup(run);
    if (found !== undefined) {
      const c = found.connection;
      const state: CtState = found.direction === 'reply' || c.seenReply ? 'ESTABLISHED' : 'NEW';
      run.conn = c;
      run.direction = found.direction;
      run.ctstate = state;
      run.attached = true;
      if (run.sampling) this.conntrack.update(c, found.direction, p.tcpFlags ?? 0);
      const q = run.own();
      q.ctstate = state;
      q.ctDnat = c.dnat;
      q.ctSnat = c.snat;
      q.ctmark = c.mark;
      const direction = found.direction;
      const dnat = c.dnat;
      const snat = c.snat;
      run.note('conntrack', () => `${state}: ${direction} direction of a known connection${dnat ? ' (DNAT)' : ''}${snat ? ' (SNAT)' : ''}`);
      return;
    }
    const started = newConnectionState(p.protocol, p.tcpFlags ?? 0, p.icmpType);
    if (started.ctstate === 'INVALID') {
      run.ctstate = 'INVALID';
      run.own().ctstate = 'INVALID';
      run.note('conntrack', 'INVALID: no connection, and the packet cannot start one');
      return;
    }
    const ports = isIcmpProtocol(p.protocol) ? tuplePorts(p) : p;
    const c = this.conntrack.create({ protocol: p.protocol, source: p.source, sourcePort: ports.sourcePort, destination: p.destination, destinationPort: ports.destinationPort }, started.state);
    run.conn = c;
    run.isNew = true;
    run.direction = 'original';
    run.ctstate = 'NEW';
    run.attached = true;
    const q = run.own();
    q.ctstate = 'NEW';
    q.ctDnat = false;
    q.ctSnat = false;
    q.ctmark = 0;
    run.note('conntrack', 'NEW: first packet of a connection');
  }

  /** An ICMP error about a known connection is RELATED to it; else INVALID. */
  private relatedIn(run: Run): void {
    const inner = run.related;
    const found = inner === undefined ? undefined : this.lookup(run, invertTuple(inner));
    if (found === undefined) {
      run.ctstate = 'INVALID';
      run.own().ctstate = 'INVALID';
      run.note('conntrack', 'INVALID: an ICMP error about no known connection');
      return;
    }
    this.attachedIn(run, found.connection, found.direction);
    run.note('conntrack', `RELATED: an ICMP error about a known connection (${found.direction} direction)`);
  }

  /** The packet is RELATED to `c` in `direction` (an ICMP error about it, or this host's answer to a packet it refused). */
  private attachedIn(run: Run, c: Connection, direction: Direction): void {
    run.conn = c;
    run.direction = direction;
    run.ctstate = 'RELATED';
    run.attached = true;
    const q = run.own();
    q.ctstate = 'RELATED';
    q.ctDnat = c.dnat;
    q.ctSnat = c.snat;
    q.ctmark = c.mark;
    if (run.attachedTo !== undefined) run.note('conntrack', `RELATED: this host's answer to a packet it refused (${direction} direction of its connection)`);
  }

  /** Conntrack confirmation (last, at POSTROUTING or INPUT): a new connection enters the table. */
  confirm(run: Run): Ending | undefined {
    const c = run.conn;
    if (c === undefined || !run.isNew || run.confirmed) return undefined;
    c.mark = run.packet.ctmark ?? c.mark;
    run.confirmed = true;
    if (!run.sampling) return undefined;
    const before = this.conntrack.size;
    if (!this.conntrack.confirm(c)) {
      const full = before >= this.conntrack.maxEntries;
      run.note('conntrack', full ? 'table full: dropped' : 'the connection clashes with another: dropped');
      return { verdict: 'DROP', delivery: null, reason: full ? 'conntrack-table-full' : 'conntrack-clash' };
    }
    return undefined;
  }
}
