import { KubeObject } from '../store/types';

/**
 * How long a pod's containers run before they exit on their own, and with what code (see
 * docs/jobs.md, "How long a pod runs"). Nothing runs in a simulated container, so the pod says:
 * `kube-netsim.io/run-seconds` (a number of seconds, fractions allowed) and
 * `kube-netsim.io/exit-code` (0 to 255) on the pod, or on a Job's pod template. Each container of
 * the pod runs that long, then exits with that code; each restarted instance does the same. A
 * Job's pod without them runs `JOB_POD_RUN_SECONDS` and succeeds; any other pod runs until it is
 * deleted, as a server does, unless one of the two annotations is set.
 */
export const RUN_SECONDS_ANNOTATION = 'kube-netsim.io/run-seconds';
export const EXIT_CODE_ANNOTATION = 'kube-netsim.io/exit-code';
/** How long a Job's pod runs when nothing says otherwise: a short success. */
export const JOB_POD_RUN_SECONDS = 5;

export interface RunToCompletion {
  runMs: number;
  exitCode: number;
}

const NUMBER = /^\d+(\.\d+)?$/;
const INTEGER = /^\d+$/;

const isJobPod = (pod: KubeObject) => pod.metadata.ownerReferences?.some((r) => r.controller === true && r.kind === 'Job' && r.apiVersion === 'batch/v1') ?? false;

/** The pod's run, or undefined when its containers run until they are stopped. Unreadable values count as not set. */
export function runToCompletion(pod: KubeObject): RunToCompletion | undefined {
  const annotations = pod.metadata.annotations ?? {};
  const seconds = annotations[RUN_SECONDS_ANNOTATION]?.trim();
  const code = annotations[EXIT_CODE_ANNOTATION]?.trim();
  const runSeconds = seconds !== undefined && NUMBER.test(seconds) ? Number(seconds) : undefined;
  const exitCode = code !== undefined && INTEGER.test(code) && Number(code) <= 255 ? Number(code) : undefined;
  if (runSeconds === undefined && exitCode === undefined && !isJobPod(pod)) return undefined;
  return { runMs: Math.round((runSeconds ?? JOB_POD_RUN_SECONDS) * 1000), exitCode: exitCode ?? 0 };
}
