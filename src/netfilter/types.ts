/**
 * The netfilter vocabulary: every term of the emulated packet filter, named once.
 *
 * Where the kernel's IPv4 hooks sit, and which tables run at each one (in
 * priority order; lower runs first: raw -300, conntrack -200, mangle -150,
 * nat DNAT -100, filter 0, security 50, nat SNAT +100, conntrack confirm last;
 * security also runs after filter at FORWARD and OUTPUT):
 *
 *   wire                                                                      wire
 *    |                                                                          ^
 *    v                                                                          |
 *  [PREROUTING]-------> (routing) -------------> [FORWARD] --------------> [POSTROUTING]
 *   raw                    |                      mangle                     mangle
 *   conntrack lookup       |                      filter                     nat (SNAT, MASQUERADE)
 *   mangle                 |                                                 conntrack confirm
 *   nat (DNAT)             v                                                    ^
 *                      [INPUT]                                                  |
 *                       mangle                                              (routing)
 *                       filter                                                  |
 *                       nat (SNAT)                                          [OUTPUT]
 *                       conntrack confirm                                    raw
 *                          |                                                 conntrack lookup
 *                          v                                                 mangle
 *                    local process  ---------------------------------->      nat (DNAT)
 *                                                                            filter
 *
 * A packet walks the chain named after the hook in each of those tables.
 * Rules run in order; a rule matches when its IP header fields and every
 * `-m` match agree; its target then says what happens next (see `Target`).
 * A built-in chain that falls through applies its policy; a user chain that
 * falls through returns to the rule after the jump. The nat table only sees
 * the first packet of a connection: conntrack replays its decision (or "no
 * NAT") for every later packet, in both directions.
 *
 * Addresses are IPv4 unsigned 32-bit numbers or IPv6 128-bit bigints, one
 * family per ruleset and per packet (see address.ts).
 */
import type { IpAddress } from './address';
import type { Random } from '../common/random';
import type { IpsetStore } from './ipset/ipset-store';

// ---------------------------------------------------------------------------
// Hooks, tables, chains
// ---------------------------------------------------------------------------

export type Hook = 'PREROUTING' | 'INPUT' | 'FORWARD' | 'OUTPUT' | 'POSTROUTING';

/** The hooks in kernel order (NF_INET_PRE_ROUTING = 0 ... NF_INET_POST_ROUTING = 4). */
export const HOOKS: readonly Hook[] = ['PREROUTING', 'INPUT', 'FORWARD', 'OUTPUT', 'POSTROUTING'];

/** A bit per hook, in kernel order, for hook sets kept as masks. */
export const HOOK_BIT: Readonly<Record<Hook, number>> = {
  PREROUTING: 1,
  INPUT: 2,
  FORWARD: 4,
  OUTPUT: 8,
  POSTROUTING: 16,
};

/** The mask of a set of hooks (see `HOOK_BIT`). */
export function hookMask(hooks: readonly Hook[]): number {
  let mask = 0;
  for (const hook of hooks) mask |= HOOK_BIT[hook];
  return mask;
}

export type TableName = 'raw' | 'mangle' | 'nat' | 'filter' | 'security';

/** Tables in the order the kernel runs them at a hook (nat's SNAT side aside): security (50) after filter (0). */
export const TABLE_NAMES: readonly TableName[] = ['raw', 'mangle', 'nat', 'filter', 'security'];

/**
 * The order in which `iptables-save` (1.8.9, nf_tables backend) prints tables
 * that exist: its fixed table list is mangle, security, raw, filter, nat.
 */
export const SAVE_TABLE_ORDER: readonly TableName[] = ['mangle', 'security', 'raw', 'filter', 'nat'];

/** The built-in chains of each table, in kernel hook order. */
export const BUILTIN_CHAINS: Readonly<Record<TableName, readonly Hook[]>> = {
  raw: ['PREROUTING', 'OUTPUT'],
  mangle: ['PREROUTING', 'INPUT', 'FORWARD', 'OUTPUT', 'POSTROUTING'],
  nat: ['PREROUTING', 'INPUT', 'OUTPUT', 'POSTROUTING'],
  filter: ['INPUT', 'FORWARD', 'OUTPUT'],
  security: ['INPUT', 'FORWARD', 'OUTPUT'],
};

