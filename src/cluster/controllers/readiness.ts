import { PodSpec, PodStatus } from '../resources/pod.types';
import { SimulationClock, Timer } from '../simulation-clock';
import { ObjectStore } from '../store/object-store';
import { resourceTypeByKey } from '../store/resource-types';
import { KubeObject } from '../store/types';
import { fieldPathOf, recordEvent } from './events';
import { failureThreshold, Probe, probeOf, probePeriodMs, ProbeResult, runProbe, successThreshold } from './probe';

export { UNHEALTHY_ANNOTATION } from './probe';
export type { Probe, ProbeResult } from './probe';

/**
 * Readiness probes judged against the pod's simulated server (docs/cluster.md, "Readiness probes").
 * A probe's result depends only on the pod's spec and annotations, so the kubelet does not poll:
 * it works out when the result would flip the container's readiness and sets one timer then.
 */

/**
 * How long after the probe's result changes (or after the container starts) its readiness follows:
 * `successThreshold` passing runs to become ready, `failureThreshold` failing runs to stop being
 * ready. At start the first run is at `initialDelaySeconds`.
 */
export function flipAfterMs(probe: Probe, ok: boolean, starting: boolean): number {
  const runs = ok ? successThreshold(probe) : failureThreshold(probe);
  if (starting) return (probe.initialDelaySeconds ?? 0) * 1000 + (ok ? (runs - 1) * probePeriodMs(probe) : 0);
  return runs * probePeriodMs(probe);
}

/** Each container's readiness as its probe says now (no probe: ready). */
export function wantedReadiness(pod: KubeObject): Map<string, ProbeResult> {
  const out = new Map<string, ProbeResult>();
  for (const c of (pod.spec as PodSpec).containers ?? []) {
    const probe = probeOf(c, 'readiness');
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

const pods = resourceTypeByKey('pods')!;
const OWNED = { owned: true };
const podKey = (pod: KubeObject) => `${pod.metadata.namespace}/${pod.metadata.name}`;

/** The kubelets' readiness probes: one pending readiness change per pod with readiness probes, and none while nothing would change. */
export class ReadinessProbes {
  private readonly timers = new Map<string, { timer: Timer; starting: boolean }>();

  constructor(
    private readonly store: ObjectStore,
    private readonly clock: SimulationClock,
    private readonly isRunning: (node: string) => boolean,
  ) {}

  cancel(pod: KubeObject): void {
    this.cancelKey(podKey(pod));
  }

  /** A container (re)started or passed its startup probe: its readiness is worked out as for a new one. */
  startOver(pod: KubeObject): void {
    this.cancel(pod);
    this.schedule(pod, true);
  }

  private cancelKey(key: string): void {
    this.clock.cancel(this.timers.get(key)?.timer);
    this.timers.delete(key);
  }

  /**
   * Sets the timer for the pod's next readiness change: at start, the first probe run (after
   * `initialDelaySeconds`); later, when a container's probe result differs from its readiness,
   * after the runs its threshold needs. Nothing is polled while the results stay the same.
   */
  schedule(pod: KubeObject, starting: boolean): void {
    if (!(pod.spec as PodSpec).containers.some((c) => probeOf(c, 'readiness'))) return;
    const key = podKey(pod);
    const pending = this.timers.get(key);
    if (pending?.starting) return;
    const wanted = wantedReadiness(pod);
    const statuses = ((pod.status as PodStatus).containerStatuses ?? []) as ContainerStatus[];
    const delays: number[] = [];
    for (const c of (pod.spec as PodSpec).containers) {
      const probe = probeOf(c, 'readiness');
      const result = wanted.get(c.name)!;
      const status = statuses.find((s) => s.name === c.name);
      // A container that has not started (startup probe, back-off) is probed once it has.
      if (!status || status.started === false || !(status.state as { running?: unknown } | undefined)?.running) continue;
      if (probe && (starting || status.ready !== result.ok)) delays.push(flipAfterMs(probe, result.ok, starting));
    }
    if (delays.length === 0) {
      this.cancelKey(key);
      return;
    }
    if (pending) return;
    const due = Math.min(...delays);
    const [namespace, name] = key.split('/');
    const timer = this.clock.after(due, `kubelet: readiness of ${key}`, () => {
      this.timers.delete(key);
      const current = this.store.tryGet(pods, namespace, name);
      if (!current || current.metadata.deletionTimestamp || !this.isRunning((current.spec as PodSpec).nodeName!)) return;
      this.store.transaction(() => this.applyReadiness(current));
    });
    this.timers.set(key, { timer, starting });
  }

  /** A probe run: each container's readiness follows its probe, with an Unhealthy event for each failure. */
  private applyReadiness(pod: KubeObject): void {
    const spec = pod.spec as PodSpec;
    const status = (pod.status ?? {}) as PodStatus;
    const wanted = wantedReadiness(pod);
    // Only a started, running container is probed (not one waiting in back-off, or before its startup probe passed).
    const running = (s: ContainerStatus) => s.started !== false && (s.state as { running?: unknown } | undefined)?.running !== undefined;
    const probed = new Set(((status.containerStatuses ?? []) as ContainerStatus[]).filter(running).map((s) => s.name));
    for (const c of spec.containers) {
      const result = wanted.get(c.name)!;
      if (probeOf(c, 'readiness') && !result.ok && probed.has(c.name)) {
        recordEvent(this.store, pod, 'Warning', 'Unhealthy', `Readiness probe failed: ${result.output}`, { component: 'kubelet', host: spec.nodeName }, 1, undefined, fieldPathOf(c));
      }
    }
    const containerStatuses = ((status.containerStatuses ?? []) as ContainerStatus[]).map((s) => ({ ...s, ready: running(s) ? (wanted.get(s.name)?.ok ?? s.ready) : false }));
    const conditions = readyConditions(status, containerStatuses, this.store.now());
    const updated = { ...status, containerStatuses, conditions };
    if (JSON.stringify(updated) === JSON.stringify(status)) return;
    this.store.updateStatus(pods, pod.metadata.namespace, pod.metadata.name, { ...pod, status: updated }, OWNED);
  }
}
