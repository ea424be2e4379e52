import { refusalOf } from '../../../test/support/common/domain-error';
import { SeededRandom } from '../../common/random';
import { buildAddressPools, readConfig } from '../../config/app-config';
import { Cluster } from '../cluster';
import { SimulationClock } from '../simulation-clock';
import { resourceTypeByKey } from '../store/resource-types';
import { LiveCluster } from './live-cluster';
import { clusterOfSnapshot } from './restore-snapshot';
import { readSnapshot, SnapshotDocument, takeSnapshot } from './snapshot-document';

const config = readConfig({ CLUSTER_FILE: 'none', CLOCK: 'manual' });
const services = resourceTypeByKey('services')!;
const nodes = resourceTypeByKey('nodes')!;

function newCluster(random = new SeededRandom(3)): Cluster {
  const cluster = Cluster.create({ pools: buildAddressPools(config, random), clock: new SimulationClock(), random });
  cluster.store.create(nodes, { metadata: { name: 'node-a' } });
  for (const name of ['web', 'db']) {
    cluster.store.create(services, { metadata: { name }, spec: { type: 'NodePort', selector: { app: name }, ports: [{ port: 80 }] } }, 'default');
  }
  return cluster;
}

describe('snapshots', () => {
  it('a snapshot: objects resource by resource then by name, no resourceVersion, the same twice', () => {
    const cluster = newCluster();
    const snapshot = takeSnapshot(cluster, config);
    expect(snapshot).toMatchObject({ apiVersion: 'netsim.kube-netsim.io/v1', kind: 'Snapshot', time: '2026-01-01T00:00:00.000Z' });
    expect(snapshot.configuration).toEqual({
      ipFamily: 'ipv4',
      serviceClusterIpRange: '10.96.0.0/12',
      serviceNodePortRange: '30000-32767',
      clusterCidr: '10.244.0.0/16',
      loadBalancerIpRange: '172.18.255.200-172.18.255.250',
      nodeNetwork: '172.18.0.0/16',
      overlay: 'vxlan',
      clock: 'manual',
    });
    const kinds = snapshot.objects.map((o) => o.kind);
    expect(kinds.indexOf('Namespace')).toBe(0);
    expect(kinds.lastIndexOf('Namespace')).toBeLessThan(kinds.indexOf('Node'));
    expect(snapshot.objects.filter((o) => o.kind === 'Service').map((o) => o.metadata.name)).toEqual(['db', 'kubernetes', 'web']);
    expect(snapshot.objects.every((o) => !('resourceVersion' in o.metadata))).toBe(true);
    expect(JSON.stringify(takeSnapshot(cluster, config))).toBe(JSON.stringify(snapshot));
  });

  it('a restore keeps uids, addresses and ports, goes on past the old versions, and rebuilds the allocators', () => {
    const random = new SeededRandom(3);
    const before = newCluster(random);
    const snapshot = JSON.parse(JSON.stringify(takeSnapshot(before, config))) as SnapshotDocument;
    const web = before.store.get(services, 'default', 'web');
    const restored = clusterOfSnapshot({ config, random }, readSnapshot(snapshot, config), before);
    const again = restored.store.get(services, 'default', 'web');
    expect(again.metadata.uid).toBe(web.metadata.uid);
    expect(again.spec).toEqual(web.spec);
    expect(Number(again.metadata.resourceVersion)).toBeGreaterThan(Number(before.store.resourceVersion));
    // Every ClusterIP and NodePort of the snapshot is taken again: new Services get others.
    const taken = new Set(restored.store.list(services).items.map((s) => (s.spec as { clusterIP: string }).clusterIP));
    const ports = new Set(restored.store.list(services).items.flatMap((s) => ((s.spec as { ports: Array<{ nodePort?: number }> }).ports ?? []).map((p) => p.nodePort)));
    for (let i = 0; i < 20; i++) {
      const made = restored.store.create(services, { metadata: { name: `new-${i}` }, spec: { type: 'NodePort', ports: [{ port: 80 }] } }, 'default');
      const spec = made.spec as { clusterIP: string; ports: Array<{ nodePort: number }> };
      expect(taken.has(spec.clusterIP)).toBe(false);
      expect(ports.has(spec.ports[0].nodePort)).toBe(false);
    }
    expect(JSON.stringify(takeSnapshot(clusterOfSnapshot({ config, random }, readSnapshot(snapshot, config), restored), config))).toBe(JSON.stringify(snapshot));
  });

  it("a stopped kubelet stays stopped across a restore, and a static pod's manifest comes back", () => {
    const random = new SeededRandom(3);
    const before = newCluster(random);
    before.kubelets.stop('node-a');
    before.kubelets.staticPods.putManifest('node-a', 'static.yaml', { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'static', namespace: 'default' }, spec: { containers: [{ name: 'c', image: 'nginx' }] } });
    const snapshot = takeSnapshot(before, config);
    expect(snapshot.kubelets).toEqual([{ node: 'node-a', running: false, manifests: [expect.objectContaining({ file: 'static.yaml' })] }]);
    const restored = clusterOfSnapshot({ config, random }, readSnapshot(JSON.parse(JSON.stringify(snapshot)), config), before);
    expect(restored.kubelets.isRunning('node-a')).toBe(false);
    expect(restored.kubelets.staticPods.manifests('node-a').map((m) => m.file)).toEqual(['static.yaml']);
  });

  it('a configuration this process cannot take, or a kubelet of no node, is a 422 naming each field', () => {
    const snapshot = JSON.parse(JSON.stringify(takeSnapshot(newCluster(), config))) as SnapshotDocument;
    snapshot.configuration.serviceNodePortRange = '20000-22767';
    snapshot.kubelets = [{ node: 'nowhere', running: true, manifests: [] }];
    const error = refusalOf(() => readSnapshot(snapshot, config));
    expect(error.code).toBe('INVALID');
    expect(error.causes.map((c) => c.field)).toEqual(['configuration.serviceNodePortRange', 'kubelets[0].node']);
    expect(error.causes[0].message).toContain('the snapshot was taken with SERVICE_NODE_PORT_RANGE "20000-22767"; this process runs with "30000-32767"');
  });

  it('the clock mode is told, not checked: a snapshot of a running clock restores into a manual one', () => {
    const snapshot = JSON.parse(JSON.stringify(takeSnapshot(newCluster(), config))) as SnapshotDocument;
    snapshot.configuration.clock = 'running';
    snapshot.time = '2026-03-04T05:06:07.089Z';
    expect(readSnapshot(snapshot, config).time).toBe(Date.UTC(2026, 2, 4, 5, 6, 7, 89));
  });

  it('a restore that is refused leaves the live cluster as it was', async () => {
    const random = new SeededRandom(3);
    const live = new LiveCluster(newCluster(random), { config, random });
    const served = live.current;
    const snapshot = JSON.parse(JSON.stringify(live.snapshot())) as SnapshotDocument;
    const [web, db] = ['web', 'db'].map((name) => snapshot.objects.find((o) => o.kind === 'Service' && o.metadata.name === name)!);
    (db.spec as { ports: Array<{ nodePort: number }> }).ports[0].nodePort = (web.spec as { ports: Array<{ nodePort: number }> }).ports[0].nodePort;
    await expect(live.restore(snapshot)).rejects.toThrow(/was assigned to multiple services/);
    expect(live.current).toBe(served);
    expect(JSON.stringify(live.snapshot())).not.toBe(JSON.stringify(snapshot));
  });
});
