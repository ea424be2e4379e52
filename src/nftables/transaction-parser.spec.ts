import { overallObjects } from '../../test/support/kube-proxy/upstream-cases';
import { populateNft, upstreamNftProxier } from '../../test/support/kube-proxy/nftables';
import { dumpText } from '../../test/support/nftables/dump';
import { emptyRuleset, tableKey } from './model';
import { NftParseError, parseNftTransaction } from './transaction-parser';
import { applyTransaction, NftTransactionError, transactionText } from './transaction';

describe('parseNftTransaction', () => {
  it('reads back what kube-proxy writes: the same commands, the same table', () => {
    const { proxier } = upstreamNftProxier();
    populateNft(proxier, overallObjects());
    const text = proxier.sync().text;
    const commands = parseNftTransaction(text);
    expect(transactionText(commands)).toBe(text);
    const ruleset = emptyRuleset();
    applyTransaction(ruleset, commands);
    expect(dumpText(ruleset.tables.get(tableKey('ip', 'kube-proxy'))!)).toBe(dumpText(proxier.table()!));
  });

  it('reads IPv6 keys, comments before values, several elements in one command, and policies', () => {
    const commands = parseNftTransaction(
      [
        '# a comment line',
        'add table ip6 t',
        'add chain ip6 t in { type filter hook input priority 0 ; policy drop ; }',
        'add map ip6 t m { type ipv6_addr . inet_proto . inet_service : verdict ; flags interval ; comment "x ; y" ; }',
        'add element ip6 t m { fd00::1 . tcp . 80 comment "ns/svc:http" : drop , fd00::2 . udp . 53 : accept }',
      ].join('\n'),
    );
    expect(commands[1]).toMatchObject({ object: 'chain', base: { type: 'filter', hook: 'input', priority: '0', policy: 'drop' } });
    expect(commands[2]).toMatchObject({ object: 'map', flags: ['interval'], comment: 'x ; y' });
    expect(commands.slice(3).map((c) => (c.object === 'element' ? c.element : undefined))).toEqual([
      { key: ['fd00::1', 'tcp', '80'], comment: 'ns/svc:http', value: ['drop'] },
      { key: ['fd00::2', 'udp', '53'], value: ['accept'] },
    ]);
  });

  it('reports every bad line with its number, and nothing is applied', () => {
    let error: NftParseError | undefined;
    try {
      parseNftTransaction('add table ip t\nadd chian ip t c\nadd chain inet6 t c\nadd set ip t s { comment "no type" ; }\n');
    } catch (e) {
      error = e as NftParseError;
    }
    expect(error?.problems.map((p) => [p.line, p.reason])).toEqual([
      [2, 'expected add|create|flush|delete followed by table|chain|set|map|rule|element, a family and a table'],
      [3, 'unknown family "inet6"'],
      [4, 'a set needs a type'],
    ]);
  });

  it('applies a transaction all or nothing: a rule naming a missing set leaves the ruleset as it was', () => {
    const ruleset = emptyRuleset();
    applyTransaction(ruleset, parseNftTransaction('add table ip t\nadd chain ip t c\n'));
    const before = dumpText(ruleset.tables.get(tableKey('ip', 't'))!);
    expect(() => applyTransaction(ruleset, parseNftTransaction('add chain ip t d\nadd rule ip t c ip daddr @nope drop\n'))).toThrow(NftTransactionError);
    expect(dumpText(ruleset.tables.get(tableKey('ip', 't'))!)).toBe(before);
  });
});

describe('applyTransaction rollback', () => {
  it('undoes every kind of change when a later command is refused: chains, rules, sets, elements and their order', () => {
    const ruleset = emptyRuleset();
    applyTransaction(
      ruleset,
      parseNftTransaction(
        [
          'add table ip t { comment "before" ; }',
          'add chain ip t a',
          'add chain ip t b',
          'add chain ip t c',
          'add rule ip t a jump b',
          'add set ip t s1 { type ipv4_addr ; timeout 10s ; }',
          'add set ip t s2 { type ipv4_addr ; }',
          'add element ip t s1 { 10.0.0.1 }',
        ].join('\n'),
      ),
    );
    const before = dumpText(ruleset.tables.get(tableKey('ip', 't'))!);
    const change = [
      'add table ip t { comment "after" ; }',
      'flush chain ip t a',
      'delete chain ip t b',
      'add chain ip t d',
      'add rule ip t d jump c',
      'delete set ip t s2',
      'add set ip t s1 { type ipv4_addr ; timeout 20s ; }',
      'delete element ip t s1 { 10.0.0.1 }',
      'add element ip t s1 { 10.0.0.2 }',
      'add table ip u',
      'add rule ip t a ip daddr @missing drop',
    ].join('\n');
    expect(() => applyTransaction(ruleset, parseNftTransaction(change))).toThrow(NftTransactionError);
    expect([...ruleset.tables.keys()]).toEqual(['ip t']);
    const t = ruleset.tables.get(tableKey('ip', 't'))!;
    expect(dumpText(t)).toBe(before);
    expect([...t.chains.keys()]).toEqual(['a', 'b', 'c']);
    expect([...t.sets.keys()]).toEqual(['s1', 's2']);
    expect(t.nextHandle).toBe(7);
  });
});
