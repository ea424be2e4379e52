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
});
