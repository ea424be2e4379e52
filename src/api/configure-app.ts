import { INestApplication } from '@nestjs/common';
import { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';

/** Large enough for a 10,000-Service iptables-save dump or manifest. */
const BODY_LIMIT = '100mb';
import { createValidationPipe } from './validation';

/**
 * Everything an app needs beyond its modules, shared by `main.ts` and the e2e
 * tests so that tests exercise the production pipeline: the global validation
 * pipe and the OpenAPI document at `/docs` (UI) and `/docs-json`. The `Status`
 * exception filter is registered in `AppModule` (APP_FILTER), so it also
 * covers errors raised before a route is found.
 */
export function configureApp(app: INestApplication): INestApplication {
  const express = app as NestExpressApplication;
  // The API server sends neither; an ETag would also cost a hash of every (large) answer.
  express.set('etag', false);
  express.disable('x-powered-by');
  // Kubernetes clients send JSON under several media types (merge, strategic
  // merge and JSON patches), and manifests come as YAML text.
  express.useBodyParser('json', { type: ['application/json', 'application/*+json'], limit: BODY_LIMIT });
  express.useBodyParser('text', { type: ['application/yaml', 'application/x-yaml', 'text/yaml', 'application/*+yaml', 'text/plain'], limit: BODY_LIMIT });
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
