import { readFileSync } from 'node:fs';
import path from 'node:path';
import { DomainError } from '../../common/domain-error';
import { parseManifestYaml } from '../apply/manifests';
import { Cluster } from '../cluster';
import { newCluster } from '../../../test/support/cluster/cluster';
import { PodStatus } from '../resources/pod.types';
import { resourceTypeByKey } from '../store/resource-types';
import { KubeObject, ObjectInput } from '../store/types';
import { importCluster } from './cluster-import';

const t = (key: string) => resourceTypeByKey(key)!;
const pods = t('pods');
const nodes = t('nodes');
const services = t('services');
const replicasets = t('replicasets.apps');
const slices = t('endpointslices.discovery.k8s.io');

const OWNED_EXPORT = readFileSync(path.resolve(__dirname, '../../../fixtures/import/owned-export.yaml'), 'utf8');

const docs = (edit: (items: ObjectInput[]) => void = () => undefined) => {
  const parsed = parseManifestYaml(OWNED_EXPORT);
  const items = parsed.map((d) => d.object);
  edit(items);
  return items.map((object, i) => ({ index: i + 1, object }));
};
const find = (items: ObjectInput[], kind: string, name: string) => items.find((o) => o.kind === kind && o.metadata?.name === name)!;
const podIPs = (c: Cluster) =>
  Object.fromEntries(c.store.list(pods).items.map((p) => [`${p.metadata.namespace}/${p.metadata.name}`, (p.status as PodStatus).podIP]));

function refused(c: Cluster, edit: (items: ObjectInput[]) => void): DomainError {
  const version = c.store.resourceVersion;
  const report = JSON.stringify(c.pools.report());
  try {
    importCluster(c.store, c.pools, docs(edit));
  } catch (e) {
    expect(e).toBeInstanceOf(DomainError);
    // All or nothing: no object, no address left behind.
    expect(c.store.resourceVersion).toBe(version);
    expect(c.store.list(nodes).items).toEqual([]);
    expect(JSON.stringify(c.pools.report())).toBe(report);
    return e as DomainError;
  }
  throw new Error('the import was accepted');
}

