/**
 * One rule: the IP header fields the kernel checks itself (`-s`, `-d`, `-i`,
 * `-o`, `-p`, `-f`, as in `struct ipt_ip`), the `-m` matches in the order
 * they were given, an optional target, and counters. Rules are immutable
 * apart from their counters, so tables can share them between snapshots.
 */
import type { IpAddress } from './address';
import { PROTOCOL_NUMBERS, type Counters, type Match, type MatchContext, type Packet, type Target } from './types';

export interface AddressCondition {
  /** Network address, host bits already cleared: a number for IPv4, a bigint for IPv6 (both fields of one family). */
  readonly address: IpAddress;
  readonly mask: IpAddress;
  readonly invert: boolean;
}

export interface InterfaceCondition {
  /** As written, `+` wildcard included: "eth0", "veth+". */
  readonly name: string;
  readonly invert: boolean;
}

export interface ProtocolCondition {
  /** IP protocol number; never 0 (`-p all` is no condition). */
  readonly number: number;
  readonly invert: boolean;
}

export interface RuleInit {
  readonly source?: AddressCondition;
  readonly destination?: AddressCondition;
  readonly inInterface?: InterfaceCondition;
  readonly outInterface?: InterfaceCondition;
  readonly protocol?: ProtocolCondition;
  /** `-f` (true) or `! -f` (false). */
  readonly fragment?: boolean;
  readonly matches?: readonly Match[];
  readonly target?: Target;
  readonly counters?: Counters;
  /** Line of the restore text the rule came from. */
  readonly line?: number;
  /** That line as written, when the restore was asked to keep it (`keepSource`). */
  readonly sourceText?: string;
  /**
   * A rule with parts kube-netsim does not model, kept with `unsupported: 'keep'`:
   * its specification as given (what follows `-A CHAIN`), which iptables-save prints back as is.
   */
  readonly kept?: string;
}

const NO_MATCHES: readonly Match[] = Object.freeze([]);

let nextRuleId = 1;

/** Whether an interface name matches an `-i`/`-o` pattern (`+` at the end is a prefix wildcard). */
export function interfaceMatches(pattern: string, name: string | undefined): boolean {
  if (name === undefined) return false;
  const last = pattern.length - 1;
  if (last >= 0 && pattern.charCodeAt(last) === 43 /* + */) {
    return name.startsWith(pattern.slice(0, last));
  }
  return name === pattern;
}

/** `-s` / `-d`: the address lies in the condition's network (an address of the other family never does). */
function addressIn(address: IpAddress, c: AddressCondition): boolean {
  const mask = c.mask;
  if (typeof mask === 'number') return typeof address === 'number' && ((address & mask) >>> 0) === c.address;
  return typeof address === 'bigint' && (address & mask) === c.address;
}

export class Rule implements Counters {
  /** Process-wide unique and increasing: a stable id for traces. */
  readonly id: number;
  readonly source: AddressCondition | undefined;
  readonly destination: AddressCondition | undefined;
  readonly inInterface: InterfaceCondition | undefined;
  readonly outInterface: InterfaceCondition | undefined;
  readonly protocol: ProtocolCondition | undefined;
  readonly fragment: boolean | undefined;
  readonly matches: readonly Match[];
  /** Unset: the rule only counts (iptables-save prints no `-j`). */
  readonly target: Target | undefined;
  /** Packet and byte counters (the rule is its own `Counters`, to save an object per rule). */
  packets: number;
  bytes: number;
  readonly line: number | undefined;
  /** The restore line as written (`-A KUBE-SVC-X -m comment ...`), only with `keepSource`. */
  readonly sourceText: string | undefined;
  /** Kept as given (`unsupported: 'keep'`): the specification as written; unset for a modelled rule. */
  readonly kept: string | undefined;
  /** Has a match the traversal does not evaluate (an `unmodelled` one): it forks there. */
  readonly unmodelled: boolean;

  constructor(init: RuleInit) {
    this.id = nextRuleId++;
    this.source = init.source;
    this.destination = init.destination;
    this.inInterface = init.inInterface;
    this.outInterface = init.outInterface;
    this.protocol = init.protocol;
    this.fragment = init.fragment;
    this.matches = init.matches && init.matches.length > 0 ? init.matches : NO_MATCHES;
    this.target = init.target;
    this.packets = init.counters?.packets ?? 0;
    this.bytes = init.counters?.bytes ?? 0;
    this.line = init.line;
    this.sourceText = init.sourceText;
    this.kept = init.kept;
    let unmodelled = false;
    for (const m of this.matches) if (m.unmodelled === true) unmodelled = true;
    this.unmodelled = unmodelled;
  }

  get counters(): Counters {
    return this;
  }

  /** The id every rule created from now on will exceed. */
  static get lastId(): number {
    return nextRuleId - 1;
  }

  /** The IP header part of the rule (`-s -d -i -o -p -f`). */
  headerMatches(packet: Packet): boolean {
    const s = this.source;
    if (s !== undefined && addressIn(packet.source, s) === s.invert) return false;
    const d = this.destination;
    if (d !== undefined && addressIn(packet.destination, d) === d.invert) return false;
    const i = this.inInterface;
    if (i !== undefined && interfaceMatches(i.name, packet.inInterface) === i.invert) return false;
    const o = this.outInterface;
    if (o !== undefined && interfaceMatches(o.name, packet.outInterface) === o.invert) return false;
    const p = this.protocol;
    if (p !== undefined && (PROTOCOL_NUMBERS[packet.protocol] === p.number) === p.invert) return false;
    if (this.fragment !== undefined && (packet.fragment === true) !== this.fragment) return false;
    return true;
  }

  /**
   * Header and every match, in order, for one packet. Probabilistic matches
   * are sampled from `ctx.random`; an enumerating engine evaluates them itself.
   */
  matchesPacket(packet: Packet, ctx: MatchContext): boolean {
    if (!this.headerMatches(packet)) return false;
    for (const m of this.matches) if (!m.matches(packet, ctx)) return false;
    return true;
  }
}
