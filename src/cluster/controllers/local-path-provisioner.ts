import { PersistentVolumeClaimSpec, ANN_PROVISIONED_BY, ANN_SELECTED_NODE, LOCAL_PATH_PROVISIONER } from '../resources/storage.types';
import { ObjectStore } from '../store/object-store';
import { resourceTypeByKey } from '../store/resource-types';
import { KubeObject } from '../store/types';
import { recordEvent } from './events';

const persistentVolumes = resourceTypeByKey('persistentvolumes')!;
const pods = resourceTypeByKey('pods')!;

/** Where kind's local-path provisioner makes its directories (`local-path-config`'s default path). */
export const LOCAL_PATH_ROOT = '/var/local-path-provisioner';
const SELECTED_NODE_ANNOTATION = 'local.path.provisioner/selected-node';

/**
 * kind's local-path provisioner (`rancher.io/local-path`), as an external
 * provisioner that answers at once: for a claim of its class that names a
 * node (`volume.kubernetes.io/selected-node`, which the scheduler writes for
 * `WaitForFirstConsumer`), a hostPath PersistentVolume `pvc-<claim uid>` on
 * that node, pre-bound to the claim, with node affinity to it and the
 * class's reclaim policy; deleting such a volume once it is released and its
 * policy is `Delete`. Its events come from `rancher.io/local-path_<its pod>`.
 */
export class LocalPathProvisioner {
  constructor(private readonly store: ObjectStore) {}

  /** Provisions the claim's volume; false when it cannot (no node named). */
  provision(claim: KubeObject, storageClass: KubeObject): boolean {
    const spec = (claim.spec ?? {}) as PersistentVolumeClaimSpec;
    const node = claim.metadata.annotations?.[ANN_SELECTED_NODE];
    const source = { component: this.identity() };
    const key = `${claim.metadata.namespace}/${claim.metadata.name}`;
    if (!node) {
      recordEvent(
        this.store,
        claim,
        'Warning',
        'ProvisioningFailed',
        `failed to provision volume with StorageClass "${storageClass.metadata.name}": configuration error, no node was specified`,
        source,
      );
      return false;
    }
    const name = `pvc-${claim.metadata.uid}`;
    if (this.store.tryGet(persistentVolumes, undefined, name)) return true;
    recordEvent(this.store, claim, 'Normal', 'Provisioning', `External provisioner is provisioning volume for claim "${key}"`, source);
    this.store.create(
      persistentVolumes,
      {
        metadata: { name, annotations: { [SELECTED_NODE_ANNOTATION]: node, [ANN_PROVISIONED_BY]: LOCAL_PATH_PROVISIONER } },
        spec: {
          accessModes: [...(spec.accessModes ?? [])],
          capacity: { storage: String(spec.resources?.requests?.storage) },
          claimRef: {
            apiVersion: 'v1',
            kind: 'PersistentVolumeClaim',
            name: claim.metadata.name,
            namespace: claim.metadata.namespace,
            resourceVersion: claim.metadata.resourceVersion,
            uid: claim.metadata.uid,
          },
          hostPath: { path: `${LOCAL_PATH_ROOT}/${name}_${claim.metadata.namespace}_${claim.metadata.name}`, type: 'DirectoryOrCreate' },
          nodeAffinity: { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: [node] }] }] } },
          persistentVolumeReclaimPolicy: String(storageClass.reclaimPolicy ?? 'Delete'),
          storageClassName: storageClass.metadata.name,
          volumeMode: spec.volumeMode ?? 'Filesystem',
        },
      },
      undefined,
      { owned: true },
    );
    recordEvent(this.store, claim, 'Normal', 'ProvisioningSucceeded', `Successfully provisioned volume ${name}`, source);
    return true;
  }

  /** Whether this provisioner made the volume (and so deletes it). */
  owns(pv: KubeObject): boolean {
    return pv.metadata.annotations?.[ANN_PROVISIONED_BY] === LOCAL_PATH_PROVISIONER;
  }

  /** Removes a released volume whose policy is Delete (its directory goes with it). */
  delete(pv: KubeObject): void {
    this.store.delete(persistentVolumes, undefined, pv.metadata.name);
  }

  /** `rancher.io/local-path_<provisioner pod>`, the source kind's provisioner writes its events with. */
  private identity(): string {
    const pod = this.store.list(pods, { namespace: 'local-path-storage' }).items.find((p) => p.metadata.labels?.app === 'local-path-provisioner');
    return `${LOCAL_PATH_PROVISIONER}_${pod?.metadata.name ?? 'local-path-provisioner'}`;
  }
}
