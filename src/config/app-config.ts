/**
 * The emulator's configuration, read from environment variables and
 * validated once at start-up. Framework-free: `main.ts` calls `readConfig`
 * and `buildAddressPools`, and refuses to start on a `ConfigError`, whose
 * message names the variable.
 */

import { isIP } from 'node:net';
import { Random } from '../common/random';
import { AddressPools, PoolConfigError, PoolOption } from '../ipam/address-pools';
import { readStoreConfig, StoreConfig } from './store-config';

export interface AppConfig {
  /** HTTP port (`PORT`, default 3000). */
  port: number;
  /**
   * Service ClusterIP range (`SERVICE_CLUSTER_IP_RANGE`, default 10.96.0.0/12): one CIDR, or one
   * per family for a dual-stack cluster (`10.96.0.0/12,fd00:10:96::/112`), the primary first.
   */
  serviceClusterIpRange: string;
  /** NodePort range (`SERVICE_NODE_PORT_RANGE`, default 30000-32767). */
  serviceNodePortRange: string;
  /** Pod network (`CLUSTER_CIDR`, default 10.244.0.0/16): one CIDR, or one per family. */
  clusterCidr: string;
  /** Prefix length of each node's pod CIDR on a single-stack cluster (`NODE_CIDR_MASK_SIZE`; unset: per family). */
  nodeCidrMaskSize?: number;
  /** Prefix length of each node's IPv4 pod CIDR (`NODE_CIDR_MASK_SIZE_IPV4`, default 24). */
  nodeCidrMaskSizeIPv4?: number;
  /** Prefix length of each node's IPv6 pod CIDR (`NODE_CIDR_MASK_SIZE_IPV6`, default 64). */
  nodeCidrMaskSizeIPv6?: number;
  /** LoadBalancer ingress addresses (`LOADBALANCER_IP_RANGE`, default 172.18.255.200-172.18.255.250). */
  loadBalancerIpRange: string;
  /** Network of the nodes' InternalIPs (`NODE_NETWORK`, default 172.18.0.0/16, as kind's Docker network). */
  nodeNetwork: string;
  /**
   * Network of the nodes' IPv6 InternalIPs on a cluster with IPv6 pods (`NODE_NETWORK_IPV6`,
   * default fc00:f853:ccd:e793::/64, as kind's Docker network for IPv6 and dual-stack clusters).
   */
  nodeNetworkIPv6?: string;
  /** Cluster manifest loaded at start (`CLUSTER_FILE`; `none` for an empty cluster). */
  clusterFile: string;
  /**
   * The cluster's IP families (`IP_FAMILY`, as kind's `networking.ipFamily`): `ipv4` (default),
   * `dual` or `ipv6`. It chooses the defaults of SERVICE_CLUSTER_IP_RANGE, CLUSTER_CIDR and
   * CLUSTER_FILE (kind's subnets and the matching demo cluster); each can still be set alone.
   */
  ipFamily: IpFamilySetting;
  /**
   * `running` (default): simulated time starts at the wall clock's now and passes with it;
   * `manual`: it starts at 2026-01-01T00:00:00Z and moves only when told to (`CLOCK`; `real`
   * and `virtual` are the older names of the two).
   */
  clock: 'running' | 'manual';
  /** flannel's backend between nodes (`OVERLAY`): `vxlan` (default) or `host-gw`. */
  overlay: 'vxlan' | 'host-gw';
  /**
   * Where the API listens (`BIND_ADDRESS`, as kube-apiserver's `--bind-address`). Absent
   * (the default): loopback only, 127.0.0.1 and ::1. `0.0.0.0` or `::`: every interface and
   * address family. Any other IP: that address alone.
   */
  bindAddress?: string;
  /** kube-apiserver's `--token-auth-file` CSV (`TOKEN_AUTH_FILE`); absent: no authentication. */
  tokenAuthFile?: string;
  /**
   * The serving certificate and its key, PEM (`TLS_CERT_FILE`, `TLS_PRIVATE_KEY_FILE`, as
   * kube-apiserver's `--tls-cert-file` and `--tls-private-key-file`): both or neither. With
   * them, or with tokens, the API is served over HTTPS (kubectl sends tokens over HTTPS only);
   * with tokens and without them, a self-signed certificate is made at start-up.
   */
  tlsCertFile?: string;
  tlsPrivateKeyFile?: string;
  /** The only directory the emulator writes to (`DATA_DIR`, default `.kube-netsim`); `none`: it writes nothing. */
  dataDir: string;
  /** Where the objects are kept (`STORE`: memory, the default, or etcd with `ETCD_*`; see store-config.ts). */
  store: StoreConfig;
}

export type IpFamilySetting = 'ipv4' | 'dual' | 'ipv6';

