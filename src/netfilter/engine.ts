/**
 * The traversal engine: where a packet goes through a host's netfilter
 * rules, as Linux sends it.
 *
 *   PREROUTING (arriving on `inInterface`)       OUTPUT (sent by a local process)
 *        |                                        route lookup (source, out interface)
 *        v                                             |
 *   [HOOK_STAGES.PREROUTING]                      [HOOK_STAGES.OUTPUT] (re-route after DNAT)
 *        |                                             |
 *   routing: local? ---- yes ----> [INPUT] -> local    |
 *        | no                                          v
 *        v                                        [POSTROUTING] -> out interface
 *   [FORWARD] -> [POSTROUTING] -> out interface        (out by lo: back in at PREROUTING)
 *
 * Each hook runs the stages of `HOOK_STAGES` (traversal.ts) in order:
 * tables, the conntrack lookup, nat's two sides and conntrack confirmation.
 * NAT rules run only for a connection's first packet; the mapping (or "no
 * NAT") is kept in the connection and replayed for every later packet, in
 * both directions. See docs/netfilter.md for the full account.
 *
 * Two modes:
 * - `enumerate(packet)` returns every path with its exact probability,
 *   forking at each `statistic --mode random` match, and changes nothing
 *   (recent lists, counters, nth counters and conntrack are read, never
 *   written: each path runs on copy-on-write forks).
 * - `sample(packet)` takes one path, drawing from the engine's `Random` as
 *   the kernel draws, and keeps its effects: the connection is confirmed
 *   into the conntrack table, recent lists and counters are updated.
 *
 * The engine holds the path's course (hooks, routing decisions, the loop
 * back in from lo) and the enumeration; its parts live beside it:
 * trace-input.ts reads a trace's input into a packet, path-run.ts holds one
 * path's state (`Run`), conntrack-stage.ts and nat-stage.ts are the
 * conntrack and nat stages, outcome.ts makes a path's outcome, with its
 * steps (trace-steps.ts) and packet views (packet-view.ts).
 */
import { SystemClock, type Clock } from '../common/clock';
import { DomainError } from '../common/domain-error';
import { cidrContains } from '../common/ipv4';
import { unseededRandom, type Random } from '../common/random';
import { formatIp, type IpAddress } from './address';
import { ConnectionTracker } from './conntrack';
import { ConntrackStage } from './conntrack-stage';
import { Host } from './host';
import { icmpTuplePorts, isIcmpProtocol } from './icmp';
import type { IpsetStore } from './ipset/ipset-store';
import { NatStage } from './nat-stage';
import { Outcome, stopped, verdictOf, type Ending, type TraceOutcome } from './outcome';
import { Run } from './path-run';
import { InMemoryRecentStore, MapMatchState } from './recent-store';
import type { Ruleset } from './ruleset';
import { TraceInputReader, type TraceInput } from './trace-input';
import { HOOK_STAGES, mergeStages, walkChain, type HookEntry, type HookEntrySource, type Stage } from './traversal';
import type { AccountingStore, Hook, Packet, TableName } from './types';

export interface EngineOptions {
  readonly ruleset: Ruleset;
  /** Default: `Host.defaultNode()` (eth0 192.168.0.2/24, default route via 192.168.0.1). */
  readonly host?: Host;
  readonly clock?: Clock;
  /** Draws for sample mode (statistic, NAT ports). */
  readonly random?: Random;
  /** Default: a new table on the same clock. */
  readonly conntrack?: ConnectionTracker;
  readonly recent?: InMemoryRecentStore;
  /** Default: a new store (the nth counters of `statistic --mode nth`). */
  readonly matchState?: MapMatchState;
  readonly accounting?: AccountingStore;
  /** The namespace's ipsets (`-m set`, `-j SET`); default: none. Sample mode changes them; enumerate mode works on forks. */
  readonly ipsets?: IpsetStore;
  /** Walk every rule of every chain instead of using the index (for comparison). */
  readonly linear?: boolean;
  /**
   * The host's nftables base chains (`nftHookEntries`), run at each hook
   * with the iptables tables by priority, sharing the one conntrack.
   */
  readonly nftables?: HookEntrySource;
  /** Keep the steps of each path (default true). */
  readonly recordSteps?: boolean;
  /** Enumerate mode refuses packets with more paths than this (default 10,000). */
  readonly maxPaths?: number;
  /** Called for every LOG target a sampled packet hits. */
  readonly onLog?: (entry: { prefix: string; level: number; packet: Packet; hook: Hook; table: TableName; chain: string }) => void;
}

