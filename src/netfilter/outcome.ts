/**
 * A path's outcome: what happened to one path of a packet (`TraceOutcome`),
 * how a walk's result ends a path, the outcome as the engine makes it
 * (strings and steps written when first read; equal paths found by hash and
 * merged), and as plain JSON data.
 */
import { foldAddress, formatIp, type IpAddress } from './address';
import type { Connection, Direction, Tuple } from './conntrack';
import type { Run } from './path-run';
import { icmpTupleText, isIcmpProtocol } from './icmp';
import { endpoint, packetView } from './packet-view';
import type { Rule } from './rule';
import { buildSteps, frozenViews, stepView, type Step } from './trace-steps';
import type { WalkResult } from './traversal';
import type { CtState, Delivery, DropReason, Hook, Packet, RejectWith, TableName, TraceStep, TraceVerdict } from './types';

/**
 * A kept rule (`unsupported: 'keep'`) that kube-netsim does not model, on which
 * a path depends: the outcome holds if the rule matches (or does not) as said.
 */
export interface RuleDependency {
  /** The line of the loaded text the rule came from (null for a rule added otherwise). */
  readonly line: number | null;
  readonly hook: Hook;
  readonly table: TableName;
  readonly chain: string;
  /** 1-based position in the chain. */
  readonly ruleNumber: number;
  /** The rule as given (`-A CHAIN ...`). */
  readonly rule: string;
  /**
   * This path's assumption: the rule matches (true) or not (false). A rule whose
   * target we do not model is `true` on the path that stops there (verdict UNKNOWN).
   */
  readonly matches: boolean;
}

/** What happened to one path of a packet. */
export interface TraceOutcome {
  /**
   * Exact in enumerate mode; the chosen path's probability in sample mode. With
   * `dependsOn`, conditional: the probability of this outcome given that each of
   * those rules matches (or not) as said; a kept rule is never given a probability.
   */
  readonly probability: number;
  /** UNKNOWN: the path stopped at a kept rule whose target kube-netsim does not model (the last of `dependsOn`). */
  readonly verdict: TraceVerdict;
  readonly rejectWith: RejectWith | null;
  readonly delivery: Delivery | null;
  /** Why the packet was dropped when no rule dropped it (e.g. "no-route"). */
  readonly reason: DropReason | null;
  /** The destination this packet was rewritten to ("10.244.1.5:8080"): by DNAT, or conntrack's reverse NAT for a reply. */
  readonly dnat: string | null;
  /** The source this packet was rewritten to: by SNAT / MASQUERADE, or conntrack's reverse NAT for a reply. */
  readonly snat: string | null;
  /** The source was rewritten by MASQUERADE (to the out interface's address). */
  readonly masquerade: boolean;
  /** The kernel picks the source NAT port at random here (`--random-fully`, or a port clash); enumerate mode shows one choice. */
  readonly snatPortRandom: boolean;
  readonly outInterface: string | null;
  readonly nextHop: string | null;
  readonly conntrack: {
    /** The state conntrack gave the packet (what `--ctstate` sees after the lookup). */
    readonly state: CtState;
    readonly direction: Direction | null;
    /** The connection (confirmed into the table in sample mode; a private copy in enumerate mode). */
    readonly connection: Connection | undefined;
  };
  /** The packet as it leaves (or as it was when dropped). */
  readonly packet: Packet;
  readonly steps: readonly TraceStep[];
  /**
   * The choices of this path, in order (true: that `statistic` match matched, or
   * that kept rule was taken as matching); `commit` replays them.
   */
  readonly choices: readonly boolean[];
  /** Kept rules that kube-netsim does not model which this path went through, each with the assumption made; empty for most paths. */
  readonly dependsOn: readonly RuleDependency[];
}

/** The final state of a path, before it becomes a `TraceOutcome`. */
export interface Ending {
  readonly verdict: TraceVerdict;
  readonly rejectWith?: RejectWith;
  readonly delivery: Delivery | null;
  readonly reason?: DropReason;
}

