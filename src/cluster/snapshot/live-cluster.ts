import { Cluster } from '../cluster';
import { ClusterSetup, clusterOfSnapshot, restoreSnapshot, startingSnapshot } from './restore-snapshot';
import { readSnapshotInSlices, SnapshotDocument, takeSnapshot } from './snapshot-document';

/** What a restore or a reset answers. */
export interface Replaced {
  /** How many objects the cluster holds now. */
  objects: number;
  /** The simulated time it starts at (RFC 3339). */
  time: string;
  /** The store's resourceVersion after it: past every version before it. */
  resourceVersion: string;
}

/**
 * The cluster the server serves, which a restore or a reset replaces whole:
 * the new one is built beside it, and swapped in only once it is complete
 * and valid; the old one is then retired (its watches end with 410 Expired,
 * its controllers and clock stop). One replacement at a time; each waits for
 * a large apply under way to end first.
 */
export class LiveCluster {
  private cluster: Cluster;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    cluster: Cluster,
    readonly setup: ClusterSetup,
  ) {
    this.cluster = cluster;
  }

  get current(): Cluster {
    return this.cluster;
  }

  /** The cluster as a snapshot document now. */
  snapshot(): SnapshotDocument {
    return takeSnapshot(this.cluster, this.setup.config);
  }

  /** Restores a snapshot document (parsed, not yet checked): all of it, or nothing when it is refused. */
  async restore(document: unknown): Promise<Replaced> {
    // Checked first, in slices (the server answers meanwhile); built and swapped in one go.
    const content = await readSnapshotInSlices(document, this.setup.config);
    return this.replace((previous) => clusterOfSnapshot(this.setup, content, previous), 'the cluster was restored from a snapshot');
  }

  /** Returns to the configured start: CLUSTER_FILE (the demo cluster by default), or an empty cluster. */
  reset(): Promise<Replaced> {
    return this.replace((previous) => restoreSnapshot(this.setup, startingSnapshot(this.setup), previous), 'the cluster was reset');
  }

  private replace(build: (previous: Cluster) => Cluster, reason: string): Promise<Replaced> {
    const run = async (): Promise<Replaced> => {
      await this.cluster.store.unlocked();
      const next = this.swap(build, reason);
      await next.store.unlocked();
      await next.controllers.idle();
      await next.store.durable();
      return {
        objects: next.store.objectCount,
        time: new Date(next.clock.now()).toISOString(),
        resourceVersion: next.store.resourceVersion,
      };
    };
    const result = this.queue.then(run, run);
    this.queue = result.catch(() => undefined);
    return result;
  }

  /**
   * Builds the new cluster whole beside the old one and swaps it in, in one
   * turn (no write comes between the old one's revision and the swap); the
   * old one is retired, and nothing here holds it after (it can be collected).
   */
  private swap(build: (previous: Cluster) => Cluster, reason: string): Cluster {
    const previous = this.cluster;
    const next = build(previous);
    this.cluster = next;
    previous.retire(`too old resource version: ${reason}; list again`);
    return next;
  }
}