/**
 * Which tables a packet meets at each hook, in the order it meets them.
 * This is the data the traversal walks; the walker itself never names a table.
 */
export const HOOK_TABLES: Readonly<Record<Hook, readonly TableName[]>> = {
  PREROUTING: ['raw', 'mangle', 'nat'],
  INPUT: ['mangle', 'filter', 'security', 'nat'],
  FORWARD: ['mangle', 'filter', 'security'],
  OUTPUT: ['raw', 'mangle', 'nat', 'filter', 'security'],
  POSTROUTING: ['mangle', 'nat'],
};

/** What a built-in chain does with a packet that falls off its end. */
export type Policy = 'ACCEPT' | 'DROP';

export const DEFAULT_POLICY: Policy = 'ACCEPT';

/** Names no user chain may take: the standard verdicts. */
export const STANDARD_TARGET_NAMES: ReadonlySet<string> = new Set(['ACCEPT', 'DROP', 'QUEUE', 'RETURN']);

/** The longest chain name iptables accepts ("must be under 29 chars"). */
export const MAX_CHAIN_NAME_LENGTH = 28;

/** Packet and byte counters of a rule or of a built-in chain's policy. */
export interface Counters {
  packets: number;
  bytes: number;
}

// ---------------------------------------------------------------------------
// Verdicts and packets
// ---------------------------------------------------------------------------

/** How a packet leaves a hook. REJECT is a DROP that also answers the sender. */
export type Verdict = 'ACCEPT' | 'DROP' | 'REJECT';

/** How a traced path ends: a verdict, or UNKNOWN when it stopped at a kept rule whose target kube-netsim does not model. */
export type TraceVerdict = Verdict | 'UNKNOWN';

/** `icmpv6` is ICMPv6 (IP protocol 58, `-p ipv6-icmp`), the only one that exists only in IPv6. */
export type Protocol = 'tcp' | 'udp' | 'sctp' | 'icmp' | 'icmpv6';

/** The TTL (or hop limit) of a packet whose input gave none: Linux's default (net.ipv4.ip_default_ttl, net.ipv6.conf.all.hop_limit). */
export const DEFAULT_TTL = 64;

export const PROTOCOL_NUMBERS: Readonly<Record<Protocol, number>> = {
  icmp: 1,
  tcp: 6,
  udp: 17,
  icmpv6: 58,
  sctp: 132,
};

/** Connection-tracking state of a packet, as `-m conntrack --ctstate` sees it. */
export type CtState = 'NEW' | 'ESTABLISHED' | 'RELATED' | 'INVALID' | 'UNTRACKED';

/** TCP header flag bits, as `--tcp-flags` names them. */
export const TCP_FLAGS = {
  FIN: 0x01,
  SYN: 0x02,
  RST: 0x04,
  PSH: 0x08,
  ACK: 0x10,
  URG: 0x20,
} as const;

/** A packet's IP and transport header: what an ICMP error quotes of the packet that caused it, too (EmbeddedHeader). */
export interface PacketHeader {
  readonly protocol: Protocol;
  readonly source: IpAddress;
  readonly destination: IpAddress;
  /** Transport ports; 0 for ICMP. */
  readonly sourcePort: number;
  readonly destinationPort: number;
  readonly icmpType?: number;
  readonly icmpCode?: number;
  /** The identifier of an ICMP query (echo, timestamp, ...): the "port" conntrack keys it by and NAT may change. */
  readonly icmpId?: number;
}

/**
 * One packet as the rules see it. Immutable: a target that rewrites the
 * packet (MARK, NOTRACK, ...) returns a changed copy, so an engine that
 * enumerates several paths can keep each branch's packet.
 */
