import { choiceParam, negotiateFormat } from './answer-format';
import { refusalOf as refusal } from '../../test/support/common/domain-error';

describe('answer format negotiation', () => {
  it('answers JSON without an Accept header, for */*, and when JSON and text are as welcome', () => {
    expect(negotiateFormat(undefined, undefined)).toBe('json');
    expect(negotiateFormat(undefined, '')).toBe('json');
    expect(negotiateFormat(undefined, '*/*')).toBe('json');
    expect(negotiateFormat(undefined, 'text/plain, application/json')).toBe('json');
    expect(negotiateFormat(undefined, 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8')).toBe('json');
  });

  it('answers text when the client prefers it, by q-values and the most specific range', () => {
    expect(negotiateFormat(undefined, 'text/plain')).toBe('text');
    expect(negotiateFormat(undefined, 'text/*')).toBe('text');
    expect(negotiateFormat(undefined, 'application/json;q=0.5, text/plain')).toBe('text');
    expect(negotiateFormat(undefined, 'text/plain, */*;q=0.1')).toBe('text');
    // The exact range overrides the wildcard that would have given JSON a higher q.
    expect(negotiateFormat(undefined, '*/*;q=0.9, application/json;q=0.1, text/plain;q=0.5')).toBe('text');
    expect(negotiateFormat(undefined, 'TEXT/PLAIN; charset=utf-8')).toBe('text');
  });

  it('lets the format parameter win over Accept', () => {
    expect(negotiateFormat('json', 'text/plain')).toBe('json');
    expect(negotiateFormat('text', 'application/json')).toBe('text');
    expect(negotiateFormat('text', 'application/yaml')).toBe('text');
  });

  it('refuses what it does not offer: 406 for Accept, 422 naming the field for a parameter', () => {
    const notAcceptable = refusal(() => negotiateFormat(undefined, 'application/yaml'));
    expect(notAcceptable.code).toBe('NOT_ACCEPTABLE');
    expect(notAcceptable.message).toBe('only the following media types are accepted: application/json, text/plain');
    expect(refusal(() => negotiateFormat(undefined, 'application/json;q=0, text/plain;q=0')).code).toBe('NOT_ACCEPTABLE');
    const bad = refusal(() => negotiateFormat('xml', undefined));
    expect(bad.code).toBe('INVALID');
    expect(bad.causes).toEqual([{ field: 'format', reason: 'FieldValueNotSupported', message: 'format: Unsupported value: "xml": supported values: "json", "text"' }]);
    expect(choiceParam('detail', undefined, ['summary', 'hops'], 'summary')).toBe('summary');
    expect(choiceParam('detail', 'hops', ['summary', 'hops'], 'summary')).toBe('hops');
    expect(refusal(() => choiceParam('detail', 'HOPS', ['summary', 'hops'], 'summary')).causes[0].field).toBe('detail');
  });
});