export type TraceMode = 'enumerate' | 'sample';

// Addresses the input route check refuses from the wire (martians), and how often a packet may loop back in from lo.
const LOOPBACK_NET = { network: 0x7f000000, prefix: 8 };
const MULTICAST_NET = { network: 0xe0000000, prefix: 4 };
const ZERO_NET = { network: 0, prefix: 8 };
const MAX_LOOPBACK_PASSES = 2;

/** 224.0.0.0/4, ff00::/8. */
function isMulticast(address: IpAddress): boolean {
  return typeof address === 'bigint' ? address >> 120n === 0xffn : cidrContains(MULTICAST_NET, address);
}

// ---------------------------------------------------------------------------
// The engine
// ---------------------------------------------------------------------------

export class NetfilterEngine {
  readonly ruleset: Ruleset;
  readonly host: Host;
  readonly clock: Clock;
  readonly random: Random;
  readonly conntrack: ConnectionTracker;
  readonly recent: InMemoryRecentStore;
  readonly accounting: AccountingStore | undefined;
  readonly ipsets: IpsetStore | undefined;
  readonly linear: boolean;
  readonly recordSteps: boolean;
  readonly maxPaths: number;
  /** @internal Per-rule state of stateful matches (nth counters). */
  readonly matchState: MapMatchState;
  /** @internal Where a path records its steps (one path at a time); each outcome keeps a copy. */
  readonly stepScratch: unknown[] = [];
  /** @internal */
  scratchInUse = false;
  private readonly onLog: EngineOptions['onLog'];
  private readonly loopbackName: string;
  /** Reads a trace's input into its packet. */
  private readonly input: TraceInputReader;
  /** The nat stages of the hooks. */
  private readonly natStage: NatStage;
  /** The conntrack stages of the hooks. */
  private readonly conntrackStage: ConntrackStage;
  readonly nftables: HookEntrySource | undefined;
  /** A hook's stages with the nft entries merged in, by the entry list they were made from. */
  private readonly merged = new Map<Hook, { entries: readonly HookEntry[]; stages: readonly Stage[] }>();

  constructor(options: EngineOptions) {
    this.ruleset = options.ruleset;
    this.host = options.host ?? Host.defaultNode();
    this.clock = options.clock ?? options.conntrack?.clock ?? new SystemClock();
    this.random = options.random ?? unseededRandom();
    this.conntrack = options.conntrack ?? new ConnectionTracker({ clock: this.clock });
    this.recent = options.recent ?? new InMemoryRecentStore();
    this.matchState = options.matchState ?? new MapMatchState();
    this.accounting = options.accounting;
    this.ipsets = options.ipsets;
    this.linear = options.linear ?? false;
    this.recordSteps = options.recordSteps ?? true;
    this.maxPaths = options.maxPaths ?? 10000;
    this.onLog = options.onLog;
    this.nftables = options.nftables;
    this.loopbackName = this.host.interfaces.find((i) => i.loopback)?.name ?? 'lo';
    this.input = new TraceInputReader(this.ruleset, this.host);
    this.conntrackStage = new ConntrackStage(this.ruleset, this.conntrack, this.nftables);
    this.natStage = new NatStage(this.ruleset, this.host, this.conntrack, this.nftables, (run) => this.reroute(run));
  }

  /** `enumerate` or `sample`, as the REST API asks. */
  trace(input: TraceInput, mode: TraceMode = 'enumerate', random?: Random): TraceOutcome[] {
    return mode === 'sample' ? [this.sample(input, random)] : this.enumerate(input);
  }