export interface Packet extends PacketHeader {
  /** An ICMP error's embedded header: the offending packet, as the error carries it (rewritten by NAT as the kernel does). */
  readonly inner?: EmbeddedHeader;
  /** TCP flags as a bit set of `TCP_FLAGS`; only meaningful for TCP. */
  readonly tcpFlags?: number;
  /** Interface the packet came in on; unset for locally generated packets (OUTPUT). */
  readonly inInterface?: string;
  /** Interface the packet leaves by; unset before routing (PREROUTING, INPUT). */
  readonly outInterface?: string;
  /** Bridge ports, when the packet crossed a bridge with br_netfilter (`-m physdev`). */
  readonly physInInterface?: string;
  readonly physOutInterface?: string;
  readonly bridged?: boolean;
  /** The Ethernet source of the frame it came in (`-m mac`), lower case; unset: no Ethernet header known (locally generated, a tun interface, or not given). */
  readonly sourceMac?: string;
  /** The packet mark (skb->mark), as MARK sets and `-m mark` tests. */
  readonly mark: number;
  /** Conntrack state, decided by the conntrack lookup before the tables run. */
  readonly ctstate: CtState;
  /** The connection has source / destination NAT (conntrack's virtual SNAT / DNAT states). */
  readonly ctSnat?: boolean;
  readonly ctDnat?: boolean;
  /** The connection mark (`CONNMARK`, `-m connmark`). */
  readonly ctmark?: number;
  /** The IP TTL (IPv6: the hop limit); unset: DEFAULT_TTL as the packet arrives. */
  readonly ttl?: number;
  /** The IP TOS byte (DSCP in its upper six bits, ECN below), as `-j DSCP` writes it; unset: 0. */
  readonly tos?: number;
  /** Total length in bytes, for counters; 0 when unknown. */
  readonly length?: number;
  /** A non-first fragment (`-f`). */
  readonly fragment?: boolean;
  /** The local socket that sent it (packets entering at OUTPUT); unset for packets that arrived from outside. */
  readonly socket?: SocketOwner;
  /** The local socket that takes an arriving packet (`-m socket`): its connection's or a listener; unset: none. */
  readonly localSocket?: LocalSocket;
}

/** A local socket an arriving packet reaches, as `-m socket` reads it. */
export interface LocalSocket {
  /** A listener bound to 0.0.0.0 (not the packet's destination address, nor a connected socket). */
  readonly wildcard: boolean;
  /** It has IP_TRANSPARENT (a TPROXY proxy's socket). */
  readonly transparent: boolean;
}

/** Who owns the socket a locally generated packet comes from, as `-m owner` reads it. */
export interface SocketOwner {
  /** The file's owner (its opener's fsuid). */
  readonly uid: number;
  /** The opener's fsgid. */
  readonly gid: number;
  /** Supplementary groups (`--suppl-groups`). */
  readonly groups: readonly number[];
}

/** The IP and transport header an ICMP error carries about the packet that caused it. */
export type EmbeddedHeader = PacketHeader;

// ---------------------------------------------------------------------------
// What matches and targets may consult
// ---------------------------------------------------------------------------

/** Route types, as `-m addrtype` names them (RTN_* in the kernel). */
export type AddressType =
  | 'UNSPEC'
  | 'UNICAST'
  | 'LOCAL'
  | 'BROADCAST'
  | 'ANYCAST'
  | 'MULTICAST'
  | 'BLACKHOLE'
  | 'UNREACHABLE'
  | 'PROHIBIT'
  | 'THROW'
  | 'NAT'
  | 'XRESOLVE';

/** In `-m addrtype`'s bit order (which is also the order iptables-save prints them in). */
export const ADDRESS_TYPES: readonly AddressType[] = [
  'UNSPEC',
  'UNICAST',
  'LOCAL',
  'BROADCAST',
  'ANYCAST',
  'MULTICAST',
  'BLACKHOLE',
  'UNREACHABLE',
  'PROHIBIT',
  'THROW',
  'NAT',
  'XRESOLVE',
];

