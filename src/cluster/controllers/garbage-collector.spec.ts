import { Cluster } from '../cluster';
import { newCluster } from '../../../test/support/cluster/cluster';
import { resourceTypeByKey } from '../store/resource-types';
import { OwnerReference } from '../store/types';

const t = (key: string) => resourceTypeByKey(key)!;
const pods = t('pods');
const replicasets = t('replicasets.apps');
const deployments = t('deployments.apps');
const configmaps = t('configmaps');
const namespaces = t('namespaces');

const template = (app: string) => ({
  metadata: { labels: { app } },
  spec: { schedulerName: 'manual', containers: [{ name: 'app', image: 'nginx:1.27' }] },
});

function replicaSet(name: string, replicas: number, ownerReferences?: OwnerReference[]) {
  return { metadata: { name, ...(ownerReferences ? { ownerReferences } : {}) }, spec: { replicas, selector: { matchLabels: { app: name } }, template: template(name) } };
}

const ref = (kind: string, name: string, uid: string, apiVersion = 'apps/v1'): OwnerReference => ({ apiVersion, kind, name, uid, controller: true, blockOwnerDeletion: true });

function pod(name: string, app: string, ownerReferences?: OwnerReference[]) {
  return { metadata: { name, labels: { app }, ...(ownerReferences ? { ownerReferences } : {}) }, spec: template(app).spec };
}

const podNames = (c: Cluster) => c.store.list(pods, { namespace: 'default' }).items.map((p) => p.metadata.name);
const EXPORTED_UID = '0b6cf7f1-0000-4000-8000-000000000001';

describe('GarbageCollector: dependents whose owners do not exist', () => {
  it('deletes a pod whose controller names a ReplicaSet uid that does not exist; the ReplicaSet keeps spec.replicas, not double', () => {
    const c = newCluster();
    const rs = c.store.create(replicasets, replicaSet('web', 2), 'default');
    expect(podNames(c)).toHaveLength(2);
    // What `kubectl apply -f` of an export sends: a pod naming the ReplicaSet by the uid it had in the cluster it came from.
    c.store.create(pods, pod('web-exported', 'web', [ref('ReplicaSet', 'web', EXPORTED_UID)]), 'default');
    expect(podNames(c)).not.toContain('web-exported');
    expect(podNames(c)).toHaveLength(2);
    expect(c.store.list(pods).items.every((p) => p.metadata.ownerReferences?.[0].uid === rs.metadata.uid)).toBe(true);
  });

  it('deletes a pod whose owner is not there at all (not found)', () => {
    const c = newCluster();
    c.store.create(pods, pod('orphaned', 'db', [ref('ReplicaSet', 'gone', EXPORTED_UID)]), 'default');
    expect(podNames(c)).toEqual([]);
  });

  it('keeps a dependent with one solid owner and removes only the dangling reference', () => {
    const c = newCluster();
    const owner = c.store.create(configmaps, { metadata: { name: 'owner' } }, 'default');
    const solid = { apiVersion: 'v1', kind: 'ConfigMap', name: 'owner', uid: owner.metadata.uid };
    c.store.create(pods, pod('shared', 'x', [solid, { apiVersion: 'v1', kind: 'ConfigMap', name: 'other', uid: EXPORTED_UID }]), 'default');
    expect(c.store.get(pods, 'default', 'shared').metadata.ownerReferences).toEqual([solid]);
  });

  it('deletes a ReplicaSet whose Deployment has another uid, and its pods follow (background propagation)', () => {
    const c = newCluster();
    c.store.create(deployments, { metadata: { name: 'api' }, spec: { replicas: 1, selector: { matchLabels: { app: 'api' } }, template: template('api') } }, 'default');
    const own = c.store.list(replicasets).items.map((r) => r.metadata.name);
    expect(own).toHaveLength(1);
    c.store.create(replicasets, { ...replicaSet('api-exported', 3, [ref('Deployment', 'api', EXPORTED_UID)]), spec: { replicas: 3, selector: { matchLabels: { app: 'api', v: 'old' } }, template: { ...template('api'), metadata: { labels: { app: 'api', v: 'old' } } } } }, 'default');
    expect(c.store.list(replicasets).items.map((r) => r.metadata.name)).toEqual(own);
    expect(c.store.list(pods).items.filter((p) => p.metadata.labels?.v === 'old')).toEqual([]);
    expect(podNames(c)).toHaveLength(1);
  });

  it('leaves references to kinds it cannot look up (not served) alone', () => {
    const c = newCluster();
    const foreign = { apiVersion: 'example.com/v1', kind: 'Widget', name: 'w', uid: EXPORTED_UID, controller: true };
    c.store.create(pods, pod('custom', 'x', [foreign]), 'default');
    expect(c.store.get(pods, 'default', 'custom').metadata.ownerReferences).toEqual([foreign]);
  });

  it('treats a namespaced owner named by a cluster-scoped dependent as absent', () => {
    const c = newCluster();
    const owner = c.store.create(configmaps, { metadata: { name: 'owner' } }, 'default');
    c.store.create(namespaces, { metadata: { name: 'team', ownerReferences: [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'owner', uid: owner.metadata.uid }] } });
    expect(c.store.tryGet(namespaces, undefined, 'team')).toBeUndefined();
  });

  it('collects the dependents of an owner deleted later, of any kind', () => {
    const c = newCluster();
    const owner = c.store.create(configmaps, { metadata: { name: 'owner' } }, 'default');
    c.store.create(configmaps, { metadata: { name: 'child', ownerReferences: [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'owner', uid: owner.metadata.uid }] } }, 'default');
    expect(c.store.tryGet(configmaps, 'default', 'child')).toBeDefined();
    c.store.delete(configmaps, 'default', 'owner');
    expect(c.store.tryGet(configmaps, 'default', 'child')).toBeUndefined();
  });
});

describe('ControllerRefManager rules the workload controllers follow', () => {
  it('a ReplicaSet never takes a pod another live ReplicaSet controls, even when its selector matches', () => {
    const c = newCluster();
    const a = c.store.create(replicasets, replicaSet('a', 1), 'default');
    const [aPod] = c.store.list(pods).items;
    // b selects app=a too; a's pod stays a's and b makes its own.
    c.store.create(replicasets, { metadata: { name: 'b' }, spec: { replicas: 1, selector: { matchLabels: { app: 'a' } }, template: template('a') } }, 'default');
    expect(c.store.get(pods, 'default', aPod.metadata.name).metadata.ownerReferences?.[0].uid).toBe(a.metadata.uid);
    expect(podNames(c)).toHaveLength(2);
  });

  it('a ReplicaSet keeps a pod whose controller reference is its uid, without making another', () => {
    const c = newCluster();
    // The pod comes first, naming the ReplicaSet that is about to be made (as an import does, uids kept).
    const rs = c.store.transaction(() => {
      const made = c.store.create(replicasets, { ...replicaSet('kept', 1), spec: { replicas: 1, selector: { matchLabels: { app: 'kept' } }, template: template('kept') } }, 'default');
      c.store.create(pods, pod('kept-abcde', 'kept', [ref('ReplicaSet', 'kept', made.metadata.uid)]), 'default');
      return made;
    });
    expect(podNames(c)).toEqual(['kept-abcde']);
    expect(c.store.get(replicasets, 'default', 'kept').status).toMatchObject({ replicas: 1 });
    expect(rs.metadata.name).toBe('kept');
  });
});