  /**
   * Every path the packet may take, with its exact probability (they sum to
   * 1); identical paths are merged. Changes no state.
   */
  enumerate(input: TraceInput): TraceOutcome[] {
    const packet = this.input.packet(input);
    const outcomes: Outcome[] = [];
    // Paths by hash, made only once a second path exists (most packets take one path).
    let byHash: Map<number, Outcome[]> | undefined;
    const pending: boolean[][] = [[]];
    while (pending.length > 0) {
      const script = pending.pop()!;
      const run = new Run(this, { packet, sampling: false, random: this.random, script, pending });
      const outcome = this.execute(run, input) as Outcome;
      if (outcomes.length === 0) {
        outcomes.push(outcome);
      } else {
        if (byHash === undefined) byHash = new Map([[outcomes[0].hash(), [outcomes[0]]]]);
        const hash = outcome.hash();
        const same = byHash.get(hash);
        const seen = same?.find((o) => o.sameAs(outcome));
        if (seen !== undefined) {
          seen.probability += outcome.probability;
        } else {
          if (same === undefined) byHash.set(hash, [outcome]);
          else same.push(outcome);
          outcomes.push(outcome);
        }
      }
      if (outcomes.length + pending.length > this.maxPaths) {
        throw new DomainError('INVALID', `the packet has more than ${this.maxPaths} possible paths through the rules`, { field: 'packet' });
      }
    }
    return outcomes;
  }

  /** One path, drawn as the kernel draws; its effects stay (conntrack, recent lists, counters). */
  sample(input: TraceInput, random: Random = this.random): TraceOutcome {
    const packet = this.input.packet(input);
    const run = new Run(this, { packet, sampling: true, random, onLog: this.onLog });
    return this.execute(run, input);
  }

  /**
   * Takes one enumerated path for real: the packet is sampled, but every
   * `statistic` match decides as it did on that path (`outcome.choices`), so
   * the effects are that path's (the connection, recent lists, counters).
   * NAT port choices that the kernel randomises are still drawn.
   */
  commit(input: TraceInput, outcome: Pick<TraceOutcome, 'choices'>, random: Random = this.random): TraceOutcome {
    const packet = this.input.packet(input);
    const run = new Run(this, { packet, sampling: true, random, script: outcome.choices, onLog: this.onLog });
    return this.execute(run, input);
  }

  // -------------------------------------------------------------------------
  // The path
  // -------------------------------------------------------------------------

  private execute(run: Run, input: TraceInput): TraceOutcome {
    try {
      return this.executePath(run, input);
    } finally {
      if (run.steps === this.stepScratch) this.scratchInUse = false;
    }
  }

  private executePath(run: Run, input: TraceInput): TraceOutcome {
    if (input.related !== undefined) {
      const inner = this.input.embedded(input.related);
      const protocol = inner.protocol;
      const ports = isIcmpProtocol(protocol) ? icmpTuplePorts(inner.icmpType!, inner.icmpCode!, inner.icmpId ?? 0, protocol) : inner;
      run.related = { protocol, source: inner.source, sourcePort: ports.sourcePort, destination: inner.destination, destinationPort: ports.destinationPort };
      run.own().inner = inner;
    }
    if (input.attachedTo !== undefined) run.attachedTo = input.attachedTo;
    const ending = input.hook === 'PREROUTING' ? this.receive(run) : this.send(run);
    return this.outcome(run, ending);
  }

  private receive(run: Run): Ending {
    if (!run.attached) this.conntrackStage.firstLookup(run);
    const dropped = this.runHook(run, 'PREROUTING');
    if (dropped) return dropped;
    return this.routeInput(run);
  }

