/**
 * `POST /netsim/v1/import`: a real cluster's objects, as
 * `kubectl get nodes,namespaces,pods,services,endpointslices,deployments,replicasets,daemonsets,statefulsets -A -o yaml`
 * prints them, reproduced as they were: nodes with their addresses, pod CIDRs,
 * conditions and taints; pods bound where they ran, with their IPs, phases,
 * readiness and owners; Services with their ClusterIPs and node ports;
 * EndpointSlices as given; the workloads that own the pods.
 *
 * - **uids are remapped**: every object gets a uid of this cluster, and every
 *   owner reference (and EndpointSlice `targetRef`) to an imported object is
 *   rewritten to the new uid, so owners and dependents stay together and the
 *   controllers keep what they own instead of making more.
 * - **Addresses are reserved** where our allocators keep them (ClusterIPs and
 *   node ports by the Service strategy, pod CIDRs and node addresses by the
 *   Node strategy, pod IPs in their node's host-local range). A conflict with
 *   the configured ranges or with another object is a 4xx naming the item, the
 *   object and the field.
 * - **All or nothing**: one store transaction; on any error nothing stays,
 *   the pod IPs reserved on the way included.
 * - **Adds to the cluster**: an object whose name is taken is refused (409),
 *   except what every cluster has (namespaces that exist, the API server's
 *   `default/kubernetes` Service and EndpointSlice), which is kept and counted
 *   as `existing`.
 * - Kinds kube-netsim does not serve (custom resources) are skipped,
 *   each with a warning.
 */
import { DomainError, ErrorCause } from '../../common/domain-error';
import { AddressPools } from '../../ipam/address-pools';
import { ManifestDocument, checkDocument } from '../apply/manifests';
import { PodSpec, PodStatus } from '../resources/pod.types';
import { DAEMONSET_TEMPLATE_GENERATION_ANNOTATION, POD_TEMPLATE_GENERATION_LABEL } from '../resources/workload.types';
import { ObjectStore } from '../store/object-store';
import { ResourceType, resourceKey, resourceTypeByKey, resourceTypeOfKind } from '../store/resource-types';
import { KubeObject, ObjectInput, OwnerReference } from '../store/types';

export interface ImportResult {
  kind: 'ImportResult';
  /** How many objects of each kind were created. */
  imported: Record<string, number>;
  /** Objects every cluster already has (system namespaces, `default/kubernetes`), kept as they are. */
  existing: Record<string, number>;
  skipped: Array<{ kind: string; apiVersion: string; namespace?: string; name: string; reason: string }>;
  warnings: string[];
}

/** The order objects are made in: owners before what they own, nodes before the pods bound to them. */
const ORDER = ['namespaces', 'nodes', 'services', 'replicationcontrollers', 'deployments.apps', 'replicasets.apps', 'daemonsets.apps', 'statefulsets.apps', 'persistentvolumeclaims', 'persistentvolumes', 'pods', 'endpointslices.discovery.k8s.io'];

/** Metadata only the API server sets: a new one is made here. */
const SERVER_FIELDS = ['uid', 'resourceVersion', 'creationTimestamp', 'generation', 'managedFields', 'selfLink', 'deletionTimestamp', 'deletionGracePeriodSeconds'];

/** The annotation a kubelet puts on the API's copy of a static pod. */
const MIRROR_ANNOTATION = 'kubernetes.io/config.mirror';

const SYSTEM_OBJECTS = new Set(['services/default/kubernetes', 'endpointslices.discovery.k8s.io/default/kubernetes', 'storageclasses.storage.k8s.io/standard']);

interface Item {
  doc: ManifestDocument;
  type: ResourceType;
  namespace: string | undefined;
  name: string;
  uid: string | undefined;
}

const t = (key: string) => resourceTypeByKey(key)!;

/** The item's place in the export (`items[i]`, from 0) and the object it is. */
function where(item: Item): string {
  return `items[${item.doc.index - 1}] (${item.type.kind} ${item.namespace ? `${item.namespace}/` : ''}${item.name})`;
}

/** The same error, with the item it came from in front of its message. */
function inItem(item: Item, e: DomainError): DomainError {
  return new DomainError(e.code, `${where(item)}: ${e.message}`, { causes: e.causes, kind: e.kind ?? item.type.kind, name: e.objectName ?? item.name });
}

