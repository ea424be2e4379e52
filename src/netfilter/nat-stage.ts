/**
 * The NAT stage of a hook, as the kernel's NAT core runs it: destination NAT
 * at -100 (PREROUTING, OUTPUT), source NAT at +100 (INPUT, POSTROUTING). A
 * connection's first packet walks the nat table (and nat-type nft chains, by
 * priority) until a rule binds a mapping, or gets a null binding; every
 * packet, in both directions, then takes the connection's translation, its
 * embedded header too when it is an ICMP error.
 */
import type { IpAddress } from './address';
import { invertTuple, type Connection, type ConnectionTracker, type Tuple } from './conntrack';
import type { Host } from './host';
import { isIcmpProtocol, isIcmpQuery } from './icmp';
import { applyMapping, chooseMapping, type NatChoice } from './nat';
import { stopped, verdictOf, type Ending } from './outcome';
import { embeddedText, endpoint } from './packet-view';
import type { Run } from './path-run';
import type { Rule } from './rule';
import type { Ruleset } from './ruleset';
import { walkChain, type ForeignRule, type HookEntry, type HookEntrySource, type WalkResult } from './traversal';
import type { EmbeddedHeader, Hook, NatAction, StepTable } from './types';

/** 127.0.0.1: where REDIRECT sends a locally generated packet. */
const LOOPBACK_ADDRESS = 0x7f000001;

const NO_ENTRIES: readonly HookEntry[] = Object.freeze([]);

/** A host's NAT stage; `reroute` routes a packet again once OUTPUT's destination NAT changed its destination. */
export class NatStage {
  constructor(
    private readonly ruleset: Ruleset,
    private readonly host: Host,
    private readonly conntrack: ConnectionTracker,
    private readonly nftables: HookEntrySource | undefined,
    private readonly reroute: (run: Run) => Ending | undefined,
  ) {}

  /**
   * nat at a hook (-100 for destination NAT at PREROUTING / OUTPUT, +100 for
   * source NAT at INPUT / POSTROUTING): the first packet of a connection
   * walks the nat chain and makes the binding (or a null binding); every
   * packet then gets the connection's translation for this side.
   */
  apply(run: Run, hook: Hook, manip: 'DST' | 'SRC'): Ending | undefined {
    const c = run.conn;
    if (c === undefined) return undefined; // untracked or invalid: no NAT
    const table = this.ruleset.table('nat');
    const entries = this.natEntries(hook);
    if (table === undefined && entries.length === 0) return undefined;
    const done = manip === 'DST' ? run.dstDone : run.srcDone;
    if (run.isNew && !done && run.ctstate !== 'RELATED') {
      if (manip === 'DST') run.dstDone = true;
      else run.srcDone = true;
      // The nat table (at -100 / +100) and nat-type nft chains, by priority, until one binds.
      const iptablesAt = manip === 'DST' ? -100 : 100;
      let bound = false;
      let iptablesDone = table === undefined;
      for (let k = 0; k <= entries.length && !bound; k++) {
        let result: WalkResult;
        if (!iptablesDone && (k === entries.length || entries[k].priority >= iptablesAt)) {
          iptablesDone = true;
          k--;
          result = walkChain(run, table!, hook);
        } else if (k < entries.length) {
          result = entries[k].walk(run);
        } else break;
        if (result.kind === 'drop' || result.kind === 'reject') return verdictOf(result);
        if (result.kind === 'unmodelled') return stopped(run, result);
        if (result.kind === 'nat') {
          const ended = this.bind(run, manip, result.nat, result);
          if (ended) return ended;
          bound = true;
        }
      }
      if (!bound && manip === 'SRC') this.nullBinding(run);
    }
    return this.translate(run, hook, manip);
  }

  /** The nat-type nft chains at a hook, by priority. */
  private natEntries(hook: Hook): readonly HookEntry[] {
    const source = this.nftables;
    if (source === undefined) return NO_ENTRIES;
    const all = source.entries(hook, this.ruleset.family);
    let nat: HookEntry[] | undefined;
    for (const e of all) if (e.nat) (nat ??= []).push(e);
    return nat ?? NO_ENTRIES;
  }

