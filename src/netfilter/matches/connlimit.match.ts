/**
 * `-m connlimit --connlimit-upto|--connlimit-above N [--connlimit-mask BITS]
 * [--connlimit-saddr|--connlimit-daddr]`: how many connections share the
 * packet's source (or destination) network, as xt_connlimit counts them.
 *
 * Each rule keeps its own lists, one per masked address: a packet whose
 * connection is not confirmed yet (its first packet) adds that connection;
 * the count is the number of listed connections that conntrack still holds
 * and that are not closing (a TCP connection in TIME_WAIT or CLOSE no longer
 * counts), this one included. `--connlimit-above N` matches when the count
 * is above N, `--connlimit-upto N` when it is not. A packet of a confirmed
 * connection adds nothing and is counted against the others (Linux 6.x).
 *
 * Like the kernel, the lists belong to the rule: a reload of the rules
 * starts them empty (connections made before are not counted again until
 * they send through the new rule a packet that adds them: none, when the
 * rule tests first packets only, as it usually does).
 */
import { v4 } from '../address';
import { RuleSyntaxError, findOption, refuseTogether, type MatchModule } from '../module';
import { maskToPrefix, parseAddress, parseUnsigned, prefixToMask } from '../text/values';
import type { ConntrackTupleView, Match, MatchContext, MatchStateStore, Packet } from '../types';

/** The rule's lists, and the store whose copy they are (see `writable`). */
interface Lists {
  readonly owner: MatchStateStore;
  /** Masked address -> original tuples of the connections counted. */
  readonly byKey: Map<number, ConntrackTupleView[]>;
}

function sameTuple(a: ConntrackTupleView, b: ConntrackTupleView): boolean {
  return a.source === b.source && a.destination === b.destination && a.sourcePort === b.sourcePort && a.destinationPort === b.destinationPort && a.protocol === b.protocol;
}

export class ConnlimitMatch implements Match {
  readonly name = 'connlimit';
  readonly stateful = true;
  readonly mask: number;

  constructor(
    readonly limit: number,
    /** `--connlimit-above` (otherwise `--connlimit-upto`). */
    readonly above: boolean,
    readonly prefix: number,
    /** `--connlimit-daddr` (otherwise the source address). */
    readonly byDestination: boolean,
  ) {
    this.mask = prefixToMask(prefix);
  }

  private writable(ctx: MatchContext): Lists {
    const current = ctx.state.get(this) as Lists | undefined;
    if (current?.owner === ctx.state) return current;
    return { owner: ctx.state, byKey: new Map(current === undefined ? [] : [...current.byKey].map(([k, list]) => [k, list.slice()])) };
  }

  matches(packet: Packet, ctx: MatchContext): boolean {
    const ct = ctx.conntrack;
    const key = (v4(this.byDestination ? packet.destination : packet.source) & this.mask) >>> 0;
    if (ct === undefined) {
      // No connection (INVALID, UNTRACKED): the packet counts once, beside the listed ones, and is not kept.
      const listed = (ctx.state.get(this) as Lists | undefined)?.byKey.get(key)?.length ?? 0;
      return listed + 1 > this.limit === this.above;
    }
    const lists = this.writable(ctx);
    const listed = lists.byKey.get(key) ?? [];
    // Drop what conntrack no longer holds (or holds closing).
    const live = listed.filter((t) => sameTuple(t, ct.original) || ct.isOpen(t));
    if (!ct.confirmed && !live.some((t) => sameTuple(t, ct.original))) live.push(ct.original);
    if (live.length === 0) lists.byKey.delete(key);
    else lists.byKey.set(key, live);
    ctx.state.set(this, lists);
    return live.length > this.limit === this.above;
  }

  save(): string {
    return `-m connlimit --connlimit-${this.above ? 'above' : 'upto'} ${this.limit} --connlimit-mask ${this.prefix} --connlimit-${this.byDestination ? 'daddr' : 'saddr'}`;
  }
}

export const connlimitMatchModule: MatchModule = {
  kind: 'match',
  name: 'connlimit',
  options: [
    { name: 'connlimit-upto', args: 1, invertible: true },
    { name: 'connlimit-above', args: 1, invertible: true },
    { name: 'connlimit-mask', args: 1 },
    { name: 'connlimit-saddr', args: 0 },
    { name: 'connlimit-daddr', args: 0 },
  ],
  build(options) {
    refuseTogether(options, 'connlimit', ['connlimit-upto', 'connlimit-above']);
    refuseTogether(options, 'connlimit', ['connlimit-saddr', 'connlimit-daddr']);
    const given = findOption(options, 'connlimit-upto') ?? findOption(options, 'connlimit-above');
    if (given === undefined) throw new RuleSyntaxError('You must specify "--connlimit-above" or "--connlimit-upto".');
    const limit = parseUnsigned(given.args[0]);
    if (limit === undefined) throw new RuleSyntaxError(`connlimit: bad value for option "${given.spelled}", or out of range (0-4294967295).`);
    const above = (given.name === 'connlimit-above') !== given.inverted;
    const maskOption = findOption(options, 'connlimit-mask');
    let prefix = 32;
    if (maskOption !== undefined) {
      const text = maskOption.args[0];
      const dotted = text.includes('.') ? parseAddress(text) : undefined;
      const bits = dotted === undefined ? parseUnsigned(text, 255) : maskToPrefix(dotted);
      if (bits === undefined || bits < 0) throw new RuleSyntaxError(`connlimit: bad value for option "${maskOption.spelled}": "${text}"`);
      // iptables keeps a 128-bit mask: an IPv4 rule sees at most 32 of its bits.
      prefix = Math.min(bits, 32);
    }
    return new ConnlimitMatch(limit, above, prefix, findOption(options, 'connlimit-daddr') !== undefined);
  },
};