function invalid(item: Item, field: string, value: unknown, detail: string, causeReason = 'FieldValueInvalid'): DomainError {
  const label = causeReason === 'FieldValueDuplicate' ? 'Duplicate value' : causeReason === 'FieldValueNotFound' ? 'Not found' : 'Invalid value';
  const message = `${field}: ${label}: ${JSON.stringify(value)}: ${detail}`;
  const cause: ErrorCause = { field, reason: causeReason, message };
  return new DomainError('INVALID', `${item.type.kind} "${item.name}" is invalid: ${message}`, { causes: [cause], kind: item.type.kind, name: item.name });
}

export class ClusterImport {
  /** Old uid (from the export) to new uid (this cluster's). */
  private readonly uids = new Map<string, string>();
  private readonly result: ImportResult = { kind: 'ImportResult', imported: {}, existing: {}, skipped: [], warnings: [] };
  /** Pod IPs reserved on the way: node name and owner (new pod uid), released if the import fails. */
  private readonly reserved: Array<[string, string]> = [];
  private readonly newNodes: string[] = [];
  /** Per new DaemonSet uid: the template generation the export had and the one it has now. */
  private readonly generations = new Map<string, [string, string]>();

  constructor(
    private readonly store: ObjectStore,
    private readonly pools: AddressPools,
  ) {}

  /** The import at once, in one transaction (for specs and the bench's first phase). */
  run(docs: ManifestDocument[]): ImportResult {
    const items = this.prepared(docs);
    return this.undoingAllocations(() => this.store.transaction(() => drain(this.steps(items))));
  }

  /**
   * The same as a transaction in slices (`ObjectStore.transactionInSlices`):
   * the event loop is given back between slices, and the store is held so
   * nothing sees the import half done. What the server does.
   */
  async runInSlices(docs: ManifestDocument[]): Promise<ImportResult> {
    const items = this.prepared(docs);
    try {
      return await this.store.transactionInSlices(this.steps(items));
    } catch (e) {
      this.releaseAllocations();
      throw e;
    }
  }

  private prepared(docs: ManifestDocument[]): Item[] {
    const items = this.items(docs);
    this.checkPodAddresses(items);
    return items;
  }

  /** One object made per step; the answer at the end. */
  private *steps(items: Item[]): Generator<void, ImportResult, void> {
    for (const item of items) {
      try {
        this.importItem(item);
      } catch (e) {
        throw e instanceof DomainError ? inItem(item, e) : e;
      }
      yield;
    }
    return this.result;
  }

  private undoingAllocations<T>(work: () => T): T {
    try {
      return work();
    } catch (e) {
      this.releaseAllocations();
      throw e;
    }
  }

  /** The pod IPs reserved and the node ranges made on the way, given back when the transaction is undone. */
  private releaseAllocations(): void {
    for (const [node, owner] of this.reserved) this.pools.existingNodeIpam(node)?.release(owner);
    for (const node of this.newNodes) this.pools.forgetNode(node);
  }

  /** The served items in making order; what is not served is skipped with a warning. */
  private items(docs: ManifestDocument[]): Item[] {
    const items: Item[] = [];
    for (const doc of docs) {
      checkDocument(doc);
      const o = doc.object;
      const name = o.metadata!.name!;
      const type = resourceTypeOfKind(o.apiVersion!, o.kind!);
      if (!type) {
        const reason = `kind ${o.kind} (${o.apiVersion}) is not simulated by kube-netsim`;
        this.result.skipped.push({ kind: o.kind!, apiVersion: o.apiVersion!, ...(o.metadata?.namespace ? { namespace: o.metadata.namespace } : {}), name, reason });
        this.result.warnings.push(`${o.kind!.toLowerCase()}/${name} skipped: ${reason}`);
        continue;
      }
      const namespace = type.namespaced ? (o.metadata!.namespace ?? 'default') : undefined;
      items.push({ doc, type, namespace, name, uid: typeof o.metadata!.uid === 'string' ? o.metadata!.uid : undefined });
    }
    const rank = (item: Item) => {
      const i = ORDER.indexOf(resourceKey(item.type));
      return i < 0 ? ORDER.indexOf('pods') : i;
    };
    return items.map((item, i) => ({ item, i })).sort((a, b) => rank(a.item) - rank(b.item) || a.i - b.i).map(({ item }) => item);
  }

