import { microTime } from '../../common/clock';

/**
 * Leader election as client-go's `leaderelection` package does it for
 * kube-controller-manager: one `coordination.k8s.io/v1` Lease, taken by
 * whoever finds it free or expired, renewed by its holder every
 * `retryPeriod`, given up by a holder that cannot renew within
 * `renewDeadline`, and taken over by another only once it has seen the same
 * record, unchanged, for `leaseDuration` on its own clock (clocks are not
 * compared across processes: a record's renewTime is not read, only whether
 * it changed). Every write is an optimistic update on the resourceVersion
 * read before it. One difference: a candidate that knows when it saw the
 * record change (through a watch, `LeaseLock.get`'s `observedAt`) counts
 * from then, and tries again the moment the Lease expires rather than at its
 * next jittered retry, so a dead leader is replaced within the lease
 * duration of its last renewal (client-go: up to 2.2 retry periods later).
 *
 * Time is real time (the wall clock), not the simulated clock, and injected
 * (`WallTimer`) so that specs run it on a fake one.
 */

/** The Lease's spec, as client-go's LeaderElectionRecord maps onto it. */
export interface LeaseRecord {
  holderIdentity?: string;
  leaseDurationSeconds?: number;
  /** MicroTime: `2026-12-07T20:24:04.123456Z`. */
  acquireTime?: string;
  renewTime?: string;
  leaseTransitions?: number;
}

/** The Lease as a lock (client-go's `resourcelock.Interface`). */
export interface LeaseLock {
  /**
   * The current record and its resourceVersion; undefined when there is no
   * Lease. `observedAt`: when this process first saw this version (wall
   * time), if it saw it before this call (through a watch).
   */
  get(): Promise<{ record: LeaseRecord; resourceVersion: string; observedAt?: number } | undefined>;
  /** Creates the Lease; false when it exists already. */
  create(record: LeaseRecord): Promise<boolean>;
  /** Replaces the record if the Lease is still at `resourceVersion`; false on a conflict. */
  update(record: LeaseRecord, resourceVersion: string): Promise<boolean>;
}

/** Real time, injected. */
export interface WallTimer {
  now(): number;
  sleep(ms: number): Promise<void>;
}

export const REAL_WALL_TIMER: WallTimer = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms).unref()),
};

export interface LeaderElectionConfig {
  /** `<hostname>_<uuid>`, as kube-controller-manager makes it. */
  identity: string;
  /** kube-controller-manager's `--leader-elect-lease-duration` (15 s). */
  leaseDurationMs: number;
  /** `--leader-elect-renew-deadline` (10 s). */
  renewDeadlineMs: number;
  /** `--leader-elect-retry-period` (2 s). */
  retryPeriodMs: number;
}

/** kube-controller-manager's defaults. */
export const KUBE_CONTROLLER_MANAGER_ELECTION = { leaseDurationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 2_000 };

/** client-go's JitterFactor for the acquire loop: a wait of retryPeriod to 2.2 × retryPeriod. */
const JITTER_FACTOR = 1.2;

export interface LeaderCallbacks {
  /** This process holds the Lease now (it may start its controllers). */
  onStartedLeading?: () => void;
  /** This process held the Lease and lost it, or could not renew it in time. */
  onStoppedLeading?: () => void;
  /** Another holder (or this one) was seen. */
  onNewLeader?: (identity: string) => void;
}

/**
 * One candidate. `run()` tries to acquire until it holds the Lease, then
 * renews it until it cannot or `stop()` is called, and resolves then.
 */
export class LeaderElector {
  private observed: { record: LeaseRecord; raw: string; resourceVersion: string } | undefined;
  /** When (on this process's clock) the observed record last changed. */
  private observedAt = 0;
  private leading = false;
  private stopped = false;
  private reportedLeader: string | undefined;

  constructor(
    private readonly lock: LeaseLock,
    readonly config: LeaderElectionConfig,
    private readonly callbacks: LeaderCallbacks = {},
    private readonly wall: WallTimer = REAL_WALL_TIMER,
    private readonly random: () => number = Math.random,
  ) {}

  /** Whether this process holds the Lease (as last observed). */
  get isLeader(): boolean {
    return this.leading;
  }

  /** The holder last observed, if any. */
  get leader(): string | undefined {
    return this.observed?.record.holderIdentity || undefined;
  }

  /** The acquire loop then the renew loop; resolves once leadership is lost or the elector is stopped. */
  async run(): Promise<void> {
    while (!this.stopped) {
      if (await this.tryAcquireOrRenew()) break;
      await this.wall.sleep(this.nextAttemptIn());
    }
    if (this.stopped) return;
    this.leading = true;
    this.callbacks.onStartedLeading?.();
    await this.renewLoop();
    this.leading = false;
    this.callbacks.onStoppedLeading?.();
  }

