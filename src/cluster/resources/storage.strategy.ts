import { DomainError } from '../../common/domain-error';
import { deepEqual, ResourceStrategy, WriteContext } from '../store/object-store';
import { resourceTypeByKey } from '../store/resource-types';
import { KubeObject } from '../store/types';
import { FieldErrors } from '../validation/field-errors';
import { dns1123SubdomainErrors, qualifiedNameErrors } from '../validation/names';
import { validateHostPath } from './pod-volumes';
import { parseQuantity } from './quantity';
import {
  ACCESS_MODES,
  isDefaultClass,
  PersistentVolumeClaimSpec,
  PersistentVolumeSpec,
  PV_PROTECTION_FINALIZER,
  PVC_PROTECTION_FINALIZER,
  VOLUME_MODES,
} from './storage.types';
import { throwIfInvalid, validateLabelSelector } from './workload.strategy';

/**
 * PersistentVolumes, PersistentVolumeClaims and StorageClasses as the API
 * server defaults and validates them (`pkg/apis/core/v1/defaults.go`,
 * `pkg/apis/core/validation`, `pkg/apis/storage/validation`), with the
 * DefaultStorageClass admission plugin on new claims and the StorageObjectInUseProtection
 * plugin on new claims and volumes (their protection finalizers: a delete waits for them,
 * controllers/storage-protection.controller.ts takes them off).
 */

/** StorageObjectInUseProtection: the finalizer on a new object, once. */
function addFinalizer(draft: KubeObject, finalizer: string): void {
  const finalizers = draft.metadata.finalizers ?? [];
  if (!finalizers.includes(finalizer)) draft.metadata.finalizers = [...finalizers, finalizer];
}

const storageClasses = resourceTypeByKey('storageclasses.storage.k8s.io')!;

const QUANTITY_ERROR = "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";
const RECLAIM_POLICIES = ['Delete', 'Recycle', 'Retain'];
const CLASS_RECLAIM_POLICIES = ['Delete', 'Retain'];
const BINDING_MODES = ['Immediate', 'WaitForFirstConsumer'];

/**
 * The persistent volume sources a PV may name, in the order upstream's
 * validation checks them: the second one found is refused.
 */
const PV_SOURCES = [
  'hostPath',
  'gcePersistentDisk',
  'awsElasticBlockStore',
  'glusterfs',
  'flocker',
  'nfs',
  'rbd',
  'quobyte',
  'cephfs',
  'iscsi',
  'cinder',
  'fc',
  'flexVolume',
  'azureFile',
  'vsphereVolume',
  'photonPersistentDisk',
  'portworxVolume',
  'azureDisk',
  'scaleIO',
  'local',
  'storageos',
  'csi',
];

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A draft's spec as a fresh object of its own (stored objects are frozen, and drafts may share their parts). */
function ownSpec<T>(draft: KubeObject): T {
  if (!isObject(draft.spec)) draft.spec = {};
  else if (Object.isFrozen(draft.spec)) draft.spec = structuredClone(draft.spec);
  return draft.spec as T;
}

/** A quantity the JSON decoder cannot read refuses the whole body (400), as `resource.Quantity`'s unmarshaller does. */
function assertQuantities(kind: string, values: Record<string, unknown> | undefined): void {
  for (const value of Object.values(values ?? {})) {
    if ((typeof value === 'string' || typeof value === 'number') && parseQuantity(value) !== undefined) continue;
    throw new DomainError('BAD_REQUEST', `${kind} in version "v1" cannot be handled as a ${kind}: ${QUANTITY_ERROR}`);
  }
}

function validateAccessModes(modes: unknown, field: string, errors: FieldErrors, requiredDetail: string): void {
  const list = Array.isArray(modes) ? (modes as string[]) : [];
  if (list.length === 0) errors.required(field, requiredDetail);
  let oncePod = false;
  let other = false;
  for (const mode of list) {
    if (!ACCESS_MODES.includes(mode as never)) errors.notSupported(field, mode, ACCESS_MODES);
    else if (mode === 'ReadWriteOncePod') oncePod = true;
    else other = true;
  }
  if (oncePod && other) errors.forbidden(field, 'may not use ReadWriteOncePod with other access modes');
}

function validateClassName(name: unknown, field: string, errors: FieldErrors): void {
  if (typeof name !== 'string' || name === '') return;
  for (const e of dns1123SubdomainErrors(name)) errors.invalid(field, name, e);
}

function validateVolumeMode(mode: unknown, field: string, errors: FieldErrors): void {
  if (mode !== undefined && mode !== null && !VOLUME_MODES.includes(mode as never)) errors.notSupported(field, mode, VOLUME_MODES);
}