/** What the rules may ask about the host the ruleset runs on. */
export interface HostView {
  /**
   * The route type of `address` on this host: `LOCAL` for the host's own
   * addresses, `BROADCAST`, `MULTICAST`, otherwise usually `UNICAST`. With
   * `iface`, answer as if only the routes of that interface existed
   * (`--limit-iface-in/out`).
   */
  addressType(address: IpAddress, iface?: string): AddressType;
  /**
   * The route to `destination` (local table first), for a reverse path
   * check (`-m rpfilter`): its kind and, when it has one, its device.
   * Optional: a view without it cannot answer.
   */
  lookup?(destination: IpAddress): { readonly kind: 'local' | 'broadcast' | 'unicast' | 'unreachable'; readonly interface?: string };
  /** Whether the named interface is a loopback device. */
  isLoopbackInterface?(name: string | undefined): boolean;
  /** The MTU of an interface (TCPMSS `--clamp-mss-to-pmtu`); unset or undefined: 1500. */
  mtu?(iface: string): number | undefined;
  /** The primary address of an interface (the first of its list, as REDIRECT takes it). */
  primaryAddress?(iface: string): number | undefined;
}

/** One address in an `xt_recent` list. */
export interface RecentEntry {
  /** When the address was seen, oldest first, in ms of the context's clock (at most 20 kept). */
  readonly stamps: readonly number[];
  /** The TTL of the packet that last refreshed the entry. */
  readonly ttl: number;
}

/** The named address lists of `-m recent` (global per network namespace). */
export interface RecentStore {
  get(list: string, address: number): RecentEntry | undefined;
  /** Records a sighting at `now` (creating the entry, evicting the oldest when the list is full). */
  touch(list: string, address: number, now: number, ttl: number): void;
  remove(list: string, address: number): void;
  /** `--reap`: drops the list's least recently seen entry when it was last seen before `cutoff`, unless it is `keep`. */
  reap(list: string, cutoff: number, keep: number): void;
}

/** Per-rule state that a stateful match keeps between packets (e.g. `statistic --mode nth`). */
export interface MatchStateStore {
  get(key: object): unknown;
  set(key: object, value: unknown): void;
}

/** `nfacct` accounting objects. */
export interface AccountingStore {
  count(name: string, packets: number, bytes: number): void;
}

/** One direction of a connection, as conntrack keeps it (addresses as numbers). */
export interface ConntrackTupleView {
  readonly protocol: Protocol;
  readonly source: IpAddress;
  readonly sourcePort: number;
  readonly destination: IpAddress;
  readonly destinationPort: number;
}

/** The packet's connection, as `-m conntrack`'s tuple, status, expiry and direction options read it. */
export interface ConntrackView {
  readonly original: ConntrackTupleView;
  /** The reply tuple, with the NAT bindings made so far. */
  readonly reply: ConntrackTupleView;
  /** Which of the two tuples the packet matched. */
  readonly direction: 'original' | 'reply';
  readonly seenReply: boolean;
  readonly assured: boolean;
  readonly confirmed: boolean;
  /** When the entry expires, in ms of the context's clock. */
  readonly expires: number;
  /**
   * Whether conntrack still holds a live connection with this original
   * tuple that is not closing (TCP TIME_WAIT or CLOSE): what `-m connlimit`
   * counts.
   */
  isOpen(original: ConntrackTupleView): boolean;
}

/**
 * Everything a match may consult besides the packet. The traversal engine
 * builds one per walk; it may hand out copy-on-write stores while it
 * enumerates branches, so matches must keep state only through these stores.
 */
export interface MatchContext {
  /** Milliseconds, from the injected Clock. */
  readonly now: number;
  /** Used only when a probabilistic match is sampled rather than enumerated. */
  readonly random: Random;
  readonly host: HostView;
  readonly recent: RecentStore;
  readonly state: MatchStateStore;
  readonly accounting?: AccountingStore;
  /** The namespace's ipsets (`-m set`); absent: no sets. */
  readonly ipsets?: IpsetStore;
  readonly hook?: Hook;
  readonly table?: TableName;
  /** The packet's connection; undefined when it has none (INVALID, UNTRACKED) or the caller tracks none. */
  readonly conntrack?: ConntrackView;
}

