/**
 * A lost etcd member: kube-netsim on a three-member etcd cluster
 * (ETCD_ENDPOINTS names all three), a burst of Service creates, and the
 * etcd leader killed with SIGKILL in the middle of it. The two members left
 * are a quorum: they elect a new leader, kube-netsim's etcd client moves to
 * them, and every write is answered. No acknowledged write is lost: each
 * Service answered 201 is in etcd (read from a member left) and comes back
 * when kube-netsim is started again (with the three endpoints, one of them
 * dead). Reads answer all along.
 *
 * Size: NSIM_ETCD_BURST Services, 300 by default.
 */
import { describeWithEtcd, EtcdCluster, startEtcdCluster } from './support/etcd';
import { ApiObject, call, createAll, killMain, list } from './support/main-api';
import { MainProcess, startMain } from './support/main-process';

const BURST = Number(process.env.NSIM_ETCD_BURST ?? 300);

interface MemberStatus {
  Endpoint: string;
  Status: { header: { member_id: string }; leader: string };
}

describeWithEtcd('etcd lost member e2e')('kube-netsim on a three-member etcd: one member lost during a burst of writes (e2e)', () => {
  let etcd: EtcdCluster;
  let main: MainProcess | undefined;
  const env = (endpoints: string[]) => ({ STORE: 'etcd', ETCD_ENDPOINTS: endpoints.join(','), CLUSTER_FILE: 'none', DATA_DIR: 'none', CLOCK: 'manual' });

  beforeAll(async () => {
    etcd = await startEtcdCluster(3);
  }, 60_000);
  afterAll(async () => {
    if (main) await killMain(main);
    await etcd?.stop();
  });

  it(`loses no acknowledged write of ${BURST} Service creates when the etcd leader is killed half way, and keeps answering`, async () => {
    main = await startMain(env(etcd.endpoints));
    // Member ids are 64-bit: read them as text, not as JSON numbers.
    const text = etcd.members[0].etcdctl(`--endpoints=${etcd.endpoints.join(',')}`, 'endpoint', 'status', '-w', 'json').replace(/:(\d{16,})/g, ':"$1"');
    const statuses = JSON.parse(text) as MemberStatus[];
    const leader = etcd.members.find((m) => statuses.find((s) => s.Endpoint === m.endpoint)!.Status.header.member_id === statuses[0].Status.leader)!;
    const survivors = etcd.members.filter((m) => m !== leader);
    expect(survivors).toHaveLength(2);

    const acknowledged = new Map<string, ApiObject>();
    let killed: Promise<void> | undefined;
    // Reads all along: every one answers 200.
    let reading = true;
    const reads: number[] = [];
    const reader = (async () => {
      while (reading) {
        reads.push((await call(main!, 'GET', '/api/v1/namespaces/default/services?limit=1')).status);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    })();
    await createAll(BURST, 16, async (i) => {
      if (i === Math.floor(BURST / 3)) killed = leader.kill('SIGKILL');
      const answer = await call(main!, 'POST', '/api/v1/namespaces/default/services', {
        metadata: { name: `svc-${i}` },
        spec: { type: i % 4 === 0 ? 'NodePort' : 'ClusterIP', ports: [{ port: 80, targetPort: 8080 }], selector: { app: `a${i}` } },
      });
      if (answer.status === 201) acknowledged.set(`svc-${i}`, answer.body as unknown as ApiObject);
      return answer;
    });
    reading = false;
    await reader;
    await killed;
    expect(acknowledged.size).toBe(BURST);
    expect(reads.length).toBeGreaterThan(0);
    expect(reads.filter((s) => s !== 200)).toEqual([]);

    // Every acknowledged Service is in etcd, as written (read from a member left).
    const stored = JSON.parse(survivors[0].etcdctl('get', '/registry/services/specs/default/', '--prefix', '-w', 'json')) as { kvs: Array<{ key: string; value: string; mod_revision: number }> };
    const inEtcd = new Map(stored.kvs.map((kv) => [Buffer.from(kv.key, 'base64').toString(), kv]));
    const missing = [...acknowledged.keys()].filter((name) => !inEtcd.has(`/registry/services/specs/default/${name}`));
    expect(missing).toEqual([]);
    for (const [name, object] of acknowledged) {
      const kv = inEtcd.get(`/registry/services/specs/default/${name}`)!;
      const value = JSON.parse(Buffer.from(kv.value, 'base64').toString()) as ApiObject;
      expect(`${name} ${value.metadata.uid} ${value.spec.clusterIP}`).toBe(`${name} ${object.metadata.uid} ${object.spec.clusterIP}`);
    }

    // The API answered all along, and still does: a write after the burst is answered too.
    expect((await call(main, 'POST', '/api/v1/namespaces/default/services', { metadata: { name: 'after' }, spec: { ports: [{ port: 80 }] } })).status).toBe(201);

    // kube-netsim started again, ETCD_ENDPOINTS still naming the three (one is dead): every acknowledged Service is back, as answered.
    await killMain(main);
    main = await startMain(env(etcd.endpoints));
    const back = new Map((await list(main, '/api/v1/namespaces/default/services')).map((s) => [s.metadata.name, s]));
    for (const [name, object] of acknowledged) {
      expect(`${name} ${back.get(name)?.metadata.uid} ${back.get(name)?.spec.clusterIP}`).toBe(`${name} ${object.metadata.uid} ${object.spec.clusterIP}`);
    }
    expect(back.has('after')).toBe(true);
  }, 300_000);
});
