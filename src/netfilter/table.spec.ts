import { DomainError } from '../common/domain-error';
import { parseRuleSpec } from './rule-spec.parser';
import { InMemoryRecentStore } from './recent-store';
import { Rule } from './rule';
import { Ruleset } from './ruleset';
import { Table } from './table';
import { validateTable } from './table-validation';
import { JumpTarget } from './targets/jump.target';

const jump = (chain: string, isGoto = false) => new Rule({ target: new JumpTarget(chain, isGoto) });

describe('Table', () => {
  it('starts with its built-in chains, in hook order, with ACCEPT policies', () => {
    expect(new Table('nat').builtinChains().map((c) => [c.name, c.policy])).toEqual([
      ['PREROUTING', 'ACCEPT'],
      ['INPUT', 'ACCEPT'],
      ['OUTPUT', 'ACCEPT'],
      ['POSTROUTING', 'ACCEPT'],
    ]);
    expect(new Table('raw').builtinChains().map((c) => c.name)).toEqual(['PREROUTING', 'OUTPUT']);
  });

  it('refuses jumps to missing or built-in chains', () => {
    const table = new Table('filter');
    expect(() => table.append('INPUT', jump('NOPE'))).toThrow(expect.objectContaining({ code: 'CHAIN_NOT_FOUND' }));
    expect(() => table.append('INPUT', jump('FORWARD'))).toThrow('cannot jump to built-in chain "FORWARD"');
    expect(() => table.append('NOPE', new Rule({}))).toThrow(DomainError);
  });

  it('counts references, so a chain still jumped to cannot be deleted', () => {
    const table = new Table('filter');
    table.createChain('A');
    table.append('INPUT', jump('A'));
    table.append('FORWARD', jump('A', true));
    expect(table.references('A')).toBe(2);
    expect(() => table.deleteChain('A')).toThrow('cannot delete chain "A": 2 rules still jump to it');
    table.removeAt('INPUT', 0);
    table.flush('FORWARD');
    expect(table.references('A')).toBe(0);
    table.deleteChain('A');
    expect(table.hasChain('A')).toBe(false);
  });

  it('copies on write: a clone and its origin change independently', () => {
    const live = new Table('filter');
    live.createChain('A');
    live.append('A', new Rule({}));
    const next = live.clone();
    next.append('A', new Rule({}));
    next.createChain('B');
    live.append('INPUT', jump('A'));
    expect(live.chain('A')!.rules).toHaveLength(1);
    expect(next.chain('A')!.rules).toHaveLength(2);
    expect(live.hasChain('B')).toBe(false);
    expect(next.chain('INPUT')!.rules).toHaveLength(0);
    expect(live.references('A')).toBe(1);
    expect(next.references('A')).toBe(0);
    // rules themselves are shared
    expect(next.chain('A')!.rules[0]).toBe(live.chain('A')!.rules[0]);
  });

  describe('validate', () => {
    it('finds loops through jumps and gotos reachable from a built-in chain', () => {
      const table = new Table('filter');
      for (const name of ['A', 'B', 'C']) table.createChain(name);
      table.append('A', jump('B'));
      table.append('B', jump('C', true));
      table.append('C', jump('A'));
      expect(validateTable(table)).toBeUndefined(); // nothing reaches the loop
      table.append('INPUT', jump('A'));
      expect(validateTable(table)?.message).toBe('jump loop: A -> B -> C -> A');
    });

    it('checks hook restrictions through user chains', () => {
      const table = new Table('nat');
      table.createChain('SEP');
      table.append('SEP', parseRuleSpec('-p tcp -j DNAT --to-destination 10.0.0.1:80', table));
      table.append('OUTPUT', jump('SEP'));
      table.append('PREROUTING', jump('SEP'));
      expect(validateTable(table)).toBeUndefined();
      table.append('POSTROUTING', jump('SEP'));
      expect(validateTable(table)?.message).toBe('DNAT in chain "SEP" is reachable from POSTROUTING, but only allowed in PREROUTING, OUTPUT');
    });
  });
});

describe('Ruleset', () => {
  it('lists existing tables in iptables-save order and counts commits', () => {
    const ruleset = new Ruleset();
    ruleset.ensureTable('nat');
    ruleset.ensureTable('filter');
    ruleset.ensureTable('mangle');
    expect(ruleset.tables().map((t) => t.name)).toEqual(['mangle', 'filter', 'nat']);
    const v = ruleset.version;
    ruleset.commit(new Map([['nat', undefined]]));
    expect(ruleset.hasTable('nat')).toBe(false);
    expect(ruleset.version).toBe(v + 1);
  });
});

describe('InMemoryRecentStore', () => {
  it('keeps at most 100 addresses per list and 20 sightings per address', () => {
    const store = new InMemoryRecentStore();
    for (let a = 1; a <= 101; a++) store.touch('l', a, a, 64);
    expect(store.get('l', 1)).toBeUndefined();
    expect(store.get('l', 2)).toBeDefined();
    for (let t = 0; t < 25; t++) store.touch('l', 2, 1000 + t, 64);
    expect(store.get('l', 2)!.stamps).toHaveLength(20);
    expect(store.get('l', 2)!.stamps[19]).toBe(1024);
  });

  it('reaps only the least recently seen entry, and never the one being checked', () => {
    const store = new InMemoryRecentStore();
    store.touch('l', 1, 10, 64);
    store.touch('l', 2, 20, 64);
    store.reap('l', 15, 1);
    expect(store.get('l', 1)).toBeDefined();
    store.reap('l', 15, 2);
    expect(store.get('l', 1)).toBeUndefined();
    expect(store.get('l', 2)).toBeDefined();
  });
});