// ---------------------------------------------------------------------------
// Matches
// ---------------------------------------------------------------------------

/** A `-m` module instance inside one rule. */
export interface Match {
  /** The module name, as after `-m` ("tcp", "statistic"). */
  readonly name: string;
  /**
   * Present only on matches that are a pure random draw, independent of the
   * packet (`statistic --mode random`): the chance that the match succeeds,
   * negation already applied. An enumerating engine forks on it instead of
   * calling `matches`; a sampling engine calls `matches`, which draws from
   * `ctx.random`.
   */
  readonly probability?: number;
  /** True when `matches` reads or writes state in the context's stores (recent, nth, nfacct). */
  readonly stateful?: boolean;
  /** Hooks from which the rule may be reached; unset for "any". Checked when a table is committed. */
  readonly hooks?: readonly Hook[];
  /** A real iptables match kept but not modelled (`unsupported: 'keep'`): the traversal forks on it instead of calling `matches`. */
  readonly unmodelled?: boolean;
  /** For a match parsed and printed but not evaluated (`-m string`): why the trace forks there, in its steps. */
  readonly assumption?: string;
  matches(packet: Packet, ctx: MatchContext): boolean;
  /** Canonical `iptables-save` text of this match: "-m tcp --dport 80". */
  save(): string;
  /**
   * iptables-nft turns port and flag tests of `-m tcp` / `-m udp` into native
   * nftables expressions and, when saving, folds all of one rule's into the
   * first such match (later values win). Matches that take part name the
   * group here; the printer then prints `first.mergeForSave(later)` once.
   */
  readonly saveMergeKey?: string;
  mergeForSave?(later: Match): Match;
}

// ---------------------------------------------------------------------------
// Targets
// ---------------------------------------------------------------------------

export type RejectWith =
  | 'icmp-net-unreachable'
  | 'icmp-host-unreachable'
  | 'icmp-proto-unreachable'
  | 'icmp-port-unreachable'
  | 'icmp-net-prohibited'
  | 'icmp-host-prohibited'
  | 'icmp-admin-prohibited'
  | 'tcp-reset'
  | 'icmp6-no-route'
  | 'icmp6-adm-prohibited'
  | 'icmp6-addr-unreachable'
  | 'icmp6-port-unreachable';

/** An address and port range of a NAT target; unset fields keep the packet's own values. */
export interface NatRange {
  readonly minAddress?: IpAddress;
  readonly maxAddress?: IpAddress;
  readonly minPort?: number;
  readonly maxPort?: number;
}

/** What a NAT target asks the connection tracker to do. */
export interface NatAction {
  /**
   * DNAT rewrites the destination; SNAT and MASQUERADE the source (MASQUERADE: to the
   * out-interface's address); REDIRECT the destination, to the in-interface's primary
   * address (127.0.0.1 for locally generated packets).
   */
  readonly type: 'DNAT' | 'SNAT' | 'MASQUERADE' | 'REDIRECT';
  readonly range: NatRange;
  readonly random: boolean;
  readonly randomFully: boolean;
  readonly persistent: boolean;
}

/** A `LOG` record. */
export interface LogRecord {
  readonly prefix: string;
  /** syslog level 0-7. */
  readonly level: number;
}

/**
 * "What now?", as a target answers it:
 * - `verdict`: the packet leaves the hook now (ACCEPT ends this table's walk at this hook).
 * - `return`: back to the calling chain (or the policy, in a built-in chain).
 * - `jump` / `goto`: continue in the named chain; a goto does not come back here.
 * - `continue`: go on with the next rule, with the (possibly rewritten) packet
 *   and, for LOG, a record of what would be logged; `note` says in the trace
 *   step what the target did that the packet model does not show.
 *   A verdict's `note` likewise explains it (NFQUEUE: no queue reader).
 * - `nat`: record the NAT binding for the connection, then accept (ends the
 *   nat table's walk at this hook).
 * - `unmodelled`: a real target kube-netsim does not model (kept with
 *   `unsupported: 'keep'`): the packet goes on unchanged (`continues`), or the
 *   trace cannot follow it and stops there.
 */
