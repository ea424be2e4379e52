import { StructuredSelector } from '../store/label-selector';
import { NodeSelectorTerm } from './workload.types';

/** The parts of core/v1 PersistentVolume, PersistentVolumeClaim and storage/v1 StorageClass that kube-netsim reads and writes. */

export type AccessMode = 'ReadWriteOnce' | 'ReadOnlyMany' | 'ReadWriteMany' | 'ReadWriteOncePod';
export const ACCESS_MODES: readonly AccessMode[] = ['ReadOnlyMany', 'ReadWriteMany', 'ReadWriteOnce', 'ReadWriteOncePod'];
export const VOLUME_MODES = ['Block', 'Filesystem'] as const;

export interface ObjectReference {
  kind?: string;
  namespace?: string;
  name?: string;
  uid?: string;
  apiVersion?: string;
  resourceVersion?: string;
}

export interface PersistentVolumeSpec {
  capacity?: Record<string, string>;
  accessModes?: AccessMode[];
  claimRef?: ObjectReference | null;
  persistentVolumeReclaimPolicy?: 'Retain' | 'Delete' | 'Recycle';
  storageClassName?: string;
  volumeMode?: string;
  nodeAffinity?: { required?: { nodeSelectorTerms?: NodeSelectorTerm[] } } | null;
  hostPath?: { path?: string; type?: string };
  local?: { path?: string; fsType?: string };
  [source: string]: unknown;
}

export interface PersistentVolumeStatus {
  phase?: 'Pending' | 'Available' | 'Bound' | 'Released' | 'Failed';
  message?: string;
  reason?: string;
  lastPhaseTransitionTime?: string;
}

export interface PersistentVolumeClaimSpec {
  accessModes?: AccessMode[];
  selector?: StructuredSelector | null;
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  volumeName?: string;
  storageClassName?: string | null;
  volumeMode?: string;
  volumeAttributesClassName?: string | null;
  dataSource?: unknown;
  dataSourceRef?: unknown;
}

export interface PersistentVolumeClaimStatus {
  phase?: 'Pending' | 'Bound' | 'Lost';
  accessModes?: AccessMode[];
  capacity?: Record<string, string>;
}

/** The annotations the PV controller, the scheduler and the provisioners write (upstream's names). */
export const ANN_BIND_COMPLETED = 'pv.kubernetes.io/bind-completed';
export const ANN_BOUND_BY_CONTROLLER = 'pv.kubernetes.io/bound-by-controller';
export const ANN_SELECTED_NODE = 'volume.kubernetes.io/selected-node';
/** The finalizers the StorageObjectInUseProtection admission plugin puts on every claim and volume. */
export const PVC_PROTECTION_FINALIZER = 'kubernetes.io/pvc-protection';
export const PV_PROTECTION_FINALIZER = 'kubernetes.io/pv-protection';
export const ANN_STORAGE_PROVISIONER = 'volume.kubernetes.io/storage-provisioner';
export const ANN_BETA_STORAGE_PROVISIONER = 'volume.beta.kubernetes.io/storage-provisioner';
export const ANN_PROVISIONED_BY = 'pv.kubernetes.io/provisioned-by';
export const ANN_DEFAULT_CLASS = 'storageclass.kubernetes.io/is-default-class';
export const ANN_BETA_DEFAULT_CLASS = 'storageclass.beta.kubernetes.io/is-default-class';

/** kind's provisioner, and the StorageClass kind ships with it. */
export const LOCAL_PATH_PROVISIONER = 'rancher.io/local-path';
export const DEFAULT_STORAGE_CLASS = {
  apiVersion: 'storage.k8s.io/v1',
  kind: 'StorageClass',
  metadata: { name: 'standard', annotations: { [ANN_DEFAULT_CLASS]: 'true' } },
  provisioner: LOCAL_PATH_PROVISIONER,
  reclaimPolicy: 'Delete',
  volumeBindingMode: 'WaitForFirstConsumer',
};

/** Whether a StorageClass is marked default (either annotation), as the admission plugin reads it. */
export function isDefaultClass(annotations: Record<string, string> | undefined): boolean {
  return annotations?.[ANN_DEFAULT_CLASS] === 'true' || annotations?.[ANN_BETA_DEFAULT_CLASS] === 'true';
}