/** How a walk's result ends the path; undefined: the packet goes on. */
export function verdictOf(result: WalkResult): Ending | undefined {
  switch (result.kind) {
    case 'accept':
      return undefined;
    case 'drop':
      return { verdict: 'DROP', delivery: null };
    case 'reject':
      return { verdict: 'REJECT', rejectWith: result.rejectWith, delivery: null };
    case 'nat':
      return undefined; // NAT targets live only in the nat table (the NAT stage binds them: nat-stage.ts)
    case 'unmodelled':
      return { verdict: 'UNKNOWN', delivery: null };
  }
}

/** The path reached a kept rule whose target we do not model: it ends there, UNKNOWN, depending on that rule. */
export function stopped(run: Run, at: { rule: Rule; chain: string; position: number }): Ending {
  run.depend(at.rule, run.ctx.table, at.chain, at.position, true);
  return { verdict: 'UNKNOWN', delivery: null };
}

/** A path's outcome; strings and steps are made when first read. */
export class Outcome implements TraceOutcome {
  probability: number;
  readonly verdict: TraceVerdict;
  readonly rejectWith: RejectWith | null;
  readonly delivery: Delivery | null;
  readonly reason: DropReason | null;
  readonly masquerade: boolean;
  readonly snatPortRandom: boolean;
  readonly conntrack: TraceOutcome['conntrack'];
  readonly packet: Packet;
  readonly choices: readonly boolean[];
  readonly dependsOn: readonly RuleDependency[];
  private readonly dnatAddress: IpAddress;
  private readonly dnatPort: number;
  private readonly snatAddress: IpAddress;
  private readonly snatPort: number;
  private readonly hop: IpAddress | undefined;
  /** @internal The steps as recorded (six slots each; see `Run.steps`). */
  readonly flatSteps: readonly unknown[] | undefined;
  private built: Step[] | undefined;

  constructor(run: Run, ending: Ending, flat: readonly unknown[] | undefined) {
    this.probability = run.probability;
    this.verdict = ending.verdict;
    this.rejectWith = ending.rejectWith ?? null;
    this.delivery = ending.delivery;
    this.reason = ending.reason ?? null;
    this.masquerade = run.masquerade;
    this.snatPortRandom = run.snatPortRandom;
    this.conntrack = { state: run.ctstate, direction: run.direction, connection: run.conn };
    this.packet = run.packet;
    this.choices = run.choices;
    this.dependsOn = run.dependsOn;
    this.dnatAddress = run.dnatAddress;
    this.dnatPort = run.dnatPort;
    this.snatAddress = run.snatAddress;
    this.snatPort = run.snatPort;
    this.hop = run.nextHop;
    this.flatSteps = flat;
  }

  get dnat(): string | null {
    return this.dnatAddress < 0 ? null : endpoint(this.dnatAddress, this.dnatPort, this.packet.protocol);
  }

  get snat(): string | null {
    return this.snatAddress < 0 ? null : endpoint(this.snatAddress, this.snatPort, this.packet.protocol);
  }

  get outInterface(): string | null {
    return this.delivery === 'forward' ? (this.packet.outInterface ?? null) : null;
  }

  get nextHop(): string | null {
    return this.delivery === 'forward' && this.hop !== undefined ? formatIp(this.hop) : null;
  }

  get steps(): readonly TraceStep[] {
    return (this.built ??= buildSteps(this.flatSteps));
  }

  /**
   * What makes two paths the same: everything but their probability. Steps
   * count by the rules they went through (given the packet and the state,
   * the same rules do the same things) and their fixed texts, so no step
   * text is made.
   */
  sameAs(other: Outcome): boolean {
    const p = this.packet;
    const q = other.packet;
    if (
      this.verdict !== other.verdict ||
      this.rejectWith !== other.rejectWith ||
      this.delivery !== other.delivery ||
      this.reason !== other.reason ||
      this.dnatAddress !== other.dnatAddress ||
      this.dnatPort !== other.dnatPort ||
      this.snatAddress !== other.snatAddress ||
      this.snatPort !== other.snatPort ||
      this.masquerade !== other.masquerade ||
      this.hop !== other.hop ||
      this.conntrack.state !== other.conntrack.state ||
      p.source !== q.source ||
      p.sourcePort !== q.sourcePort ||
      p.destination !== q.destination ||
      p.destinationPort !== q.destinationPort ||
      p.icmpId !== q.icmpId ||
      p.mark !== q.mark ||
      p.ctmark !== q.ctmark ||
      p.inInterface !== q.inInterface ||
      p.outInterface !== q.outInterface ||
      !sameDependencies(this.dependsOn, other.dependsOn)
    ) {
      return false;
    }
    const a = this.flatSteps;
    const b = other.flatSteps;
    if ((a?.length ?? 0) !== (b?.length ?? 0)) return false;
    if (a === undefined || b === undefined) return true;
    for (let i = 0; i < a.length; i += 6) {
      if (a[i] !== b[i] || a[i + 1] !== b[i + 1] || a[i + 2] !== b[i + 2] || a[i + 3] !== b[i + 3] || a[i + 4] !== b[i + 4]) return false;
      // Actions count by their fixed text; those written on demand (NAT mappings, notes) follow from the rest.
      const x = a[i + 5];
      const y = b[i + 5];
      if ((typeof x === 'string' ? x : '') !== (typeof y === 'string' ? y : '')) return false;
    }
    return true;
  }

