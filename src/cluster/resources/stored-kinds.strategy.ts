import { DomainError } from '../../common/domain-error';
import { setOwn } from '../../common/own-keys';
import { ResourceStrategy } from '../store/object-store';
import { KubeObject } from '../store/types';
import { base64ErrorOffset, illegalBase64Message } from '../validation/base64';
import { FieldErrors } from '../validation/field-errors';

/**
 * The API server's own rules for the kinds kube-netsim stores without a
 * controller: Secrets (type defaulting, base64 `data`, `stringData` folded
 * in, required keys per type, immutability), ConfigMaps (keys, binaryData),
 * and the status a new object starts with.
 */

const CONFIG_KEY = /^[-._a-zA-Z0-9]+$/;
const MAX_SECRET_BYTES = 1024 * 1024;

/** apimachinery's `IsConfigMapKey`. */
export function configKeyErrors(key: string): string[] {
  const errors: string[] = [];
  if (key.length > 253) errors.push('must be no more than 253 characters');
  if (!CONFIG_KEY.test(key)) {
    errors.push(
      "a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')",
    );
  }
  if (key === '.') errors.push("must not be '.'");
  else if (key === '..') errors.push("must not be '..'");
  else if (key.startsWith('..')) errors.push("must not start with '..'");
  return errors;
}

function record(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

/** A `[]byte` map must decode as base64, else the decoder refuses the whole body (400). */
function assertBase64Map(kind: string, draft: KubeObject, field: 'data' | 'binaryData'): void {
  for (const value of Object.values(record(draft[field]))) {
    if (value === null) continue;
    const offset = typeof value === 'string' ? base64ErrorOffset(value) : 0;
    if (offset !== undefined) {
      throw new DomainError('BAD_REQUEST', `${kind} in version "v1" cannot be handled as a ${kind}: ${illegalBase64Message(offset)}`, {
        kind,
        name: draft.metadata.name,
        field,
      });
    }
  }
}

function checkKeys(map: Record<string, unknown>, field: string, errors: FieldErrors): void {
  for (const key of Object.keys(map)) {
    for (const e of configKeyErrors(key)) errors.invalid(`${field}[${key}]`, key, e);
  }
}

const REQUIRED_KEYS: Record<string, string[]> = {
  'kubernetes.io/tls': ['tls.crt', 'tls.key'],
  'kubernetes.io/dockerconfigjson': ['.dockerconfigjson'],
  'kubernetes.io/dockercfg': ['.dockercfg'],
  'kubernetes.io/ssh-auth': ['ssh-privatekey'],
};

function immutableErrors(draft: KubeObject, previous: KubeObject, errors: FieldErrors, fields: string[]): void {
  if (previous.immutable !== true) return;
  if (draft.immutable !== true) errors.forbidden('immutable', 'field is immutable when `immutable` is set');
  for (const f of fields) {
    if (JSON.stringify(draft[f] ?? {}) !== JSON.stringify(previous[f] ?? {})) errors.forbidden(f, 'field is immutable when `immutable` is set');
  }
}

export class SecretStrategy implements ResourceStrategy {
  prepareCreate(draft: KubeObject): void {
    this.normalize(draft);
    const errors = this.validate(draft);
    errors.throwIfAny('Secret', draft.metadata.name);
  }

  prepareUpdate(draft: KubeObject, previous: KubeObject): void {
    this.normalize(draft);
    const errors = this.validate(draft);
    if (draft.type !== previous.type) errors.invalid('type', draft.type, 'field is immutable');
    immutableErrors(draft, previous, errors, ['data']);
    errors.throwIfAny('Secret', draft.metadata.name);
  }

  /** `type` defaults to Opaque; `stringData` is written into `data` (base64), as the API server's conversion does. */
  private normalize(draft: KubeObject): void {
    if (draft.type === undefined || draft.type === '') draft.type = 'Opaque';
    assertBase64Map('Secret', draft, 'data');
    const stringData = record(draft.stringData);
    if (draft.stringData !== undefined) {
      const data = { ...record(draft.data) };
      for (const [k, v] of Object.entries(stringData)) {
        // Keys are data: a key named __proto__ is an own key like any other.
        if (typeof v === 'string') setOwn(data, k, Buffer.from(v, 'utf8').toString('base64'));
      }
      draft.data = data;
      delete draft.stringData;
    }
  }

  private validate(draft: KubeObject): FieldErrors {
    const errors = new FieldErrors();
    const data = record(draft.data);
    checkKeys(data, 'data', errors);
    let size = 0;
    for (const v of Object.values(data)) if (typeof v === 'string') size += Buffer.from(v, 'base64').length;
    if (size > MAX_SECRET_BYTES) errors.add('data', 'FieldValueTooLong', undefined, `must have at most ${MAX_SECRET_BYTES} bytes`);
    for (const key of REQUIRED_KEYS[String(draft.type)] ?? []) {
      if (!(key in data)) errors.required(`data[${key}]`);
    }
    return errors;
  }
}

export class ConfigMapStrategy implements ResourceStrategy {
  prepareCreate(draft: KubeObject): void {
    this.validate(draft).throwIfAny('ConfigMap', draft.metadata.name);
  }

  prepareUpdate(draft: KubeObject, previous: KubeObject): void {
    const errors = this.validate(draft);
    immutableErrors(draft, previous, errors, ['data', 'binaryData']);
    errors.throwIfAny('ConfigMap', draft.metadata.name);
  }

  private validate(draft: KubeObject): FieldErrors {
    assertBase64Map('ConfigMap', draft, 'binaryData');
    const errors = new FieldErrors();
    const data = record(draft.data);
    const binary = record(draft.binaryData);
    checkKeys(data, 'data', errors);
    checkKeys(binary, 'binaryData', errors);
    for (const key of Object.keys(binary)) {
      if (key in data) errors.invalid('data', key, 'duplicate of key present in binaryData');
    }
    return errors;
  }
}

/**
 * A kind whose status only its controller writes: a new object starts with
 * the status the API server gives it (what a client sent there is dropped).
 */
export class InitialStatusStrategy implements ResourceStrategy {
  constructor(private readonly initial: () => Record<string, unknown>) {}

  prepareCreate(draft: KubeObject): void {
    draft.status = this.initial();
  }
}

/** The status each stored kind starts with, as its registry strategy's `PrepareForCreate` leaves it. */
export const INITIAL_STATUS: Record<string, () => Record<string, unknown>> = {
  Job: () => ({}),
  HorizontalPodAutoscaler: () => ({ currentReplicas: 0, desiredReplicas: 0 }),
  PodDisruptionBudget: () => ({ currentHealthy: 0, desiredHealthy: 0, disruptionsAllowed: 0, expectedPods: 0 }),
  Ingress: () => ({ loadBalancer: {} }),
  ResourceQuota: () => ({}),
};
