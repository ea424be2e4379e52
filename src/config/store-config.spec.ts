import { ConfigError } from './app-config';
import { readStoreConfig } from './store-config';

function refusal(env: Record<string, string>): string {
  try {
    readStoreConfig(env);
  } catch (e) {
    if (e instanceof ConfigError) return e.message;
    throw e;
  }
  throw new Error('expected a ConfigError');
}

describe('STORE and the ETCD_* variables', () => {
  it('keeps objects in memory by default', () => {
    expect(readStoreConfig({})).toEqual({ kind: 'memory' });
  });

  it('reads the etcd options as kube-apiserver names them', () => {
    expect(
      readStoreConfig({ STORE: 'etcd', ETCD_ENDPOINTS: 'https://10.0.0.1:2379, https://10.0.0.2:2379', ETCD_PREFIX: '/kubernetes.io', ETCD_CAFILE: 'ca.crt', ETCD_CERTFILE: 'c.crt', ETCD_KEYFILE: 'c.key' }),
    ).toEqual({ kind: 'etcd', endpoints: ['https://10.0.0.1:2379', 'https://10.0.0.2:2379'], prefix: '/kubernetes.io', caFile: 'ca.crt', certFile: 'c.crt', keyFile: 'c.key' });
    expect(readStoreConfig({ STORE: 'etcd', ETCD_ENDPOINTS: 'http://127.0.0.1:2379' })).toMatchObject({ prefix: '/registry' });
  });

  it.each([
    [{ STORE: 'redis' }, 'STORE="redis": must be one of memory, etcd'],
    [{ STORE: 'etcd' }, 'ETCD_ENDPOINTS="": is required with STORE=etcd'],
    [{ STORE: 'etcd', ETCD_ENDPOINTS: '127.0.0.1:2379' }, 'ETCD_ENDPOINTS="127.0.0.1:2379": "127.0.0.1:2379" is not an etcd client URL'],
    [{ STORE: 'etcd', ETCD_ENDPOINTS: 'http://127.0.0.1' }, 'is not an etcd client URL (http://host:port or https://host:port)'],
    [{ ETCD_ENDPOINTS: 'http://127.0.0.1:2379' }, 'ETCD_ENDPOINTS="http://127.0.0.1:2379": is for the etcd store: set STORE=etcd as well'],
    [{ STORE: 'etcd', ETCD_ENDPOINTS: 'https://e:2379', ETCD_CAFILE: 'ca', ETCD_CERTFILE: 'c' }, 'ETCD_CERTFILE="c": needs ETCD_KEYFILE as well'],
    [{ STORE: 'etcd', ETCD_ENDPOINTS: 'https://e:2379', ETCD_CERTFILE: 'c', ETCD_KEYFILE: 'k' }, 'ETCD_CERTFILE="c": needs ETCD_CAFILE as well'],
  ])('%j is refused naming the variable', (env, message) => {
    expect(refusal(env)).toContain(message);
  });
});
