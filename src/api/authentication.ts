import { INestApplication } from '@nestjs/common';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { IncomingMessage } from 'node:http';
import { TokenAuthenticator, TokenUser } from '../auth/token-authenticator';
import { reasonOfHttpStatus, statusBody } from './status/kubernetes-status';
import { AUTHENTICATOR } from './tokens';

/** The API server's answer to a request it cannot authenticate (`apierrors.NewUnauthorized("Unauthorized")`). */
export const UNAUTHORIZED_STATUS = statusBody(401, reasonOfHttpStatus(401), 'Unauthorized');

const USERS = new WeakMap<IncomingMessage, TokenUser>();

/** The user a request's bearer token authenticated, or `undefined` (anonymous, or no tokens configured). */
export function requestUser(raw: IncomingMessage): TokenUser | undefined {
  return USERS.get(raw);
}

/**
 * When tokens are configured (TOKEN_AUTH_FILE), refuses every request without
 * a valid bearer token with 401 and the API server's `Status`, health checks
 * without credentials excepted (see docs/security.md). It runs as Fastify's
 * first `onRequest` hook, before routing and before any byte of the body is
 * read, so an unauthenticated client cannot make the server parse anything.
 * A valid token's header is removed from the request, as upstream does.
 * Without tokens it installs nothing.
 */
export function installAuthentication(app: INestApplication): void {
  const authenticator = app.get<TokenAuthenticator | null>(AUTHENTICATOR, { strict: false });
  if (!authenticator) return;
  const fastify = (app as NestFastifyApplication).getHttpAdapter().getInstance();
  fastify.addHook('onRequest', (request, reply, done) => {
    const url = request.raw.url ?? '/';
    const query = url.indexOf('?');
    const result = authenticator.authenticateRequest(request.headers.authorization, query < 0 ? url : url.slice(0, query));
    if (result.authenticated) {
      if ('user' in result) USERS.set(request.raw, result.user);
      delete request.headers.authorization;
      done();
      return;
    }
    // The connection closes after the answer: an unread body is not drained. A WebSocket
    // upgrade (exec, attach) has left Node's HTTP handling, which would close it: its
    // socket is ended here once the answer is written (refused before the WebSocket
    // plugin's own hooks, which would otherwise end it, ever see the request).
    if (request.headers.upgrade !== undefined) reply.raw.once('finish', () => request.raw.socket?.end());
    void reply.code(401).header('Connection', 'close').type('application/json').send(UNAUTHORIZED_STATUS);
  });
}
