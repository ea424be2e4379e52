/**
 * The parts of apps/v1 StatefulSet and ControllerRevision that the emulator
 * reads and writes, and the labels the StatefulSet controller puts on the
 * pods, claims and revisions it makes.
 *
 *   StatefulSet web ──owns──> Pod web-0 … web-(n-1)   (hostname web-N, subdomain = serviceName)
 *                   ──owns──> ControllerRevision web-<hash>, one per template it has had
 *                   ─makes──> PersistentVolumeClaim <template>-web-N, one per claim template and ordinal
 */
import { StructuredSelector } from '../store/label-selector';
import { IntOrString, PodTemplateSpec } from './workload.types';

export type PodManagementPolicy = 'OrderedReady' | 'Parallel';
export type ClaimRetention = 'Retain' | 'Delete';

export interface StatefulSetUpdateStrategy {
  type?: 'RollingUpdate' | 'OnDelete';
  rollingUpdate?: { partition?: number; maxUnavailable?: IntOrString };
}

export interface VolumeClaimTemplate {
  apiVersion?: string;
  kind?: string;
  metadata?: { name?: string; labels?: Record<string, string>; annotations?: Record<string, string>; [field: string]: unknown };
  spec?: Record<string, unknown>;
  [field: string]: unknown;
}

export interface StatefulSetSpec {
  replicas?: number;
  selector?: StructuredSelector;
  template?: PodTemplateSpec;
  volumeClaimTemplates?: VolumeClaimTemplate[];
  serviceName?: string;
  podManagementPolicy?: PodManagementPolicy;
  updateStrategy?: StatefulSetUpdateStrategy;
  revisionHistoryLimit?: number;
  minReadySeconds?: number;
  persistentVolumeClaimRetentionPolicy?: { whenDeleted?: ClaimRetention; whenScaled?: ClaimRetention };
  ordinals?: { start?: number };
}

export interface StatefulSetStatus {
  observedGeneration?: number;
  replicas: number;
  readyReplicas?: number;
  currentReplicas?: number;
  updatedReplicas?: number;
  currentRevision?: string;
  updateRevision?: string;
  collisionCount?: number;
  availableReplicas: number;
}

/** The label with the pod's own name (a Service can select one replica with it). */
export const STATEFULSET_POD_NAME_LABEL = 'statefulset.kubernetes.io/pod-name';
/** The label with the pod's ordinal. */
export const POD_INDEX_LABEL = 'apps.kubernetes.io/pod-index';
/** On pods: the name of the ControllerRevision they were made from (`apps.StatefulSetRevisionLabel`). */
export const STATEFULSET_REVISION_LABEL = 'controller-revision-hash';
/** On ControllerRevisions: their hash (`history.ControllerRevisionHashLabel`). */
export const CONTROLLER_REVISION_HASH_LABEL_KEY = 'controller.kubernetes.io/hash';
