import { parseYamlObject, readYamlDocuments, YAML_LIMITS } from './yaml-documents';

describe('readYamlDocuments', () => {
  it('reads every document as YAML 1.1, empty ones as null, with the line each starts on', () => {
    const docs = readYamlDocuments('a: yes\n---\n---\nb: 0777\n');
    expect(docs).toEqual([
      { position: 1, line: 1, value: { a: true } },
      { position: 2, line: 2, value: null },
      { position: 3, line: 4, value: { b: 511 } },
    ]);
  });

  it('names the document, line and column of a syntax error', () => {
    expect(() => readYamlDocuments('a: 1\n---\nb: "open\n')).toThrow(/^error converting YAML to JSON: yaml: document 2, line 4, column 1: Missing closing "quote/);
  });

  it('refuses a key given twice in one mapping, at any depth', () => {
    expect(() => readYamlDocuments('a:\n  b: 1\n  c: 2\n  b: 3\n')).toThrow('error converting YAML to JSON: yaml: document 1, line 4: key "b" already set in map');
    expect(readYamlDocuments('- {a: 1}\n- {a: 2}\n')[0].value).toEqual([{ a: 1 }, { a: 2 }]);
  });

  it('refuses more documents than the limit', () => {
    expect(() => readYamlDocuments('---\n'.repeat(YAML_LIMITS.documents + 1))).toThrow(`the YAML stream has more than ${YAML_LIMITS.documents} documents`);
  });

  it('refuses nesting deeper than the limit, flow and block', () => {
    const depth = YAML_LIMITS.depth + 1;
    expect(() => readYamlDocuments(`a: ${'['.repeat(depth)}${']'.repeat(depth)}`)).toThrow(/^the request body nests deeper than 100 levels \(at line 1\)/);
    expect(() => readYamlDocuments('- '.repeat(depth) + 'x\n')).toThrow(/^the request body nests deeper than 100 levels/);
    expect(() => readYamlDocuments(`a: ${'['.repeat(YAML_LIMITS.depth - 1)}${']'.repeat(YAML_LIMITS.depth - 1)}`)).not.toThrow();
  });

  it('does not count brackets and dashes inside scalars', () => {
    const many = '['.repeat(200);
    expect(readYamlDocuments(`a: x${many}\nb: "${many}"\nc: '${many}'\nd: |\n  ${many}\n`)[0].value).toMatchObject({ a: `x${many}`, b: many, c: many, d: `${many}\n` });
  });

  it('refuses an alias bomb', () => {
    const bomb = ['a: &a [x, x, x, x, x, x, x, x, x]']
      .concat(Array.from({ length: 6 }, (_, i) => `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [${Array(9).fill(`*${String.fromCharCode(97 + i)}`).join(', ')}]`))
      .join('\n');
    expect(() => readYamlDocuments(bomb)).toThrow(/^document 1: Excessive alias count/);
  });
});

describe('parseYamlObject', () => {
  it('reads one object and refuses anything else', () => {
    expect(parseYamlObject('kind: Service\n')).toEqual({ kind: 'Service' });
    expect(() => parseYamlObject('a: 1\n---\nb: 2\n')).toThrow('the request body holds more than one YAML document: send one object');
    // Reading stops at the second document: a broken third is never looked at.
    expect(() => parseYamlObject('a: 1\n---\nb: 2\n---\nc: [\n')).toThrow('the request body holds more than one YAML document: send one object');
    expect(() => parseYamlObject('just text')).toThrow('the request body must be an object');
    expect(() => parseYamlObject('')).toThrow('the request body must be an object');
  });
});
