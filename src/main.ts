import 'reflect-metadata';
import { hostname, networkInterfaces } from 'node:os';
import { NestFactory } from '@nestjs/core';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { registerLeaderForwarding } from './api/leader-forwarding';
import { configureApp, createHttpAdapter } from './api/configure-app';
import { isLoopback, isUnspecified, listenOn } from './api/listen';
import { AppModule, buildCluster } from './app.module';
import { CsvParseError } from './auth/csv';
import { TokenAuthenticator, TokenFileError } from './auth/token-authenticator';
import { selfSignedCertificate, ServingCertificate } from './auth/self-signed-certificate';
import { loadTokenAuthFile, readPemFile } from './auth/startup-files';
import { loadClusterFile } from './cluster/apply/cluster-file';
import { openEtcdStore } from './cluster/store/etcd/open-etcd-store';
import { Cluster } from './cluster/cluster';
import { isElectionLease } from './cluster/leader/etcd-lease-lock';
import { Leadership } from './cluster/leader/leadership';
import { SimulationClock } from './cluster/simulation-clock';
import { DomainError } from './common/domain-error';
import { unseededRandom } from './common/random';
import { AppConfig, ConfigError, readConfig } from './config/app-config';
import { renderKubeconfig, writeKubeconfig, writeServingCertificate } from './config/kubeconfig';

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
 * What only the leader runs: the controllers (kubelets and kube-proxies among
 * them) and the simulated clock. A process alone (the memory store) starts
 * them at once; on etcd, the process that wins kube-controller-manager's
 * Lease does, at start-up or when it takes over (docs/etcd.md).
 */
function startLeaderComponents(cluster: Cluster, config: AppConfig): void {
  const repairPending = cluster.repaired === undefined;
  const repaired = cluster.lead();
  if (repairPending) for (const warning of repaired?.warnings ?? []) warn(`repair: ${warning}`);
  if (config.clock === 'running') cluster.clock.startRealTime();
  // The controllers catch up with what the store holds (a cluster read back from etcd: kube-proxies' full syncs), in slices.
  cluster.store.commit();
}

/** How the cluster came to be, for the start-up line. */
interface Started {
  config: AppConfig;
  cluster: Cluster;
  loaded: number;
  restored: number;
  leadership?: Leadership;
}

/**
 * Reads and validates the configuration, builds the cluster and loads its
 * manifest file; on any error prints it, naming the variable, and exits 1.
 */
async function startCluster(): Promise<Started> {
  let config: AppConfig;
  let cluster: Cluster;
  let restored = 0;
  let leadership: Leadership | undefined;
  let follower = false;
  try {
    config = readConfig(process.env);
    const clock = new SimulationClock(config.clock === 'running' ? Date.now() : undefined);
    if (config.store.kind === 'etcd') {
      // kube-controller-manager's election: tried once before the store is read, so that a leader reads its own Lease back.
      const opened = await openEtcdStore(config.store, async (backend) => {
        leadership = new Leadership(backend, {
          clock,
          onStoppedLeading: () => {
            process.stderr.write('kube-netsim: leaderelection lost\n');
            process.exit(1);
          },
          onStartedLeading: (c) => {
            // client-go's line; at start-up the start-up line says it.
            if (c.controllers.isPaused) process.stderr.write('kube-netsim: successfully acquired lease kube-system/kube-controller-manager\n');
            startLeaderComponents(c, config);
          },
        });
        follower = !(await leadership.tryFirst());
      });
      const objects = opened.restored.entries.filter((e) => !isElectionLease(e.resource, e.object));
      restored = objects.length;
      if (opened.restored.foreignKeys > 0) warn(`ETCD_PREFIX=${config.store.prefix}: ${opened.restored.foreignKeys} key(s) there are not objects kube-netsim serves; left alone`);
      cluster = buildCluster(config, clock, unseededRandom(), { backend: opened.backend, restored: opened.restored, bootstrap: restored === 0, follower });
      opened.backend.onFault(cluster.faults.record);
      opened.backend.onReplaced((message) => {
        process.stderr.write(`kube-netsim: ${message}\n`);
        process.exit(1);
      });
      for (const warning of cluster.repaired?.warnings ?? []) warn(`repair: ${warning}`);
      await leadership!.start(() => cluster, opened.restored.revision);
    } else {
      cluster = buildCluster(config, clock, unseededRandom());
    }
    // The server keeps answering while the controllers work through a large change.
    cluster.settleInSlices();
    // With etcd, the election's callback starts them (now, for a process that won the Lease at once).
    if (!leadership) startLeaderComponents(cluster, config);
  } catch (e) {
    if (e instanceof ConfigError) fail(e.message);
    throw e;
  }
  // A cluster read back from etcd goes on as it was: the manifest made it the first time. A follower makes nothing.
  if (config.clusterFile === 'none' || restored > 0 || follower) return { config, cluster, loaded: 0, restored, leadership };
  try {
    return { config, cluster, loaded: loadClusterFile(cluster, config.clusterFile).length, restored, leadership };
  } catch (e) {
    const reason = reasonOf(e);
    if (reason === undefined) throw e;
    fail(`CLUSTER_FILE=${JSON.stringify(config.clusterFile)}: ${reason}`);
  }
}

