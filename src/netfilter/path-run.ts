/**
 * One path of a packet: the walker the chain walk (traversal.ts) and the
 * engine's stages drive. A `Run` holds the packet as rewritten so far, its
 * connection, what NAT did, the steps recorded, and the path's decisions: in
 * sample mode drawn as the kernel draws, in enumerate mode replayed from a
 * script, each new fork left in `pending` for the engine to run next.
 */
import type { Random } from '../common/random';
import type { IpAddress } from './address';
import type { Connection, ConnectionTracker, Direction, Tuple } from './conntrack';
import type { EngineOptions, NetfilterEngine } from './engine';
import { formatRule } from './iptables-save.printer';
import type { RuleDependency } from './outcome';
import { copyPacket, type MutablePacket } from './packet-view';
import type { Rule } from './rule';
import type { TraceInput } from './trace-input';
import type { Action } from './trace-steps';
import type { ChainWalker, ForeignRule, WalkContext } from './traversal';
import type { ConntrackView, CtState, Hook, LogRecord, Match, Packet, StepTable, TableName } from './types';

const NO_CHOICES: readonly boolean[] = Object.freeze([]);
const NO_DEPENDENCIES: readonly RuleDependency[] = Object.freeze([]);

/** One path's state as it runs (see above); the engine makes its outcome from it. */
export class Run implements ChainWalker {
  packet: Packet;
  readonly ctx: WalkContext;
  readonly linear: boolean;
  readonly counting: boolean;
  readonly sampling: boolean;
  probability = 1;
  /**
   * Steps as they happen, six slots each (hook, table, chain, 1-based rule
   * number or null, rule or null, action): `Step` objects are made only if
   * the outcome's steps are read.
   */
  readonly steps: unknown[] | undefined;
  /**
   * Slots of `steps` in use. The buffer is the engine's, reused path after
   * path without being truncated (truncating drops its storage, and every
   * path would grow it again); slots past the end are stale.
   */
  stepEnd = 0;
  hook: Hook;

  // Conntrack.
  conn: Connection | undefined;
  direction: Direction | null = null;
  ctstate: CtState = 'INVALID';
  isNew = false;
  attached = false;
  confirmed = false;
  dstDone = false;
  srcDone = false;
  related: Tuple | undefined;
  attachedTo: TraceInput['attachedTo'];
  /** The conntrack lookup for the packet's tuple, once made. */
  found: { connection: Connection; direction: Direction } | undefined;
  looked = false;

  // What happened, for the outcome (addresses kept as numbers until the outcome is made).
  dnatAddress: IpAddress = -1;
  dnatPort = 0;
  snatAddress: IpAddress = -1;
  snatPort = 0;
  masquerade = false;
  snatPortRandom = false;
  nextHop: IpAddress | undefined;
  loopbackPasses = 0;

  // Enumerate mode: the decisions to replay, those made, and alternatives left to explore.
  private decision = 0;
  private made: boolean[] = NO_CHOICES as boolean[];
  /** Kept rules this path depends on (shared empty list until one is met). */
  dependsOn: RuleDependency[] = NO_DEPENDENCIES as RuleDependency[];
  private readonly script: readonly boolean[];
  private readonly pending: boolean[][] | undefined;
  private readonly onLog: EngineOptions['onLog'];
  /** The engine's connection table, for matches that look at other connections (`-m connlimit`). */
  private readonly tracker: ConnectionTracker;

  constructor(
    engine: NetfilterEngine,
    init: { packet: Packet; sampling: boolean; random: Random; script?: readonly boolean[]; pending?: boolean[][]; onLog?: EngineOptions['onLog'] },
  ) {
    this.tracker = engine.conntrack;
    this.script = init.script ?? [];
    this.pending = init.pending;
    this.onLog = init.sampling ? init.onLog : undefined;
    this.packet = init.packet;
    // A sampled path's packet was made for it alone: rewrite it in place from the start.
    if (init.sampling) this.owned = init.packet;
    this.hook = 'PREROUTING';
    this.sampling = init.sampling;
    this.linear = engine.linear;
    this.counting = init.sampling;
    // One path at a time records into the engine's scratch buffer (a trace started from inside
    // another, e.g. by an onLog callback, gets its own).
    this.steps = !engine.recordSteps ? undefined : engine.scratchInUse ? [] : engine.stepScratch;
    if (this.steps === engine.stepScratch) engine.scratchInUse = true;
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- the context's getter reads this run
    const run = this;
    this.ctx = {
      /** Read only by matches that look at the connection (`-m conntrack --ctorigdst`, ...). */
      get conntrack() {
        return run.connectionView();
      },
      now: engine.clock.now(),
      random: init.random,
      host: engine.host,
      recent: init.sampling ? engine.recent : engine.recent.fork(),
      state: init.sampling ? engine.matchState : engine.matchState.fork(),
      accounting: init.sampling ? engine.accounting : undefined,
      ipsets: init.sampling ? engine.ipsets : engine.ipsets?.fork(),
      hook: 'PREROUTING',
      table: 'raw',
    };
  }

  chance(match: Match, packet: Packet): boolean {
    const p = match.probability!;
    if (this.sampling && this.decision >= this.script.length) {
      // Sample mode (or a replayed path that ran out of choices): draw as the kernel does.
      const hit = match.matches(packet, this.ctx);
      if (p > 0 && p < 1) {
        this.decision++;
        if (this.made === NO_CHOICES) this.made = [];
        this.made.push(hit);
      }
      this.probability *= hit ? p : 1 - p;
      return hit;
    }
    if (p >= 1) return true;
    if (p <= 0) return false;
    const i = this.decision++;
    let choice: boolean;
    if (i < this.script.length) {
      choice = this.script[i];
    } else {
      choice = true;
      this.pending!.push([...this.made, false]);
    }
    if (this.made === NO_CHOICES) this.made = [];
    this.made.push(choice);
    this.probability *= choice ? p : 1 - p;
    return choice;
  }

