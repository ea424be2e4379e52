import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { isDomainError } from '../../common/domain-error';
import { BODY_LIMIT } from '../request-limits';
import { statusOfFastifyError } from './http-errors';
import { KubernetesStatus, reasonOfHttpStatus, statusBody, statusOfDomainError } from './kubernetes-status';

/**
 * Turns every error that leaves a request into a Kubernetes `Status` object:
 * domain errors by their code, HTTP errors raised by Nest or Fastify (unknown
 * route, body too large: `statusOfFastifyError`) by their status, and anything
 * else, which can only be a bug of ours, into `500 InternalError`.
 */
@Catch()
export class StatusExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('kube-netsim');

  catch(exception: unknown, host: ArgumentsHost): void {
    const response = host.switchToHttp().getResponse<FastifyReply>();
    const request = host.switchToHttp().getRequest<FastifyRequest | undefined>();
    const body = this.toStatus(exception, request?.routeOptions?.bodyLimit ?? BODY_LIMIT);
    if (response.sent || response.raw.headersSent) {
      response.raw.end();
      return;
    }
    response.code(body.code).type('application/json').send(JSON.stringify(body));
  }

  private toStatus(exception: unknown, bodyLimit: number): KubernetesStatus {
    if (isDomainError(exception)) return statusOfDomainError(exception);
    // Nest hands Fastify's own errors (body too large, unknown media type) on as HttpExceptions caused by them.
    const fastifyStatus = statusOfFastifyError(exception instanceof HttpException && exception.cause !== undefined ? exception.cause : exception, bodyLimit);
    if (fastifyStatus !== undefined) return fastifyStatus;
    if (exception instanceof HttpException) {
      const code = exception.getStatus();
      return statusBody(code, reasonOfHttpStatus(code), httpMessage(exception));
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

function errorText(exception: unknown): string {
  return exception instanceof Error ? exception.message : String(exception);
}
