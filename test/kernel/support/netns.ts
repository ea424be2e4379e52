/**
 * What every kernel-suite topology shares: creating network namespaces that
 * are sure to go away, running commands in them, the listeners that record
 * where connections arrive (listener.js) and the client that makes them
 * (client.js), and the check for whether this machine can run the suite.
 *
 * Namespaces are named `nsim-k<pid>r<random>...` (the prefix carries the pid,
 * so a watchdog can find them). Each one registered with `addNamespace` is
 * deleted by its owner's `destroy()` (`deleteNamespace`), on exit and on
 * SIGINT / SIGTERM / SIGHUP, and, should the process die otherwise (SIGKILL,
 * a crash, a signal Jest handles itself), by a detached watchdog that waits
 * for this process to end. Listeners exit when their stdin closes, that is
 * when this process is gone, however it ended.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { appendFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** One connection as a listener saw it (one JSON line of its log). */
export interface ListenerRecord {
  /** The listener's label (which namespace it runs in). */
  readonly ns: string;
  readonly proto: 'tcp' | 'udp';
  readonly id: string;
  /** Where the connection arrived: the kernel's DNAT. */
  readonly local: string;
  readonly localPort: number;
  /** Where it came from: the kernel's SNAT / masquerade. */
  readonly remote: string;
  readonly remotePort: number;
}

/** What the sending socket saw for one id. */
export interface ClientResult {
  readonly id: string;
  /** answered, refused, unreachable, timeout, no-answer, closed or an errno code. */
  readonly result: string;
  readonly localPort: number | null;
}

export interface ClientSpec {
  readonly protocol: 'tcp' | 'udp';
  readonly destination: string;
  readonly port: number;
  /** Local address to send from (an outside client's own address). */
  readonly source?: string;
  readonly ids: readonly string[];
  /** Local port of each id's socket (same length as ids); the kernel picks one when absent. */
  readonly localPorts?: readonly number[];
  readonly concurrency: number;
  readonly timeoutMs: number;
  /** Run the client as this user and group (no supplementary groups), for `-m owner`; root when absent. */
  readonly uid?: number;
  readonly gid?: number;
}

// ---------------------------------------------------------------------------
// Cleanup that survives failures and signals
// ---------------------------------------------------------------------------

const liveNamespaces = new Set<string>();
const liveChildren = new Set<ChildProcess>();
let handlersInstalled = false;

/** Every namespace this process creates starts with this (pid: a watchdog can find them). */
const PREFIX = `nsim-k${process.pid}r`;
let counter = 0;

function cleanupEverything(): void {
  for (const child of liveChildren) stopChild(child);
  liveChildren.clear();
  for (const ns of liveNamespaces) spawnSync('ip', ['netns', 'del', ns]);
  liveNamespaces.clear();
}

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

/** A fresh, unique stem for one topology's namespace names (`nsim-k<pid>r<random><n>`). */
export function namespaceStem(): string {
  installHandlers();
  return `${PREFIX}${Math.random().toString(36).slice(2, 6)}${counter++}`;
}

/** Creates a namespace and registers it for cleanup. */
export function addNamespace(ns: string): void {
  installHandlers();
  run(['ip', 'netns', 'add', ns]);
  liveNamespaces.add(ns);
}

/** Deletes a namespace (its interfaces go with it); no error when it is gone already. */
export function deleteNamespace(ns: string): void {
  spawnSync('ip', ['netns', 'del', ns]);
  liveNamespaces.delete(ns);
}

// ---------------------------------------------------------------------------
// Commands
// ---------------------------------------------------------------------------