function validatePositiveQuantity(value: string, field: string, errors: FieldErrors): void {
  if ((parseQuantity(value) ?? 0) <= 0) errors.invalid(field, value, 'must be greater than zero');
}

// ---- PersistentVolume ------------------------------------------------------------

export class PersistentVolumeStrategy implements ResourceStrategy {
  readonly holdsForFinalizers = true;

  prepareCreate(draft: KubeObject, ctx: WriteContext): void {
    addFinalizer(draft, PV_PROTECTION_FINALIZER);
    const spec = this.prepare(draft);
    const errors = new FieldErrors();
    validatePersistentVolumeSpec(spec, errors);
    errors.throwIfAny('PersistentVolume', draft.metadata.name);
    draft.status = { phase: 'Pending', lastPhaseTransitionTime: ctx.store.now() };
  }

  prepareUpdate(draft: KubeObject, previous: KubeObject): void {
    const spec = this.prepare(draft);
    const old = previous.spec as PersistentVolumeSpec;
    const errors = new FieldErrors();
    validatePersistentVolumeSpec(spec, errors);
    const source = (s: PersistentVolumeSpec) => JSON.stringify(PV_SOURCES.map((k) => s[k] ?? null));
    if (source(spec) !== source(old)) errors.forbidden('spec.persistentvolumesource', 'spec.persistentvolumesource is immutable after creation');
    if (spec.volumeMode !== old.volumeMode) errors.invalid('volumeMode', spec.volumeMode, 'field is immutable');
    if (old.nodeAffinity && JSON.stringify(spec.nodeAffinity ?? null) !== JSON.stringify(old.nodeAffinity)) {
      errors.invalid('nodeAffinity', spec.nodeAffinity ?? null, 'field is immutable');
    }
    errors.throwIfAny('PersistentVolume', draft.metadata.name);
  }

  /** `SetDefaults_PersistentVolume`: reclaim policy Retain, volume mode Filesystem, hostPath type "". */
  private prepare(draft: KubeObject): PersistentVolumeSpec {
    const spec = ownSpec<PersistentVolumeSpec>(draft);
    assertQuantities('PersistentVolume', spec.capacity);
    spec.persistentVolumeReclaimPolicy ||= 'Retain';
    spec.volumeMode ??= 'Filesystem';
    if (isObject(spec.hostPath)) spec.hostPath.type ??= '';
    return spec;
  }
}

function validatePersistentVolumeSpec(spec: PersistentVolumeSpec, errors: FieldErrors): void {
  validateAccessModes(spec.accessModes, 'spec.accessModes', errors, '');
  const capacity = isObject(spec.capacity) ? spec.capacity : {};
  const keys = Object.keys(capacity);
  if (keys.length === 0) errors.required('spec.capacity');
  else if (!keys.includes('storage') || keys.length > 1) errors.notSupported('spec.capacity', capacity, ['storage']);
  for (const key of keys) validatePositiveQuantity(String(capacity[key]), `spec.capacity[${key}]`, errors);
  const policy = spec.persistentVolumeReclaimPolicy;
  if (policy && !RECLAIM_POLICIES.includes(policy)) errors.notSupported('spec.persistentVolumeReclaimPolicy', policy, RECLAIM_POLICIES);
  const affinityTerms = spec.nodeAffinity?.required?.nodeSelectorTerms;
  if (spec.nodeAffinity && isObject(spec.nodeAffinity) && spec.nodeAffinity.required && (!Array.isArray(affinityTerms) || affinityTerms.length === 0)) {
    errors.required('spec.nodeAffinity.required.nodeSelectorTerms', 'must have at least one node selector term');
  }
  let sources = 0;
  for (const key of PV_SOURCES) {
    if (spec[key] === undefined || spec[key] === null) continue;
    if (sources > 0 && key !== 'flexVolume') {
      errors.forbidden(`spec.${key}`, 'may not specify more than 1 volume type');
      continue;
    }
    sources++;
    const source = isObject(spec[key]) ? (spec[key] as Record<string, unknown>) : {};
    if (key === 'hostPath') validateHostPath(source, 'spec.hostPath', errors);
    if (key === 'local') {
      if (!source.path) errors.required('spec.local.path');
      if (!affinityTerms?.length) errors.required('spec.nodeAffinity', 'Local volume requires node affinity');
    }
  }
  if (sources === 0) errors.required('spec', 'must specify a volume type');
  validateClassName(spec.storageClassName, 'spec.storageClassName', errors);
  validateVolumeMode(spec.volumeMode, 'spec.volumeMode', errors);
}

// ---- PersistentVolumeClaim -------------------------------------------------------

