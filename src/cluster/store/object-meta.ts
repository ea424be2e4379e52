/**
 * What the API server fills in and checks in an object's metadata when it
 * stores it, whatever the resource: a new object's system fields (`uid`,
 * `generation` 1, `creationTimestamp`, a name from `generateName`), the
 * metadata an update may change, the field errors of names, labels and
 * annotations, no new finalizers on an object being deleted, and a graceful
 * delete's deadline.
 */
import { timestamp } from '../../common/clock';
import { DomainError } from '../../common/domain-error';
import type { Random } from '../../common/random';
import { FieldError, FieldErrors } from '../validation/field-errors';
import { assertDecodable } from '../validation/shapes';
import { nameErrors, validateAnnotations, validateLabels } from '../validation/names';
import { apiVersionOf, ResourceType } from './resource-types';
import { KubeObject, ObjectInput, ObjectMeta } from './types';

/** The latest time a timestamp can hold here (9999-12-31T23:59:59Z): a grace period of 10^15 seconds ends there, not in an invalid date. */
const LATEST_TIMESTAMP_MS = Date.UTC(9999, 11, 31, 23, 59, 59);

const NAME_SUFFIX_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

/** The `deletionTimestamp` of a graceful delete `grace` seconds after `nowMs`. */
export function deletionDeadline(nowMs: number, grace: number): string {
  return timestamp(Math.min(nowMs + grace * 1000, LATEST_TIMESTAMP_MS));
}

/** Five characters as the API server appends them to `generateName`. */
export function nameSuffix(random: Random): string {
  return Array.from({ length: 5 }, () => NAME_SUFFIX_ALPHABET[random.int(NAME_SUFFIX_ALPHABET.length)]).join('');
}

/** A version 4 UUID from `random`. */
function uid(random: Random): string {
  const word = () => (random.int(0x10000) * 0x10000 + random.int(0x10000)).toString(16).padStart(8, '0');
  const hex = word() + word() + word() + word();
  const variant = (8 + (parseInt(hex[16], 16) & 3)).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/**
 * The object a create stores, before its strategy runs: the input with the
 * type's apiVersion and kind, and metadata with the system fields filled in
 * (no `resourceVersion` yet). Input naming another version, kind or
 * namespace than the request is a 400.
 */
export function newDraft(type: ResourceType, input: ObjectInput, namespace: string | undefined, random: Random, now: string): KubeObject {
  const meta = input.metadata ?? {};
  const expectedVersion = apiVersionOf(type);
  if (input.apiVersion !== undefined && input.apiVersion !== expectedVersion) {
    throw new DomainError('BAD_REQUEST', `the API version in the data (${input.apiVersion}) does not match the expected API version (${expectedVersion})`);
  }
  if (input.kind !== undefined && input.kind !== type.kind) {
    throw new DomainError('BAD_REQUEST', `the kind in the data (${input.kind}) does not match the expected kind (${type.kind})`);
  }
  let objectNamespace: string | undefined;
  if (type.namespaced) {
    objectNamespace = namespace ?? meta.namespace ?? 'default';
    if (meta.namespace !== undefined && meta.namespace !== objectNamespace) {
      throw new DomainError('BAD_REQUEST', 'the namespace of the provided object does not match the namespace sent on the request');
    }
  }
  let name = meta.name;
  if ((name === undefined || name === '') && meta.generateName) name = meta.generateName + nameSuffix(random);
  const draft = { ...input } as KubeObject;
  draft.apiVersion = expectedVersion;
  draft.kind = type.kind;
  const metadata: ObjectMeta = {
    name: name ?? '',
    generateName: meta.generateName,
    namespace: objectNamespace,
    uid: uid(random),
    resourceVersion: '',
    generation: 1,
    creationTimestamp: now,
    labels: meta.labels,
    annotations: meta.annotations,
    ownerReferences: meta.ownerReferences,
    finalizers: meta.finalizers,
  };
  dropUndefined(metadata);
  draft.metadata = metadata;
  return draft;
}

/**
 * The object a PUT stores, before its strategy runs: the input's spec and
 * the metadata a user may change (labels, annotations, owner references,
 * finalizers) over the stored object's, whose status it keeps.
 */
export function updateDraft(type: ResourceType, previous: KubeObject, input: ObjectInput): KubeObject {
  const inputMeta = input.metadata ?? {};
  // Stored objects are deeply frozen, so a draft may share their parts: only what changes is new.
  const draft = { ...input, status: previous.status } as KubeObject;
  draft.apiVersion = apiVersionOf(type);
  draft.kind = type.kind;
  draft.metadata = {
    ...previous.metadata,
    labels: inputMeta.labels as Record<string, string> | undefined,
    annotations: inputMeta.annotations as Record<string, string> | undefined,
    ownerReferences: inputMeta.ownerReferences,
    finalizers: inputMeta.finalizers,
  };
  if (draft.status === undefined) delete draft.status;
  dropUndefined(draft.metadata);
  return draft;
}

/**
 * The field errors of the object's metadata; the strategy's own errors join them in one 422 (see `validated`).
 * A body a controller of ours built (`owned`) is typed by construction, as a Go client's is: the decoder's
 * type check is for bodies from users (it would walk every address of a 20,000-pod Endpoints object).
 */
export function metadataErrors(type: ResourceType, draft: KubeObject, owned: boolean): FieldError[] {
  if (!owned) assertDecodable(type.kind, apiVersionOf(type), draft);
  const errors = new FieldErrors();
  const meta = draft.metadata;
  if (!meta.name) {
    errors.required('metadata.name', 'name or generateName is required');
  } else {
    // Services (DNS-1035) and Namespaces (DNS-1123 label) are checked by their strategies.
    for (const e of nameErrors(type.nameRule ?? 'dns1123-subdomain', meta.name)) errors.invalid('metadata.name', meta.name, e);
  }
  validateLabels(meta.labels, 'metadata.labels', errors);
  validateAnnotations(meta.annotations, 'metadata.annotations', errors);
  return errors.list;
}

/** `ValidateNoNewFinalizers`: an object being deleted only loses finalizers. Adds the error to `errors` if `draft` adds one. */
export function checkNoNewFinalizers(previous: KubeObject, draft: KubeObject, errors: FieldError[]): void {
  if (!previous.metadata.deletionTimestamp) return;
  const added = (draft.metadata.finalizers ?? []).filter((f) => !(previous.metadata.finalizers ?? []).includes(f));
  const text = `[]string{${[...new Set(added)].sort().map((f) => JSON.stringify(f)).join(', ')}}`;
  if (added.length) errors.push({ field: 'metadata.finalizers', type: 'FieldValueForbidden', value: undefined, detail: `no new finalizers can be added if the object is being deleted, found new finalizers ${text}` });
}

function dropUndefined(record: object): void {
  for (const [k, v] of Object.entries(record)) if (v === undefined) delete (record as Record<string, unknown>)[k];
}
