import { resourceTypeByKey } from '../../cluster/store/resource-types';
import { DomainError } from '../../common/domain-error';
import { fieldValidationOf, validateFields, warningHeader } from './field-validation';

const services = resourceTypeByKey('services')!;
const configMaps = resourceTypeByKey('configmaps')!;
const deployments = resourceTypeByKey('deployments.apps')!;

describe('server-side field validation', () => {
  it('reads the fieldValidation parameter, Warn when absent', () => {
    expect(fieldValidationOf(undefined)).toBe('Warn');
    expect(fieldValidationOf('Strict')).toBe('Strict');
    expect(() => fieldValidationOf('strict')).toThrow('fieldValidation must be one of "Ignore", "Warn", or "Strict", not "strict"');
  });

  it('refuses unknown fields under Strict, naming each with its path', () => {
    const body = { metadata: { name: 's' }, spec: { foo: 1, ports: [{ port: 80, tagetPort: 8080 }] } };
    let error: DomainError | undefined;
    try {
      validateFields(services, body, 'Strict');
    } catch (e) {
      error = e as DomainError;
    }
    expect(error?.code).toBe('BAD_REQUEST');
    expect(error?.message).toBe(
      'Service in version "v1" cannot be handled as a Service: strict decoding error: unknown field "spec.foo", unknown field "spec.ports[0].tagetPort"',
    );
  });

  it('warns under Warn and drops the fields; Ignore drops them silently', () => {
    const body: Record<string, unknown> = { metadata: { name: 'c', labels: { any: 'label' } }, data: { anyKey: 'v' }, extra: 1 };
    expect(validateFields(configMaps, body, 'Warn')).toEqual(['unknown field "extra"']);
    expect(body).toEqual({ metadata: { name: 'c', labels: { any: 'label' } }, data: { anyKey: 'v' } });
    const again: Record<string, unknown> = { extra: 1 };
    expect(validateFields(configMaps, again, 'Ignore')).toEqual([]);
    expect(again).toEqual({});
    expect(warningHeader('unknown field "extra"')).toBe('299 - "unknown field \\"extra\\""');
  });

  it('walks nested types to any depth and keeps strategic-merge-patch directives', () => {
    const body = {
      spec: {
        template: { spec: { containers: [{ name: 'c', readinessProbe: { httpGet: { port: 'http', pth: '/' } } }], $setElementOrder: [] } },
      },
      $patch: 'merge',
    };
    expect(validateFields(deployments, body, 'Warn')).toEqual(['unknown field "spec.template.spec.containers[0].readinessProbe.httpGet.pth"']);
  });
});
