import { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { configureApp } from '../../src/api/configure-app';
import { AppModule } from '../../src/app.module';
import { ManualClock } from '../../src/common/clock';
import { SeededRandom } from '../../src/common/random';
import { AppConfig, readConfig } from '../../src/config/app-config';

export interface TestApp {
  app: INestApplication;
  clock: ManualClock;
  /** The Express server, for supertest. */
  http: ReturnType<INestApplication['getHttpServer']>;
  close(): Promise<void>;
}

/**
 * Starts the real application, configured exactly as `main.ts` configures it,
 * with a manual clock and a seeded random source so runs are repeatable.
 */
export async function startTestApp(env: Record<string, string> = {}, seed = 1): Promise<TestApp> {
  const config: AppConfig = readConfig(env);
  const clock = new ManualClock();
  const moduleRef = await Test.createTestingModule({
    imports: [AppModule.register({ config, clock, random: new SeededRandom(seed) })],
  }).compile();
  const app = configureApp(moduleRef.createNestApplication({ logger: false, bodyParser: false }));
  await app.init();
  return { app, clock, http: app.getHttpServer(), close: () => app.close() };
}
