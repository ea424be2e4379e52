import { Random, SetAsideRandom } from '../common/random';
import { AddressPools } from '../ipam/address-pools';
import { ControllerManager } from './controllers/controller-manager';
import { EventTtlController } from './controllers/events';
import { EndpointSliceController } from './controllers/endpoint-slice.controller';
import { KubeProxyController } from './controllers/kube-proxy.controller';
import { KubeletController } from './controllers/kubelet.controller';
import { NodeLifecycleController } from './controllers/node-lifecycle.controller';
import { SchedulerController } from './controllers/scheduler.controller';
import { DaemonSetController } from './controllers/daemonset.controller';
import { DeploymentController } from './controllers/deployment.controller';
import { CronJobController } from './controllers/cronjob.controller';
import { REPLICATION_CONTROLLERS, ReplicaSetController } from './controllers/replicaset.controller';
import { ReplicationControllerStrategy } from './resources/replication-controller.strategy';
import { CronJobStrategy } from './resources/cronjob.strategy';
import { JobStrategy } from './resources/job.strategy';
import { GarbageCollector } from './controllers/garbage-collector';
import { StatefulSetController } from './controllers/statefulset.controller';
import { ControllerRevisionStrategy, StatefulSetStrategy } from './resources/statefulset.strategy';
import { JobController } from './controllers/job.controller';
import { TtlAfterFinishedController } from './controllers/ttl-after-finished.controller';
import { DaemonSetStrategy, DeploymentStrategy, ReplicaSetStrategy } from './resources/workload.strategy';
import { NamespaceStrategy, SYSTEM_NAMESPACES } from './resources/namespace.strategy';
import { NodeStrategy } from './resources/node.strategy';
import { PodStrategy } from './resources/pod.strategy';
import { ServiceStrategy } from './resources/service.strategy';
import { ConfigMapStrategy, INITIAL_STATUS, InitialStatusStrategy, SecretStrategy } from './resources/stored-kinds.strategy';
import { ServiceAccountController } from './controllers/service-account.controller';
import { StorageProtectionController } from './controllers/storage-protection.controller';
import { PersistentVolumeController } from './controllers/persistent-volume.controller';
import { DEFAULT_STORAGE_CLASS } from './resources/storage.types';
import { PersistentVolumeClaimStrategy, PersistentVolumeStrategy, StorageClassStrategy } from './resources/storage.strategy';
import { STORED_KINDS } from './store/stored-kinds';
import { FaultLog } from './faults';
import { SimulationClock, SlicedAdvanceOptions } from './simulation-clock';
import { ObjectStore } from './store/object-store';
import { KubeletState, StoreBackend } from './store/store-backend';
import { KubeObject } from './store/types';
import { repairAllocations, RepairReport } from './repair';
import { resourceTypeByKey } from './store/resource-types';

export interface ClusterOptions {
  pools: AddressPools;
  clock: SimulationClock;
  random: Random;
  /** Whether a steady crash loop runs on one quiet timer (default); specs turn it off to compare with every step taken in turn. */
  fastForwardCrashLoops?: boolean;
  /**
   * Whether kind's default StorageClass is made at once (default). A cluster about to load a
   * cluster file gets it after the file instead (`installDefaultStorageClass`), so that a file
   * holding it (the demo) makes it as it always did.
   */
  defaultStorageClass?: boolean;
  /** Where the objects last (memory when absent; see docs/etcd.md). */
  backend?: StoreBackend;
  /**
   * What the backend held at start-up: the cluster goes on from it (its
   * allocators repaired, see repair.ts) instead of starting as `kubeadm init` leaves one.
   */
  restored?: { revision: number; entries: Array<{ resource: string; object: KubeObject }>; kubelets?: KubeletState };
  /**
   * Whether the cluster starts as `kubeadm init` leaves one (default: unless
   * `restored` holds objects). Start-up on an etcd that holds only the
   * election's Lease still makes the cluster.
   */
  bootstrap?: boolean;
  /**
   * A process that does not lead (another kube-netsim on the same etcd does):
   * it neither makes nor repairs anything, and its controllers (kubelets,
   * kube-proxies among them) wait, hearing of every object, until `lead()`.
   */
  follower?: boolean;
  /**
   * A snapshot's objects (src/cluster/snapshot/): the store is loaded with
   * them as a new history after `revision` (that of the cluster it replaces),
   * and the allocators are repaired from them, as for `restored`.
   */
  loaded?: { revision: number; entries: Array<{ resource: string; object: KubeObject }> };
}