  /** Pod IPs: each in its node's pod CIDR and given once (host-network pods share their node's). */
  private checkPodAddresses(items: Item[]): void {
    const nodeCidr = new Map<string, string | undefined>();
    for (const node of this.store.list(t('nodes')).items) nodeCidr.set(node.metadata.name, (node.spec as { podCIDR?: string } | undefined)?.podCIDR);
    for (const item of items) if (item.type.kind === 'Node') nodeCidr.set(item.name, (item.doc.object.spec as { podCIDR?: string } | undefined)?.podCIDR);
    const owners = new Map<string, string>();
    for (const pod of this.store.list(t('pods')).items) {
      const ip = (pod.status as PodStatus | undefined)?.podIP;
      if (ip && !(pod.spec as PodSpec).hostNetwork) owners.set(ip, `${pod.metadata.namespace}/${pod.metadata.name}`);
    }
    for (const item of items) {
      if (item.type.kind !== 'Pod') continue;
      const spec = (item.doc.object.spec ?? {}) as PodSpec;
      const ip = (item.doc.object.status as PodStatus | undefined)?.podIP;
      if (!ip || spec.hostNetwork) continue;
      if (!spec.nodeName || !nodeCidr.has(spec.nodeName)) {
        throw inItem(item, invalid(item, 'spec.nodeName', spec.nodeName ?? '', 'a pod with an IP must be bound to a node of the import or of the cluster', 'FieldValueNotFound'));
      }
      const other = owners.get(ip);
      // The same pod already in the cluster: its name is taken, which its creation reports (409).
      if (other && other !== `${item.namespace}/${item.name}`) throw inItem(item, invalid(item, 'status.podIP', ip, `the IP of pod ${other} too`, 'FieldValueDuplicate'));
      owners.set(ip, `${item.namespace}/${item.name}`);
    }
  }

  private importItem(item: Item): void {
    const key = `${resourceKey(item.type)}/${item.namespace ? `${item.namespace}/` : ''}${item.name}`;
    const existing = this.store.tryGet(item.type, item.namespace, item.name);
    if (existing && (item.type.kind === 'Namespace' || SYSTEM_OBJECTS.has(key))) {
      if (item.uid) this.uids.set(item.uid, existing.metadata.uid);
      this.count('existing', item.type.kind);
      return;
    }
    const source = item.doc.object;
    const input = this.inputOf(item);
    const created = this.store.create(item.type, input, item.namespace);
    if (item.uid) this.uids.set(item.uid, created.metadata.uid);
    if (item.type.kind === 'Node') this.newNodes.push(item.name);
    if (item.type.kind === 'DaemonSet') {
      const before = source.metadata?.annotations?.[DAEMONSET_TEMPLATE_GENERATION_ANNOTATION];
      const now = created.metadata.annotations?.[DAEMONSET_TEMPLATE_GENERATION_ANNOTATION];
      if (before && now && before !== now) this.generations.set(created.metadata.uid, [before, now]);
    }
    if (item.type.kind === 'Pod') {
      this.restorePodStatus(item, created, source.status as PodStatus | undefined);
      if (created.metadata.annotations?.[MIRROR_ANNOTATION]) {
        this.result.warnings.push(
          `pod/${item.name} (namespace ${item.namespace}) is the mirror pod of a static pod: its node's kubelet removes it, as the node has no such manifest (PUT /netsim/v1/nodes/${(created.spec as PodSpec).nodeName}/manifests/{file} to run it)`,
        );
      }
    }
    else if (item.type.kind !== 'Node' && item.type.kind !== 'Service' && item.type.hasStatus && isObject(source.status)) {
      // Workload status as it was; the controllers bring it up to date on their first sync.
      this.store.updateStatus(item.type, item.namespace, item.name, { ...created, status: source.status });
    }
    this.count('imported', item.type.kind);
  }