  /** The routing decision after PREROUTING: local delivery, forwarding, or nowhere. */
  private routeInput(run: Run): Ending {
    const host = this.host;
    const p = run.packet;
    run.hook = 'PREROUTING';
    if (!host.isLoopbackInterface(p.inInterface) && typeof p.source === 'bigint') {
      // IPv6 (ip6_rcv_core): a multicast source, or ::1 on the wire, is dropped.
      const s = p.source;
      if (s >> 120n === 0xffn || s === 1n) {
        run.note('routing', `martian source ${formatIp(s)}: dropped`);
        return { verdict: 'DROP', delivery: null, reason: 'martian-source' };
      }
      if (p.destination === 1n) {
        run.note('routing', 'loopback address ::1 on a non-loopback interface: dropped');
        return { verdict: 'DROP', delivery: null, reason: 'martian-destination' };
      }
    } else if (!host.isLoopbackInterface(p.inInterface) && typeof p.source === 'number' && typeof p.destination === 'number') {
      const s = p.source;
      if (cidrContains(MULTICAST_NET, s) || s === 0xffffffff || (cidrContains(ZERO_NET, s) && p.destination !== 0xffffffff)) {
        run.note('routing', `martian source ${formatIp(s)}: dropped`);
        return { verdict: 'DROP', delivery: null, reason: 'martian-source' };
      }
      if (!host.routeLocalnet && (cidrContains(LOOPBACK_NET, s) || cidrContains(LOOPBACK_NET, p.destination))) {
        run.note('routing', 'loopback address on a non-loopback interface (route_localnet=0): dropped');
        return { verdict: 'DROP', delivery: null, reason: cidrContains(LOOPBACK_NET, s) ? 'martian-source' : 'martian-destination' };
      }
      if (host.isLocal(s)) {
        run.note('routing', `martian source ${formatIp(s)} (an address of this host) on ${p.inInterface}: dropped`);
        return { verdict: 'DROP', delivery: null, reason: 'martian-source' };
      }
    }
    const found = host.lookup(p.destination);
    if (found.kind === 'local' || found.kind === 'broadcast' || isMulticast(p.destination)) {
      const d = p.destination;
      const kind = found.kind;
      run.note('routing', () => `${formatIp(d)} is ${kind === 'broadcast' ? 'a broadcast address' : 'local'}: deliver locally (INPUT)`);
      return this.deliverLocal(run);
    }
    if (found.kind === 'unreachable') {
      run.note('routing', found.route ? `${found.route.type} route for ${formatIp(p.destination)}: no route` : `no route to ${formatIp(p.destination)}`);
      return { verdict: 'DROP', delivery: null, reason: 'no-route' };
    }
    if (!host.ipForward) {
      run.note('routing', `${formatIp(p.destination)} is not local and forwarding is off (ip_forward=0): no route`);
      return { verdict: 'DROP', delivery: null, reason: 'no-route' };
    }
    if (p.ttl !== undefined && p.ttl <= 1) {
      run.note('routing', `TTL ${p.ttl} would expire in forwarding: dropped (ICMP time exceeded)`);
      return { verdict: 'DROP', delivery: null, reason: 'ttl-exceeded' };
    }
    const forwarded = run.own();
    forwarded.outInterface = found.interface;
    if (forwarded.ttl !== undefined) forwarded.ttl--;
    run.nextHop = found.nextHop;
    const d = p.destination;
    const via = found.route.via;
    const dev = found.interface;
    run.note('routing', () => `forward to ${formatIp(d)} via ${via === undefined ? 'the link' : formatIp(via)} dev ${dev} (FORWARD)`);
    const dropped = this.runHook(run, 'FORWARD');
    if (dropped) return dropped;
    return this.postrouting(run);
  }

  private deliverLocal(run: Run): Ending {
    const dropped = this.runHook(run, 'INPUT');
    if (dropped) return dropped;
    return { verdict: 'ACCEPT', delivery: 'local' };
  }

  private postrouting(run: Run): Ending {
    const dropped = this.runHook(run, 'POSTROUTING');
    if (dropped) return dropped;
    const out = run.packet.outInterface;
    if (this.host.isLoopbackInterface(out) && run.loopbackPasses < MAX_LOOPBACK_PASSES) {
      // Out by lo: the packet comes back in on lo, still with its connection.
      run.loopbackPasses++;
      const looped = run.own();
      looped.inInterface = out;
      looped.outInterface = undefined;
      run.hook = 'PREROUTING';
      run.note('routing', `out by ${out}: the packet comes back in on ${out} (PREROUTING)`);
      return this.receive(run);
    }
    return { verdict: 'ACCEPT', delivery: 'forward' };
  }

  /** A locally generated packet: route lookup first (source address, out interface), then OUTPUT. */
  private send(run: Run): Ending {
    run.hook = 'OUTPUT';
    const p = run.packet;
    const routed = this.routeOutput(run, p.destination);
    if (routed === undefined) return { verdict: 'DROP', delivery: null, reason: 'no-route' };
    let source = p.source;
    if (source === 0 || source === 0n) {
      const chosen = routed.source;
      if (chosen === undefined) {
        run.note('routing', `no source address for ${formatIp(p.destination)} on ${routed.interface}: no route`);
        return { verdict: 'DROP', delivery: null, reason: 'no-route' };
      }
      source = chosen;
    }
    const sent = run.own();
    sent.source = source;
    sent.outInterface = routed.interface;
    run.nextHop = routed.nextHop;
    const d = p.destination;
    const chosenSource = source;
    run.note('routing', () => `route to ${formatIp(d)}: ${routed.description()}, source ${formatIp(chosenSource)} (OUTPUT)`);
    this.conntrackStage.firstLookup(run);
    const dropped = this.runHook(run, 'OUTPUT');
    if (dropped) return dropped;
    return this.postrouting(run);
  }

