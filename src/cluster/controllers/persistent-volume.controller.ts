import { defaultStorageClassName } from '../resources/storage.strategy';
import {
  ANN_BETA_STORAGE_PROVISIONER,
  ANN_BIND_COMPLETED,
  ANN_BOUND_BY_CONTROLLER,
  ANN_SELECTED_NODE,
  ANN_STORAGE_PROVISIONER,
  LOCAL_PATH_PROVISIONER,
  PersistentVolumeClaimStatus,
  PersistentVolumeStatus,
} from '../resources/storage.types';
import { ObjectStore } from '../store/object-store';
import { resourceTypeByKey } from '../store/resource-types';
import { KubeObject, StoredEvent } from '../store/types';
import { Controller } from './controller-manager';
import { recordEvent } from './events';
import { LocalPathProvisioner } from './local-path-provisioner';
import { claimClass, claimSpec, findMatchingVolume, isVolumeBoundToClaim, volumeMismatch, volumePhase, volumeSpec } from './volume-matching';

const claims = resourceTypeByKey('persistentvolumeclaims')!;
const volumes = resourceTypeByKey('persistentvolumes')!;
const storageClasses = resourceTypeByKey('storageclasses.storage.k8s.io')!;

const SOURCE = { component: 'persistentvolume-controller' };
const OWNED = { owned: true };
/** The provisioner name that provisions nothing (static local volumes). */
export const NO_PROVISIONER = 'kubernetes.io/no-provisioner';

/** The binding modes a claim's class gives it: whether binding waits for the first pod that uses it. */
export function delaysBinding(storageClass: KubeObject | undefined): boolean {
  return storageClass?.volumeBindingMode === 'WaitForFirstConsumer';
}

/**
 * kube-controller-manager's PersistentVolume controller
 * (`pkg/controller/volume/persistentvolume`): binds claims to volumes (the
 * smallest Available one that fits, or the one either side names), asks the
 * class's provisioner for a volume when none fits (kind's local-path
 * provisioner answers: ./local-path-provisioner.ts), and when a bound claim
 * goes, releases its volume and reclaims it as its policy says (Retain keeps
 * it `Released`, Delete removes it). Phases, annotations and events are
 * upstream's.
 */
export class PersistentVolumeController implements Controller {
  readonly name = 'persistentvolume-controller';
  private readonly claimQueue = new Set<string>();
  private readonly volumeQueue = new Set<string>();
  private readonly provisioner: LocalPathProvisioner;

  constructor(private readonly store: ObjectStore) {
    this.provisioner = new LocalPathProvisioner(store);
  }

  observe(event: StoredEvent): void {
    const object = event.object;
    if (event.resource === 'persistentvolumeclaims') {
      if (event.type === 'DELETED') {
        const volumeName = claimSpec(object).volumeName;
        if (volumeName) this.volumeQueue.add(volumeName);
      } else this.claimQueue.add(`${object.metadata.namespace}/${object.metadata.name}`);
    } else if (event.resource === 'persistentvolumes') {
      if (event.type !== 'DELETED') this.volumeQueue.add(object.metadata.name);
      const ref = volumeSpec(object).claimRef;
      if (ref?.name) this.claimQueue.add(`${ref.namespace ?? ''}/${ref.name}`);
      // A volume that became Available may serve claims that wait (upstream finds it on its 15 s resync).
      if (event.type !== 'DELETED' && volumePhase(object) === 'Available' && volumePhase(event.previous ?? object) !== 'Available') this.queueWaitingClaims();
      if (event.type === 'ADDED' && volumePhase(object) === 'Available') this.queueWaitingClaims();
    } else if (event.resource === 'storageclasses.storage.k8s.io' && event.type !== 'DELETED') {
      // A new class (a new default) may serve claims that wait.
      this.queueWaitingClaims();
    }
  }

  private queueWaitingClaims(): void {
    for (const claim of this.store.list(claims).items) {
      if (!claimSpec(claim).volumeName) this.claimQueue.add(`${claim.metadata.namespace}/${claim.metadata.name}`);
    }
  }

