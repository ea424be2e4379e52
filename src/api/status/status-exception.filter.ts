import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import type { Response } from 'express';
import { isDomainError } from '../../common/domain-error';
import { KubernetesStatus, reasonOfHttpStatus, statusBody, statusOfDomainError } from './kubernetes-status';

/**
 * Turns every error that leaves a request into a Kubernetes `Status` object:
 * domain errors by their code, HTTP errors raised by Nest or Express (unknown
 * route, malformed JSON body, body too large) by their status, and anything
 * else, which can only be a bug of ours, into `500 InternalError`.
 */
@Catch()
export class StatusExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('kube-netsim');

  catch(exception: unknown, host: ArgumentsHost): void {
    const response = host.switchToHttp().getResponse<Response>();
    const body = this.toStatus(exception);
    if (response.headersSent) {
      response.end();
      return;
    }
    response.status(body.code).type('application/json').send(JSON.stringify(body));
  }

  private toStatus(exception: unknown): KubernetesStatus {
    if (isDomainError(exception)) return statusOfDomainError(exception);
    if (exception instanceof HttpException) {
      const code = exception.getStatus();
      return statusBody(code, reasonOfHttpStatus(code), httpMessage(exception));
    }
    const bodyParserStatus = bodyParserErrorStatus(exception);
    if (bodyParserStatus !== undefined) {
      const message = exception instanceof Error ? exception.message : 'malformed request body';
      return statusBody(bodyParserStatus, reasonOfHttpStatus(bodyParserStatus), message);
    }
    this.logger.error(exception instanceof Error ? (exception.stack ?? exception.message) : String(exception));
    return statusBody(500, 'InternalError', `Internal error occurred: ${errorText(exception)}`);
  }
}

function httpMessage(exception: HttpException): string {
  const response = exception.getResponse();
  if (typeof response === 'string') return response;
  const message = (response as { message?: unknown }).message;
  if (Array.isArray(message)) return message.join('; ');
  if (typeof message === 'string') return message;
  return exception.message;
}

/** Express' body parsers raise plain errors carrying `status` (400 for bad JSON, 413 for size). */
function bodyParserErrorStatus(exception: unknown): number | undefined {
  if (typeof exception !== 'object' || exception === null) return undefined;
  const { status, type } = exception as { status?: unknown; type?: unknown };
  if (typeof status === 'number' && status >= 400 && status < 500 && typeof type === 'string') return status;
  return undefined;
}

function errorText(exception: unknown): string {
  return exception instanceof Error ? exception.message : String(exception);
}
