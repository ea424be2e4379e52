/**
 * The real-dump corpus (fixtures/netfilter-corpus/): public iptables dumps as
 * they were published, each with NAME.expected, what the real
 * `iptables-restore` + `iptables-save` 1.8.9 (nf_tables) made of it
 * (fixtures/netfilter-corpus/regenerate.sh).
 *
 * For every dump, manifest.json says how far kube-netsim gets today: which
 * lines load only with `unsupported: 'keep'`, which are refused even so (a
 * table we do not model), and which lines of the real tool's printing we do
 * not give back (a kept line is printed as given, not rewritten as the real
 * tool does). This spec holds the parser to exactly that: it fails when a dump
 * loads or prints worse than the manifest says, and also when it does better,
 * so that the manifest is tightened as modules land and cannot go stale.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { DomainError } from '../common/domain-error';
import { printIptablesSave } from './iptables-save.printer';
import { restoreRuleset, type RestoreOptions } from './iptables-text.parser';
import { corpusIpsets } from '../../test/support/corpus-ipsets';
import { Ruleset } from './ruleset';

const CORPUS = join(__dirname, '..', '..', 'fixtures', 'netfilter-corpus');

interface CorpusEntry {
  /** Lines of NAME.save that load only with unsupported=keep today. */
  readonly keep: readonly number[];
  /** Lines refused even with unsupported=keep. */
  readonly refused?: readonly number[];
  /** Lines of NAME.expected that our printing does not give today. */
  readonly printDiffers?: readonly number[];
  readonly probes: readonly unknown[];
}

const manifest = JSON.parse(readFileSync(join(CORPUS, 'manifest.json'), 'utf8')) as { dumps: Record<string, CorpusEntry> };
const dumps = readdirSync(CORPUS)
  .filter((f) => f.endsWith('.save'))
  .map((f) => f.slice(0, -'.save'.length))
  .sort();
const readme = readFileSync(join(CORPUS, 'README.md'), 'utf8');

const read = (name: string, ext: string): string => readFileSync(join(CORPUS, `${name}.${ext}`), 'utf8');

/** The loaded ruleset, or the text lines the refusal names (its causes are `rules:N`). */
function load(text: string, options: RestoreOptions): { ruleset: Ruleset; kept: number[] } | { refusedLines: number[] } {
  const ruleset = new Ruleset();
  try {
    const result = restoreRuleset(ruleset, text, { ...options, ipsets: corpusIpsets(text) });
    return { ruleset, kept: result.kept.map((k) => k.line) };
  } catch (e) {
    if (!(e instanceof DomainError)) throw e;
    return { refusedLines: e.causes.map((c) => Number((c.field ?? '').replace(/^rules:/, ''))) };
  }
}

/** 1-based lines where two texts differ (line by line). */
function differingLines(printed: string, expected: string): number[] {
  const a = printed.split('\n');
  const b = expected.split('\n');
  const lines: number[] = [];
  for (let i = 0; i < Math.max(a.length, b.length); i++) if (a[i] !== b[i]) lines.push(i + 1);
  return lines;
}

const sorted = (lines: readonly number[]): number[] => [...lines].sort((x, y) => x - y);

describe('the real-dump corpus', () => {
  it('holds at least 30 dumps, each with its expected printing, a manifest entry, a probe and a source in the README', () => {
    expect(dumps.length).toBeGreaterThanOrEqual(30);
    expect(Object.keys(manifest.dumps).sort()).toEqual(dumps);
    for (const name of dumps) {
      expect({ name, expected: read(name, 'expected').length > 0 }).toEqual({ name, expected: true });
      expect({ name, probes: manifest.dumps[name].probes.length > 0 }).toEqual({ name, probes: true });
      expect({ name, inReadme: readme.includes(`\`${name}\``) }).toEqual({ name, inReadme: true });
    }
  });

  describe.each(dumps)('%s', (name) => {
    const entry = manifest.dumps[name];
    const text = read(name, 'save');
    const expected = read(name, 'expected');
    const refused = sorted(entry.refused ?? []);
    const keep = sorted(entry.keep);

    it('without unsupported=keep: loads, or is refused on exactly the lines the manifest names', () => {
      const strict = load(text, {});
      if (keep.length === 0 && refused.length === 0) {
        expect(strict).toHaveProperty('ruleset');
      } else {
        // A line that loads now (a module landed): remove it from the manifest.
        expect({ refusedLines: 'refusedLines' in strict ? sorted(strict.refusedLines) : 'loads' }).toEqual({ refusedLines: sorted([...keep, ...refused]) });
      }
    });

    it('with unsupported=keep: keeps exactly the manifest lines (or is refused on them)', () => {
      const lenient = load(text, { unsupported: 'keep' });
      if (refused.length > 0) {
        expect({ refusedLines: 'refusedLines' in lenient ? sorted(lenient.refusedLines) : 'loads' }).toEqual({ refusedLines: refused });
      } else {
        expect({ kept: 'kept' in lenient ? sorted(lenient.kept) : lenient.refusedLines }).toEqual({ kept: keep });
      }
    });

    it("prints what the real iptables-save printed, except the manifest's printDiffers lines", () => {
      const lenient = load(text, { unsupported: 'keep' });
      if (!('ruleset' in lenient)) {
        expect(refused.length).toBeGreaterThan(0);
        return;
      }
      const printed = printIptablesSave(lenient.ruleset, { comments: false });
      const differs = sorted(entry.printDiffers ?? []);
      if (differs.length === 0) expect(printed).toBe(expected);
      else expect(differingLines(printed, expected)).toEqual(differs);
    });
  });
});
