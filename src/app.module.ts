import { DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { HealthController } from './api/health/health.controller';
import { IpamController } from './api/ipam/ipam.controller';
import { KubeApiController } from './api/kube/kube-api.controller';
import { StatusExceptionFilter } from './api/status/status-exception.filter';
import { ADDRESS_POOLS, APP_CONFIG, CLOCK, CLUSTER, RANDOM } from './api/tokens';
import { Cluster } from './cluster/cluster';
import { Clock, SystemClock } from './common/clock';
import { Random, unseededRandom } from './common/random';
import { AppConfig, buildAddressPools } from './config/app-config';
import { AddressPools } from './ipam/address-pools';

export interface AppModuleOptions {
  config: AppConfig;
  /** Time source; the wall clock unless a test injects a manual one. */
  clock?: Clock;
  /** Randomness; seeded from the wall clock unless a test injects a seeded one. */
  random?: Random;
}

/**
 * The Nest shell: builds the framework-free core objects with factories and
 * hands them to thin controllers. Each app instance owns its own emulator
 * state, so tests can create as many as they like.
 */
@Module({})
export class AppModule {
  static register(options: AppModuleOptions): DynamicModule {
    return {
      module: AppModule,
      controllers: [HealthController, IpamController, KubeApiController],
      providers: [
        { provide: APP_FILTER, useClass: StatusExceptionFilter },
        { provide: APP_CONFIG, useValue: options.config },
        { provide: CLOCK, useValue: options.clock ?? new SystemClock() },
        { provide: RANDOM, useValue: options.random ?? unseededRandom() },
        {
          provide: ADDRESS_POOLS,
          inject: [APP_CONFIG, RANDOM],
          useFactory: (config: AppConfig, random: Random) => buildAddressPools(config, random),
        },
        {
          provide: CLUSTER,
          inject: [ADDRESS_POOLS, CLOCK, RANDOM],
          useFactory: (pools: AddressPools, clock: Clock, random: Random) => Cluster.create({ pools, clock, random }),
        },
      ],
    };
  }
}
