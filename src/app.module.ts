import { DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { ApplyController } from './api/apply/apply.controller';
import { ImportController } from './api/import/import.controller';
import { HealthController } from './api/health/health.controller';
import { IpamController } from './api/ipam/ipam.controller';
import { KubeApiController } from './api/kube/kube-api.controller';
import { NetfilterController } from './api/netfilter/netfilter.controller';
import { DataplaneController } from './api/dataplane/dataplane.controller';
import { DiagnoseController } from './api/dataplane/diagnose.controller';
import { KubeProxyApiController } from './api/kube-proxy/kube-proxy.controller';
import { NodeTraceController } from './api/kube-proxy/node-trace.controller';
import { SimulationController } from './api/simulation/simulation.controller';
import { StatusExceptionFilter } from './api/status/status-exception.filter';
import { ExecRoutes } from './api/kube/exec.routes';
import { ADDRESS_POOLS, APP_CONFIG, AUTHENTICATOR, CLOCK, CLUSTER, POD_EXEC, RANDOM, TRAFFIC } from './api/tokens';
import { TokenAuthenticator } from './auth/token-authenticator';
import { Cluster, ClusterOptions } from './cluster/cluster';
import { SimulationClock } from './cluster/simulation-clock';
import { Random, unseededRandom } from './common/random';
import { AppConfig, buildAddressPools } from './config/app-config';
import { ClusterNetwork } from './dataplane/network';
import { TrafficSimulator } from './dataplane/traffic';
import { PodExec } from './exec/pod-exec';

export interface AppModuleOptions {
  config: AppConfig;
  /** The simulation's clock; a new virtual one unless given. */
  clock?: SimulationClock;
  /** Randomness; seeded from the wall clock unless a test injects a seeded one. */
  random?: Random;
  /** A cluster built (and loaded) beforehand, as `main.ts` does; otherwise an empty one is built from `config`. */
  cluster?: Cluster;
  /** Bearer tokens read from TOKEN_AUTH_FILE at start-up; none: no authentication. */
  authenticator?: TokenAuthenticator;
}

/**
 * The Nest shell: builds the framework-free core objects with factories and
 * hands them to thin controllers. Each app instance owns its own emulator
 * state, so tests can create as many as they like.
 */
/** The emulator's core, built from the configuration (framework-free; `main.ts` uses it too). */
export function buildCluster(config: AppConfig, clock: SimulationClock, random: Random, storage: Pick<ClusterOptions, 'backend' | 'restored' | 'bootstrap' | 'follower'> = {}): Cluster {
  // With a cluster file, kind's default StorageClass comes after it (loadClusterFile), or from it.
  return Cluster.create({ pools: buildAddressPools(config, random), clock, random, defaultStorageClass: config.clusterFile === 'none', ...storage });
}

@Module({})
export class AppModule {
  static register(options: AppModuleOptions): DynamicModule {
    return {
      module: AppModule,
      controllers: [HealthController, IpamController, ApplyController, ImportController, SimulationController, KubeProxyApiController, NodeTraceController, NetfilterController, KubeApiController, DataplaneController, DiagnoseController],
      providers: [
        { provide: APP_FILTER, useClass: StatusExceptionFilter },
        { provide: APP_CONFIG, useValue: options.config },
        { provide: AUTHENTICATOR, useValue: options.authenticator ?? null },
        {
          provide: CLUSTER,
          useFactory: () => options.cluster ?? buildCluster(options.config, options.clock ?? new SimulationClock(), options.random ?? unseededRandom()),
        },
        { provide: CLOCK, inject: [CLUSTER], useFactory: (cluster: Cluster) => cluster.clock },
        { provide: RANDOM, inject: [CLUSTER], useFactory: (cluster: Cluster) => cluster.random },
        { provide: ADDRESS_POOLS, inject: [CLUSTER], useFactory: (cluster: Cluster) => cluster.pools },
        {
          provide: TRAFFIC,
          inject: [CLUSTER],
          useFactory: (cluster: Cluster) => new TrafficSimulator(cluster, { network: new ClusterNetwork(cluster, { overlay: options.config.overlay }) }),
        },
        { provide: POD_EXEC, inject: [CLUSTER, TRAFFIC], useFactory: (cluster: Cluster, traffic: TrafficSimulator) => new PodExec(cluster, traffic) },
        ExecRoutes,
      ],
    };
  }
}
