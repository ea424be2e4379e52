/**
 * Chain deletion as the kernel allows it: only an empty chain that no rule
 * and no verdict-map element jumps or goes to; reference counts follow the
 * changes made earlier in the same transaction.
 */
import { emptyRuleset, tableKey, type NftRuleset } from './model';
import { applyTransaction, NftTransactionError } from './transaction';
import { parseNftTransaction } from './transaction-parser';

const BASE = `add table ip t
add chain ip t a
add chain ip t b
add chain ip t c
add chain ip t d
add map ip t m { type ipv4_addr : verdict ; }
add rule ip t a jump b
add element ip t m { 10.0.0.1 : goto c }
`;

function ruleset(): NftRuleset {
  const r = emptyRuleset();
  applyTransaction(r, parseNftTransaction(BASE));
  return r;
}

const chains = (r: NftRuleset) => [...r.tables.get(tableKey('ip', 't'))!.chains.keys()];

function refused(r: NftRuleset, text: string): NftTransactionError {
  try {
    applyTransaction(r, parseNftTransaction(text));
  } catch (e) {
    return e as NftTransactionError;
  }
  throw new Error('applied');
}

describe('deleting chains', () => {
  it('refuses a chain a rule jumps to, and one a verdict map element goes to, applying nothing', () => {
    const r = ruleset();
    const byRule = refused(r, 'delete chain ip t d\ndelete chain ip t b\n');
    expect(byRule.message).toBe('Error: Could not process rule: Device or resource busy\ndelete chain ip t b');
    expect(byRule.index).toBe(1);
    expect(refused(r, 'delete chain ip t c\n').message).toContain('Device or resource busy');
    expect(chains(r)).toEqual(['a', 'b', 'c', 'd']);
  });

  it('deletes a run of unreferenced chains', () => {
    const r = ruleset();
    applyTransaction(r, parseNftTransaction('flush chain ip t a\ndelete chain ip t d\ndelete chain ip t b\ndelete chain ip t a\n'));
    expect(chains(r)).toEqual(['c']);
  });

  it('deletes a chain with its rules, as the kernel does, releasing what they jumped to', () => {
    const r = ruleset();
    // a's rule jumps to b: b stays until a goes, rules and all.
    expect(refused(r, 'delete chain ip t b\n').index).toBe(0);
    applyTransaction(r, parseNftTransaction('delete chain ip t a\ndelete chain ip t b\n'));
    expect(chains(r)).toEqual(['c', 'd']);
  });

  it('keeps a base chain\'s hook and priority: changed only by deleting and adding it again', () => {
    const r = ruleset();
    applyTransaction(r, parseNftTransaction('add chain ip t in { type filter hook input priority -110 ; }\nadd rule ip t in jump d\n'));
    const e = refused(r, 'add chain ip t in { type filter hook input priority raw + 190 ; }\nadd chain ip t in { type filter hook input priority 0 ; }\n');
    expect(e.index).toBe(1);
    expect(e.message).toBe('Error: Could not process rule: Operation not supported\nadd chain ip t in { type filter hook input priority 0 ; }');
    applyTransaction(r, parseNftTransaction('add chain ip t in\ndelete chain ip t in\nadd chain ip t in { type filter hook input priority 0 ; }\n'));
    const t = r.tables.get(tableKey('ip', 't'))!;
    expect(t.chains.get('in')!.base!.priority).toBe('0');
    expect(t.chains.get('in')!.rules).toEqual([]);
  });

  it('counts references as the same transaction changed them', () => {
    const r = ruleset();
    // d is counted unreferenced, then a rule jumps to it: its deletion is refused.
    expect(refused(r, 'delete chain ip t b\nadd rule ip t a jump d\ndelete chain ip t d\n').index).toBe(0);
    expect(refused(r, 'flush chain ip t a\ndelete chain ip t b\nadd rule ip t a jump d\ndelete chain ip t d\n').index).toBe(3);
    // The element going to c deleted first: c may go.
    applyTransaction(r, parseNftTransaction('delete element ip t m { 10.0.0.1 }\ndelete chain ip t c\n'));
    expect(chains(r)).toEqual(['a', 'b', 'd']);
  });
});

