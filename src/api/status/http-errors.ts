import type { Socket } from 'node:net';
import { MAX_PARAM_LENGTH } from '../request-limits';
import { KubernetesStatus, reasonOfHttpStatus, statusBody } from './kubernetes-status';

/** The media types the API server reads a body in (negotiation's list for create and update). */
export const KUBERNETES_BODY_TYPES = ['application/json', 'application/yaml', 'application/vnd.kubernetes.protobuf'];

/** The API server's 415 text, naming what it accepts. */
export function unsupportedMediaTypeMessage(accepted: readonly string[]): string {
  return `the body of the request was in an unknown format - accepted media types include: ${accepted.join(', ')}`;
}

interface FastifyError {
  code: string;
  statusCode?: number;
  message: string;
}

function isFastifyError(error: unknown): error is FastifyError {
  return typeof error === 'object' && error !== null && typeof (error as { code?: unknown }).code === 'string' && (error as { code: string }).code.startsWith('FST_');
}

/**
 * The `Status` for an error Fastify raises about what the client sent (body
 * too large, bad Content-Length, bad URL, unknown media type), or undefined
 * for any other error. `bodyLimit` is the limit of the route the request
 * was for, named in the 413 text as the API server names it.
 */
export function statusOfFastifyError(error: unknown, bodyLimit: number): KubernetesStatus | undefined {
  if (!isFastifyError(error)) return undefined;
  switch (error.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return statusBody(413, 'RequestEntityTooLarge', `Request entity too large: limit is ${bodyLimit}`);
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return statusBody(415, 'UnsupportedMediaType', unsupportedMediaTypeMessage(KUBERNETES_BODY_TYPES));
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return statusBody(400, 'BadRequest', 'the request body does not match its Content-Length');
    case 'FST_ERR_BAD_URL':
      return statusBody(400, 'BadRequest', `the request path is not a valid URL: ${error.message.replace(/ is not a valid url component$/, ' is malformed (bad percent-encoding)')}`);
    case 'FST_ERR_MAX_PARAM_LENGTH':
      return statusBody(414, reasonOfHttpStatus(414), `a path segment is longer than ${MAX_PARAM_LENGTH} characters, the longest name Kubernetes accepts: ${error.message.replace(/ is exceeding the max param length$/, '')}`);
    default: {
      const code = error.statusCode;
      if (typeof code === 'number' && code >= 400 && code < 500) return statusBody(code, reasonOfHttpStatus(code), error.message);
      return undefined;
    }
  }
}

/**
 * The `Status` for an error Node's HTTP parser reports before there is a
 * request (headers too large, a request not received in time, bytes that are
 * not HTTP).
 */
export function statusOfClientError(error: NodeJS.ErrnoException): KubernetesStatus {
  switch (error.code) {
    case 'HPE_HEADER_OVERFLOW':
      return statusBody(431, reasonOfHttpStatus(431), 'the request headers are larger than the limit of 16 KiB');
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return statusBody(408, reasonOfHttpStatus(408), 'the request was not received in time: its headers and body must arrive within the request timeout (60 s by default)');
    case 'HPE_INVALID_CONTENT_LENGTH':
    case 'HPE_UNEXPECTED_CONTENT_LENGTH':
      return statusBody(400, 'BadRequest', 'the request has an invalid Content-Length header');
    default:
      return statusBody(400, 'BadRequest', `the request is not valid HTTP: ${error.message}`);
  }
}

/**
 * Node's `clientError` handler: answers the parser's refusal as a `Status`
 * (when the socket can still be written) and closes the connection.
 */
export function answerClientError(error: NodeJS.ErrnoException, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  if (socket.writable) {
    const status = statusOfClientError(error);
    const body = JSON.stringify(status);
    socket.write(
      `HTTP/1.1 ${status.code} ${httpStatusText(status.code)}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy(error);
}

function httpStatusText(code: number): string {
  switch (code) {
    case 408:
      return 'Request Timeout';
    case 431:
      return 'Request Header Fields Too Large';
    default:
      return 'Bad Request';
  }
}
