/**
 * What a kubelet writes about a pod's sandbox: the status of a pod whose
 * sandbox is up (Running, its address, its containers started), of one
 * whose sandbox could not be set up (Pending, ContainerCreating), and the
 * FailedCreatePodSandBox event. Used by KubeletController.
 */
import { PodSpec, PodStatus } from '../resources/pod.types';
import { ObjectStore } from '../store/object-store';
import { KubeObject } from '../store/types';
import { containerIdOf, runtimeId } from './container-status';
import { recordEvent } from './events';
import { probeOf } from './probe';
import { ContainerStatus, readyConditions } from './readiness';

/** Whether the kubelet wrote the pod as waiting for its sandbox (ContainerCreating). */
export function isCreating(pod: KubeObject | undefined): boolean {
  const statuses = (pod?.status as PodStatus | undefined)?.containerStatuses as ContainerStatus[] | undefined;
  return statuses?.some((c) => (c.state as { waiting?: { reason?: string } } | undefined)?.waiting?.reason === 'ContainerCreating') ?? false;
}

/** The status of a pod whose sandbox is up: Running, its address, every container running (ready unless it has a readiness or startup probe). */
export function runningStatus(pod: KubeObject, hostIP: string, podIP: string, now: string, podIPs: string[] = [podIP]): PodStatus {
  const spec = pod.spec as PodSpec;
  const previous = (pod.status ?? {}) as PodStatus;
  const scheduled = previous.conditions?.find((c) => c.type === 'PodScheduled');
  const containerStatuses: ContainerStatus[] = spec.containers.map((c) => ({
    name: c.name,
    image: c.image,
    imageID: '',
    containerID: containerIdOf(pod.metadata.uid, c.name, 0),
    // A container with a readiness probe is not ready until the probe passes; one with a startup probe has not started until it does.
    ready: !probeOf(c, 'readiness') && !probeOf(c, 'startup'),
    started: !probeOf(c, 'startup'),
    restartCount: 0,
    state: { running: { startedAt: now } },
  }));
  const base: PodStatus = {
    conditions: [
      ...['PodReadyToStartContainers', 'Initialized', 'Ready', 'ContainersReady'].map((type) => ({
        type,
        status: 'True' as const,
        lastProbeTime: null,
        lastTransitionTime: now,
      })),
      scheduled ?? { type: 'PodScheduled', status: 'True', lastProbeTime: null, lastTransitionTime: now },
    ],
  };
  const status: PodStatus = {
    ...previous,
    phase: 'Running',
    conditions: readyConditions(base, containerStatuses, now),
    hostIP,
    hostIPs: [{ ip: hostIP }],
    podIP,
    podIPs: podIPs.map((ip) => ({ ip })),
    startTime: previous.startTime ?? now,
    containerStatuses,
  };
  return status;
}

/**
 * The status of a pod whose sandbox could not be set up, as the kubelet reports it: Pending, its containers
 * waiting with reason ContainerCreating (what kubectl shows), PodReadyToStartContainers False.
 */
export function creatingStatus(pod: KubeObject, hostIP: string, now: string): PodStatus {
  const spec = pod.spec as PodSpec;
  const previous = (pod.status ?? {}) as PodStatus;
  const containerStatuses: ContainerStatus[] = spec.containers.map((c) => ({
    name: c.name,
    image: c.image,
    imageID: '',
    ready: false,
    started: false,
    restartCount: 0,
    state: { waiting: { reason: 'ContainerCreating' } },
  }));
  const scheduled = previous.conditions?.find((c) => c.type === 'PodScheduled');
  const base: PodStatus = {
    conditions: [
      { type: 'PodReadyToStartContainers', status: 'False', lastProbeTime: null, lastTransitionTime: now },
      { type: 'Initialized', status: 'True', lastProbeTime: null, lastTransitionTime: now },
      ...['Ready', 'ContainersReady'].map((type) => ({ type, status: 'False' as const, lastProbeTime: null, lastTransitionTime: now })),
      scheduled ?? { type: 'PodScheduled', status: 'True', lastProbeTime: null, lastTransitionTime: now },
    ],
  };
  const status: PodStatus = {
    ...previous,
    phase: 'Pending',
    conditions: readyConditions(base, containerStatuses, now),
    hostIP,
    hostIPs: [{ ip: hostIP }],
    startTime: now,
    containerStatuses,
  };
  return status;
}

/** The kubelet's event when the CNI plugin fails; each attempt makes a new sandbox, with its own ID. */
export function recordSandboxFailure(store: ObjectStore, pod: KubeObject, reason: string, attempt = 1): void {
  const sandbox = runtimeId(`${pod.metadata.uid}/sandbox/${attempt}`);
  recordEvent(
    store,
    pod,
    'Warning',
    'FailedCreatePodSandBox',
    `Failed to create pod sandbox: rpc error: code = Unknown desc = failed to setup network for sandbox "${sandbox}": plugin type="flannel" failed (add): failed to delegate add: ${reason}`,
    { component: 'kubelet', host: (pod.spec as PodSpec).nodeName },
  );
}