  /** Makes a NAT rule's mapping for a new connection. */
  private bind(run: Run, manip: 'DST' | 'SRC', action: NatAction, at: { rule: Rule | ForeignRule; chain: string; position: number; table?: StepTable }): Ending | undefined {
    const c = run.conn!;
    const p = run.packet;
    let address: IpAddress | undefined;
    if (action.type === 'MASQUERADE') {
      const out = p.outInterface;
      address = out === undefined ? undefined : this.host.masqueradeAddress(out, run.nextHop ?? p.destination);
      if (address === undefined) {
        run.record(at.table ?? 'nat', at.chain, at.position, at.rule, `MASQUERADE: ${out ?? 'the out interface'} has no address: dropped`);
        return { verdict: 'DROP', delivery: null, reason: 'masquerade-no-address' };
      }
    } else if (action.type === 'REDIRECT') {
      // nf_nat_redirect_ipv4: to 127.0.0.1 from OUTPUT, else to the incoming interface's primary address.
      const into = p.inInterface;
      address = run.hook === 'OUTPUT' ? LOOPBACK_ADDRESS : into === undefined ? undefined : this.host.primaryAddress(into);
      if (address === undefined) {
        run.record(at.table ?? 'nat', at.chain, at.position, at.rule, `REDIRECT: ${into ?? 'the in interface'} has no address: dropped`);
        return { verdict: 'DROP', delivery: null, reason: 'redirect-no-address' };
      }
    }
    const current = invertTuple(c.reply);
    const choice = this.choose(run, action, manip, address);
    const protocol = c.original.protocol;
    // The connection is NATed only when the mapping changes the tuple (as IPS_SRC_NAT / IPS_DST_NAT);
    // the outcome reports the rule's mapping either way.
    if (manip === 'DST') {
      // An ICMP query's id (its "port") sits on the tuple's source side either way.
      const changed = choice.address !== current.destination || choice.port !== (isIcmpProtocol(protocol) ? current.sourcePort : current.destinationPort);
      run.setDnat(choice.address, choice.port);
      if (changed) {
        applyMapping(c, manip, choice);
        c.dnat = true;
        run.own().ctDnat = true;
      }
    } else {
      const changed = choice.address !== current.source || choice.port !== current.sourcePort;
      run.setSnat(choice.address, choice.port);
      run.snatPortRandom = choice.portRandom;
      if (action.type === 'MASQUERADE') {
        run.masquerade = true;
        c.masquerade = true;
        c.masqueradeInterface = p.outInterface;
      }
      if (changed) {
        applyMapping(c, manip, choice);
        c.snat = true;
        run.own().ctSnat = true;
      }
    }
    run.record(at.table ?? 'nat', at.chain, at.position, at.rule, () => `${action.type} to ${endpoint(choice.address, choice.port, protocol)}${choice.portRandom ? ' (port chosen at random by the kernel)' : ''}`);
    return undefined;
  }

  /** No SNAT rule matched: the source stays, unless the reply tuple is taken (then only the port changes). */
  private nullBinding(run: Run): void {
    const c = run.conn!;
    // The usual case: nobody else holds the reply tuple, and the source stays as it is.
    if (!this.conntrack.isTaken(c.reply, c)) return;
    const current = invertTuple(c.reply);
    const nullAction: NatAction = { type: 'SNAT', range: {}, random: false, randomFully: false, persistent: false };
    const choice = this.choose(run, nullAction, 'SRC', current.source);
    if (choice.address === current.source && choice.port === current.sourcePort) return;
    applyMapping(c, 'SRC', choice);
    c.snat = true;
    run.snatPortRandom = choice.portRandom;
    run.note('conntrack', `source port ${current.sourcePort} is taken by another connection: remapped to ${choice.port}`);
  }

  private choose(run: Run, action: NatAction, manip: 'DST' | 'SRC', address: IpAddress | undefined): NatChoice {
    const c = run.conn!;
    const current = invertTuple(c.reply);
    const taken = (reply: Tuple): boolean => this.conntrack.isTaken(reply, c);
    return chooseMapping(action, manip, current, taken, run.sampling ? run.ctx.random : undefined, address);
  }

