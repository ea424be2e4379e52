/**
 * kube-controller-manager's pvc-protection and pv-protection controllers
 * (`pkg/controller/volume/pvcprotection`, `pvprotection`): a claim being deleted keeps its
 * `kubernetes.io/pvc-protection` finalizer, and stays `Terminating`, while a scheduled pod
 * names it (a finished pod too, until it is gone); a volume being deleted keeps
 * `kubernetes.io/pv-protection` while it is Bound. Once nothing holds them, the finalizer comes
 * off and the store removes the object. A live claim or volume without its finalizer (stored
 * before the admission plugin put it on, or had it taken off) gets it back.
 */
import { DomainError } from '../../common/domain-error';
import { PV_PROTECTION_FINALIZER, PVC_PROTECTION_FINALIZER } from '../resources/storage.types';
import { ObjectStore } from '../store/object-store';
import { resourceTypeByKey } from '../store/resource-types';
import { KubeObject, StoredEvent } from '../store/types';
import { Controller } from './controller-manager';
import { volumePhase } from './volume-matching';

const pods = resourceTypeByKey('pods')!;
const claims = resourceTypeByKey('persistentvolumeclaims')!;
const volumes = resourceTypeByKey('persistentvolumes')!;

type PodVolume = { name?: string; persistentVolumeClaim?: { claimName?: string }; ephemeral?: unknown };

/** The claims a pod names: its `persistentVolumeClaim` volumes and its generic ephemeral volumes (`<pod>-<volume>`). */
export function claimNamesOf(pod: KubeObject): string[] {
  const out: string[] = [];
  for (const v of ((pod.spec as { volumes?: PodVolume[] } | undefined)?.volumes ?? [])) {
    if (v.persistentVolumeClaim?.claimName) out.push(v.persistentVolumeClaim.claimName);
    else if (v.ephemeral && v.name) out.push(`${pod.metadata.name}-${v.name}`);
  }
  return out;
}

/** `podIsShutDown`: deleted with no grace left (done with by its kubelet, or forced). */
function isShutDown(pod: KubeObject): boolean {
  return pod.metadata.deletionTimestamp !== undefined && pod.metadata.deletionGracePeriodSeconds === 0;
}

/**
 * `podUsesPVC`: once scheduled, a pod uses the claims of its `persistentVolumeClaim` volumes
 * whatever its phase (a Succeeded or Failed pod holds them until it is gone), and those of its
 * ephemeral volumes until it is shut down.
 */
function usesClaim(pod: KubeObject, claimName: string): boolean {
  if (!(pod.spec as { nodeName?: string } | undefined)?.nodeName) return false;
  for (const v of ((pod.spec as { volumes?: PodVolume[] }).volumes ?? [])) {
    if (v.persistentVolumeClaim?.claimName === claimName) return true;
    if (v.ephemeral && v.name && `${pod.metadata.name}-${v.name}` === claimName && !isShutDown(pod)) return true;
  }
  return false;
}

const terminatingWith = (object: KubeObject | undefined, finalizer: string) =>
  object !== undefined && object.metadata.deletionTimestamp !== undefined && (object.metadata.finalizers ?? []).includes(finalizer);

/** `NeedToAddFinalizer`: a live object without the finalizer (stored before the admission plugin put it on, or taken off). */
const lacking = (object: KubeObject | undefined, finalizer: string) =>
  object !== undefined && object.metadata.deletionTimestamp === undefined && !(object.metadata.finalizers ?? []).includes(finalizer);

export class StorageProtectionController implements Controller {
  readonly name = 'pvc-protection-controller';
  private readonly claimQueue = new Set<string>();
  private readonly volumeQueue = new Set<string>();

  constructor(private readonly store: ObjectStore) {}

  observe(event: StoredEvent): void {
    const object = event.object;
    if (event.resource === 'persistentvolumeclaims') {
      if (event.type !== 'DELETED' && (terminatingWith(object, PVC_PROTECTION_FINALIZER) || lacking(object, PVC_PROTECTION_FINALIZER))) {
        this.claimQueue.add(`${object.metadata.namespace}/${object.metadata.name}`);
      }
    } else if (event.resource === 'persistentvolumes') {
      if (event.type !== 'DELETED' && (terminatingWith(object, PV_PROTECTION_FINALIZER) || lacking(object, PV_PROTECTION_FINALIZER))) this.volumeQueue.add(object.metadata.name);
    } else if (event.resource === 'pods') {
      // `enqueuePVCs`: only a pod that goes, is shut down or is not scheduled may free the claims it names.
      if (event.type !== 'DELETED' && (object.spec as { nodeName?: string } | undefined)?.nodeName && !isShutDown(object)) return;
      for (const name of claimNamesOf(object)) this.claimQueue.add(`${object.metadata.namespace}/${name}`);
    }
  }

  reconcile(): boolean {
    if (this.claimQueue.size === 0 && this.volumeQueue.size === 0) return false;
    const claimKeys = [...this.claimQueue].sort();
    const volumeNames = [...this.volumeQueue].sort();
    this.claimQueue.clear();
    this.volumeQueue.clear();
    for (const key of claimKeys) {
      const [namespace, name] = key.split('/');
      const claim = this.store.tryGet(claims, namespace, name);
      if (lacking(claim, PVC_PROTECTION_FINALIZER)) this.setFinalizers(claims, claim!, [...(claim!.metadata.finalizers ?? []), PVC_PROTECTION_FINALIZER]);
      else if (terminatingWith(claim, PVC_PROTECTION_FINALIZER) && !this.inUse(claim!)) this.release(claims, claim!, PVC_PROTECTION_FINALIZER);
    }
    for (const name of volumeNames) {
      const volume = this.store.tryGet(volumes, undefined, name);
      // `isPVUsed`: a Bound volume is in use.
      if (lacking(volume, PV_PROTECTION_FINALIZER)) this.setFinalizers(volumes, volume!, [...(volume!.metadata.finalizers ?? []), PV_PROTECTION_FINALIZER]);
      else if (terminatingWith(volume, PV_PROTECTION_FINALIZER) && volumePhase(volume!) !== 'Bound') this.release(volumes, volume!, PV_PROTECTION_FINALIZER);
    }
    return true;
  }

  private inUse(claim: KubeObject): boolean {
    const name = claim.metadata.name;
    return this.store.list(pods, { namespace: claim.metadata.namespace }).items.some((p) => usesClaim(p, name));
  }

  private release(type: typeof claims, object: KubeObject, finalizer: string): void {
    this.setFinalizers(type, object, (object.metadata.finalizers ?? []).filter((f) => f !== finalizer));
  }

  private setFinalizers(type: typeof claims, object: KubeObject, finalizers: string[]): void {
    try {
      this.store.patch(type, object.metadata.namespace, object.metadata.name, { metadata: { finalizers: finalizers.length ? finalizers : null, resourceVersion: object.metadata.resourceVersion } });
    } catch (e) {
      if (!(e instanceof DomainError)) throw e; // gone or changed meanwhile: its next event brings it back
    }
  }
}
