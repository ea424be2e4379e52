import { INestApplication } from '@nestjs/common';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import type { FastifyInstance } from 'fastify';
import { DomainError } from '../common/domain-error';
import { installAuthentication } from './authentication';
import { registerProtobufBodyParser } from './protobuf/protobuf-body';
import { createValidationPipe } from './validation';

/** Large enough for a 10,000-Service iptables-save dump or manifest. */
const BODY_LIMIT = 100 * 1024 * 1024;

/**
 * Kubernetes clients send JSON under several media types (merge, strategic merge and JSON
 * patches). Fastify matches a pattern against the whole header, parameters (`; charset=utf-8`)
 * included; a type given by name is matched without them.
 */
const JSON_TYPES: (string | RegExp)[] = ['application/json', /^application\/[a-z0-9.+-]*\+json\s*(;.*)?$/i];
/** Manifests come as YAML text; text bodies are kept as strings. */
const TEXT_TYPES: (string | RegExp)[] = ['application/yaml', 'application/x-yaml', 'text/yaml', /^application\/[a-z0-9.+-]*\+yaml\s*(;.*)?$/i, 'text/plain'];

/**
 * The HTTP server under Nest: Fastify, which costs a fifth of what Express
 * costs per request here (see docs/toolchain.md). Paths match with or
 * without a trailing slash, as they did under Express. With `tls` (a PEM
 * certificate and key), HTTPS: see docs/security.md.
 */
export function createHttpAdapter(tls?: { cert: string; key: string }): FastifyAdapter {
  return new FastifyAdapter({ bodyLimit: BODY_LIMIT, routerOptions: { ignoreTrailingSlash: true }, ...(tls ? { https: tls } : {}) });
}

function parseJsonBody(body: string | Buffer): unknown {
  const text = typeof body === 'string' ? body : body.toString('utf8');
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new DomainError('BAD_REQUEST', (e as Error).message);
  }
}

/**
 * Body parsing: JSON (every `+json` type) parsed, YAML and plain text kept
 * as text, anything else (CBOR, forms) read and left out, so that the
 * handler answers it as Kubernetes does (415). Protobuf has its own parser
 * (registerProtobufBodyParser).
 */
function registerBodyParsers(fastify: FastifyInstance): void {
  fastify.removeAllContentTypeParsers();
  for (const type of JSON_TYPES) {
    fastify.addContentTypeParser(type, { parseAs: 'string', bodyLimit: BODY_LIMIT }, (_req, body, done) => {
      try {
        done(null, parseJsonBody(body));
      } catch (e) {
        done(e as Error, undefined);
      }
    });
  }
  for (const type of TEXT_TYPES) fastify.addContentTypeParser(type, { parseAs: 'string', bodyLimit: BODY_LIMIT }, (_req, body, done) => done(null, body));
  fastify.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: BODY_LIMIT }, (_req, _body, done) => done(null, undefined));
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