/** What `IP_FAMILY` chooses: kind's default subnets for that family, and the demo cluster made for it. */
export const IP_FAMILY_DEFAULTS: Record<IpFamilySetting, Pick<AppConfig, 'serviceClusterIpRange' | 'clusterCidr' | 'clusterFile'>> = {
  ipv4: { serviceClusterIpRange: '10.96.0.0/12', clusterCidr: '10.244.0.0/16', clusterFile: 'fixtures/clusters/demo.yaml' },
  dual: {
    serviceClusterIpRange: '10.96.0.0/16,fd00:10:96::/112',
    clusterCidr: '10.244.0.0/16,fd00:10:244::/56',
    clusterFile: 'fixtures/clusters/dual-stack.yaml',
  },
  ipv6: { serviceClusterIpRange: 'fd00:10:96::/112', clusterCidr: 'fd00:10:244::/56', clusterFile: 'fixtures/clusters/ipv6.yaml' },
};

export const CONFIG_DEFAULTS: AppConfig = {
  port: 3000,
  serviceClusterIpRange: '10.96.0.0/12',
  serviceNodePortRange: '30000-32767',
  clusterCidr: '10.244.0.0/16',
  loadBalancerIpRange: '172.18.255.200-172.18.255.250',
  nodeNetwork: '172.18.0.0/16',
  nodeNetworkIPv6: 'fc00:f853:ccd:e793::/64',
  clusterFile: 'fixtures/clusters/demo.yaml',
  ipFamily: 'ipv4',
  clock: 'running',
  overlay: 'vxlan',
  dataDir: '.kube-netsim',
  store: { kind: 'memory' },
};

