import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

/**
 * A real etcd for the specs: Debian's `etcd-server` (`/usr/bin/etcd`),
 * started on free ports with its own data dir under /tmp, stopped by its
 * process id. Where it is not installed the etcd specs are skipped and say
 * how to install it; NSIM_ETCD_REQUIRED=1 makes that a failure instead.
 */
export const ETCD_BINARY = process.env.ETCD_BINARY ?? '/usr/bin/etcd';
export const ETCDCTL_BINARY = process.env.ETCDCTL_BINARY ?? '/usr/bin/etcdctl';

/** Why the etcd specs cannot run here, or undefined when they can. */
export function etcdUnavailable(): string | undefined {
  if (spawnSync(ETCD_BINARY, ['--version']).status !== 0) return `${ETCD_BINARY} is not installed (apt-get install -y etcd-server etcd-client)`;
  return undefined;
}

/** `describe`, or `describe.skip` with a line on stderr saying why, where etcd is absent. */
export function describeWithEtcd(suite: string): jest.Describe {
  const why = etcdUnavailable();
  if (why === undefined) return describe;
  const message = `${suite} SKIPPED: ${why}`;
  if (process.env.NSIM_ETCD_REQUIRED === '1') throw new Error(message);
  process.stderr.write(`\n*** ${message} ***\n\n`);
  return describe.skip;
}

/** A free TCP port on loopback (the kernel picks it; it is free when this returns). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export interface EtcdServer {
  readonly endpoint: string;
  /** Its member name and peer URL (a restore that keeps its identity names them). */
  readonly name: string;
  readonly peerUrl: string;
  readonly dataDir: string;
  readonly pid: number;
  /** Runs etcdctl (API v3) against this server; returns its stdout (throws on a non-zero exit). */
  etcdctl(...args: string[]): string;
  /** Kills it (SIGKILL by default) and waits for it to exit; the data dir stays. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** Kills it and removes its data dir. */
  stop(): Promise<void>;
}

export interface EtcdStartOptions {
  /** Reuse a data dir (a restart); a new one under /tmp otherwise. */
  dataDir?: string;
  /** Extra etcd flags (`--max-txn-ops=...`). */
  flags?: string[];
  /** The client port (an etcd started again where clients know it); a free one otherwise. */
  clientPort?: number;
}

/** Starts an etcd member alone in its cluster; resolves once it answers. */
export async function startEtcd(options: EtcdStartOptions = {}): Promise<EtcdServer> {
  const member = await memberPorts('netsim', options.clientPort);
  return startMember(member, `netsim=${member.peerUrl}`, options);
}

/** One member's name and URLs, on free ports of loopback. */
interface MemberPorts {
  name: string;
  endpoint: string;
  peerUrl: string;
}

async function memberPorts(name: string, clientPort?: number): Promise<MemberPorts> {
  const [client, peer] = [clientPort ?? (await freePort()), await freePort()];
  return { name, endpoint: `http://127.0.0.1:${client}`, peerUrl: `http://127.0.0.1:${peer}` };
}

