import { randomUUID } from 'node:crypto';
import { timestamp } from '../../common/clock';
import { etcdKey } from '../store/etcd/etcd-keys';
import type { EtcdBackend } from '../store/etcd/etcd-backend';
import type { ObjectStore } from '../store/object-store';
import { resourceTypeByKey } from '../store/resource-types';
import type { KubeObject } from '../store/types';
import { LeaseLock, LeaseRecord } from './leader-elector';

/** kube-controller-manager's Lease: `kube-system/kube-controller-manager`. */
export const ELECTION_LEASE = { namespace: 'kube-system', name: 'kube-controller-manager' };

/** Where the leader says where its API answers (a follower forwards writes there). */
export const API_URL_ANNOTATION = 'kube-netsim.io/api-url';
/** The simulated time the leader had reached at its last renewal (RFC 3339, milliseconds): a new leader goes on from it. */
export const SIMULATED_TIME_ANNOTATION = 'kube-netsim.io/simulated-time';

const LEASES = resourceTypeByKey('leases.coordination.k8s.io')!;

/** Whether `entry` is the election's Lease (start-up tells it apart from the cluster's objects). */
export function isElectionLease(resource: string, object: KubeObject): boolean {
  return resource === 'leases.coordination.k8s.io' && object.metadata.namespace === ELECTION_LEASE.namespace && object.metadata.name === ELECTION_LEASE.name;
}

/**
 * The election's Lease in etcd. kube-controller-manager reads and writes it
 * through the API server; here the leader does the same through its store
 * (the one writer of its etcd prefix, so each write's resourceVersion is its
 * etcd revision). A renewal is taken once the store takes it, without
 * waiting for etcd: the store's writes reach etcd one transaction after the
 * other, and a renewal behind a long queue of them (a large apply) must not
 * cost the leader its Lease. If another process took the Lease over
 * meanwhile, etcd refuses the renewal (its comparison fails) and the
 * takeover comes in through the store's etcd watch: the next renewal finds
 * the Lease held by another, and leadership ends. A process that is not the
 * leader (its store does not write) reads the Lease from etcd and takes it
 * over with an etcd transaction that compares its mod revision with the one
 * it read: the same optimistic update.
 */
export class EtcdLeaseLock implements LeaseLock {
  private readonly key: string;
  /** The Lease as last read from etcd by a follower (an update keeps its uid and creationTimestamp). */
  private lastSeen: KubeObject | undefined;
  /** The revision of this lock's last write straight to etcd. */
  lastDirectWrite = 0;
  /** When (wall time) the watch brought the Lease's last versions: revision to time. */
  private readonly seen = new Map<number, number>();

  constructor(
    private readonly backend: EtcdBackend,
    /** The process's store, once it is built (the first attempt comes before it, straight to etcd). */
    private readonly storeOf: () => ObjectStore,
    /** Whether this process's store writes (it leads): then the Lease is read and written through it. */
    private readonly throughStore: () => boolean,
    /** Annotations to set on each write (the API URL; the simulated time, while leading). */
    private readonly annotations: () => Record<string, string>,
    /** The wall clock: when the watch brought a version. */
    private readonly now: () => number = Date.now,
    /** The simulated clock, for the creationTimestamp of a Lease made straight in etcd (as the store stamps every object). */
    private readonly simulatedNow: () => number = Date.now,
  ) {
    this.key = etcdKey(backend.prefix, LEASES, ELECTION_LEASE.namespace, ELECTION_LEASE.name);
  }

  async get(): ReturnType<LeaseLock['get']> {
    if (this.throughStore()) {
      const lease = this.storeOf().tryGet(LEASES, ELECTION_LEASE.namespace, ELECTION_LEASE.name);
      return lease && { record: (lease.spec ?? {}) as LeaseRecord, resourceVersion: lease.metadata.resourceVersion };
    }
    const response = await this.backend.client.kv.range({ key: Buffer.from(this.key) });
    const kv = response.kvs[0];
    if (!kv) {
      this.lastSeen = undefined;
      return undefined;
    }
    this.lastSeen = JSON.parse(kv.value.toString()) as KubeObject;
    return { record: (this.lastSeen.spec ?? {}) as LeaseRecord, resourceVersion: String(kv.mod_revision), observedAt: this.seen.get(Number(kv.mod_revision)) };
  }

  /** The watch brought a version of the Lease, at `revision`, now: a follower counts the lease duration from then. */
  sawVersion(revision: number): void {
    this.seen.set(revision, this.now());
    if (this.seen.size > 8) this.seen.delete(this.seen.keys().next().value!);
  }

  async create(record: LeaseRecord): Promise<boolean> {
    if (this.throughStore()) {
      try {
        this.storeOf().create(LEASES, { metadata: { name: ELECTION_LEASE.name, annotations: this.annotations() }, spec: record }, ELECTION_LEASE.namespace);
      } catch {
        return false;
      }
      return true;
    }
    const object = {
      kind: 'Lease',
      apiVersion: 'coordination.k8s.io/v1',
      metadata: {
        name: ELECTION_LEASE.name,
        namespace: ELECTION_LEASE.namespace,
        uid: randomUUID(),
        generation: 1,
        creationTimestamp: timestamp(this.simulatedNow()),
        annotations: this.annotations(),
      },
      spec: record,
    };
    return this.put(object, 0);
  }

  async update(record: LeaseRecord, resourceVersion: string): Promise<boolean> {
    if (this.throughStore()) {
      const lease = this.storeOf().tryGet(LEASES, ELECTION_LEASE.namespace, ELECTION_LEASE.name);
      if (!lease) return false;
      try {
        this.storeOf().update(LEASES, ELECTION_LEASE.namespace, ELECTION_LEASE.name, {
          ...lease,
          metadata: { ...lease.metadata, annotations: { ...lease.metadata.annotations, ...this.annotations() }, resourceVersion },
          spec: record,
        });
      } catch {
        return false; // a 409: the Lease changed since it was read
      }
      return true;
    }
    if (!this.lastSeen) return false;
    const { resourceVersion: _ignored, ...metadata } = this.lastSeen.metadata;
    const object = { ...this.lastSeen, metadata: { ...metadata, annotations: { ...metadata.annotations, ...this.annotations() } }, spec: record };
    return this.put(object, Number(resourceVersion));
  }

  /** A put straight to etcd if the key's mod revision is still `modRevision` (0: the key must not exist). */
  private async put(object: object, modRevision: number): Promise<boolean> {
    const response = await this.backend.client.kv.txn({
      compare: [{ key: Buffer.from(this.key), target: 'Mod', result: 'Equal', mod_revision: modRevision }],
      success: [{ request_put: { key: Buffer.from(this.key), value: Buffer.from(JSON.stringify(object)) } }],
    });
    if (response.succeeded) this.lastDirectWrite = Number(response.header.revision);
    return response.succeeded;
  }
}
