import { ValidationError, ValidationPipe } from '@nestjs/common';
import { DomainError, ErrorCause } from '../common/domain-error';

/** class-validator constraint names and the Kubernetes `CauseType` each becomes. */
function causeTypeOf(constraint: string): string {
  switch (constraint) {
    case 'whitelistValidation':
      return 'FieldValueForbidden';
    case 'isDefined':
    case 'isNotEmpty':
      return 'FieldValueRequired';
    case 'isIn':
    case 'isEnum':
      return 'FieldValueNotSupported';
    default:
      return 'FieldValueInvalid';
  }
}

function childPath(parent: string, property: string): string {
  if (/^[0-9]+$/.test(property)) return `${parent}[${property}]`;
  return parent ? `${parent}.${property}` : property;
}

/** Flattens class-validator's tree of errors into Kubernetes causes with field paths. */
export function causesOf(errors: ValidationError[], parent = ''): ErrorCause[] {
  const causes: ErrorCause[] = [];
  for (const error of errors) {
    const field = childPath(parent, error.property);
    for (const [constraint, text] of Object.entries(error.constraints ?? {})) {
      const message =
        constraint === 'whitelistValidation' ? `field ${field} is not allowed` : text.replace(error.property, field);
      causes.push({ field, reason: causeTypeOf(constraint), message });
    }
    if (error.children?.length) causes.push(...causesOf(error.children, field));
  }
  return causes;
}

/** The request-body validation failure, as a 422 `Invalid` domain error. */
export function validationFailure(errors: ValidationError[]): DomainError {
  const causes = causesOf(errors);
  const summary = causes.map((c) => `${c.field}: ${c.message}`).join(', ');
  return new DomainError('INVALID', `the request is invalid: ${summary}`, { causes });
}

/** The global pipe: whitelist, refuse unknown properties, transform to DTO classes. */
export function createValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    exceptionFactory: validationFailure,
  });
}
