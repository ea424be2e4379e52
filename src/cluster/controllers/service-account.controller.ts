import { ObjectStore } from '../store/object-store';
import { resourceTypeByKey } from '../store/resource-types';
import { StoredEvent } from '../store/types';
import { Controller } from './controller-manager';

const namespaces = resourceTypeByKey('namespaces')!;
const serviceAccounts = resourceTypeByKey('serviceaccounts')!;

export const DEFAULT_SERVICE_ACCOUNT = 'default';

/**
 * kube-controller-manager's ServiceAccounts controller: every active
 * namespace has a `default` ServiceAccount, made when the namespace appears
 * and made again if someone deletes it. Since Kubernetes 1.24 it carries no
 * token Secret.
 */
export class ServiceAccountController implements Controller {
  readonly name = 'serviceaccount';
  private readonly pending = new Set<string>();

  constructor(private readonly store: ObjectStore) {}

  observe(event: StoredEvent): void {
    if (event.resource === 'namespaces' && event.type !== 'DELETED') this.pending.add(event.object.metadata.name);
    if (event.resource === 'serviceaccounts' && event.type === 'DELETED' && event.object.metadata.name === DEFAULT_SERVICE_ACCOUNT) {
      this.pending.add(event.object.metadata.namespace!);
    }
  }

  reconcile(): boolean {
    if (!this.pending.size) return false;
    const queued = [...this.pending].sort();
    this.pending.clear();
    let worked = false;
    for (const namespace of queued) {
      const ns = this.store.tryGet(namespaces, undefined, namespace);
      if (!ns || ns.metadata.deletionTimestamp || (ns.status as { phase?: string } | undefined)?.phase === 'Terminating') continue;
      if (this.store.tryGet(serviceAccounts, namespace, DEFAULT_SERVICE_ACCOUNT)) continue;
      this.store.create(serviceAccounts, { metadata: { name: DEFAULT_SERVICE_ACCOUNT, namespace } }, namespace, { owned: true });
      worked = true;
    }
    return worked;
  }
}