  reconcile(): boolean {
    if (this.claimQueue.size === 0 && this.volumeQueue.size === 0) return false;
    const volumeNames = [...this.volumeQueue].sort();
    const claimKeys = [...this.claimQueue].sort();
    this.volumeQueue.clear();
    this.claimQueue.clear();
    for (const name of volumeNames) {
      const pv = this.store.tryGet(volumes, undefined, name);
      // A volume being deleted is still synced: pv-protection holds it while Bound, and its claim's going releases it.
      if (pv) this.syncVolume(pv);
    }
    for (const key of claimKeys) {
      const [namespace, name] = key.split('/');
      const claim = this.store.tryGet(claims, namespace, name);
      if (claim && !claim.metadata.deletionTimestamp) this.syncClaim(claim);
    }
    return true;
  }

  // ---- claims -------------------------------------------------------------------

  private syncClaim(claim: KubeObject): void {
    if (claim.metadata.annotations?.[ANN_BIND_COMPLETED] === undefined) this.syncUnboundClaim(claim);
    else this.syncBoundClaim(claim);
  }

  private syncUnboundClaim(claim: KubeObject): void {
    const spec = claimSpec(claim);
    if (!spec.volumeName) {
      // A claim made before any default class existed gets the default class now (retroactive default).
      if (spec.storageClassName === undefined || spec.storageClassName === null) {
        const name = defaultStorageClassName(this.store.list(storageClasses).items);
        if (name) {
          this.store.update(claims, claim.metadata.namespace, claim.metadata.name, { ...claim, spec: { ...spec, storageClassName: name } }, OWNED);
          return;
        }
      }
      const className = claimClass(claim);
      const storageClass = className ? this.store.tryGet(storageClasses, undefined, className) : undefined;
      const delay = delaysBinding(storageClass);
      const volume = findMatchingVolume(claim, this.store.list(volumes).items, { delayBinding: delay });
      if (volume) {
        this.bind(volume, claim);
        return;
      }
      if (delay && !claim.metadata.annotations?.[ANN_SELECTED_NODE]) {
        recordEvent(this.store, claim, 'Normal', 'WaitForFirstConsumer', 'waiting for first consumer to be created before binding', SOURCE);
        this.setClaimPhase(claim, 'Pending');
        return;
      }
      if (className) {
        this.provisionClaim(claim, className, storageClass);
        return;
      }
      recordEvent(this.store, claim, 'Normal', 'FailedBinding', 'no persistent volumes available for this claim and no storage class is set', SOURCE);
      this.setClaimPhase(claim, 'Pending');
      return;
    }
    // The user named a volume.
    const volume = this.store.tryGet(volumes, undefined, spec.volumeName);
    if (!volume) {
      this.setClaimPhase(claim, 'Pending'); // tried again when it appears
      return;
    }
    if (!volumeSpec(volume).claimRef) {
      const mismatch = volumeMismatch(volume, claim);
      if (mismatch) {
        recordEvent(this.store, claim, 'Warning', 'VolumeMismatch', `Cannot bind to requested volume "${volume.metadata.name}": ${mismatch}`, SOURCE);
        this.setClaimPhase(claim, 'Pending');
        return;
      }
      this.bind(volume, claim);
    } else if (isVolumeBoundToClaim(volume, claim)) {
      this.bind(volume, claim);
    } else {
      this.setClaimPhase(claim, 'Pending'); // the volume is someone else's: waits
    }
  }

  private syncBoundClaim(claim: KubeObject): void {
    const spec = claimSpec(claim);
    if (!spec.volumeName) {
      this.loseClaim(claim, 'ClaimLost', 'Bound claim has lost reference to PersistentVolume. Data on the volume is lost!');
      return;
    }
    const volume = this.store.tryGet(volumes, undefined, spec.volumeName);
    if (!volume) {
      this.loseClaim(claim, 'ClaimLost', 'Bound claim has lost its PersistentVolume. Data on the volume is lost!');
      return;
    }
    if (!volumeSpec(volume).claimRef || isVolumeBoundToClaim(volume, claim)) {
      this.bind(volume, claim);
      return;
    }
    this.loseClaim(claim, 'ClaimMisbound', 'Two claims are bound to the same volume, this one is bound incorrectly');
  }

