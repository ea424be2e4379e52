import fc from 'fast-check';
import { CompiledPorts } from './compiled-ports';
import type { CompiledServicePort, OwnChainsPlan } from './service-rules';
import { TextChunks } from './text-chunks';

type Entry = CompiledServicePort & { ownRuleLines?: number };

function entry(key: string, version = 0, noLocal = false): Entry {
  return {
    key,
    serviceKey: key.split(':')[0],
    filterRules: version % 3 === 0 ? { text: '', lines: 0 } : { text: `-A KUBE-SERVICES f ${key} v${version}`, lines: 1 },
    natRules: { text: `-A KUBE-SERVICES n ${key} v${version}\n-A KUBE-NODEPORTS n ${key}`, lines: 2 },
    chains: [],
    plan: {} as OwnChainsPlan,
    noLocalInternal: noLocal,
    noLocalExternal: false,
    endpointCount: 0,
  };
}

function texts(ports: CompiledPorts<Entry>): { filter: string[]; nat: string[]; keys: string[] } {
  const filter: string[] = [];
  const nat: string[] = [];
  for (const b of ports.fresh()) {
    if (b.filterText) filter.push(...b.filterText.split('\n'));
    if (b.natText) nat.push(...b.natText.split('\n'));
  }
  return { filter, nat, keys: [...ports.values()].map((e) => e.key) };
}

function expected(model: Map<string, Entry>): { filter: string[]; nat: string[]; keys: string[] } {
  const keys = [...model.keys()].sort();
  const filter: string[] = [];
  const nat: string[] = [];
  for (const k of keys) {
    const e = model.get(k)!;
    if (e.filterRules.lines) filter.push(e.filterRules.text);
    nat.push(...e.natRules.text.split('\n'));
  }
  return { filter, nat, keys };
}

describe('CompiledPorts', () => {
  it('keeps entries in key order with cached top-level text, through splits, updates and deletes', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 1999 }), fc.nat(5), fc.boolean()), { minLength: 1, maxLength: 3000 }),
        (ops) => {
          const ports = new CompiledPorts<Entry>();
          const model = new Map<string, Entry>();
          for (const [n, version, del] of ops) {
            const key = `ns/svc${n}:p/TCP`;
            if (del && version < 2) {
              expect(ports.delete(key)).toBe(model.get(key));
              model.delete(key);
            } else {
              const e = entry(key, version, n % 7 === 0);
              ports.set(e);
              model.set(key, e);
            }
          }
          expect(ports.size).toBe(model.size);
          expect(texts(ports)).toEqual(expected(model));
          expect(ports.noLocalEndpoints.internal).toBe([...model.values()].filter((e) => e.noLocalInternal).length);
          for (const key of model.keys()) expect(ports.bucketOf(key)?.keys).toContain(key);
        },
      ),
      { numRuns: 40 },
    );
  });

  it('sums the own-chain rules it was told about', () => {
    const ports = new CompiledPorts<Entry>();
    const a = entry('a');
    const b = entry('b');
    ports.set(a);
    ports.set(b);
    ports.recordOwnRuleLines(a, 5);
    ports.recordOwnRuleLines(b, 7);
    expect(ports.ownRuleLines).toBe(12);
    const a2 = entry('a', 1);
    ports.set(a2);
    expect(ports.ownRuleLines).toBe(7);
    ports.recordOwnRuleLines(a2, 3);
    ports.delete('b');
    expect(ports.ownRuleLines).toBe(3);
  });
});

describe('TextChunks', () => {
  it('joins blocks and lines with newlines, in order, across chunks', () => {
    const t = new TextChunks();
    const expectedLines: string[] = [];
    for (let i = 0; i < 20000; i++) {
      if (i % 3 === 0) {
        t.push({ text: `block ${i}\nsecond ${i}`, lines: 2 });
        expectedLines.push(`block ${i}`, `second ${i}`);
      } else {
        t.pushLines([`line ${i} ${'x'.repeat(60)}`]);
        expectedLines.push(`line ${i} ${'x'.repeat(60)}`);
      }
      t.push({ text: '', lines: 0 });
    }
    expect(t.done().length).toBeGreaterThan(1);
    expect(t.text()).toBe(expectedLines.join('\n'));
    expect(t.lines).toBe(expectedLines.length);
  });

  it('is empty when nothing was pushed', () => {
    expect(new TextChunks().done()).toEqual([]);
    expect(new TextChunks().text()).toBe('');
  });
});
