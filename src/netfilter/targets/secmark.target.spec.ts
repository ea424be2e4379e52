/** The security table and SELinux's SECMARK / CONNSECMARK. */
import { HOOK_STAGES } from '../traversal';
import { actions, fromHost, fromOutside, only, saved } from '../../../test/support/netfilter/target-trace';
import { printIptablesSave } from '../iptables-save.printer';
import { parseRuleset } from '../iptables-text.parser';

const RULES = [
  '*filter',
  ':INPUT ACCEPT [0:0]',
  '-A INPUT -p tcp --dport 23 -j ACCEPT',
  'COMMIT',
  '*security',
  ':INPUT ACCEPT [0:0]',
  ':OUTPUT ACCEPT [0:0]',
  '-A INPUT -p tcp --dport 22 -j SECMARK --selctx system_u:object_r:ssh_packet_t:s0',
  '-A INPUT -m state --state NEW -j CONNSECMARK --save',
  '-A INPUT -p tcp --dport 23 -j DROP',
  '-A OUTPUT -j CONNSECMARK --restore',
  'COMMIT',
  '',
].join('\n');

describe('the security table', () => {
  it('runs at priority 50: after filter, before source NAT, at INPUT, FORWARD and OUTPUT', () => {
    for (const hook of ['INPUT', 'FORWARD', 'OUTPUT'] as const) {
      const tables = HOOK_STAGES[hook].map((s) => (s.kind === 'table' ? s.table : s.kind));
      expect(tables.indexOf('security')).toBe(tables.indexOf('filter') + 1);
    }
    expect(HOOK_STAGES.PREROUTING.some((s) => s.kind === 'table' && s.table === 'security')).toBe(false);
  });

  it('an ACCEPT in filter does not spare a packet the security table', () => {
    const o = only(RULES, fromOutside(23));
    expect(o.verdict).toBe('DROP');
    expect(o.steps.map((s) => `${s.table} ${s.action}`)).toEqual(expect.arrayContaining(['filter ACCEPT', 'security DROP']));
  });

  it('SECMARK and CONNSECMARK change nothing (no SELinux), and say so', () => {
    const o = only(RULES, fromOutside(22));
    expect(o).toMatchObject({ verdict: 'ACCEPT', delivery: 'local' });
    expect(actions(o)).toContain('SECMARK: SELinux labels are not modelled (no SELinux here): changes nothing, the packet goes on');
    expect(only(RULES, fromHost('203.0.113.5', 80)).verdict).toBe('ACCEPT');
  });

  it('prints between mangle and raw, as iptables-save 1.8.9 orders tables', () => {
    const text = printIptablesSave(parseRuleset(`*nat\nCOMMIT\n*raw\n:OUTPUT ACCEPT [0:0]\nCOMMIT\n${RULES}*mangle\n:INPUT ACCEPT [0:0]\nCOMMIT\n`));
    expect(text.split('\n').filter((l) => l.startsWith('*'))).toEqual(['*mangle', '*security', '*raw', '*filter']);
    expect(saved(RULES)).toContain('-A INPUT -p tcp -m tcp --dport 22 -j SECMARK --selctx system_u:object_r:ssh_packet_t:s0');
  });

  it('SECMARK and CONNSECMARK only in mangle and security; CONNSECMARK needs --save or --restore', () => {
    expect(() => saved('*filter\n-A INPUT -j CONNSECMARK --save\nCOMMIT\n')).toThrow('target "CONNSECMARK" is only valid in the mangle or security table');
    expect(() => saved('*security\n-A INPUT -j CONNSECMARK\nCOMMIT\n')).toThrow('CONNSECMARK: one of --save or --restore is required');
    expect(() => saved('*security\n-A INPUT -j SECMARK\nCOMMIT\n')).toThrow('SECMARK: option "--selctx" must be specified');
  });
});
