import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { isDomainError } from '../../common/domain-error';
import { KubernetesStatus, reasonOfHttpStatus, statusBody, statusOfDomainError } from './kubernetes-status';

/**
 * Turns every error that leaves a request into a Kubernetes `Status` object:
 * domain errors by their code, HTTP errors raised by Nest or Fastify (unknown
 * route, body too large) by their status, and anything
 * else, which can only be a bug of ours, into `500 InternalError`.
 */
@Catch()
export class StatusExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('kube-netsim');

  catch(exception: unknown, host: ArgumentsHost): void {
    const response = host.switchToHttp().getResponse<FastifyReply>();
    const body = this.toStatus(exception);
    if (response.sent || response.raw.headersSent) {
      response.raw.end();
      return;
    }
    response.code(body.code).type('application/json').send(JSON.stringify(body));
  }

  private toStatus(exception: unknown): KubernetesStatus {
    if (isDomainError(exception)) return statusOfDomainError(exception);
    if (exception instanceof HttpException) {
      const code = exception.getStatus();
      return statusBody(code, reasonOfHttpStatus(code), httpMessage(exception));
    }
    const serverStatus = serverErrorStatus(exception);
    if (serverStatus !== undefined) {
      const message = exception instanceof Error ? exception.message : 'malformed request body';
      return statusBody(serverStatus, reasonOfHttpStatus(serverStatus), message);
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

/** Fastify raises errors with a `FST_` code and a 4xx `statusCode` for what the client sent (413 for a body too large). */
function serverErrorStatus(exception: unknown): number | undefined {
  if (typeof exception !== 'object' || exception === null) return undefined;
  const { statusCode, code } = exception as { statusCode?: unknown; code?: unknown };
  if (typeof statusCode === 'number' && statusCode >= 400 && statusCode < 500 && typeof code === 'string' && code.startsWith('FST_')) return statusCode;
  return undefined;
}

function errorText(exception: unknown): string {
  return exception instanceof Error ? exception.message : String(exception);
}
