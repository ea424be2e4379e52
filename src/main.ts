import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { configureApp, createHttpAdapter } from './api/configure-app';
import { AppModule, buildCluster } from './app.module';
import { loadClusterFile } from './cluster/apply/cluster-file';
import { Cluster } from './cluster/cluster';
import { SimulationClock } from './cluster/simulation-clock';
import { DomainError } from './common/domain-error';
import { unseededRandom } from './common/random';
import { AppConfig, ConfigError, readConfig } from './config/app-config';

function fail(message: string): never {
  process.stderr.write(`kube-netsim: invalid configuration: ${message}\n`);
  process.exit(1);
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
    const clock = new SimulationClock(config.clock === 'running' ? Date.now() : undefined);
    cluster = buildCluster(config, clock, unseededRandom());
    if (config.clock === 'running') clock.startRealTime();
    // The server keeps answering while the controllers work through a large change.
    cluster.controllers.settleInSlices({ sliceMs: 50, mustFinish: () => clock.running });
  } catch (e) {
    if (e instanceof ConfigError) fail(e.message);
    throw e;
  }
  if (config.clusterFile === 'none') return { config, cluster, loaded: 0 };
  try {
    return { config, cluster, loaded: loadClusterFile(cluster, config.clusterFile).length };
  } catch (e) {
    const reason = e instanceof DomainError || (e as NodeJS.ErrnoException).code ? (e as Error).message : undefined;
    if (reason === undefined) throw e;
    fail(`CLUSTER_FILE=${JSON.stringify(config.clusterFile)}: ${reason}`);
  }
}

async function bootstrap(): Promise<void> {
  const { config, cluster, loaded } = startCluster();
  const app = configureApp(await NestFactory.create(AppModule.register({ config, cluster }), createHttpAdapter(), { bodyParser: false }));
  app.enableShutdownHooks();
  // Every address, IPv6 and IPv4 (as Node's own default), or IPv4 only where the host has no IPv6.
  try {
    await app.listen(config.port, '::');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EAFNOSUPPORT' && (e as NodeJS.ErrnoException).code !== 'EADDRNOTAVAIL') throw e;
    await app.listen(config.port, '0.0.0.0');
  }
  const source = config.clusterFile === 'none' ? 'an empty cluster' : `${config.clusterFile} (${loaded} objects)`;
  process.stdout.write(`kube-netsim listening on http://localhost:${config.port} with ${source}; API docs at /docs\n`);
}

void bootstrap();
