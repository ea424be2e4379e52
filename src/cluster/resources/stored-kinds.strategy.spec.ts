import { newCluster } from '../../../test/support/cluster/cluster';
import { DomainError } from '../../common/domain-error';
import { resourceTypeByKey } from '../store/resource-types';
import { configKeyErrors } from './stored-kinds.strategy';

const secrets = resourceTypeByKey('secrets')!;
const configMaps = resourceTypeByKey('configmaps')!;
const jobs = resourceTypeByKey('jobs.batch')!;
const pvcs = resourceTypeByKey('persistentvolumeclaims')!;

function error(work: () => unknown): DomainError {
  try {
    work();
  } catch (e) {
    return e as DomainError;
  }
  throw new Error('expected an error');
}

describe('Secrets as the API server keeps them', () => {
  it('defaults type to Opaque and folds stringData into base64 data', () => {
    const c = newCluster();
    const s = c.store.create(secrets, { metadata: { name: 's' }, data: { a: 'YQ==' }, stringData: { b: 'hello' } }, 'default');
    expect(s.type).toBe('Opaque');
    expect(s.data).toEqual({ a: 'YQ==', b: 'aGVsbG8=' });
    expect(s.stringData).toBeUndefined();
  });

  it('keeps a stringData key named __proto__ as data (a legal Secret key), reaching no prototype', () => {
    const c = newCluster();
    const s = c.store.create(secrets, { metadata: { name: 's' }, stringData: JSON.parse('{"__proto__": "x"}') }, 'default');
    expect(Object.getOwnPropertyDescriptor(s.data, '__proto__')?.value).toBe('eA==');
    expect(({} as Record<string, unknown>).x).toBeUndefined();
  });

  it('refuses data that is not base64 with the decoder\'s 400', () => {
    const c = newCluster();
    const e = error(() => c.store.create(secrets, { metadata: { name: 's' }, data: { a: 'abc' } }, 'default'));
    expect(e.code).toBe('BAD_REQUEST');
    expect(e.message).toBe('Secret in version "v1" cannot be handled as a Secret: illegal base64 data at input byte 0');
  });

  it('requires the keys of its type and valid key names', () => {
    const c = newCluster();
    const e = error(() => c.store.create(secrets, { metadata: { name: 't' }, type: 'kubernetes.io/tls', data: { 'bad key': 'YQ==' } }, 'default'));
    expect(e.code).toBe('INVALID');
    expect(e.causes.map((x) => x.field)).toEqual(['data[bad key]', 'data[tls.crt]', 'data[tls.key]']);
  });

  it('keeps type and, once immutable, data', () => {
    const c = newCluster();
    c.store.create(secrets, { metadata: { name: 's' }, immutable: true, data: { a: 'YQ==' } }, 'default');
    const e = error(() => c.store.update(secrets, 'default', 's', { metadata: { name: 's' }, type: 'Other', immutable: true, data: { a: 'Yg==' } }));
    expect(e.message).toBe(
      'Secret "s" is invalid: [type: Invalid value: "Other": field is immutable, data: Forbidden: field is immutable when `immutable` is set]',
    );
  });
});

describe('ConfigMaps', () => {
  it('checks keys as IsConfigMapKey does', () => {
    expect(configKeyErrors('app.properties')).toEqual([]);
    expect(configKeyErrors('..x')).toEqual(["must not start with '..'"]);
    const c = newCluster();
    const e = error(() => c.store.create(configMaps, { metadata: { name: 'c' }, data: { 'a/b': 'x' } }, 'default'));
    expect(e.message).toContain('ConfigMap "c" is invalid: data[a/b]: Invalid value: "a/b": a valid config key must consist of alphanumeric characters');
  });

  it('refuses a key in both data and binaryData', () => {
    const c = newCluster();
    const e = error(() => c.store.create(configMaps, { metadata: { name: 'c' }, data: { k: 'x' }, binaryData: { k: 'eA==' } }, 'default'));
    expect(e.message).toBe('ConfigMap "c" is invalid: data: Invalid value: "k": duplicate of key present in binaryData');
  });
});

describe('kinds without a controller', () => {
  it('start with the status the API server gives them, whatever the client sent', () => {
    const c = newCluster();
    const job = c.store.create(jobs, { metadata: { name: 'j' }, spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox' }] } } }, status: { succeeded: 5 } }, 'default');
    expect(job.status).toEqual({});
    const claim = { metadata: { name: 'p' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } }, status: { phase: 'Bound' } };
    expect(c.store.create(pvcs, claim, 'default').status).toEqual({ phase: 'Pending' });
  });
});
