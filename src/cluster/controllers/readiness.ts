import { Container, PodSpec, PodStatus } from '../resources/pod.types';
import { KubeObject } from '../store/types';
import { Probe, probeOf, probePeriodMs, ProbeResult, runProbe } from './probe';

export { UNHEALTHY_ANNOTATION } from './probe';
export type { Probe, ProbeResult } from './probe';

/**
 * Readiness probes judged against the pod's simulated server (docs/cluster.md, "Readiness probes").
 * A probe's result depends only on the pod's spec and annotations, so the kubelet does not poll:
 * it works out when the result would flip the container's readiness and sets one timer then.
 */

export function readinessProbeOf(container: Container): Probe | undefined {
  return probeOf(container, 'readiness');
}

const seconds = (v: number | undefined, fallback: number): number => (typeof v === 'number' && v > 0 ? v : fallback);

/** Upstream defaults: period 10 s, success 1, failure 3. */
export const periodMs = probePeriodMs;

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

export interface ContainerStatus {
  name: string;
  ready: boolean;
  [field: string]: unknown;
}

/** The pod's Ready and ContainersReady conditions for these container readinesses. */
export function readyConditions(previous: PodStatus, containers: ContainerStatus[], now: string): PodStatus['conditions'] {
  const unready = containers.filter((c) => !c.ready).map((c) => c.name);
  const status = unready.length ? ('False' as const) : ('True' as const);
  return (previous.conditions ?? []).map((c) => {
    if (c.type !== 'Ready' && c.type !== 'ContainersReady') return c;
    const transition = c.status === status ? c.lastTransitionTime : now;
    if (status === 'True') return { type: c.type, status, lastProbeTime: null, lastTransitionTime: transition };
    return { type: c.type, status, lastProbeTime: null, lastTransitionTime: transition, reason: 'ContainersNotReady', message: `containers with unready status: [${unready.join(' ')}]` };
  });
}
