/**
 * Two processes, one cluster (docs/etcd.md): two kube-netsim processes (the
 * real entry point) on one real etcd. The first leads (kube-controller-manager's
 * Lease in kube-system), the second follows: it serves the API from what it
 * sees through an etcd watch and forwards writes to the leader. The leader is
 * killed with SIGKILL; the follower takes the Lease over once it has not
 * changed for the lease duration, goes on with the simulated clock from where
 * the leader left it, and runs the controllers: a Deployment scaled with the
 * real kubectl afterwards reaches its replicas.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describeWithEtcd, EtcdServer, startEtcd } from './support/etcd';
import { MainProcess, startMain } from './support/main-process';

const run = promisify(execFile);

describeWithEtcd('failover e2e')('two kube-netsim processes on one etcd: leader election and failover (e2e)', () => {
  let etcd: EtcdServer;
  const processes: MainProcess[] = [];
  const env = () => ({ STORE: 'etcd', ETCD_ENDPOINTS: etcd.endpoint, DATA_DIR: 'none', CLOCK: 'manual' });

  const kubectl = async (main: MainProcess, ...args: string[]) => {
    try {
      const { stdout } = await run('kubectl', ['--server', `http://127.0.0.1:${main.port}`, ...args], { timeout: 60_000 });
      return stdout;
    } catch (e) {
      const err = e as { code?: number; stderr?: string };
      throw new Error(`kubectl ${args.join(' ')} failed (${err.code}): ${err.stderr ?? ''}`);
    }
  };
  const call = async (main: MainProcess, method: string, path: string, body?: unknown) => {
    const response = await fetch(`http://127.0.0.1:${main.port}${path}`, {
      method,
      headers: body ? { 'content-type': 'application/json' } : {},
      body: body ? JSON.stringify(body) : undefined,
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };
  const holder = (main: MainProcess) => kubectl(main, 'get', 'lease', 'kube-controller-manager', '-n', 'kube-system', '-o', 'jsonpath={.spec.holderIdentity} {.spec.leaseTransitions}');
  const identityOf = (main: MainProcess) => /(?:leading|following) \(([^)]+)\)/.exec(main.line)![1];
  const until = async <T>(what: string, probe: () => Promise<T | undefined>, timeoutMs: number): Promise<T> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = await probe().catch(() => undefined);
      if (value !== undefined) return value;
      if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  };

  beforeAll(async () => {
    etcd = await startEtcd();
  }, 60_000);
  afterAll(async () => {
    for (const p of processes) p.stop();
    await etcd?.stop();
  });

  it('the follower serves the API and forwards writes; after kill -9 of the leader it takes over within the lease duration and runs the controllers', async () => {
    const leader = await startMain(env());
    processes.push(leader);
    expect(leader.line).toMatch(/fixtures\/clusters\/demo\.yaml \(\d+ objects\); leading \(/);
    const follower = await startMain(env());
    processes.push(follower);
    expect(follower.line).toMatch(/; following \(/);
    const [leaderId, followerId] = [identityOf(leader), identityOf(follower)];
    expect(leaderId).toMatch(/^[^_]+_[0-9a-f-]{36}$/);

    // kubectl on either sees the Lease, held by the leader, with upstream's columns.
    const leases = await until('the follower sees the demo cluster and the Lease', async () => {
      const out = await kubectl(follower, 'get', 'leases', '-A');
      return out.includes('kube-controller-manager') && out.includes('kind-worker2') ? out : undefined;
    }, 30_000);
    expect(leases.split('\n')[0]).toMatch(/^NAMESPACE\s+NAME\s+HOLDER\s+AGE$/);
    expect(leases).toMatch(new RegExp(`kube-system\\s+kube-controller-manager\\s+${leaderId}\\s`));
    expect(await holder(follower)).toBe(`${leaderId} 0`);

    // A write on the follower is the leader's, and the follower reads it back at once.
    await kubectl(follower, 'create', 'deployment', 'web2', '--image=nginx', '--replicas=2');
    expect(await kubectl(follower, 'get', 'deployment', 'web2', '-o', 'jsonpath={.spec.replicas}')).toBe('2');
    expect(await kubectl(leader, 'get', 'deployment', 'web2', '-o', 'jsonpath={.spec.replicas}')).toBe('2');
    // The leader's controllers made its pods; the follower sees them through etcd.
    await until('the follower sees web2 ready', async () => ((await kubectl(follower, 'get', 'deployment', 'web2', '-o', 'jsonpath={.status.readyReplicas}')) === '2' ? true : undefined), 60_000);

    // kube-netsim's own endpoints on the follower are the leader's (its kube-proxies' rules).
    const rules = async (main: MainProcess) => (await fetch(`http://127.0.0.1:${main.port}/netsim/v1/nodes/kind-worker/iptables`)).text();
    const fromFollower = await rules(follower);
    expect(fromFollower).toContain('KUBE-SERVICES');
    expect(fromFollower).toBe(await rules(leader));

    // The simulated clock moves on the leader (a request to the follower is forwarded), and the Lease keeps it.
    const advanced = await call(follower, 'POST', '/netsim/v1/clock/advance', { seconds: 3600 });
    expect(advanced.status).toBe(200);
    const leaderTime = Date.parse((advanced.body as { now: string }).now);
    await until('the Lease carries the simulated time', async () => {
      const out = await kubectl(follower, 'get', 'lease', 'kube-controller-manager', '-n', 'kube-system', '-o', "jsonpath={.metadata.annotations['kube-netsim\\.io/simulated-time']}");
      return Date.parse(out) >= leaderTime ? true : undefined;
    }, 10_000);

    // Neither process refused or re-applied the other's writes (an etcd transaction refused is a fault).
    expect(((await call(leader, 'GET', '/netsim/v1/clock')).body as { faults: unknown }).faults).toEqual({ count: 0 });

    // kill -9 the leader: the follower takes over once the Lease has not changed for 15 s.
    const killed = Date.now();
    leader.child.kill('SIGKILL');
    await until('the follower holds the Lease', async () => ((await holder(follower)) === `${followerId} 1` ? true : undefined), 40_000);
    const takeoverMs = Date.now() - killed;
    // From the Lease itself: the new holder's acquireTime against the dead holder's last renewTime (the version before, in etcd's history).
    const key = '/registry/leases/kube-system/kube-controller-manager';
    const modRevision = Number(JSON.parse(etcd.etcdctl('get', key, '-w', 'json')).kvs[0].mod_revision);
    const before = JSON.parse(etcd.etcdctl('get', key, `--rev=${modRevision - 1}`, '--print-value-only')) as { spec: { holderIdentity: string; renewTime: string } };
    const after = JSON.parse(etcd.etcdctl('get', key, '--print-value-only')) as { spec: { acquireTime: string } };
    expect(before.spec.holderIdentity).toBe(leaderId);
    const sinceRenewal = Date.parse(after.spec.acquireTime) - Date.parse(before.spec.renewTime);
    process.stderr.write(
      `failover e2e: the follower took the Lease over ${(sinceRenewal / 1000).toFixed(2)} s after the dead leader's last renewal ` +
        `(seen by kubectl ${(takeoverMs / 1000).toFixed(1)} s after kill -9; lease duration 15 s, retry period 2 s)\n`,
    );

    // The clock went on from where the leader had it.
    const clock = await call(follower, 'GET', '/netsim/v1/clock');
    expect(clock.status).toBe(200);
    expect(Date.parse((clock.body as { now: string }).now)).toBeGreaterThanOrEqual(leaderTime);

    // A Deployment scaled now reaches its replicas: the controllers, scheduler and kubelets run in the survivor.
    await kubectl(follower, 'scale', 'deployment', 'web2', '--replicas=5');
    await until(
      'web2 has 5 ready replicas',
      async () => {
        await call(follower, 'POST', '/netsim/v1/clock/advance', { seconds: 5 });
        return (await kubectl(follower, 'get', 'deployment', 'web2', '-o', 'jsonpath={.status.readyReplicas}')) === '5' ? true : undefined;
      },
      60_000,
    );
    const pods = await kubectl(follower, 'get', 'pods', '-l', 'app=web2', '-o', 'jsonpath={range .items[*]}{.status.podIP}{"\\n"}{end}');
    const ips = pods.split('\n').filter(Boolean);
    expect(ips).toHaveLength(5);
    expect(new Set(ips).size).toBe(5); // the repaired allocators gave the new pods addresses no one holds
    expect(((await call(follower, 'GET', '/netsim/v1/clock')).body as { faults: unknown }).faults).toEqual({ count: 0 });
  }, 240_000);

  it('a leader that finds its Lease held by another (written in etcd behind its back) stops: leaderelection lost, exit 1', async () => {
    const survivor = processes.find((p) => p.child.exitCode === null && p.child.signalCode === null)!;
    const key = '/registry/leases/kube-system/kube-controller-manager';
    const lease = JSON.parse(etcd.etcdctl('get', key, '--print-value-only')) as { spec: Record<string, unknown> };
    const now = new Date().toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
    lease.spec = { ...lease.spec, holderIdentity: 'intruder_1', acquireTime: now, renewTime: now };
    const exited = new Promise<number | null>((resolve) => survivor.child.once('exit', (code) => resolve(code)));
    etcd.etcdctl('put', key, JSON.stringify(lease));
    expect(await exited).toBe(1);
    expect(survivor.stderr()).toContain('kube-netsim: leaderelection lost');
  }, 60_000);
});
