import { INestApplication } from '@nestjs/common';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import websocket from '@fastify/websocket';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { DomainError } from '../common/domain-error';
import { installAuthentication } from './authentication';
import { negotiateStreamProtocol } from './kube/exec-protocol';
import { ExecRoutes } from './kube/exec.routes';
import { registerProtobufBodyParser } from './protobuf/protobuf-body';
import { replaceInvalidUtf8Escapes } from './path-escapes';
import { parseJsonBody } from './request-body';
import { BODY_LIMIT, DUMP_BODY_LIMIT, DUMP_ROUTES, HEADERS_TIMEOUT_MS, MAX_PARAM_LENGTH, REQUEST_TIMEOUT_MS } from './request-limits';
import { answerClientError, KUBERNETES_BODY_TYPES, statusOfFastifyError, unsupportedMediaTypeMessage } from './status/http-errors';
import { statusBody } from './status/kubernetes-status';
import { registerStoreGate } from './store-gate';
import { registerUiRoutes } from './ui/ui.routes';
import { createValidationPipe } from './validation';

/**
 * Kubernetes clients send JSON under several media types (merge, strategic merge and JSON
 * patches). Fastify matches a pattern against the whole header, parameters (`; charset=utf-8`)
 * included; a type given by name is matched without them.
 */
const JSON_TYPES: (string | RegExp)[] = ['application/json', /^application\/[a-z0-9.+-]*\+json\s*(;.*)?$/i];
/** Manifests come as YAML text; text bodies are kept as strings (which paths take which is the handlers' call). */
const TEXT_TYPES: (string | RegExp)[] = ['application/yaml', 'application/x-yaml', 'text/yaml', /^application\/[a-z0-9.+-]*\+yaml\s*(;.*)?$/i, 'text/plain'];
/** Binary types the Kubernetes paths answer themselves (415 for CBOR, which is not decoded). */
const BINARY_TYPES: string[] = ['application/cbor'];

export interface HttpEdgeOptions {
  /** Time allowed to receive a whole request (default 60 s); tests shorten it. */
  requestTimeoutMs?: number;
  /** A PEM certificate and key: serve HTTPS (docs/security.md). */
  tls?: { cert: string; key: string };
}

/**
 * The HTTP server under Nest: Fastify, which costs a fifth of what Express
 * costs per request here (see docs/toolchain.md). Paths match with or
 * without a trailing slash, as they did under Express. With `options.tls`
 * (a PEM certificate and key), HTTPS: see docs/security.md.
 */
export function createHttpAdapter(options: HttpEdgeOptions = {}): FastifyAdapter {
  const { tls } = options;
  const requestTimeout = options.requestTimeoutMs ?? REQUEST_TIMEOUT_MS;
  const adapter: FastifyAdapter = new FastifyAdapter({
    bodyLimit: BODY_LIMIT,
    // The whole request, headers and body, must arrive in time; a watch's long answer is not
    // covered (the timeout stops once the request is in), and no idle-socket timeout is set.
    requestTimeout,
    http: { headersTimeout: Math.min(HEADERS_TIMEOUT_MS, requestTimeout), connectionsCheckingInterval: Math.min(1000, requestTimeout) },
    clientErrorHandler: answerClientError,
    // The router's own refusals (bad percent-encoding, a path parameter over the limit) come before
    // any route, hook or Nest filter: they are answered here, with Nest's security headers when
    // `app.useSecurityHeaders()` registered them (as Nest's own handler of these does).
    frameworkErrors: (error: Error, request: FastifyRequest, reply: FastifyReply) => {
      try {
        (adapter as unknown as { securityHook?: (req: FastifyRequest, res: FastifyReply['raw']) => unknown }).securityHook?.(request, reply.raw);
      } catch {
        // The request is refused either way.
      }
      // A framework error with no Status of its own is still the request's fault.
      const status = statusOfFastifyError(error, BODY_LIMIT) ?? statusBody(400, 'BadRequest', error.message);
      void reply.code(status.code).type('application/json').send(JSON.stringify(status));
    },
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: MAX_PARAM_LENGTH },
    // Escapes of bytes that are not UTF-8 reach the routes as Go's URL parser lets them through (path-escapes.ts).
    rewriteUrl: (req: { url?: string }) => replaceInvalidUtf8Escapes(req.url ?? '/'),
    ...(tls ? { https: tls } : {}),
  });
  return adapter;
}

