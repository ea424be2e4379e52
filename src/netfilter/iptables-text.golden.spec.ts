/**
 * Golden files: fixtures/netfilter/*.rules are kube-proxy-style restore
 * inputs (and a few hand-written rulesets); each *.save beside it is what the
 * real `iptables-save` (1.8.9, nf_tables) printed after `iptables-restore`
 * of that input (see fixtures/netfilter/regenerate.sh). Printing what we
 * parsed must give back those bytes, and the .save text must round-trip.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { printIptablesSave } from './iptables-save.printer';
import { parseRuleset as parseRules } from './iptables-text.parser';
import { IpsetStore } from './ipset/ipset-store';
import { restoreIpsets } from './ipset/ipset-text';

const FIXTURES = join(__dirname, '..', '..', 'fixtures', 'netfilter');
const names = readdirSync(FIXTURES)
  .filter((f) => f.endsWith('.rules'))
  .map((f) => f.slice(0, -'.rules'.length))
  .sort();

/** The text without `#` lines, as lines, so a failure shows a line diff. */
function lines(text: string): string[] {
  return text.split('\n').filter((l) => !l.startsWith('#'));
}

function read(name: string, ext: string): string {
  return readFileSync(join(FIXTURES, `${name}.${ext}`), 'utf8');
}

/** The fixture's sets (NAME.ipset beside it, when its rules name ipsets). */
function ipsetsOf(name: string): IpsetStore | undefined {
  const file = join(FIXTURES, `${name}.ipset`);
  if (!existsSync(file)) return undefined;
  const store = new IpsetStore();
  restoreIpsets(store, readFileSync(file, 'utf8'), { now: 0 });
  return store;
}

describe('golden iptables-save files', () => {
  it('has at least ten fixtures, each with its .save', () => {
    expect(names.length).toBeGreaterThanOrEqual(10);
    for (const name of names) expect(() => read(name, 'save')).not.toThrow();
  });

  describe.each(names)('%s', (name) => {
    const parseRuleset = (text: string) => parseRules(text, { ipsets: ipsetsOf(name) });
    it('prints the restore input exactly as iptables-save printed it', () => {
      const printed = printIptablesSave(parseRuleset(read(name, 'rules')));
      expect(lines(printed)).toEqual(lines(read(name, 'save')));
    });

    it('round-trips the iptables-save text', () => {
      const saved = read(name, 'save');
      expect(lines(printIptablesSave(parseRuleset(saved)))).toEqual(lines(saved));
    });

    it('resolves every jump to a chain of its table', () => {
      const ruleset = parseRuleset(read(name, 'rules'));
      for (const table of ruleset.tables()) {
        for (const chain of table.chains()) {
          for (const rule of chain.rules) {
            const target = rule.target?.chain;
            if (target !== undefined) expect(table.chain(target)?.builtin).toBe(false);
          }
        }
      }
    });
  });
});
