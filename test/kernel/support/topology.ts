/**
 * Network-namespace topologies for the kernel agreement suite.
 *
 *   outside namespace ("out")                         node namespace ("node")
 *   up0 192.168.0.1/24 (+ 192.168.0.77)  <-- veth -->  eth0 192.168.0.2/24, default via 192.168.0.1
 *   lo: remote pods (10.180.1.x ...),                  cni0 bridge 10.180.0.254/24
 *       outside clients (203.0.113.x ...),               |-- veth -- pod namespace: eth0 10.180.0.2/24, default via .254
 *       NAT targets                                      |-- veth -- pod namespace: eth0 10.180.0.10/24 ...
 *   default via 192.168.0.2                              (bridge ports in hairpin mode, as the CNI bridge plugin sets them)
 *
 * The node namespace gets the ruleset (real `iptables-restore`) and the
 * sysctls kube-proxy expects (ip_forward, route_localnet, rp_filter off,
 * bridge-nf-call-iptables, no ICMP rate limit). Every namespace runs a
 * listener (support/listener.js) on the ports of interest; clients
 * (support/client.js) run in the pod, node or outside namespace.
 *
 * Names are unique per run (`nsim-k<pid>r<random>-...`); every namespace is
 * deleted in `destroy()` (the suites call it in afterAll, also after a
 * failure), on exit and on SIGINT / SIGTERM / SIGHUP, and, should the process
 * die otherwise, by a detached watchdog that waits for it to end.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { HostSpec } from '../../../src/netfilter/host';

export const NODE_IP = '192.168.0.2';
export const GATEWAY_IP = '192.168.0.1';
export const ONLINK_CLIENT_IP = '192.168.0.77';
export const BRIDGE_IP = '10.180.0.254';
export const POD_NET = '10.180.0.0/24';

/** The node as the engine sees it: the same interfaces and routes the namespace gets. */
export const ENGINE_HOST: HostSpec = {
  interfaces: [
    { name: 'lo', addresses: ['127.0.0.1/8'] },
    { name: 'eth0', addresses: [`${NODE_IP}/24`] },
    { name: 'cni0', addresses: [`${BRIDGE_IP}/24`] },
  ],
  routes: [{ destination: 'default', via: GATEWAY_IP, interface: 'eth0' }],
};

export interface TopologySpec {
  /** Local pods: one namespace each, behind cni0. */
  readonly pods: readonly string[];
  /** Addresses the outside namespace holds besides its own (remote pods, outside clients, NAT targets). */
  readonly outsideAddresses: readonly string[];
  /** Ports every listener listens on (TCP and UDP). */
  readonly ports: readonly number[];
  /** nfacct objects the ruleset names (kube-proxy's counting rules need them to exist). */
  readonly nfacct?: readonly string[];
}

export interface ListenerRecord {
  readonly ns: string;
  readonly proto: 'tcp' | 'udp';
  readonly id: string;
  readonly local: string;
  readonly localPort: number;
  readonly remote: string;
  readonly remotePort: number;
}

export interface ClientResult {
  readonly id: string;
  readonly result: string;
  readonly localPort: number | null;
}

export interface ClientSpec {
  readonly protocol: 'tcp' | 'udp';
  readonly destination: string;
  readonly port: number;
  readonly source?: string;
  readonly ids: readonly string[];
  readonly concurrency: number;
  readonly timeoutMs: number;
}

// ---------------------------------------------------------------------------
// Cleanup that survives failures and signals
// ---------------------------------------------------------------------------

const liveNamespaces = new Set<string>();
const liveChildren = new Set<ChildProcess>();
let handlersInstalled = false;

function cleanupEverything(): void {
  for (const child of liveChildren) {
    try {
      child.kill('SIGKILL');
    } catch {
      // already gone
    }
  }
  liveChildren.clear();
  for (const ns of liveNamespaces) spawnSync('ip', ['netns', 'del', ns]);
  liveNamespaces.clear();
}

/** Every namespace this process creates starts with this (pid: a watchdog can find them). */
const PREFIX = `nsim-k${process.pid}r`;

function installHandlers(): void {
  if (handlersInstalled) return;
  handlersInstalled = true;
  // A detached watchdog removes this run's namespaces once this process is gone, however it
  // ended (a signal Jest handles itself, SIGKILL, a crash).
  const watchdog = spawn(
    'sh',
    ['-c', `while kill -0 ${process.pid} 2>/dev/null; do sleep 1; done; for ns in $(ip netns list | awk '{print $1}' | grep '^${PREFIX}'); do ip netns del "$ns"; done`],
    { detached: true, stdio: 'ignore' },
  );
  watchdog.unref();
  process.on('exit', cleanupEverything);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => {
      cleanupEverything();
      process.exit(128 + (signal === 'SIGINT' ? 2 : signal === 'SIGTERM' ? 15 : 1));
    });
  }
}

// ---------------------------------------------------------------------------

const SUPPORT = __dirname;
let counter = 0;

