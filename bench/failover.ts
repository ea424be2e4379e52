/**
 * bench/failover: two kube-netsim processes (the real entry point) on one
 * real etcd (Debian's etcd-server, started here on free ports). Not a test:
 * it asserts nothing.
 *
 * 1. Service create latency answered by the leader, and by the follower
 *    (forwarded to the leader, answered once the follower has seen the write
 *    through its etcd watch): FAILOVER_BENCH_CREATES (200) each, one at a time.
 * 2. Takeover, FAILOVER_BENCH_ROUNDS (3) times: kill -9 the leader; the time
 *    until the follower holds the Lease, from the kill (as a client polling the
 *    Lease every 50 ms sees it) and from the dead leader's last renewal (the
 *    new acquireTime against the last renewTime, from etcd's history). The
 *    killed process is started again, as a follower, for the next round.
 */
import { performance } from 'node:perf_hooks';
import { etcdUnavailable, EtcdServer, startEtcd } from '../test/support/etcd';
import { MainProcess, startMain } from '../test/support/main-process';

const CREATES = Number(process.env.FAILOVER_BENCH_CREATES ?? 200);
const ROUNDS = Number(process.env.FAILOVER_BENCH_ROUNDS ?? 3);
const LEASE_KEY = '/registry/leases/kube-system/kube-controller-manager';

const line = (what: string, figure: string) => process.stdout.write(`failover: ${what}: ${figure}\n`);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

async function call(main: MainProcess, method: string, path: string, body?: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`http://127.0.0.1:${main.port}${path}`, {
    method,
    headers: body ? { 'content-type': 'application/json' } : {},
    body: body ? JSON.stringify(body) : undefined,
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

async function holder(main: MainProcess): Promise<string | undefined> {
  const answer = await call(main, 'GET', '/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/kube-controller-manager').catch(() => undefined);
  return (answer?.body.spec as { holderIdentity?: string } | undefined)?.holderIdentity;
}

const identityOf = (main: MainProcess) => /(?:leading|following) \(([^)]+)\)/.exec(main.line)![1];

async function createLatency(name: string, via: MainProcess, offset: number): Promise<void> {
  const times: number[] = [];
  for (let i = 0; i < CREATES; i++) {
    const started = performance.now();
    const answer = await call(via, 'POST', '/api/v1/namespaces/default/services', { metadata: { name: `svc-${offset + i}` }, spec: { ports: [{ port: 80 }] } });
    times.push(performance.now() - started);
    if (answer.status !== 201) throw new Error(`create through the ${name}: ${answer.status} ${JSON.stringify(answer.body)}`);
  }
  times.sort((a, b) => a - b);
  line(`Service create answered by the ${name} (${CREATES}, one at a time): p50 / p99`, `${percentile(times, 50).toFixed(1)} ms / ${percentile(times, 99).toFixed(1)} ms`);
}

async function main(): Promise<void> {
  const why = etcdUnavailable();
  if (why) {
    process.stdout.write(`failover: skipped: ${why}\n`);
    return;
  }
  let etcd: EtcdServer | undefined;
  const running = new Set<MainProcess>();
  const start = async () => {
    const p = await startMain({ STORE: 'etcd', ETCD_ENDPOINTS: etcd!.endpoint, DATA_DIR: 'none', CLOCK: 'manual', CLUSTER_FILE: 'none' });
    running.add(p);
    return p;
  };
  try {
    etcd = await startEtcd();
    let leader = await start();
    let follower = await start();
    while ((await holder(follower)) !== identityOf(leader)) await sleep(50);

    await createLatency('leader', leader, 0);
    await createLatency('follower', follower, CREATES);

    const fromKill: number[] = [];
    const fromRenewal: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const killed = performance.now();
      leader.child.kill('SIGKILL');
      running.delete(leader);
      while ((await holder(follower)) !== identityOf(follower)) await sleep(50);
      fromKill.push(performance.now() - killed);
      const modRevision = Number(JSON.parse(etcd.etcdctl('get', LEASE_KEY, '-w', 'json')).kvs[0].mod_revision);
      const before = JSON.parse(etcd.etcdctl('get', LEASE_KEY, `--rev=${modRevision - 1}`, '--print-value-only')).spec as { renewTime: string };
      const after = JSON.parse(etcd.etcdctl('get', LEASE_KEY, '--print-value-only')).spec as { acquireTime: string };
      fromRenewal.push(Date.parse(after.acquireTime) - Date.parse(before.renewTime));
      // The survivor leads; the killed one comes back as its follower.
      leader = follower;
      follower = await start();
      while ((await holder(follower)) !== identityOf(leader)) await sleep(50);
      await sleep(Math.random() * 2000); // kill at a random point of the renewal period
    }
    const seconds = (list: number[]) => list.map((ms) => (ms / 1000).toFixed(2)).join(', ') + ' s';
    line(`takeover after kill -9 of the leader, as a client sees it (${ROUNDS} rounds; lease duration 15 s)`, seconds(fromKill));
    line('takeover after the dead leader\'s last renewal (acquireTime - renewTime)', seconds(fromRenewal));
  } finally {
    for (const p of running) p.stop();
    await etcd?.stop();
  }
}

main().catch((e) => {
  process.stderr.write(`${(e as Error).stack}\n`);
  process.exit(1);
});
