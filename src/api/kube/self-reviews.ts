import type { IncomingMessage } from 'node:http';
import { DomainError } from '../../common/domain-error';
import { requestUser } from '../authentication';

/**
 * The create-only "self" reviews kubectl asks about the caller:
 * `SelfSubjectAccessReview` (`kubectl auth can-i`), `SelfSubjectRulesReview`
 * (`kubectl auth can-i --list`) and `SelfSubjectReview` (`kubectl auth
 * whoami`). Nothing is stored: each POST is answered from its body, as the
 * API server does. kube-netsim has no authorization, so every access review
 * is allowed and the rules review grants `*` (see docs/cluster.md).
 */
export interface SelfReviewResource {
  group: string;
  version: string;
  plural: string;
  singular: string;
  kind: string;
}

export const SELF_REVIEW_RESOURCES: readonly SelfReviewResource[] = [
  { group: 'authentication.k8s.io', version: 'v1', plural: 'selfsubjectreviews', singular: 'selfsubjectreview', kind: 'SelfSubjectReview' },
  { group: 'authorization.k8s.io', version: 'v1', plural: 'selfsubjectaccessreviews', singular: 'selfsubjectaccessreview', kind: 'SelfSubjectAccessReview' },
  { group: 'authorization.k8s.io', version: 'v1', plural: 'selfsubjectrulesreviews', singular: 'selfsubjectrulesreview', kind: 'SelfSubjectRulesReview' },
];

/** The reason given with every allowed access review. */
export const ALLOWED_REASON = 'kube-netsim has no authorization: every request is allowed';

export function selfReviewResource(group: string, version: string, plural: string): SelfReviewResource | undefined {
  return SELF_REVIEW_RESOURCES.find((r) => r.group === group && r.version === version && r.plural === plural);
}

/** Discovery entries for a group-version's self reviews (create only, cluster scoped). */
export function selfReviewDiscovery(group: string, version: string) {
  return SELF_REVIEW_RESOURCES.filter((r) => r.group === group && r.version === version).map((r) => ({
    name: r.plural,
    singularName: r.singular,
    namespaced: false,
    kind: r.kind,
    verbs: ['create'],
  }));
}

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function invalid(kind: string, group: string, field: string, message: string, reason = 'FieldValueInvalid'): DomainError {
  return new DomainError('INVALID', `${kind}.${group} "" is invalid: ${field}: ${message}`, {
    kind,
    name: '',
    causes: [{ field, reason, message }],
  });
}

/** The reviewed object back with its `status` filled in, or a 4xx for a malformed body. */
export function answerSelfReview(resource: SelfReviewResource, body: unknown, raw: IncomingMessage): Json {
  const { kind, group, version } = resource;
  if (!isObject(body)) throw new DomainError('BAD_REQUEST', `the body of a ${kind} must be a JSON object`);
  if (body.kind !== undefined && body.kind !== kind) {
    throw new DomainError('BAD_REQUEST', `the kind of the body (${JSON.stringify(body.kind)}) does not match the resource: expected ${kind}`);
  }
  const spec = body.spec === undefined ? {} : body.spec;
  if (!isObject(spec)) throw invalid(kind, group, 'spec', 'Invalid value: must be an object');
  const metadata = isObject(body.metadata) ? body.metadata : {};
  const base = { kind, apiVersion: `${group}/${version}`, metadata: { ...metadata, creationTimestamp: null } };
  switch (kind) {
    case 'SelfSubjectAccessReview': {
      const resourceAttrs = spec.resourceAttributes;
      const nonResourceAttrs = spec.nonResourceAttributes;
      if (resourceAttrs != null && nonResourceAttrs != null) {
        throw invalid(kind, group, 'spec.nonResourceAttributes', 'Invalid value: cannot be specified in combination with resourceAttributes');
      }
      if (resourceAttrs == null && nonResourceAttrs == null) {
        throw invalid(kind, group, 'spec.resourceAttributes', 'Invalid value: exactly one of nonResourceAttributes or resourceAttributes must be specified');
      }
      return { ...base, spec, status: { allowed: true, reason: ALLOWED_REASON } };
    }
    case 'SelfSubjectRulesReview': {
      if (typeof spec.namespace !== 'string' || spec.namespace === '') throw new DomainError('BAD_REQUEST', 'no namespace on request');
      return {
        ...base,
        spec,
        status: {
          resourceRules: [{ verbs: ['*'], apiGroups: ['*'], resources: ['*'] }],
          nonResourceRules: [{ verbs: ['*'], nonResourceURLs: ['*'] }],
          incomplete: false,
        },
      };
    }
    default: {
      const user = requestUser(raw);
      const userInfo = user
        ? { username: user.name, uid: user.uid, groups: [...user.groups, 'system:authenticated'] }
        : { username: 'system:anonymous', groups: ['system:unauthenticated'] };
      return { ...base, status: { userInfo } };
    }
  }
}
