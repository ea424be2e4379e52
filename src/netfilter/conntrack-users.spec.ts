/**
 * Two kernel details of iptables-nft namespaces: conntrack runs only when a
 * rule needs it (else nat rules never run), and a base chain exists only once
 * something names it.
 */
import { actions, fromOutside, only } from '../../test/support/netfilter/target-trace';
import { usesConntrack } from './conntrack-users';
import { parseRuleset, restoreRuleset } from './iptables-text.parser';
import { parseRuleSpec } from './rule-spec.parser';
import { printIptablesSave } from './iptables-save.printer';
import { Table } from './table';

const NAT_MARKS = ['*nat', ':PREROUTING ACCEPT [0:0]', '-A PREROUTING -p tcp --dport 80 -j MARK --set-xmark 0x1/0xffffffff', 'COMMIT', '*filter', ':INPUT ACCEPT [0:0]', '-A INPUT -m mark --mark 0x1 -j DROP'];

describe('connection tracking is on only when a rule needs it', () => {
  it('without such a rule nothing is tracked and the nat rules do not run', () => {
    const o = only([...NAT_MARKS, 'COMMIT', ''].join('\n'), fromOutside(80));
    expect(o).toMatchObject({ verdict: 'ACCEPT', delivery: 'local' });
    expect(o.conntrack.connection).toBeUndefined();
    expect(o.steps.some((s) => s.table === 'nat')).toBe(false);
    expect(actions(o)).toContain('off: no rule in this namespace uses connection tracking, so the kernel tracks nothing (no connection, nat rules do not run)');
  });

  it('one conntrack match anywhere (even where no packet goes) turns it on: the nat rules run', () => {
    const o = only([...NAT_MARKS, '-A INPUT -p sctp -m conntrack --ctstate INVALID -j DROP', 'COMMIT', ''].join('\n'), fromOutside(80));
    expect(o.verdict).toBe('DROP');
    expect(o.conntrack.state).toBe('NEW');
  });

  it('counts the extensions whose kernel check asks for conntrack; CT --notrack and NOTRACK do not', () => {
    const rule = (spec: string, table: 'filter' | 'nat' | 'raw' | 'mangle' = 'filter') => usesConntrack(parseRuleSpec(spec, new Table(table)));
    expect(rule('-m state --state NEW -j ACCEPT')).toBe(true);
    expect(rule('-m connmark --mark 1 -j ACCEPT')).toBe(true);
    expect(rule('-j CONNMARK --save-mark', 'mangle')).toBe(true);
    expect(rule('-p tcp -j DNAT --to-destination 10.0.0.1:80', 'nat')).toBe(true);
    expect(rule('-j MASQUERADE', 'nat')).toBe(true);
    expect(rule('-p tcp -j REDIRECT', 'nat')).toBe(true);
    expect(rule('-j CT --zone 1', 'raw')).toBe(true);
    expect(rule('-j CT --notrack', 'raw')).toBe(false);
    expect(rule('-j NOTRACK', 'raw')).toBe(false);
    expect(rule('-j MARK --set-mark 1', 'nat')).toBe(false);
    expect(rule('-p tcp --dport 80 -j DROP')).toBe(false);
  });

  it('follows rules as they come and go', () => {
    const ruleset = parseRuleset('*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -m conntrack --ctstate INVALID -j DROP\nCOMMIT\n');
    expect(ruleset.tracksConnections).toBe(true);
    restoreRuleset(ruleset, '*filter\n-D INPUT 1\nCOMMIT\n', { noflush: true });
    expect(ruleset.tracksConnections).toBe(false);
    restoreRuleset(ruleset, '*raw\n-A PREROUTING -j CT\nCOMMIT\n', { noflush: true });
    expect(ruleset.tracksConnections).toBe(true);
  });
});

describe('base chains exist only once named (iptables-nft)', () => {
  it('a restore section makes only the base chains it declares or adds rules to', () => {
    const table = parseRuleset('*filter\n:INPUT DROP [0:0]\n-A OUTPUT -j ACCEPT\nCOMMIT\n').table('filter')!;
    expect([table.hasBaseChain('INPUT'), table.hasBaseChain('FORWARD'), table.hasBaseChain('OUTPUT')]).toEqual([true, false, true]);
  });

  it('an absent base chain is not walked: no policy, no step, no counter', () => {
    const rules = '*filter\n:INPUT ACCEPT [0:0]\nCOMMIT\n';
    const forwarded = only(rules, fromOutside(80, { destination: '203.0.113.77' }));
    expect(forwarded.verdict).toBe('ACCEPT');
    expect(forwarded.steps.filter((s) => s.table === 'filter')).toEqual([]);
    const local = only(rules, fromOutside(80));
    expect(local.steps.filter((s) => s.table === 'filter').map((s) => `${s.chain} ${s.action}`)).toEqual(['INPUT policy ACCEPT']);
  });

  it('prints absent base chains as iptables-save does: ACCEPT [0:0]', () => {
    expect(printIptablesSave(parseRuleset('*filter\n:INPUT DROP [0:0]\nCOMMIT\n'), { counters: true })).toContain(':INPUT DROP [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n');
  });

  it('--noflush keeps the chains that exist and adds the ones named', () => {
    const ruleset = parseRuleset('*filter\n:INPUT ACCEPT [0:0]\nCOMMIT\n');
    restoreRuleset(ruleset, '*filter\n-I FORWARD -j ACCEPT\nCOMMIT\n', { noflush: true });
    const table = ruleset.table('filter')!;
    expect([table.hasBaseChain('INPUT'), table.hasBaseChain('FORWARD'), table.hasBaseChain('OUTPUT')]).toEqual([true, true, false]);
    restoreRuleset(ruleset, '*filter\n-P OUTPUT DROP\nCOMMIT\n', { noflush: true });
    expect(ruleset.table('filter')!.hasBaseChain('OUTPUT')).toBe(true);
  });

  it('a table made otherwise (kube-proxy, the API) has all its base chains', () => {
    expect(new Table('nat').hasBaseChain('INPUT')).toBe(true);
  });
});