/** A start-up configuration error; `variable` is the environment variable at fault. */
export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    readonly value: string,
    reason: string,
  ) {
    super(`${variable}=${JSON.stringify(value)}: ${reason}`);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

function integer(env: Env, variable: string, fallback: number, min: number, max: number): number {
  const raw = env[variable];
  if (raw === undefined || raw === '') return fallback;
  if (!/^[0-9]+$/.test(raw.trim())) {
    throw new ConfigError(variable, raw, 'must be a whole number');
  }
  const value = Number(raw.trim());
  if (value < min || value > max) {
    throw new ConfigError(variable, raw, `must be between ${min} and ${max}, inclusive`);
  }
  return value;
}

function optionalInteger(env: Env, variable: string, min: number, max: number): number | undefined {
  const raw = env[variable];
  return raw === undefined || raw.trim() === '' ? undefined : integer(env, variable, 0, min, max);
}

/** `CLOCK`'s older names. */
const CLOCK_ALIASES = { running: 'running', manual: 'manual', real: 'running', virtual: 'manual' } as const;

function oneOf<T extends string>(env: Env, variable: string, allowed: readonly T[], fallback: T): T {
  const raw = env[variable];
  if (raw === undefined || raw.trim() === '') return fallback;
  const value = raw.trim() as T;
  if (!allowed.includes(value)) throw new ConfigError(variable, raw, `must be one of ${allowed.join(', ')}`);
  return value;
}

function text(env: Env, variable: string, fallback: string): string {
  const raw = env[variable];
  return raw === undefined || raw.trim() === '' ? fallback : raw.trim();
}

function ipAddress(env: Env, variable: string): string | undefined {
  const raw = env[variable];
  if (raw === undefined || raw.trim() === '') return undefined;
  if (isIP(raw.trim()) === 0) {
    throw new ConfigError(variable, raw, 'must be an IP address (0.0.0.0 or :: for every interface; unset for loopback only)');
  }
  return raw.trim();
}

function optionalText(env: Env, variable: string): string | undefined {
  const raw = env[variable];
  return raw === undefined || raw.trim() === '' ? undefined : raw.trim();
}

/**
 * Reads the configuration from `env`. Only the shape of each value is checked
 * here; the range semantics (sizes, alignment, Kubernetes' limits) are checked
 * where they live, by building the address pools (see `buildAddressPools`),
 * and reported through `ConfigError` as well.
 */
export function readConfig(env: Env): AppConfig {
  const tlsCertFile = optionalText(env, 'TLS_CERT_FILE');
  const tlsPrivateKeyFile = optionalText(env, 'TLS_PRIVATE_KEY_FILE');
  if ((tlsCertFile === undefined) !== (tlsPrivateKeyFile === undefined)) {
    const [given, missing] = tlsCertFile === undefined ? ['TLS_PRIVATE_KEY_FILE', 'TLS_CERT_FILE'] : ['TLS_CERT_FILE', 'TLS_PRIVATE_KEY_FILE'];
    throw new ConfigError(given, env[given] ?? '', `needs ${missing} as well: a certificate and its key come together`);
  }
  const ipFamily = oneOf(env, 'IP_FAMILY', ['ipv4', 'dual', 'ipv6'] as const, CONFIG_DEFAULTS.ipFamily);
  const byFamily = IP_FAMILY_DEFAULTS[ipFamily];
  return {
    port: integer(env, 'PORT', CONFIG_DEFAULTS.port, 0, 65535),
    serviceClusterIpRange: text(env, 'SERVICE_CLUSTER_IP_RANGE', byFamily.serviceClusterIpRange),
    serviceNodePortRange: text(env, 'SERVICE_NODE_PORT_RANGE', CONFIG_DEFAULTS.serviceNodePortRange),
    clusterCidr: text(env, 'CLUSTER_CIDR', byFamily.clusterCidr),
    nodeCidrMaskSize: optionalInteger(env, 'NODE_CIDR_MASK_SIZE', 0, 128),
    nodeCidrMaskSizeIPv4: optionalInteger(env, 'NODE_CIDR_MASK_SIZE_IPV4', 0, 32),
    nodeCidrMaskSizeIPv6: optionalInteger(env, 'NODE_CIDR_MASK_SIZE_IPV6', 0, 128),
    loadBalancerIpRange: text(env, 'LOADBALANCER_IP_RANGE', CONFIG_DEFAULTS.loadBalancerIpRange),
    nodeNetwork: text(env, 'NODE_NETWORK', CONFIG_DEFAULTS.nodeNetwork),
    nodeNetworkIPv6: text(env, 'NODE_NETWORK_IPV6', CONFIG_DEFAULTS.nodeNetworkIPv6!),
    clusterFile: text(env, 'CLUSTER_FILE', byFamily.clusterFile),
    ipFamily,
    clock: CLOCK_ALIASES[oneOf(env, 'CLOCK', ['running', 'manual', 'real', 'virtual'] as const, CONFIG_DEFAULTS.clock)],
    overlay: oneOf(env, 'OVERLAY', ['vxlan', 'host-gw'] as const, CONFIG_DEFAULTS.overlay),
    bindAddress: ipAddress(env, 'BIND_ADDRESS'),
    tokenAuthFile: optionalText(env, 'TOKEN_AUTH_FILE'),
    tlsCertFile,
    tlsPrivateKeyFile,
    dataDir: text(env, 'DATA_DIR', CONFIG_DEFAULTS.dataDir),
    store: readStoreConfig(env),
  };
}

const VARIABLE_OF_OPTION: Record<PoolOption, string> = {
  serviceClusterIpRange: 'SERVICE_CLUSTER_IP_RANGE',
  serviceNodePortRange: 'SERVICE_NODE_PORT_RANGE',
  clusterCidr: 'CLUSTER_CIDR',
  nodeCidrMaskSize: 'NODE_CIDR_MASK_SIZE',
  nodeCidrMaskSizeIPv4: 'NODE_CIDR_MASK_SIZE_IPV4',
  nodeCidrMaskSizeIPv6: 'NODE_CIDR_MASK_SIZE_IPV6',
  loadBalancerIpRange: 'LOADBALANCER_IP_RANGE',
  nodeNetwork: 'NODE_NETWORK',
  nodeNetworkIPv6: 'NODE_NETWORK_IPV6',
};

const MASK_OPTIONS = ['nodeCidrMaskSize', 'nodeCidrMaskSizeIPv4', 'nodeCidrMaskSizeIPv6'] as const;
const MASK_FLAGS: Record<(typeof MASK_OPTIONS)[number], string> = {
  nodeCidrMaskSize: '--node-cidr-mask-size ',
  nodeCidrMaskSizeIPv4: '--node-cidr-mask-size-ipv4',
  nodeCidrMaskSizeIPv6: '--node-cidr-mask-size-ipv6',
};

/**
 * Builds the cluster's address pools from the configuration. A pool that
 * cannot be built is a `ConfigError` naming the environment variable; a node
 * mask error names the mask variable given (the one its message names, if
 * several), or CLUSTER_CIDR when every mask is the default.
 */
export function buildAddressPools(config: AppConfig, random: Random): AddressPools {
  try {
    return AddressPools.create(config, random);
  } catch (e) {
    if (!(e instanceof PoolConfigError)) throw e;
    let option = e.option;
    if (option === 'nodeCidrMaskSize') {
      const given = MASK_OPTIONS.filter((o) => config[o] !== undefined);
      option = given.find((o) => e.message.includes(MASK_FLAGS[o])) ?? given[0] ?? 'clusterCidr';
    }
    throw new ConfigError(VARIABLE_OF_OPTION[option], String(config[option]), e.message);
  }
}