  private routeOutput(run: Run, destination: IpAddress): { interface: string; nextHop: IpAddress; source: IpAddress | undefined; description: () => string } | undefined {
    const found = this.host.lookup(destination);
    if (found.kind === 'local') {
      const lo = this.loopbackName;
      return { interface: lo, nextHop: destination, source: found.source, description: () => `local, dev ${lo}` };
    }
    if (found.kind === 'broadcast') {
      const dev = found.interface;
      return { interface: dev, nextHop: destination, source: found.source, description: () => `broadcast, dev ${dev}` };
    }
    if (found.kind === 'unreachable') {
      run.note('routing', found.route ? `${found.route.type} route for ${formatIp(destination)}: no route` : `no route to ${formatIp(destination)}`);
      return undefined;
    }
    const via = found.route.via;
    return {
      interface: found.interface,
      nextHop: found.nextHop,
      source: found.source ?? this.host.selectAddress(found.interface, found.nextHop),
      description: () => `${via === undefined ? '' : `via ${formatIp(via)} `}dev ${found.interface}`,
    };
  }

  /** OUTPUT's destination NAT changed the destination: route again (`ip_route_me_harder`). */
  private reroute(run: Run): Ending | undefined {
    const p = run.packet;
    const routed = this.routeOutput(run, p.destination);
    if (routed === undefined) return { verdict: 'DROP', delivery: null, reason: 'no-route' };
    if (routed.interface !== p.outInterface || routed.nextHop !== run.nextHop) {
      run.note('routing', () => `re-route after DNAT: ${routed.description()}`);
    }
    run.own().outInterface = routed.interface;
    run.nextHop = routed.nextHop;
    return undefined;
  }

  // -------------------------------------------------------------------------
  // Hooks and their stages
  // -------------------------------------------------------------------------

  /** Runs a hook's stages; returns how the packet ended when it did not survive the hook. */
  private runHook(run: Run, hook: Hook): Ending | undefined {
    run.hook = hook;
    for (const stage of this.stages(hook)) {
      switch (stage.kind) {
        case 'entry': {
          const result = stage.entry.walk(run);
          if (run.sampling) this.conntrackStage.keepConnectionMark(run);
          const ended = verdictOf(result);
          if (ended) return ended;
          break;
        }
        case 'table': {
          const table = this.ruleset.table(stage.table);
          if (table === undefined) break;
          const result = walkChain(run, table, hook);
          if (run.sampling) this.conntrackStage.keepConnectionMark(run);
          const ended = result.kind === 'unmodelled' ? stopped(run, result) : verdictOf(result);
          if (ended) return ended;
          break;
        }
        case 'conntrack':
          this.conntrackStage.attach(run);
          break;
        case 'nat': {
          const ended = this.natStage.apply(run, hook, stage.manip);
          if (ended) return ended;
          break;
        }
        case 'confirm': {
          const ended = this.conntrackStage.confirm(run);
          if (ended) return ended;
          break;
        }
      }
    }
    return undefined;
  }

  /** The hook's stages: `HOOK_STAGES`, with the nft base chains merged in by priority when there are any. */
  private stages(hook: Hook): readonly Stage[] {
    const source = this.nftables;
    if (source === undefined) return HOOK_STAGES[hook];
    const entries = source.entries(hook, this.ruleset.family);
    if (entries.length === 0) return HOOK_STAGES[hook];
    const cached = this.merged.get(hook);
    if (cached !== undefined && cached.entries === entries) return cached.stages;
    const stages = mergeStages(hook, entries);
    this.merged.set(hook, { entries, stages });
    return stages;
  }

  // -------------------------------------------------------------------------
  // Outcome
  // -------------------------------------------------------------------------

  private outcome(run: Run, ending: Ending): TraceOutcome {
    const flat = run.steps === undefined || run.stepEnd === 0 ? undefined : run.steps.slice(0, run.stepEnd);
    if (run.steps === this.stepScratch) this.scratchInUse = false;
    return new Outcome(run, ending, flat);
  }
}

