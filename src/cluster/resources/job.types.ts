import { ObjectInput, OwnerReference } from '../store/types';
import { StructuredSelector } from '../store/label-selector';
import { PodTemplateSpec } from './workload.types';

/** The parts of a batch/v1 Job the emulator reads and writes. */

export interface PodFailurePolicyRule {
  action?: string;
  onExitCodes?: { containerName?: string | null; operator?: string; values?: number[] } | null;
  onPodConditions?: Array<{ type?: string; status?: string }> | null;
}

/** `spec.successPolicy` of an Indexed Job: the Job succeeds once one rule is met. */
export interface SuccessPolicyRule {
  succeededIndexes?: string;
  succeededCount?: number;
}

export interface JobSpec {
  parallelism?: number;
  completions?: number | null;
  activeDeadlineSeconds?: number;
  backoffLimit?: number;
  backoffLimitPerIndex?: number;
  maxFailedIndexes?: number;
  selector?: StructuredSelector;
  manualSelector?: boolean;
  template?: PodTemplateSpec;
  ttlSecondsAfterFinished?: number;
  completionMode?: string;
  suspend?: boolean;
  podReplacementPolicy?: string;
  podFailurePolicy?: { rules?: PodFailurePolicyRule[] } | null;
  successPolicy?: { rules?: SuccessPolicyRule[] } | null;
  managedBy?: string;
}

export interface JobCondition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  lastProbeTime: string;
  lastTransitionTime: string;
  reason?: string;
  message?: string;
}

export interface JobStatus {
  conditions?: JobCondition[];
  startTime?: string;
  completionTime?: string;
  active?: number;
  succeeded?: number;
  failed?: number;
  terminating?: number;
  ready?: number;
  completedIndexes?: string;
  failedIndexes?: string;
  uncountedTerminatedPods?: { succeeded?: string[]; failed?: string[] };
}

/** The labels, annotation and finalizer of upstream's `batch/v1` package. */
export const JOB_NAME_LABEL = 'batch.kubernetes.io/job-name';
export const LEGACY_JOB_NAME_LABEL = 'job-name';
export const CONTROLLER_UID_LABEL = 'batch.kubernetes.io/controller-uid';
export const LEGACY_CONTROLLER_UID_LABEL = 'controller-uid';
export const JOB_COMPLETION_INDEX = 'batch.kubernetes.io/job-completion-index';
export const JOB_TRACKING_FINALIZER = 'batch.kubernetes.io/job-tracking';
export const JOB_COMPLETION_INDEX_ENV = 'JOB_COMPLETION_INDEX';
/** With `backoffLimitPerIndex`: the failures of the pod's index before it, counted and ignored (by the pod failure policy). */
export const JOB_INDEX_FAILURE_COUNT = 'batch.kubernetes.io/job-index-failure-count';
export const JOB_INDEX_IGNORED_FAILURE_COUNT = 'batch.kubernetes.io/job-index-ignored-failure-count';

/** What `kubectl get cronjob -o yaml` shows under `spec.jobTemplate`. */
export interface JobTemplateSpec {
  metadata?: { labels?: Record<string, string>; annotations?: Record<string, string>; [field: string]: unknown };
  spec?: JobSpec;
}

/**
 * A Job made from a job template (a CronJob's, or `kubectl create job --from=cronjob/x`): the
 * template's labels and annotations, its spec, the name and owner given. The API server's
 * defaults and generated selector come when it is created.
 */
export function jobFromTemplate(template: JobTemplateSpec, name: string, options: { ownerReference?: OwnerReference; annotations?: Record<string, string> } = {}): ObjectInput {
  const meta = template.metadata ?? {};
  const annotations = { ...(meta.annotations ?? {}), ...(options.annotations ?? {}) };
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: {
      name,
      ...(meta.labels ? { labels: { ...meta.labels } } : {}),
      ...(Object.keys(annotations).length ? { annotations } : {}),
      ...(options.ownerReference ? { ownerReferences: [options.ownerReference] } : {}),
    },
    spec: structuredClone(template.spec ?? {}) as Record<string, unknown>,
  };
}