/**
 * One simulated cluster: the API objects, the address pools, the strategies
 * that validate and allocate, and the controllers that react. It starts as
 * `kubeadm init` leaves a cluster: the four system namespaces and the
 * `default/kubernetes` Service on the first address of the service range.
 */
export class Cluster {
  readonly store: ObjectStore;
  readonly controllers: ControllerManager;
  readonly kubelets: KubeletController;
  readonly kubeProxies: KubeProxyController;
  /** Errors of ours caught so the server keeps running (a timer's, a settle's, a commit hook's). */
  readonly faults: FaultLog;
  /** The store's random source; objects added to the cluster's start later draw apart from it (see `installDefaultStorageClass`). */
  private readonly storeRandom: SetAsideRandom;
  /** What the start-up repair found, when the cluster was read back from its store. */
  repaired: RepairReport | undefined;
  /** Whether the allocators are still to be rebuilt from the store (a follower's, at `lead()`). */
  private repairPending = false;

  private constructor(
    readonly pools: AddressPools,
    readonly clock: SimulationClock,
    readonly random: Random,
    fastForwardCrashLoops = true,
  ) {
    this.storeRandom = new SetAsideRandom(random);
    this.store = new ObjectStore(clock, this.storeRandom);
    this.store.registerStrategy(type('namespaces'), new NamespaceStrategy());
    this.store.registerStrategy(type('services'), new ServiceStrategy(pools));
    this.store.registerStrategy(type('nodes'), new NodeStrategy(pools, random));
    this.store.registerStrategy(type('pods'), new PodStrategy());
    this.store.registerStrategy(type('deployments.apps'), new DeploymentStrategy());
    this.store.registerStrategy(type('replicasets.apps'), new ReplicaSetStrategy());
    this.store.registerStrategy(type('daemonsets.apps'), new DaemonSetStrategy());
    this.store.registerStrategy(type('secrets'), new SecretStrategy());
    this.store.registerStrategy(type('configmaps'), new ConfigMapStrategy());
    this.store.registerStrategy(type('replicationcontrollers'), new ReplicationControllerStrategy());
    this.store.registerStrategy(type('cronjobs.batch'), new CronJobStrategy());
    this.store.registerStrategy(type('statefulsets.apps'), new StatefulSetStrategy());
    this.store.registerStrategy(type('controllerrevisions.apps'), new ControllerRevisionStrategy());
    for (const t of STORED_KINDS) {
      const initial = INITIAL_STATUS[t.kind];
      if (initial) this.store.registerStrategy(t, new InitialStatusStrategy(initial));
    }
    this.store.registerStrategy(type('persistentvolumes'), new PersistentVolumeStrategy());
    this.store.registerStrategy(type('persistentvolumeclaims'), new PersistentVolumeClaimStrategy());
    this.store.registerStrategy(type('storageclasses.storage.k8s.io'), new StorageClassStrategy());
    this.store.registerStrategy(type('jobs.batch'), new JobStrategy()); // after the stored kinds' initial-status strategies, in place of Job's
    this.controllers = new ControllerManager(this.store);
    this.faults = new FaultLog(() => clock.now());
    this.store.onFault(this.faults.record);
    this.controllers.onFault(this.faults.record);
    clock.onFault(this.faults.record);
    // Timers see a settled cluster: a settle under way (sliced, after a write) finishes first, and a sliced transaction (a large apply) ends first.
    clock.gateTimers({
      ready: () => this.controllers.isIdle && !this.store.isHeld,
      settle: () => {
        this.store.finish();
        this.controllers.finish();
      },
      whenReady: async () => {
        await this.store.unlocked();
        await this.controllers.idle();
      },
    });
    // The order controllers run in on each round (fixed, so runs are repeatable).
    const lifecycle = new NodeLifecycleController(this.store, clock, { nextLeaseRenewal: (node) => this.kubelets.nextLeaseRenewal(node) });
    this.controllers.add(lifecycle);
    this.controllers.add(new ServiceAccountController(this.store));
    // Work that waits only on time (minReadySeconds, progress deadlines) wakes the controllers up then.
    const wakeUp = (at: number) => clock.after(at - clock.now(), 'workload controllers: wake up', () => this.store.commit());
    this.controllers.add(new ReplicaSetController(this.store, { wakeUp, onFault: this.faults.record })); // before Deployment: it reads ReplicaSet status
    this.controllers.add(new ReplicaSetController(this.store, { wakeUp, onFault: this.faults.record }, REPLICATION_CONTROLLERS));
    this.controllers.add(new DeploymentController(this.store, { wakeUp, onFault: this.faults.record }));
    this.controllers.add(new DaemonSetController(this.store, { wakeUp, onFault: this.faults.record }));
    this.controllers.add(new StatefulSetController(this.store, { wakeUp, onFault: this.faults.record }));
    this.controllers.add(new CronJobController(this.store, clock, { wakeUp, onFault: this.faults.record })); // before the Job controller: it makes Jobs
    this.controllers.add(new JobController(this.store, { wakeUp, onFault: this.faults.record }));
    this.controllers.add(new TtlAfterFinishedController(this.store, wakeUp));
    this.controllers.add(new GarbageCollector(this.store)); // dependents whose owners do not exist
    this.controllers.add(new PersistentVolumeController(this.store)); // before the scheduler: it binds the claims pods wait on
    this.controllers.add(new StorageProtectionController(this.store));
    this.controllers.add(new SchedulerController(this.store));
    this.kubelets = new KubeletController(this.store, pools, clock, {
      onStop: (node) => lifecycle.recheck(node),
      fastForwardCrashLoops,
      leads: () => !this.controllers.isPaused,
    });
    this.controllers.add(this.kubelets);
    this.controllers.add(new EndpointSliceController(this.store));
    const nodeNetworkPrefix = Number(/\/(\d+)$/.exec(pools.nodeAddresses.range)?.[1] ?? 24);
    this.kubeProxies = new KubeProxyController(this.store, clock, {
      clusterCidr: [...pools.podCidrsByFamily.values()].map((a) => a.clusterCidr).join(','),
      nodeNetworkPrefix,
      families: [...new Set([...pools.podFamilies, ...pools.serviceFamilies])],
      serviceCidrs: [...pools.clusterIpsByFamily.values()].map((a) => a.cidr),
    });
    this.controllers.add(this.kubeProxies);
    this.controllers.add(new EventTtlController(this.store, clock));
  }

