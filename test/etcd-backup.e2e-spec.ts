/**
 * The etcd backup exercise (the CKA task), as a learner runs it against
 * kube-netsim, with the real etcdctl and kubectl (docs/etcd-backup.md):
 * kube-netsim on etcd (the demo cluster), a Deployment exposed as a NodePort
 * Service, `etcdctl snapshot save`, more objects made and one deleted,
 * kube-netsim and etcd stopped, `snapshot restore` into a new data dir
 * (etcdutl where installed, etcdctl on Debian's 3.4), etcd started on it and
 * kube-netsim on that etcd: the cluster is as at the snapshot (what was made
 * after is gone, what was deleted after is back, the same uids, IPs, ports
 * and resourceVersions) and what is made next collides with nothing.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describeWithEtcd, etcdctlOffline, EtcdServer, restoreSnapshot, startEtcd } from './support/etcd';
import { addressesOf, ApiObject, killMain, list, podsWithIPs } from './support/main-api';
import { MainProcess, startMain } from './support/main-process';

function kubectl(main: MainProcess, ...args: string[]): string {
  return execFileSync('kubectl', ['--server', `http://127.0.0.1:${main.port}`, ...args], { encoding: 'utf8', stdio: 'pipe' });
}

/** The pods of `default` once `count` of them are named `prefix…` and every pod has an IP. */
async function settled(main: MainProcess, prefix: string, count: number): Promise<ApiObject[]> {
  for (let attempt = 0; attempt < 300; attempt++) {
    const pods = await podsWithIPs(main, 0);
    if (pods.filter((p) => p.metadata.name.startsWith(prefix)).length === count) return pods;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`${count} pods ${prefix}… did not come`);
}

const serviceLine = (s: ApiObject) => `${s.metadata.name} ${s.metadata.uid} ${s.metadata.resourceVersion} ${JSON.stringify(s.spec)}`;
const podLine = (p: ApiObject) => `${p.metadata.name} ${p.metadata.uid} ${p.status.podIP} ${p.spec.nodeName}`;