function run(args: readonly string[], input?: string): string {
  const r = spawnSync(args[0], args.slice(1), { input, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0) {
    throw new Error(`${args.join(' ')} failed (${r.status ?? r.signal}): ${r.stderr || r.stdout}`);
  }
  return r.stdout;
}

export class Topology {
  readonly node: string;
  readonly out: string;
  /** Pod address -> namespace. */
  readonly pods = new Map<string, string>();
  readonly dir: string;
  readonly logFile: string;
  private readonly listeners: ChildProcess[] = [];

  private constructor(readonly spec: TopologySpec) {
    installHandlers();
    const base = `${PREFIX}${Math.random().toString(36).slice(2, 6)}${counter++}`;
    this.node = `${base}-node`;
    this.out = `${base}-out`;
    spec.pods.forEach((ip, i) => this.pods.set(ip, `${base}-p${i}`));
    this.dir = mkdtempSync(join(tmpdir(), 'nsim-kernel-'));
    this.logFile = join(this.dir, 'listeners.jsonl');
    writeFileSync(this.logFile, '');
  }

  /** Builds the namespaces and starts a listener in each. */
  static async create(spec: TopologySpec): Promise<Topology> {
    const t = new Topology(spec);
    try {
      t.build();
      await t.startListeners();
    } catch (e) {
      t.destroy();
      throw e;
    }
    return t;
  }

  private build(): void {
    const { node, out } = this;
    const namespaces = [node, out, ...this.pods.values()];
    for (const ns of namespaces) {
      run(['ip', 'netns', 'add', ns]);
      liveNamespaces.add(ns);
    }
    const sysctl = (ns: string, ...settings: string[]) => `ip netns exec ${ns} sysctl -q ${settings.map((s) => `-w ${s}`).join(' ')}`;
    const lines: string[] = [
      // Sysctls first: conf.default applies to interfaces created afterwards.
      sysctl(node, 'net.ipv4.ip_forward=1', 'net.ipv4.conf.all.route_localnet=1', 'net.ipv4.conf.all.rp_filter=0', 'net.ipv4.conf.default.rp_filter=0', 'net.ipv4.icmp_ratelimit=0'),
      sysctl(out, 'net.ipv4.conf.all.rp_filter=0', 'net.ipv4.conf.default.rp_filter=0', 'net.ipv4.icmp_ratelimit=0'),
      `ip -n ${node} link set lo up`,
      `ip -n ${out} link set lo up`,
      `ip -n ${node} link add eth0 type veth peer name up0 netns ${out}`,
      `ip -n ${node} addr add ${NODE_IP}/24 dev eth0`,
      `ip -n ${node} link set eth0 up`,
      `ip -n ${out} addr add ${GATEWAY_IP}/24 dev up0`,
      `ip -n ${out} addr add ${ONLINK_CLIENT_IP}/24 dev up0`,
      `ip -n ${out} link set up0 up`,
      `ip -n ${node} route add default via ${GATEWAY_IP} dev eth0`,
      `ip -n ${out} route add default via ${NODE_IP} dev up0`,
      `ip -n ${node} link add cni0 type bridge`,
      `ip -n ${node} addr add ${BRIDGE_IP}/24 dev cni0`,
      `ip -n ${node} link set cni0 up`,
    ];
    for (const address of this.spec.outsideAddresses) lines.push(`ip -n ${out} addr add ${address}/32 dev lo`);
    let i = 0;
    for (const [ip, ns] of this.pods) {
      const veth = `vp${i++}`;
      lines.push(
        `ip netns exec ${ns} sysctl -q -w net.ipv4.conf.all.rp_filter=0 -w net.ipv4.conf.default.rp_filter=0`,
        `ip -n ${ns} link set lo up`,
        `ip -n ${node} link add ${veth} type veth peer name eth0 netns ${ns}`,
        `ip -n ${node} link set ${veth} master cni0`,
        // As the CNI bridge plugin with hairpinMode (flannel's default): with br_netfilter a
        // DNAT back to the sender's own port is bridged, and needs hairpin mode on that port.
        `ip -n ${node} link set ${veth} type bridge_slave hairpin on`,
        `ip -n ${node} link set ${veth} up`,
        `ip -n ${ns} addr add ${ip}/24 dev eth0`,
        `ip -n ${ns} link set eth0 up`,
        `ip -n ${ns} route add default via ${BRIDGE_IP} dev eth0`,
      );
    }
    // Bridged pod-to-pod frames must meet the node's conntrack (Kubernetes requires it).
    lines.push(`ip netns exec ${node} sysctl -q -w net.bridge.bridge-nf-call-iptables=1 || true`);
    for (const name of this.spec.nfacct ?? []) lines.push(`ip netns exec ${node} nfacct add ${name}`);
    run(['bash', '-e', '-o', 'pipefail', '-c', lines.join('\n')]);
  }

  private async startListeners(): Promise<void> {
    const ports = this.spec.ports.join(',');
    const all: [string, string][] = [
      [this.node, 'node'],
      [this.out, 'out'],
      ...[...this.pods].map(([ip, ns]): [string, string] => [ns, `pod:${ip}`]),
    ];
    await Promise.all(
      all.map(
        ([ns, label]) =>
          new Promise<void>((resolve, reject) => {
            // stdin stays open: the listener exits when it closes (this process gone, however).
            const child = spawn('ip', ['netns', 'exec', ns, process.execPath, join(SUPPORT, 'listener.js'), this.logFile, label, ports], {
              stdio: ['pipe', 'pipe', 'pipe'],
            });
            liveChildren.add(child);
            this.listeners.push(child);
            let stderr = '';
            const timer = setTimeout(() => reject(new Error(`listener in ${label} did not start: ${stderr}`)), 15000);
            child.stderr!.on('data', (d) => {
              stderr += d;
              appendFileSync(join(this.dir, 'listener-errors.log'), String(d));
            });
            child.stdout!.on('data', (d) => {
              if (String(d).includes('ready')) {
                clearTimeout(timer);
                resolve();
              }
            });
            child.on('exit', (code) => {
              liveChildren.delete(child);
              clearTimeout(timer);
              if (code !== 0 && code !== null) reject(new Error(`listener in ${label} exited with ${code}: ${stderr}`));
            });
          }),
      ),
    );
  }

  /** The namespace that sends a probe: a pod's, the node's, or the outside one. */
  namespaceOf(from: { kind: 'pod'; ip: string } | { kind: 'host' } | { kind: 'outside'; ip: string }): string {
    if (from.kind === 'host') return this.node;
    if (from.kind === 'outside') return this.out;
    const ns = this.pods.get(from.ip);
    if (!ns) throw new Error(`no pod namespace for ${from.ip}`);
    return ns;
  }

  /** Loads a ruleset with the real iptables-restore in the node namespace. */
  restore(rules: string): void {
    run(['ip', 'netns', 'exec', this.node, 'iptables-restore'], rules);
  }

  /** The real iptables-save of the node namespace, `#` lines dropped. */
  save(): string {
    return run(['ip', 'netns', 'exec', this.node, 'iptables-save'])
      .split('\n')
      .filter((l) => !l.startsWith('#'))
      .join('\n');
  }

  /** Runs a client in a namespace; answers what each id's socket saw. */
  client(ns: string, spec: ClientSpec): ClientResult[] {
    const r = spawnSync('ip', ['netns', 'exec', ns, process.execPath, join(SUPPORT, 'client.js'), JSON.stringify(spec)], {
      encoding: 'utf8',
      maxBuffer: 16 * 1024 * 1024,
      timeout: 60000,
    });
    if (r.status !== 0) throw new Error(`client in ${ns} failed (${r.status ?? r.signal}): ${r.stderr}`);
    return JSON.parse(r.stdout) as ClientResult[];
  }

  /** Every record the listeners wrote so far. */
  records(): ListenerRecord[] {
    return readFileSync(this.logFile, 'utf8')
      .split('\n')
      .filter((l) => l.length > 0)
      .map((l) => JSON.parse(l) as ListenerRecord);
  }

  destroy(): void {
    for (const child of this.listeners) {
      try {
        child.kill('SIGKILL');
      } catch {
        // already gone
      }
      liveChildren.delete(child);
    }
    for (const ns of [this.node, this.out, ...this.pods.values()]) {
      spawnSync('ip', ['netns', 'del', ns]);
      liveNamespaces.delete(ns);
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Why the kernel suite cannot run here, or undefined when it can. */
export function kernelSuiteUnavailable(): string | undefined {
  if (process.platform !== 'linux') return `not Linux (${process.platform})`;
  if (process.getuid?.() !== 0) return 'not running as root (network namespaces and iptables need root)';
  for (const tool of ['ip', 'iptables-restore', 'iptables-save', 'nfacct']) {
    const found = spawnSync('sh', ['-c', `command -v ${tool}`]);
    if (found.status !== 0) return `${tool} is not installed (apt-get install -y iptables iproute2 conntrack nfacct)`;
  }
  const probe = `nsim-kcheck${process.pid}`;
  const added = spawnSync('ip', ['netns', 'add', probe], { encoding: 'utf8' });
  if (added.status !== 0) return `cannot create a network namespace: ${added.stderr.trim()}`;
  try {
    const bridge = spawnSync('ip', ['-n', probe, 'link', 'add', 'cni0', 'type', 'bridge'], { encoding: 'utf8' });
    if (bridge.status !== 0) return `cannot create a bridge in a namespace: ${bridge.stderr.trim()}`;
    const restore = spawnSync('ip', ['netns', 'exec', probe, 'iptables-restore'], { input: '*nat\n-A PREROUTING -m statistic --mode random --probability 0.5 -j RETURN\nCOMMIT\n', encoding: 'utf8' });
    if (restore.status !== 0) return `iptables-restore does not work in a namespace: ${restore.stderr.trim()}`;
  } finally {
    spawnSync('ip', ['netns', 'del', probe]);
  }
  return undefined;
}
