/**
 * The garbage collector's rule for dependents whose owners do not exist:
 * kube-controller-manager's `garbagecollector` looks every owner reference
 * up (by kind, namespace and name, then compares the uid) and sorts the
 * references into solid (the owner is there, same uid) and dangling (not
 * found, another uid, or a namespaced owner named by a cluster-scoped
 * dependent). A dependent with no solid reference left is deleted with
 * background propagation (its own dependents follow it the same way); one
 * with a solid reference keeps it and loses the dangling ones. Objects
 * already being deleted are left to finish. References to kinds kube-netsim
 * does not serve cannot be looked up and count as solid (upstream's
 * collector leaves what its REST mapper cannot resolve alone).
 *
 * This is what makes `kubectl apply -f` of an export safe: the exported pods
 * name ReplicaSets by uids of the cluster they came from, so they are
 * collected and the controllers make the cluster's own, as on a real cluster,
 * instead of the ReplicaSet ignoring them (controlled by someone else) and
 * making as many again.
 */
import { DomainError } from '../../common/domain-error';
import { ObjectStore } from '../store/object-store';
import { RESOURCE_TYPES, resourceKey, resourceTypeOfKind, ResourceType } from '../store/resource-types';
import { KubeObject, OwnerReference, StoredEvent } from '../store/types';
import { Budget, Controller, SteppedBatch, Steps, UNBOUNDED } from './controller-manager';

/** Whether the owner a reference names exists, as the garbage collector judges it. */
export function ownerReferenceIsSolid(store: ObjectStore, dependent: KubeObject, dependentNamespaced: boolean, ref: OwnerReference): boolean {
  const type = resourceTypeOfKind(ref.apiVersion, ref.kind);
  if (!type) return true;
  // A cluster-scoped dependent cannot name a namespaced owner: upstream treats such a reference as absent.
  if (type.namespaced && !dependentNamespaced) return false;
  const owner = store.tryGet(type, type.namespaced ? dependent.metadata.namespace : undefined, ref.name);
  return owner?.metadata.uid === ref.uid;
}

export class GarbageCollector implements Controller {
  readonly name = 'garbage-collector';
  /** Dependents to look at: resource key, namespace, name. */
  private readonly queue = new Map<string, [string, string | undefined, string]>();
  /** Dependents by the uid of each owner they name. */
  private readonly byOwner = new Map<string, Set<string>>();
  private readonly batch = new SteppedBatch();

  constructor(private readonly store: ObjectStore) {
    for (const type of RESOURCE_TYPES) {
      const resource = resourceKey(type);
      for (const object of store.list(type).items) this.observe({ type: 'ADDED', object, resource, resourceVersion: 0 });
    }
  }

  observe(event: StoredEvent): void {
    const object = event.object;
    const key = `${event.resource}|${object.metadata.namespace ?? ''}|${object.metadata.name}`;
    const was = event.type === 'ADDED' ? [] : ((event.type === 'DELETED' ? object : event.previous)?.metadata.ownerReferences ?? []);
    const is = event.type === 'DELETED' ? [] : (object.metadata.ownerReferences ?? []);
    for (const ref of was) if (!is.some((r) => r.uid === ref.uid)) this.unindex(ref.uid, key);
    for (const ref of is) this.index(ref.uid, key);
    // A new reference may name an owner that is not there; an owner that goes leaves its dependents to look at.
    if (is.some((ref) => !was.some((r) => r.uid === ref.uid))) this.queue.set(key, [event.resource, object.metadata.namespace, object.metadata.name]);
    if (event.type === 'DELETED') {
      for (const dependent of this.byOwner.get(object.metadata.uid) ?? []) {
        const [resource, namespace, name] = dependent.split('|');
        this.queue.set(dependent, [resource, namespace || undefined, name]);
      }
    }
  }

  reconcile(budget: Budget = UNBOUNDED): boolean {
    return this.batch.run(budget, () => (this.queue.size === 0 ? undefined : this.steps()));
  }

  unfinished(): boolean {
    return this.batch.unfinished;
  }

  private *steps(): Steps {
    const items = [...this.queue.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    this.queue.clear();
    for (const [, [resource, namespace, name]] of items) {
      this.attemptToDelete(this.store.resourceType(resource), namespace, name);
      yield;
    }
  }

  /** Upstream's `attemptToDeleteItem`, background propagation. */
  private attemptToDelete(type: ResourceType, namespace: string | undefined, name: string): void {
    const dependent = this.store.tryGet(type, namespace, name);
    if (!dependent || dependent.metadata.deletionTimestamp !== undefined) return;
    const refs = dependent.metadata.ownerReferences ?? [];
    if (refs.length === 0) return;
    const solid = refs.filter((ref) => ownerReferenceIsSolid(this.store, dependent, type.namespaced, ref));
    if (solid.length === refs.length) return;
    try {
      if (solid.length === 0) this.store.delete(type, namespace, name);
      else this.store.patch(type, namespace, name, { metadata: { ownerReferences: solid } });
    } catch (e) {
      // Gone or refused meanwhile: the next event about it brings it back.
      if (!(e instanceof DomainError)) throw e;
    }
  }

  private index(uid: string, key: string): void {
    let keys = this.byOwner.get(uid);
    if (!keys) this.byOwner.set(uid, (keys = new Set()));
    keys.add(key);
  }

  private unindex(uid: string, key: string): void {
    const keys = this.byOwner.get(uid);
    keys?.delete(key);
    if (keys?.size === 0) this.byOwner.delete(uid);
  }
}