describe('rolling back', () => {
  it('takes away a table the failed transaction created, with all it held, and leaves the others as they were', () => {
    const r = ruleset();
    const before = r.tables.get(tableKey('ip', 't'))!;
    const handle = before.nextHandle;
    const e = refused(r, 'add chain ip t e\nadd rule ip t e jump d\nadd table ip u\nadd chain ip u x\nadd rule ip u x jump x2\n');
    expect(e.index).toBe(4);
    expect([...r.tables.keys()]).toEqual([tableKey('ip', 't')]);
    expect(chains(r)).toEqual(['a', 'b', 'c', 'd']);
    expect(before.nextHandle).toBe(handle);
    // Counts as before: d is still unreferenced, b still referenced.
    expect(refused(r, 'delete chain ip t b\n').index).toBe(0);
    applyTransaction(r, parseNftTransaction('delete chain ip t d\n'));
    expect(chains(r)).toEqual(['a', 'b', 'c']);
  });

  it('gives an existing chain back its rules, whether they were added, flushed or grown past a short chain', () => {
    const r = ruleset();
    const t = r.tables.get(tableKey('ip', 't'))!;
    const rules = (name: string) => t.chains.get(name)!.rules.map((x) => `${x.handle} ${x.text}`);
    const a = rules('a');
    const adds = (chain: string, n: number) => Array.from({ length: n }, (_, i) => `add rule ip t ${chain} jump ${'bcd'[i % 3]}\n`).join('');
    // a: one rule grown to six; b: flushed (empty) and given two; then a refusal.
    expect(refused(r, `${adds('a', 5)}${adds('b', 2)}flush chain ip t a\n${adds('a', 4)}add rule ip t d jump nowhere\n`).index).toBe(12);
    expect(rules('a')).toEqual(a);
    expect(rules('b')).toEqual([]);
    // Counts as before: b referenced by a's one rule only, c and d by none but the element.
    expect(refused(r, 'delete chain ip t b\n').index).toBe(0);
    applyTransaction(r, parseNftTransaction('delete chain ip t d\n'));
    // A chain deleted and added again in one transaction takes the rules that follow (the new chain, not the one deleted).
    applyTransaction(r, parseNftTransaction('add chain ip t e\ndelete chain ip t e\nadd chain ip t e\nadd rule ip t e jump c\n'));
    expect(rules('e')).toHaveLength(1);
    expect(chains(r)).toEqual(['a', 'b', 'c', 'e']);
  });
});

describe('timed elements', () => {
  const SETS = 'add table ip s\nadd set ip s plain { type ipv4_addr ; }\nadd set ip s flagged { type ipv4_addr ; flags timeout ; }\nadd set ip s timed { type ipv4_addr ; timeout 1m ; }\n';
  const elements = (r: NftRuleset, set: string) => [...r.tables.get(tableKey('ip', 's'))!.sets.get(set)!.elements.values()];

  it.each([
    ['a timeout in a set without timeouts', 'add element ip s plain { 10.0.0.1 timeout 1h }', 'Invalid argument'],
    ['an expiry in a set without timeouts', 'add element ip s plain { 10.0.0.1 expires 1h }', 'Invalid argument'],
    ['an expiry with no timeout, the element\'s or the set\'s', 'add element ip s flagged { 10.0.0.1 expires 1h }', 'Operation not supported'],
    ['an expiry past the timeout', 'add element ip s timed { 10.0.0.1 expires 2m }', 'Numerical result out of range'],
  ])('refuses %s as the kernel does', (_what, command, error) => {
    const r = emptyRuleset();
    applyTransaction(r, parseNftTransaction(SETS));
    const e = refused(r, `add element ip s timed { 10.0.0.9 }\n${command}\n`);
    expect(e.index).toBe(1);
    expect(e.message).toBe(`Error: Could not process rule: ${error}\n${command}`);
    expect(elements(r, 'timed')).toEqual([]);
  });

  it('takes timeouts and expiries where the set has timeouts, and a second add sets them anew', () => {
    const r = emptyRuleset();
    applyTransaction(r, parseNftTransaction(`${SETS}add element ip s flagged { 10.0.0.1 timeout 1h expires 30m }\nadd element ip s timed { 10.0.0.2 expires 30s, 10.0.0.3 timeout 2h }\n`));
    expect(elements(r, 'flagged')).toEqual([{ key: ['10.0.0.1'], timeout: '1h', expires: '30m' }]);
    applyTransaction(r, parseNftTransaction('add element ip s flagged { 10.0.0.1 timeout 2h expires 1h }\nadd element ip s timed { 10.0.0.3 }\n'));
    expect(elements(r, 'flagged')).toEqual([{ key: ['10.0.0.1'], timeout: '2h', expires: '1h' }]);
    expect(elements(r, 'timed')).toEqual([{ key: ['10.0.0.2'], expires: '30s' }, { key: ['10.0.0.3'], timeout: '2h' }]);
    // The same timeout again (its own, or the set's) leaves the element and the time it has left, as the kernel does.
    const before = elements(r, 'flagged')[0];
    applyTransaction(r, parseNftTransaction('add element ip s flagged { 10.0.0.1 timeout 7200s }\nadd element ip s timed { 10.0.0.2 timeout 1m }\n'));
    expect(elements(r, 'flagged')[0]).toBe(before);
    expect(elements(r, 'timed')[0]).toEqual({ key: ['10.0.0.2'], expires: '30s' });
    // Rolled back with the rest of a refused transaction.
    expect(refused(r, 'add element ip s flagged { 10.0.0.1 timeout 3h }\nadd element ip s plain { 10.0.0.1 timeout 1h }\n').index).toBe(1);
    expect(elements(r, 'flagged')).toEqual([{ key: ['10.0.0.1'], timeout: '2h', expires: '1h' }]);
  });
});
