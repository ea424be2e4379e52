import { DomainError, DomainErrorCode } from '../../common/domain-error';
import { outcomeOf, statusOfDomainError } from './kubernetes-status';

describe('Kubernetes Status mapping', () => {
  it.each<[DomainErrorCode, number, string]>([
    ['INVALID', 422, 'Invalid'],
    ['IP_ALREADY_ALLOCATED', 422, 'Invalid'],
    ['IP_NOT_IN_RANGE', 422, 'Invalid'],
    ['RANGE_FULL', 422, 'Invalid'],
    ['RULE_PARSE_ERROR', 422, 'Invalid'],
    ['BAD_REQUEST', 400, 'BadRequest'],
    ['NOT_FOUND', 404, 'NotFound'],
    ['ALREADY_EXISTS', 409, 'AlreadyExists'],
    ['CONFLICT', 409, 'Conflict'],
    ['EXPIRED', 410, 'Expired'],
  ])('%s becomes %d %s', (code, http, reason) => {
    expect(outcomeOf(code)).toEqual({ code: http, reason });
  });

  it('builds the API server body, with the field as the first cause', () => {
    const error = new DomainError(
      'IP_ALREADY_ALLOCATED',
      'Service "dns" is invalid: spec.clusterIPs: Invalid value: ["10.96.0.10"]: failed to allocate IP 10.96.0.10: provided IP is already allocated',
      { field: 'spec.clusterIPs', kind: 'Service', name: 'dns' },
    );
    expect(statusOfDomainError(error)).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: error.message,
      reason: 'Invalid',
      details: {
        name: 'dns',
        kind: 'Service',
        causes: [{ field: 'spec.clusterIPs', reason: 'FieldValueInvalid', message: error.message }],
      },
      code: 422,
    });
  });

  it('leaves details out when there is nothing to say', () => {
    expect(statusOfDomainError(new DomainError('NOT_FOUND', 'not here'))).not.toHaveProperty('details');
  });

  it('answers empty details when asked to, as go-restful\'s 404 under a served group-version does', () => {
    expect(statusOfDomainError(new DomainError('NOT_FOUND', 'not here', { emptyDetails: true })).details).toEqual({});
    expect(statusOfDomainError(new DomainError('NOT_FOUND', 'x', { emptyDetails: true, name: 'n' })).details).toEqual({ name: 'n' });
  });
});
