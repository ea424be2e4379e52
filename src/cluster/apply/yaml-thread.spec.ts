import { DomainError } from '../../common/domain-error';
import { parseManifestYaml } from './manifests';
import { parseYamlObject, YAML_LIMITS } from './yaml-documents';
import { OFF_THREAD_BYTES, parseManifestYamlOffThread, parseYamlObjectOffThread } from './yaml-thread';

/** Every body goes to the thread. */
const ALWAYS = 0;

/** What a call gives: its value, or its error's class, code and text. */
async function outcome(work: () => unknown): Promise<unknown> {
  try {
    return { value: await work() };
  } catch (e) {
    return { error: e instanceof DomainError ? ['DomainError', e.code, e.message, e.causes] : String(e) };
  }
}

describe('reading YAML in a worker thread', () => {
  const streams = [
    'a: yes\n---\n---\nb: 0777\nc: 2001-12-14\nd: .inf\n',
    'a: 1\n---\nb: "open\n',
    'a:\n  b: 1\n  c: 2\n  b: 3\n',
    '---\n'.repeat(YAML_LIMITS.documents + 1),
    `a: ${'['.repeat(200)}${']'.repeat(200)}`,
    '- '.repeat(200) + 'x\n',
    `a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: [*c, *c]\n`,
    'kind: List\nitems: [{a: 1}, {a: 2}]\n',
    'apiVersion: v1\nkind: Service\nmetadata: {name: a}\n---\n7\n',
    `apiVersion: v1\nkind: Service\nmetadata: {name: a}\nspec: ${'{a: '.repeat(60)}1${'}'.repeat(60)}\n`,
    '',
    'just text',
  ];

  it.each(streams.map((s) => [s.slice(0, 30), s]))('reads %j as the reader on the event loop does: the same documents, or the same error', async (_, text) => {
    expect(await outcome(() => parseManifestYamlOffThread(text, ALWAYS))).toEqual(await outcome(() => parseManifestYaml(text)));
    expect(await outcome(() => parseYamlObjectOffThread(text, ALWAYS))).toEqual(await outcome(() => parseYamlObject(text)));
  });

  it('refuses as the reader does, with a DomainError (400 at the HTTP edge)', async () => {
    await expect(parseYamlObjectOffThread('a: 1\n---\nb: 2\n', ALWAYS)).rejects.toThrow(new DomainError('BAD_REQUEST', 'the request body holds more than one YAML document: send one object'));
    await expect(parseYamlObjectOffThread('a: 1\n---\nb: 2\n', ALWAYS)).rejects.toBeInstanceOf(DomainError);
  });

  it('keeps a `__proto__` key an own key, and no prototype changes', async () => {
    const value = (await parseYamlObjectOffThread('a: 1\n__proto__: {polluted: true}\n', ALWAYS)) as Record<string, unknown>;
    expect(Object.getOwnPropertyNames(value)).toEqual(['a', '__proto__']);
    // Messages from a thread are built in Node's own realm, not the test's: its Object.prototype.
    const prototype = Object.getPrototypeOf(value);
    expect(Object.getPrototypeOf(prototype)).toBeNull();
    expect(Object.getOwnPropertyNames(prototype)).toContain('hasOwnProperty');
    expect(prototype.polluted).toBeUndefined();
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('answers jobs sent together, each with its own result', async () => {
    const texts = Array.from({ length: 8 }, (_, i) => `n: ${i}\n${i % 3 === 0 ? 'n: again\n' : ''}`);
    const answers = await Promise.all(texts.map((t) => outcome(() => parseYamlObjectOffThread(t, ALWAYS))));
    expect(answers).toEqual(await Promise.all(texts.map((t) => outcome(() => parseYamlObject(t)))));
  });

  it('leaves the event loop free while a large body is read', async () => {
    const text = Array.from({ length: 2000 }, (_, i) => `---\nkind: Service\nmetadata:\n  name: s-${i}\n`).join('');
    expect(text.length).toBeGreaterThan(OFF_THREAD_BYTES);
    let turns = 0;
    const tick = setInterval(() => turns++, 0);
    const docs = await parseManifestYamlOffThread(text);
    clearInterval(tick);
    expect(docs).toHaveLength(2000);
    expect(turns).toBeGreaterThan(0);
    // A short body is read at once, on the event loop.
    turns = 0;
    const again = setInterval(() => turns++, 0);
    await parseManifestYamlOffThread('kind: Service\n');
    clearInterval(again);
    expect(turns).toBe(0);
  });
});