/** The Go names and order of PersistentVolumeClaimSpec's fields, for the immutability message. */
const CLAIM_SPEC_FIELDS: Array<[keyof PersistentVolumeClaimSpec, string, 'pointer' | 'string' | 'other']> = [
  ['accessModes', 'AccessModes', 'other'],
  ['selector', 'Selector', 'other'],
  ['resources', 'Resources', 'other'],
  ['volumeName', 'VolumeName', 'string'],
  ['storageClassName', 'StorageClassName', 'pointer'],
  ['volumeMode', 'VolumeMode', 'pointer'],
  ['dataSource', 'DataSource', 'other'],
  ['dataSourceRef', 'DataSourceRef', 'other'],
  ['volumeAttributesClassName', 'VolumeAttributesClassName', 'pointer'],
];

function goValue(value: unknown, shape: 'pointer' | 'string' | 'other'): string {
  if (shape === 'string') return JSON.stringify(value ?? '');
  if (value === undefined || value === null) return 'nil';
  if (shape === 'pointer') return `&${JSON.stringify(value)}`;
  if (Array.isArray(value)) return `{${value.map((v) => JSON.stringify(v)).join(', ')}}`;
  return '{...}';
}

/** The changed fields, in the layout of the `cmp.Diff` upstream appends to its message (identical runs folded). */
function claimSpecDiff(old: PersistentVolumeClaimSpec, spec: PersistentVolumeClaimSpec): string {
  const lines = ['  core.PersistentVolumeClaimSpec{'];
  let same = 0;
  const flush = () => {
    if (same > 0) lines.push(`  \t... // ${same} identical field${same === 1 ? '' : 's'}`);
    same = 0;
  };
  for (const [key, name, shape] of CLAIM_SPEC_FIELDS) {
    const a = goValue(old[key], shape);
    const b = goValue(spec[key], shape);
    if (sameValue(old[key], spec[key])) {
      same++;
      continue;
    }
    flush();
    lines.push(`- \t${name}: ${a},`, `+ \t${name}: ${b},`);
  }
  flush();
  lines.push('  }');
  return lines.join('\n');
}

export class PersistentVolumeClaimStrategy implements ResourceStrategy {
  readonly holdsForFinalizers = true;

  prepareCreate(draft: KubeObject, ctx: WriteContext): void {
    addFinalizer(draft, PVC_PROTECTION_FINALIZER);
    const spec = this.prepare(draft);
    admitDefaultStorageClass(spec, ctx);
    const errors = new FieldErrors();
    validateClaimSpec(spec, 'spec', errors);
    errors.throwIfAny('PersistentVolumeClaim', draft.metadata.name);
    draft.status = { phase: 'Pending' };
  }

  prepareUpdate(draft: KubeObject, previous: KubeObject): void {
    const spec = this.prepare(draft);
    const old = previous.spec as PersistentVolumeClaimSpec;
    const errors = new FieldErrors();
    validateClaimSpec(spec, 'spec', errors);
    // The binder sets volumeName once; a claim without a class may get the default one; a bound claim may grow.
    const bound = (previous.status as { phase?: string } | undefined)?.phase === 'Bound';
    const comparable = (s: PersistentVolumeClaimSpec): PersistentVolumeClaimSpec => ({
      ...s,
      ...(old.volumeName ? {} : { volumeName: undefined }),
      ...(old.storageClassName === undefined || old.storageClassName === null ? { storageClassName: undefined } : {}),
      ...(bound ? { resources: { ...(s.resources ?? {}), requests: undefined }, volumeAttributesClassName: undefined } : {}),
    });
    if (!sameFields(comparable(old), comparable(spec))) {
      errors.forbidden('spec', `spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims\n${claimSpecDiff(old, spec)}`);
    }
    const oldSize = parseQuantity(old.resources?.requests?.storage) ?? 0;
    const newSize = parseQuantity(spec.resources?.requests?.storage) ?? 0;
    if (newSize < oldSize) errors.forbidden('spec.resources.requests.storage', 'field can not be less than previous value');
    errors.throwIfAny('PersistentVolumeClaim', draft.metadata.name);
  }

  /** `SetDefaults_PersistentVolumeClaimSpec`: volume mode Filesystem. */
  private prepare(draft: KubeObject): PersistentVolumeClaimSpec {
    const spec = ownSpec<PersistentVolumeClaimSpec>(draft);
    assertQuantities('PersistentVolumeClaim', spec.resources?.requests);
    assertQuantities('PersistentVolumeClaim', spec.resources?.limits);
    spec.volumeMode ??= 'Filesystem';
    return spec;
  }
}

/** Equal as JSON values (key order aside; an absent field and null alike). */
function sameValue(a: unknown, b: unknown): boolean {
  const plain = (v: unknown) => (v === undefined ? null : JSON.parse(JSON.stringify(v)));
  return deepEqual(plain(a), plain(b));
}