  static create(options: ClusterOptions): Cluster {
    const cluster = new Cluster(options.pools, options.clock, options.random, options.fastForwardCrashLoops);
    if (options.backend) {
      cluster.store.useBackend(options.backend);
      cluster.kubelets.keepStateIn(options.backend.kubelets);
    }
    // An empty etcd still has a revision: the versions go on from it.
    if (options.restored) cluster.store.restore(options.restored.entries, options.restored.revision);
    // The nodes' manifest directories outlast the process, as on a real node's disk: the kubelets find their static pods
    // again; a kubelet that was stopped stays stopped.
    if (options.restored?.kubelets) cluster.kubelets.loadState(options.restored.kubelets);
    const bootstrap = options.bootstrap ?? !((options.restored && options.restored.entries.length > 0) || options.loaded);
    if (options.follower) {
      cluster.controllers.pause();
      cluster.repairPending = true;
    } else if (options.loaded) {
      cluster.store.load(options.loaded.entries, options.loaded.revision);
      cluster.repaired = repairAllocations(cluster.store, cluster.pools);
    } else if (!bootstrap) {
      // The controllers have heard of every object; they settle at the next `store.commit()`
      // (main.ts makes it after `settleInSlices`, so the server answers while 100 kube-proxies sync).
      cluster.repaired = repairAllocations(cluster.store, cluster.pools);
    } else {
      cluster.bootstrap();
      if (options.defaultStorageClass ?? true) cluster.installDefaultStorageClass();
    }
    return cluster;
  }

