import { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { createValidationPipe } from './validation';

/**
 * Everything an app needs beyond its modules, shared by `main.ts` and the e2e
 * tests so that tests exercise the production pipeline: the global validation
 * pipe and the OpenAPI document at `/docs` (UI) and `/docs-json`. The `Status`
 * exception filter is registered in `AppModule` (APP_FILTER), so it also
 * covers errors raised before a route is found.
 */
export function configureApp(app: INestApplication): INestApplication {
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