function sameFields(a: PersistentVolumeClaimSpec, b: PersistentVolumeClaimSpec): boolean {
  return CLAIM_SPEC_FIELDS.every(([key]) => sameValue(a[key], b[key]));
}

/** `ValidatePersistentVolumeClaimSpec`, also for a StatefulSet's claim templates. */
export function validateClaimSpec(spec: PersistentVolumeClaimSpec, field: string, errors: FieldErrors): void {
  validateAccessModes(spec.accessModes, `${field}.accessModes`, errors, 'at least 1 access mode is required');
  if (isObject(spec.selector)) validateLabelSelector(spec.selector, `${field}.selector`, errors);
  const storage = spec.resources?.requests?.storage;
  if (storage === undefined || storage === null) errors.required(`${field}.resources[storage]`);
  else validatePositiveQuantity(String(storage), `${field}.resources[storage]`, errors);
  validateClassName(spec.storageClassName, `${field}.storageClassName`, errors);
  validateVolumeMode(spec.volumeMode, `${field}.volumeMode`, errors);
}

/**
 * The DefaultStorageClass admission plugin: a claim that names no class
 * (`storageClassName` absent; `""` asks for none) gets the default one, the
 * newest if several are marked.
 */
function admitDefaultStorageClass(spec: PersistentVolumeClaimSpec, ctx: WriteContext): void {
  if (spec.storageClassName !== undefined && spec.storageClassName !== null) return;
  const name = defaultStorageClassName(ctx.store.list(storageClasses).items);
  if (name) spec.storageClassName = name;
}

/** The default class among `classes` (newest first, then by name), as `GetDefaultClass` picks it. */
export function defaultStorageClassName(classes: readonly KubeObject[]): string | undefined {
  const defaults = classes.filter((c) => isDefaultClass(c.metadata.annotations));
  defaults.sort((a, b) =>
    a.metadata.creationTimestamp === b.metadata.creationTimestamp
      ? a.metadata.name.localeCompare(b.metadata.name)
      : a.metadata.creationTimestamp < b.metadata.creationTimestamp
        ? 1
        : -1,
  );
  return defaults[0]?.metadata.name;
}

// ---- StorageClass -----------------------------------------------------------------

interface StorageClassFields {
  provisioner?: string;
  parameters?: Record<string, string>;
  reclaimPolicy?: string;
  volumeBindingMode?: string;
  allowVolumeExpansion?: boolean;
}

const SC_KIND = 'StorageClass';

export class StorageClassStrategy implements ResourceStrategy {
  prepareCreate(draft: KubeObject): void {
    const errors = this.validate(this.prepare(draft));
    throwIfInvalid(SC_KIND, draft.metadata.name, errors, 'StorageClass.storage.k8s.io');
  }

  prepareUpdate(draft: KubeObject, previous: KubeObject): void {
    const sc = this.prepare(draft);
    const old = previous as StorageClassFields;
    const errors = this.validate(sc);
    if (JSON.stringify(sc.parameters ?? {}) !== JSON.stringify(old.parameters ?? {})) errors.forbidden('parameters', 'updates to parameters are forbidden.');
    if (sc.provisioner !== old.provisioner) errors.forbidden('provisioner', 'updates to provisioner are forbidden.');
    if (sc.reclaimPolicy !== old.reclaimPolicy) errors.forbidden('reclaimPolicy', 'updates to reclaimPolicy are forbidden.');
    if (sc.volumeBindingMode !== old.volumeBindingMode) errors.invalid('volumeBindingMode', sc.volumeBindingMode, 'field is immutable');
    throwIfInvalid(SC_KIND, draft.metadata.name, errors, 'StorageClass.storage.k8s.io');
  }

  /** `SetDefaults_StorageClass`: reclaim policy Delete, binding mode Immediate. */
  private prepare(draft: KubeObject): StorageClassFields {
    const sc = draft as KubeObject & StorageClassFields;
    sc.reclaimPolicy ||= 'Delete';
    sc.volumeBindingMode ||= 'Immediate';
    return sc;
  }

  private validate(sc: StorageClassFields): FieldErrors {
    const errors = new FieldErrors();
    const provisioner = typeof sc.provisioner === 'string' ? sc.provisioner : '';
    if (provisioner === '') errors.required('provisioner');
    else for (const e of qualifiedNameErrors(provisioner.toLowerCase())) errors.invalid('provisioner', provisioner, e);
    if (!CLASS_RECLAIM_POLICIES.includes(String(sc.reclaimPolicy))) errors.notSupported('reclaimPolicy', sc.reclaimPolicy, CLASS_RECLAIM_POLICIES);
    if (!BINDING_MODES.includes(String(sc.volumeBindingMode))) errors.notSupported('volumeBindingMode', sc.volumeBindingMode, BINDING_MODES);
    return errors;
  }
}
