import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { configureApp } from './api/configure-app';
import { AppModule } from './app.module';
import { unseededRandom } from './common/random';
import { AppConfig, buildAddressPools, ConfigError, readConfig } from './config/app-config';

/** Reads and validates the configuration; on error prints it and exits with status 1. */
function configOrExit(): AppConfig {
  try {
    const config = readConfig(process.env);
    buildAddressPools(config, unseededRandom()); // validates every range before anything starts
    return config;
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`kube-netsim: invalid configuration: ${e.message}\n`);
      process.exit(1);
    }
    throw e;
  }
}

async function bootstrap(): Promise<void> {
  const config = configOrExit();
  const app = configureApp(await NestFactory.create(AppModule.register({ config }), { bodyParser: false }));
  app.enableShutdownHooks();
  await app.listen(config.port);
  process.stdout.write(`kube-netsim listening on http://localhost:${config.port} (API docs at /docs)\n`);
}

void bootstrap();
