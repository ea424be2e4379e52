import { decodeKubeProxyConfiguration } from './config-decoding';
import { refusalOf as thrown } from '../../test/support/common/domain-error';

describe('decoding a KubeProxyConfiguration as kube-proxy does', () => {
  it('keeps the known fields and warns nothing', () => {
    const body = { apiVersion: 'kubeproxy.config.k8s.io/v1alpha1', kind: 'KubeProxyConfiguration', iptables: { masqueradeAll: true }, featureGates: { NFTablesProxyMode: true } };
    expect(decodeKubeProxyConfiguration(body)).toEqual({ config: body, warnings: [] });
  });

  it('drops unknown fields, with kube-proxy\'s lenient-decoding message naming each by its path', () => {
    const { config, warnings } = decodeKubeProxyConfiguration({ foo: 1, iptables: { masqueradeAll: true, bar: 2 }, conntrack: { min: 5 }, logging: { format: 'json', anything: 1 } });
    expect(config).toEqual({ iptables: { masqueradeAll: true }, conntrack: { min: 5 }, logging: { format: 'json', anything: 1 } });
    expect(warnings).toEqual(['Using lenient decoding as strict decoding failed: strict decoding error: unknown field "foo", unknown field "iptables.bar"']);
  });

  it('refuses an unknown feature gate with kube-proxy\'s text, and a gate that is not a boolean', () => {
    const e = thrown(() => decodeKubeProxyConfiguration({ featureGates: { Foo: true } }));
    expect([e.code, e.message, e.causes[0].field]).toEqual(['INVALID', 'unrecognized feature gate: Foo', 'featureGates.Foo']);
    const notBool = thrown(() => decodeKubeProxyConfiguration({ featureGates: { NFTablesProxyMode: 'yes' } }));
    expect([notBool.code, notBool.message]).toEqual(['BAD_REQUEST', 'json: cannot unmarshal string into Go struct field KubeProxyConfiguration.featureGates of type bool']);
    expect(thrown(() => decodeKubeProxyConfiguration([])).code).toBe('BAD_REQUEST');
  });

  it('treats inherited names as the unknown keys they are', () => {
    const before = Object.getOwnPropertyNames(Object.prototype).sort();
    const { config, warnings } = decodeKubeProxyConfiguration(JSON.parse('{"__proto__":{"mode":"ipvs"},"constructor":1,"iptables":{"toString":1}}'));
    expect(config).toEqual({ iptables: {} });
    expect((config as Record<string, unknown>).mode).toBeUndefined();
    expect(warnings[0]).toBe('Using lenient decoding as strict decoding failed: strict decoding error: unknown field "__proto__", unknown field "constructor", unknown field "iptables.toString"');
    expect(thrown(() => decodeKubeProxyConfiguration(JSON.parse('{"featureGates":{"__proto__":true}}'))).message).toBe('unrecognized feature gate: __proto__');
    expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(before);
  });
});
