import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Cluster } from '../cluster';
import type { EtcdBackend } from '../store/etcd/etcd-backend';
import { resourceTypeByKey } from '../store/resource-types';
import { API_URL_ANNOTATION, ELECTION_LEASE, EtcdLeaseLock, isElectionLease, SIMULATED_TIME_ANNOTATION } from './etcd-lease-lock';
import { KUBE_CONTROLLER_MANAGER_ELECTION, LeaderElectionConfig, LeaderElector, REAL_WALL_TIMER, WallTimer } from './leader-elector';

const LEASES = resourceTypeByKey('leases.coordination.k8s.io')!;

export interface LeadershipOptions {
  /** `<hostname>_<uuid>` unless given. */
  identity?: string;
  election?: Partial<Omit<LeaderElectionConfig, 'identity'>>;
  wall?: WallTimer;
  /** The simulated clock (a Lease's creationTimestamp, as every object's). */
  clock?: { now(): number };
  /** This process starts leading (its controllers, kubelets, kube-proxies and clock are to start now). */
  onStartedLeading?: (cluster: Cluster) => void;
  /** This process led and lost the Lease: kube-controller-manager exits then (`leaderelection lost`). */
  onStoppedLeading?: () => void;
  onNewLeader?: (identity: string) => void;
}

/**
 * One kube-netsim process among several on one etcd (docs/etcd.md, "Two
 * processes, one cluster"): it follows what the others write through an
 * etcd watch, and takes part in the election for kube-controller-manager's
 * Lease. Only the leader's store writes; the others forward writes to it.
 */
export class Leadership {
  readonly identity: string;
  readonly elector: LeaderElector;
  readonly lock: EtcdLeaseLock;
  private leading = false;
  /** The process's cluster (a getter: a snapshot restore may put another in its place). */
  private clusterOf: (() => Cluster) | undefined;
  private apiUrl: string | undefined;

  constructor(
    private readonly backend: EtcdBackend,
    private readonly options: LeadershipOptions = {},
  ) {
    this.identity = options.identity ?? `${hostname()}_${randomUUID()}`;
    const wall = options.wall ?? REAL_WALL_TIMER;
    this.lock = new EtcdLeaseLock(
      backend,
      () => this.clusterOf!().store,
      () => this.leading,
      () => this.annotations(),
      () => wall.now(),
      () => (options.clock ?? wall).now(),
    );
    this.elector = new LeaderElector(
      this.lock,
      { identity: this.identity, ...KUBE_CONTROLLER_MANAGER_ELECTION, ...options.election },
      {
        onStartedLeading: () => void this.startLeading(),
        onStoppedLeading: () => {
          this.leading = false;
          this.options.onStoppedLeading?.();
        },
        onNewLeader: (who) => this.options.onNewLeader?.(who),
      },
      wall,
    );
  }

  /** Whether this process leads: its store writes, and its controllers run. */
  get isLeader(): boolean {
    return this.leading;
  }

  /** The first try, before the store is read: true when this process leads from the start. */
  async tryFirst(): Promise<boolean> {
    this.leading = await this.elector.tryAcquireOrRenew();
    return this.leading;
  }

  /**
   * Starts following etcd from `revision` (what the store was read at) and
   * the election (renewing, or trying to acquire every retry period).
   */
  async start(clusterOf: () => Cluster, revision: number): Promise<void> {
    this.clusterOf = clusterOf;
    await this.backend.follow(revision, (change) => {
      if (change.object && isElectionLease(change.resource, change.object)) this.lock.sawVersion(change.revision);
      const { store } = clusterOf();
      store.applyRemote(change.resource, change.namespace, change.name, change.object, change.revision);
      // The leader's controllers react to what another writer did (an `etcdctl put`); a follower's wait.
      if (this.leading) store.commit();
    });
    void this.elector.run();
  }

  /** Where the leader's API answers, so this process tells the others (set once it listens). */
  announce(url: string): void {
    this.apiUrl = url;
  }

  /** The leader's API, as its Lease says, when another process leads. */
  leaderUrl(): string | undefined {
    if (this.leading || !this.clusterOf) return undefined;
    const lease = this.clusterOf().store.tryGet(LEASES, ELECTION_LEASE.namespace, ELECTION_LEASE.name);
    return lease?.metadata.annotations?.[API_URL_ANNOTATION] || undefined;
  }

  /** Resolves once this process's store has seen every write up to `revision` (a write forwarded to the leader). */
  caughtUp(revision: number): Promise<void> {
    return this.backend.caughtUp(revision);
  }

  stop(): void {
    this.elector.stop();
  }

  private annotations(): Record<string, string> {
    return {
      ...(this.apiUrl ? { [API_URL_ANNOTATION]: this.apiUrl } : {}),
      // A follower taking over keeps the old leader's time in the Lease; it goes on from it.
      ...(this.leading && this.clusterOf ? { [SIMULATED_TIME_ANNOTATION]: new Date(this.clusterOf().clock.now()).toISOString() } : {}),
    };
  }

  /** Becomes the leader: once its store has its own takeover, its store writes and its components start. */
  private async startLeading(): Promise<void> {
    if (!this.leading) {
      await this.backend.caughtUp(this.lock.lastDirectWrite, 30_000);
      // The kubelets' manifest directories and stopped kubelets as the old leader left them (they are not objects: the
      // watch does not bring them); if etcd cannot say, what was read at start-up stands.
      const kubelets = await this.backend.readKubeletState().catch((e: Error) => {
        this.clusterOf!().faults.record('leadership', new Error(`reading the kubelets' state failed: ${e.message}`));
        // What this process queued as a follower counts no more than after a read.
        this.backend.kubelets.dropPending();
        return undefined;
      });
      const cluster = this.clusterOf!();
      if (kubelets) cluster.kubelets.loadState(kubelets);
      const lease = cluster.store.tryGet(LEASES, ELECTION_LEASE.namespace, ELECTION_LEASE.name);
      const simulated = Date.parse(lease?.metadata.annotations?.[SIMULATED_TIME_ANNOTATION] ?? '');
      if (Number.isFinite(simulated)) cluster.clock.resumeFrom(simulated);
      this.leading = true;
    }
    this.options.onStartedLeading?.(this.clusterOf!());
  }
}