  private loseClaim(claim: KubeObject, reason: string, message: string): void {
    if ((claim.status as PersistentVolumeClaimStatus | undefined)?.phase === 'Lost') return;
    this.setClaimPhase(claim, 'Lost');
    recordEvent(this.store, claim, 'Warning', reason, message, SOURCE);
  }

  /**
   * No volume fits: the class's provisioner is asked for one (the claim gets
   * the provisioner annotations and an `ExternalProvisioning` event), and
   * kind's local-path provisioner makes it at once.
   */
  private provisionClaim(claim: KubeObject, className: string, storageClass: KubeObject | undefined): void {
    if (!storageClass) {
      recordEvent(this.store, claim, 'Warning', 'ProvisioningFailed', `storageclass.storage.k8s.io "${className}" not found`, SOURCE);
      this.setClaimPhase(claim, 'Pending');
      return;
    }
    const provisioner = String(storageClass.provisioner ?? '');
    if (provisioner === NO_PROVISIONER) {
      this.setClaimPhase(claim, 'Pending');
      return;
    }
    const annotations = claim.metadata.annotations ?? {};
    if (annotations[ANN_STORAGE_PROVISIONER] !== provisioner || annotations[ANN_BETA_STORAGE_PROVISIONER] !== provisioner) {
      claim = this.store.update(
        claims,
        claim.metadata.namespace,
        claim.metadata.name,
        { ...claim, metadata: { ...claim.metadata, annotations: { ...annotations, [ANN_BETA_STORAGE_PROVISIONER]: provisioner, [ANN_STORAGE_PROVISIONER]: provisioner } } },
        OWNED,
      );
    }
    recordEvent(
      this.store,
      claim,
      'Normal',
      'ExternalProvisioning',
      `Waiting for a volume to be created either by the external provisioner '${provisioner}' or manually by the system administrator. If volume creation is delayed, please verify that the provisioner is running and correctly registered.`,
      SOURCE,
    );
    this.setClaimPhase(claim, 'Pending');
    if (provisioner === LOCAL_PATH_PROVISIONER) this.provisioner.provision(claim, storageClass);
  }

  /**
   * Binds both sides: the volume's claimRef (with `bound-by-controller` when
   * the controller chose it) and phase Bound, then the claim's volumeName,
   * `bind-completed` (and `bound-by-controller` when the controller chose the
   * volume), phase Bound with the volume's capacity and access modes.
   */
  private bind(volume: KubeObject, claim: KubeObject): void {
    const ref = volumeSpec(volume).claimRef;
    const refCurrent = ref && ref.uid === claim.metadata.uid && ref.name === claim.metadata.name && ref.namespace === claim.metadata.namespace;
    if (!refCurrent) {
      const annotations = { ...(volume.metadata.annotations ?? {}) };
      if (!ref) annotations[ANN_BOUND_BY_CONTROLLER] = 'yes';
      volume = this.store.update(
        volumes,
        undefined,
        volume.metadata.name,
        {
          ...volume,
          metadata: { ...volume.metadata, annotations: Object.keys(annotations).length ? annotations : undefined },
          spec: {
            ...volumeSpec(volume),
            claimRef: {
              kind: 'PersistentVolumeClaim',
              namespace: claim.metadata.namespace,
              name: claim.metadata.name,
              uid: claim.metadata.uid,
              apiVersion: 'v1',
              resourceVersion: claim.metadata.resourceVersion,
            },
          },
        },
        OWNED,
      );
    }
    this.setVolumePhase(volume, 'Bound');
    const spec = claimSpec(claim);
    if (spec.volumeName !== volume.metadata.name || claim.metadata.annotations?.[ANN_BIND_COMPLETED] === undefined) {
      const annotations: Record<string, string> = { ...(claim.metadata.annotations ?? {}), [ANN_BIND_COMPLETED]: 'yes' };
      if (spec.volumeName !== volume.metadata.name) annotations[ANN_BOUND_BY_CONTROLLER] = 'yes';
      claim = this.store.update(
        claims,
        claim.metadata.namespace,
        claim.metadata.name,
        { ...claim, metadata: { ...claim.metadata, annotations }, spec: { ...spec, volumeName: volume.metadata.name } },
        OWNED,
      );
    }
    const pvSpec = volumeSpec(volume);
    const status: PersistentVolumeClaimStatus = {
      ...((claim.status ?? {}) as PersistentVolumeClaimStatus),
      phase: 'Bound',
      accessModes: [...(pvSpec.accessModes ?? [])],
      capacity: { ...(pvSpec.capacity ?? {}) },
    };
    this.store.updateStatus(claims, claim.metadata.namespace, claim.metadata.name, { ...claim, status }, OWNED);
  }