  /** The object to create: server fields dropped, owner references and `targetRef`s pointed at the new uids. */
  private inputOf(item: Item): ObjectInput {
    const source = item.doc.object;
    const metadata: Record<string, unknown> = { ...source.metadata };
    for (const field of SERVER_FIELDS) delete metadata[field];
    const refs = source.metadata?.ownerReferences;
    if (Array.isArray(refs)) metadata.ownerReferences = refs.map((r: OwnerReference) => this.remapped(item, r));
    const input: ObjectInput = { ...source, metadata: metadata as ObjectInput['metadata'] };
    if (item.type.kind === 'Pod') {
      delete input.status;
      const controller = (metadata.ownerReferences as OwnerReference[] | undefined)?.find((r) => r.controller);
      const generations = controller && this.generations.get(controller.uid);
      const labels = metadata.labels as Record<string, string> | undefined;
      if (generations && labels?.[POD_TEMPLATE_GENERATION_LABEL] === generations[0]) {
        metadata.labels = { ...labels, [POD_TEMPLATE_GENERATION_LABEL]: generations[1] };
      }
    }
    // A bound volume's claimRef names its claim by uid: this cluster's (claims are made first).
    const claimRef = item.type.kind === 'PersistentVolume' ? (source.spec as { claimRef?: { uid?: string } } | undefined)?.claimRef : undefined;
    if (claimRef?.uid && this.uids.has(claimRef.uid)) input.spec = { ...(source.spec as object), claimRef: { ...claimRef, uid: this.uids.get(claimRef.uid) } };
    if (item.type.kind === 'EndpointSlice' && Array.isArray(source.endpoints)) {
      input.endpoints = (source.endpoints as Array<Record<string, unknown>>).map((e) => {
        const ref = e.targetRef as { uid?: string } | undefined;
        return ref?.uid && this.uids.has(ref.uid) ? { ...e, targetRef: { ...ref, uid: this.uids.get(ref.uid) } } : e;
      });
    }
    return input;
  }

  private remapped(item: Item, ref: OwnerReference): OwnerReference {
    const uid = this.uids.get(ref.uid);
    if (uid) return { ...ref, uid };
    if (resourceTypeOfKind(ref.apiVersion, ref.kind)) {
      this.result.warnings.push(
        `${item.type.kind.toLowerCase()}/${item.name}${item.namespace ? ` (namespace ${item.namespace})` : ''}: its owner ${ref.kind} ${ref.name} is not in the import; the garbage collector deletes it, as a real cluster's would`,
      );
    }
    return ref;
  }

  /** The pod's status as it was, its IP reserved in its node's host-local range. */
  private restorePodStatus(item: Item, pod: KubeObject, status: PodStatus | undefined): void {
    if (!status || !isObject(status)) return;
    const spec = pod.spec as PodSpec;
    const ip = typeof status.podIP === 'string' ? status.podIP : undefined;
    if (ip && !spec.hostNetwork && spec.nodeName) {
      const node = this.store.tryGet(t('nodes'), undefined, spec.nodeName);
      const cidr = (node?.spec as { podCIDR?: string } | undefined)?.podCIDR;
      if (!cidr) throw invalid(item, 'status.podIP', ip, `node ${spec.nodeName} has no podCIDR to hold it`);
      try {
        this.pools.nodeIpam(spec.nodeName, cidr).allocateSpecific(pod.metadata.uid, ip);
      } catch (e) {
        if (!(e instanceof DomainError)) throw e;
        throw invalid(item, 'status.podIP', ip, `not available in node ${spec.nodeName}'s podCIDR ${cidr}: ${e.message}`);
      }
      this.reserved.push([spec.nodeName, pod.metadata.uid]);
    }
    // The body's nesting was checked when it was read, and this copy is ours: handed over (`owned`), not copied again.
    this.store.updateStatus(t('pods'), item.namespace, item.name, { ...pod, status: structuredClone({ ...(pod.status as PodStatus), ...status }) }, { owned: true });
  }

  private count(bucket: 'imported' | 'existing', kind: string): void {
    this.result[bucket][kind] = (this.result[bucket][kind] ?? 0) + 1;
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function drain<T>(steps: Iterator<void, T>): T {
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
  }
}

/** Imports the objects of `docs` into the cluster's store, all or nothing, at once (see the file's comment). */
export function importCluster(store: ObjectStore, pools: AddressPools, docs: ManifestDocument[]): ImportResult {
  return new ClusterImport(store, pools).run(docs);
}

/** The same in slices, the event loop free between them: what `POST /netsim/v1/import` does. */
export function importClusterInSlices(store: ObjectStore, pools: AddressPools, docs: ManifestDocument[]): Promise<ImportResult> {
  return new ClusterImport(store, pools).runInSlices(docs);
}
