import { DomainError, DomainErrorCode, ErrorCause } from '../../common/domain-error';

/** Kubernetes' `metav1.Status`, as the API server answers a failed request. */
export interface KubernetesStatus {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: Record<string, never>;
  status: 'Failure';
  message: string;
  reason: string;
  details?: { name?: string; kind?: string; causes?: ErrorCause[]; retryAfterSeconds?: number };
  code: number;
}

export interface HttpOutcome {
  code: number;
  reason: string;
}

/**
 * The one place that decides which HTTP status and `reason` each domain error
 * code becomes. The switch is exhaustive: a new code does not compile until it
 * is mapped here.
 *
 * Where we differ from the API server: Kubernetes answers a dynamic allocation
 * from a full range with `500 InternalError`; we answer `422 Invalid`, because
 * kube-netsim never answers a request with a 500 unless it has a bug.
 */
export function outcomeOf(code: DomainErrorCode): HttpOutcome {
  switch (code) {
    case 'INVALID':
    case 'IP_ALREADY_ALLOCATED':
    case 'IP_NOT_IN_RANGE':
    case 'PORT_ALREADY_ALLOCATED':
    case 'PORT_NOT_IN_RANGE':
    case 'RANGE_FULL':
    case 'CIDR_NOT_AVAILABLE':
    case 'NO_IP_AVAILABLE':
    case 'RULE_PARSE_ERROR':
    case 'CHAIN_NOT_FOUND':
      return { code: 422, reason: 'Invalid' };
    case 'BAD_REQUEST':
      return { code: 400, reason: 'BadRequest' };
    case 'FORBIDDEN':
      return { code: 403, reason: 'Forbidden' };
    case 'NOT_FOUND':
      return { code: 404, reason: 'NotFound' };
    case 'METHOD_NOT_ALLOWED':
      return { code: 405, reason: 'MethodNotAllowed' };
    case 'NOT_ACCEPTABLE':
      return { code: 406, reason: 'NotAcceptable' };
    case 'UNSUPPORTED_MEDIA_TYPE':
      return { code: 415, reason: 'UnsupportedMediaType' };
    case 'ALREADY_EXISTS':
      return { code: 409, reason: 'AlreadyExists' };
    case 'CONFLICT':
      return { code: 409, reason: 'Conflict' };
    case 'EXPIRED':
      return { code: 410, reason: 'Expired' };
    case 'REQUEST_ENTITY_TOO_LARGE':
      return { code: 413, reason: 'RequestEntityTooLarge' };
    case 'TIMEOUT':
      return { code: 504, reason: 'Timeout' };
    default: {
      const unmapped: never = code;
      throw new Error(`unmapped domain error code ${String(unmapped)}`);
    }
  }
}

/** Kubernetes' reason for a plain HTTP status (for errors raised by the HTTP layer itself). */
export function reasonOfHttpStatus(code: number): string {
  switch (code) {
    case 400:
      return 'BadRequest';
    case 401:
      return 'Unauthorized';
    case 403:
      return 'Forbidden';
    case 404:
      return 'NotFound';
    case 405:
      return 'MethodNotAllowed';
    case 406:
      return 'NotAcceptable';
    case 409:
      return 'Conflict';
    case 410:
      return 'Expired';
    case 413:
      return 'RequestEntityTooLarge';
    case 415:
      return 'UnsupportedMediaType';
    case 422:
      return 'Invalid';
    case 429:
      return 'TooManyRequests';
    case 503:
      return 'ServiceUnavailable';
    case 504:
      return 'Timeout';
    default:
      return code >= 500 ? 'InternalError' : 'BadRequest';
  }
}

export function statusBody(
  code: number,
  reason: string,
  message: string,
  details?: KubernetesStatus['details'],
): KubernetesStatus {
  const body: KubernetesStatus = {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message,
    reason,
    code,
  };
  if (details && (details.name || details.kind || details.causes?.length || details.retryAfterSeconds)) {
    body.details = {
      ...(details.name ? { name: details.name } : {}),
      ...(details.kind ? { kind: details.kind } : {}),
      ...(details.causes?.length ? { causes: details.causes } : {}),
      ...(details.retryAfterSeconds ? { retryAfterSeconds: details.retryAfterSeconds } : {}),
    };
  }
  return body;
}

export function statusOfDomainError(error: DomainError): KubernetesStatus {
  const { code, reason } = outcomeOf(error.code);
  const body = statusBody(code, reason, error.message, {
    name: error.objectName,
    kind: error.kind,
    causes: error.causes,
    retryAfterSeconds: error.retryAfterSeconds,
  });
  // go-restful's 404 (NewGenericServerResponse) carries empty details; `kubectl debug` reads details.name from it.
  if (error.emptyDetails && !body.details) body.details = {};
  return body;
}
