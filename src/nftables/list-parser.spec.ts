/**
 * The `nft list ruleset` reader: upstream's overall table, listed by our
 * printer (byte for byte nft's, list-printer.spec.ts), reads back into the
 * same ruleset; problems are reported by line.
 */
import { populateNft, upstreamNftProxier } from '../../test/support/kube-proxy/nftables';
import { overallObjects } from '../../test/support/kube-proxy/upstream-cases';
import { printTable } from './list-printer';
import { isNftListText, parseNftList } from './list-parser';
import { emptyRuleset, tableKey } from './model';
import { applyTransaction } from './transaction';
import { NftParseError } from './transaction-parser';

function overallListing(): string {
  const { proxier } = upstreamNftProxier();
  populateNft(proxier, overallObjects());
  proxier.sync();
  return printTable(proxier.table()!);
}

describe('parseNftList', () => {
  it('reads a listed table back into the table it lists', () => {
    const listing = overallListing();
    expect(isNftListText(listing)).toBe(true);
    const ruleset = emptyRuleset();
    applyTransaction(ruleset, parseNftList(listing));
    expect(printTable(ruleset.tables.get(tableKey('ip', 'kube-proxy'))!)).toBe(listing);
  });

  it('takes `nft -a` handles and a dynamic set\'s listed timeouts', () => {
    const text = [
      'table inet f { # handle 3',
      '\tset aff { # handle 2',
      '\t\ttype ipv4_addr',
      '\t\tflags dynamic,timeout',
      '\t\ttimeout 3h',
      '\t\telements = { 10.0.0.2 timeout 3h expires 2h59m58s }',
      '\t}',
      '\tchain in { # handle 1',
      '\t\ttype filter hook input priority filter; policy drop;',
      '\t\tip saddr @aff accept # handle 4',
      '\t}',
      '}',
    ].join('\n');
    const ruleset = emptyRuleset();
    applyTransaction(ruleset, parseNftList(text));
    const t = ruleset.tables.get('inet f')!;
    expect(t.chains.get('in')!.base).toEqual({ type: 'filter', hook: 'input', priority: 'filter', policy: 'drop' });
    expect(t.chains.get('in')!.rules.map((r) => r.text)).toEqual(['ip saddr @aff accept']);
    expect([...t.sets.get('aff')!.elements.keys()]).toEqual(['10.0.0.2']);
  });

  it('reports every problem with its line', () => {
    let caught: unknown;
    try {
      parseNftList('table ip t {\n\tchain c {\n\t\ttype filter hook nowhere priority 0; policy accept;\n\t}\n\tbogus\n}\n');
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(NftParseError);
    expect((caught as NftParseError).problems.map((p) => p.line)).toEqual([2, 5]);
  });

  it('tells the list form from the transaction form', () => {
    expect(isNftListText('# x\nadd table ip t\n')).toBe(false);
    expect(isNftListText('\ntable ip t {\n}\n')).toBe(true);
  });
});
