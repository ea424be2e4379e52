import { DomainError } from '../../common/domain-error';
import { applyJsonPatch, MAX_ACCUMULATED_COPY_BYTES, MAX_OPERATIONS, parsePointer, PATCH_REJECTED } from './json-patch';

/** The DomainError a patch raises: its code and its one cause's text. */
function refusal(doc: unknown, ops: unknown): { code: string; message: string; cause?: string; field?: string } {
  try {
    applyJsonPatch(doc, ops);
  } catch (e) {
    if (!(e instanceof DomainError)) throw e;
    return { code: e.code, message: e.message, cause: e.causes[0]?.message, field: e.causes[0]?.field };
  }
  throw new Error('the patch applied');
}

describe('JSON patch (RFC 6902)', () => {
  const doc = { metadata: { name: 'web', labels: { 'a/b': '1', 'c~d': '2' } }, spec: { replicas: 1, list: [1, 2] } };

  it('adds, replaces, removes and tests, without changing its input', () => {
    expect(
      applyJsonPatch(doc, [
        { op: 'replace', path: '/spec/replicas', value: 5 },
        { op: 'add', path: '/spec/list/-', value: 3 },
        { op: 'add', path: '/spec/list/0', value: 0 },
        { op: 'remove', path: '/spec/list/1' },
        { op: 'test', path: '/spec/replicas', value: 5 },
      ]),
    ).toEqual({ ...doc, spec: { replicas: 5, list: [0, 2, 3] } });
    expect(doc.spec).toEqual({ replicas: 1, list: [1, 2] });
  });

  it('moves and copies, and a copy is not shared with its source', () => {
    const out = applyJsonPatch(doc, [
      { op: 'copy', from: '/spec/list', path: '/spec/copy' },
      { op: 'add', path: '/spec/copy/-', value: 9 },
      { op: 'move', from: '/spec/replicas', path: '/spec/count' },
    ]) as { spec: Record<string, unknown> };
    expect(out.spec).toEqual({ list: [1, 2], copy: [1, 2, 9], count: 1 });
  });

  it('reads ~1 as "/" and ~0 as "~" (RFC 6901)', () => {
    const out = applyJsonPatch(doc, [
      { op: 'replace', path: '/metadata/labels/a~1b', value: 'x' },
      { op: 'remove', path: '/metadata/labels/c~0d' },
    ]) as typeof doc;
    expect(out.metadata.labels).toEqual({ 'a/b': 'x' });
    expect(parsePointer('/~01')).toEqual(['~1']);
  });

  it('compares objects by content in a test, whatever the key order', () => {
    const d = { spec: { v: { a: 1, b: [1, { c: 2 }] } } };
    expect(applyJsonPatch(d, [{ op: 'test', path: '/spec/v', value: { b: [1, { c: 2 }], a: 1 } }])).toEqual(d);
    expect(refusal(d, [{ op: 'test', path: '/spec/v', value: { a: 1, b: [1, { c: 2 }], x: 0 } }]).cause).toBe('testing value /spec/v failed: test failed');
    expect(() => applyJsonPatch(doc, [{ op: 'test', path: '/metadata/labels', value: { 'c~d': '2', 'a/b': '1' } }])).not.toThrow();
  });

  it('answers an operation that does not apply as the API server does: 422 with its fixed message, the detail in a cause', () => {
    expect(refusal(doc, [{ op: 'replace', path: '/spec/nothing', value: 1 }])).toEqual({
      code: 'INVALID',
      message: PATCH_REJECTED,
      cause: 'replace operation does not apply: doc is missing key: /spec/nothing: missing value',
      field: 'patch[0]',
    });
    expect(refusal(doc, [{ op: 'test', path: '/spec/replicas', value: 2 }]).cause).toBe('testing value /spec/replicas failed: test failed');
    expect(refusal(doc, [{ op: 'test', path: '/spec/replicas', value: 1 }, { op: 'frob', path: '/x' }])).toMatchObject({
      cause: 'Unexpected kind: frob',
      field: 'patch[1]',
    });
    expect(refusal(doc, [{ path: '/x' }]).cause).toBe('Unexpected kind: unknown');
    expect(refusal(doc, [{ op: 'add', value: 1 }]).cause).toBe('add operation failed to decode path: missing value');
    expect(refusal(doc, [{ op: 'add', path: '/spec/x' }]).cause).toBe('add operation, missing value field: missing value');
    expect(refusal(doc, [{ op: 'add', path: '/nothing/x', value: 1 }]).cause).toBe(
      'add operation does not apply: doc is missing path: "/nothing/x": missing value',
    );
    expect(refusal(doc, [{ op: 'remove', path: '/spec/nothing' }]).cause).toBe(
      'remove operation does not apply: doc is missing path: "/spec/nothing": missing value',
    );
    expect(refusal(doc, [{ op: 'move', from: '/spec/nothing', path: '/spec/x' }]).cause).toBe(
      'move operation does not apply: doc is missing from path: /spec/nothing: missing value',
    );
  });

  it('refuses copies that together add more than 3 MiB, as the API server bounds them: a short patch cannot grow a document without bound', () => {
    // Each copy doubles /a: 40 operations would make about 2^40 bytes.
    const doublings = Array.from({ length: 40 }, (_, i) => ({ op: 'copy', from: '/a', path: `/a/x${i}` }));
    const result = refusal({ a: { seed: 'x'.repeat(100) } }, doublings);
    expect(result).toMatchObject({ code: 'INVALID', message: PATCH_REJECTED });
    expect(result.cause).toMatch(new RegExp(`^Unable to complete the copy, the accumulated size increase of copy is \\d+, exceeding the limit ${MAX_ACCUMULATED_COPY_BYTES}$`));
    // Copies within the limit apply.
    const few = applyJsonPatch({ a: { seed: 'x'.repeat(100) } }, doublings.slice(0, 4)) as { a: Record<string, unknown> };
    expect(Object.keys(few.a)).toEqual(['seed', 'x0', 'x1', 'x2', 'x3']);
  });

  it('refuses what is not a list of operations with Go decoding texts (400)', () => {
    expect(refusal(doc, { op: 'add' })).toEqual({ code: 'BAD_REQUEST', message: 'json: cannot unmarshal object into Go value of type jsonpatch.Patch' });
    expect(refusal(doc, ['add'])).toMatchObject({ code: 'BAD_REQUEST', message: 'json: cannot unmarshal string into Go value of type jsonpatch.Operation' });
    expect(applyJsonPatch(doc, null)).toEqual(doc);
    const many = Array.from({ length: MAX_OPERATIONS + 1 }, () => ({ op: 'test', path: '/spec/replicas', value: 1 }));
    expect(refusal(doc, many)).toEqual({
      code: 'REQUEST_ENTITY_TOO_LARGE',
      message: 'Request entity too large: The allowed maximum operations in a JSON patch is 10000, got 10001',
    });
    expect(() => applyJsonPatch(doc, many.slice(1))).not.toThrow();
  });

  it('refuses invalid pointers: no leading "/", "~" not followed by 0 or 1', () => {
    expect(refusal(doc, [{ op: 'add', path: 'spec/x', value: 1 }]).cause).toBe('invalid JSON pointer "spec/x": a pointer is empty or starts with "/"');
    for (const path of ['/metadata/labels/a~2b', '/metadata/labels/a~', '/x~a']) {
      expect(refusal(doc, [{ op: 'add', path, value: '1' }]).cause).toBe(
        `invalid JSON pointer ${JSON.stringify(path)}: "~" must be followed by "0" or "1" (the escapes are ~0 for "~" and ~1 for "/")`,
      );
    }
  });

  it('takes array indices as RFC 6901 writes them: no leading zero, no sign, "-" only to add', () => {
    for (const index of ['01', '+1', '-1', '1.0', ' 1']) {
      expect(refusal(doc, [{ op: 'replace', path: `/spec/list/${index}`, value: 0 }]).cause).toBe(
        `Unable to access invalid index: ${index}: invalid index referenced`,
      );
    }
    expect(refusal(doc, [{ op: 'replace', path: '/spec/list/-', value: 0 }]).cause).toBe('Unable to access invalid index: -: invalid index referenced');
    expect(refusal(doc, [{ op: 'add', path: '/spec/list/3', value: 0 }]).cause).toBe('Unable to access invalid index: 3: invalid index referenced');
    expect(refusal(doc, [{ op: 'remove', path: '/spec/list/2' }]).cause).toBe('Unable to remove invalid index: 2: invalid index referenced');
    expect(refusal(doc, [{ op: 'test', path: '/spec/list/01', value: 2 }]).cause).toBe('test operation does not apply: is missing path: /spec/list/01: missing value');
    expect(applyJsonPatch(doc, [{ op: 'add', path: '/spec/list/2', value: 3 }])).toMatchObject({ spec: { list: [1, 2, 3] } });
  });

  it('applies no operation to the whole document (the path ""), as the API server does', () => {
    expect(refusal(doc, [{ op: 'replace', path: '', value: {} }]).cause).toBe('replace operation does not apply: doc is missing path: : missing value');
    expect(refusal(doc, [{ op: 'add', path: '', value: {} }]).cause).toBe('add operation does not apply: doc is missing path: "": missing value');
    expect(refusal(doc, [{ op: 'copy', from: '', path: '/x' }]).cause).toBe('copy operation does not apply: doc is missing from path: : missing value');
  });

  it('does not move a value into itself', () => {
    expect(refusal(doc, [{ op: 'move', from: '/spec', path: '/spec/inner' }]).cause).toBe(
      'move operation does not apply: doc is missing destination path: /spec/inner: missing value',
    );
    expect(applyJsonPatch(doc, [{ op: 'move', from: '/spec', path: '/spec' }])).toEqual(doc);
  });

  it('treats __proto__, constructor and prototype as plain keys: nothing reaches a prototype', () => {
    // structuredClone makes objects of Node's own realm, whose Object.prototype is not Jest's: watch both.
    const prototypes = [Object.prototype, Object.getPrototypeOf(structuredClone({}))];
    const before = prototypes.map((p) => Object.getOwnPropertyNames(p).sort());
    const out = applyJsonPatch(doc, [
      { op: 'add', path: '/__proto__', value: { polluted: true } },
      { op: 'add', path: '/metadata/constructor', value: 'c' },
      { op: 'copy', from: '/metadata/constructor', path: '/metadata/prototype' },
    ]) as Record<string, unknown>;
    expect(prototypes.map((p) => Object.getOwnPropertyNames(p).sort())).toEqual(before);
    expect(out.polluted).toBeUndefined();
    expect(Object.getPrototypeOf(Object.getPrototypeOf(out))).toBeNull();
    expect(Object.getOwnPropertyDescriptor(out, '__proto__')?.value).toEqual({ polluted: true });
    expect(out.metadata).toMatchObject({ constructor: 'c', prototype: 'c' });
    // Inherited members are not part of the document.
    expect(refusal(doc, [{ op: 'add', path: '/__proto__/sessionAffinity', value: 'ClientIP' }]).cause).toBe(
      'add operation does not apply: doc is missing path: "/__proto__/sessionAffinity": missing value',
    );
    expect(refusal(doc, [{ op: 'copy', from: '/constructor', path: '/x' }]).cause).toBe('copy operation does not apply: doc is missing from path: /constructor: missing value');
    expect(refusal(doc, [{ op: 'replace', path: '/spec/toString', value: 1 }]).cause).toBe(
      'replace operation does not apply: doc is missing key: /spec/toString: missing value',
    );
    expect(prototypes.map((p) => Object.getOwnPropertyNames(p).sort())).toEqual(before);
  });
});
