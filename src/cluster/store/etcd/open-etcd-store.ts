import { readPemFile } from '../../../auth/startup-files';
import { ConfigError } from '../../../config/app-config';
import type { StoreConfig } from '../../../config/store-config';
import { EtcdBackend, LoadedState } from './etcd-backend';

/**
 * Connects to the etcd `STORE=etcd` names and reads back what it holds,
 * as kube-apiserver fills its watch cache before it serves. A file or an
 * etcd that cannot be used is a `ConfigError` naming the variable.
 */
export async function openEtcdStore(
  config: Extract<StoreConfig, { kind: 'etcd' }>,
  /** Runs once etcd is reached, before the objects are read (the first try for the election's Lease). */
  beforeLoad?: (backend: EtcdBackend) => Promise<void>,
): Promise<{ backend: EtcdBackend; restored: LoadedState }> {
  const read = (variable: string, path: string | undefined) => {
    if (path === undefined) return undefined;
    try {
      return Buffer.from(readPemFile(path));
    } catch (e) {
      throw new ConfigError(variable, path, (e as Error).message);
    }
  };
  const backend = EtcdBackend.connect({
    endpoints: config.endpoints,
    prefix: config.prefix,
    ca: read('ETCD_CAFILE', config.caFile),
    cert: read('ETCD_CERTFILE', config.certFile),
    key: read('ETCD_KEYFILE', config.keyFile),
  });
  try {
    await beforeLoad?.(backend);
    const restored = await backend.load();
    backend.startCompaction();
    return { backend, restored };
  } catch (e) {
    await backend.close(true);
    throw new ConfigError('ETCD_ENDPOINTS', config.endpoints.join(','), `etcd did not answer: ${(e as Error).message}`);
  }
}