/** The names a self-signed certificate must carry: the bound address, or this host's every address and name. */
function certificateHosts(config: AppConfig): string[] {
  if (config.bindAddress === undefined || isLoopback(config.bindAddress)) return config.bindAddress ? [config.bindAddress] : [];
  if (!isUnspecified(config.bindAddress)) return [config.bindAddress];
  const addresses = Object.values(networkInterfaces()).flatMap((list) => (list ?? []).map((i) => i.address));
  return [hostname(), ...addresses];
}

/**
 * HTTPS when a certificate is given or tokens are required (kubectl sends a
 * token over HTTPS only): the given certificate, or a self-signed one made now,
 * as kube-apiserver makes one without `--tls-cert-file`.
 */
function servingCertificate(config: AppConfig, tokens: boolean): (ServingCertificate & { selfSigned: boolean }) | undefined {
  if (config.tlsCertFile !== undefined && config.tlsPrivateKeyFile !== undefined) {
    const read = (variable: string, path: string) => {
      try {
        return readPemFile(path);
      } catch (e) {
        const reason = reasonOf(e);
        if (reason === undefined) throw e;
        fail(`${variable}=${JSON.stringify(path)}: ${reason}`);
      }
    };
    return { cert: read('TLS_CERT_FILE', config.tlsCertFile), key: read('TLS_PRIVATE_KEY_FILE', config.tlsPrivateKeyFile), selfSigned: false };
  }
  return tokens ? { ...selfSignedCertificate(certificateHosts(config), new Date()), selfSigned: true } : undefined;
}

async function bootstrap(): Promise<void> {
  const { config, cluster, loaded, restored, leadership } = await startCluster();
  const authenticator = loadTokens(config);
  const tls = servingCertificate(config, authenticator !== undefined);
  let app;
  try {
    const nest = await NestFactory.create<NestFastifyApplication>(AppModule.register({ config, cluster, authenticator }), createHttpAdapter(tls ? { tls: { cert: tls.cert, key: tls.key } } : {}), {
      bodyParser: false,
    });
    // Two processes on one etcd: a follower hands writes and kube-netsim's endpoints to the leader (before anything else runs).
    if (leadership) registerLeaderForwarding(nest.getHttpAdapter().getInstance(), leadership, () => cluster.store.resourceVersion);
    app = configureApp(nest);
  } catch (e) {
    // A certificate or key that TLS cannot use.
    if (!tls || tls.selfSigned || !/PEM|key|certificate|asn1/i.test((e as Error).message)) throw e;
    fail(`TLS_CERT_FILE=${JSON.stringify(config.tlsCertFile)}, TLS_PRIVATE_KEY_FILE=${JSON.stringify(config.tlsPrivateKeyFile)}: ${(e as Error).message}`);
  }
  app.enableShutdownHooks();
  let listening;
  try {
    listening = await listenOn(app, config.port, config.bindAddress, tls ? 'https' : 'http');
  } catch (e) {
    // The port taken or not allowed, or an address this host does not have: name the variable.
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE' || code === 'EACCES') fail(`PORT=${JSON.stringify(String(config.port))}: ${(e as Error).message}`);
    if (code === 'EADDRNOTAVAIL' || code === 'EAFNOSUPPORT') fail(`BIND_ADDRESS=${JSON.stringify(config.bindAddress)}: ${(e as Error).message}`);
    throw e;
  }
  for (const note of listening.notes) process.stderr.write(`kube-netsim: ${note}\n`);
  leadership?.announce(listening.url);
  if (listening.open) {
    warn(
      `BIND_ADDRESS=${config.bindAddress}: the API is open to other hosts on ${listening.addresses.join(', ')}` +
        (authenticator ? '' : ', with no authentication (set TOKEN_AUTH_FILE to require tokens)'),
    );
  }
  let kubeconfig = '';
  if (config.dataDir !== 'none') {
    try {
      if (tls?.selfSigned) writeServingCertificate(config.dataDir, tls.cert);
      kubeconfig = `; kubectl --kubeconfig ${writeKubeconfig(config.dataDir, renderKubeconfig(listening.url, authenticator?.firstToken, tls?.cert))}`;
    } catch (e) {
      const reason = reasonOf(e);
      if (reason === undefined) throw e;
      await app.close();
      fail(`DATA_DIR=${JSON.stringify(config.dataDir)}: ${reason}`);
    }
  }
  const scheme = tls ? 'https' : 'http';
  const role = leadership ? `; ${leadership.isLeader ? 'leading' : 'following'} (${leadership.identity})` : '';
  const source =
    restored > 0
      ? `${restored} objects from etcd`
      : leadership && !leadership.isLeader
        ? 'the cluster the leader makes in etcd'
        : config.clusterFile === 'none'
        ? 'an empty cluster'
        : `${config.clusterFile} (${loaded} objects)`;
  const where = listening.open ? listening.addresses.map((a) => `${scheme}://${a}`).join(', ') : `${scheme}://localhost:${listening.port} (${listening.addresses.join(', ')})`;
  const auth = authenticator ? `, bearer tokens required (${authenticator.size})` : '';
  process.stdout.write(`kube-netsim listening on ${where}${auth} with ${source}${role}${kubeconfig}; API docs at /docs\n`);
}

void bootstrap();
