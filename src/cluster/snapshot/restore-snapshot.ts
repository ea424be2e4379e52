/**
 * Building a cluster from a snapshot: the cluster a restore swaps in, the
 * configured start a reset returns to, and a snapshot given as CLUSTER_FILE.
 *
 * A restore is a new history, as an etcd restore is: the objects keep their
 * names, uids, addresses, ports and everything else, and get new
 * resourceVersions after the last revision of the cluster they replace,
 * the kubelets' own included (so versions only ever grow and stay etcd's); open watches end with 410 Expired. The new
 * cluster is built whole beside the old one, its allocators rebuilt from its
 * objects (the start-up repair, repair.ts); anything wrong and it is dropped
 * with the old one untouched.
 */
import { DomainError } from '../../common/domain-error';
import { Random } from '../../common/random';
import { AppConfig, buildAddressPools } from '../../config/app-config';
import { applyClusterManifests, readClusterFile } from '../apply/cluster-file';
import { Cluster } from '../cluster';
import { ELECTION_LEASE, isElectionLease } from '../leader/etcd-lease-lock';
import { SimulationClock } from '../simulation-clock';
import { resourceKey, resourceTypeByKey } from '../store/resource-types';
import { KubeletState, StoreBackend } from '../store/store-backend';
import { KubeObject } from '../store/types';
import { readSnapshot, SnapshotContent, snapshotEntries, takeSnapshot } from './snapshot-document';

/** How every cluster of this process is built: its configuration, randomness, backend and settling. */
export interface ClusterSetup {
  config: AppConfig;
  random: Random;
  /** The durable backend (etcd's), when STORE=etcd: a restore replaces what it holds. */
  backend?: StoreBackend;
  /** Controllers settle in slices of wall time, as the server runs them (main.ts); otherwise at once. */
  settleInSlices?: boolean;
  /** Where CLUSTER_FILE is read from (the working directory). */
  baseDir?: string;
  /** Called with each cluster built here before it is used (main.ts points etcd's faults at it). */
  adopt?: (cluster: Cluster) => void;
}

/**
 * A cluster holding a snapshot's objects and kubelets at its simulated time, its versions going on
 * after `previous`'s revision. Conflicting addresses or ports (two Services
 * on one ClusterIP, a pod IP outside its node's CIDR…) are a 422 naming
 * each, and the cluster built is dropped. With a durable backend, what it
 * held is replaced once the cluster is whole.
 */
export function clusterOfSnapshot(setup: ClusterSetup, { time, entries, kubelets }: SnapshotContent, previous?: Cluster): Cluster {
  const clock = new SimulationClock(time);
  const revision = previous ? previous.store.lastRevision : 0;
  const cluster = Cluster.create({
    pools: buildAddressPools(setup.config, setup.random),
    clock,
    random: setup.random,
    backend: setup.backend,
    loaded: { revision, entries: [...entries.filter((e) => !isElectionLease(e.resource, e.object)), ...electionLeaseOf(previous)] },
  });
  const warnings = cluster.repaired?.warnings ?? [];
  if (warnings.length > 0) {
    cluster.retire('the snapshot was refused');
    throw new DomainError('INVALID', `Snapshot "snapshot" is invalid: ${warnings.join('; ')}`, {
      kind: 'Snapshot',
      name: 'snapshot',
      causes: warnings.map((message) => ({ field: 'objects', reason: 'FieldValueInvalid', message })),
    });
  }
  const state: KubeletState = {
    manifests: kubelets.flatMap(({ node, manifests }) => manifests.map(({ file, pod }) => ({ node, file, pod }))),
    stopped: kubelets.filter((k) => !k.running).map((k) => k.node),
  };
  cluster.kubelets.loadState(state);
  if (setup.backend) {
    // The kubelets' state goes to etcd with the objects (in the same transaction).
    setup.backend.kubelets?.replaceAll(state);
    cluster.store.persistLoad(previous ? snapshotEntries(previous) : []);
  }
  setup.adopt?.(cluster);
  if (setup.config.clock === 'running') clock.startRealTime(100, { fromNow: false });
  if (setup.settleInSlices) cluster.settleInSlices();
  // The controllers heard of every object: they settle now (in slices, when the server runs them so).
  cluster.store.commit();
  return cluster;
}

const LEASES = resourceTypeByKey('leases.coordination.k8s.io')!;

/** The leader election's Lease `previous` holds (two processes on one etcd): a restore keeps it, so the leader goes on renewing it. */
function electionLeaseOf(previous: Cluster | undefined): Array<{ resource: string; object: KubeObject }> {
  const lease = previous?.store.tryGet(LEASES, ELECTION_LEASE.namespace, ELECTION_LEASE.name);
  return lease ? [{ resource: resourceKey(LEASES), object: lease }] : [];
}

/** A cluster restored from a snapshot document (parsed, not yet checked) in place of `previous`: see `readSnapshot` and `clusterOfEntries`. */
export function restoreSnapshot(setup: ClusterSetup, document: unknown, previous?: Cluster): Cluster {
  return clusterOfSnapshot(setup, readSnapshot(document, setup.config), previous);
}

/**
 * The configured start as a snapshot: the snapshot CLUSTER_FILE names, or
 * the cluster its manifests make (the demo cluster by default, or empty with
 * `none`), built apart in memory at the clock's start and settled.
 */
export function startingSnapshot(setup: ClusterSetup): unknown {
  const { config } = setup;
  const read = config.clusterFile === 'none' ? { documents: [] } : readClusterFile(config.clusterFile, setup.baseDir);
  if ('snapshot' in read) return read.snapshot;
  const clock = new SimulationClock(config.clock === 'running' ? Date.now() : undefined);
  const cluster = Cluster.create({ pools: buildAddressPools(config, setup.random), clock, random: setup.random, defaultStorageClass: config.clusterFile === 'none' });
  try {
    if (config.clusterFile !== 'none') applyClusterManifests(cluster, read.documents);
    cluster.store.commit();
    return takeSnapshot(cluster, config);
  } finally {
    cluster.retire('a scratch cluster');
  }
}

/**
 * Loads CLUSTER_FILE into a cluster just started (main.ts): its manifests
 * are applied to it, or the snapshot it holds is restored in its place.
 * Returns the cluster to serve and how many objects the file gave.
 */
export function startFromClusterFile(setup: ClusterSetup, cluster: Cluster): { cluster: Cluster; loaded: number } {
  const read = readClusterFile(setup.config.clusterFile, setup.baseDir);
  if ('documents' in read) return { cluster, loaded: applyClusterManifests(cluster, read.documents).length };
  const content = readSnapshot(read.snapshot, setup.config);
  const restored = clusterOfSnapshot(setup, content, cluster);
  cluster.retire('the cluster file is a snapshot');
  return { cluster: restored, loaded: content.entries.length };
}