  /**
   * A follower becomes the leader: the allocators are rebuilt from the store
   * as it is now (what the old leader made, seen through etcd), or, when the
   * store holds no cluster yet, it is made as on a first start; the
   * controllers catch up with every object at the next `store.commit()`.
   */
  lead(): RepairReport | undefined {
    if (this.repairPending) {
      this.repairPending = false;
      if (this.store.count(type('namespaces')) === 0) {
        // The leader died before it made the cluster: this one makes it, as a first start would.
        this.bootstrap();
        this.installDefaultStorageClass();
      } else {
        this.repaired = repairAllocations(this.store, this.pools);
      }
    }
    this.controllers.resume();
    return this.repaired;
  }

  /**
   * kind's default StorageClass `standard` (local-path, WaitForFirstConsumer), installed with the
   * cluster unless one of that name exists. Its uid is drawn apart, so that the names and uids
   * drawn after it are those they were before it was added.
   */
  installDefaultStorageClass(): void {
    const classes = type('storageclasses.storage.k8s.io');
    if (this.store.tryGet(classes, undefined, DEFAULT_STORAGE_CLASS.metadata.name)) return;
    this.storeRandom.apart(0x5c, () => this.store.create(classes, DEFAULT_STORAGE_CLASS));
  }

  /** Moves simulated time forward, running every timer due (heartbeats, evictions, graceful deletions), at once. */
  advance(seconds: number): void {
    this.clock.advance(seconds * 1000);
    this.store.commit();
  }

  /**
   * The same, in slices that leave the event loop free between them (what
   * `POST /netsim/v1/clock/advance` does). Advances asked for meanwhile wait their turn.
   */
  async advanceSliced(seconds: number, options?: SlicedAdvanceOptions): Promise<void> {
    await this.clock.advanceSliced(seconds * 1000, options);
    this.store.commit();
    await this.controllers.idle();
  }

  /**
   * Runs as the server runs: controllers settle in slices of `sliceMs` of
   * wall time with the event loop free between them, except while the
   * synchronous clock advance runs its timers. Timers see a settled cluster:
   * a sliced advance waits for a settle under way before each slice (also
   * one a timer of its own started), the real-time tick skips (and later
   * catches up), the synchronous advance finishes it at once.
   */
  settleInSlices(sliceMs = 50): void {
    this.controllers.settleInSlices({ sliceMs, mustFinish: () => this.clock.runningAtOnce });
  }

  /**
   * Retires this cluster once another has taken its place (a snapshot
   * restored, a reset): its clock stops following the wall clock, its
   * controllers stop listening, and its open watches end with 410 Expired.
   */
  retire(reason: string): void {
    this.clock.stopRealTime();
    this.controllers.stop();
    this.store.expireWatches(reason);
  }

  private bootstrap(): void {
    this.store.transaction(() => {
      for (const name of SYSTEM_NAMESPACES) this.store.create(type('namespaces'), { metadata: { name } });
      const ip = this.pools.clusterIps.firstUsable();
      this.store.create(
        type('services'),
        {
          metadata: { name: 'kubernetes', labels: { component: 'apiserver', provider: 'kubernetes' } },
          spec: {
            type: 'ClusterIP',
            clusterIP: ip,
            clusterIPs: [ip],
            ports: [{ name: 'https', port: 443, protocol: 'TCP', targetPort: 6443 }],
            sessionAffinity: 'None',
          },
        },
        'default',
      );
      // The API server's own PriorityClasses, made at its start.
      for (const [name, value, description] of SYSTEM_PRIORITY_CLASSES) {
        this.store.create(type('priorityclasses.scheduling.k8s.io'), { metadata: { name }, value, description, preemptionPolicy: 'PreemptLowerPriority' });
      }
    });
  }
}

const SYSTEM_PRIORITY_CLASSES: Array<[string, number, string]> = [
  ['system-cluster-critical', 2000000000, 'Used for system critical pods that must run in the cluster, but can be moved to another node if necessary.'],
  ['system-node-critical', 2000001000, 'Used for system critical pods that must not be moved from their current node.'],
];

function type(key: string) {
  const t = resourceTypeByKey(key);
  if (!t) throw new Error(`unknown resource ${key}`);
  return t;
}
