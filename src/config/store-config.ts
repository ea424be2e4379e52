/**
 * Where the cluster's objects are kept (`STORE`): in memory (the default), or
 * in etcd v3 as kube-apiserver keeps them, with kube-apiserver's etcd flags
 * spelled as environment variables: `--etcd-servers` is `ETCD_ENDPOINTS`,
 * `--etcd-prefix` `ETCD_PREFIX`, `--etcd-cafile` / `--etcd-certfile` /
 * `--etcd-keyfile` `ETCD_CAFILE` / `ETCD_CERTFILE` / `ETCD_KEYFILE`.
 */
import { ConfigError } from './app-config';

export type StoreConfig =
  | { kind: 'memory' }
  | { kind: 'etcd'; endpoints: string[]; prefix: string; caFile?: string; certFile?: string; keyFile?: string };

type Env = Record<string, string | undefined>;

function optional(env: Env, variable: string): string | undefined {
  const raw = env[variable];
  return raw === undefined || raw.trim() === '' ? undefined : raw.trim();
}

export function readStoreConfig(env: Env): StoreConfig {
  const kind = optional(env, 'STORE') ?? 'memory';
  if (kind !== 'memory' && kind !== 'etcd') throw new ConfigError('STORE', env.STORE ?? '', 'must be one of memory, etcd');
  if (kind === 'memory') {
    const stray = ['ETCD_ENDPOINTS', 'ETCD_PREFIX', 'ETCD_CAFILE', 'ETCD_CERTFILE', 'ETCD_KEYFILE'].find((v) => optional(env, v) !== undefined);
    if (stray) throw new ConfigError(stray, env[stray] ?? '', 'is for the etcd store: set STORE=etcd as well');
    return { kind };
  }
  const raw = optional(env, 'ETCD_ENDPOINTS');
  if (raw === undefined) throw new ConfigError('ETCD_ENDPOINTS', env.ETCD_ENDPOINTS ?? '', 'is required with STORE=etcd (a comma-separated list of URLs, e.g. http://127.0.0.1:2379)');
  const endpoints = raw.split(',').map((e) => e.trim());
  for (const endpoint of endpoints) {
    let url: URL | undefined;
    try {
      url = new URL(endpoint);
    } catch {
      url = undefined;
    }
    if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:') || url.port === '' || (url.pathname !== '/' && url.pathname !== '')) {
      throw new ConfigError('ETCD_ENDPOINTS', raw, `${JSON.stringify(endpoint)} is not an etcd client URL (http://host:port or https://host:port)`);
    }
  }
  const certFile = optional(env, 'ETCD_CERTFILE');
  const keyFile = optional(env, 'ETCD_KEYFILE');
  if ((certFile === undefined) !== (keyFile === undefined)) {
    const [given, missing] = certFile === undefined ? ['ETCD_KEYFILE', 'ETCD_CERTFILE'] : ['ETCD_CERTFILE', 'ETCD_KEYFILE'];
    throw new ConfigError(given, env[given] ?? '', `needs ${missing} as well: a client certificate and its key come together`);
  }
  const caFile = optional(env, 'ETCD_CAFILE');
  if (certFile !== undefined && caFile === undefined) throw new ConfigError('ETCD_CERTFILE', certFile, 'needs ETCD_CAFILE as well: a client certificate is sent over TLS only');
  return { kind, endpoints, prefix: optional(env, 'ETCD_PREFIX') ?? '/registry', caFile, certFile, keyFile };
}