  /**
   * One of `weights.length` outcomes, each with its exact probability: a
   * chain of yes/no decisions ("is it this one?") like `chance`'s, so that
   * `commit` replays it; the path's probability takes the chosen weight.
   */
  pick(weights: readonly number[], bucket: (u32: number) => number): number {
    const n = weights.length;
    let chosen = -1;
    if (this.sampling && this.decision >= this.script.length) {
      chosen = bucket(Math.floor(this.ctx.random.float() * 4294967296));
      for (let k = 0; k < Math.min(chosen + 1, n - 1); k++) {
        this.decision++;
        if (this.made === NO_CHOICES) this.made = [];
        this.made.push(k === chosen);
      }
    } else {
      for (let k = 0; k < n - 1 && chosen < 0; k++) {
        if (weights[k] === 0) continue;
        const i = this.decision++;
        let choice: boolean;
        if (i < this.script.length) choice = this.script[i];
        else {
          choice = true;
          this.pending!.push([...this.made, false]);
        }
        if (this.made === NO_CHOICES) this.made = [];
        this.made.push(choice);
        if (choice) chosen = k;
      }
      if (chosen < 0) chosen = n - 1;
    }
    this.probability *= weights[chosen];
    return chosen;
  }

  /**
   * A kept rule's unmodelled match: enumerate mode forks (matches first, then
   * not), without weighing either branch; sample mode takes it as not matching
   * (unless replaying a path's choices). The assumption is recorded either way.
   */
  assume(rule: Rule, table: TableName, chain: string, position: number): boolean {
    const i = this.decision++;
    let choice: boolean;
    if (i < this.script.length) choice = this.script[i];
    else if (this.sampling) choice = false;
    else {
      choice = true;
      this.pending!.push([...this.made, false]);
    }
    if (this.made === NO_CHOICES) this.made = [];
    this.made.push(choice);
    this.depend(rule, table, chain, position, choice);
    let why = 'not modelled';
    for (const m of rule.matches) if (m.unmodelled === true && m.assumption !== undefined) why = m.assumption;
    this.record(table, chain, position, rule, `${why}: taken as ${choice ? 'matching' : 'not matching'} (the outcome depends on it)`);
    return choice;
  }

  /** The packet's connection as matches see it (no connection for INVALID and UNTRACKED packets). */
  connectionView(): ConntrackView | undefined {
    const c = this.conn;
    if (c === undefined || this.direction === null || this.ctstate === 'INVALID' || this.ctstate === 'UNTRACKED') return undefined;
    // A connection found in the table is confirmed; a new one once it passed the confirm stage (a trace confirms nothing in the table).
    const confirmed = !this.isNew || this.confirmed;
    const tracker = this.tracker;
    return {
      original: c.original,
      reply: c.reply,
      direction: this.direction,
      seenReply: c.seenReply,
      assured: c.assured,
      confirmed,
      expires: c.expires,
      isOpen(original) {
        const found = tracker.find(original);
        if (found === undefined || found.direction !== 'original') return false;
        return found.connection.state !== 'TIME_WAIT' && found.connection.state !== 'CLOSE';
      },
    };
  }

  depend(rule: Rule, table: TableName, chain: string, position: number, matches: boolean): void {
    if (this.dependsOn === NO_DEPENDENCIES) this.dependsOn = [];
    this.dependsOn.push({ line: rule.line ?? null, hook: this.hook, table, chain, ruleNumber: position + 1, rule: formatRule(chain, rule), matches });
  }

  private owned: Packet | undefined;

  setDnat(address: IpAddress, port: number): void {
    this.dnatAddress = address;
    this.dnatPort = port;
  }

  setSnat(address: IpAddress, port: number): void {
    this.snatAddress = address;
    this.snatPort = port;
  }

  /**
   * The packet, to rewrite in place: the run's own copy (made again only
   * when a target handed back a new packet object, which others may hold).
   */
  own(): MutablePacket {
    if (this.packet !== this.owned) {
      this.packet = copyPacket(this.packet);
      this.owned = this.packet;
    }
    return this.packet as MutablePacket;
  }

  get choices(): readonly boolean[] {
    return this.made;
  }

  get recording(): boolean {
    return this.steps !== undefined;
  }

  record(table: StepTable | 'conntrack' | 'routing', chain: string | null, position: number, rule: Rule | ForeignRule | null, action: Action): void {
    this.push(table, chain, position < 0 ? null : position + 1, rule, action);
  }

  log(record: LogRecord, chain: string): void {
    this.onLog?.({ prefix: record.prefix, level: record.level, packet: this.packet, hook: this.ctx.hook, table: this.ctx.table, chain });
  }

  note(table: 'conntrack' | 'routing', action: Action): void {
    this.push(table, null, null, null, action);
  }

  private push(table: StepTable | 'conntrack' | 'routing', chain: string | null, ruleNumber: number | null, rule: Rule | ForeignRule | null, action: Action): void {
    const steps = this.steps;
    if (steps === undefined) return;
    let n = this.stepEnd;
    steps[n++] = this.hook;
    steps[n++] = table;
    steps[n++] = chain;
    steps[n++] = ruleNumber;
    steps[n++] = rule;
    steps[n++] = action;
    this.stepEnd = n;
  }
}
