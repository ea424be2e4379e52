/**
 * The snapshot document: every stored object of a cluster, its simulated
 * time and the start-up configuration that shapes what it does, as one
 * document (`GET /netsim/v1/snapshot`, `CLUSTER_FILE=snapshot.yaml`).
 * Objects come in a fixed order (resource by resource, in the order the API
 * serves them, then namespace and name) and without their resourceVersion
 * (a restore starts a new history: see restore-snapshot.ts), so two
 * snapshots of one state are byte for byte the same. See docs/snapshots.md.
 */
import { isElectionLease } from '../leader/etcd-lease-lock';
import { DomainError } from '../../common/domain-error';
import { isJsonObject } from '../../common/own-keys';
import { drain, runInSlices } from '../../common/slices';
import { AppConfig } from '../../config/app-config';
import { Cluster } from '../cluster';
import { assertDecodable } from '../validation/shapes';
import { FieldErrors } from '../validation/field-errors';
import { nameErrors } from '../validation/names';
import { RESOURCE_TYPES, ResourceType, resourceKey, resourceTypeOfKind } from '../store/resource-types';
import { KubeObject, ObjectInput } from '../store/types';

export const SNAPSHOT_API_VERSION = 'netsim.kube-netsim.io/v1';
export const SNAPSHOT_KIND = 'Snapshot';

/**
 * What the process was started with that changes what the cluster does, by
 * the name of its `AppConfig` field. The address ranges and the overlay must
 * match the restoring process's (they cannot change while it runs); `clock`
 * and `ipFamily` are told, not checked (the restoring process keeps its own
 * clock mode, and `ipFamily` only chooses the ranges' defaults).
 */
export type SnapshotConfiguration = Pick<
  AppConfig,
  | 'ipFamily'
  | 'serviceClusterIpRange'
  | 'serviceNodePortRange'
  | 'clusterCidr'
  | 'nodeCidrMaskSize'
  | 'nodeCidrMaskSizeIPv4'
  | 'nodeCidrMaskSizeIPv6'
  | 'loadBalancerIpRange'
  | 'nodeNetwork'
  | 'overlay'
  | 'clock'
>;

/** The configuration fields a restore checks, and the variable each one comes from. */
export const FIXED_CONFIGURATION: ReadonlyArray<[keyof SnapshotConfiguration, string]> = [
  ['serviceClusterIpRange', 'SERVICE_CLUSTER_IP_RANGE'],
  ['serviceNodePortRange', 'SERVICE_NODE_PORT_RANGE'],
  ['clusterCidr', 'CLUSTER_CIDR'],
  ['nodeCidrMaskSize', 'NODE_CIDR_MASK_SIZE'],
  ['nodeCidrMaskSizeIPv4', 'NODE_CIDR_MASK_SIZE_IPV4'],
  ['nodeCidrMaskSizeIPv6', 'NODE_CIDR_MASK_SIZE_IPV6'],
  ['loadBalancerIpRange', 'LOADBALANCER_IP_RANGE'],
  ['nodeNetwork', 'NODE_NETWORK'],
  ['overlay', 'OVERLAY'],
];

export interface SnapshotDocument {
  apiVersion: typeof SNAPSHOT_API_VERSION;
  kind: typeof SNAPSHOT_KIND;
  /** The simulated time, RFC 3339 with milliseconds. */
  time: string;
  configuration: SnapshotConfiguration;
  /** Every stored object, without `metadata.resourceVersion`. */
  objects: KubeObject[];
  /**
   * What nodes hold outside the API: each kubelet that is stopped or has
   * static pod manifests (`kubeadm init`'s control plane), by node name.
   */
  kubelets: SnapshotKubelet[];
}

/** A node's own state: whether its kubelet runs, and its manifest directory. */
export interface SnapshotKubelet {
  node: string;
  running: boolean;
  manifests: Array<{ file: string; pod: ObjectInput }>;
}

/** What a snapshot document holds, checked, in the order it is restored. */
export interface SnapshotContent {
  /** The simulated time, ms since the epoch. */
  time: number;
  entries: SnapshotEntry[];
  kubelets: SnapshotKubelet[];
}

/** One object of a snapshot with its store key (`pods`, `deployments.apps`). */
export interface SnapshotEntry {
  resource: string;
  object: KubeObject;
}

export function snapshotConfiguration(config: AppConfig): SnapshotConfiguration {
  const out: Partial<SnapshotConfiguration> = {};
  const fields: Array<keyof SnapshotConfiguration> = ['ipFamily', ...FIXED_CONFIGURATION.map(([field]) => field), 'clock'];
  for (const field of fields) if (config[field] !== undefined) (out as Record<string, unknown>)[field] = config[field];
  return out as SnapshotConfiguration;
}

/** A stored object as a snapshot keeps it: all but its resourceVersion (its parts are shared, frozen). */
function withoutVersion(object: KubeObject): KubeObject {
  const { resourceVersion: _version, ...metadata } = object.metadata;
  return { ...object, metadata } as KubeObject;
}

