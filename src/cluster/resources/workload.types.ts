/**
 * The parts of apps/v1 Deployment, ReplicaSet and DaemonSet that the emulator
 * reads and writes, and the well-known labels and annotations their
 * controllers put on the objects they manage.
 *
 *   Deployment ──owns──> ReplicaSet `<deployment>-<pod-template-hash>` ──owns──> Pod `<rs>-<5 chars>`
 *   DaemonSet  ──owns──> Pod `<daemonset>-<5 chars>`, one per eligible node
 */
import { StructuredSelector } from '../store/label-selector';
import { PodSpec } from './pod.types';

/** An `intstr.IntOrString`: `1` or `'25%'`. */
export type IntOrString = number | string;

export interface PodTemplateSpec {
  metadata?: {
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    finalizers?: string[];
    [field: string]: unknown;
  };
  spec?: PodSpec & { activeDeadlineSeconds?: number; affinity?: Affinity };
}

export interface NodeSelectorRequirement {
  key: string;
  operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist' | 'Gt' | 'Lt';
  values?: string[];
}

export interface NodeSelectorTerm {
  matchExpressions?: NodeSelectorRequirement[];
  matchFields?: NodeSelectorRequirement[];
}

export interface Affinity {
  nodeAffinity?: {
    requiredDuringSchedulingIgnoredDuringExecution?: { nodeSelectorTerms: NodeSelectorTerm[] };
    [field: string]: unknown;
  };
  [field: string]: unknown;
}

// ---- Deployment --------------------------------------------------------------

export interface RollingUpdateDeployment {
  maxUnavailable?: IntOrString;
  maxSurge?: IntOrString;
}

/** `spec.strategy` (upstream's type is `DeploymentStrategy`, a name our strategy class has). */
export interface DeploymentRolloutStrategy {
  type?: 'RollingUpdate' | 'Recreate';
  rollingUpdate?: RollingUpdateDeployment;
}

export interface DeploymentSpec {
  replicas?: number;
  selector?: StructuredSelector;
  template?: PodTemplateSpec;
  strategy?: DeploymentRolloutStrategy;
  minReadySeconds?: number;
  revisionHistoryLimit?: number;
  paused?: boolean;
  progressDeadlineSeconds?: number;
}

export interface DeploymentCondition {
  type: 'Available' | 'Progressing' | 'ReplicaFailure';
  status: 'True' | 'False' | 'Unknown';
  lastUpdateTime: string;
  lastTransitionTime: string;
  reason: string;
  message: string;
}

export interface DeploymentStatus {
  observedGeneration?: number;
  replicas?: number;
  updatedReplicas?: number;
  readyReplicas?: number;
  availableReplicas?: number;
  unavailableReplicas?: number;
  conditions?: DeploymentCondition[];
  collisionCount?: number;
}

// ---- ReplicaSet ----------------------------------------------------------------

export interface ReplicaSetSpec {
  replicas?: number;
  minReadySeconds?: number;
  selector?: StructuredSelector;
  template?: PodTemplateSpec;
}

export interface ReplicaSetCondition {
  type: 'ReplicaFailure';
  status: 'True' | 'False' | 'Unknown';
  lastTransitionTime: string;
  reason: string;
  message: string;
}

export interface ReplicaSetStatus {
  replicas: number;
  fullyLabeledReplicas?: number;
  readyReplicas?: number;
  availableReplicas?: number;
  observedGeneration?: number;
  conditions?: ReplicaSetCondition[];
}

// ---- DaemonSet -----------------------------------------------------------------

export interface DaemonSetUpdateStrategy {
  type?: 'RollingUpdate' | 'OnDelete';
  rollingUpdate?: { maxUnavailable?: IntOrString; maxSurge?: IntOrString };
}

export interface DaemonSetSpec {
  selector?: StructuredSelector;
  template?: PodTemplateSpec;
  updateStrategy?: DaemonSetUpdateStrategy;
  minReadySeconds?: number;
  revisionHistoryLimit?: number;
}

export interface DaemonSetStatus {
  currentNumberScheduled: number;
  numberMisscheduled: number;
  desiredNumberScheduled: number;
  numberReady: number;
  observedGeneration?: number;
  updatedNumberScheduled?: number;
  numberAvailable?: number;
  numberUnavailable?: number;
  collisionCount?: number;
}

// ---- labels and annotations ----------------------------------------------------

/** The label a Deployment adds to its ReplicaSets, their selectors and pods. */
export const POD_TEMPLATE_HASH_LABEL = 'pod-template-hash';
/** The label a DaemonSet puts on its pods: the hash of the template they were made from. */
export const CONTROLLER_REVISION_HASH_LABEL = 'controller-revision-hash';
/** The label a DaemonSet puts on its pods: the template generation they were made from. */
export const POD_TEMPLATE_GENERATION_LABEL = 'pod-template-generation';
/** Where apps/v1 keeps a DaemonSet's template generation. */
export const DAEMONSET_TEMPLATE_GENERATION_ANNOTATION = 'deprecated.daemonset.template.generation';

export const REVISION_ANNOTATION = 'deployment.kubernetes.io/revision';
export const REVISION_HISTORY_ANNOTATION = 'deployment.kubernetes.io/revision-history';
export const DESIRED_REPLICAS_ANNOTATION = 'deployment.kubernetes.io/desired-replicas';
export const MAX_REPLICAS_ANNOTATION = 'deployment.kubernetes.io/max-replicas';
export const LAST_APPLIED_ANNOTATION = 'kubectl.kubernetes.io/last-applied-configuration';
/** Lower cost pods are deleted first when a ReplicaSet scales down. */
export const POD_DELETION_COST_ANNOTATION = 'controller.kubernetes.io/pod-deletion-cost';

/** The Deployment condition reasons, as `pkg/controller/deployment/util` spells them. */
export const DeploymentReason = {
  NewReplicaSetCreated: 'NewReplicaSetCreated',
  FoundNewReplicaSet: 'FoundNewReplicaSet',
  ReplicaSetUpdated: 'ReplicaSetUpdated',
  NewReplicaSetAvailable: 'NewReplicaSetAvailable',
  ProgressDeadlineExceeded: 'ProgressDeadlineExceeded',
  FailedReplicaSetCreate: 'ReplicaSetCreateError',
  MinimumReplicasAvailable: 'MinimumReplicasAvailable',
  MinimumReplicasUnavailable: 'MinimumReplicasUnavailable',
  DeploymentPaused: 'DeploymentPaused',
  DeploymentResumed: 'DeploymentResumed',
} as const;
