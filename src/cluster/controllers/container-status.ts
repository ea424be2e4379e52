import { timestamp } from '../../common/clock';
import { Container, PodSpec } from '../resources/pod.types';
import { ObjectStore } from '../store/object-store';
import { KubeObject } from '../store/types';
import { fieldPathOf, recordEvent } from './events';
import { PROBE_NAME, probeOf, ProbeKind } from './probe';
import { ContainerStatus } from './readiness';
import { goDuration } from './restart-backoff';

/**
 * What the kubelet writes and records at each step of a container's restart: the kill after a
 * failed probe, the exit, the CrashLoopBackOff wait, the new instance. Each records its events
 * `times` times in one write, so a stretch of identical restarts costs one write per event.
 */

export type Status = ContainerStatus & {
  restartCount?: number;
  started?: boolean;
  containerID?: string;
  image?: string;
  state?: { running?: { startedAt: string }; waiting?: unknown; terminated?: unknown };
  lastState?: unknown;
};

export interface Terminated {
  exitCode: number;
  reason: string;
  startedAt: string;
  finishedAt: string;
  containerID?: string;
}

/** The kubelet's reason on Ready and ContainersReady once the pod's phase is terminal: `PodCompleted`, or `PodFailed` for Failed. */
export const terminalReadyReason = (phase: string) => (phase === 'Failed' ? 'PodFailed' : 'PodCompleted');

/** A container runtime's 64-hex ID (of a container or a sandbox), stable for the text it is made from. */
export function runtimeId(text: string): string {
  let out = '';
  let h = 0x811c9dc5;
  for (let round = 0; out.length < 64; round++) {
    for (let i = 0; i < text.length; i++) {
      h ^= text.charCodeAt(i) + round;
      h = Math.imul(h, 0x01000193) >>> 0;
    }
    out += h.toString(16).padStart(8, '0');
  }
  return out.slice(0, 64);
}

/** The container's ID, stable for a pod, container and restart. */
export function containerIdOf(uid: string, name: string, restartCount: number): string {
  if (restartCount === 0) return `containerd://${uid.replace(/-/g, '')}${name}`.slice(0, 77);
  return `containerd://${runtimeId(`${uid}/${name}/${restartCount}`)}`;
}

/** The kubelet's `format.Pod`: `name_namespace(uid)`. */
export const podRef = (pod: KubeObject) => `${pod.metadata.name}_${pod.metadata.namespace}(${pod.metadata.uid})`;

const source = (pod: KubeObject) => ({ component: 'kubelet', host: (pod.spec as PodSpec).nodeName });

/** The kill after `failureThreshold` failing runs: `Unhealthy` for each run, then `Killing`. */
export function recordKill(store: ObjectStore, pod: KubeObject, c: Container, kind: ProbeKind, output: string, runs: number, restart: boolean, times = 1, at?: number): void {
  const when = at === undefined ? undefined : timestamp(at);
  recordEvent(store, pod, 'Warning', 'Unhealthy', `${PROBE_NAME[kind]} probe failed: ${output}`, source(pod), runs * times, when, fieldPathOf(c));
  recordEvent(store, pod, 'Normal', 'Killing', `Container ${c.name} failed ${kind} probe${restart ? ', will be restarted' : ''}`, source(pod), times, when, fieldPathOf(c));
}

export function terminatedOf(exitCode: number, startedAt: number, finishedAt: number, containerID: string | undefined): Terminated {
  return { exitCode, reason: exitCode === 0 ? 'Completed' : 'Error', startedAt: timestamp(startedAt), finishedAt: timestamp(finishedAt), containerID };
}

/** Waiting out the back-off: the `BackOff` event. */
export function recordBackOff(store: ObjectStore, pod: KubeObject, c: Container, times = 1, at?: number): void {
  recordEvent(store, pod, 'Warning', 'BackOff', `Back-off restarting failed container ${c.name} in pod ${podRef(pod)}`, source(pod), times, at === undefined ? undefined : timestamp(at), fieldPathOf(c));
}

/** Waiting out the back-off: `CrashLoopBackOff` with upstream's message. */
export function waitingOf(pod: KubeObject, c: Container, s: Status, terminated: Terminated, backoffMs: number): Status {
  const message = `back-off ${goDuration(backoffMs)} restarting failed container=${c.name} pod=${podRef(pod)}`;
  return { ...s, ready: false, started: false, state: { waiting: { reason: 'CrashLoopBackOff', message } }, lastState: { terminated } };
}

/** A new instance of the container: the image (pulled again with `imagePullPolicy: Always`), Created, Started. */
export function recordRestart(store: ObjectStore, pod: KubeObject, c: Container, times = 1, at?: number): void {
  const when = at === undefined ? undefined : timestamp(at);
  if (c.imagePullPolicy === 'Always') {
    recordEvent(store, pod, 'Normal', 'Pulling', `Pulling image "${c.image}"`, source(pod), times, when, fieldPathOf(c));
    recordEvent(store, pod, 'Normal', 'Pulled', `Successfully pulled image "${c.image}" in 0s (0s including waiting). Image size: 0 bytes.`, source(pod), times, when, fieldPathOf(c));
  } else {
    recordEvent(store, pod, 'Normal', 'Pulled', `Container image "${c.image}" already present on machine`, source(pod), times, when, fieldPathOf(c));
  }
  recordEvent(store, pod, 'Normal', 'Created', `Created container ${c.name}`, source(pod), times, when, fieldPathOf(c));
  recordEvent(store, pod, 'Normal', 'Started', `Started container ${c.name}`, source(pod), times, when, fieldPathOf(c));
}

/** The new instance's status: running since `at`, not ready while a startup or readiness probe has to pass. */
export function restartedOf(pod: KubeObject, c: Container, s: Status, restartCount: number, at: number): Status {
  const startup = probeOf(c, 'startup');
  return {
    ...s,
    containerID: containerIdOf(pod.metadata.uid, c.name, restartCount),
    ready: !startup && !probeOf(c, 'readiness'),
    started: !startup,
    restartCount,
    state: { running: { startedAt: timestamp(at) } },
  };
}