describe('importCluster', () => {
  it('makes every object as it was, owners with their dependents under new uids; kinds it does not serve skipped with a warning', () => {
    const c = newCluster();
    const widget = { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w', namespace: 'shop' } };
    const result = importCluster(c.store, c.pools, docs((items) => items.push(widget)));
    expect(result).toEqual({
      kind: 'ImportResult',
      imported: { Node: 2, Namespace: 1, Service: 1, Deployment: 1, ReplicaSet: 1, DaemonSet: 1, StatefulSet: 1, Pod: 6, EndpointSlice: 1 },
      existing: { Namespace: 1, Service: 1 },
      skipped: [{ kind: 'Widget', apiVersion: 'example.com/v1', namespace: 'shop', name: 'w', reason: 'kind Widget (example.com/v1) is not simulated by kube-netsim' }],
      warnings: ['widget/w skipped: kind Widget (example.com/v1) is not simulated by kube-netsim'],
    });
    const expected = {
      'default/debug': '10.244.1.3',
      'shop/agent-7xk2p': '172.18.0.2',
      'shop/agent-m4z8q': '172.18.0.3',
      'shop/api-6d4cf56db6-4xkqz': '10.244.1.7',
      'shop/api-6d4cf56db6-p9w2m': '10.244.1.9',
      'shop/cache-0': '10.244.1.12',
    };
    // Settled: no pod made, none replaced (the DaemonSet's pods are of its current generation), none deleted.
    expect(podIPs(c)).toEqual(expected);
    const rs = c.store.get(replicasets, 'shop', 'api-6d4cf56db6');
    const api = c.store.get(pods, 'shop', 'api-6d4cf56db6-4xkqz');
    expect(rs.metadata.uid).not.toBe('6f0e6d3e-4444-4a0a-9d5b-000000000002');
    expect(api.metadata.ownerReferences).toEqual([expect.objectContaining({ kind: 'ReplicaSet', uid: rs.metadata.uid })]);
    expect(rs.status).toMatchObject({ replicas: 2, readyReplicas: 1 });
    expect(c.store.list(replicasets).items).toHaveLength(1);
    // Addresses reserved in the allocators.
    expect(c.pools.nodeIpam('node-b', '10.244.1.0/24').ownerOf('10.244.1.7')).toBe(api.metadata.uid);
    expect(c.pools.clusterIps.has('10.96.44.17')).toBe(true);
    expect(c.pools.nodePorts.has(31080)).toBe(true);
    expect(c.pools.podCidrs.has('10.244.1.0/24')).toBe(true);
    const node = c.store.get(nodes, undefined, 'node-a');
    expect(node.spec).toMatchObject({ podCIDR: '10.244.0.0/24', taints: [{ key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' }] });
    expect((node.status as { addresses: unknown[] }).addresses[0]).toEqual({ type: 'InternalIP', address: '172.18.0.2' });
    expect(c.store.get(services, 'shop', 'api').spec).toMatchObject({ clusterIP: '10.96.44.17', ports: [expect.objectContaining({ nodePort: 31080 })] });
    // The Service's endpoints: the ready pod ready, the unready one not.
    const endpoints = c.store.list(slices, { namespace: 'shop' }).items.flatMap((s) => (s.endpoints as Array<{ addresses: string[]; conditions: { ready: boolean }; targetRef: { uid: string } }>) ?? []);
    expect(endpoints.map((e) => [e.addresses[0], e.conditions.ready]).sort()).toEqual([
      ['10.244.1.7', true],
      ['10.244.1.9', false],
    ]);
    expect(endpoints.find((e) => e.addresses[0] === '10.244.1.7')?.targetRef.uid).toBe(api.metadata.uid);
  });

  it('a pod whose owner (a served kind) is not in the import is reported, and collected as a real cluster would', () => {
    const c = newCluster();
    const result = importCluster(c.store, c.pools, docs((items) => items.splice(items.indexOf(find(items, 'ReplicaSet', 'api-6d4cf56db6')), 1)));
    expect(result.warnings).toContain(
      'pod/api-6d4cf56db6-4xkqz (namespace shop): its owner ReplicaSet api-6d4cf56db6 is not in the import; the garbage collector deletes it, as a real cluster\'s would',
    );
    // The Deployment makes its own ReplicaSet and pods; the exported ones are being deleted, none doubled.
    c.advance(35);
    const live = c.store.list(pods, { namespace: 'shop' }).items.filter((p: KubeObject) => p.metadata.labels?.app === 'api');
    expect(live).toHaveLength(2);
    expect(live.map((p) => p.metadata.name)).not.toContain('api-6d4cf56db6-4xkqz');
  });

  it('refuses a ClusterIP outside the service range, naming the item, the object and the field; nothing is imported', () => {
    const e = refused(newCluster(), (items) => {
      const spec = find(items, 'Service', 'api').spec as Record<string, unknown>;
      spec.clusterIP = '10.0.0.5';
      spec.clusterIPs = ['10.0.0.5'];
    });
    expect(e.code).toBe('INVALID');
    expect(e.message).toBe(
      'items[11] (Service shop/api): Service "api" is invalid: spec.clusterIPs: Invalid value: []string{"10.0.0.5"}: failed to allocate IP 10.0.0.5: the provided IP (10.0.0.5) is not in the valid range. The range of valid IPs is 10.96.0.0/12',
    );
    expect(e.causes[0].field).toBe('spec.clusterIPs');
  });

  it('refuses a pod IP outside its node\'s pod CIDR', () => {
    const e = refused(newCluster(), (items) => {
      (find(items, 'Pod', 'debug').status as Record<string, unknown>).podIP = '10.244.7.3';
    });
    expect(e.message).toBe(
      'items[9] (Pod default/debug): Pod "debug" is invalid: status.podIP: Invalid value: "10.244.7.3": not available in node node-b\'s podCIDR 10.244.1.0/24: 10.244.7.3 not in range set 10.244.1.1-10.244.1.254',
    );
    expect(e.causes).toEqual([expect.objectContaining({ field: 'status.podIP', reason: 'FieldValueInvalid' })]);
  });

  it('refuses a pod IP given twice, naming both pods', () => {
    const e = refused(newCluster(), (items) => {
      (find(items, 'Pod', 'debug').status as Record<string, unknown>).podIP = '10.244.1.7';
    });
    expect(e.message).toBe('items[9] (Pod default/debug): Pod "debug" is invalid: status.podIP: Duplicate value: "10.244.1.7": the IP of pod shop/api-6d4cf56db6-4xkqz too');
    expect(e.causes).toEqual([expect.objectContaining({ field: 'status.podIP', reason: 'FieldValueDuplicate' })]);
  });

  it('refuses a pod CIDR outside the cluster CIDR', () => {
    const e = refused(newCluster(), (items) => {
      (find(items, 'Node', 'node-b').spec as Record<string, unknown>).podCIDR = '192.168.9.0/24';
    });
    expect(e.message).toMatch(/^items\[1\] \(Node node-b\): Node "node-b" is invalid: spec.podCIDR: Invalid value: "192.168.9.0\/24"/);
    expect(e.causes[0].field).toBe('spec.podCIDR');
  });

  it('adds to the cluster: importing twice is refused (409), the second time changing nothing', () => {
    const c = newCluster();
    importCluster(c.store, c.pools, docs());
    const version = c.store.resourceVersion;
    expect(() => importCluster(c.store, c.pools, docs())).toThrow(expect.objectContaining({ code: 'ALREADY_EXISTS', message: 'items[0] (Node node-a): nodes "node-a" already exists' }));
    expect(c.store.resourceVersion).toBe(version);
    expect(podIPs(c)['shop/api-6d4cf56db6-4xkqz']).toBe('10.244.1.7');
  });
});