export type TargetOutcome =
  | { readonly kind: 'verdict'; readonly verdict: Verdict; readonly rejectWith?: RejectWith; readonly note?: string }
  | { readonly kind: 'return' }
  | { readonly kind: 'jump'; readonly chain: string }
  | { readonly kind: 'goto'; readonly chain: string }
  | { readonly kind: 'continue'; readonly packet?: Packet; readonly log?: LogRecord; readonly note?: string }
  | { readonly kind: 'nat'; readonly nat: NatAction }
  | { readonly kind: 'unmodelled'; readonly continues: boolean };

export interface TargetContext {
  readonly now: number;
  /** The namespace's ipsets (`-j SET` changes them); absent: no sets. */
  readonly ipsets?: IpsetStore;
  /** The host (interface MTUs and addresses); the traversal always gives it. */
  readonly host?: HostView;
  readonly hook?: Hook;
  readonly table?: TableName;
}

/** The `-j` (or `-g`) part of a rule. */
export interface Target {
  /** "ACCEPT", "DNAT", or the chain name of a jump / goto. */
  readonly name: string;
  /** For jumps and gotos: the chain they enter (resolved by name when a table is loaded). */
  readonly chain?: string;
  readonly isGoto?: boolean;
  /** Hooks from which the rule may be reached; unset for "any". Checked when a table is committed. */
  readonly hooks?: readonly Hook[];
  /** Whether loading it enables conntrack in the namespace, when its name alone does not say (CT: all but `--notrack`); see conntrack-users.ts. */
  readonly needsConntrack?: boolean;
  apply(packet: Packet, ctx: TargetContext): TargetOutcome;
  /** Canonical `iptables-save` text: "-j DNAT --to-destination 10.244.1.2:80", "-g KUBE-X". */
  save(): string;
}

// ---------------------------------------------------------------------------
// Traces: what the engine answers about one packet
// ---------------------------------------------------------------------------

/** Where the engine lets a packet in: arriving on an interface, or sent by a local process. */
export type EntryHook = 'PREROUTING' | 'OUTPUT';

/**
 * Where a packet ends when it is not dropped: `local`, to a socket of this
 * host; `forward`, out of an interface (`outInterface`), whether the host
 * forwarded it or sent it itself.
 */
export type Delivery = 'local' | 'forward';

/** Why a packet was dropped when no rule dropped it. */
export type DropReason =
  | 'no-route'
  | 'martian-source'
  | 'martian-destination'
  | 'ttl-exceeded'
  | 'masquerade-no-address'
  | 'redirect-no-address'
  | 'conntrack-table-full'
  | 'conntrack-clash';

/**
 * One thing that happened to the packet: a rule that matched (its target's
 * action), a chain policy, or the conntrack and routing machinery between
 * the tables (`table` 'conntrack' / 'routing', no chain or rule).
 */
/** An nftables table as a trace step names it: family and name (`ip kube-proxy`). */
export type NftTableLabel = `${'ip' | 'ip6' | 'inet'} ${string}`;

/** Where a step happened: an iptables table, an nft table, or the machinery between them. */
export type StepTable = TableName | NftTableLabel;

export interface TraceStep {
  readonly hook: Hook;
  readonly table: StepTable | 'conntrack' | 'routing';
  readonly chain: string | null;
  /** 1-based position in the chain; null for a policy or a machinery step. */
  readonly ruleNumber: number | null;
  /** The rule as iptables-save prints it (`-A CHAIN ...`), or an nft rule as written with its comment and `# handle N`; null for a policy or a machinery step. */
  readonly rule: string | null;
  /** What it did: "jump KUBE-SVC-X", "DNAT to 10.244.1.5:8080", "policy ACCEPT", ... */
  readonly action: string;
}