describeWithEtcd('etcd backup e2e')('the etcd backup exercise: snapshot save, restore into a new data dir, kube-netsim on it (e2e)', () => {
  let etcd: EtcdServer | undefined;
  let restored: EtcdServer | undefined;
  let main: MainProcess | undefined;
  const work = mkdtempSync(path.join(tmpdir(), 'netsim-etcd-backup-'));
  const snapshot = path.join(work, 'snap.db');
  const newDir = path.join(work, 'etcd-from-backup');
  // Ranges small enough that allocators which forgot what the restored objects hold would soon hand it out again.
  const env = (endpoint: string) => ({
    STORE: 'etcd',
    ETCD_ENDPOINTS: endpoint,
    DATA_DIR: 'none',
    CLOCK: 'manual',
    SERVICE_CLUSTER_IP_RANGE: '10.96.0.0/27',
    SERVICE_NODE_PORT_RANGE: '30070-30099',
  });

  beforeAll(() => {
    execFileSync('kubectl', ['version', '--client'], { stdio: 'pipe' });
  });
  afterAll(async () => {
    if (main) await killMain(main);
    await etcd?.stop();
    await restored?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  it('brings the cluster back as it was at the snapshot, and the next allocations collide with nothing', async () => {
    etcd = await startEtcd();
    main = await startMain(env(etcd.endpoint));
    expect(main.line).toMatch(/with fixtures\/clusters\/demo\.yaml/);
    kubectl(main, 'create', 'deployment', 'before', '--image=nginx', '--replicas=3');
    kubectl(main, 'expose', 'deployment', 'before', '--port=80', '--type=NodePort');
    const pods = await settled(main, 'before-', 3);
    const services = await list(main, '/api/v1/namespaces/default/services');

    // The backup, as the exam's task words it.
    const saved = etcd.etcdctl('snapshot', 'save', snapshot);
    expect(saved).toBe(`Snapshot saved at ${snapshot}\n`);
    const status = JSON.parse(etcdctlOffline('snapshot', 'status', snapshot, '-w', 'json').stdout) as { revision: number; totalKey: number };
    expect(status.totalKey).toBeGreaterThan(50);

    // After the backup: a new Deployment and Service, and one made before deleted.
    kubectl(main, 'create', 'deployment', 'after', '--image=nginx', '--replicas=2');
    kubectl(main, 'expose', 'deployment', 'after', '--port=80', '--type=NodePort');
    expect(kubectl(main, 'delete', 'service', 'before')).toBe('service "before" deleted\n');
    await settled(main, 'after-', 2);
    expect(etcd.etcdctl('get', '/registry/services/specs/default/after', '--keys-only')).toMatch(/after/);

    // Stop kube-netsim (the API server first, as the Kubernetes docs say), then etcd; restore into a new data dir.
    await killMain(main, 'SIGTERM');
    main = undefined;
    await etcd.kill();
    const restore = restoreSnapshot(snapshot, newDir);
    expect(restore.stderr).toMatch(/restored snapshot/);

    // etcd on the restored data: the keyspace at the snapshot's revision (a new cluster ID).
    restored = await startEtcd({ dataDir: newDir });
    const endpointStatus = JSON.parse(restored.etcdctl('endpoint', 'status', '-w', 'json')) as Array<{ Status: { header: { revision: number } } }>;
    expect(endpointStatus[0].Status.header.revision).toBe(status.revision);
    expect(restored.etcdctl('get', '/registry/services/specs/default/after', '--keys-only')).toBe('');

    main = await startMain(env(restored.endpoint));
    expect(main.line).toMatch(/with \d+ objects from etcd/);

    // As at the snapshot: `before` is back, `after` is gone, the same uids, IPs, ports, resourceVersions.
    const servicesAfter = await list(main, '/api/v1/namespaces/default/services');
    expect(servicesAfter.map(serviceLine)).toEqual(services.map(serviceLine));
    expect((await list(main, '/apis/apps/v1/namespaces/default/deployments')).map((d) => d.metadata.name)).not.toContain('after');
    const podsAfter = await podsWithIPs(main, pods.length);
    expect(podsAfter.map(podLine)).toEqual(pods.map(podLine));
    expect(kubectl(main, 'get', 'service', 'after', '--ignore-not-found')).toBe('');

    // The next allocations: none of the addresses or ports the restored objects hold.
    const held = addressesOf(servicesAfter);
    for (let i = 0; i < 8; i++) kubectl(main, 'create', 'service', 'nodeport', `next-${i}`, '--tcp=80:8080');
    kubectl(main, 'create', 'deployment', 'next', '--image=nginx', '--replicas=4');
    const fresh = addressesOf((await list(main, '/api/v1/namespaces/default/services')).filter((s) => s.metadata.name.startsWith('next-')));
    expect(fresh.ips).toHaveLength(8);
    expect(fresh.ips.filter((ip) => held.ips.includes(ip))).toEqual([]);
    expect(fresh.ports.filter((p) => held.ports.includes(p))).toEqual([]);
    await settled(main, 'next-', 4);
    const all = await podsWithIPs(main, pods.length + 4);
    const ips = all.filter((p) => !p.spec.hostNetwork).map((p) => p.status.podIP);
    expect(new Set(ips).size).toBe(ips.length);

    // New writes go on from the snapshot's revision: resourceVersions past it, in the restored etcd.
    const next = (await list(main, '/api/v1/namespaces/default/services')).find((s) => s.metadata.name === 'next-0')!;
    expect(Number(next.metadata.resourceVersion)).toBeGreaterThan(status.revision);
    const stored = JSON.parse(restored.etcdctl('get', '/registry/services/specs/default/next-0', '-w', 'json')) as { kvs: Array<{ mod_revision: number }> };
    expect(String(stored.kvs[0].mod_revision)).toBe(next.metadata.resourceVersion);
  }, 180_000);

  it('stops kube-netsim, writing nothing, when etcd is restored under it (the API server left running)', async () => {
    const own = await startEtcd();
    let back: EtcdServer | undefined;
    let running: MainProcess | undefined;
    const snap = path.join(work, 'running.db');
    const dir = path.join(work, 'etcd-restored-under');
    try {
      running = await startMain(env(own.endpoint));
      kubectl(running, 'create', 'service', 'clusterip', 'kept', '--tcp=80:8080');
      own.etcdctl('snapshot', 'save', snap);
      kubectl(running, 'create', 'service', 'clusterip', 'lost', '--tcp=80:8080');
      await own.kill();
      restoreSnapshot(snap, dir);
      back = await startEtcd({ dataDir: dir, clientPort: Number(new URL(own.endpoint).port) });
      // 'close', not 'exit': the child's stderr is read to its end first.
      const exited = new Promise<number | null>((resolve) => running!.child.once('close', resolve));
      expect(() => kubectl(running!, 'create', 'service', 'clusterip', 'later', '--tcp=80:8080')).toThrow();
      expect(await exited).toBe(1);
      expect(running.stderr()).toMatch(
        /^kube-netsim: etcd (is a new etcd cluster \(ID [0-9a-f]+, was [0-9a-f]+\)|went back to revision \d+ \(it was at \d+\)): restored from a snapshot or replaced while kube-netsim was running\. kube-netsim writes nothing to it; start kube-netsim again to serve what it holds$/m,
      );
      const keys = back.etcdctl('get', '/registry/services/specs/default/', '--prefix', '--keys-only').split('\n').filter(Boolean);
      expect(keys).toContain('/registry/services/specs/default/kept');
      expect(keys.filter((k) => /\/(lost|later)$/.test(k))).toEqual([]);
      running = await startMain(env(back.endpoint));
      const names = (await list(running, '/api/v1/namespaces/default/services')).map((s) => s.metadata.name);
      expect(names).toContain('kept');
      expect(names.filter((n) => n === 'lost' || n === 'later')).toEqual([]);
    } finally {
      if (running) await killMain(running);
      await own.stop();
      await back?.stop();
    }
  }, 120_000);
});
