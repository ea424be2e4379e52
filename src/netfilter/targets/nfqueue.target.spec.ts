import { actions, fromOutside, only, saved } from '../../../test/support/netfilter/target-trace';

const RULES = [
  '*filter',
  ':INPUT ACCEPT [0:0]',
  '-A INPUT -p tcp --dport 5001 -j NFQUEUE --queue-num 3',
  '-A INPUT -p tcp --dport 5002 -j NFQUEUE --queue-bypass',
  '-A INPUT -p tcp --dport 5002 -j DROP',
  '-A INPUT -p tcp --dport 5003 -j NFQUEUE --queue-bypass --queue-cpu-fanout --queue-balance 1:4',
  'COMMIT',
  '',
].join('\n');

describe('NFQUEUE (no queue reader)', () => {
  it('drops without --queue-bypass, as the kernel does when nobody reads the queue', () => {
    const o = only(RULES, fromOutside(5001));
    expect(o.verdict).toBe('DROP');
    expect(actions(o).at(-1)).toBe('DROP: no program reads queue 3: the kernel drops the packet (--queue-bypass would accept it)');
  });

  it('accepts with --queue-bypass: the table is left, later rules of the chain are not reached', () => {
    const o = only(RULES, fromOutside(5002));
    expect(o).toMatchObject({ verdict: 'ACCEPT', delivery: 'local' });
    expect(actions(o)).toContain('ACCEPT: no program reads queue 0: --queue-bypass accepts it (on to the next table)');
  });

  it('prints --queue-num 0 when none was given, then --queue-bypass, then --queue-cpu-fanout', () => {
    expect(saved(RULES).map((l) => l.slice(l.indexOf('-j ')))).toEqual([
      '-j NFQUEUE --queue-num 3',
      '-j NFQUEUE --queue-num 0 --queue-bypass',
      '-j DROP',
      '-j NFQUEUE --queue-balance 1:4 --queue-bypass --queue-cpu-fanout',
    ]);
  });

  it('refuses what iptables 1.8.9 refuses, --fail-open included', () => {
    expect(() => saved('*filter\n-A INPUT -j NFQUEUE --queue-balance 3:3\nCOMMIT\n')).toThrow('NFQUEUE: 3 should be less than 3');
    expect(() => saved('*filter\n-A INPUT -j NFQUEUE --queue-cpu-fanout\nCOMMIT\n')).toThrow('NFQUEUE: option "--queue-cpu-fanout" also requires "--queue-balance"');
    expect(() => saved('*filter\n-A INPUT -j NFQUEUE --queue-num 1 --queue-balance 2:3\nCOMMIT\n')).toThrow('cannot be used together');
    expect(() => saved('*filter\n-A INPUT -j NFQUEUE --fail-open\nCOMMIT\n')).toThrow('unknown option "--fail-open"');
  });
});