  /** A hash of some of what `sameAs` compares: equal paths hash alike. */
  hash(): number {
    const p = this.packet;
    let h = Math.imul(foldAddress(p.destination) ^ 0x9e3779b9, 0x85ebca6b);
    h = Math.imul(h ^ (h >>> 15) ^ foldAddress(p.source), 0xc2b2ae35);
    h = Math.imul(h ^ (h >>> 13) ^ ((p.sourcePort << 16) | p.destinationPort), 0x27d4eb2d);
    h = Math.imul(h ^ (h >>> 15) ^ p.mark ^ foldAddress(this.dnatAddress) ^ foldAddress(this.snatAddress), 0x165667b1);
    const flat = this.flatSteps;
    if (flat !== undefined) {
      h = Math.imul(h ^ (h >>> 13) ^ flat.length, 0x27d4eb2d);
      for (let i = 4; i < flat.length; i += 6) {
        const rule = flat[i] as Rule | null;
        if (rule !== null) h = Math.imul(h ^ (h >>> 15) ^ rule.id, 0x85ebca6b);
      }
    }
    return (h ^ (h >>> 16)) | 0;
  }
}

/** Two paths that assume different things about kept rules are different outcomes (their probabilities are conditional). */
function sameDependencies(a: readonly RuleDependency[], b: readonly RuleDependency[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i];
    const y = b[i];
    if (x.matches !== y.matches || x.rule !== y.rule || x.chain !== y.chain || x.table !== y.table || x.hook !== y.hook || x.ruleNumber !== y.ruleNumber) return false;
  }
  return true;
}

/**
 * An outcome's steps as `stepView` gives them, frozen, for callers that keep
 * many (the dataplane's hops): recurring steps are one shared object, and no
 * `Step` is made on the way.
 */
export function frozenStepViews(o: TraceOutcome): TraceStep[] {
  if (!(o instanceof Outcome)) return o.steps.map((s) => Object.freeze(stepView(s)));
  return frozenViews(o.flatSteps);
}

/** An outcome as plain JSON data (what `POST /netsim/v1/trace` answers). */
export function outcomeView(o: TraceOutcome) {
  const c = o.conntrack.connection;
  return {
    probability: o.probability,
    verdict: o.verdict,
    rejectWith: o.rejectWith,
    delivery: o.delivery,
    reason: o.reason,
    dnat: o.dnat,
    snat: o.snat,
    masquerade: o.masquerade,
    snatPortRandom: o.snatPortRandom,
    outInterface: o.outInterface,
    nextHop: o.nextHop,
    conntrack: {
      state: o.conntrack.state,
      direction: o.conntrack.direction,
      original: c ? tupleText(c.original, true) : null,
      reply: c ? tupleText(c.reply, false) : null,
    },
    packet: packetView(o.packet),
    steps: o.steps.map(stepView),
    // Only for paths through kept rules (`unsupported=keep`): other answers stay as they were.
    ...(o.dependsOn.length > 0 ? { dependsOn: o.dependsOn } : {}),
  };
}

function tupleText(t: Tuple, requestSide: boolean): string {
  const text = `${t.protocol} ${endpoint(t.source, t.sourcePort, t.protocol)} -> ${endpoint(t.destination, t.destinationPort, t.protocol)}`;
  return isIcmpProtocol(t.protocol) ? `${text} ${icmpTupleText(t, requestSide, t.protocol)}` : text;
}
