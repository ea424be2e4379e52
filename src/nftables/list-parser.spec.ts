/**
 * The `nft list ruleset` reader: upstream's overall table, listed by our
 * printer (byte for byte nft's, list-printer.spec.ts), reads back into the
 * same ruleset; problems are reported by line.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { populateNft, upstreamNftProxier } from '../../test/support/kube-proxy/nftables';
import { overallObjects } from '../../test/support/kube-proxy/upstream-cases';
import { printTable } from './list-printer';
import { isNftListText, parseNftList } from './list-parser';
import { emptyRuleset, tableKey } from './model';
import { applyTransaction } from './transaction';
import { NftParseError } from './transaction-parser';

const FIXTURES = join(__dirname, '../../fixtures/nftables');

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

  it('takes `nft -a` handles', () => {
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
    expect([...t.sets.get('aff')!.elements.values()]).toEqual([{ key: ['10.0.0.2'], timeout: '3h', expires: '2h59m58s' }]);
  });

  it('reads timed elements as nft 1.0.6 listed them (fixtures/nftables/element-timeouts.list), and prints them back byte for byte', () => {
    const listing = readFileSync(join(FIXTURES, 'element-timeouts.list'), 'utf8');
    const ruleset = emptyRuleset();
    applyTransaction(ruleset, parseNftList(listing));
    const t = ruleset.tables.get(tableKey('ip', 'kube-proxy'))!;
    expect(printTable(t)).toBe(listing);
    const elements = (set: string) => [...t.sets.get(set)!.elements.values()];
    expect(elements('affinity-X4YRAEB6-ns1/svc1/tcp/p80__10.180.0.1/80').map((e) => [e.key[0], e.timeout, e.expires])).toEqual([
      ['10.0.1.1', undefined, '2h59m59s872ms'],
      ['10.0.1.2', undefined, '1h59m59s872ms'],
      ['10.0.1.3', '1h', '59m59s872ms'],
      ['10.0.1.4', undefined, '1m29s872ms'],
    ]);
    expect(elements('verdicts')[0]).toEqual({ key: ['10.0.0.1'], timeout: '5m', expires: '3m59s872ms', comment: 'c', value: ['drop'] });
    expect(elements('tuples')).toEqual([{ key: ['10.0.0.2', 'udp', '53'] }, { key: ['10.0.0.1', 'tcp', '80'], timeout: '1d2h3m4s', expires: '23h59m59s872ms', comment: 'long' }]);
  });

  it('refuses an element\'s timeout that is no duration, naming the line', () => {
    const text = 'table ip t {\n\tset s {\n\t\ttype ipv4_addr\n\t\tflags timeout\n\t\telements = { 10.0.0.1 timeout soon }\n\t}\n}\n';
    expect(() => parseNftList(text)).toThrow(/line 5: element "10.0.0.1 timeout soon": timeout "soon" is not a duration/);
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
