import { BASIC_COMMANDS } from '../../exec/commands/basic';
import { Shell } from '../../exec/shell';
import { Container, PodStatus } from '../resources/pod.types';
import { KubeObject } from '../store/types';

/**
 * One run of a container's probe (readiness, liveness or startup) against the pod's simulated
 * server, as the kubelet's prober words its results (docs/cluster.md, "Probes"). The result
 * depends only on the pod's spec and annotations, so the kubelet works out when a result would
 * change something and sets one timer then, instead of running probes every period.
 */

/** Set to "true" on a pod to make its simulated app unhealthy: HTTP 500, TCP refused, exec exits 1. */
export const UNHEALTHY_ANNOTATION = 'kube-netsim.io/unhealthy';

export type ProbeKind = 'readiness' | 'liveness' | 'startup';

/** How the kubelet names each probe in its events: "Liveness probe failed: ...". */
export const PROBE_NAME: Record<ProbeKind, string> = { readiness: 'Readiness', liveness: 'Liveness', startup: 'Startup' };

export interface Probe {
  httpGet?: { path?: string; port: number | string; host?: string; scheme?: string };
  tcpSocket?: { port: number | string; host?: string };
  exec?: { command?: string[] };
  initialDelaySeconds?: number;
  periodSeconds?: number;
  timeoutSeconds?: number;
  successThreshold?: number;
  failureThreshold?: number;
  terminationGracePeriodSeconds?: number;
}

export interface ProbeResult {
  ok: boolean;
  /** The kubelet's text after "Readiness probe failed: " when it failed. */
  output: string;
}

export function probeOf(container: Container, kind: ProbeKind): Probe | undefined {
  const probe = (container as unknown as Record<string, unknown>)[`${kind}Probe`];
  return probe && typeof probe === 'object' ? (probe as Probe) : undefined;
}

function resolvePort(container: Container, port: number | string): number | undefined {
  if (typeof port === 'number') return port;
  const named = container.ports?.find((p) => p.name === port);
  if (named) return named.containerPort;
  const n = Number(port);
  return Number.isInteger(n) ? n : undefined;
}

function declares(container: Container, port: number | undefined): boolean {
  return port !== undefined && (container.ports ?? []).some((p) => p.containerPort === port && (p.protocol ?? 'TCP') === 'TCP');
}

interface EnvVar {
  name: string;
  value?: string;
}

/**
 * An exec probe runs in the simulated shell (src/exec) with its text commands (`true`, `false`,
 * `echo`, `cat`, `grep`, `head`, `tail`, `wc`, `sleep`; `sh -c` scripts with `;`, `&&`, `||`,
 * `exit N`) and the container's own `env`.
 * The container has no files of its own besides /etc/hostname, so `cat /tmp/healthy` fails as
 * busybox says it. Its output, stdout then stderr, is what the kubelet reports, as the CRI's
 * ExecSync gives it. A program the image does not have, run directly (not through `sh -c`),
 * fails to start as containerd reports it; a run longer than `timeoutSeconds` (default 1; `sleep`
 * counts simulated time) fails as the kubelet's ExecSync deadline reports it.
 */
function runExec(pod: KubeObject, container: Container, command: string[], timeoutSeconds: number): ProbeResult {
  const program = command[0];
  if (program !== undefined && !SHELLS.has(program.slice(program.lastIndexOf('/') + 1)) && !BASIC_COMMANDS.has(program.slice(program.lastIndexOf('/') + 1))) {
    const why = program.includes('/') ? `stat ${program}: no such file or directory` : 'executable file not found in $PATH';
    return { ok: false, output: `OCI runtime exec failed: exec failed: unable to start container process: exec: "${program}": ${why}: unknown` };
  }
  const env = new Map<string, string>();
  for (const v of ((container as unknown as { env?: EnvVar[] }).env ?? [])) if (typeof v.value === 'string') env.set(v.name, v.value);
  const files = new Map([['/etc/hostname', `${pod.metadata.name}\n`]]);
  const shell = new Shell({ commands: BASIC_COMMANDS, env, files, maxCommands: 1000 });
  let stdout = '';
  let stderr = '';
  const status = shell.exec(
    command,
    (t) => (stdout += t),
    (t) => (stderr += t),
  );
  if (shell.elapsedMs >= timeoutSeconds * 1000) return { ok: false, output: `command "${command.join(' ')}" timed out` };
  return { ok: status === 0, output: stdout + stderr };
}

/** The shells the simulated shell runs itself (busybox's `sh`, and the names scripts call it by). */
const SHELLS = new Set(['sh', 'ash', 'bash']);

/** The outcome of one run of the probe against the pod's simulated server. */
export function runProbe(pod: KubeObject, container: Container, probe: Probe): ProbeResult {
  const unhealthy = pod.metadata.annotations?.[UNHEALTHY_ANNOTATION] === 'true';
  const ip = (pod.status as PodStatus | undefined)?.podIP ?? '';
  if (probe.tcpSocket) {
    const port = resolvePort(container, probe.tcpSocket.port);
    const host = probe.tcpSocket.host ?? ip;
    if (!declares(container, port) || unhealthy) return { ok: false, output: `dial tcp ${host}:${port ?? probe.tcpSocket.port}: connect: connection refused` };
    return { ok: true, output: '' };
  }
  if (probe.httpGet) {
    const port = resolvePort(container, probe.httpGet.port);
    const host = probe.httpGet.host ?? ip;
    const scheme = (probe.httpGet.scheme ?? 'HTTP').toLowerCase();
    const url = `${scheme}://${host}:${port ?? probe.httpGet.port}${probe.httpGet.path ?? '/'}`;
    if (!declares(container, port)) return { ok: false, output: `Get "${url}": dial tcp ${host}:${port ?? probe.httpGet.port}: connect: connection refused` };
    if (unhealthy) return { ok: false, output: 'HTTP probe failed with statuscode: 500' };
    return { ok: true, output: '' };
  }
  if (probe.exec) {
    // The unhealthy app's checks fail silently: exit 1, no output.
    if (unhealthy) return { ok: false, output: '' };
    return runExec(pod, container, probe.exec.command ?? [], orDefault(probe.timeoutSeconds, 1));
  }
  return { ok: true, output: '' };
}

/** A probe field as the API server defaults it: unset (or not positive), the default. */
const orDefault = (v: number | undefined, fallback: number): number => (typeof v === 'number' && v > 0 ? v : fallback);

/** Upstream defaults: period 10 s, success threshold 1, failure threshold 3. */
export function probePeriodMs(probe: Probe): number {
  return orDefault(probe.periodSeconds, 10) * 1000;
}

export function successThreshold(probe: Probe): number {
  return orDefault(probe.successThreshold, 1);
}

export function failureThreshold(probe: Probe): number {
  return orDefault(probe.failureThreshold, 3);
}