  /** Applies the connection's NAT for this side to the packet (both directions). */
  private translate(run: Run, hook: Hook, manip: 'DST' | 'SRC'): Ending | undefined {
    const c = run.conn!;
    const p = run.packet;
    const original = run.direction !== 'reply';
    const related = run.ctstate === 'RELATED';
    const icmp = isIcmpProtocol(p.protocol) || related;
    // An ICMP query's id is its "port": the one the other side's tuple expects.
    const icmpId = isIcmpProtocol(p.protocol) && !related && isIcmpQuery(p.icmpType, p.protocol) ? (original ? c.reply.destinationPort : c.original.sourcePort) : undefined;
    if (manip === 'DST') {
      // Original direction: the DNAT; reply direction: undo the SNAT.
      const applies = original ? c.dnat : c.snat;
      if (!applies) return undefined;
      if (related && p.inner !== undefined) this.translateInner(run, c, original, manip);
      const address = original ? c.reply.source : c.original.source;
      const port = icmp ? p.destinationPort : original ? c.reply.sourcePort : c.original.sourcePort;
      if (address === p.destination && port === p.destinationPort && (icmpId === undefined || icmpId === p.icmpId)) return undefined;
      const q = run.own();
      q.destination = address;
      q.destinationPort = port;
      if (icmpId !== undefined) q.icmpId = icmpId;
      run.setDnat(address, port);
      if (!run.isNew || !original) {
        const protocol = p.protocol;
        run.note('conntrack', () => `${original ? 'DNAT' : 'reverse SNAT'} from the connection: destination ${endpoint(address, port, protocol)}`);
      }
      if (hook === 'OUTPUT') return this.reroute(run);
    } else {
      // Original direction: the SNAT; reply direction: undo the DNAT.
      const applies = original ? c.snat : c.dnat;
      if (!applies) return undefined;
      if (related && p.inner !== undefined) this.translateInner(run, c, original, manip);
      const address = original ? c.reply.destination : c.original.destination;
      const port = icmp ? p.sourcePort : original ? c.reply.destinationPort : c.original.destinationPort;
      if (address === p.source && port === p.sourcePort && (icmpId === undefined || icmpId === p.icmpId)) return undefined;
      const q = run.own();
      q.source = address;
      q.sourcePort = port;
      if (icmpId !== undefined) q.icmpId = icmpId;
      run.setSnat(address, port);
      if (original && c.masquerade) run.masquerade = true;
      if (!original) run.masquerade = false;
      if (!run.isNew || !original) {
        const protocol = p.protocol;
        const masquerade = c.masquerade;
        run.note('conntrack', () => `${original ? (masquerade ? 'MASQUERADE' : 'SNAT') : 'reverse DNAT'} from the connection: source ${endpoint(address, port, protocol)}`);
      }
    }
    return undefined;
  }

  /**
   * An ICMP error's embedded header, rewritten as `nf_nat_icmp_reply_translation`
   * does: with the opposite manipulation to the outer header's, towards the
   * tuple of the connection's other direction, so that the header the error
   * carries is the packet its receiver sent (a client's packet to a Service
   * comes back naming the Service address, not the pod's).
   */
  private translateInner(run: Run, c: Connection, original: boolean, manip: 'DST' | 'SRC'): void {
    const inner = run.packet.inner!;
    const other = original ? c.reply : c.original;
    const id = isIcmpProtocol(inner.protocol) ? (original ? c.reply.destinationPort : c.original.sourcePort) : undefined;
    let next: EmbeddedHeader;
    if (manip === 'DST') {
      // The outer destination changes: the embedded packet's source does.
      next = { ...inner, source: other.source, sourcePort: isIcmpProtocol(inner.protocol) ? inner.sourcePort : other.sourcePort };
    } else {
      next = { ...inner, destination: other.destination, destinationPort: isIcmpProtocol(inner.protocol) ? inner.destinationPort : other.destinationPort };
    }
    if (id !== undefined && inner.icmpId !== undefined) next = { ...next, icmpId: id };
    if (next.source === inner.source && next.destination === inner.destination && next.sourcePort === inner.sourcePort && next.destinationPort === inner.destinationPort && next.icmpId === inner.icmpId) return;
    run.own().inner = next;
    const text = embeddedText(next);
    run.note('conntrack', () => `the error's embedded header rewritten to ${text}`);
  }
}