  stop(): void {
    this.stopped = true;
  }

  /** The jittered retry period, or less: the moment the Lease another holds expires, as this process last saw it renewed. */
  private nextAttemptIn(): number {
    const jittered = this.config.retryPeriodMs * (1 + this.random() * JITTER_FACTOR);
    const held = this.observed?.record;
    if (!held?.holderIdentity || held.holderIdentity === this.config.identity) return jittered;
    const expiresIn = this.observedAt + (held.leaseDurationSeconds ?? 0) * 1000 - this.wall.now();
    return expiresIn < 0 ? jittered : Math.min(jittered, expiresIn + 1);
  }

  /**
   * One attempt (client-go's `tryAcquireOrRenew`): create the Lease, or
   * renew it if this process holds it, or take it over if it expired; false
   * when another holds it or the write conflicted.
   */
  async tryAcquireOrRenew(): Promise<boolean> {
    const now = this.wall.now();
    const record: LeaseRecord = {
      holderIdentity: this.config.identity,
      leaseDurationSeconds: Math.round(this.config.leaseDurationMs / 1000),
      acquireTime: microTime(now),
      renewTime: microTime(now),
      leaseTransitions: 0,
    };
    let current: Awaited<ReturnType<LeaseLock['get']>>;
    try {
      current = await this.lock.get();
    } catch {
      return false;
    }
    if (!current) {
      if (!(await this.safely(() => this.lock.create(record)))) return false;
      this.observe(record, '', now);
      return true;
    }
    const raw = JSON.stringify(current.record);
    if (this.observed?.raw !== raw) {
      this.observed = { record: current.record, raw, resourceVersion: current.resourceVersion };
      // Seen through a watch as it was written: that is when it changed (a poll sees it up to a retry period late).
      // Not `now`, taken before the read: a read that answers late may bring a version written after it.
      const seen = this.wall.now();
      this.observedAt = Math.min(seen, current.observedAt ?? seen);
      this.report(current.record.holderIdentity);
    }
    this.observed.resourceVersion = current.resourceVersion;
    const holder = current.record.holderIdentity ?? '';
    const mine = holder === this.config.identity;
    const durationMs = (current.record.leaseDurationSeconds ?? 0) * 1000;
    if (holder !== '' && !mine && this.observedAt + durationMs > now) return false;
    if (mine) {
      record.acquireTime = current.record.acquireTime;
      record.leaseTransitions = current.record.leaseTransitions ?? 0;
    } else {
      record.leaseTransitions = (current.record.leaseTransitions ?? 0) + 1;
    }
    if (!(await this.safely(() => this.lock.update(record, current.resourceVersion)))) return false;
    this.observe(record, '', now);
    return true;
  }

  /** Renews every retryPeriod; a round that finds no success within renewDeadline ends leadership. */
  private async renewLoop(): Promise<void> {
    while (!this.stopped) {
      await this.wall.sleep(this.config.retryPeriodMs);
      if (this.stopped) return;
      const deadline = this.wall.now() + this.config.renewDeadlineMs;
      let renewed = false;
      while (!this.stopped && this.wall.now() < deadline) {
        renewed = await this.withDeadline(this.tryAcquireOrRenew(), deadline);
        if (renewed) break;
        // Another holder: lost at once (client-go's renew stops when the Lease is someone else's).
        if (this.observed && this.observed.record.holderIdentity !== this.config.identity) return;
        await this.wall.sleep(Math.min(this.config.retryPeriodMs, Math.max(0, deadline - this.wall.now())));
      }
      if (!renewed && !this.stopped) return;
    }
  }

  /** `attempt`, or false once the wall clock passes `deadline` (a lock call that hangs, etcd gone). */
  private withDeadline(attempt: Promise<boolean>, deadline: number): Promise<boolean> {
    const wait = Math.max(0, deadline - this.wall.now());
    return Promise.race([attempt, this.wall.sleep(wait).then(() => false)]);
  }

  private async safely(write: () => Promise<boolean>): Promise<boolean> {
    try {
      return await write();
    } catch {
      return false;
    }
  }

  private observe(record: LeaseRecord, resourceVersion: string, now: number): void {
    this.observed = { record, raw: JSON.stringify(record), resourceVersion };
    this.observedAt = now;
    this.report(record.holderIdentity);
  }

  private report(holder: string | undefined): void {
    if (!holder || holder === this.reportedLeader) return;
    this.reportedLeader = holder;
    this.callbacks.onNewLeader?.(holder);
  }
}
