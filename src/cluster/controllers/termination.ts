import { PodSpec } from '../resources/pod.types';
import { KubeObject } from '../store/types';

/**
 * How a pod's containers react when its kubelet stops them (see docs/cluster.md, "Termination").
 *
 * The kubelet runs each container's `preStop` hook, then sends SIGTERM. A container whose
 * process handles SIGTERM (nginx, agnhost, httpd: the default here) exits, and the kubelet has
 * torn the pod down `SIGTERM_EXIT_MS` later. A container whose PID 1 is `sleep`, or a shell
 * running a script without `trap`, has no handler and ignores SIGTERM, as on a real node: the pod
 * then stays Terminating for its whole grace period and is killed at its end. The annotation
 * `IGNORE_SIGTERM_ANNOTATION` overrides the guess for the whole pod: `"true"` ignores SIGTERM,
 * `"false"` exits on it.
 */
export const IGNORE_SIGTERM_ANNOTATION = 'kube-netsim.io/ignore-sigterm';

/** From SIGTERM to the pod gone from the API, about what kind shows for nginx. */
export const SIGTERM_EXIT_MS = 1_000;

const SHELLS = new Set(['sh', 'bash', 'ash', 'dash', 'zsh']);

interface TerminatingContainer {
  name: string;
  command?: string[];
  args?: string[];
  lifecycle?: { preStop?: { sleep?: { seconds?: number }; exec?: { command?: string[] } } };
}

const base = (path: string | undefined) => (path ?? '').split('/').pop()!;

/**
 * Whether the container's PID 1 has no SIGTERM handler. Images' own entry points are taken to have
 * one. `args` without a `command` (what `kubectl run --image=busybox -- sleep 3600` sends, or
 * `args: [/bin/sh, -c, ...]`) replace the image's CMD: on an image without an entry point (busybox,
 * alpine) they are PID 1, so `args` that start with `sleep` or a shell are read as the process.
 */
function ignoresSigterm(container: TerminatingContainer): boolean {
  const argv = [...(container.command ?? []), ...(container.args ?? [])];
  const program = base(argv[0]);
  if (!container.command?.length && program !== 'sleep' && !SHELLS.has(program)) return false;
  if (program === 'sleep') return true;
  if (SHELLS.has(program)) return !argv.slice(1).some((a) => /\btrap\b/.test(a) || /^\s*exec\s/.test(a));
  return false;
}

/** Seconds a `preStop` hook keeps the container before SIGTERM: its `sleep` action, or a `sleep N` it execs. */
export function preStopSeconds(container: TerminatingContainer): number {
  const hook = container.lifecycle?.preStop;
  if (!hook) return 0;
  if (typeof hook.sleep?.seconds === 'number') return Math.max(0, hook.sleep.seconds);
  const argv = hook.exec?.command ?? [];
  const script = SHELLS.has(base(argv[0])) && argv[1] === '-c' ? (argv[2] ?? '').trim().split(/\s+/) : argv;
  if (base(script[0]) === 'sleep' && /^\d+(\.\d+)?$/.test(script[1] ?? '')) return Number(script[1]);
  return 0;
}

/** Whether this container of the pod waits to be killed when sent SIGTERM (the pod's annotation first). */
export function containerIgnoresSigterm(pod: KubeObject, container: TerminatingContainer): boolean {
  const annotation = pod.metadata.annotations?.[IGNORE_SIGTERM_ANNOTATION];
  if (annotation === 'true' || annotation === 'false') return annotation === 'true';
  return ignoresSigterm(container);
}

/**
 * Milliseconds after SIGTERM is sent (the deletion seen) at which every container has exited, or
 * undefined when one of them ignores SIGTERM and waits to be killed at the end of the grace period.
 */
export function exitAfterMs(pod: KubeObject): number | undefined {
  const annotation = pod.metadata.annotations?.[IGNORE_SIGTERM_ANNOTATION];
  if (annotation === 'true') return undefined;
  const containers = ((pod.spec as PodSpec).containers ?? []) as TerminatingContainer[];
  let longest = 0;
  for (const container of containers) {
    if (annotation !== 'false' && ignoresSigterm(container)) return undefined;
    longest = Math.max(longest, preStopSeconds(container) * 1000 + SIGTERM_EXIT_MS);
  }
  return longest || SIGTERM_EXIT_MS;
}