/** Starts one member of the cluster `initialCluster` (`name=peerUrl,…`); resolves once it answers (so: once the cluster has a leader). */
async function startMember(member: MemberPorts, initialCluster: string, options: EtcdStartOptions = {}): Promise<EtcdServer> {
  const { endpoint, peerUrl } = member;
  const dataDir = options.dataDir ?? mkdtempSync(path.join(tmpdir(), 'netsim-etcd-'));
  const child: ChildProcess = spawn(
    ETCD_BINARY,
    [
      `--name=${member.name}`,
      `--data-dir=${dataDir}`,
      `--listen-client-urls=${endpoint}`,
      `--advertise-client-urls=${endpoint}`,
      `--listen-peer-urls=${peerUrl}`,
      `--initial-advertise-peer-urls=${peerUrl}`,
      `--initial-cluster=${initialCluster}`,
      '--log-level=error',
      ...(options.flags ?? []),
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr = (stderr + d).slice(-4000)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const etcdctl = (...args: string[]): string => {
    const run = spawnSync(ETCDCTL_BINARY, [`--endpoints=${endpoint}`, ...args], { env: { ...process.env, ETCDCTL_API: '3' }, encoding: 'utf8', maxBuffer: 1 << 30 });
    if (run.status !== 0) throw new Error(`etcdctl ${args.join(' ')}: ${run.stderr}`);
    return run.stdout;
  };
  const kill = async (signal: NodeJS.Signals = 'SIGKILL') => {
    if (child.exitCode === null && child.signalCode === null) process.kill(child.pid!, signal);
    await exited;
  };
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`etcd exited with ${child.exitCode}: ${stderr}`);
    const health = spawnSync(ETCDCTL_BINARY, [`--endpoints=${endpoint}`, '--command-timeout=2s', 'endpoint', 'health'], { env: { ...process.env, ETCDCTL_API: '3' } });
    if (health.status === 0) break;
    if (Date.now() > deadline) {
      await kill();
      throw new Error(`etcd did not answer within 30 s: ${stderr}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return {
    endpoint,
    name: member.name,
    peerUrl,
    dataDir,
    pid: child.pid!,
    etcdctl,
    kill,
    stop: async () => {
      await kill();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** A cluster of etcd members on loopback (a static `--initial-cluster`), each on free ports with its own data dir. */
export interface EtcdCluster {
  readonly members: EtcdServer[];
  /** Every member's client URL, in member order. */
  readonly endpoints: string[];
  /** Kills every member still running and removes their data dirs. */
  stop(): Promise<void>;
}

/** Starts `size` members (`netsim-0`, `netsim-1`, …) together; resolves once every one answers. */
export async function startEtcdCluster(size = 3, options: Omit<EtcdStartOptions, 'dataDir'> = {}): Promise<EtcdCluster> {
  const ports: MemberPorts[] = [];
  for (let i = 0; i < size; i++) ports.push(await memberPorts(`netsim-${i}`));
  const initialCluster = ports.map((m) => `${m.name}=${m.peerUrl}`).join(',');
  const flags = [`--initial-cluster-token=netsim-${process.pid}-${ports[0].endpoint.split(':')[2]}`, ...(options.flags ?? [])];
  const started = await Promise.allSettled(ports.map((m) => startMember(m, initialCluster, { flags })));
  const members = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  const stop = async () => {
    for (const member of members) await member.stop();
  };
  const failed = started.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failed) {
    await stop();
    throw failed.reason;
  }
  return { members, endpoints: members.map((m) => m.endpoint), stop };
}

/**
 * Where `snapshot restore` lives: etcd 3.5 moved it to `etcdutl` (3.6 removed
 * it from etcdctl); Debian's etcd-client 3.4 has only `etcdctl snapshot restore`.
 */
export const ETCDUTL_BINARY = process.env.ETCDUTL_BINARY ?? '/usr/bin/etcdutl';

/** Runs etcdctl (API v3) with no endpoint (`snapshot status`, `snapshot restore`); returns stdout and stderr. */
export function etcdctlOffline(...args: string[]): { stdout: string; stderr: string } {
  const run = spawnSync(ETCDCTL_BINARY, args, { env: { ...process.env, ETCDCTL_API: '3' }, encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`etcdctl ${args.join(' ')}: ${run.stderr}`);
  return { stdout: run.stdout, stderr: run.stderr };
}

/**
 * `snapshot restore <snapshot> --data-dir <dataDir> [flags]` as a learner
 * types it, with etcdutl where it is installed (etcd 3.5 and later), etcdctl otherwise;
 * returns the command run and its stdout and stderr.
 */
export function restoreSnapshot(snapshot: string, dataDir: string, flags: string[] = []): { command: string; stdout: string; stderr: string } {
  const etcdutl = spawnSync(ETCDUTL_BINARY, ['version']).status === 0;
  const args = ['snapshot', 'restore', snapshot, '--data-dir', dataDir, ...flags];
  if (!etcdutl) return { command: `etcdctl ${args.join(' ')}`, ...etcdctlOffline(...args) };
  const run = spawnSync(ETCDUTL_BINARY, args, { encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`etcdutl ${args.join(' ')}: ${run.stderr}`);
  return { command: `etcdutl ${args.join(' ')}`, stdout: run.stdout, stderr: run.stderr };
}