/** The cluster's objects in snapshot order. */
/**
 * Every object of the cluster but the leader election's Lease: that is the
 * process's, not the cluster's (a restore keeps the one the leader holds).
 */
export function snapshotEntries(cluster: Cluster): SnapshotEntry[] {
  const entries: SnapshotEntry[] = [];
  for (const type of RESOURCE_TYPES) {
    const resource = resourceKey(type);
    for (const object of cluster.store.list(type).items) if (!isElectionLease(resource, object)) entries.push({ resource, object });
  }
  return entries;
}

/** The cluster as a snapshot document, at its simulated time now. */
export function takeSnapshot(cluster: Cluster, config: AppConfig): SnapshotDocument {
  return {
    apiVersion: SNAPSHOT_API_VERSION,
    kind: SNAPSHOT_KIND,
    time: new Date(cluster.clock.now()).toISOString(),
    configuration: snapshotConfiguration(config),
    objects: snapshotEntries(cluster).map((e) => withoutVersion(e.object)),
    kubelets: snapshotKubelets(cluster),
  };
}

function snapshotKubelets(cluster: Cluster): SnapshotKubelet[] {
  const kubelets: SnapshotKubelet[] = [];
  for (const node of cluster.store.list(resourceTypeOfKind('v1', 'Node')!).items) {
    const name = node.metadata.name;
    const running = cluster.kubelets.isRunning(name);
    const manifests = cluster.kubelets.staticPods.manifests(name);
    if (!running || manifests.length > 0) kubelets.push({ node: name, running, manifests });
  }
  return kubelets;
}

/** Whether a parsed document is meant as a snapshot (its kind says so), right or wrong. */
export function isSnapshotDocument(value: unknown): boolean {
  return isJsonObject(value) && value.kind === SNAPSHOT_KIND && typeof value.apiVersion === 'string' && value.apiVersion.startsWith('netsim.kube-netsim.io/');
}

function orderOf(type: ResourceType): number {
  return RESOURCE_TYPES.indexOf(type);
}

/**
 * Checks a parsed document against this process's configuration and returns
 * its objects with their resources, in snapshot order. A document that is
 * not a snapshot, an object that is not one kube-netsim serves or is badly
 * formed, two objects with one name, an object in a namespace the snapshot
 * lacks, or a fixed setting that differs from this process's is a 422
 * `Snapshot "snapshot" is invalid` naming each field (`objects[3].metadata.name`);
 * an object whose fields have the wrong JSON types is the decoder's 400,
 * its field prefixed the same way.
 */
export function readSnapshot(value: unknown, config: AppConfig): SnapshotContent {
  return drain(readingSteps(value, config));
}

/** `readSnapshot` in slices of wall time, a step per object: the server answers while a snapshot of 10,000 pods is checked. */
export function readSnapshotInSlices(value: unknown, config: AppConfig): Promise<SnapshotContent> {
  return runInSlices(readingSteps(value, config));
}

function* readingSteps(value: unknown, config: AppConfig): Generator<void, SnapshotContent> {
  const errors = new FieldErrors();
  if (!isJsonObject(value)) throw new DomainError('BAD_REQUEST', `a snapshot is one ${SNAPSHOT_KIND} document (apiVersion ${SNAPSHOT_API_VERSION}), as GET /netsim/v1/snapshot answers`);
  if (value.apiVersion !== SNAPSHOT_API_VERSION) errors.notSupported('apiVersion', value.apiVersion, [SNAPSHOT_API_VERSION]);
  if (value.kind !== SNAPSHOT_KIND) errors.notSupported('kind', value.kind, [SNAPSHOT_KIND]);
  const time = typeof value.time === 'string' && /^\d{4}-\d\d-\d\dT/.test(value.time) ? Date.parse(value.time) : NaN;
  if (Number.isNaN(time)) errors.invalid('time', value.time, 'must be an RFC 3339 time, as 2026-01-01T00:00:00.000Z');
  const configuration = value.configuration;
  if (!isJsonObject(configuration)) {
    errors.required('configuration', 'the settings the snapshot was taken with');
  } else {
    const own = snapshotConfiguration(config);
    for (const [field, variable] of FIXED_CONFIGURATION) {
      if (configuration[field] === own[field]) continue;
      const given = configuration[field] === undefined ? 'unset' : JSON.stringify(configuration[field]);
      const ours = own[field] === undefined ? 'unset' : JSON.stringify(own[field]);
      errors.invalid(
        `configuration.${field}`,
        configuration[field],
        `the snapshot was taken with ${variable} ${given}; this process runs with ${ours}, which cannot change while it runs (start it with ${variable} as the snapshot's)`,
      );
    }
  }
  const entries: SnapshotEntry[] = [];
  if (!Array.isArray(value.objects)) {
    errors.required('objects', 'the list of the cluster\'s objects');
  } else {
    const seen = new Set<string>();
    const namespaces = new Set<string>();
    for (const object of value.objects) {
      if (isJsonObject(object) && object.kind === 'Namespace' && isJsonObject(object.metadata) && typeof object.metadata.name === 'string') namespaces.add(object.metadata.name);
    }
    for (let i = 0; i < value.objects.length; i++) {
      const at = `objects[${i}]`;
      const entry = checkObject(value.objects[i], at, errors, namespaces);
      yield;
      if (!entry) continue;
      const key = `${entry.resource}/${entry.object.metadata.namespace ?? ''}/${entry.object.metadata.name}`;
      if (seen.has(key)) errors.duplicate(`${at}.metadata.name`, entry.object.metadata.name);
      seen.add(key);
      entries.push(entry);
    }
  }
  const kubelets = checkKubelets(value.kubelets, entries, errors);
  errors.throwIfAny(SNAPSHOT_KIND, 'snapshot');
  const rank = (e: SnapshotEntry) => orderOf(resourceTypeOfKind(e.object.apiVersion, e.object.kind)!);
  // A stable sort: a snapshot's own order is kept within a resource.
  entries.sort((a, b) => rank(a) - rank(b));
  return { time, entries, kubelets };
}

