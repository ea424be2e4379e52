import { FieldErrors } from '../validation/field-errors';
import { dns1123LabelErrors } from '../validation/names';

/**
 * A pod's `volumes` and its containers' `volumeMounts`, validated as the API
 * server's `ValidateVolumes` and `validateVolumeMounts` do: unique DNS-label
 * names, exactly one source each (the second one named in upstream's order
 * is refused), the fields each source requires, and mounts that name a
 * volume of the pod at a path of their own.
 */

/** Volume sources in the order `validateVolumeSource` checks them. */
const SOURCES = [
  'hostPath',
  'emptyDir',
  'gitRepo',
  'gcePersistentDisk',
  'awsElasticBlockStore',
  'secret',
  'nfs',
  'iscsi',
  'glusterfs',
  'flocker',
  'persistentVolumeClaim',
  'rbd',
  'quobyte',
  'cinder',
  'cephfs',
  'downwardAPI',
  'fc',
  'azureFile',
  'vsphereVolume',
  'photonPersistentDisk',
  'portworxVolume',
  'azureDisk',
  'storageos',
  'configMap',
  'scaleIO',
  'projected',
  'csi',
  'ephemeral',
  'image',
];

const MAX_MODE = 0o777;
const HOST_PATH_TYPES = ['', 'BlockDevice', 'CharDevice', 'Directory', 'DirectoryOrCreate', 'File', 'FileOrCreate', 'Socket'];

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A hostPath source, in a pod or a PersistentVolume: a path without `..`, a known type. */
export function validateHostPath(source: Record<string, unknown>, field: string, errors: FieldErrors): void {
  const path = typeof source.path === 'string' ? source.path : '';
  if (path === '') errors.required(`${field}.path`);
  else if (path.split('/').includes('..')) errors.invalid(`${field}.path`, path, "must not contain '..'");
  const type = source.type ?? '';
  if (!HOST_PATH_TYPES.includes(String(type))) errors.notSupported(`${field}.type`, type, HOST_PATH_TYPES);
}

function validateMode(mode: unknown, field: string, errors: FieldErrors): void {
  if (mode === undefined || mode === null) return;
  if (typeof mode !== 'number' || !Number.isInteger(mode) || mode < 0 || mode > MAX_MODE) {
    errors.invalid(field, mode, 'must be a number between 0 and 0777 (octal), both inclusive');
  }
}

function validateItems(items: unknown, field: string, errors: FieldErrors): void {
  if (!Array.isArray(items)) return;
  items.forEach((item, i) => {
    const at = `${field}.items[${i}]`;
    const it = isObject(item) ? item : {};
    if (!it.key) errors.required(`${at}.key`);
    const path = typeof it.path === 'string' ? it.path : '';
    if (path === '') errors.required(`${at}.path`);
    else if (path.startsWith('/')) errors.invalid(`${at}.path`, path, 'must be a relative path');
    else if (path.split('/').includes('..')) errors.invalid(`${at}.path`, path, "must not contain '..'");
    validateMode(it.mode, `${at}.mode`, errors);
  });
}

function validateSource(key: string, source: Json, field: string, errors: FieldErrors): void {
  switch (key) {
    case 'hostPath':
      validateHostPath(source, field, errors);
      break;
    case 'secret':
      if (!source.secretName) errors.required(`${field}.secretName`);
      validateMode(source.defaultMode, `${field}.defaultMode`, errors);
      validateItems(source.items, field, errors);
      break;
    case 'configMap':
      if (!source.name) errors.required(`${field}.name`);
      validateMode(source.defaultMode, `${field}.defaultMode`, errors);
      validateItems(source.items, field, errors);
      break;
    case 'persistentVolumeClaim':
      if (!source.claimName) errors.required(`${field}.claimName`);
      break;
    case 'projected':
      validateMode(source.defaultMode, `${field}.defaultMode`, errors);
      (Array.isArray(source.sources) ? source.sources : []).forEach((s: unknown, i: number) => {
        const at = `${field}.sources[${i}]`;
        const one = isObject(s) ? s : {};
        const kinds = ['secret', 'downwardAPI', 'configMap', 'serviceAccountToken', 'clusterTrustBundle'].filter((k) => one[k] !== undefined && one[k] !== null);
        if (kinds.length > 1) errors.forbidden(`${at}.${kinds[1]}`, 'may not specify more than 1 volume type per source');
        for (const k of ['secret', 'configMap']) {
          if (isObject(one[k]) && !one[k].name) errors.required(`${at}.${k}.name`);
          if (isObject(one[k])) validateItems(one[k].items, `${at}.${k}`, errors);
        }
      });
      break;
  }
}

/** `ValidateVolumes`: the names of the volumes that are valid, for the mounts to refer to. */
export function validatePodVolumes(volumes: unknown, field: string, errors: FieldErrors): Set<string> {
  const names = new Set<string>();
  if (!Array.isArray(volumes)) return names;
  volumes.forEach((volume, i) => {
    const at = `${field}[${i}]`;
    const v = isObject(volume) ? volume : {};
    const own = new FieldErrors();
    let count = 0;
    for (const key of SOURCES) {
      if (v[key] === undefined || v[key] === null) continue;
      if (count > 0) {
        own.forbidden(`${at}.${key}`, 'may not specify more than 1 volume type');
        continue;
      }
      count++;
      validateSource(key, isObject(v[key]) ? v[key] : {}, `${at}.${key}`, own);
    }
    if (count === 0) own.required(at, 'must specify a volume type');
    const name = typeof v.name === 'string' ? v.name : '';
    if (name === '') own.required(`${at}.name`);
    else for (const e of dns1123LabelErrors(name)) own.invalid(`${at}.name`, name, e);
    if (names.has(name)) own.duplicate(`${at}.name`, name);
    if (own.empty) names.add(name);
    else errors.list.push(...own.list);
  });
  return names;
}

/** `validateVolumeMounts` for one container: each names a volume of the pod, at a path no other mount uses. */
export function validateVolumeMounts(mounts: unknown, field: string, volumes: ReadonlySet<string>, errors: FieldErrors): void {
  if (!Array.isArray(mounts)) return;
  const paths = new Set<string>();
  mounts.forEach((mount, i) => {
    const at = `${field}[${i}]`;
    const m = isObject(mount) ? mount : {};
    const name = typeof m.name === 'string' ? m.name : '';
    if (name === '') errors.required(`${at}.name`);
    if (!volumes.has(name)) errors.add(`${at}.name`, 'FieldValueNotFound', name, '');
    const path = typeof m.mountPath === 'string' ? m.mountPath : '';
    if (path === '') errors.required(`${at}.mountPath`);
    if (paths.has(path)) errors.invalid(`${at}.mountPath`, path, 'must be unique');
    paths.add(path);
    const subPath = typeof m.subPath === 'string' ? m.subPath : '';
    if (subPath.startsWith('/')) errors.invalid(`${at}.subPath`, subPath, 'must be a relative path');
    else if (subPath.split('/').includes('..')) errors.invalid(`${at}.subPath`, subPath, "must not contain '..'");
  });
}
