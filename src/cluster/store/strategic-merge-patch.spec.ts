import { DomainError } from '../../common/domain-error';
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

describe('strategic merge patch directives, as apimachinery applies them', () => {
  const service = {
    metadata: { name: 'web', labels: { app: 'web', tier: 'front' }, finalizers: ['a', 'b'] },
    spec: { type: 'ClusterIP', ports: [{ name: 'http', port: 80 }, { name: 'https', port: 443 }], selector: { app: 'web' } },
  };
  function refusal(patch: unknown): { code: string; message: string } {
    try {
      applyStrategicMergePatch(service, patch);
    } catch (e) {
      if (e instanceof DomainError) return { code: e.code, message: e.message };
      throw e;
    }
    throw new Error('the patch applied');
  }

  it('$patch: replace makes a map the patch map; $patch: delete empties it (at the root too)', () => {
    const out = applyStrategicMergePatch(service, { metadata: { labels: { $patch: 'replace', only: 'me' } } }) as typeof service;
    expect(out.metadata.labels).toEqual({ only: 'me' });
    expect((applyStrategicMergePatch(service, { spec: { selector: { $patch: 'delete' } } }) as typeof service).spec.selector).toEqual({});
    expect(applyStrategicMergePatch(service, { $patch: 'delete' })).toEqual({});
  });

  it('$retainKeys clears the keys not listed, and refuses a patch key it does not list', () => {
    const out = applyStrategicMergePatch(service, { spec: { $retainKeys: ['type', 'ports'], type: 'NodePort' } }) as { spec: Record<string, unknown> };
    expect(out.spec).toEqual({ type: 'NodePort', ports: service.spec.ports });
    expect(refusal({ spec: { $retainKeys: ['type'], selector: { a: 'b' } } })).toEqual({ code: 'BAD_REQUEST', message: 'invalid patch format of retainKeys' });
    expect(refusal({ spec: { $retainKeys: 'type' } })).toEqual({ code: 'BAD_REQUEST', message: 'invalid patch format of retainKeys' });
  });

  it('$deleteFromPrimitiveList/<list> and $setElementOrder/<list>', () => {
    const out = applyStrategicMergePatch(service, {
      metadata: { '$deleteFromPrimitiveList/finalizers': ['a'] },
      spec: { '$setElementOrder/ports': [{ port: 443 }, { port: 80 }] },
    }) as typeof service;
    expect(out.metadata.finalizers).toEqual(['b']);
    expect(out.spec.ports.map((p) => p.port)).toEqual([443, 80]);
    expect(refusal({ metadata: { $deleteFromPrimitiveList: ['a'] } })).toEqual({ code: 'BAD_REQUEST', message: 'invalid patch format of primitive list' });
    expect(refusal({ spec: { $setElementOrderports: [] } })).toEqual({ code: 'BAD_REQUEST', message: 'invalid patch format of setElementOrder list' });
  });

  it('orders a merged list as apimachinery does: patch items in patch order, interleaved with live-only items by their live order', () => {
    const three = { spec: { ports: [{ port: 80 }, { port: 443 }, { port: 53 }] }, metadata: { finalizers: ['a', 'b', 'c'] } };
    const ports = (patch: unknown) => ((applyStrategicMergePatch(three, patch) as typeof three).spec.ports as Array<{ port: number }>).map((p) => p.port);
    expect(ports({ spec: { ports: [{ port: 8080 }, { port: 443, name: 'x' }] } })).toEqual([8080, 80, 443, 53]);
    expect(ports({ spec: { ports: [{ port: 53 }, { port: 80 }] } })).toEqual([443, 53, 80]);
    expect(ports({ spec: { ports: [{ port: 443 }, { port: 9 }] } })).toEqual([80, 443, 9, 53]);
    expect((applyStrategicMergePatch(three, { metadata: { finalizers: ['d', 'a'] } }) as typeof three).metadata.finalizers).toEqual(['d', 'a', 'b', 'c']);
    expect(ports({ spec: { '$setElementOrder/ports': [{ port: 53 }, { port: 443 }, { port: 80 }] } })).toEqual([53, 443, 80]);
  });

  it('refuses what upstream refuses, with its texts', () => {
    expect(refusal({ spec: { $patch: 'merge' } })).toEqual({ code: 'BAD_REQUEST', message: 'unknown patch type: merge in map: map[$patch:merge]' });
    expect(refusal({ spec: { $patch: 5, a: { b: 'c' } } }).message).toBe('unknown patch type: %!s(float64=5) in map: map[$patch:5 a:map[b:c]]');
    expect(refusal({ spec: { ports: [{ $patch: 'merge' }] } }).message).toBe('merging lists cannot yet be specified in the patch');
    expect(refusal({ spec: { ports: [{ $patch: 'delete', name: 'http' }] } }).message).toBe('map: map[$patch:delete name:http] does not contain declared merge key: port');
    expect(refusal({ spec: { ports: [{ name: 'x' }] } }).message).toBe('map: map[name:x] does not contain declared merge key: port');
    expect(refusal([{ op: 'add' }])).toEqual({ code: 'BAD_REQUEST', message: 'json: cannot unmarshal array into Go value of type map[string]interface {}' });
  });

  it('applies directives inside values new to the object, and never lets a key reach a prototype', () => {
    const out = applyStrategicMergePatch({ metadata: { name: 'x' } }, JSON.parse('{"spec":{"ports":[{"port":1,"$patch":"replace"},{"port":2}]},"__proto__":{"polluted":1},"constructor":{"a":1}}')) as Record<string, unknown>;
    expect((out.spec as { ports: unknown[] }).ports).toEqual([{ port: 2 }]);
    expect(out.polluted).toBeUndefined();
    expect(Object.getOwnPropertyDescriptor(out, '__proto__')?.value).toEqual({ polluted: 1 });
    expect(out.constructor).toEqual({ a: 1 });
  });
});
