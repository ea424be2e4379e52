import { DomainError } from '../common/domain-error';
import { parseTrafficSource, trafficSourceText } from './traffic-source';

function refusal(value: unknown): { message: string; field?: string } {
  try {
    parseTrafficSource(value);
  } catch (e) {
    if (e instanceof DomainError) return { message: e.message, field: e.causes[0]?.field };
    throw e;
  }
  throw new Error('not refused');
}

describe('parseTrafficSource', () => {
  it('reads a pod, a node, and an outside client written external/IP or {"external": "IP"}', () => {
    expect(parseTrafficSource('pod/default/db-0')).toEqual({ kind: 'pod', namespace: 'default', name: 'db-0' });
    expect(parseTrafficSource('node/kind-worker')).toEqual({ kind: 'node', name: 'kind-worker' });
    expect(parseTrafficSource('external/203.0.113.7')).toEqual({ kind: 'external', address: 0xcb007107, text: '203.0.113.7' });
    expect(parseTrafficSource({ external: '203.0.113.7' })).toEqual(parseTrafficSource('external/203.0.113.7'));
  });

  it('refuses anything else with one message naming the forms', () => {
    const forms = 'must be pod/NAMESPACE/NAME, node/NAME, external/IP or {"external": "IP"}';
    expect(refusal('deployment/web')).toEqual({ message: `from: Invalid value: "deployment/web": ${forms}`, field: 'from' });
    expect(refusal('pod/default')).toEqual({ message: `from: Invalid value: "pod/default": ${forms}`, field: 'from' });
    expect(refusal({ external: '203.0.113.7', port: 1 })).toEqual({ message: `from: Invalid value: {"external":"203.0.113.7","port":1}: ${forms}`, field: 'from' });
    expect(refusal(7)).toEqual({ message: `from: Invalid value: 7: ${forms}`, field: 'from' });
    expect(refusal('external/300.1.1.1')).toEqual({ message: 'from.external: Invalid value: "300.1.1.1": must be an IPv4 or IPv6 address', field: 'from.external' });
    expect(refusal({ external: 5 })).toEqual({ message: 'from.external: Invalid value: 5: must be an IPv4 or IPv6 address', field: 'from.external' });
  });

  it('writes a source back as a query takes it', () => {
    expect(trafficSourceText({ external: '203.0.113.7' })).toBe('external/203.0.113.7');
    expect(trafficSourceText('node/kind-worker')).toBe('node/kind-worker');
  });
});
