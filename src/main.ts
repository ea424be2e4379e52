import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { configureApp, createHttpAdapter } from './api/configure-app';
import { listenOn } from './api/listen';
import { AppModule, buildCluster } from './app.module';
import { CsvParseError } from './auth/csv';
import { TokenAuthenticator, TokenFileError } from './auth/token-authenticator';
import { loadTokenAuthFile } from './auth/token-file';
import { loadClusterFile } from './cluster/apply/cluster-file';
import { Cluster } from './cluster/cluster';
import { SimulationClock } from './cluster/simulation-clock';
import { DomainError } from './common/domain-error';
import { unseededRandom } from './common/random';
import { AppConfig, ConfigError, readConfig } from './config/app-config';
import { renderKubeconfig, writeKubeconfig } from './config/kubeconfig';

function fail(message: string): never {
  process.stderr.write(`kube-netsim: invalid configuration: ${message}\n`);
  process.exit(1);
}

function warn(message: string): void {
  process.stderr.write(`kube-netsim: warning: ${message}\n`);
}

/** A file system error or a file's own error (its message says what is wrong), or undefined for a bug. */
function reasonOf(e: unknown): string | undefined {
  const known = e instanceof DomainError || e instanceof TokenFileError || e instanceof CsvParseError || (e as NodeJS.ErrnoException).code !== undefined;
  return known ? (e as Error).message : undefined;
}

/** Reads TOKEN_AUTH_FILE, when set; a file that cannot be used stops start-up naming the variable. */
function loadTokens(config: AppConfig): TokenAuthenticator | undefined {
  if (config.tokenAuthFile === undefined) return undefined;
  try {
    const authenticator = loadTokenAuthFile(config.tokenAuthFile);
    for (const warning of authenticator.warnings) warn(warning);
    if (authenticator.size === 0) warn(`TOKEN_AUTH_FILE=${JSON.stringify(config.tokenAuthFile)} holds no token: every request but the health checks is refused`);
    return authenticator;
  } catch (e) {
    const reason = reasonOf(e);
    if (reason === undefined) throw e;
    fail(`TOKEN_AUTH_FILE=${JSON.stringify(config.tokenAuthFile)}: ${reason}`);
  }
}

/**
 * Reads and validates the configuration, builds the cluster and loads its
 * manifest file; on any error prints it, naming the variable, and exits 1.
 */
function startCluster(): { config: AppConfig; cluster: Cluster; loaded: number } {
  let config: AppConfig;
  let cluster: Cluster;
  try {
    config = readConfig(process.env);
    const clock = new SimulationClock(config.clock === 'real' ? Date.now() : undefined);
    cluster = buildCluster(config, clock, unseededRandom());
    if (config.clock === 'real') clock.startRealTime();
  } catch (e) {
    if (e instanceof ConfigError) fail(e.message);
    throw e;
  }
  if (config.clusterFile === 'none') return { config, cluster, loaded: 0 };
  try {
    return { config, cluster, loaded: loadClusterFile(cluster, config.clusterFile).length };
  } catch (e) {
    const reason = reasonOf(e);
    if (reason === undefined) throw e;
    fail(`CLUSTER_FILE=${JSON.stringify(config.clusterFile)}: ${reason}`);
  }
}

async function bootstrap(): Promise<void> {
  const { config, cluster, loaded } = startCluster();
  const authenticator = loadTokens(config);
  const app = configureApp(
    await NestFactory.create(AppModule.register({ config, cluster, authenticator }), createHttpAdapter(), { bodyParser: false }),
  );
  app.enableShutdownHooks();
  const listening = await listenOn(app, config.port, config.bindAddress);
  for (const note of listening.notes) process.stderr.write(`kube-netsim: ${note}\n`);
  if (listening.open) {
    warn(
      `BIND_ADDRESS=${config.bindAddress}: the API is open to other hosts on ${listening.addresses.join(', ')}` +
        (authenticator ? ' (plain HTTP: tokens cross the network in clear)' : ', with no authentication (set TOKEN_AUTH_FILE to require tokens)'),
    );
  }
  let kubeconfig = '';
  if (config.dataDir !== 'none') {
    try {
      kubeconfig = `; kubectl --kubeconfig ${writeKubeconfig(config.dataDir, renderKubeconfig(listening.url, authenticator?.firstToken))}`;
    } catch (e) {
      const reason = reasonOf(e);
      if (reason === undefined) throw e;
      await app.close();
      fail(`DATA_DIR=${JSON.stringify(config.dataDir)}: ${reason}`);
    }
  }
  const source = config.clusterFile === 'none' ? 'an empty cluster' : `${config.clusterFile} (${loaded} objects)`;
  const where = listening.open ? listening.addresses.join(', ') : `http://localhost:${listening.port} (${listening.addresses.join(', ')})`;
  const auth = authenticator ? `, bearer tokens required (${authenticator.size})` : '';
  process.stdout.write(`kube-netsim listening on ${where}${auth} with ${source}${kubeconfig}; API docs at /docs\n`);
}

void bootstrap();
