/**
 * The modules and targets one family's tool has and the other's lacks, each
 * rule loaded alone as fixtures/netfilter/family/refusals.tsv records the
 * real iptables-restore / ip6tables-restore 1.8.9 answering it: a refusal in
 * its words (after `line 3: `), or acceptance. A rule the real tool accepts
 * may still be one kube-netsim does not model (`-m ah`): that is refused as
 * not modelled, never with a refusal the real tool does not make. The table
 * ends with options the tools refuse to invert or to take twice.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DomainError } from '../common/domain-error';
import { parseRuleset } from './iptables-text.parser';

const TABLE = join(__dirname, '..', '..', 'fixtures', 'netfilter', 'family', 'refusals.tsv');
const rows = readFileSync(TABLE, 'utf8')
  .split('\n')
  .filter((l) => l !== '' && !l.startsWith('#'))
  .map((l) => l.split('\t') as [string, string, string]);

function answer(family: string, rule: string): string {
  try {
    parseRuleset(`*filter\n:INPUT ACCEPT [0:0]\n-A INPUT ${rule}\nCOMMIT\n`, { family: family === '6' ? 'ipv6' : 'ipv4' });
    return '(accepted)';
  } catch (e) {
    if (e instanceof DomainError) return e.message.replace(/^line 3: /, '');
    throw e;
  }
}

describe('modules of one family only, as the real tools answer them', () => {
  it('has the recorded table', () => {
    expect(rows.length).toBeGreaterThanOrEqual(40);
  });

  it.each(rows)('[%s] -A INPUT %s: %s', (family, rule, real) => {
    const ours = answer(family, rule);
    if (real === '(accepted)' && ours !== real) expect(ours).toMatch(/is not modelled|is a real iptables (match|target) that kube-netsim does not model/);
    else expect(ours).toBe(real);
  });

  it('an ip6tables rule may jump to a user chain named like an IPv4-only target', () => {
    const ruleset = parseRuleset('*filter\n:INPUT ACCEPT [0:0]\n:TTL - [0:0]\n-A INPUT -j TTL\nCOMMIT\n', { family: 'ipv6' });
    expect(ruleset.table('filter')!.chain('INPUT')!.rules).toHaveLength(1);
  });
});
