import { compileSelector } from '../store/label-selector';
import { ObjectStore } from '../store/object-store';
import { resourceTypeByKey } from '../store/resource-types';
import { KubeObject, StoredEvent } from '../store/types';
import { Budget, Controller, UNBOUNDED } from './controller-manager';
import { DeploymentSync } from './deployment-sync';
import { num, rsStatusOf, specOf } from './deployment-util';
import { recordEvent } from './events';
import { claim, OwnerWork, controllerRefOf, objectKey, podStatusOf, WakeUps, WorkloadControllerOptions } from './pod-template';

const deployments = resourceTypeByKey('deployments.apps')!;
const replicasets = resourceTypeByKey('replicasets.apps')!;

/**
 * The Deployment controller: a Deployment owns ReplicaSets named
 * `<deployment>-<pod-template-hash>`; the one whose template is the
 * Deployment's is the new one, the others are old. It scales (a change of
 * `spec.replicas` goes to the active ReplicaSets, proportionally during a
 * rollout), rolls out template changes (RollingUpdate within `maxSurge` and
 * `maxUnavailable`, progress gated on pods becoming available; Recreate:
 * old pods gone first), keeps `revisionHistoryLimit` old ReplicaSets,
 * numbers revisions, and fills `status` and its `Available`/`Progressing`
 * conditions. Deleting a Deployment deletes its ReplicaSets (the garbage
 * collector's job, done here).
 *
 * It reads availability from the ReplicaSets' status, so it waits until the
 * ReplicaSet controller has seen each ReplicaSet's latest spec; register
 * the ReplicaSet controller before this one so a settle round reads fresh
 * status.
 */
export class DeploymentController implements Controller {
  readonly name = 'deployment-controller';
  private readonly work: OwnerWork;

  constructor(
    readonly store: ObjectStore,
    options: WorkloadControllerOptions = {},
  ) {
    this.work = new OwnerWork(store, deployments, replicasets, (d) => compileSelector(specOf(d).selector), new WakeUps(options.wakeUp), { onFault: options.onFault, name: 'deployment-controller' });
    this.work.scan();
  }

  get wakeUps(): WakeUps {
    return this.work.wakeUps;
  }

  /** Records an Event about `object` from this controller (`source.component` is the controller's name). */
  event(object: KubeObject, type: 'Normal' | 'Warning', reason: string, message: string): void {
    recordEvent(this.store, object, type, reason, message, { component: this.name });
  }

  observe(event: StoredEvent): void {
    switch (event.resource) {
      case 'deployments.apps':
        this.work.ownerEvent(event);
        break;
      case 'replicasets.apps':
        this.work.dependentEvent(event);
        break;
      case 'pods':
        this.queueForPod(event);
        break;
    }
  }

  reconcile(budget: Budget = UNBOUNDED): boolean {
    return this.work.run(budget, (d) => this.sync(d));
  }

  unfinished(): boolean {
    return this.work.unfinished;
  }

  /** A Recreate rollout waits for old pods to be gone: pod deletions and phase changes wake it. */
  private queueForPod(event: StoredEvent): void {
    if (event.type === 'ADDED') return;
    if (event.type === 'MODIFIED' && podStatusOf(event.object).phase === (event.previous ? podStatusOf(event.previous).phase : undefined)) return;
    const ref = controllerRefOf(event.object);
    if (ref?.kind !== 'ReplicaSet') return;
    const namespace = event.object.metadata.namespace;
    const rs = this.store.tryGet(replicasets, namespace, ref.name);
    const owner = controllerRefOf(rs);
    if (owner?.kind !== 'Deployment') return;
    const d = this.store.tryGet(deployments, namespace, owner.name);
    if (d && specOf(d).strategy?.type === 'Recreate') this.work.queue.add(objectKey(d));
  }

  private sync(d: KubeObject): void {
    const selector = compileSelector(specOf(d).selector);
    if (selector.isEverything) {
      this.event(d, 'Warning', 'SelectingAll', 'This deployment is selecting all pods. A non-empty selector is required.');
      return;
    }
    const candidates = [...this.store.list(replicasets, { namespace: d.metadata.namespace, labelSelector: selector }).items, ...this.work.dependentsOf(d)];
    const rsList = claim({ store: this.store, type: replicasets, owner: d, selector }, candidates);
    // Availability comes from ReplicaSet status: wait until it describes the latest spec.
    if (rsList.some((rs) => num(rsStatusOf(rs).observedGeneration) < rs.metadata.generation)) return;
    new DeploymentSync(this, d, rsList, selector).run();
  }
}