  private setClaimPhase(claim: KubeObject, phase: 'Pending' | 'Bound' | 'Lost'): void {
    const status = (claim.status ?? {}) as PersistentVolumeClaimStatus;
    if (status.phase === phase) return;
    this.store.updateStatus(claims, claim.metadata.namespace, claim.metadata.name, { ...claim, status: { ...status, phase } }, OWNED);
  }

  // ---- volumes ------------------------------------------------------------------

  private syncVolume(volume: KubeObject): void {
    const ref = volumeSpec(volume).claimRef;
    if (!ref) {
      this.setVolumePhase(volume, 'Available');
      return;
    }
    if (!ref.uid) {
      // Pre-bound by the user to a claim that has not bound yet.
      this.setVolumePhase(volume, 'Available');
      return;
    }
    const found = this.store.tryGet(claims, ref.namespace, ref.name ?? '');
    const claim = found && found.metadata.uid === ref.uid ? found : undefined;
    if (!claim) {
      // Its claim is gone: released, then reclaimed as its policy says.
      const phase = volumePhase(volume);
      if (phase !== 'Released' && phase !== 'Failed') volume = this.setVolumePhase(volume, 'Released');
      this.reclaim(volume);
      return;
    }
    const claimVolume = claimSpec(claim).volumeName;
    if (!claimVolume) {
      this.claimQueue.add(`${claim.metadata.namespace}/${claim.metadata.name}`);
      return;
    }
    if (claimVolume === volume.metadata.name) {
      this.setVolumePhase(volume, 'Bound');
      return;
    }
    // The claim is bound to another volume: a volume the controller bound goes back to the pool.
    if (volume.metadata.annotations?.[ANN_BOUND_BY_CONTROLLER] !== undefined) {
      const spec = { ...volumeSpec(volume) };
      delete spec.claimRef;
      const annotations = { ...(volume.metadata.annotations ?? {}) };
      delete annotations[ANN_BOUND_BY_CONTROLLER];
      const updated = this.store.update(volumes, undefined, volume.metadata.name, { ...volume, metadata: { ...volume.metadata, annotations }, spec }, OWNED);
      this.setVolumePhase(updated, 'Available');
    }
  }

  /**
   * `reclaimVolume`: Retain keeps a Released volume for its administrator;
   * Delete has its provisioner remove it, or fails as the in-tree deleters
   * do for a volume nothing provisioned (hostPath deletes only under /tmp).
   */
  private reclaim(volume: KubeObject): void {
    const spec = volumeSpec(volume);
    if (spec.persistentVolumeReclaimPolicy !== 'Delete') return;
    if (this.provisioner.owns(volume)) {
      this.provisioner.delete(volume);
      return;
    }
    if (volumePhase(volume) === 'Failed') return;
    const path = spec.hostPath?.path;
    const message =
      path !== undefined
        ? /^\/tmp\/.+/.test(path)
          ? undefined
          : `host_path deleter only supports /tmp/.+ but received provided ${path}`
        : `error getting deleter volume plugin for volume "${volume.metadata.name}": no deletable volume plugin matched`;
    if (message === undefined) {
      this.store.delete(volumes, undefined, volume.metadata.name);
      return;
    }
    this.setVolumePhase(volume, 'Failed', message);
    recordEvent(this.store, volume, 'Warning', 'VolumeFailedDelete', message, SOURCE);
  }

  private setVolumePhase(volume: KubeObject, phase: NonNullable<PersistentVolumeStatus['phase']>, message?: string): KubeObject {
    const status = (volume.status ?? {}) as PersistentVolumeStatus;
    if (status.phase === phase && status.message === message) return volume;
    const next: PersistentVolumeStatus = { phase, ...(message ? { message } : {}), lastPhaseTransitionTime: this.store.now() };
    return this.store.updateStatus(volumes, undefined, volume.metadata.name, { ...volume, status: next }, OWNED);
  }
}
