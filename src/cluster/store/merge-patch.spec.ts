import { DomainError } from '../../common/domain-error';
import { jsonNestingExceeded, MAX_NESTING_DEPTH } from '../../common/limits';
import { applyMergePatch, assertNestingDepth } from './merge-patch';

describe('JSON merge patch (RFC 7386)', () => {
  const doc = { metadata: { name: 'web', labels: { app: 'web' } }, spec: { ports: [{ port: 80 }], selector: { app: 'web' } } };

  it('merges objects, deletes with null, replaces lists, and changes neither argument', () => {
    const patch = { metadata: { labels: { tier: 'front', app: null } }, spec: { ports: [{ port: 81 }] } };
    expect(applyMergePatch(doc, patch)).toEqual({ metadata: { name: 'web', labels: { tier: 'front' } }, spec: { ports: [{ port: 81 }], selector: { app: 'web' } } });
    expect(doc.metadata.labels).toEqual({ app: 'web' });
    expect(patch.metadata.labels).toEqual({ tier: 'front', app: null });
  });

  it('has no directives: $patch and $retainKeys are keys like any other', () => {
    const out = applyMergePatch(doc, { spec: { $patch: 'replace', $retainKeys: ['ports'] }, metadata: { labels: { $patch: 'delete' } } });
    expect(out).toEqual({
      metadata: { name: 'web', labels: { app: 'web', $patch: 'delete' } },
      spec: { ports: [{ port: 80 }], selector: { app: 'web' }, $patch: 'replace', $retainKeys: ['ports'] },
    });
  });

  it('merges __proto__, constructor and prototype as own keys, reaching no prototype', () => {
    const out = applyMergePatch(doc, JSON.parse('{"__proto__":{"polluted":1},"spec":{"constructor":{"prototype":{"polluted":2}}}}')) as Record<string, unknown>;
    expect(out.polluted).toBeUndefined();
    expect(Object.keys(out)).toEqual(['metadata', 'spec', '__proto__']);
    expect((out.spec as Record<string, unknown>).constructor).toEqual({ prototype: { polluted: 2 } });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('refuses a body nested deeper than the limit, without recursion, counting levels as the text scan does', () => {
    const nested = (levels: number) => {
      let deep: unknown = 1;
      for (let i = 0; i < levels; i++) deep = { a: deep };
      return deep;
    };
    expect(jsonNestingExceeded(JSON.stringify(nested(MAX_NESTING_DEPTH)))).toBe(-1);
    expect(() => assertNestingDepth(nested(MAX_NESTING_DEPTH))).not.toThrow();
    expect(jsonNestingExceeded(JSON.stringify(nested(MAX_NESTING_DEPTH + 1)))).not.toBe(-1);
    expect(() => assertNestingDepth(nested(MAX_NESTING_DEPTH + 1))).toThrow(DomainError);
    expect(() => assertNestingDepth({ a: { b: [1, 2] } })).not.toThrow();
  });
});
