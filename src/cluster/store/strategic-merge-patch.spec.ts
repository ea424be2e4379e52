import { applyStrategicMergePatch } from './strategic-merge-patch';

describe('strategic merge patch', () => {
  const service = {
    metadata: { name: 'web', finalizers: ['a'] },
    spec: {
      ports: [
        { name: 'http', port: 80, targetPort: 8080 },
        { name: 'https', port: 443, targetPort: 8443 },
      ],
      selector: { app: 'web' },
    },
  };

  it('merges list elements by their merge key, as kubectl apply expects', () => {
    const out = applyStrategicMergePatch(service, {
      $setElementOrder: undefined,
      spec: { '$setElementOrder/ports': [{ port: 443 }, { port: 80 }], ports: [{ port: 80, targetPort: 9090 }] },
    }) as typeof service;
    expect(out.spec.ports).toEqual([
      { name: 'https', port: 443, targetPort: 8443 },
      { name: 'http', port: 80, targetPort: 9090 },
    ]);
  });

  it('deletes an element with $patch: delete, and replaces a list with $patch: replace', () => {
    const deleted = applyStrategicMergePatch(service, { spec: { ports: [{ port: 443, $patch: 'delete' }] } }) as typeof service;
    expect(deleted.spec.ports.map((p) => p.port)).toEqual([80]);
    const replaced = applyStrategicMergePatch(service, { spec: { ports: [{ port: 1 }, { $patch: 'replace' }] } }) as typeof service;
    expect(replaced.spec.ports).toEqual([{ port: 1 }]);
  });

  it('keys container ports by containerPort, merges finalizers as a set, and honours $deleteFromPrimitiveList', () => {
    const pod = { metadata: { finalizers: ['a'] }, spec: { containers: [{ name: 'c', image: 'x', ports: [{ containerPort: 80, name: 'http' }] }] } };
    const out = applyStrategicMergePatch(pod, {
      metadata: { finalizers: ['b'], '$deleteFromPrimitiveList/finalizers': ['a'] },
      spec: { containers: [{ name: 'c', image: 'y', ports: [{ containerPort: 80, protocol: 'TCP' }] }] },
    }) as typeof pod & { spec: { containers: Array<{ ports: unknown[] }> } };
    expect(out.metadata.finalizers).toEqual(['b']);
    expect(out.spec.containers[0]).toEqual({ name: 'c', image: 'y', ports: [{ containerPort: 80, name: 'http', protocol: 'TCP' }] });
  });

  it('null deletes a key, as in a merge patch', () => {
    const out = applyStrategicMergePatch(service, { spec: { selector: null } }) as { spec: Record<string, unknown> };
    expect(out.spec).not.toHaveProperty('selector');
  });
});