/** Runs a command (no shell); answers its stdout, throws with its stderr when it fails. */
export function run(args: readonly string[], input?: string): string {
  const r = spawnSync(args[0], args.slice(1), { input, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0) {
    throw new Error(`${args.join(' ')} failed (${r.status ?? r.signal}): ${r.stderr || r.stdout}`);
  }
  return r.stdout;
}

/** A namespace's tables as the kernel's iptables-save (or ip6tables-save) prints them, `#` lines dropped. */
export function iptablesSave(ns: string, tool: 'iptables-save' | 'ip6tables-save' = 'iptables-save'): string {
  return run(['ip', 'netns', 'exec', ns, tool])
    .split('\n')
    .filter((l) => !l.startsWith('#'))
    .join('\n');
}

/** A save's lines to compare: without `#` and empty lines, chain counters zeroed (the kernel counts the packets of its own set-up, and of the node's own sending). */
export function savedRules(text: string): string[] {
  return text
    .split('\n')
    .filter((l) => !l.startsWith('#') && l.length > 0)
    .map((l) => (l.startsWith(':') ? l.replace(/ \[\d+:\d+\]$/, ' [0:0]') : l));
}

/** A namespace's ip6tables tables as the kernel's ip6tables-save prints them, `#` lines dropped. */
export const ip6tablesSave = (ns: string): string => iptablesSave(ns, 'ip6tables-save');

/** Runs shell lines with `bash -e -o pipefail`: the first failing line stops the script. */
export function runScript(lines: readonly string[]): string {
  return run(['bash', '-e', '-o', 'pipefail', '-c', lines.join('\n')]);
}

/** A `sysctl -w` line for a namespace. */
export function sysctlLine(ns: string, ...settings: string[]): string {
  return `ip netns exec ${ns} sysctl -q ${settings.map((s) => `-w ${s}`).join(' ')}`;
}

// ---------------------------------------------------------------------------
// Listeners and clients
// ---------------------------------------------------------------------------

const SUPPORT = __dirname;

/** A listener being started: its process at once, `ready` once every socket is bound. */
export interface StartingListener {
  readonly child: ChildProcess;
  readonly ready: Promise<void>;
}

/**
 * Starts listener.js in a namespace on the given ports (TCP and UDP), logging
 * to `logFile` under `label`. Its stderr is appended to `errorLog`. The
 * caller owns the child at once (to stop it even when `ready` fails).
 */
export function startListener(ns: string, label: string, ports: readonly number[], logFile: string, errorLog: string): StartingListener {
  // stdin stays open: the listener exits when it closes (this process gone, however).
  const child = spawn('ip', ['netns', 'exec', ns, process.execPath, join(SUPPORT, 'listener.js'), logFile, label, ports.join(',')], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  liveChildren.add(child);
  const ready = new Promise<void>((resolve, reject) => {
    let stderr = '';
    const timer = setTimeout(() => reject(new Error(`listener in ${label} did not start: ${stderr}`)), 15000);
    child.stderr!.on('data', (d) => {
      stderr += d;
      appendFileSync(errorLog, String(d));
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
  });
  return { child, ready };
}

/** Kills a child this process started (a listener); no error when it is gone already. */
export function stopChild(child: ChildProcess): void {
  try {
    child.kill('SIGKILL');
  } catch {
    // already gone
  }
  liveChildren.delete(child);
}

/** Runs client.js in a namespace; answers what each id's socket saw. */
export function runClient(ns: string, spec: ClientSpec): ClientResult[] {
  const user = spec.uid === undefined && spec.gid === undefined ? [] : ['setpriv', `--reuid=${spec.uid ?? 0}`, `--regid=${spec.gid ?? 0}`, '--clear-groups'];
  const r = spawnSync('ip', ['netns', 'exec', ns, ...user, process.execPath, join(SUPPORT, 'client.js'), JSON.stringify(spec)], {
    encoding: 'utf8',
    maxBuffer: 16 * 1024 * 1024,
    timeout: 60000,
  });
  if (r.status !== 0) throw new Error(`client in ${ns} failed (${r.status ?? r.signal}): ${r.stderr}`);
  return JSON.parse(r.stdout) as ClientResult[];
}

/** Every record the listeners wrote to a log so far. */
export function readRecords(logFile: string): ListenerRecord[] {
  return readFileSync(logFile, 'utf8')
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => JSON.parse(l) as ListenerRecord);
}

// ---------------------------------------------------------------------------
// Can the suite run here?
// ---------------------------------------------------------------------------

/** The first of the tools that is not on PATH here, as a reason (with how to install it), or undefined. */
export function missingTool(tools: readonly string[], install?: string): string | undefined {
  const tool = tools.find((t) => spawnSync('sh', ['-c', `command -v ${t}`]).status !== 0);
  if (tool === undefined) return undefined;
  return `${tool} is not installed${install === undefined ? '' : ` (${install})`}`;
}

/**
 * The `describe` of a kernel suite: `describe` where it can run, else
 * `describe.skip`, having said on stderr why (`SUITE SKIPPED: reason`); with
 * NSIM_KERNEL_REQUIRED=1 (CI) a suite that cannot run fails instead.
 */
export function kernelDescribe(suite: string, unavailable: string | undefined): jest.Describe {
  if (unavailable === undefined) return describe;
  const message = `${suite} SKIPPED: ${unavailable}`;
  if (process.env.NSIM_KERNEL_REQUIRED === '1') throw new Error(message);
  process.stderr.write(`\n*** ${message} ***\n\n`);
  return describe.skip;
}

/** Why the kernel suite cannot run here, or undefined when it can. */
export function kernelSuiteUnavailable(): string | undefined {
  if (process.platform !== 'linux') return `not Linux (${process.platform})`;
  if (process.getuid?.() !== 0) return 'not running as root (network namespaces and iptables need root)';
  const missing = missingTool(['ip', 'iptables-restore', 'iptables-save', 'nfacct', 'ipset', 'ping'], 'apt-get install -y iptables iproute2 conntrack nfacct ipset iputils-ping');
  if (missing !== undefined) return missing;
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

/**
 * Why plain network namespaces (a veth pair, no iptables) cannot be used here,
 * or undefined when they can: for the tests that need only `ip` and the given tools.
 */
export function networkNamespacesUnavailable(tools: readonly string[], install?: string): string | undefined {
  if (process.platform !== 'linux') return `not Linux (${process.platform})`;
  if (process.getuid?.() !== 0) return 'not running as root (network namespaces need root)';
  const missing = missingTool(['ip', ...tools], install);
  if (missing !== undefined) return missing;
  const probe = `nsim-kcheck${process.pid}v`;
  const added = spawnSync('ip', ['netns', 'add', probe], { encoding: 'utf8' });
  if (added.status !== 0) return `cannot create a network namespace: ${added.stderr.trim()}`;
  try {
    const veth = spawnSync('ip', ['-n', probe, 'link', 'add', 'a0', 'type', 'veth', 'peer', 'name', 'b0'], { encoding: 'utf8' });
    if (veth.status !== 0) return `cannot create a veth pair in a namespace: ${veth.stderr.trim()}`;
  } finally {
    spawnSync('ip', ['netns', 'del', probe]);
  }
  return undefined;
}