/**
 * Body parsing: JSON (every `+json` type, and a body without a Content-Type,
 * as the API server reads it) parsed, YAML and plain text kept as text,
 * CBOR read and left out, so that the handler answers it as Kubernetes does
 * (415), anything else 415 at once. Protobuf has its own parser
 * (registerProtobufBodyParser).
 */
function registerBodyParsers(fastify: FastifyInstance): void {
  fastify.removeAllContentTypeParsers();
  const json = (_req: unknown, body: string | Buffer, done: (err: Error | null, body?: unknown) => void) => {
    try {
      done(null, parseJsonBody(body));
    } catch (e) {
      done(e as Error, undefined);
    }
  };
  for (const type of JSON_TYPES) fastify.addContentTypeParser(type, { parseAs: 'string' }, json);
  for (const type of TEXT_TYPES) fastify.addContentTypeParser(type, { parseAs: 'string' }, (_req, body, done) => done(null, body));
  for (const type of BINARY_TYPES) fastify.addContentTypeParser(type, { parseAs: 'buffer' }, (_req, _body, done) => done(null, undefined));
  // A body without a Content-Type is read as JSON, as the API server reads it; any other type is 415.
  fastify.addContentTypeParser('*', { parseAs: 'string' }, (req, body, done) => {
    if (req.headers['content-type'] === undefined) json(req, body, done);
    else done(new DomainError('UNSUPPORTED_MEDIA_TYPE', unsupportedMediaTypeMessage(KUBERNETES_BODY_TYPES)), undefined);
  });
}

/** kube-netsim's dump endpoints take bodies up to `DUMP_BODY_LIMIT`; every other route `BODY_LIMIT`. */
function registerRouteLimits(fastify: FastifyInstance): void {
  fastify.addHook('onRoute', (route) => {
    if (DUMP_ROUTES.has(route.url.replace(/\/$/, ''))) route.bodyLimit = DUMP_BODY_LIMIT;
  });
}

/**
 * pods/exec, pods/attach, pods/log and pods/portforward (ExecRoutes), in a plugin of their own
 * with @fastify/websocket loaded in it first, so that the routes see its upgrade handling
 * whenever the plugin queue loads. Registering the WebSocket plugin from Nest's init instead
 * (after Nest's routes and error handler) left the body parsers' errors with Fastify's default
 * handler, not the Status filter.
 */
function registerExecRoutes(app: INestApplication, fastify: FastifyInstance): void {
  const routes = app.get(ExecRoutes);
  void fastify.register(async (instance) => {
    // One message is at most a request body's size (ws closes the stream with 1009 past it).
    await instance.register(websocket, { options: { maxPayload: BODY_LIMIT, handleProtocols: (offered: Set<string>) => negotiateStreamProtocol(offered) } });
    routes.addRoutes(instance);
  });
}

/**
 * Everything an app needs beyond its modules, shared by `main.ts`, the e2e
 * tests and the benchmarks so that they all exercise the production
 * pipeline: body parsers, the global validation pipe and the OpenAPI
 * document at `/docs` (UI) and `/docs-json`. The `Status` exception filter
 * is registered in `AppModule` (APP_FILTER), so it also covers errors raised
 * before a route is found. Call before `init()` or `listen()`.
 */
export function configureApp(app: INestApplication): INestApplication {
  installAuthentication(app); // first: no unauthenticated request reaches routing or body parsing
  const fastify = (app as NestFastifyApplication).getHttpAdapter().getInstance();
  registerBodyParsers(fastify);
  registerProtobufBodyParser(fastify);
  registerRouteLimits(fastify);
  registerExecRoutes(app, fastify);
  registerStoreGate(app, fastify);
  registerUiRoutes(fastify); // the browser UI at / (docs/ui.md)
  app.useGlobalPipes(createValidationPipe());
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('kube-netsim')
      .setDescription(
        'A Kubernetes networking emulator: Services, kube-proxy iptables rules, netfilter traversal and the pod overlay.',
      )
      .setVersion('0.1.0')
      .build(),
  );
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs-json' });
  return app;
}
