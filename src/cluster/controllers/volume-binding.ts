import { PodSpec } from '../resources/pod.types';
import { ANN_BIND_COMPLETED, ANN_BOUND_BY_CONTROLLER, ANN_SELECTED_NODE } from '../resources/storage.types';
import { ObjectStore } from '../store/object-store';
import { resourceTypeByKey } from '../store/resource-types';
import { KubeObject } from '../store/types';
import { delaysBinding, NO_PROVISIONER } from './persistent-volume.controller';
import { claimClass, claimSpec, findMatchingVolume, volumeFitsNode, volumeSpec } from './volume-matching';

const claims = resourceTypeByKey('persistentvolumeclaims')!;
const volumes = resourceTypeByKey('persistentvolumes')!;
const storageClasses = resourceTypeByKey('storageclasses.storage.k8s.io')!;

/** The VolumeBinding plugin's Filter reasons (`ErrReason...`), as `0/3 nodes are available` counts them. */
export const REASON_NODE_CONFLICT = 'node(s) had volume node affinity conflict';
export const REASON_BIND_CONFLICT = "node(s) didn't find available persistent volumes to bind";
export const REASON_PV_NOT_EXIST = 'node(s) unavailable due to one or more pvc(s) bound to non-existent pv(s)';
export const UNBOUND_IMMEDIATE = 'pod has unbound immediate PersistentVolumeClaims';

/**
 * A pod's claims as the scheduler's VolumeBinding plugin sees them: PreFilter
 * refuses a pod whose claim is missing, being deleted, or unbound with an
 * `Immediate` class (the PV controller binds those, not the scheduler);
 * Filter checks a node against the node affinity of the bound claims'
 * volumes, and finds for each claim waiting for its first consumer a volume
 * on that node or a provisioner that can make one there; once a node is
 * chosen, those claims are bound (a volume's claimRef) or handed to the
 * provisioner (`volume.kubernetes.io/selected-node`), and the pod is bound
 * when all its claims are.
 */
export interface PodVolumes {
  /** Why no node can take the pod (PreFilter, UnschedulableAndUnresolvable), or undefined. */
  readonly refusal?: string;
  /** The Filter reasons for one node (none: it fits). */
  filter(node: KubeObject): string[];
  /** Binds or provisions the waiting claims for the chosen node; true when every claim is bound already (the pod may be bound now). */
  assume(node: KubeObject): boolean;
}

const NO_VOLUMES: PodVolumes = { filter: () => [], assume: () => true };

export function podVolumes(store: ObjectStore, pod: KubeObject): PodVolumes {
  const spec = pod.spec as PodSpec & { volumes?: Array<{ persistentVolumeClaim?: { claimName?: string } }> };
  const names = (spec.volumes ?? []).map((v) => v?.persistentVolumeClaim?.claimName).filter((n): n is string => typeof n === 'string' && n !== '');
  if (names.length === 0) return NO_VOLUMES;
  const bound: Array<KubeObject | undefined> = [];
  const waiting: KubeObject[] = [];
  for (const name of names) {
    const claim = store.tryGet(claims, pod.metadata.namespace, name);
    if (!claim) return refused(`persistentvolumeclaim "${name}" not found`);
    if (claim.metadata.deletionTimestamp) return refused(`persistentvolumeclaim "${name}" is being deleted`);
    const volumeName = claimSpec(claim).volumeName;
    if (volumeName && claim.metadata.annotations?.[ANN_BIND_COMPLETED] !== undefined) {
      bound.push(store.tryGet(volumes, undefined, volumeName));
      continue;
    }
    const className = claimClass(claim);
    const storageClass = className ? store.tryGet(storageClasses, undefined, className) : undefined;
    if (!delaysBinding(storageClass)) return refused(UNBOUND_IMMEDIATE);
    waiting.push(claim);
  }
  const allVolumes = waiting.length ? store.list(volumes).items : [];

  /** For each waiting claim on this node: the volume it would bind to, or 'provision', or undefined (neither). */
  const plan = (node: KubeObject): Array<KubeObject | 'provision' | undefined> => {
    const chosen = new Set<string>();
    return waiting.map((claim) => {
      const match = findMatchingVolume(claim, allVolumes, { node, delayBinding: true, excluded: chosen });
      if (match) {
        chosen.add(match.metadata.name);
        return match;
      }
      const storageClass = store.tryGet(storageClasses, undefined, claimClass(claim));
      const selected = claim.metadata.annotations?.[ANN_SELECTED_NODE];
      if (!storageClass || storageClass.provisioner === NO_PROVISIONER || (selected && selected !== node.metadata.name)) return undefined;
      return 'provision';
    });
  };

  return {
    filter(node) {
      const reasons: string[] = [];
      if (bound.some((pv) => pv === undefined)) return [REASON_PV_NOT_EXIST];
      if (bound.some((pv) => !volumeFitsNode(pv!, node))) reasons.push(REASON_NODE_CONFLICT);
      if (waiting.length && plan(node).some((p) => p === undefined)) reasons.push(REASON_BIND_CONFLICT);
      return reasons;
    },
    assume(node) {
      if (waiting.length === 0) return true;
      plan(node).forEach((p, i) => {
        const claim = waiting[i];
        if (p === 'provision') {
          if (claim.metadata.annotations?.[ANN_SELECTED_NODE] === node.metadata.name) return;
          const annotations = { ...(claim.metadata.annotations ?? {}), [ANN_SELECTED_NODE]: node.metadata.name };
          store.update(claims, claim.metadata.namespace, claim.metadata.name, { ...claim, metadata: { ...claim.metadata, annotations } }, { owned: true });
        } else if (p && !volumeSpec(p).claimRef?.uid) {
          // The scheduler binds the volume's side; the PV controller completes the claim's.
          const annotations = { ...(p.metadata.annotations ?? {}), [ANN_BOUND_BY_CONTROLLER]: 'yes' };
          const claimRef = { kind: 'PersistentVolumeClaim', namespace: claim.metadata.namespace, name: claim.metadata.name, uid: claim.metadata.uid, apiVersion: 'v1', resourceVersion: claim.metadata.resourceVersion };
          store.update(volumes, undefined, p.metadata.name, { ...p, metadata: { ...p.metadata, annotations }, spec: { ...volumeSpec(p), claimRef } }, { owned: true });
        }
      });
      return false;
    },
  };
}

function refused(message: string): PodVolumes {
  return { refusal: message, filter: () => [], assume: () => false };
}
