/**
 * Errors raised by the framework-free core. Each carries a code; the HTTP shell
 * (src/api/status) maps every code to an HTTP status and a Kubernetes `Status`
 * object with one exhaustive switch. Domain code never throws HTTP exceptions.
 */
export type DomainErrorCode =
  // generic API-server outcomes
  | 'INVALID' // 422 Invalid: a field failed validation
  | 'BAD_REQUEST' // 400 BadRequest: the request as a whole makes no sense
  | 'FORBIDDEN' // 403 Forbidden
  | 'METHOD_NOT_ALLOWED' // 405 MethodNotAllowed
  | 'NOT_ACCEPTABLE' // 406 NotAcceptable: no media type the client accepts
  | 'UNSUPPORTED_MEDIA_TYPE' // 415 UnsupportedMediaType
  | 'NOT_FOUND' // 404 NotFound
  | 'ALREADY_EXISTS' // 409 AlreadyExists
  | 'CONFLICT' // 409 Conflict (stale resourceVersion)
  | 'EXPIRED' // 410 Expired (watch too old)
  | 'REQUEST_ENTITY_TOO_LARGE' // 413 RequestEntityTooLarge
  | 'TIMEOUT' // 504 Timeout (a resourceVersion the store has not reached)
  // address management
  | 'IP_ALREADY_ALLOCATED'
  | 'IP_NOT_IN_RANGE'
  | 'PORT_ALREADY_ALLOCATED'
  | 'PORT_NOT_IN_RANGE'
  | 'RANGE_FULL'
  | 'CIDR_NOT_AVAILABLE'
  | 'NO_IP_AVAILABLE'
  // netfilter
  | 'RULE_PARSE_ERROR'
  | 'CHAIN_NOT_FOUND';

/** One reason a request failed, as in Kubernetes' `StatusCause`. */
export interface ErrorCause {
  /** The field path, e.g. `spec.clusterIPs` or `spec.ports[0].port`. */
  field?: string;
  /** A Kubernetes `CauseType`: `FieldValueInvalid`, `FieldValueDuplicate`, ... */
  reason?: string;
  message: string;
}

export interface DomainErrorOptions {
  /** Field the error is about; becomes the first cause's `field`. */
  field?: string;
  /** Kubernetes cause type for that field (default `FieldValueInvalid`). */
  causeReason?: string;
  /** Further causes, when one request failed for several reasons. */
  causes?: ErrorCause[];
  /** Object kind and name, for `details.kind` / `details.name`. */
  kind?: string;
  name?: string;
  /** For `details.retryAfterSeconds`: when the client may try again. */
  retryAfterSeconds?: number;
  /** Answer `details: {}` even when there is nothing to put in it, as the API server's 404 for a path under a served group-version does. */
  emptyDetails?: boolean;
}

export class DomainError extends Error {
  readonly code: DomainErrorCode;
  readonly causes: ErrorCause[];
  readonly kind?: string;
  readonly objectName?: string;
  readonly retryAfterSeconds?: number;
  readonly emptyDetails: boolean;

  constructor(code: DomainErrorCode, message: string, options: DomainErrorOptions = {}) {
    super(message);
    this.name = 'DomainError';
    this.code = code;
    this.kind = options.kind;
    this.objectName = options.name;
    this.retryAfterSeconds = options.retryAfterSeconds;
    this.emptyDetails = options.emptyDetails ?? false;
    const causes = [...(options.causes ?? [])];
    if (options.field !== undefined) {
      causes.unshift({
        field: options.field,
        reason: options.causeReason ?? 'FieldValueInvalid',
        message,
      });
    }
    this.causes = causes;
  }

  /** The same error, reported against a (new) field path. */
  withField(field: string, message = this.message): DomainError {
    return new DomainError(this.code, message, {
      field,
      kind: this.kind,
      name: this.objectName,
    });
  }
}

export function isDomainError(e: unknown): e is DomainError {
  return e instanceof DomainError;
}
