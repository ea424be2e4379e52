import { newCluster } from '../../../test/support/cluster/cluster';
import { resourceTypeByKey } from '../store/resource-types';

const namespaces = resourceTypeByKey('namespaces')!;
const serviceAccounts = resourceTypeByKey('serviceaccounts')!;

const names = (c: ReturnType<typeof newCluster>) => c.store.list(serviceAccounts).items.map((o) => `${o.metadata.namespace}/${o.metadata.name}`);

describe('ServiceAccountController', () => {
  it('gives each namespace a default ServiceAccount from the start, with no token Secret', () => {
    const c = newCluster();
    expect(names(c)).toEqual(['default/default', 'kube-node-lease/default', 'kube-public/default', 'kube-system/default']);
    const sa = c.store.get(serviceAccounts, 'default', 'default');
    expect(Object.keys(sa).sort()).toEqual(['apiVersion', 'kind', 'metadata']);
  });

  it('makes one in a new namespace, and again when it is deleted', () => {
    const c = newCluster();
    c.store.create(namespaces, { metadata: { name: 'team-a' } });
    expect(names(c)).toContain('team-a/default');
    const first = c.store.get(serviceAccounts, 'team-a', 'default').metadata.uid;
    c.store.delete(serviceAccounts, 'team-a', 'default');
    expect(c.store.get(serviceAccounts, 'team-a', 'default').metadata.uid).not.toBe(first);
  });

  it('makes none in a namespace that is gone', () => {
    const c = newCluster();
    c.store.create(namespaces, { metadata: { name: 'team-a' } });
    c.store.delete(namespaces, undefined, 'team-a');
    expect(names(c)).not.toContain('team-a/default');
  });
});
