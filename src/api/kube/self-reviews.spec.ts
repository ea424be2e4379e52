import type { IncomingMessage } from 'node:http';
import { DomainError } from '../../common/domain-error';
import { ALLOWED_REASON, answerSelfReview, selfReviewDiscovery, selfReviewResource } from './self-reviews';

const raw = {} as IncomingMessage; // no authenticated user: anonymous
const ssar = selfReviewResource('authorization.k8s.io', 'v1', 'selfsubjectaccessreviews')!;
const ssrr = selfReviewResource('authorization.k8s.io', 'v1', 'selfsubjectrulesreviews')!;
const ssr = selfReviewResource('authentication.k8s.io', 'v1', 'selfsubjectreviews')!;

function errorOf(fn: () => unknown): DomainError {
  try {
    fn();
  } catch (e) {
    return e as DomainError;
  }
  throw new Error('expected an error');
}

describe('self reviews', () => {
  it('finds only the three reviews, and lists them create-only per group-version', () => {
    expect(selfReviewResource('authorization.k8s.io', 'v1', 'subjectaccessreviews')).toBeUndefined();
    expect(selfReviewResource('authorization.k8s.io', 'v2', 'selfsubjectaccessreviews')).toBeUndefined();
    expect(selfReviewDiscovery('authentication.k8s.io', 'v1')).toEqual([
      { name: 'selfsubjectreviews', singularName: 'selfsubjectreview', namespaced: false, kind: 'SelfSubjectReview', verbs: ['create'] },
    ]);
    expect(selfReviewDiscovery('apps', 'v1')).toEqual([]);
  });

  it('allows every access review, resource or non-resource, and keeps the spec and metadata', () => {
    const spec = { nonResourceAttributes: { path: '/healthz', verb: 'get' } };
    expect(answerSelfReview(ssar, { metadata: { generateName: 'x-' }, spec }, raw)).toEqual({
      kind: 'SelfSubjectAccessReview',
      apiVersion: 'authorization.k8s.io/v1',
      metadata: { generateName: 'x-', creationTimestamp: null },
      spec,
      status: { allowed: true, reason: ALLOWED_REASON },
    });
  });

  it('refuses an access review with neither or both attributes, naming the field', () => {
    const neither = errorOf(() => answerSelfReview(ssar, { spec: { resourceAttributes: null } }, raw));
    expect(neither.code).toBe('INVALID');
    expect(neither.causes).toEqual([expect.objectContaining({ field: 'spec.resourceAttributes', reason: 'FieldValueInvalid' })]);
    const both = errorOf(() => answerSelfReview(ssar, { spec: { resourceAttributes: {}, nonResourceAttributes: {} } }, raw));
    expect(both.causes[0].field).toBe('spec.nonResourceAttributes');
  });

  it('refuses a body that is not an object, of another kind, or with a spec that is not an object', () => {
    expect(errorOf(() => answerSelfReview(ssar, [], raw)).code).toBe('BAD_REQUEST');
    expect(errorOf(() => answerSelfReview(ssar, { kind: 'Pod', spec: {} }, raw)).code).toBe('BAD_REQUEST');
    expect(errorOf(() => answerSelfReview(ssar, { spec: 'all' }, raw)).causes[0].field).toBe('spec');
  });

  it('grants * in a rules review, which needs a namespace', () => {
    expect(answerSelfReview(ssrr, { spec: { namespace: 'default' } }, raw).status).toEqual({
      resourceRules: [{ verbs: ['*'], apiGroups: ['*'], resources: ['*'] }],
      nonResourceRules: [{ verbs: ['*'], nonResourceURLs: ['*'] }],
      incomplete: false,
    });
    const missing = errorOf(() => answerSelfReview(ssrr, { spec: {} }, raw));
    expect([missing.code, missing.message]).toEqual(['BAD_REQUEST', 'no namespace on request']);
  });

  it('answers whoami with system:anonymous when no token authenticated the request', () => {
    expect(answerSelfReview(ssr, {}, raw).status).toEqual({ userInfo: { username: 'system:anonymous', groups: ['system:unauthenticated'] } });
  });
});