/** The `kubelets` of a snapshot (absent: every kubelet runs, with no manifests): each names a Node of the snapshot, once. */
function checkKubelets(value: unknown, entries: SnapshotEntry[], errors: FieldErrors): SnapshotKubelet[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) {
    errors.invalid('kubelets', typeof value, 'must be a list');
    return [];
  }
  const nodes = new Set(entries.filter((e) => e.resource === 'nodes').map((e) => e.object.metadata.name));
  const seen = new Set<string>();
  const kubelets: SnapshotKubelet[] = [];
  value.forEach((kubelet: unknown, i: number) => {
    const at = `kubelets[${i}]`;
    if (!isJsonObject(kubelet) || typeof kubelet.node !== 'string') {
      errors.required(`${at}.node`);
      return;
    }
    if (!nodes.has(kubelet.node)) errors.invalid(`${at}.node`, kubelet.node, 'the snapshot holds no Node of that name');
    if (seen.has(kubelet.node)) errors.duplicate(`${at}.node`, kubelet.node);
    seen.add(kubelet.node);
    if (kubelet.running !== undefined && typeof kubelet.running !== 'boolean') errors.invalid(`${at}.running`, kubelet.running, 'must be true or false');
    const manifests = kubelet.manifests ?? [];
    if (!Array.isArray(manifests)) {
      errors.invalid(`${at}.manifests`, typeof manifests, 'must be a list');
      return;
    }
    manifests.forEach((m: unknown, j: number) => {
      if (!isJsonObject(m) || typeof m.file !== 'string' || m.file === '') errors.required(`${at}.manifests[${j}].file`);
      else if (!isJsonObject(m.pod)) errors.required(`${at}.manifests[${j}].pod`);
    });
    kubelets.push({ node: kubelet.node, running: kubelet.running !== false, manifests: manifests as SnapshotKubelet['manifests'] });
  });
  return kubelets;
}

function checkObject(object: unknown, at: string, errors: FieldErrors, namespaces: ReadonlySet<string>): SnapshotEntry | undefined {
  if (!isJsonObject(object)) {
    errors.invalid(at, typeof object, 'must be an object');
    return undefined;
  }
  const type = typeof object.apiVersion === 'string' && typeof object.kind === 'string' ? resourceTypeOfKind(object.apiVersion, object.kind) : undefined;
  if (!type) {
    errors.invalid(`${at}.kind`, `${String(object.apiVersion)}/${String(object.kind)}`, 'not a kind kube-netsim serves (see docs/kinds.md)');
    return undefined;
  }
  try {
    assertDecodable(type.kind, object.apiVersion as string, object);
  } catch (e) {
    if (!(e instanceof DomainError)) throw e;
    throw new DomainError('BAD_REQUEST', `${at}: ${e.message}`, { field: `${at}.${e.causes[0]?.field ?? ''}`.replace(/\.$/, ''), kind: e.kind, name: e.objectName });
  }
  const metadata = object.metadata;
  if (!isJsonObject(metadata)) {
    errors.required(`${at}.metadata`);
    return undefined;
  }
  const name = metadata.name;
  if (typeof name !== 'string' || name === '') {
    errors.required(`${at}.metadata.name`);
    return undefined;
  }
  if (type.nameRule !== 'by-strategy') for (const e of nameErrors(type.nameRule ?? 'dns1123-subdomain', name)) errors.invalid(`${at}.metadata.name`, name, e);
  if (typeof metadata.uid !== 'string' || metadata.uid === '') errors.required(`${at}.metadata.uid`, 'a snapshot keeps every object\'s uid');
  if (type.namespaced) {
    if (typeof metadata.namespace !== 'string' || metadata.namespace === '') errors.required(`${at}.metadata.namespace`);
    else if (!namespaces.has(metadata.namespace)) errors.invalid(`${at}.metadata.namespace`, metadata.namespace, 'the snapshot holds no Namespace of that name');
  } else if (metadata.namespace !== undefined) {
    errors.forbidden(`${at}.metadata.namespace`, `${type.kind} is not namespaced`);
  }
  return { resource: resourceKey(type), object: object as unknown as KubeObject };
}
