import { readFileSync } from 'node:fs';
import path from 'node:path';
import { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { configureApp, createHttpAdapter, HttpEdgeOptions } from '../../src/api/configure-app';
import { AppModule, buildCluster } from '../../src/app.module';
import { loadTokenAuthFile } from '../../src/auth/startup-files';
import { loadClusterFile } from '../../src/cluster/apply/cluster-file';
import { SimulationClock } from '../../src/cluster/simulation-clock';
import { SeededRandom } from '../../src/common/random';
import { AppConfig, readConfig } from '../../src/config/app-config';

export interface TestApp {
  app: INestApplication;
  clock: SimulationClock;
  /** The HTTP server (Fastify's), for supertest. */
  http: ReturnType<INestApplication['getHttpServer']>;
  /** The port it listens on, when started with `listen`. */
  port?: number;
  close(): Promise<void>;
}

export interface TestAppOptions {
  /** Settle the controllers in slices of wall time, as `main.ts` does (by default a test app settles before each call returns). */
  settleInSlices?: boolean;
}

/** The demo cluster `npm start` loads. */
export const DEMO = { CLUSTER_FILE: 'fixtures/clusters/demo.yaml' };

/**
 * Starts the real application, configured exactly as `main.ts` configures it,
 * with a manual clock and a seeded random source so runs are repeatable.
 */
export async function startTestApp(env: Record<string, string> = {}, seed = 1, edge: HttpEdgeOptions = {}, options: TestAppOptions = {}): Promise<TestApp> {
  const config: AppConfig = readConfig({ CLUSTER_FILE: 'none', ...env });
  const clock = new SimulationClock();
  const random = new SeededRandom(seed);
  const cluster = buildCluster(config, clock, random);
  if (options.settleInSlices) cluster.settleInSlices();
  if (config.clusterFile !== 'none') loadClusterFile(cluster, config.clusterFile, path.resolve(__dirname, '../..'));
  const moduleRef = await Test.createTestingModule({
    imports: [AppModule.register({ config, clock, random, cluster, authenticator: config.tokenAuthFile ? loadTokenAuthFile(config.tokenAuthFile) : undefined })],
  }).compile();
  const app = configureApp(moduleRef.createNestApplication(createHttpAdapter(edge), { logger: false, bodyParser: false }));
  await app.init();
  await (app as NestFastifyApplication).getHttpAdapter().getInstance().ready();
  return { app, clock, http: app.getHttpServer(), close: () => app.close() };
}

/** Starts the app listening on a free loopback port, for clients that need a real server (kubectl). */
export async function startListeningApp(env: Record<string, string> = {}, seed = 1, edge: HttpEdgeOptions = {}): Promise<TestApp> {
  const t = await startTestApp(env, seed, edge);
  await t.app.listen(0, '127.0.0.1');
  const address = t.app.getHttpServer().address() as { port: number };
  return { ...t, port: address.port };
}

/** An ordinary manifest with a ConfigMap, Secret, ServiceAccount and NetworkPolicy (fixtures/manifests/mixed.yaml). */
export const MIXED_MANIFEST = readFileSync(path.join(__dirname, '..', '..', 'fixtures', 'manifests', 'mixed.yaml'), 'utf8');
