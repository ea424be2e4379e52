/**
 * ip6tables golden files: fixtures/netfilter/ipv6/*.rules are ip6tables
 * restore inputs; each *.save beside it is what the real `ip6tables-save`
 * (1.8.9, nf_tables) printed after `ip6tables-restore` of that input in a
 * network namespace (fixtures/netfilter/regenerate.sh). Read as an ip6tables
 * ruleset, printing must give back those bytes, and the .save text must
 * round-trip.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { printIptablesSave } from './iptables-save.printer';
import { parseRuleset } from './iptables-text.parser';

const FIXTURES = join(__dirname, '..', '..', 'fixtures', 'netfilter', 'ipv6');
const names = readdirSync(FIXTURES)
  .filter((f) => f.endsWith('.rules'))
  .map((f) => f.slice(0, -'.rules'.length))
  .sort();

function lines(text: string): string[] {
  return text.split('\n').filter((l) => !l.startsWith('#'));
}

function read(name: string, ext: string): string {
  return readFileSync(join(FIXTURES, `${name}.${ext}`), 'utf8');
}

describe('golden ip6tables-save files', () => {
  it('has the kube-proxy and the matches fixtures', () => {
    expect(names).toEqual(expect.arrayContaining(['kube-proxy-nodeport', 'matches']));
  });

  describe.each(names)('%s', (name) => {
    it('prints the restore input exactly as ip6tables-save printed it', () => {
      const ruleset = parseRuleset(read(name, 'rules'), { family: 'ipv6' });
      expect(ruleset.family).toBe('ipv6');
      expect(lines(printIptablesSave(ruleset))).toEqual(lines(read(name, 'save')));
    });

    it('round-trips the ip6tables-save text', () => {
      const saved = read(name, 'save');
      expect(lines(printIptablesSave(parseRuleset(saved, { family: 'ipv6' })))).toEqual(lines(saved));
    });

    it('is refused as an iptables (IPv4) ruleset, naming the first IPv6 address', () => {
      expect(() => parseRuleset(read(name, 'rules'))).toThrow(/host\/network `[0-9a-fA-F:.]+' not found|Couldn't load match/);
    });
  });
});
