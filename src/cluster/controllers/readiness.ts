import { Container, PodSpec, PodStatus } from '../resources/pod.types';
import { KubeObject } from '../store/types';

/**
 * Readiness probes judged against the pod's simulated server (docs/cluster.md, "Readiness probes").
 * A probe's result depends only on the pod's spec and annotations, so the kubelet does not poll:
 * it works out when the result would flip the container's readiness and sets one timer then.
 */

/** Set to "true" on a pod to make its simulated app unhealthy: HTTP 500, TCP refused, exec exits 1. */
export const UNHEALTHY_ANNOTATION = 'kube-netsim.io/unhealthy';

export interface Probe {
  httpGet?: { path?: string; port: number | string; host?: string; scheme?: string };
  tcpSocket?: { port: number | string; host?: string };
  exec?: { command?: string[] };
  initialDelaySeconds?: number;
  periodSeconds?: number;
  timeoutSeconds?: number;
  successThreshold?: number;
  failureThreshold?: number;
}

export interface ProbeResult {
  ok: boolean;
  /** The kubelet's text after "Readiness probe failed: " when it failed. */
  output: string;
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
    // The simulated container has no files of its own: only `true` (or `exit 0`) succeeds.
    const command = probe.exec.command ?? [];
    const script = command.length >= 3 && /(^|\/)(ba)?sh$/.test(command[0]) && command[1] === '-c' ? command[2].trim() : command.join(' ');
    const ok = !unhealthy && (script === 'true' || script === '/bin/true' || script === 'exit 0');
    if (ok) return { ok: true, output: '' };
    const first = command.find((w, i) => i > 0 && !w.startsWith('-')) ?? '';
    if (command[0] === 'cat' && first) return { ok: false, output: `cat: can't open '${first}': No such file or directory` };
    return { ok: false, output: 'command terminated with non-zero exit code: 1' };
  }
  return { ok: true, output: '' };
}

export function readinessProbeOf(container: Container): Probe | undefined {
  const probe = container.readinessProbe as Probe | undefined;
  return probe && typeof probe === 'object' ? probe : undefined;
}

const seconds = (v: number | undefined, fallback: number): number => (typeof v === 'number' && v > 0 ? v : fallback);

/** Upstream defaults: period 10 s, success 1, failure 3. */
export function periodMs(probe: Probe): number {
  return seconds(probe.periodSeconds, 10) * 1000;
}

/**
 * How long after the probe's result changes (or after the container starts) its readiness follows:
 * `successThreshold` passing runs to become ready, `failureThreshold` failing runs to stop being
 * ready. At start the first run is at `initialDelaySeconds`.
 */
export function flipAfterMs(probe: Probe, ok: boolean, starting: boolean): number {
  const runs = ok ? seconds(probe.successThreshold, 1) : seconds(probe.failureThreshold, 3);
  if (starting) return (probe.initialDelaySeconds ?? 0) * 1000 + (ok ? (runs - 1) * periodMs(probe) : 0);
  return runs * periodMs(probe);
}

/** Each container's readiness as its probe says now (no probe: ready). */
export function wantedReadiness(pod: KubeObject): Map<string, ProbeResult> {
  const out = new Map<string, ProbeResult>();
  for (const c of (pod.spec as PodSpec).containers ?? []) {
    const probe = readinessProbeOf(c);
    out.set(c.name, probe ? runProbe(pod, c, probe) : { ok: true, output: '' });
  }
  return out;
}
